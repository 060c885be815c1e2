"""Employee drill-down: one person's score statement from raw KPI values to total, grade and
money, their KPI profile against the department, their months and the way to the next grade."""

from collections.abc import Callable

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from engine.analysis.breakdown import (
    category_statement,
    closing_notes,
    kpi_profile,
    people_by_rank,
    points_to_next_grade,
    score_statement,
    standard_or_target,
    unit_name,
)
from engine.cycle.printing import paper_records
from engine.output.statement import build_statements
from engine.output.statement_pdf import statements_pdf, statements_zip
from engine.schemes import describe
from engine.scoring.periods import parse_period
from ui import data
from ui.i18n import chart_text, grade_words, labelled, language, plain, tr
from ui.page import document_download, downloads, grade_lines, require_view

PICK_KEY = "employee_pick"
QUERY_KEY = "employee"
STATEMENT_LABELS = {
    "category": ("类别", "Category"),
    "kpi": ("指标", "KPI"),
    "value": ("原始值", "Raw value"),
    "scored_value": ("计分值(收缩/校准后)", "Value scored (shrunk / rescaled)"),
    "unit": ("单位", "Unit"),
    "standard": ("标准 / 目标", "Standard / target"),
    "score": ("指标得分", "KPI score"),
    "kpi_weight": ("类别内权重 %", "Weight in category %"),
    "category_weight": ("类别权重 %", "Category weight %"),
    "share": ("实际占总分 %", "Share of total %"),
    "points": ("贡献分", "Points"),
    "note": ("备注", "Note"),
}

SHOWN_COLUMNS = [c for c in STATEMENT_LABELS if c != "note"]
PRINT_HELP = (
    "按考核表格式排版,A4 每人一页,含面谈记录与签字栏,可直接打印签字。",
    "Laid out like the paper form, one A4 page per person, with the interview record and "
    "signature blocks, ready to print and sign.",
)
# KPIs a scheme scores on a shrunk rate or a rescaled rating show both values; else only the raw.
ADJUSTING = ("score_shrunk", "rescale_by_rater")


def remember_choice() -> None:
    """Keep the chosen person in the address, so the page can be bookmarked or shared."""
    st.query_params[QUERY_KEY] = st.session_state[PICK_KEY]


view, scheme, table = require_view()
lang = language()
kpi_names = {k.id: k.label(lang) for k in scheme.kpis}
category_names = {c.id: c.label(lang) for c in scheme.categories}
grade_column = "grade" if lang == "zh" else "grade_en"

# ---------------------------------------------------------------- who
st.title(tr("员工详情", "Employee") + f" · {view.period}")
people = people_by_rank(table)
labels = dict(zip(people["employee_id"], people["label"], strict=True))
wanted = st.query_params.get(QUERY_KEY)
if wanted in labels:
    st.session_state[PICK_KEY] = wanted
elif st.session_state.get(PICK_KEY) not in labels:
    st.session_state[PICK_KEY] = people["employee_id"].iloc[0]
if wanted and wanted not in labels:
    st.warning(
        tr(
            f"工号 {plain(wanted)} 不在本期或当前筛选范围内,请另选人员。",
            f"{plain(wanted)} is not in this period or the current filters: choose someone else.",
        )
    )
employee_id = st.selectbox(
    tr("人员(按排名;可输入工号或姓名搜索)", "Person (by rank; type an ID or name to search)"),
    people["employee_id"],
    format_func=labels.get,
    key=PICK_KEY,
    on_change=remember_choice,
)
person = table.loc[table["employee_id"] == employee_id].iloc[0]
months = parse_period(view.period).months
# The period's months in full; the person's other months and the department's means come from
# the database (not every month's rows in pandas).
in_period = data.month_rows(view.scheme, months)
statement = score_statement(
    person, in_period[in_period["employee_id"] == employee_id].sort_values("period"), scheme
)
history = data.people_months(view.scheme, [employee_id], view.period)
kept_targets = data.targets(months)
own_targets = set(
    kept_targets.loc[
        (kept_targets["scope"] == "person") & (kept_targets["employee_id"] == employee_id), "kpi"
    ]
)
categories = category_statement(statement, person, scheme)
upgrade = points_to_next_grade(table.loc[[person.name], "total"], scheme).iloc[0]

