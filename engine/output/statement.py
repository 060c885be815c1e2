"""The printable statement (绩效考核表): one person's month as the regulations' paper form lays
it out (seed 004), from raw value to points, total, grade and money, with the interview record
(绩效考核面谈记录), the acknowledgement and the signature blocks; a department's month as one PDF
(a person a page) or a ZIP of one PDF each."""

from __future__ import annotations

import io
import math
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import pandas as pd
from pypdf import PdfReader, PdfWriter

from engine.analysis.breakdown import (
    category_statement,
    closing_notes,
    score_statement,
    unit_name,
)
from engine.output.pdf import (
    FONT,
    GROUP_FILL,
    HEADING_FILL,
    MUTED,
    Column,
    Document,
    fitted_size,
    heading,
    line_height,
    table,
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
# Font sizes tried in turn until a person fits one A4 page; the write-in spaces of the interview
# record shrink with them. Below the smallest the statement continues on a second page.
LAYOUTS = ((8.0, 13.0), (7.0, 10.0), (6.5, 8.0), (6.0, 6.5))
SIGNERS = (
    ("受考核人", "Employee"),
    ("直接上级", "Direct manager"),
    ("部门负责人", "Head of department"),
    ("总经理审批", "General manager"),
)
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


# ------------------------------------------------------------------ the page


def _number(value: float, shape: str = "{:.2f}") -> str:
    return "—" if value is None or math.isnan(value) else shape.format(value)


def _grid(pdf: Document, pairs: Sequence[tuple[str, str]], size: float) -> None:
    """Label / value pairs, three to a row, in bordered cells (the form's header)."""
    width = pdf.content_width / 3
    label_width, value_width = 17.0, width - 17.0
    height = line_height(size) + 3
    for start in range(0, len(pairs), 3):
        x, y = pdf.l_margin, pdf.y
        for name, value in pairs[start : start + 3]:
            pdf.set_fill_color(*HEADING_FILL)
            pdf.set_font(FONT, "B", size)
            pdf.set_xy(x, y)
            pdf.cell(label_width, height, name, border=1, fill=True, align="C")
            pdf.set_font(FONT, "", fitted_size(pdf, value, value_width, size + 1))
            pdf.cell(value_width, height, value, border=1, align="L")
            x += width
        pdf.set_xy(pdf.l_margin, y + height)


def _boxes(pdf: Document, cells: Sequence[tuple[str, str]], size: float) -> None:
    """A row of result boxes: a small label over a large value."""
    width = pdf.content_width / len(cells)
    height = line_height(size) + line_height(size + 4) + 3
    if pdf.y + height > pdf.bottom:
        pdf.add_page()
    x, y = pdf.l_margin, pdf.y
    for name, value in cells:
        pdf.rect(x, y, width, height)
        pdf.set_xy(x, y + 0.8)
        pdf.set_font(FONT, "", size)
        pdf.set_text_color(*MUTED)
        pdf.cell(width, line_height(size), name, align="C")
        pdf.set_text_color(0, 0, 0)
        pdf.set_xy(x, y + line_height(size) + 1.2)
        pdf.set_font(FONT, "B", fitted_size(pdf, value, width, size + 4))
        pdf.cell(width, line_height(size + 4), value, align="C")
        x += width
    pdf.set_xy(pdf.l_margin, y + height)


def _write_in(pdf: Document, title: str, text: str, size: float, space: float) -> None:
    """A bordered field of the interview record: its label and the text, or room to write."""
    pdf.set_font(FONT, "", size)
    lines = (
        pdf.multi_cell(pdf.content_width - 4, 1, text, dry_run=True, output="LINES") if text else []
    )
    height = max(space, line_height(size) * (len(lines) + 1) + 3)
    if pdf.y + height > pdf.bottom:
        pdf.add_page()
    x, y = pdf.l_margin, pdf.y
    pdf.rect(x, y, pdf.content_width, height)
    pdf.set_xy(x + 1.5, y + 1)
    pdf.set_font(FONT, "B", size)
    pdf.cell(0, line_height(size), title)
    pdf.set_font(FONT, "", size)
    for number, line in enumerate(lines):
        pdf.set_xy(x + 2, y + 1 + line_height(size) * (number + 1))
        pdf.cell(pdf.content_width - 4, line_height(size), line)
    pdf.set_xy(pdf.l_margin, y + height)


def _checkbox(pdf: Document, x: float, y: float, side: float, ticked: bool) -> None:
    """A box of the form (□), with a tick drawn in it when chosen."""
    pdf.rect(x, y, side, side)
    if ticked:
        pdf.set_line_width(0.4)
        pdf.polyline(
            [
                (x + 0.2 * side, y + 0.5 * side),
                (x + 0.45 * side, y + 0.8 * side),
                (x + 0.85 * side, y + 0.15 * side),
            ]
        )
        pdf.set_line_width(0.2)


def _opinion(pdf: Document, s: Statement, size: float) -> None:
    """受考核人对考核结果意见:□接受 □不接受 □反对, the chosen one ticked, with its date."""
    height = line_height(size) + 3
    if pdf.y + height > pdf.bottom:
        pdf.add_page()
    x, y = pdf.l_margin, pdf.y
    pdf.rect(x, y, pdf.content_width, height)
    pdf.set_xy(x + 1.5, y + 1.5)
    pdf.set_font(FONT, "B", size)
    title = label("opinion", s.language)
    pdf.cell(pdf.get_string_width(title) + 2, line_height(size), title)
    pdf.set_font(FONT, "", size)
    side = line_height(size) * 0.75
    chosen = s.acknowledgement.choice if s.acknowledgement else None
    for choice in CHOICES:
        left = pdf.get_x() + 2
        _checkbox(pdf, left, y + 1.5 + (line_height(size) - side) / 2, side, choice == chosen)
        pdf.set_xy(left + side + 0.8, y + 1.5)
        word = choice if s.language == "zh" else CHOICE_EN[choice]
        pdf.cell(pdf.get_string_width(word) + 2, line_height(size), word)
    if s.acknowledgement and s.acknowledgement.at:
        when = f"({s.acknowledgement.at})"
        pdf.cell(pdf.get_string_width(when) + 2, line_height(size), when)
    pdf.set_xy(pdf.l_margin, y + height)


def _two_signatures(pdf: Document, s: Statement, size: float) -> None:
    """受考核人签名/日期 and 面谈人签名/日期, side by side, filled in when confirmed."""
    height = line_height(size) + 5
    if pdf.y + height > pdf.bottom:
        pdf.add_page()
    half = pdf.content_width / 2
    talk = s.interview or Interview()
    confirmed = label("confirmed", s.language)
    employee = talk.employee_confirmed_on and f"{s.name}{confirmed}{talk.employee_confirmed_on}"
    manager = talk.manager_confirmed_on and (
        f"{talk.interviewer}{confirmed}{talk.manager_confirmed_on}"
    )
    x, y = pdf.l_margin, pdf.y
    for offset, key, text in ((0, "employee_sign", employee), (half, "interviewer_sign", manager)):
        pdf.rect(x + offset, y, half, height)
        pdf.set_xy(x + offset + 1.5, y + 2.5)
        pdf.set_font(FONT, "B", size)
        title = label(key, s.language)
        pdf.cell(pdf.get_string_width(title) + 2, line_height(size), title)
        pdf.set_font(FONT, "", size)
        pdf.cell(half - pdf.get_string_width(title) - 6, line_height(size), text or "")
    pdf.set_xy(pdf.l_margin, y + height)


def _signature_blocks(pdf: Document, s: Statement, size: float, space: float) -> None:
    """受考核人 · 直接上级 · 部门负责人 · 总经理审批: each with room to sign and a date."""
    height = space + 2 * line_height(size) + 4
    if pdf.y + height > pdf.bottom:
        pdf.add_page()
    width = pdf.content_width / len(SIGNERS)
    x, y = pdf.l_margin, pdf.y
    for zh, en in SIGNERS:
        pdf.rect(x, y, width, height)
        pdf.set_xy(x + 1.5, y + 1)
        pdf.set_font(FONT, "B", size)
        pdf.cell(width - 3, line_height(size), zh if s.language == "zh" else en)
        pdf.set_font(FONT, "", size)
        pdf.set_xy(x + 1.5, y + height - 2 * line_height(size) - 1.5)
        pdf.cell(width - 3, line_height(size), label("sign", s.language))
        pdf.set_xy(x + 1.5, y + height - line_height(size) - 1)
        pdf.cell(width - 3, line_height(size), label("date", s.language))
        x += width
    pdf.set_xy(pdf.l_margin, y + height)


def _kpi_rows(s: Statement) -> tuple[list, list[int], dict[int, tuple[int, int, int]]]:
    """The KPI table's rows: each category's heading line, its KPIs, then the sum."""
    rows: list = []
    bold: list[int] = []
    fills: dict[int, tuple[int, int, int]] = {}
    for category in s.categories:
        bold.append(len(rows))
        fills[len(rows)] = GROUP_FILL
        if s.language == "zh":
            text = (
                f"{category.category} · 类别权重 {category.weight:g}% · "
                f"类别得分 {_number(category.score)} · 贡献分 {_number(category.points)}"
            )
        else:
            text = (
                f"{category.category} · weight {category.weight:g}% · "
                f"score {_number(category.score)} · points {_number(category.points)}"
            )
        rows.append(text)
        rows += [
            [
                line.kpi,
                line.standard,
                line.value,
                _number(line.score),
                _number(line.share),
                _number(line.points),
            ]
            for line in s.kpis
            if line.category == category.category
        ]
    bold.append(len(rows))
    shares = sum(line.share for line in s.kpis)
    rows.append(
        [label("total_row", s.language), "", "", "", _number(shares), _number(s.computed_total)]
    )
    return rows, bold, fills


def draw_statement(pdf: Document, s: Statement, size: float, space: float) -> None:
    """One person's statement from the top of the current page."""
    lang = s.language
    pdf.set_font(FONT, "B", size + 8)
    pdf.cell(
        0, line_height(size + 8) + 1, label("title", lang), align="C", new_x="LMARGIN", new_y="NEXT"
    )
    pdf.set_font(FONT, "", size)
    pdf.set_text_color(*MUTED)
    pdf.cell(
        0,
        line_height(size),
        f"{s.scheme_name} · {s.scheme_label}",
        align="C",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.set_text_color(0, 0, 0)
    pdf.ln(1.5)
    period = s.period + (f"({label('months', lang).format(n=s.months)})" if s.months > 1 else "")
    _grid(
        pdf,
        [
            (label("name", lang), s.name),
            (label("id", lang), s.employee_id),
            (label("period", lang), period),
            (label("department", lang), s.department),
            (label("team", lang), s.team or "—"),
            (label("role", lang), s.role or "—"),
        ],
        size,
    )
    heading(pdf, label("kpis", lang), size=size + 2, gap=1.5)
    fixed = 30 + 20 + 14 + 14 + 16
    columns = [
        Column(label("kpi", lang), 30),
        Column(label("standard", lang), pdf.content_width - fixed),
        Column(label("value", lang), 20, "R"),
        Column(label("score", lang), 14, "R"),
        Column(label("weight", lang), 14, "R"),
        Column(label("points", lang), 16, "R"),
    ]
    rows, bold, fills = _kpi_rows(s)
    table(pdf, columns, rows, size=size, bold_rows=bold, fills=fills)
    heading(pdf, label("result", lang), size=size + 2, gap=1.5)
    adjustment = "—" if math.isnan(s.adjustment) else f"{s.adjustment:+.2f}"
    _boxes(
        pdf,
        [
            (label("computed", lang), _number(s.computed_total)),
            (label("adjustment", lang), adjustment),
            (label("total", lang), _number(s.total)),
            (label("grade", lang), s.grade),
            (label("money", lang), _number(s.money, "{:,.2f}")),
            (label("rank", lang), s.rank),
        ],
        size,
    )
    pdf.ln(1)
    pdf.set_font(FONT, "", size)
    facts = [s.grade_rule]
    if s.status:
        facts.append(label("status", lang).format(status=s.status))
    closing = list(s.closing) or [label("none", lang)]
    pdf.multi_cell(0, line_height(size), " · ".join(facts), new_x="LMARGIN", new_y="NEXT")
    pdf.multi_cell(
        0,
        line_height(size),
        f"{label('closing', lang)}:" + " ".join(closing) + " ".join(["", *s.notes]),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    heading(pdf, label("interview", lang), size=size + 2, gap=1.5)
    talk = s.interview or Interview()
    plan = talk.plan + (f"({'、'.join(talk.plan_kpis)})" if talk.plan_kpis else "")
    _write_in(pdf, label("strengths", lang), talk.strengths, size, space)
    _write_in(pdf, label("improvements", lang), talk.improvements, size, space)
    _write_in(pdf, label("plan", lang), plan, size, space * 0.8)
    _opinion(pdf, s, size)
    comment = talk.employee_comment or (s.acknowledgement.comment if s.acknowledgement else "")
    _write_in(pdf, label("comment", lang), comment, size, space * 0.8)
    _two_signatures(pdf, s, size)
    heading(pdf, label("approval", lang), size=size + 2, gap=1.5)
    _signature_blocks(pdf, s, size, space)


def _footer(s: Statement, stamp: str) -> str:
    return f"{s.scheme_name} · {s.name} {s.employee_id} · {s.department} · {s.period} · {stamp}"


def _render(statements: Sequence[Statement], stamp: str) -> tuple[Document, list[int]]:
    """The statements in one document, a page per person (a second page only for a statement
    too long for one at the smallest legible size), and the page each person starts on."""
    stamp = stamp or datetime.now().strftime("%Y-%m-%d %H:%M")
    pdf, scratch = Document(), Document()  # each statement is tried for size on the scratch
    layouts: dict[tuple, tuple[float, float]] = {}
    starts = []
    for s in statements:
        # People with the same KPIs and the same free text take the same room: tried once.
        shape = (
            tuple(k.standard for k in s.kpis),
            s.closing,
            s.status,
            s.interview,
            s.acknowledgement,
        )
        if shape not in layouts:
            layouts[shape] = _layout(scratch, s)
        size, space = layouts[shape]
        pdf.add_page()  # closes the page before, with its own footer
        pdf.footer_text = _footer(s, stamp)
        starts.append(pdf.page)
        draw_statement(pdf, s, size, space)
    if not statements:
        pdf.add_page()
        pdf.cell(0, 10, "没有可打印的人员 · nobody to print")
    return pdf, starts


def statements_pdf(statements: Sequence[Statement], stamp: str = "") -> bytes:
    """One PDF with a page per person."""
    return bytes(_render(statements, stamp)[0].output())


def _layout(scratch: Document, s: Statement) -> tuple[float, float]:
    """The largest font size and write-in space at which the statement fits one page."""
    for size, space in LAYOUTS:
        scratch.add_page()
        start = scratch.page
        draw_statement(scratch, s, size, space)
        if scratch.page == start:
            return size, space
    return LAYOUTS[-1]


def file_name(s: Statement) -> str:
    """A statement's file name inside a ZIP: period, department, id and name."""
    unsafe = str.maketrans({c: "_" for c in '/\\:*?"<>|\0'})
    return f"{s.period}_{s.department}_{s.employee_id}_{s.name}.pdf".translate(unsafe)


def statements_zip(statements: Sequence[Statement], stamp: str = "") -> bytes:
    """A ZIP holding one PDF per person, cut from the one document (loading the font once)."""
    pdf, starts = _render(statements, stamp)
    whole = PdfReader(io.BytesIO(bytes(pdf.output())))
    ends = [*[start - 1 for start in starts[1:]], len(whole.pages)]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for s, first, last in zip(statements, starts, ends, strict=True):
            part = PdfWriter()
            for number in range(first - 1, last):
                part.add_page(whole.pages[number])
            written = io.BytesIO()
            part.write(written)
            archive.writestr(file_name(s), written.getvalue())
    return buffer.getvalue()
