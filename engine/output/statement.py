"""What a printed statement (绩效考核表) says: one person's month as the regulations' paper
form holds it (seed 004), from raw value to points, total, grade and money, with the interview
record (绩效考核面谈记录) and the acknowledgement; statement_pdf.py draws it."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from engine.analysis.breakdown import (
    category_statement,
    closing_notes,
    score_statement,
    unit_name,
)
from engine.schemes.describe import rule_text
from engine.schemes.scheme import Scheme

# Interview records and acknowledgements come from tables other parts of the product keep;
# these are the columns a statement reads from them (any may be missing; one row per person).
INTERVIEW_COLUMNS = (
    "employee_id",
    "strengths",  # 受考核人所具备的优点
    "improvements",  # 有待改善的地方
    "plan",  # 改进计划
    "plan_kpis",  # the KPIs the plan targets: ids or names, comma-separated or a list
    "employee_comment",  # 受考核人意见陈述
    "interviewer",  # 面谈人
    "held_on",  # the date of the interview
    "employee_confirmed_on",  # the dates both sides confirmed the record
    "manager_confirmed_on",
)
ACKNOWLEDGEMENT_COLUMNS = ("employee_id", "choice", "at", "comment")
# What the employee may say of the result, as the paper form has it; an appeal (申诉) is 不接受.
CHOICES = ("接受", "不接受", "反对")
CHOICE_ALIASES = {
    "accept": "接受",
    "accepted": "接受",
    "接受": "接受",
    "appeal": "不接受",
    "appealed": "不接受",
    "申诉": "不接受",
    "reject": "不接受",
    "不接受": "不接受",
    "object": "反对",
    "反对": "反对",
}
LABELS = {
    "title": ("绩效考核表", "Performance statement"),
    "name": ("姓名", "Name"),
    "id": ("工号", "Employee ID"),
    "period": ("考核期间", "Period"),
    "department": ("部门", "Department"),
    "team": ("班组", "Team"),
    "role": ("岗位", "Role"),
    "kpis": ("考核指标与得分", "KPIs and points"),
    "kpi": ("考核指标", "KPI"),
    "standard": ("考核标准", "Standard"),
    "value": ("实际值", "Raw value"),
    "score": ("得分", "Score"),
    "weight": ("权重 %", "Weight %"),
    "points": ("贡献分", "Points"),
    "total_row": ("合计(计算总分)", "Sum (computed total)"),
    "result": ("考核结果", "Result"),
    "computed": ("计算总分", "Computed total"),
    "adjustment": ("加减分", "Adjustment"),
    "total": ("总分", "Total"),
    "grade": ("等级", "Grade"),
    "money": ("奖金(元)", "Money (yuan)"),
    "rank": ("排名 公司/部门", "Rank company/dept"),
    "closing": ("加减分与一票否决", "Adjustments and vetoes"),
    "none": ("无加减分,无一票否决。", "No adjustment, no veto."),
    "interview": ("绩效考核面谈记录", "Appraisal interview record"),
    "strengths": ("受考核人所具备的优点简述:", "Strengths:"),
    "improvements": ("受考核人在工作上有待改善的地方:", "To improve:"),
    "plan": ("改进计划(针对指标):", "Improvement plan (KPIs):"),
    "opinion": ("受考核人对考核结果意见:", "The employee's view of the result:"),
    "comment": ("受考核人意见陈述:", "The employee's statement:"),
    "employee_sign": ("受考核人签名/日期:", "Employee signature / date:"),
    "interviewer_sign": ("面谈人签名/日期:", "Interviewer signature / date:"),
    "approval": ("审核签名", "Signatures"),
    "sign": ("签名:", "Signature:"),
    "date": ("日期:", "Date:"),
    "missing": ("缺失", "missing"),
    "months": ("{n} 个月", "{n} months"),
    "status": ("人员状态:{status}", "Status: {status}"),
    "confirmed": ("(已确认)", " (confirmed) "),
}
CHOICE_EN = {"接受": "accept", "不接受": "do not accept", "反对": "object"}


def label(key: str, language: str) -> str:
    zh, en = LABELS[key]
    return zh if language == "zh" else en


@dataclass(frozen=True)
class KpiLine:
    """One KPI of the statement: its standard, the raw value, the score (0–100), its share of
    the total (%) and the points it adds."""

    category: str
    kpi: str
    standard: str
    value: str
    score: float
    share: float
    points: float


@dataclass(frozen=True)
class CategoryLine:
    """One category: its weight (%), the person's category score and the points it adds."""

    category: str
    weight: float
    score: float
    points: float