st.header(f"{plain(person['name'])} · {plain(employee_id)}", divider="grey")
where = [plain(person[c]) for c in ("department", "team", "role") if pd.notna(person[c])]
months_note = tr(f"(本期 {person['months']} 个月)", f" ({person['months']} months)")
st.caption(" · ".join([*where, view.period]) + (months_note if person["months"] > 1 else ""))

# ---------------------------------------------------------------- headline
total, grade, bonus = person["total"], person[grade_column], person["bonus"]
if pd.isna(upgrade["next_grade"]):
    next_label, next_value = tr("距下一等级", "To the next grade"), tr("最高等级", "Top grade")
else:
    next_name = upgrade["next_grade"] if lang == "zh" else upgrade["next_grade_en"]
    next_label = tr(f"距「{next_name}」还差", f"Points to {next_name}")
    next_value = f"{upgrade['points_needed']:.2f}"
cards = [
    (tr("总分", "Total"), f"{total:.2f}"),
    (tr("等级", "Grade"), str(grade)),
    (
        tr("排名 公司/部门", "Rank company/dept"),
        f"{person['rank']} / {person['dept_rank']}",
    ),
    (tr("奖金", "Money"), f"{bonus:,.2f}"),
    (next_label, next_value),
]
for column, (label, value) in zip(st.columns([1, 1.4, 1.3, 1.1, 1.1]), cards, strict=True):
    column.metric(label, value)

# ---------------------------------------------------------------- statement
st.subheader(tr("得分明细:原始值 → 指标得分 → 类别 → 总分", "Score statement: raw value → total"))
names = categories["category"].map(category_names)
waterfall = go.Figure(
    go.Waterfall(
        x=[*names, tr("总分", "Total")],
        y=[*categories["points"], total],
        measure=["relative"] * len(categories) + ["total"],
        text=[f"{p:.2f}" for p in [*categories["points"], total]],
        textposition="outside",
        customdata=np.vstack(
            [categories[["score", "category_weight"]].to_numpy(), [[total, 100.0]]]
        ),
        hovertemplate="%{x}<br>"
        + tr("类别得分", "Category score")
        + " %{customdata[0]:.2f} × "
        + tr("权重", "weight")
        + " %{customdata[1]:g}%<br>"
        + tr("贡献分", "Points")
        + " %{text}<extra></extra>",
        connector={"line": {"color": "grey", "dash": "dot"}},
    )
)
waterfall.update_layout(
    height=360, margin={"t": 30}, yaxis_range=[0, 110], yaxis_title=tr("分", "Points")
)
st.plotly_chart(waterfall, width="stretch")

shown = statement.assign(
    category=statement["category"].map(category_names),
    kpi=statement["kpi"].map(kpi_names),
    unit=statement["kpi"].map({k.id: unit_name(k.unit, lang) for k in scheme.kpis}),
    standard=standard_or_target(statement["kpi"], person, scheme, own_targets, lang),
)[SHOWN_COLUMNS].round(2)
if not any(getattr(k, a) for k in scheme.kpis for a in ADJUSTING):
    shown = shown.drop(columns="scored_value")
