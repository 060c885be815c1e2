"""The what-if results: grade counts side by side, the transition matrix, money and shift per
department, sensitivity curves and the people whose grade changes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from engine.analysis import whatif
from engine.analysis.ranking import grade_labels
from engine.schemes.scheme import Scheme
from ui.i18n import chart_text, labelled, language, tr
from ui.page import downloads, grade_colors
from ui.whatif.basis import Prepared

SHOWN_ROWS = 500


BASELINE_COLOR = "#9aa5b1"


SCENARIO_COLOR = "#1f77b4"


RESULT_LABELS = {
    "baseline": ("基线人数", "Baseline"),
    "baseline_share": ("基线占比 %", "Baseline %"),
    "scenario": ("模拟人数", "Scenario"),
    "scenario_share": ("模拟占比 %", "Scenario %"),
    "change": ("变化", "Change"),
    "target_share": ("目标占比 %", "Target %"),
    "baseline_mean": ("基线平均分", "Baseline mean"),
    "scenario_mean": ("模拟平均分", "Scenario mean"),
    "up": ("升级人数", "Up"),
    "down": ("降级人数", "Down"),
    "baseline_money": ("基线奖金", "Baseline money"),
    "scenario_money": ("模拟奖金", "Scenario money"),
    "money_change": ("奖金变化", "Money change"),
    "baseline_total": ("基线总分", "Baseline total"),
    "scenario_total": ("模拟总分", "Scenario total"),
    "baseline_grade": ("基线等级", "Baseline grade"),
    "scenario_grade": ("模拟等级", "Scenario grade"),
    "next_grade": ("上一等级", "Next grade"),
    "points_needed": ("还差分数", "Points needed"),
    "group": ("部门", "Department"),
}


def result_labels(frame: pd.DataFrame, scheme: Scheme, sides: tuple[str, str] | None = None):
    """Headers in the user's language; `sides` renames 基线/模拟 (e.g. to two scenario names)."""
    names = {k: tr(*v) for k, v in RESULT_LABELS.items() if k in frame}
    if sides:
        for column, text in names.items():
            names[column] = text.replace(tr("基线", "Baseline"), sides[0]).replace(
                tr("模拟", "Scenario"), sides[1]
            )
    return labelled(frame.rename(columns=names), scheme)


def grade_names_shown(frame: pd.DataFrame, scheme: Scheme, columns=("grade",)) -> pd.DataFrame:
    names = grade_labels(scheme, language())
    return frame.assign(
        **{c: frame[c].map(lambda g: names.get(g, g)) for c in columns if c in frame}
    )


def grade_chart(summary: pd.DataFrame, scheme: Scheme, sides: tuple[str, str]) -> go.Figure:
    """Headcount per grade, the two sides as grouped bars."""
    names = [grade_labels(scheme, language())[g] for g in summary["grade"]]
    chart = go.Figure(
        [
            go.Bar(
                x=names,
                y=summary["baseline"],
                name=sides[0],
                marker_color=BASELINE_COLOR,
                text=summary["baseline"],
            ),
            go.Bar(
                x=names,
                y=summary["scenario"],
                name=sides[1],
                marker_color=SCENARIO_COLOR,
                text=summary["scenario"],
            ),
        ]
    )
    chart.update_layout(
        barmode="group",
        height=320,
        margin={"t": 30, "b": 10},
        yaxis_title=tr("人数", "Headcount"),
        legend={"orientation": "h", "y": 1.12},
    )
    return chart


