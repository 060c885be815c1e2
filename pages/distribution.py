"""Grade distribution: the totals against the grade cutoffs, the grade mix of each department,
box plots per department and the mix against the scheme's target."""

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
import streamlit as st

from engine.analysis.ranking import (
    CHART_ENDS,
    against_target_mix,
    ends,
    grade_counts,
    grade_labels,
    grade_shares,
    group_means,
    histogram,
    quartiles,
)
from ui.i18n import chart_text, labelled, language, tr
from ui.page import downloads, grade_colors, require_view

# A gap from the target mix this large (percentage points) is marked in red.
NOTABLE_GAP = 5.0
LABELS = {
    "left": ("下限", "From"),
    "right": ("上限(不含)", "To (excl.)"),
    "count": ("人数", "Headcount"),
    "share": ("占比 %", "Share %"),
    "mean": ("平均分", "Mean"),
    "q1": ("下四分位", "Q1"),
    "median": ("中位数", "Median"),
    "q3": ("上四分位", "Q3"),
    "min": ("最低分", "Lowest"),
    "max": ("最高分", "Highest"),
    "lowerfence": ("下须", "Lower whisker"),
    "upperfence": ("上须", "Upper whisker"),
    "outliers": ("离群人数", "Outliers"),
    "target_share": ("目标占比 %", "Target share %"),
    "difference": ("偏差(百分点)", "Gap (points)"),
    "target_count": ("目标人数", "Target headcount"),
    "excess": ("超出目标人数", "Over target (people)"),
    "change": ("变化", "Change"),
}


def shown(frame: pd.DataFrame) -> pd.DataFrame:
    """A table with headers and grade names in the user's language."""
    out = frame.assign(grade=frame["grade"].astype(str).map(names)) if "grade" in frame else frame
    return labelled(out.rename(columns={k: tr(*v) for k, v in LABELS.items() if k in out}), scheme)


def too_many(groups: int) -> str:
    return tr(
        f"共 {groups} 个部门,图中只画出平均分前 {CHART_ENDS} 名和后 {CHART_ENDS} 名;表中为全部。",
        f"{groups} departments: the chart draws the {CHART_ENDS} best and the {CHART_ENDS} "
        "worst by mean total; the table lists them all.",
    )


def table_and_downloads(frame: pd.DataFrame, name: str) -> None:
    """A sortable table, shares to one decimal, then its CSV and Excel downloads."""
    shares = {c: st.column_config.NumberColumn(format="%.1f") for c in frame if c.endswith("%")}
    st.dataframe(frame, hide_index=True, width="stretch", column_config=shares)
    downloads(frame, f"{name}_{view.period}", key=f"distribution_{name}")


view, scheme, table = require_view()
names = grade_labels(scheme, language())
colors = dict(zip(names.values(), grade_colors(len(names)), strict=True))
words = {
    "grade": tr("等级", "Grade"),
    "department": tr("部门", "Department"),
    "count": tr("人数", "Headcount"),
    "share": tr("占比 %", "Share %"),
}

st.title(tr("等级分布", "Grade distribution") + f" · {view.period}")
totals = table["total"].dropna()
if totals.empty:
    st.warning(
        tr("所选人员都没有总分(缺少全部指标)。", "No one chosen has a total (all KPIs missing).")
    )
    st.stop()
figures = [
    (tr("人数", "Headcount"), f"{len(table)}"),
    (tr("平均分", "Mean total"), f"{totals.mean():.2f}"),
    (tr("中位数", "Median"), f"{totals.median():.2f}"),
    (tr("标准差", "Standard deviation"), f"{totals.std():.2f}" if len(totals) > 1 else "–"),
]
for column, (label, value) in zip(st.columns(4), figures, strict=True):
    column.metric(label, value)

