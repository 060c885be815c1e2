"""The monthly report pack: a PDF for a department or the company for a period, with the headline
figures against the previous period, the grade mix against the target, the ranking, the KPI
breakdown by team, the largest movers, service targets, open appeals and flags from the rules;
charts drawn as vector graphics."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd

from engine.analysis.breakdown import kpi_columns
from engine.analysis.figures import headline_changes, movers, service_targets
from engine.analysis.ranking import against_target_mix, group_ranking, person_ranking
from engine.output.charts import BLUE, GREY, bar_chart, grade_colors, hbar_chart, line_chart
from engine.output.pdf import (
    FONT,
    GROUP_FILL,
    MUTED,
    Column,
    Document,
    heading,
    paragraph,
    table,
)
from engine.schemes.precision import round_half_away
from engine.schemes.scheme import Scheme
from engine.scoring.periods import parse_period

# A ranking of people longer than this prints its best and its worst ROWS_AT_EACH_END only.
FULL_RANKING_MAX = 80
ROWS_AT_EACH_END = 15
MOVERS = 5
KPIS_PER_TABLE = 10
TREND_MONTHS = 12
# Open appeals come from a table other parts of the product keep; these are the columns read.
APPEAL_COLUMNS = (
    "employee_id",
    "name",
    "department",
    "period",
    "kpis",
    "reason",
    "state",
    "filed_at",
)
FLAG_COLUMNS = ("period", "employee_id", "name", "department", "team", "rule_zh", "reason_zh")
LABELS = {
    "title": ("月度绩效报告", "Monthly performance report"),
    "title_period": ("绩效报告", "Performance report"),
    "company": ("全公司", "Whole company"),
    "scope": ("范围", "Scope"),
    "previous": ("对比期间", "Compared with"),
    "made": ("生成于", "Made"),
    "headline": ("一、核心指标(与上期对比)", "1. Headline figures against the previous period"),
    "figure": ("指标", "Figure"),
    "now": ("本期", "This period"),
    "before": ("上期", "Previous"),
    "change": ("变化", "Change"),
    "headcount": ("人数", "Headcount"),
    "mean_total": ("平均分", "Mean total"),
    "share_best": ("{g}占比", "Share {g}"),
    "share_worst": ("{g}占比", "Share {g}"),
    "money": ("奖金合计(元)", "Money in total (yuan)"),
    "trend": ("各月平均分", "Mean total by month"),
    "mix": ("二、等级分布与目标", "2. Grade mix against the target"),
    "grade": ("等级", "Grade"),
    "count": ("人数", "People"),
    "share": ("占比 %", "Share %"),
    "target": ("目标 %", "Target %"),
    "difference": ("差(百分点)", "Difference (pp)"),
    "target_count": ("目标人数", "Target people"),
    "actual": ("实际", "Actual"),
    "no_target": ("方案未设定目标分布(grades.target_mix)。", "The scheme sets no target mix."),
    "ranking": ("三、排名", "3. Ranking"),
    "groups": ("{what}排名(按平均分)", "{what} by mean total"),
    "department": ("部门", "Department"),
    "team": ("班组", "Team"),
    "rank": ("名次", "Rank"),
    "people": ("人员排名", "People by rank"),
    "ends": (
        "共 {n} 人,列出前 {k} 名和后 {k} 名;完整名单见排名页或成绩导出。",
        "{n} people: the best and the last {k} are listed; the ranking page has everyone.",
    ),
    "id": ("工号", "ID"),
    "name": ("姓名", "Name"),
    "total": ("总分", "Total"),
    "dept_rank": ("部门名次", "Dept rank"),
    "kpis": ("四、各班组指标得分(平均)", "4. KPI scores by team (means)"),
    "kpi_note": (
        "指标得分为各指标 0–100 分得分的平均值;“—”表示该班组没有此指标。",
        "Mean KPI scores on 0–100; a dash: the team has no value for the KPI.",
    ),
    "movers": ("五、进步与退步最多", "5. Largest movers"),
    "up": ("进步最多", "Up the most"),
    "down": ("退步最多", "Down the most"),
    "no_before": ("上一期没有数据,无法比较。", "The previous period has no data."),
    "no_movers": ("无", "None"),
    "targets": ("六、服务目标达成", "6. Service targets"),
    "no_targets": (
        "数据中没有服务目标相关指标。",
        "The data has none of the service-target KPIs.",
    ),
    "met": ("达标", "met"),
    "missed": ("未达标", "missed"),
    "appeals": ("七、未结申诉", "7. Open appeals"),
    "no_appeal_data": (
        "本报告未接入申诉记录。",
        "This report was made without the appeals records.",
    ),
    "no_appeals": ("无未结申诉。", "No open appeals."),
    "state": ("状态", "State"),
    "reason": ("理由", "Reason"),
    "disputed": ("申诉指标", "KPIs disputed"),
    "filed": ("提出日期", "Filed"),
    "flags": ("八、规则提醒", "8. Flags from the rules"),
    "no_flags": ("本期无规则提醒。", "No flags this period."),
    "no_rules": ("规则未评估:{why}", "Rules not evaluated: {why}"),
    "rule": ("规则", "Rule"),
    "month": ("月份", "Month"),
    "mean": ("平均分", "Mean"),
    "previous_mean": ("上期", "Previous"),
}


def label(key: str, language: str) -> str:
    zh, en = LABELS[key]
    return zh if language == "zh" else en


@dataclass(frozen=True)
class ReportData:
    """What a report pack shows, every table already scoped to what its reader may see.

    `history` holds the monthly rows for the trend; `flags` the rules' firings (None when the
    rules could not be evaluated, `flags_note` says why); `appeals` the open appeals (None when
    the product keeps none)."""

    period: str
    previous: str
    scope: str
    scheme: Scheme
    table: pd.DataFrame
    before: pd.DataFrame
    history: pd.DataFrame
    flags: pd.DataFrame | None = None
    flags_note: str = ""
    appeals: pd.DataFrame | None = None
    language: str = "zh"


# ------------------------------------------------------------------ figures


def headline_rows(data: ReportData) -> list[list[str]]:
    """The headline figures now, before and the change, formatted."""
    lang = data.language
    figures = headline_changes(data.table, data.before, data.scheme)
    grades = [g.name if lang == "zh" else g.name_en for g in data.scheme.grades]
    best, worst = grades[0], grades[-1]
    rows = []
    for key, grade_name, shape, change_shape in (
        ("headcount", "", "{:.0f}", "{:+.0f}"),
        ("mean_total", "", "{:.2f}", "{:+.2f}"),
        ("share_best", best, "{:.1%}", "{:+.1%}"),
        ("share_worst", worst, "{:.1%}", "{:+.1%}"),
    ):
        value, change = figures[key]
        before = value - change if not math.isnan(change) else math.nan
        if key == "mean_total":  # shown as the ranking shows means: half away from zero
            value, before, change = (
                float(round_half_away(np.array([v]))[0]) for v in (value, before, change)
            )
        rows.append(
            [
                label(key, lang).format(g=grade_name),
                _shown(value, shape),
                _shown(before, shape),
                _shown(change, change_shape),
            ]
        )
    now, then = _money(data.table), _money(data.before)
    change = now - then if not data.before.empty else math.nan
    rows.append(
        [
            label("money", lang),
            _shown(now, "{:,.2f}"),
            _shown(then if not data.before.empty else math.nan, "{:,.2f}"),
            _shown(change, "{:+,.2f}"),
        ]
    )
    return rows


def _money(table: pd.DataFrame) -> float:
    return float(table["bonus"].sum()) if "bonus" in table and len(table) else 0.0


def _shown(value: float, shape: str) -> str:
    return (
        "—"
        if value is None or (isinstance(value, float) and math.isnan(value))
        else (shape.format(value))
    )


def trend(data: ReportData) -> pd.DataFrame:
    """The mean total of the people in scope by month, over the months up to the period."""
    last = _months(data)[-1]
    history = data.history.dropna(subset=["total"])
    history = history[history["period"].astype(str) <= last]
    months = sorted(history["period"].astype(str).unique())[-TREND_MONTHS:]
    kept = history[history["period"].astype(str).isin(months)]
    return kept.groupby("period", as_index=False).agg(mean_total=("total", "mean"))


def team_kpis(data: ReportData) -> pd.DataFrame:
    """Per department and team: headcount, mean total and the mean score of each KPI with data."""
    table, scheme = data.table, data.scheme
    kpis = kpi_columns(table, scheme) if len(table) else []
    keys = [table["department"].fillna(""), table["team"].fillna("")]
    grouped = table.groupby(keys, sort=True)
    out = grouped[[f"score_{k}" for k in kpis]].mean()
    out.insert(0, "mean_total", grouped["total"].mean())
    out.insert(0, "headcount", grouped.size())
    return out.rename_axis(["department", "team"]).reset_index()


# ------------------------------------------------------------------ sections


def _title(pdf: Document, data: ReportData, stamp: str) -> None:
    lang = data.language
    pdf.set_font(FONT, "B", 17)
    kind = "title" if parse_period(data.period).kind == "month" else "title_period"
    title = f"{label(kind, lang)} · {data.period}"
    pdf.cell(0, 10, title, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "", 9)
    scheme = data.scheme.name_zh if lang == "zh" else data.scheme.name_en
    colon = ":" if lang == "zh" else ": "
    pdf.cell(
        0, 5, f"{label('scope', lang)}{colon}{data.scope}", align="C", new_x="LMARGIN", new_y="NEXT"
    )
    pdf.set_text_color(*MUTED)
    pdf.set_font(FONT, "", 8)
    line = (
        f"{scheme} · {data.scheme.id} v{data.scheme.version} · "
        f"{label('previous', lang)} {data.previous} · {label('made', lang)} {stamp}"
    )
    pdf.cell(0, 5, line, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)


def _headline(pdf: Document, data: ReportData) -> None:
    lang = data.language
    heading(pdf, label("headline", lang))
    columns = [
        Column(label("figure", lang), 40),
        Column(label("now", lang), 30, "R"),
        Column(label("before", lang), 30, "R"),
        Column(label("change", lang), 30, "R"),
    ]
    table(pdf, columns, headline_rows(data), size=8.5)
    months = trend(data)
    if len(months) > 1:
        pdf.ln(2)
        here = [i for i, m in enumerate(months["period"]) if m in _months(data)]
        line_chart(
            pdf,
            pdf.content_width,
            48,
            [str(m)[2:] for m in months["period"]],
            [(label("trend", lang), months["mean_total"].to_numpy(), BLUE)],
            highlight=here,
        )


def _months(data: ReportData) -> list[str]:
    """The months of the period reported."""
    return list(parse_period(data.period).months)


def _grade_mix(pdf: Document, data: ReportData) -> None:
    lang = data.language
    scheme = data.scheme
    heading(pdf, label("mix", lang))
    names = [g.name if lang == "zh" else g.name_en for g in scheme.grades]
    target = against_target_mix(data.table, scheme)
    graded = data.table.dropna(subset=["total"])
    counts = graded["grade"].astype(str).value_counts().reindex(scheme.grade_names, fill_value=0)
    shares = counts * 100.0 / max(int(counts.sum()), 1)
    if target.empty:
        rows = [
            [n, f"{c}", f"{s:.1f}", "—", "—", "—"]
            for n, c, s in zip(names, counts, shares, strict=True)
        ]
    else:
        rows = [
            [
                n,
                f"{r['count']}",
                _shown(r["share"], "{:.1f}"),
                _shown(r["target_share"], "{:.1f}"),
                _shown(r["difference"], "{:+.1f}"),
                _shown(r["target_count"], "{:.1f}"),
            ]
            for n, r in zip(names, target.to_dict("records"), strict=True)
        ]
    columns = [
        Column(label("grade", lang), 30),
        Column(label("count", lang), 24, "R"),
        Column(label("share", lang), 24, "R"),
        Column(label("target", lang), 24, "R"),
        Column(label("difference", lang), 30, "R"),
        Column(label("target_count", lang), 26, "R"),
    ]
    table(pdf, columns, rows, size=8.5)
    if target.empty:
        paragraph(pdf, label("no_target", lang), muted=True)
    pdf.ln(2)
    series = [(label("actual", lang), shares.to_numpy(), grade_colors(len(names)))]
    if not target.empty:
        series.append((label("target", lang), target["target_share"].to_numpy(), GREY))
    top = max(50.0, float(np.nanmax([s.max() for _, s, _ in series])) + 10)
    bar_chart(pdf, 120, 50, names, series, fmt="{:.0f}%", top=min(100.0, math.ceil(top / 10) * 10))


def _ranking(pdf: Document, data: ReportData, by: str) -> None:
    lang = data.language
    scheme = data.scheme
    heading(pdf, label("ranking", lang))
    what = label(by, lang)
    paragraph(pdf, label("groups", lang).format(what=what), size=9)
    groups = group_ranking(data.table, data.before, scheme, [by])
    names = [g.name if lang == "zh" else g.name_en for g in scheme.grades]
    columns = [
        Column(label("rank", lang), 12, "R"),
        Column(what, 38),
        Column(label("count", lang), 14, "R"),
        Column(label("mean", lang), 18, "R"),
        Column(label("previous_mean", lang), 18, "R"),
        Column(label("change", lang), 16, "R"),
        *[Column(f"{n} %", (186 - 116) / len(names), "R") for n in names],
    ]
    rows = [
        [
            _shown(r["group_rank"], "{}"),
            str(r[by]) or "—",
            f"{r['headcount']}",
            _shown(r["mean_total"], "{:.2f}"),
            _shown(r["previous_mean"], "{:.2f}"),
            _shown(r["change"], "{:+.2f}"),
            *[_shown(r[g], "{:.1f}") for g in scheme.grade_names],
        ]
        for r in groups.to_dict("records")
    ]
    table(pdf, columns, rows, size=7.5)
    pdf.ln(2)
    shown = groups.dropna(subset=["mean_total"]).head(25)
    if len(shown):
        low = max(0.0, math.floor(float(shown["mean_total"].min()) / 10) * 10 - 10)
        hbar_chart(
            pdf,
            pdf.content_width,
            [str(v) or "—" for v in shown[by]],
            shown["mean_total"].to_numpy(dtype=float),
            low,
            100.0,
        )
    _people(pdf, data)


def _people(pdf: Document, data: ReportData) -> None:
    lang = data.language
    heading(pdf, label("people", lang), size=9.5)
    people = person_ranking(data.table, data.before).dropna(subset=["total"])
    shown = people
    if len(people) > FULL_RANKING_MAX:
        paragraph(pdf, label("ends", lang).format(n=len(people), k=ROWS_AT_EACH_END), muted=True)
        position = np.arange(len(people))
        shown = people[(position < ROWS_AT_EACH_END) | (position >= len(people) - ROWS_AT_EACH_END)]
    grade = "grade_en" if lang == "en" and "grade_en" in shown else "grade"
    columns = [
        Column(label("rank", lang), 12, "R"),
        Column(label("id", lang), 18),
        Column(label("name", lang), 22),
        Column(label("department", lang), 30),
        Column(label("team", lang), 28),
        Column(label("total", lang), 18, "R"),
        Column(label("change", lang), 16, "R"),
        Column(label("grade", lang), 18),
        Column(label("dept_rank", lang), 24, "R"),
    ]
    rows = [
        [
            _shown(r["rank"], "{}"),
            str(r["employee_id"]),
            str(r["name"]),
            str(r["department"]),
            _text(r.get("team")),
            _shown(r["total"], "{:.2f}"),
            _shown(r["change"], "{:+.2f}"),
            _text(r.get(grade)),
            _shown(r.get("dept_rank"), "{}"),
        ]
        for r in shown.to_dict("records")
    ]
    table(pdf, columns, rows, size=7.5)


def _text(value: object) -> str:
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)


def _team_kpis(pdf: Document, data: ReportData) -> None:
    lang = data.language
    scheme = data.scheme
    heading(pdf, label("kpis", lang))
    frame = team_kpis(data)
    kpis = [c.removeprefix("score_") for c in frame.columns if c.startswith("score_")]
    names = {k.id: k.label(lang) for k in scheme.kpis}
    # Past KPIS_PER_TABLE KPIs the columns get too narrow for "100": the KPIs go on in a table
    # below, with the teams again.
    for start in range(0, max(len(kpis), 1), KPIS_PER_TABLE):
        part = kpis[start : start + KPIS_PER_TABLE]
        width = (pdf.content_width - 73) / KPIS_PER_TABLE
        columns = [
            Column(label("department", lang), 26),
            Column(label("team", lang), 24),
            Column(label("count", lang), 10, "R"),
            Column(label("mean", lang), 13, "R"),
            *[Column(names[k], width, "R") for k in part],
        ]
        rows = [
            [
                str(r["department"]),
                str(r["team"]) or "—",
                f"{r['headcount']}",
                _shown(r["mean_total"], "{:.1f}"),
                *[_shown(r[f"score_{k}"], "{:.0f}") for k in part],
            ]
            for r in frame.to_dict("records")
        ]
        table(pdf, columns, rows, size=6.5)
        pdf.ln(1.5)
    paragraph(pdf, label("kpi_note", lang), muted=True)


def _movers(pdf: Document, data: ReportData) -> None:
    lang = data.language
    heading(pdf, label("movers", lang))
    if data.before.empty:
        paragraph(pdf, label("no_before", lang), muted=True)
        return
    moved = movers(data.table, data.before, MOVERS)
    columns = [
        Column("", 20),
        Column(label("id", lang), 20),
        Column(label("name", lang), 24),
        Column(label("department", lang), 34),
        Column(label("before", lang), 22, "R"),
        Column(label("now", lang), 22, "R"),
        Column(label("change", lang), 22, "R"),
        Column(label("grade", lang), 22),
    ]
    rows: list = []
    fills = {}
    for key in ("up", "down"):
        part = moved[key]
        fills[len(rows)] = GROUP_FILL
        rows.append(label(key, lang) + ("" if len(part) else f":{label('no_movers', lang)}"))
        rows += [
            [
                "",
                str(r["employee_id"]),
                str(r["name"]),
                str(r["department"]),
                _shown(r["previous_total"], "{:.2f}"),
                _shown(r["total"], "{:.2f}"),
                _shown(r["change"], "{:+.2f}"),
                _text(r.get("grade")),
            ]
            for r in part.to_dict("records")
        ]
    table(pdf, columns, rows, size=7.5, fills=fills, bold_rows=list(fills))


def _targets(pdf: Document, data: ReportData) -> None:
    lang = data.language
    scheme = data.scheme
    heading(pdf, label("targets", lang))
    found = service_targets(data.table, scheme)
    if found.empty:
        paragraph(pdf, label("no_targets", lang), muted=True)
        return
    # One row per department, one column per target: the actual value and whether it is met.
    targets = list(dict.fromkeys(found["kpi"]))
    departments = list(dict.fromkeys(found["department"]))
    width = (pdf.content_width - 40) / len(targets)
    columns = [
        Column(label("department", lang), 40),
        *[
            Column(
                f"{scheme.kpi(k).label(lang)} {found.loc[found['kpi'] == k, 'target'].iloc[0]}",
                width,
                "R",
            )
            for k in targets
        ],
    ]
    cells = found.assign(
        cell=found["actual"].map("{:g}".format)
        + " "
        + found["met"].map({True: label("met", lang), False: label("missed", lang)})
    ).pivot(index="department", columns="kpi", values="cell")
    rows = [
        [str(d), *[_text(cells.at[d, k]) if k in cells else "" for k in targets]]
        for d in departments
    ]
    table(pdf, columns, rows, size=7.5)


def _appeals(pdf: Document, data: ReportData) -> None:
    lang = data.language
    heading(pdf, label("appeals", lang))
    if data.appeals is None:
        paragraph(pdf, label("no_appeal_data", lang), muted=True)
        return
    if data.appeals.empty:
        paragraph(pdf, label("no_appeals", lang))
        return
    frame = data.appeals.reindex(columns=list(APPEAL_COLUMNS))
    columns = [
        Column(label("id", lang), 18),
        Column(label("name", lang), 20),
        Column(label("department", lang), 28),
        Column(label("disputed", lang), 34),
        Column(label("reason", lang), 50),
        Column(label("state", lang), 16),
        Column(label("filed", lang), 20),
    ]
    rows = [
        [_text(r[c]) for c in ("employee_id", "name", "department", "kpis", "reason", "state")]
        + [_text(r["filed_at"])[:10]]
        for r in frame.to_dict("records")
    ]
    table(pdf, columns, rows, size=7.5)


def _flags(pdf: Document, data: ReportData) -> None:
    lang = data.language
    heading(pdf, label("flags", lang))
    if data.flags is None:
        paragraph(pdf, label("no_rules", lang).format(why=data.flags_note), muted=True)
        return
    if data.flags.empty:
        paragraph(pdf, label("no_flags", lang))
        return
    rule, reason = ("rule_zh", "reason_zh") if lang == "zh" else ("rule_en", "reason_en")
    columns = [
        Column(label("month", lang), 16),
        Column(label("id", lang), 18),
        Column(label("name", lang), 20),
        Column(label("department", lang), 28),
        Column(label("rule", lang), 40),
        Column(label("reason", lang), 64),
    ]
    rows = [
        [_text(r.get(c)) for c in ("period", "employee_id", "name", "department", rule, reason)]
        for r in data.flags.sort_values(["period", "employee_id"]).to_dict("records")
    ]
    table(pdf, columns, rows, size=7.5)


def report_pdf(data: ReportData, stamp: str = "") -> bytes:
    """The report pack as one A4 PDF."""
    stamp = stamp or datetime.now().strftime("%Y-%m-%d %H:%M")
    lang = data.language
    pdf = Document(f"{label('title', lang)} · {data.period} · {data.scope} · {stamp}")
    pdf.add_page()
    _title(pdf, data, stamp)
    _headline(pdf, data)
    _grade_mix(pdf, data)
    departments = data.table["department"].dropna().unique()
    _ranking(pdf, data, "team" if len(departments) == 1 else "department")
    _team_kpis(pdf, data)
    _movers(pdf, data)
    _targets(pdf, data)
    _appeals(pdf, data)
    _flags(pdf, data)
    return bytes(pdf.output())


def period_flags(
    events: pd.DataFrame, months: Sequence[str], departments: Sequence[str] = ()
) -> pd.DataFrame:
    """The rules' flags (not rewards) raised in the period's months, in the departments named
    (all when none)."""
    found = events[events["action"].eq("flag") & events["period"].isin(list(months))]
    if departments:
        found = found[found["department"].isin(list(departments))]
    return found


def scope_label(departments: Sequence[str], language: str = "zh") -> str:
    """The report's scope in words: the departments, or the whole company when none is named."""
    return "、".join(departments) if departments else label("company", language)
