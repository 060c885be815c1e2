"""KPI breakdown: the KPI gaps of departments, teams or people against the level above, mean
KPI scores by department, one KPI's distribution, what each category adds to the total by
department, and the KPIs that set the top grade apart from the rest."""

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from engine.analysis.breakdown import (
    department_contributions,
    department_kpi_means,
    kpi_columns,
    period_rows,
    score_edges,
    separating_kpis,
    unit_name,
    value_histogram,
)
from engine.scoring.periods import parse_period
from ui import data, gaps
from ui.charts import readable_heatmap, short_label
from ui.i18n import chart_text, language, tr
from ui.page import downloads, require_view

view, scheme, table = require_view()
lang = language()
kpi_names = {k.id: k.label(lang) for k in scheme.kpis}
category_names = {c.id: c.label(lang) for c in scheme.categories}
units = pd.Series({k.id: unit_name(k.unit, lang) for k in scheme.kpis})
kpis = kpi_columns(table, scheme)
top_grade = scheme.grades[0].name if lang == "zh" else scheme.grades[0].name_en

st.title(tr("指标分析", "KPI breakdown") + f" · {view.period}")
st.caption(
    tr(f"{len(table)} 人", f"{len(table)} people")
    + " · "
    + f"{scheme.name_zh if lang == 'zh' else scheme.name_en} (v{scheme.version})"
)
if not kpis:
    st.info(tr("所选人员没有任何指标数据。", "The people chosen have no KPI data."))
    st.stop()

# ---------------------------------------------------------------- gaps at any level
gaps.draw(view, scheme, table)

# ---------------------------------------------------------------- department × KPI heatmap
st.subheader(tr("各部门指标平均得分", "Mean KPI score by department"))
means = department_kpi_means(table, scheme)
value_text = means[kpis].round(2).astype(str).replace("nan", "—") + " " + units[kpis]
headcount = np.broadcast_to(means[["headcount"]].astype(str).to_numpy(), value_text.shape)
full_names = np.array([chart_text(kpi_names[k]) for k in kpis], dtype=object)
heatmap = go.Figure(
    go.Heatmap(
        z=means[[f"score_{k}" for k in kpis]].to_numpy(),
        x=[short_label(kpi_names[k]) for k in kpis],
        y=chart_text(means["department"]),
        customdata=np.dstack(
            [value_text.to_numpy(), headcount, np.broadcast_to(full_names, value_text.shape)]
        ),
        colorscale="RdYlGn",
        texttemplate="%{z:.0f}",
        colorbar={"title": tr("得分", "Score")},
        hovertemplate="%{y} · %{customdata[2]}<br>"
        + tr("平均得分", "Mean score")
        + " %{z:.2f}<br>"
        + tr("平均原始值", "Mean raw value")
        + " %{customdata[0]}<br>"
        + tr("人数", "Headcount")
        + " %{customdata[1]}<extra></extra>",
    )
)
heatmap.update_layout(height=200 + 40 * len(means), yaxis={"autorange": "reversed"})
# No toolbar: it would lie over the KPI names on a phone; the means download below the chart.
st.plotly_chart(readable_heatmap(heatmap), width="stretch", config={"displayModeBar": False})
with st.expander(tr("下载部门指标平均值", "Download the department means")):
    downloads(means.round(2), f"kpi_means_{view.period}", scheme, key="kpi_means")

# ---------------------------------------------------------------- one KPI's distribution
st.subheader(tr("单项指标分布", "Distribution of one KPI"))
kpi_id = st.selectbox(tr("指标", "KPI"), kpis, format_func=kpi_names.get, key="kpi_distribution")
kpi = scheme.kpi(kpi_id)
bins = value_histogram(table[kpi_id])
axis_title = f"{kpi_names[kpi_id]} ({units[kpi_id]})"
histogram = go.Figure(
    go.Bar(
        x=(bins["left"] + bins["right"]) / 2,
        y=bins["count"],
        width=bins["right"] - bins["left"],
        customdata=bins["label"],
        marker_line_width=1,
        marker_line_color="white",
        hovertemplate=f"%{{customdata}} {units[kpi_id]}<br>"
        + tr("人数", "People")
        + " %{y}<extra></extra>",
    )
)
histogram.update_layout(
    shapes=[
        dict(
            type="line",
            yref="paper",
            x0=edge,
            x1=edge,
            y0=0,
            y1=1,
            line_dash="dot",
            line_color="grey",
        )
        for edge in score_edges(kpi)
    ],
    height=340,
    margin={"t": 20},
    bargap=0,
    xaxis_title=axis_title,
    yaxis_title=tr("人数", "People"),
)
st.plotly_chart(histogram, width="stretch")
values = table[kpi_id]
st.caption(
    tr(
        f"有数据 {values.notna().sum()} 人,缺失 {values.isna().sum()} 人;"
        f"平均 {values.mean():.2f},中位数 {values.median():.2f} {units[kpi_id]}。",
        f"{values.notna().sum()} people with data, {values.isna().sum()} missing; "
        f"mean {values.mean():.2f}, median {values.median():.2f} {units[kpi_id]}.",
    )
    + (
        tr(
            " 虚线:得分变化的位置(方案中的区间、档位或起止值)。",
            " Dotted lines: where the score changes (the scheme's bands, tiers, floor or target).",
        )
        if score_edges(kpi)
        else ""
    )
)
with st.expander(tr("下载分布表", "Download the distribution")):
    downloads(
        bins.rename(
            columns={
                "left": tr("下限", "From"),
                "right": tr("上限", "To"),
                "label": axis_title,
                "count": tr("人数", "People"),
            }
        ),
        f"distribution_{kpi_id}_{view.period}",
        key="kpi_histogram",
    )

