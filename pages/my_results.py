"""我的绩效 · My results: an employee's own statement for each published month (raw value →
points → category → total → grade → money, with adjustments and vetoes and their reasons),
their totals over the published months and, when the scheme allows it, their rank."""

from collections.abc import Callable

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from engine.analysis.breakdown import (
    category_statement,
    closing_notes,
    score_statement,
    unit_name,
)
from engine.cycle.eligibility import statuses
from engine.cycle.printing import paper_records
from engine.cycle.publication import shows_rank
from engine.output.statement import build_statements
from engine.output.statement_pdf import statements_pdf
from ui import acknowledge, data, sidebar
from ui.i18n import labelled, language, plain, tr
from ui.page import document_download, downloads, grade_lines, month_badges

STATEMENT_LABELS = {
    "category": ("类别", "Category"),
    "kpi": ("指标", "KPI"),
    "value": ("原始值", "Raw value"),
    "unit": ("单位", "Unit"),
    "score": ("指标得分", "KPI score"),
    "kpi_weight": ("类别内权重 %", "Weight in category %"),
    "category_weight": ("类别权重 %", "Category weight %"),
    "points": ("贡献分", "Points"),
    "note": ("备注", "Note"),
}
CATEGORY_LABELS = {
    "category": ("类别", "Category"),
    "category_weight": ("类别权重 %", "Category weight %"),
    "score": ("类别得分", "Category score"),
    "points": ("贡献分", "Points"),
}
RANK_COLUMNS = ["rank", "dept_rank", "team_rank"]
RECENT_MONTHS = 12  # statements drawn at once; earlier months are picked one at a time

access = data.access()
if not access.is_employee:
    st.info(
        tr(
            "此页面供员工账户查看本人已发布的考核结果;查看某位员工请用「员工详情」。",
            "This page shows an employee account its own published results; to look at a "
            "person, use the Employee page.",
        )
    )
    st.stop()

scheme = sidebar.scheme()
lang = language()
ranked = shows_rank(scheme)
kpi_names = {k.id: k.label(lang) for k in scheme.kpis}
category_names = {c.id: c.label(lang) for c in scheme.categories}
units = {k.id: unit_name(k.unit, lang) for k in scheme.kpis}
status_names = {name: s.name_en for name, s in statuses(scheme).items()}
grade_column = "grade" if lang == "zh" else "grade_en"
months = data.own_months(scheme)  # every published month: totals, grades, ranks, money
published = data.published().set_index("period")

st.title(tr("我的绩效", "My results"))
if months.empty:
    st.info(
        tr(
            "还没有已发布的考核结果。结果经审批并发布后会显示在这里。",
            "No results have been published to you yet. They show here once a month is "
            "approved and published.",
        )
    )
    st.stop()

latest = months.iloc[-1]
where = [plain(latest[c]) for c in ("department", "team", "role") if pd.notna(latest[c])]
st.header(f"{plain(latest['name'])} · {plain(latest['employee_id'])}", divider="grey")
st.caption(" · ".join(where))


def draw_trend(rows: pd.DataFrame) -> None:
    """Totals over the published months (`rows`: one per month) against the grade cutoffs, and
    the months as a table."""
    lines, names = grade_lines(scheme, lang)
    figure = go.Figure()
    figure.add_scatter(
        x=rows["period"],
        y=rows["total"],
        mode="lines+markers",
        name=tr("总分", "Total"),
        customdata=rows[grade_column].astype(str),
        hovertemplate="%{x}: %{y:.2f} · %{customdata}<extra></extra>",
    )
    figure.update_layout(
        shapes=lines,
        annotations=names,
        height=320,
        margin={"t": 30},
        yaxis_title=tr("总分", "Total"),
        xaxis={"type": "category"},
    )
    st.plotly_chart(figure, width="stretch")
    columns = ["period", "total", "grade", "bonus", *(RANK_COLUMNS if ranked else [])]
    months = rows[columns]
    st.dataframe(labelled(months, scheme), hide_index=True, width="stretch")
    downloads(months, f"my_results_{access.employee_id}", scheme, key="my_months")