missing = statement["value"].isna()
shown["note"] = np.where(missing, tr("缺失", "missing"), "")
shown = shown.rename(columns={k: tr(*v) for k, v in STATEMENT_LABELS.items()})
st.dataframe(shown, hide_index=True, width="stretch", height="content")
notes = [
    tr(
        f"合计:占总分 {statement['share'].sum():.2f}%,贡献分 {statement['points'].sum():.2f}"
        f" = 总分 {total:.2f}。贡献分 = 指标得分 × 实际占总分比例,各项四舍五入到分且合计等于总分。",
        f"Sum: {statement['share'].sum():.2f}% of the total, {statement['points'].sum():.2f} "
        f"points = total {total:.2f}. Points = KPI score × share of the total, each rounded to "
        "the cent so that they add up to the total.",
    )
]
if missing.any():
    absent = "、".join(statement.loc[missing, "kpi"].map(kpi_names))
    notes.append(
        tr(
            f"缺失指标({absent})按方案规则处理:其权重由同类别其他指标按比例分担。",
            f"Missing KPIs ({absent}) follow the scheme: the other KPIs of the category share "
            "their weight.",
        )
        if scheme.missing == "renormalize"
        else tr(f"缺失指标({absent})按方案计 0 分。", f"Missing KPIs ({absent}) score 0.")
    )
if person["months"] > 1:
    notes.append(
        tr(
            "多月期间:原始值和得分为各月平均,贡献分为各月贡献的平均,奖金为各月之和。",
            "Several months: raw values and scores are monthly means, points the mean of the "
            "monthly points, money the sum of the monthly amounts.",
        )
    )
elif (formula := describe.money_formula_of(scheme, person["role"])) is not None:
    shown_formula = formula.replace("*", "\\*").replace("_", "\\_")  # not markdown emphasis
    notes.append(
        tr(f"奖金 = {shown_formula} = {bonus:,.2f}", f"Money = {shown_formula} = {bonus:,.2f}")
    )
elif scheme.money.mode == "performance_pay":
    notes.append(
        tr(
            f"绩效工资 = {scheme.money.base:,.0f} × {total:.2f}% = {bonus:,.2f}",
            f"Performance pay = {scheme.money.base:,.0f} × {total:.2f}% = {bonus:,.2f}",
        )
    )
else:
    notes.append(
        tr(f"等级「{grade}」对应奖金 {bonus:,.2f}。", f"Grade {grade} earns {bonus:,.2f}.")
    )
st.caption(" ".join(notes))
for closing in closing_notes(person):  # the adjustment and the veto, each a line of its own
    st.text(tr(*closing))
with st.expander(tr("下载得分明细", "Download the statement")):
    downloads(
        shown,
        f"statement_{employee_id}_{view.period}",
        key="employee_statement",
        scope=f"{employee_id} {person['name']}",
    )

# ---------------------------------------------------------------- printed statements


def printed(people: pd.DataFrame, packed: bool = False) -> Callable[[], bytes]:
    """The statements (绩效考核表) of these people, made when the button is clicked, from the
    rows this user may see (the table and the months are scoped already)."""
    rows = in_period[in_period["employee_id"].isin(people["employee_id"])]
    store = data.current_store()

    def make() -> bytes:
        interviews, answers = paper_records(store, view.period)
        built = build_statements(
            people, rows, scheme, view.period, interviews, answers, language=lang
        )
        return statements_zip(built) if packed else statements_pdf(built)

    return make


with st.expander(
    tr("打印考核表(PDF):本人或整个部门", "Print statements (PDF): this person or a department")
):
    document_download(
        tr(
            f"下载 {plain(person['name'])} 的考核表",
            f"Download {plain(person['name'])}'s statement",
        ),
        printed(table.loc[[person.name]]),
        f"绩效考核表_{view.period}_{employee_id}.pdf",
        "1 statement",
        "employee_statement_pdf",
        tr(*PRINT_HELP),
    )
    departments = sorted(table["department"].dropna().astype(str).unique())
    chosen = st.selectbox(
        tr("整个部门(每人一页)", "A whole department (a page each)"),
        departments,
        index=departments.index(str(person["department"])),
        key="statement_department",
    )
    members = table[table["department"].astype(str) == chosen]
    packed = st.radio(
        tr("文件", "File"),
        [False, True],
        format_func=lambda z: (
            tr("一个 PDF", "One PDF") if not z else tr("ZIP(每人一个 PDF)", "ZIP (a PDF each)")
        ),
        horizontal=True,
        key="statement_packed",
    )
    document_download(
        tr(
            f"下载 {plain(chosen)} 全部考核表({len(members)} 人)",
            f"Download {plain(chosen)}'s statements ({len(members)} people)",
        ),
        printed(members, packed),
        f"绩效考核表_{view.period}_{chosen}.{'zip' if packed else 'pdf'}",
        f"{len(members)} statements",
        "department_statements",
        tr(*PRINT_HELP),
    )

