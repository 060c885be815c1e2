"""Ranking: departments and teams by mean total, then every person, with the change since the
previous period."""

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from engine.analysis.ranking import (
    CHART_ENDS,
    PAGE_SIZE,
    arrowed,
    bottom,
    ends,
    grade_labels,
    group_ranking,
    matching,
    page,
    page_count,
    person_ranking,
    top,
)
from engine.schemes.scheme import Scheme
from engine.scoring.periods import parse_period, previous
from ui import data
from ui.i18n import chart_text, column_label, labelled, language, plain, tr
from ui.page import downloads, require_view

EXTRA_LABELS = {"group_rank": ("排名", "Rank"), "previous_mean": ("上期平均分", "Previous mean")}
PERSON_COLUMNS = [
    "rank",
    "dept_rank",
    "team_rank",
    "employee_id",
    "name",
    "department",
    "team",
    "role",
    "total",
    "grade",
    "previous_total",
    "change",
    "rank_change",
]
BRIEF_COLUMNS = ["rank", "employee_id", "name", "department", "total", "grade", "change"]
UP, DOWN = "color: #1a7f37", "color: #cf222e"


def shown(table: pd.DataFrame, scheme: Scheme) -> pd.DataFrame:
    """The table as the user reads it: headers and grade names in their language."""
    names = grade_labels(scheme, language())
    out = table.rename(columns={g: f"{names[g]} %" for g in names})
    if "grade" in out:
        out["grade"] = out["grade"].astype(str).map(names).fillna("")
    out = out.rename(columns={c: tr(*EXTRA_LABELS[c]) for c in EXTRA_LABELS if c in out})
    return labelled(out, scheme)


def with_arrows(table: pd.DataFrame):
    """The shown table styled so changes read ↑ / ↓ in colour while still sorting as numbers."""
    change, rank_change = column_label("change"), column_label("rank_change")
    shares = [c for c in table.columns if str(c).endswith(" %")]
    styler = table.style.format(precision=2, na_rep="").format(precision=1, subset=shares)
    if change in table:
        styler = styler.format(lambda v: arrowed(v, 2), subset=[change])
    if rank_change in table:
        styler = styler.format(arrowed, subset=[rank_change])
    return styler.map(
        lambda v: "" if pd.isna(v) or v == 0 else UP if v > 0 else DOWN,
        subset=[c for c in (change, rank_change) if c in table],
    )


def too_many(groups: int) -> str:
    return tr(
        f"共 {groups} 个部门,图中只画出前 {CHART_ENDS} 名和后 {CHART_ENDS} 名;表中为全部。",
        f"{groups} departments: the chart draws the best {CHART_ENDS} and the worst "
        f"{CHART_ENDS}; the table lists them all.",
    )


def table_and_downloads(table: pd.DataFrame, name: str, key: str) -> None:
    """A sortable table with arrows for changes, then its CSV and Excel downloads (named after
    the page's period)."""
    readable = shown(table, scheme)
    st.dataframe(with_arrows(readable), hide_index=True, width="stretch", placeholder="")
    downloads(readable, f"{name}_{view.period}", key=key)


view, scheme, table = require_view()
previous_scores = data.scored_previous(view.period, view.scheme)
before = view.rows(previous_scores)
before_label = previous(parse_period(view.period)).label

st.title(tr("排名", "Ranking") + f" · {view.period}")
if before.empty:
    st.caption(
        tr(
            f"上一期 {before_label} 没有数据,无法比较变化。",
            f"The previous period, {before_label}, has no data: no changes to show.",
        )
    )
else:
    st.caption(
        tr(
            f"变化与上一期 {before_label} 比较:↑ 进步,↓ 退步。",
            f"Changes are against the previous period, {before_label}: ↑ up, ↓ down.",
        )
    )