st.subheader(tr("总分分布与等级线", "Totals and the grade cutoffs"))
bins = histogram(table, scheme)
bins = bins.assign(middle=(bins["left"] + bins["right"]) / 2, grade=bins["grade"].map(names))
chart = px.bar(
    bins,
    x="middle",
    y="count",
    color="grade",
    color_discrete_map=colors,
    category_orders={"grade": list(names.values())},
    custom_data=["left", "right", "share"],
    labels={"middle": tr("总分", "Total"), **words},
)
chart.update_traces(
    width=float(bins["right"].iloc[0] - bins["left"].iloc[0]),
    hovertemplate="%{customdata[0]}–%{customdata[1]}: %{y} "
    + tr("人", "people")
    + " (%{customdata[2]}%)<extra></extra>",
)
for level in scheme.grades[:-1]:
    chart.add_vline(
        x=level.min,
        line_dash="dash",
        line_color="#555",
        annotation_text=f"{names[level.name]} ≥ {level.min:g}",
        annotation_position="top left",
    )
chart.update_layout(bargap=0.05)
st.plotly_chart(chart, width="stretch")
st.caption(
    tr(
        "每根柱为一个分数区间(含下限、不含上限),虚线为各等级的最低分。",
        "Each bar is a score range (lower edge included); dashed lines are grade minimums.",
    )
)

st.subheader(tr("各部门等级构成", "Grade mix by department"))
ranked = group_means(table, ["department"]).sort_values("group_rank")["department"].tolist()
counts = grade_counts(table, scheme, ["department"]).set_index("department").loc[ranked]
shares = grade_shares(table, scheme, ["department"]).set_index("department").loc[ranked]
charted = ends(pd.Series(ranked)).tolist()
mix = (
    shares.loc[charted]
    .reset_index()
    .melt(id_vars="department", var_name="grade", value_name="share")
)
chart = px.bar(
    mix.assign(grade=mix["grade"].map(names), department=chart_text(mix["department"])),
    x="share",
    y="department",
    color="grade",
    orientation="h",
    text="share",
    color_discrete_map=colors,
    labels=words,
    category_orders={"grade": list(names.values()), "department": [chart_text(d) for d in charted]},
)
chart.update_traces(texttemplate="%{x:.0f}%", textposition="inside", insidetextanchor="middle")
chart.update_layout(
    barmode="stack",
    xaxis_range=[0, 100],
    xaxis_ticksuffix="%",
    uniformtext={"minsize": 10, "mode": "hide"},
    height=160 + 40 * len(charted),
)
st.plotly_chart(chart, width="stretch")
if len(charted) < len(ranked):
    st.caption(too_many(len(ranked)))
by_department = pd.concat(
    [
        counts.rename(columns=lambda g: f"{names[g]} {words['count']}"),
        shares.rename(columns=lambda g: f"{names[g]} %"),
    ],
    axis=1,
).reset_index()
table_and_downloads(labelled(by_department), "grade_mix")

st.subheader(tr("各部门总分箱线图", "Totals by department (box plots)"))
boxes = quartiles(table, "department").set_index("department").loc[ranked].reset_index()
drawn = boxes.set_index("department").loc[charted]
chart = go.Figure(
    go.Box(
        x=chart_text(drawn.index),
        q1=drawn["q1"],
        median=drawn["median"],
        q3=drawn["q3"],
        lowerfence=drawn["lowerfence"],
        upperfence=drawn["upperfence"],
        mean=drawn["mean"],
        boxpoints=False,
        boxmean=True,
        name=tr("总分", "Total"),
        marker_color="#4c78a8",
    )
)
for level in scheme.grades[:-1]:
    chart.add_hline(
        y=level.min,
        line_dash="dot",
        line_color="#999",
        annotation_text=names[level.name],
        annotation_position="top left",
    )
chart.update_layout(xaxis_title=words["department"], yaxis_title=tr("总分", "Total"))
st.plotly_chart(chart, width="stretch")
if len(charted) < len(ranked):
    st.caption(too_many(len(ranked)))
st.caption(
    tr(
        "箱体为上下四分位,中线为中位数,虚线为平均分;须线延伸到 1.5 倍四分位距内最远的分数;"
        "点线为等级最低分。",
        "Boxes span Q1–Q3 around the median; the dashed line is the mean; whiskers reach the "
        "furthest totals within 1.5 × IQR; dotted lines are grade minimums.",
    )
)
table_and_downloads(shown(boxes), "box_plots")