def matrix_view(matrix: pd.DataFrame, scheme: Scheme, widget_key: str) -> tuple[str, str]:
    """The transition matrix as a table in which one cell can be chosen; the chosen cell
    (baseline grade, scenario grade), by default the largest cell off the diagonal."""
    names = grade_labels(scheme, language())
    shown = matrix.rename(index=names, columns=names)
    shown.index.name = tr("基线 ↓ / 模拟 →", "Baseline ↓ / scenario →")
    event = st.dataframe(
        shown,
        on_select="rerun",
        selection_mode="single-cell",
        key=widget_key,
        width="stretch",
    )
    cells = list(getattr(getattr(event, "selection", None), "cells", []) or [])
    labels = list(matrix.columns)
    shown_to_grade = dict(zip(shown.columns, labels, strict=True))
    if cells:
        row, column = cells[0]
        if 0 <= int(row) < len(matrix) and column in shown_to_grade:
            return matrix.index[int(row)], shown_to_grade[column]
    off = matrix.to_numpy().copy()
    np.fill_diagonal(off, 0)
    if off.max() == 0:
        off = matrix.to_numpy()
    row, column = np.unravel_index(np.argmax(off), off.shape)
    return matrix.index[row], matrix.columns[column]


def sweep_chart(
    sweep: pd.DataFrame, scheme: Scheme, marks: list[tuple[str, float, str]]
) -> go.Figure:
    """One line per grade: its share as the chosen minimum moves; marks as vertical lines."""
    names = grade_labels(scheme, language())
    colors = grade_colors(len(scheme.grade_names))
    chart = go.Figure()
    for grade, color in zip(scheme.grade_names, colors, strict=True):
        rows = sweep[sweep["grade"] == grade]
        chart.add_trace(
            go.Scatter(
                x=rows["cutoff"],
                y=rows["share"],
                mode="lines",
                name=names[grade],
                line={"color": color, "width": 2.5},
            )
        )
    for text, value, color in marks:
        chart.add_vline(
            x=value,
            line_dash="dash",
            line_color=color,
            annotation_text=f"{text} {value:g}",
            annotation_position="top",
        )
    chart.update_layout(
        height=360,
        margin={"t": 40, "b": 10},
        xaxis_title=tr("分数线", "Minimum"),
        yaxis_title=tr("占比 %", "Share %"),
        yaxis_ticksuffix="%",
        legend={"orientation": "h", "y": -0.2},
    )
    return chart


def department_chart(shift: pd.DataFrame) -> go.Figure:
    """Money change per department, as bars (one per department, not per person)."""
    ordered = shift.sort_values("money_change")
    chart = go.Figure(
        go.Bar(
            x=ordered["money_change"],
            y=chart_text(ordered["department"]),
            orientation="h",
            marker_color=np.where(ordered["money_change"] >= 0, "#2a9d8f", "#e76f51"),
            text=[f"{v:+,.0f}" for v in ordered["money_change"]],
        )
    )
    chart.update_layout(
        height=140 + 30 * len(ordered),
        margin={"t": 20, "b": 10},
        xaxis_title=tr("奖金变化(元)", "Money change (yuan)"),
    )
    return chart


def money_text(value: float) -> str:
    return f"{value:,.0f}"


def headline(before: whatif.Outcome, after: whatif.Outcome, scheme: Scheme, sides) -> None:
    """Four figures: people changing grade, mean total, money, share of the best grade."""
    moved = int((before.grade != after.grade).sum())
    money = whatif.money_totals(before, after)
    best = grade_labels(scheme, language())[scheme.grade_names[0]]

    def mean(outcome: whatif.Outcome) -> float:
        return float(np.nanmean(outcome.total)) if np.isfinite(outcome.total).any() else np.nan

    def best_share(outcome: whatif.Outcome) -> float:
        graded = outcome.grade_counts[:-1].sum()
        return 100.0 * outcome.grade_counts[0] / graded if graded else np.nan

    def delta(change: float, shape: str) -> str | None:
        return None if not np.isfinite(change) or abs(change) < 0.005 else shape.format(change)

    figures = st.columns(4)
    figures[0].metric(tr("等级变化人数", "People changing grade"), f"{moved}")
    figures[1].metric(
        tr(f"平均分({sides[1]})", f"Mean total ({sides[1]})"),
        f"{mean(after):.2f}",
        delta(mean(after) - mean(before), "{:+.2f}"),
    )
    figures[2].metric(
        tr(f"奖金总额({sides[1]})", f"Money ({sides[1]})"),
        money_text(money["scenario"]),
        delta(money["change"], "{:+,.0f}"),
        delta_color="inverse",
    )
    figures[3].metric(
        tr(f"{best}占比", f"Share {best}"),
        f"{best_share(after):.1f}%",
        delta(best_share(after) - best_share(before), "{:+.1f}"),
    )


