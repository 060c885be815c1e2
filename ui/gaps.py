"""The KPI gaps of units at one level (department, team, person) against the level above or the
company, as a heatmap, sentences naming what costs a unit most, and a table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from engine.analysis.breakdown import (
    ADJUSTMENT,
    gap_sentence,
    kpi_columns,
    level_gaps,
    period_rows,
    person_points,
    signed,
)
from engine.schemes.scheme import Scheme
from engine.scoring.periods import parse_period
from ui import data
from ui.i18n import chart_text, language, plain, tr
from ui.page import downloads
from ui.sidebar import View

LEVEL_NAMES = {
    "department": ("部门", "Department"),
    "team": ("班组", "Team"),
    "person": ("个人", "Person"),
}
AGAINST_NAMES = {"parent": ("上一级", "The level above"), "company": ("全公司", "The company")}
# More rows than this make the heatmap unreadable; the table and downloads hold them all.
HEATMAP_ROWS_MAX = 30
SENTENCES_MAX = 3


def compared_name(row: pd.Series) -> str:
    """What the unit is compared with, as a sentence names it."""
    if row["compared_level"] == "company":
        return tr("公司", "company")
    return str(row["compared_with"]) or tr("(无班组)", "(no team)")


def draw(view: View, scheme: Scheme, table: pd.DataFrame) -> None:
    """The gap section of the KPI page for the filtered table."""
    lang = language()
    st.subheader(tr("差距分解:哪些指标拉低了总分", "Where a unit's gap comes from, KPI by KPI"))
    left, right = st.columns(2)
    default = "team" if view.departments or view.teams else "department"
    level = (
        left.segmented_control(
            tr("层级", "Level"),
            list(LEVEL_NAMES),
            default=default,
            format_func=lambda k: tr(*LEVEL_NAMES[k]),
            key="gap_level",
        )
        or default
    )
    against = (
        right.segmented_control(
            tr("对比对象", "Compared with"),
            list(AGAINST_NAMES),
            default="parent",
            format_func=lambda k: tr(*AGAINST_NAMES[k]),
            key="gap_against",
        )
        or "parent"
    )
    population = data.scored(view.period, scheme)
    chosen = parse_period(view.period).months
    months = period_rows(data.month_rows(scheme, chosen), population, chosen)
    gaps = level_gaps(table, population, person_points(population, months, scheme), level, against)
    if gaps.empty:
        st.info(tr("所选人员本期没有总分。", "Nobody chosen has a total this period."))
        return
    kpis = kpi_columns(table, scheme)
    names = {k.id: k.label(lang) for k in scheme.kpis if k.id in kpis}
    if gaps[f"gap_{ADJUSTMENT}"].abs().max() >= 0.005:
        names[ADJUSTMENT] = tr("加减分", "Adjustments")
    sentences = [gap_sentence(row, names, compared_name(row), lang) for _, row in gaps.iterrows()]
    gaps["summary"] = sentences
    weakest = [s for s, g in zip(sentences, gaps["gap"], strict=True) if g < 0]
    for sentence in weakest[:SENTENCES_MAX]:
        st.markdown("- " + plain(sentence))
    heatmap(gaps.head(HEATMAP_ROWS_MAX), names)
    st.caption(
        tr(
            "每格 = 该单位在此指标上为总分贡献的平均分 − 对比对象的平均分(即 权重 × 得分差,"
            "按每人岗位的权重,缺失指标的权重由同类别其他指标分担);各指标差距之和等于平均总分之差。"
            "按差距从低到高排列。",
            "Each cell = the points the KPI adds to the unit's mean total − the same for what it "
            "is compared with (weight × score difference, with each person's role weights, a "
            "missing KPI's weight shared by its category); the KPI gaps add up to the gap of the "
            "mean total. Weakest first.",
        )
        + (
            tr(
                f" 图中显示差距最大的 {HEATMAP_ROWS_MAX} 个,共 {len(gaps)} 个(见下载)。",
                f" The chart shows the {HEATMAP_ROWS_MAX} weakest of {len(gaps)} (see the "
                "download).",
            )
            if len(gaps) > HEATMAP_ROWS_MAX
            else ""
        )
    )
    with st.expander(tr("下载差距表", "Download the gaps")):
        downloads(labelled_gaps(gaps, names), f"kpi_gaps_{level}_{view.period}", key="gap_table")


def heatmap(gaps: pd.DataFrame, names: dict[str, str]) -> None:
    """Units × (total, KPIs): the gap in points of total, red below and green above."""
    columns = ["gap", *[f"gap_{k}" for k in names]]
    z = gaps[columns].to_numpy(dtype=float)
    bound = max(float(np.nanmax(np.abs(z))), 0.5) if z.size else 1.0
    own = gaps[["mean_total", *names]].to_numpy(dtype=float)
    base = own - z
    figure = go.Figure(
        go.Heatmap(
            z=z,
            x=[tr("总分", "Total"), *names.values()],
            y=chart_text(gaps["unit"]),
            customdata=np.dstack([own, base]),
            colorscale="RdYlGn",
            zmin=-bound,
            zmax=bound,
            text=np.vectorize(signed)(z) if z.size else z,
            texttemplate="%{text}",
            colorbar={"title": tr("分差", "Gap")},
            hovertemplate="%{y} · %{x}<br>"
            + tr("本单位", "This unit")
            + " %{customdata[0]:.2f}<br>"
            + tr("对比对象", "Compared with")
            + " %{customdata[1]:.2f}<br>"
            + tr("差距", "Gap")
            + " %{z:+.2f}<extra></extra>",
        )
    )
    figure.update_layout(
        height=160 + 34 * len(gaps),
        margin={"t": 20},
        xaxis={"tickangle": -30, "side": "top"},
        yaxis={"autorange": "reversed"},
    )
    st.plotly_chart(figure, width="stretch", key="gap_heatmap")


def labelled_gaps(gaps: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    """The gap table with headers in the user's language."""
    gap_word = tr("差距", "gap")
    columns = {
        "unit": tr("单位", "Unit"),
        "headcount": tr("人数", "Headcount"),
        "mean_total": tr("平均总分", "Mean total"),
        "compared_with": tr("对比对象", "Compared with"),
        "parent_total": tr("对比平均总分", "Compared mean total"),
        "gap": tr("总分差距", "Total gap"),
        **{f"gap_{k}": f"{n} {gap_word}" for k, n in names.items()},
        "summary": tr("说明", "Summary"),
    }
    shown = gaps.assign(
        compared_with=np.where(
            gaps["compared_level"] == "company", tr("公司", "Company"), gaps["compared_with"]
        )
    )
    return shown[list(columns)].round(2).rename(columns=columns)