# ---------------------------------------------------------------- category contributions
st.subheader(
    tr("各类别对总分的贡献(按部门)", "What each category adds to the total, by department")
)
months = parse_period(view.period).months
monthly_rows = period_rows(data.month_rows(view.scheme, months), table, months)
parts = department_contributions(table, monthly_rows, scheme)
contribution = go.Figure()
for category, name in category_names.items():
    contribution.add_bar(
        x=chart_text(parts["department"]),
        y=parts[category],
        name=name,
        texttemplate="%{y:.1f}",
        hovertemplate=f"%{{x}} · {name}: %{{y:.2f}}<extra></extra>",
    )
contribution.add_scatter(
    x=chart_text(parts["department"]),
    y=parts["mean_total"],
    mode="markers+text",
    name=tr("平均总分", "Mean total"),
    text=parts["mean_total"].map("{:.2f}".format),
    textposition="top center",
    marker={"color": "black", "symbol": "line-ew-open", "size": 24},
    hovertemplate="%{x} · " + tr("平均总分", "Mean total") + ": %{y:.2f}<extra></extra>",
)
contribution.update_layout(
    barmode="stack",
    height=420,
    margin={"t": 20},
    yaxis_range=[0, 110],
    yaxis_title=tr("贡献分", "Points"),
    legend={"orientation": "h", "traceorder": "normal"},
)
st.plotly_chart(contribution, width="stretch")
st.caption(
    tr(
        "每人按其岗位的权重计算,缺失指标的权重由同类别其他指标分担;各类别贡献之和即平均总分(四舍五入误差内)。",
        "Each person counts with their role's weights, a missing KPI's weight shared by the "
        "rest of its category; the categories add up to the mean total (up to rounding).",
    )
)
with st.expander(tr("下载类别贡献表", "Download the category contributions")):
    point_word = tr("贡献分", "points")
    downloads(
        parts.round(2).rename(columns={c: f"{n} {point_word}" for c, n in category_names.items()}),
        f"category_points_{view.period}",
        scheme,
        key="kpi_categories",
    )

# ---------------------------------------------------------------- top grade against the rest
st.subheader(tr(f"区分「{top_grade}」与其他人员的指标", f"KPIs that set '{top_grade}' apart"))
gaps = separating_kpis(table, scheme)
if gaps.empty:
    st.info(
        tr(
            f"本期所选人员中没有「{top_grade}」或全部为「{top_grade}」,无法比较。",
            f"Nobody chosen is '{top_grade}' this period, or everybody is: nothing to compare.",
        )
    )
else:
    gaps["kpi"] = gaps["kpi"].map(kpi_names)
    separating = go.Figure(
        go.Bar(
            x=gaps["gap"],
            y=gaps["kpi"],
            orientation="h",
            texttemplate="%{x:.1f}",
            customdata=gaps[["top_mean", "rest_mean"]].to_numpy(),
            hovertemplate="%{y}<br>"
            + tr(f"「{top_grade}」平均", f"{top_grade} mean")
            + " %{customdata[0]:.2f}<br>"
            + tr("其他人员平均", "Everyone else")
            + " %{customdata[1]:.2f}<br>"
            + tr("差距", "Gap")
            + " %{x:.2f}<extra></extra>",
        )
    )
    separating.update_layout(
        height=120 + 32 * len(gaps),
        margin={"t": 20},
        yaxis={"autorange": "reversed"},
        xaxis_title=tr("平均得分差", "Gap in mean score"),
    )
    st.plotly_chart(separating, width="stretch")
    with st.expander(tr("下载指标差距表", "Download the KPI gaps")):
        downloads(
            gaps.round(2).rename(
                columns={
                    "kpi": tr("指标", "KPI"),
                    "top_mean": tr(f"{top_grade}平均得分", f"{top_grade} mean"),
                    "rest_mean": tr("其他人员平均得分", "Everyone else mean"),
                    "gap": tr("差距", "Gap"),
                }
            ),
            f"kpi_gaps_{view.period}",
            key="kpi_gaps",
        )
