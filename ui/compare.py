"""Two periods of one department side by side on the overview: grade mix, KPI means, the
department's rank, everyone's move; score axes from zero or at least 20 points wide."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from engine.analysis.compare import (
    department_rank,
    grade_mix,
    kpi_means,
    move_counts,
    people_moves,
)
from engine.analysis.ranking import grade_labels
from engine.schemes.scheme import Scheme
from engine.scoring.periods import months_held, parse_period, previous
from ui import data
from ui.i18n import labelled, language, plain, tr
from ui.page import downloads
from ui.sidebar import View, period_labeller

MOVE_NAMES = {
    "up": ("升级", "Up a grade"),
    "down": ("降级", "Down a grade"),
    "same": ("等级不变", "Same grade"),
    "joined": ("新增", "Joined"),
    "left": ("离开", "Left"),
}
PERIOD_COLORS = ("#9e9e9e", "#1f77b4")


def default_pair(view: View, choices: list[str]) -> tuple[str, str]:
    """Period B is the one in the sidebar, A the one before it (else the next older one)."""
    before = previous(parse_period(view.period)).label
    older = [p for p in choices if p < view.period]
    first = before if before in choices else (older[0] if older else view.period)
    return first, view.period


def draw(view: View, scheme: Scheme) -> None:
    """The comparison section for the sidebar's kind of period and a department chosen here."""
    st.subheader(tr("两期对比(按部门)", "Two periods side by side, for a department"))
    found = data.periods()
    held, choices = found["month"], found[view.kind]
    everyone_now = data.scored(view.period, scheme)
    departments = sorted(everyone_now["department"].dropna().astype(str).unique().tolist())
    if len(choices) < 2 or not departments:
        st.caption(
            tr("只有一个期间的数据,无法对比。", "Only one period has data: nothing to compare.")
        )
        return
    first, second = default_pair(view, choices)
    chosen = [d for d in view.departments if d in departments]
    left, middle, right = st.columns(3)
    department = left.selectbox(
        tr("部门", "Department"),
        departments,
        index=departments.index(chosen[0]) if chosen else 0,
        key="compare_department",
    )
    label = period_labeller(held)
    period_a = middle.selectbox(
        tr("期间 A", "Period A"),
        choices,
        index=choices.index(first),
        format_func=label,
        key="compare_a",
    )
    period_b = right.selectbox(
        tr("期间 B", "Period B"),
        choices,
        index=choices.index(second),
        format_func=label,
        key="compare_b",
    )
    count_a, count_b = len(months_held(period_a, held)), len(months_held(period_b, held))
    if count_a != count_b:
        st.warning(
            tr(
                f"两期长度不同:{period_a} 有 {count_a} 个月的数据,{period_b} 有 {count_b} 个月。"
                "期间分数是各月总分的平均,月份少的期间受单月波动影响更大。",
                f"The periods differ in length: {period_a} holds {count_a} months of data, "
                f"{period_b} {count_b}. A period's score is the mean of its monthly totals; the "
                "one with fewer months swings more with a single month.",
            ),
            icon="⚠️",
        )
    table_a, table_b = data.scored(period_a, scheme), data.scored(period_b, scheme)
    in_a = table_a[table_a["department"] == department]
    in_b = table_b[table_b["department"] == department]
    headline(department, period_a, period_b, table_a, table_b)
    grades_chart(grade_mix(in_a, in_b, scheme), scheme, period_a, period_b)
    kpi_chart(kpi_means(in_a, in_b, scheme), scheme, period_a, period_b)
    moves_table(people_moves(in_a, in_b, scheme), scheme, department, period_a, period_b)


def headline(department: str, period_a: str, period_b: str, a: pd.DataFrame, b: pd.DataFrame):
    """The department's mean total and its rank among the departments in each period."""
    mean_a, rank_a, of_a = department_rank(a, department)
    mean_b, rank_b, of_b = department_rank(b, department)
    cards = st.columns(3)
    cards[0].metric(tr(f"平均分 {period_a}", f"Mean total {period_a}"), fmt(mean_a))
    change = None if mean_a != mean_a or mean_b != mean_b else f"{mean_b - mean_a:+.2f}"
    cards[1].metric(tr(f"平均分 {period_b}", f"Mean total {period_b}"), fmt(mean_b), change)
    rank_change = None if rank_a != rank_a or rank_b != rank_b else int(rank_a - rank_b)
    cards[2].metric(
        tr("部门排名", "Department rank"),
        f"{fmt(rank_b, 0)} / {of_b}",
        None if not rank_change else f"{rank_change:+d}",
        help=tr(
            f"按平均分在 {of_b} 个部门中的名次;{period_a} 为第 {fmt(rank_a, 0)} / {of_a}。",
            f"By mean total among {of_b} departments; {period_a}: {fmt(rank_a, 0)} / {of_a}.",
        ),
    )