def draw_month(month: pd.DataFrame) -> None:
    """One month's statement (`month`: the person's row of it): each KPI from raw value to
    points, the categories, the total, the grade and the money, what the closing of the month
    changed and why, the person's status and when the month was published."""
    person = month.iloc[0]
    period = person["period"]
    month_badges(period)
    statement = score_statement(person, month, scheme)
    categories = category_statement(statement, person, scheme)
    cards = [
        (tr("总分", "Total"), f"{person['total']:.2f}"),
        (tr("等级", "Grade"), str(person[grade_column])),
        (tr("奖金", "Money"), f"{person['bonus']:,.2f}"),
    ]
    if ranked:
        ranks = ["—" if pd.isna(person[c]) else str(int(person[c])) for c in RANK_COLUMNS]
        cards.append((tr("排名 公司/部门/班组", "Rank company/dept/team"), " / ".join(ranks)))
    for column, (label, value) in zip(st.columns(len(cards)), cards, strict=True):
        column.metric(label, value)
    status = str(person.get("status") or "")
    shown_status = status if lang == "zh" else status_names.get(status, status)
    note = str(person.get("status_note") or "")
    since = published.loc[period, "published_at"]
    st.caption(
        tr("人员状态:", "Status: ")
        + (plain(shown_status) or "—")
        + (f"({plain(note)})" if note else "")
        + tr(f" · 发布于 {since:%Y-%m-%d}", f" · published {since:%Y-%m-%d}")
    )

    kpis = statement.assign(
        category=statement["category"].map(category_names),
        kpi=statement["kpi"].map(kpi_names),
        unit=statement["kpi"].map(units),
        note=np.where(statement["value"].isna(), tr("缺失", "missing"), ""),
    )[list(STATEMENT_LABELS)].round(2)
    kpis = kpis.rename(columns={k: tr(*v) for k, v in STATEMENT_LABELS.items()})
    st.dataframe(kpis, hide_index=True, width="stretch", height="content")
    by_category = categories.assign(category=categories["category"].map(category_names))
    by_category = by_category.round(2).rename(
        columns={k: tr(*v) for k, v in CATEGORY_LABELS.items()}
    )
    st.dataframe(by_category, hide_index=True, width="stretch")
    computed = person.get("computed_total", np.nan)
    base = person["total"] if pd.isna(computed) else computed
    st.caption(
        tr(
            f"贡献分合计 {statement['points'].sum():.2f} = 计算总分 {base:.2f};总分 "
            f"{person['total']:.2f} → 等级「{person['grade']}」→ 奖金 {person['bonus']:,.2f}。",
            f"Points add up to {statement['points'].sum():.2f} = computed total {base:.2f}; "
            f"total {person['total']:.2f} → grade {person['grade_en']} → money "
            f"{person['bonus']:,.2f}.",
        )
    )
    for closing in closing_notes(person):  # adjustment and veto, each with its reason
        st.text(tr(*closing))
    downloads(kpis, f"statement_{access.employee_id}_{period}", key=f"my_statement_{period}")
    document_download(
        tr("下载本月考核表(PDF,可打印签字)", "Download this month's statement (PDF, to sign)"),
        printed(month),
        f"绩效考核表_{access.employee_id}_{period}.pdf",
        "1 statement",
        key=f"my_pdf_{period}",
    )
    acknowledge.draw(period, scheme, given=recent_answers)


def printed(month: pd.DataFrame) -> Callable[[], bytes]:
    """The person's statement (绩效考核表) of the month with its interview record and answer,
    made when the button is clicked."""
    store, period = data.current_store(), month["period"].iloc[0]

    def make() -> bytes:
        interviews, answers = paper_records(store, period)
        own = [interviews, answers]
        own = [t[t["employee_id"].eq(access.employee_id)] if len(t) else t for t in own]
        built = build_statements(month, month, scheme, period, *own, language=lang)
        return statements_pdf(built)

    return make


st.subheader(tr("各月总分", "Totals by month"))
draw_trend(months)
st.subheader(tr("各月考核结果", "Monthly statements"))
# The last year's statements are drawn at once (newest first, the newest open); earlier ones one
# at a time, as picked: ten years of months drawn on every run took seconds. Only the months
# drawn are read in full.
periods = months["period"].tolist()
recent, earlier = periods[-RECENT_MONTHS:], periods[:-RECENT_MONTHS]


def month_title(month: pd.DataFrame) -> str:
    return f"{month['period'].iloc[0]} · {month[grade_column].iloc[0]}"


statements = data.own_results(scheme, recent)
recent_answers = acknowledge.known(data.current_store(), scheme, recent, str(access.employee_id))
for period in reversed(recent):
    month = statements[statements["period"].eq(period)]
    with st.expander(month_title(month), expanded=period == periods[-1]):
        draw_month(month)
if earlier:
    picked = st.selectbox(
        tr(f"更早的月份(共 {len(earlier)} 个)", f"Earlier months ({len(earlier)})"),
        list(reversed(earlier)),
        index=None,
        placeholder=tr("选择月份查看考核表", "Pick a month to see its statement"),
        key="my_earlier_month",
    )
    if picked is not None:
        month = data.own_results(scheme, [picked])
        with st.expander(month_title(month), expanded=True):
            draw_month(month)