@dataclass(frozen=True)
class Interview:
    """The interview record of the month (绩效面谈), as far as it has been filled in."""

    strengths: str = ""
    improvements: str = ""
    plan: str = ""
    plan_kpis: tuple[str, ...] = ()
    employee_comment: str = ""
    interviewer: str = ""
    held_on: str = ""
    employee_confirmed_on: str = ""
    manager_confirmed_on: str = ""


@dataclass(frozen=True)
class Acknowledgement:
    """What the employee said of the result: 接受, 不接受 (an appeal) or 反对, when, and why."""

    choice: str
    at: str = ""
    comment: str = ""


@dataclass(frozen=True)
class Statement:
    """Everything one person's printed statement shows."""

    employee_id: str
    name: str
    department: str
    team: str
    role: str
    period: str
    months: int
    scheme_name: str
    scheme_label: str
    kpis: tuple[KpiLine, ...]
    categories: tuple[CategoryLine, ...]
    computed_total: float
    adjustment: float
    total: float
    grade: str
    money: float
    rank: str
    closing: tuple[str, ...]
    status: str
    grade_rule: str
    interview: Interview | None = None
    acknowledgement: Acknowledgement | None = None
    language: str = "zh"
    notes: tuple[str, ...] = field(default=())


# ------------------------------------------------------------------ the model