st.subheader(tr("与目标分布对比", "Against the target mix"))
target = against_target_mix(table, scheme)
if target.empty:
    st.caption(
        tr(
            "当前方案没有设定目标分布(方案文件的等级部分可以设定)。",
            "The scheme sets no target mix (grades.target_mix).",
        )
    )
else:
    grades = target["grade"].map(names)
    chart = go.Figure(
        [
            go.Bar(
                x=grades,
                y=target["share"],
                name=tr("实际", "Actual"),
                marker_color=grades.map(colors),
            ),
            go.Bar(
                x=grades,
                y=target["target_share"],
                name=tr("目标", "Target"),
                marker_color="rgba(0,0,0,0)",
                marker_line_color="#333",
                marker_line_width=2,
            ),
        ]
    )
    highest = target[["share", "target_share"]].max(axis=1)
    for grade, high, gap in zip(grades, highest, target["difference"], strict=True):
        if pd.notna(gap):
            chart.add_annotation(
                x=grade,
                y=high,
                text=f"{gap:+.1f}",
                showarrow=False,
                yshift=12,
                font_color="#cf222e" if abs(gap) >= NOTABLE_GAP else "#555",
            )
    chart.update_layout(
        barmode="group",
        yaxis_title=words["share"],
        yaxis_ticksuffix="%",
        xaxis_title=words["grade"],
    )
    st.plotly_chart(chart, width="stretch")
    st.caption(
        tr(
            f"柱上数字为实际占比减目标占比(百分点),相差 {NOTABLE_GAP:g} 个百分点及以上标红。",
            f"Above the bars: actual share minus target (percentage points); gaps of "
            f"{NOTABLE_GAP:g} points or more in red.",
        )
    )
    table_and_downloads(shown(target), "target_mix")


def adjusted_rows(frame: pd.DataFrame) -> pd.Series:
    """Rows whose grade or total an adjustment changed (blank equals blank)."""
    if "computed_grade" not in frame:
        return pd.Series(False, index=frame.index)
    grade = frame["grade"].astype(object).fillna("").astype(str)
    computed = frame["computed_grade"].astype(object).fillna("").astype(str)
    total, before = frame["total"], frame["computed_total"]
    return grade.ne(computed) | ~(total.eq(before) | (total.isna() & before.isna()))


if adjusted_rows(table).any():
    st.subheader(tr("计算等级与校准等级", "Computed grades beside calibrated"))
    order = scheme.grade_names
    side = pd.DataFrame(
        {
            "grade": order,
            "computed_grade": pd.Categorical(table["computed_grade"].astype(object), order)
            .value_counts()
            .to_numpy(),
            "calibrated_grade": pd.Categorical(table["grade"].astype(object), order)
            .value_counts()
            .to_numpy(),
        }
    )
    side["change"] = side["calibrated_grade"] - side["computed_grade"]
    shown_side = shown(side)
    grades = side["grade"].map(names)
    chart = go.Figure(
        [
            go.Bar(
                x=grades,
                y=side["computed_grade"],
                name=tr("计算(调整前)", "Computed (before adjustments)"),
                marker_color="rgba(0,0,0,0)",
                marker_line_color="#333",
                marker_line_width=2,
            ),
            go.Bar(
                x=grades,
                y=side["calibrated_grade"],
                name=tr("校准(调整后)", "Calibrated (after adjustments)"),
                marker_color=grades.map(colors),
            ),
        ]
    )
    chart.update_layout(barmode="group", yaxis_title=words["count"], xaxis_title=words["grade"])
    st.plotly_chart(chart, width="stretch")
    st.caption(
        tr(
            f"本期有 {int(adjusted_rows(table).sum())} 人被调整:各等级人数,计算等级为调整前,"
            "校准等级为调整后(本页其余图表均按调整后)。",
            f"{int(adjusted_rows(table).sum())} people adjusted this period: headcount per grade, "
            "computed before the adjustments and calibrated after (every other figure on this "
            "page is after).",
        )
    )
    table_and_downloads(shown_side, "computed_vs_calibrated")