st.subheader(tr("部门排名(按平均分)", "Departments by mean total"))
departments = group_ranking(table, before, scheme, ["department"])
charted = ends(departments)
charted = charted.assign(department=chart_text(charted["department"]))
chart = go.Figure(
    [
        go.Scatter(
            x=charted["previous_mean"],
            y=charted["department"],
            mode="markers",
            name=tr(f"上期 {before_label}", f"Previous, {before_label}"),
            marker={"symbol": "circle-open", "size": 11, "color": "#888"},
        ),
        go.Scatter(
            x=charted["mean_total"],
            y=charted["department"],
            mode="markers",
            name=tr(f"本期 {view.period}", f"This period, {view.period}"),
            marker={"size": 13, "color": "#4c78a8"},
        ),
    ]
)
chart.update_layout(
    height=120 + 32 * len(charted),
    margin={"t": 30, "b": 40},
    xaxis_title=tr("平均分", "Mean total"),
    legend={"orientation": "h", "y": 1.12},
    yaxis={
        "autorange": "reversed",
        "categoryorder": "array",
        "categoryarray": charted["department"].tolist(),
    },
)
st.plotly_chart(chart, width="stretch")
if len(charted) < len(departments):
    st.caption(too_many(len(departments)))
st.caption(
    tr("表中等级列为各等级人数占比(%)。", "Grade columns: share of the staff in each grade (%).")
)
table_and_downloads(departments, "departments", "ranking_departments")

st.subheader(tr("班组排名(按平均分)", "Teams by mean total"))
teams = group_ranking(table, before, scheme, ["department", "team"])
table_and_downloads(teams, "teams", "ranking_teams")

st.subheader(tr("个人排名", "People"))
st.caption(
    tr(
        "排名为全公司、部门内、班组内名次;名次变化为全公司名次较上期的升降。",
        "Ranks: in the company, the department and the team. Rank change: the company rank "
        "against the previous period.",
    )
)
# Everyone is compared with their own previous score, even after moving department.
columns = PERSON_COLUMNS + (["months"] if view.kind != "month" else [])
people = person_ranking(table, previous_scores)[columns]

count = st.columns([1, 3])[0].number_input(
    tr("前 / 后 N 名", "Top / bottom N"), 1, 100, 10, key="ranking_top_n"
)
best, worst = st.columns(2)
with best:
    st.markdown(tr(f"**前 {count} 名**", f"**Top {count}**"))
    table_and_downloads(top(people, count)[BRIEF_COLUMNS], f"top_{count}", "ranking_top")
with worst:
    st.markdown(tr(f"**后 {count} 名**", f"**Bottom {count}**"))
    table_and_downloads(bottom(people, count)[BRIEF_COLUMNS], f"bottom_{count}", "ranking_bottom")

st.markdown(tr("**全部人员**", "**Everyone**"))
search = st.text_input(
    tr("按姓名或工号查找", "Find by name or ID"),
    key="ranking_search",
    placeholder=tr("例如 王 或 E0012", "e.g. 王 or E0012"),
)
found = matching(people, search)
if found.empty:
    st.info(
        tr(
            f"没有姓名或工号包含“{plain(search)}”的人员。",
            f"No one's name or ID contains '{plain(search)}'.",
        )
    )
else:
    pages = page_count(len(found))
    if st.session_state.get("ranking_page", 1) > pages:
        st.session_state["ranking_page"] = 1
    number = st.number_input(tr("页码", "Page"), 1, pages, key="ranking_page") if pages > 1 else 1
    st.caption(
        tr(
            f"第 {number}/{pages} 页 · 共 {len(found)} 人(每页最多 {PAGE_SIZE} 人,下载为全部)",
            f"Page {number} of {pages} · {len(found)} people ({PAGE_SIZE} a page at most; "
            "the download holds them all)",
        )
    )
    readable = shown(found, scheme)
    st.dataframe(
        with_arrows(page(readable, number)), hide_index=True, width="stretch", placeholder=""
    )
    downloads(readable, f"ranking_{view.period}", key="ranking_people")