def _text(value: object) -> str:
    """A cell as text; missing as empty."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return ""
    if isinstance(value, (list, tuple, np.ndarray)):
        return "、".join(str(v) for v in value)
    return str(value).strip()


def value_text(value: float, unit: str, language: str) -> str:
    """A raw value as read on the form: '92%', '1.5 天', '2 次'."""
    if value is None or math.isnan(value):
        return label("missing", language)
    shown = f"{round(float(value), 2):g}"
    word = unit_name(unit, language)
    return f"{shown}{word}" if unit == "%" else f"{shown} {word}"


def grade_rule(scheme: Scheme, language: str) -> str:
    """The grade cutoffs in one line: '等级:优秀 ≥ 90 · 良好 ≥ 80 · … · 不合格 < 60'."""
    parts = [
        f"{g.name if language == 'zh' else g.name_en} ≥ {g.min:g}"
        for g in scheme.grades
        if g.min is not None
    ]
    last = scheme.grades[-1]
    lowest = scheme.grades[-2].min if len(scheme.grades) > 1 else None
    if lowest is not None:
        parts.append(f"{last.name if language == 'zh' else last.name_en} < {lowest:g}")
    return ("等级:" if language == "zh" else "Grades: ") + " · ".join(parts)


def interview_of(record: dict | None, scheme: Scheme, language: str) -> Interview | None:
    """An interview record row as the statement shows it (KPI ids named); None when absent."""
    if not record:
        return None
    kpis = record.get("plan_kpis")
    if isinstance(kpis, str):
        kpis = [k.strip() for k in kpis.replace(",", ",").split(",") if k.strip()]
    names = {k.id: k.label(language) for k in scheme.kpis}
    return Interview(
        strengths=_text(record.get("strengths")),
        improvements=_text(record.get("improvements")),
        plan=_text(record.get("plan")),
        plan_kpis=tuple(names.get(str(k), str(k)) for k in (kpis if kpis is not None else [])),
        employee_comment=_text(record.get("employee_comment")),
        interviewer=_text(record.get("interviewer")),
        held_on=_text(record.get("held_on"))[:10],
        employee_confirmed_on=_text(record.get("employee_confirmed_on"))[:10],
        manager_confirmed_on=_text(record.get("manager_confirmed_on"))[:10],
    )


def acknowledgement_of(record: dict | None) -> Acknowledgement | None:
    """An acknowledgement row as the form's boxes (接受 / 不接受 / 反对); None when absent or the
    choice is not one the form knows."""
    if not record:
        return None
    choice = CHOICE_ALIASES.get(_text(record.get("choice")).lower())
    if choice is None:
        return None
    return Acknowledgement(choice, _text(record.get("at"))[:10], _text(record.get("comment")))


def _by_employee(frame: pd.DataFrame | None) -> dict[str, dict]:
    """One record per employee id (the last row wins) from an optional table."""
    if frame is None or frame.empty or "employee_id" not in frame:
        return {}
    last = frame.drop_duplicates("employee_id", keep="last")
    return dict(zip(last["employee_id"].astype(str), last.to_dict("records"), strict=True))


def build_statements(
    table: pd.DataFrame,
    monthly: pd.DataFrame,
    scheme: Scheme,
    period: str,
    interviews: pd.DataFrame | None = None,
    acknowledgements: pd.DataFrame | None = None,
    language: str = "zh",
) -> list[Statement]:
    """The statements of everyone in a period's scored table (in rank order within department),
    from their monthly rows of the period; interview records and acknowledgements are optional
    tables keyed by employee_id (see INTERVIEW_COLUMNS, ACKNOWLEDGEMENT_COLUMNS)."""
    ordered = table.sort_values(["department", "rank", "employee_id"], na_position="last")
    by_person = dict(tuple(monthly.groupby(monthly["employee_id"].astype(str), sort=False)))
    talks, said = _by_employee(interviews), _by_employee(acknowledgements)
    # A page per person: the statement is built person by person, as it is printed.
    out = []
    for index in ordered.index:
        person = ordered.loc[index]
        key = str(person["employee_id"])
        interview = interview_of(talks.get(key), scheme, language)
        rows = by_person.get(key, monthly.iloc[0:0])
        out.append(
            _statement(
                person, rows, scheme, period, interview, acknowledgement_of(said.get(key)), language
            )
        )
    return out


def _statement(
    person: pd.Series,
    months: pd.DataFrame,
    scheme: Scheme,
    period: str,
    interview: Interview | None,
    acknowledgement: Acknowledgement | None,
    language: str,
) -> Statement:
    """One person's statement from their row of the period table and their monthly rows."""
    lines = score_statement(person, months, scheme) if len(months) else _empty_lines()
    categories = category_statement(lines, person, scheme) if len(months) else pd.DataFrame()
    kpis = {k.id: k for k in scheme.kpis}
    category_names = {c.id: c.label(language) for c in scheme.categories}
    kpi_lines = tuple(
        KpiLine(
            category=category_names[str(row["category"])],
            kpi=kpis[str(row["kpi"])].label(language),
            standard=rule_text(kpis[str(row["kpi"])], language),
            value=value_text(row["value"], kpis[str(row["kpi"])].unit, language),
            score=float(row["score"]),
            share=float(row["share"]),
            points=float(row["points"]),
        )
        for row in lines.to_dict("records")
    )
    category_lines = tuple(
        CategoryLine(
            category_names[str(r["category"])], r["category_weight"], r["score"], r["points"]
        )
        for r in categories.to_dict("records")
    )
    total = float(person["total"]) if pd.notna(person["total"]) else math.nan
    computed = person.get("computed_total", math.nan)
    computed = total if pd.isna(computed) else float(computed)
    adjustment = person.get("adjustment", math.nan)
    grade = person.get("grade_en") if language == "en" and "grade_en" in person else person["grade"]
    status = _text(person.get("status"))
    note = _text(person.get("status_note"))
    shown_status = "" if status in ("", "在岗") else status + (f"({note})" if note else "")
    notes = []
    if int(person.get("months", 1) or 1) > 1:
        notes.append(
            "多月期间:实际值和得分为各月平均,贡献分为各月贡献的平均,奖金为各月之和。"
            if language == "zh"
            else "Several months: values and scores are monthly means, money the monthly sum."
        )
    return Statement(
        employee_id=_text(person["employee_id"]),
        name=_text(person["name"]),
        department=_text(person["department"]),
        team=_text(person.get("team")),
        role=_text(person.get("role")),
        period=period,
        months=int(person.get("months", 1) or 1),
        scheme_name=scheme.name_zh if language == "zh" else scheme.name_en,
        scheme_label=f"{scheme.id} v{scheme.version}",
        kpis=kpi_lines,
        categories=category_lines,
        computed_total=computed,
        adjustment=float(adjustment) if pd.notna(adjustment) else math.nan,
        total=total,
        grade=_text(grade) or "—",
        money=float(person["bonus"]) if pd.notna(person.get("bonus")) else math.nan,
        rank=" / ".join(_text(_whole(person.get(c))) or "—" for c in ("rank", "dept_rank")),
        closing=tuple(zh if language == "zh" else en for zh, en in closing_notes(person)),
        status=shown_status,
        grade_rule=grade_rule(scheme, language),
        interview=interview,
        acknowledgement=acknowledgement,
        language=language,
        notes=tuple(notes),
    )


def _whole(value: object) -> object:
    return int(value) if isinstance(value, (int, float, np.number)) and pd.notna(value) else value


def _empty_lines() -> pd.DataFrame:
    columns = ["kpi", "category", "value", "score", "share", "points"]
    return pd.DataFrame(columns=columns)