def fmt(value: float, decimals: int = 2) -> str:
    return "—" if value != value else f"{value:.{decimals}f}"


def grades_chart(mix: pd.DataFrame, scheme: Scheme, period_a: str, period_b: str) -> None:
    """Share of each grade in A and B as grouped bars on a 0–100 % axis."""
    names = grade_labels(scheme, language())
    figure = go.Figure()
    for suffix, period, color in (
        ("a", period_a, PERIOD_COLORS[0]),
        ("b", period_b, PERIOD_COLORS[1]),
    ):
        figure.add_bar(
            x=mix["grade"].map(names),
            y=mix[f"share_{suffix}"],
            name=period,
            marker_color=color,
            customdata=mix[f"count_{suffix}"],
            texttemplate="%{y:.0f}%",
            hovertemplate=f"{period} · %{{x}}: %{{y:.1f}}% (%{{customdata}} "
            + tr("人", "people")
            + ")<extra></extra>",
        )
    figure.update_layout(
        barmode="group",
        height=320,
        margin={"t": 30},
        title=tr("等级分布", "Grade mix"),
        yaxis={"range": [0, 100], "title": tr("占比 %", "Share %")},
        legend={"orientation": "h"},
    )
    st.plotly_chart(figure, width="stretch", key="compare_grades")


def kpi_chart(means: pd.DataFrame, scheme: Scheme, period_a: str, period_b: str) -> None:
    """Mean KPI scores in A and B as grouped bars on the full 0–100 score axis."""
    if means.empty:
        return
    names = {k.id: k.label(language()) for k in scheme.kpis}
    figure = go.Figure()
    for suffix, period, color in (
        ("a", period_a, PERIOD_COLORS[0]),
        ("b", period_b, PERIOD_COLORS[1]),
    ):
        figure.add_bar(
            x=means["kpi"].map(names),
            y=means[f"mean_{suffix}"],
            name=period,
            marker_color=color,
            hovertemplate=f"{period} · %{{x}}: %{{y:.2f}}<extra></extra>",
        )
    figure.update_layout(
        barmode="group",
        height=360,
        margin={"t": 30},
        title=tr("各指标平均得分", "Mean KPI scores"),
        yaxis={"range": [0, 100], "title": tr("得分(0–100)", "Score (0–100)")},
        xaxis={"tickangle": -30},
        legend={"orientation": "h"},
    )
    st.plotly_chart(figure, width="stretch", key="compare_kpis")
    shown = means.assign(kpi=means["kpi"].map(names)).round(2)
    st.dataframe(
        shown.rename(
            columns={
                "kpi": tr("指标", "KPI"),
                "mean_a": f"{period_a}",
                "mean_b": f"{period_b}",
                "change": tr("变化", "Change"),
            }
        ),
        hide_index=True,
        width="stretch",
    )


def moves_table(
    moves: pd.DataFrame, scheme: Scheme, department: str, period_a: str, period_b: str
) -> None:
    """Counts of who moved up, down, joined or left, and everyone's two results."""
    counts = move_counts(moves)
    st.markdown(
        tr(f"**{plain(department)}:谁变了**", f"**{plain(department)}: who moved**")
        + " · "
        + " · ".join(f"{tr(*MOVE_NAMES[m])} {n}" for m, n in counts.items())
    )
    names = grade_labels(scheme, language())
    shown = moves.assign(
        grade_a=moves["grade_a"].map(names),
        grade_b=moves["grade_b"].map(names),
        move=moves["move"].map(lambda m: tr(*MOVE_NAMES[m])),
        change=moves["change"].round(2),
    )
    headers = {
        "total_a": tr(f"总分 {period_a}", f"Total {period_a}"),
        "total_b": tr(f"总分 {period_b}", f"Total {period_b}"),
        "grade_a": tr(f"等级 {period_a}", f"Grade {period_a}"),
        "grade_b": tr(f"等级 {period_b}", f"Grade {period_b}"),
        "dept_rank_a": tr(f"部门排名 {period_a}", f"Dept rank {period_a}"),
        "dept_rank_b": tr(f"部门排名 {period_b}", f"Dept rank {period_b}"),
        "move": tr("变动", "Move"),
    }
    table = labelled(shown.rename(columns=headers), scheme)
    st.dataframe(table, hide_index=True, width="stretch", placeholder="—")
    with st.expander(tr("下载两期对比", "Download the comparison")):
        downloads(
            shown.rename(columns=headers),
            f"compare_{period_a}_{period_b}",
            scheme,
            key="compare_moves",
        )