# ---------------------------------------------------------------- profile and months
left, right = st.columns(2)
left.markdown(tr("**各指标得分与部门平均**", "**KPI scores against the department mean**"))
peers = table[table["department"] == person["department"]]
profile = kpi_profile(statement, peers)
ring = pd.concat([profile, profile.head(1)]).assign(kpi=lambda p: p["kpi"].map(kpi_names))
radar = go.Figure()
radar.add_scatterpolar(
    r=ring["peer_mean"],
    theta=ring["kpi"],
    name=chart_text(
        tr(f"部门平均({person['department']})", f"Department mean ({person['department']})")
    ),
    line={"color": "grey", "dash": "dot"},
)
radar.add_scatterpolar(
    r=ring["score"], theta=ring["kpi"], name=chart_text(person["name"]), fill="toself"
)
radar.update_traces(hovertemplate="%{theta}: %{r:.1f}<extra>%{fullData.name}</extra>")
radar.update_layout(
    height=420,
    margin={"t": 40, "l": 80, "r": 80},
    polar={
        "radialaxis": {
            "range": [min(0.0, ring["score"].min()), max(100.0, ring["score"].max())],
            "angle": 90,
            "tickangle": 90,
            "tickfont_size": 9,
        },
        "angularaxis": {"rotation": 90, "direction": "clockwise"},
    },
    legend={"orientation": "h"},
)
if profile.empty:
    left.info(tr("本期没有指标得分。", "No KPI scores this period."))
else:
    left.plotly_chart(radar, width="stretch")

department_months = data.department_means(view.scheme, (person["department"],))
trend = go.Figure()
trend.add_scatter(
    x=department_months["period"],
    y=department_months["mean_total"],
    name=tr("部门平均", "Department mean"),
    line={"color": "grey", "dash": "dot"},
    hovertemplate="%{x}: %{y:.2f}<extra></extra>",
)
trend.add_scatter(
    x=history["period"],
    y=history["total"],
    name=chart_text(person["name"]),
    mode="lines+markers",
    customdata=history[grade_column].astype(str),
    hovertemplate="%{x}: %{y:.2f} · %{customdata}<extra></extra>",
)
# Lines and band go in as layout shapes: add_hline and add_vrect take ~30 ms each in plotly 7.
lines, names = grade_lines(scheme, lang)
first, last = (pd.Period(m, "M").start_time for m in (months[0], months[-1]))
half_month = pd.Timedelta(days=15)
trend.update_layout(
    shapes=[
        dict(
            type="rect",
            yref="paper",
            y0=0,
            y1=1,
            x0=first - half_month,
            x1=last + half_month,
            fillcolor="grey",
            opacity=0.12,
            line_width=0,
            layer="below",
        ),
        *lines,
    ],
    annotations=names,
    height=420,
    margin={"t": 40},
    legend={"orientation": "h"},
    yaxis_title=tr("总分", "Total"),
    xaxis={"tickformat": "%Y-%m", "dtick": "M2"},
)
right.markdown(tr("**各月总分与等级线**", "**Monthly totals and grade cutoffs**"))
right.plotly_chart(trend, width="stretch")

with st.expander(tr("下载各月成绩", "Download the monthly results")):
    columns = ["period", "total", "grade", "rank", "dept_rank", "bonus", "missing_count"]
    st.dataframe(
        labelled(grade_words(history[columns], scheme), scheme), hide_index=True, width="stretch"
    )
    downloads(
        history[columns],
        f"months_{employee_id}",
        scheme,
        key="employee_months",
        period=f"{history['period'].iloc[0]}~{history['period'].iloc[-1]}",
        scope=f"{employee_id} {person['name']}",
    )