def comparison(
    prepared: Prepared,
    before: whatif.Outcome,
    after: whatif.Outcome,
    scheme: Scheme,
    sides: tuple[str, str],
    prefix: str,
    extra: tuple[str, ...] = (),
) -> list:
    """Grades side by side, the transition matrix with the people of a chosen cell, the shift
    per department with money, and everyone whose grade changes; returns the extra tabs."""
    basis = prepared.basis
    tabs = st.tabs(
        [
            tr("等级对比", "Grades"),
            tr("转移矩阵", "Transitions"),
            tr("部门与奖金", "Departments and money"),
            tr("等级变化名单", "Who changes grade"),
            *extra,
        ]
    )
    with tabs[0]:
        summary = whatif.grade_summary(before, after)
        st.plotly_chart(grade_chart(summary, scheme, sides), width="stretch")
        shown = grade_names_shown(summary, scheme)
        st.dataframe(result_labels(shown, scheme, sides), hide_index=True, width="stretch")
    with tabs[1]:
        matrix = whatif.transitions(before, after)
        st.caption(
            tr(
                f"行为{sides[0]}等级,列为{sides[1]}等级;各格合计 {int(matrix.to_numpy().sum())} "
                "人。点选一格,列出其中的人员。",
                f"Rows: {sides[0]} grade; columns: {sides[1]} grade; the cells add up to "
                f"{int(matrix.to_numpy().sum())} people. Choose a cell to list its people.",
            )
        )
        row, column = matrix_view(matrix, scheme, f"{prefix}_matrix")
        names = grade_labels(scheme, language())
        people = whatif.people_in_cell(basis, before, after, row, column)
        st.markdown(
            tr(
                f"**{sides[0]} {names.get(row, row)} → {sides[1]} {names.get(column, column)}:"
                f"{len(people)} 人**",
                f"**{sides[0]} {names.get(row, row)} → {sides[1]} {names.get(column, column)}: "
                f"{len(people)} people**",
            )
        )
        people_table(people, scheme, sides, f"{prefix}_cell")
    with tabs[2]:
        shift = whatif.department_shift(basis, before, after)
        money = whatif.money_totals(before, after)
        st.markdown(
            tr(
                f"奖金总额:{sides[0]} {money_text(money['baseline'])} 元 → {sides[1]} "
                f"{money_text(money['scenario'])} 元(变化 {money['change']:+,.0f} 元)",
                f"Money in total: {sides[0]} {money_text(money['baseline'])} → {sides[1]} "
                f"{money_text(money['scenario'])} yuan (change {money['change']:+,.0f})",
            )
        )
        st.plotly_chart(department_chart(shift), width="stretch", key=f"{prefix}_departments")
        st.dataframe(result_labels(shift, scheme, sides), hide_index=True, width="stretch")
    with tabs[3]:
        changed = whatif.changed_people(basis, before, after)
        st.markdown(tr(f"**{len(changed)} 人等级变化**", f"**{len(changed)} people change grade**"))
        people_table(changed, scheme, sides, f"{prefix}_changed")
    return tabs[4:]


def people_table(frame: pd.DataFrame, scheme: Scheme, sides, name: str) -> None:
    """People with both totals, grades and money; the first rows shown, all downloadable."""
    shown = grade_names_shown(frame, scheme, ("baseline_grade", "scenario_grade"))
    shown = result_labels(shown, scheme, sides)
    st.dataframe(shown.head(SHOWN_ROWS), hide_index=True, width="stretch")
    if len(frame) > SHOWN_ROWS:
        st.caption(
            tr(
                f"仅显示前 {SHOWN_ROWS} 人,完整名单请下载。",
                f"The first {SHOWN_ROWS} are shown; download the full list.",
            )
        )
    if len(frame):
        downloads(shown, name, scheme, key=name)
