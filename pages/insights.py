"""洞察 Insights: fair rates for small samples (funnel plot, intervals, shrunk rates), rater
leniency, control charts with the Western Electric rules, fairness by segment, gaming pairs."""

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from engine.insights.control import TOTAL, rules_text
from engine.insights.fairness import (
    TENURE,
    grade_counts,
    group_findings,
    independence,
    segment_columns,
    sentence,
    tenure_band,
)
from engine.insights.gaming import THRESHOLD
from engine.insights.raters import leniency, person_ratings, rated_kpis
from engine.insights.rates import (
    funnel_limits,
    outside_funnel,
    person_rates,
    pooled_rate,
    rate_kpis,
)
from engine.scoring.periods import parse_period
from ui import data
from ui.i18n import chart_text, column_label, labelled, language, month_ticks, plain, tr
from ui.page import downloads, grade_colors, require_view

view, scheme, table = require_view()
lang = language()
months = list(parse_period(view.period).months)
# The chosen months' rows; statistics across every month come from the data layer, computed
# from the few columns they read (never every month's full rows).
period_rows = view.rows(data.month_rows(view.scheme, months))
filters = {"departments": view.departments, "teams": view.teams, "roles": view.roles}
kpi_names = {k.id: k.label(lang) for k in scheme.kpis}


def shown(frame: pd.DataFrame, labels: dict[str, tuple[str, str]]) -> pd.DataFrame:
    """A table for people to read: headers in their language, blanks as — (Streamlit would
    draw them as None)."""
    blanks = [c for c in frame if frame[c].isna().any()]
    frame = frame.assign(**{c: frame[c].astype(str).fillna("—") for c in blanks})
    return labelled(frame, scheme).rename(columns={c: tr(*w) for c, w in labels.items()})


def kpi_choice(kpis: list, key: str) -> str:
    return st.selectbox(tr("指标", "KPI"), [k.id for k in kpis], format_func=kpi_names.get, key=key)


st.title(tr("洞察", "Insights") + f" · {view.period}")
st.caption(
    tr(
        "区分信号与噪声:样本量、评分人宽严、月度波动、群体差异与指标联动。",
        "Signal versus noise: sample sizes, rater leniency, monthly variation, differences "
        "between groups and KPIs that should move together.",
    )
)
small, raters_tab, charts_tab, fairness_tab, gaming_tab = st.tabs(
    [
        tr("小样本", "Small samples"),
        tr("评分人宽严", "Rater leniency"),
        tr("控制图", "Control charts"),
        tr("群体公平性", "Fairness by segment"),
        tr("指标联动", "Gaming pairs"),
    ]
)

# ---------------------------------------------------------------- 1. small samples
RATE_LABELS = {
    "rate": ("比率 %", "Rate %"),
    "hits": ("达标数", "Hits"),
    "cases": ("样本数", "Cases"),
    "low": ("95% 区间下限", "95% low"),
    "high": ("95% 区间上限", "95% high"),
    "shrunk": ("收缩估计 %", "Shrunk %"),
    "department_rate": ("部门比率 %", "Department %"),
    "few": ("样本不足", "Few cases"),
    "outside": ("超出漏斗", "Outside funnel"),
}
with small:
    kpis = rate_kpis(scheme)
    if not kpis:
        st.info(
            tr(
                "考核方案没有为任何比率指标指定样本数列(denominator),例如满意度的回访数。",
                "The scheme names no cases column (denominator) for any rate KPI, such as the "
                "surveys behind satisfaction.",
            )
        )
    else:
        kpi = scheme.kpi(kpi_choice(kpis, "insights_rate_kpi"))
        rates = person_rates(period_rows, kpi)
        if rates.empty:
            st.info(
                tr(
                    f"本期数据中没有{kpi.name_zh}的样本数。",
                    f"This period's data holds no cases for {kpi.name_en}.",
                )
            )
        else:
            pooled = pooled_rate(rates)
            rates = rates.assign(outside=outside_funnel(rates, pooled))
            few = int(rates["few"].sum())
            st.caption(
                tr(
                    f"{len(rates)} 人 · 合计 {pooled:.1%} · {few} 人样本少于 {kpi.min_cases} 个"
                    f" · {int(rates['outside'].sum())} 人超出 99.8% 漏斗界限",
                    f"{len(rates)} people · overall {pooled:.1%} · {few} with fewer than "
                    f"{kpi.min_cases} cases · {int(rates['outside'].sum())} outside the 99.8% "
                    "funnel",
                )
            )
            limits = funnel_limits(pooled, float(rates["cases"].max()))
            funnel = go.Figure()
            for level, dash in (("0.95", "dash"), ("0.998", "solid")):
                for side in ("low", "high"):
                    funnel.add_scatter(
                        x=limits["cases"],
                        y=limits[f"{side}_{level}"],
                        mode="lines",
                        line={"color": "#888", "dash": dash, "width": 1},
                        name=f"{float(level):.1%}",
                        legendgroup=level,
                        showlegend=side == "low",
                        hoverinfo="skip",
                    )
            funnel.add_hline(y=100 * pooled, line_color="#444", line_width=1)
            for department, part in rates.groupby("department", sort=True):
                funnel.add_scatter(
                    x=part["cases"],
                    y=part["rate"],
                    mode="markers",
                    name=chart_text(department),
                    customdata=pd.concat(
                        [chart_text(part["name"]), part["low"], part["high"]], axis=1
                    ).to_numpy(),
                    hovertemplate="%{customdata[0]}: %{y:.1f}% / %{x} "
                    + tr("个样本", "cases")
                    + " (95%: %{customdata[1]:.1f}–%{customdata[2]:.1f})<extra></extra>",
                )
            funnel.update_layout(
                xaxis_title=tr("样本数", "Cases"),
                yaxis_title=kpi.label(lang) + " %",
                xaxis_type="log",
            )
            st.plotly_chart(funnel, width="stretch", key="insights_funnel")
            st.caption(
                tr(
                    "漏斗图:每个点是一个人,横轴为样本数。虚线为 95%、实线为 99.8% 控制界限:"
                    "界限内的差异可由样本大小解释,界限外的才值得关注。",
                    "Funnel plot: each point is a person, across by number of cases. Dashed "
                    "lines are the 95% limits, solid the 99.8% limits: differences inside them "
                    "are what the sample size explains; only points outside deserve attention.",
                )
            )
            listed = rates.sort_values(["few", "cases"], ascending=[False, True])
            listed = listed.assign(
                few=listed["few"].map({True: "⚠", False: ""}),
                outside=listed["outside"].map({True: "●", False: ""}),
            ).round({"rate": 1, "low": 1, "high": 1, "shrunk": 1, "department_rate": 1})
            columns = ["employee_id", "name", "department", *RATE_LABELS]
            rate_table = shown(listed[columns], RATE_LABELS)
            st.dataframe(rate_table, hide_index=True, width="stretch")
            st.caption(
                tr(
                    "区间:Wilson 95% 置信区间。收缩估计:按部门拟合的 Beta-二项经验贝叶斯估计,"
                    "样本越少越靠近部门比率。",
                    "Interval: Wilson 95% confidence interval. Shrunk: empirical-Bayes "
                    "(beta-binomial) estimate fitted per department; the fewer the cases, the "
                    "closer to the department's rate.",
                )
                + (
                    tr(" 本方案按收缩估计计分。", " This scheme scores the shrunk rate.")
                    if kpi.score_shrunk
                    else ""
                )
            )
            with st.expander(tr("下载", "Download")):
                downloads(rate_table, f"rates_{kpi.id}_{view.period}", key="insights_rates")

# ---------------------------------------------------------------- 2. rater leniency
RATER_LABELS = {
    "rater": ("评分人", "Rater"),
    "people": ("评分人数", "People rated"),
    "mean": ("平均分", "Mean"),
    "sd": ("标准差", "Spread (sd)"),
    "others_mean": ("同岗位其他评分人平均", "Other raters, same role"),
    "difference": ("差异", "Difference"),
    "low": ("95% 区间下限", "95% low"),
    "high": ("95% 区间上限", "95% high"),
    "verdict": ("判断", "Verdict"),
}
VERDICTS = {
    "lenient": ("偏宽", "Lenient"),
    "harsh": ("偏严", "Harsh"),
    "usual": ("无明显差异", "Within chance"),
    "too_few": ("无可比对象", "Nothing to compare"),
}
with raters_tab:
    kpis = rated_kpis(scheme)
    if not kpis:
        st.info(
            tr(
                "考核方案没有为任何评分指标指定评分人列(rater),例如主管评分的评分人。",
                "The scheme names no rater column for any rating KPI, such as who gave the "
                "manager rating.",
            )
        )
    else:
        kpi = scheme.kpi(kpi_choice(kpis, "insights_rater_kpi"))
        found = leniency(person_ratings(period_rows, kpi))
        if found.empty:
            st.info(
                tr(
                    f"本期数据中没有{kpi.name_zh}的评分人。",
                    f"This period's data names no rater for {kpi.name_en}.",
                )
            )
        else:
            found = found.sort_values("difference", ascending=False, ignore_index=True)
            label = chart_text(found["rater"] + " · " + found["role"])
            bars = go.Figure(
                go.Scatter(
                    x=found["difference"],
                    y=label,
                    mode="markers",
                    marker={
                        "size": 10,
                        "color": found["verdict"]
                        .map({"lenient": "#1a9850", "harsh": "#d73027"})
                        .fillna("#888"),
                    },
                    error_x={
                        "type": "data",
                        "symmetric": False,
                        "array": found["high"] - found["difference"],
                        "arrayminus": found["difference"] - found["low"],
                    },
                    hovertemplate="%{y}: %{x:+.1f}<extra></extra>",
                )
            )
            bars.add_vline(x=0, line_color="#444", line_width=1)
            bars.update_layout(
                xaxis_title=tr(
                    "与同岗位其他评分人的平均差异(95% 区间)",
                    "Difference from the other raters of the same role (95% interval)",
                ),
                yaxis={"autorange": "reversed"},
                height=max(300, 28 * len(found)),
            )
            st.plotly_chart(bars, width="stretch", key="insights_raters")
            listed = found.assign(verdict=found["verdict"].map(lambda v: tr(*VERDICTS[v])))
            listed = listed.round(
                {"mean": 1, "sd": 1, "others_mean": 1, "difference": 1, "low": 1, "high": 1}
            )
            rater_table = shown(listed, RATER_LABELS)
            st.dataframe(rater_table, hide_index=True, width="stretch")
            st.caption(
                tr(
                    "每人按其在本期的平均评分计一次。差异 = 该评分人的平均分 − 同岗位其他评分人的"
                    "平均分;区间不含 0 时判为偏宽或偏严(Welch t 区间)。",
                    "Each person counts once, with their mean rating of the period. Difference "
                    "= the rater's mean − the other raters' mean for the same role; lenient or "
                    "harsh where the interval (Welch t) leaves out 0.",
                )
                + (
                    tr(
                        " 本方案按岗位将各评分人的评分换算到全公司分布后计分。",
                        " This scheme scores each rater's ratings moved onto the company's "
                        "distribution for the role.",
                    )
                    if kpi.rescale_by_rater
                    else tr(
                        " 本方案按原始评分计分(可在方案中设 rescale_by_rater = true)。",
                        " This scheme scores the raw ratings (set rescale_by_rater = true in the "
                        "scheme to correct them).",
                    )
                )
            )
            with st.expander(tr("下载", "Download")):
                downloads(rater_table, f"raters_{kpi.id}_{view.period}", key="insights_raters")

# ---------------------------------------------------------------- 3. control charts
with charts_tab:
    chart = data.control_charts(view.scheme, **filters)
    if chart.empty:
        st.info(tr("没有可绘制的月度数据。", "There are no monthly figures to chart."))
    else:
        series_names = {TOTAL: tr("总分", "Total"), **kpi_names}
        in_period = chart[chart["period"].isin(months)]
        summary = (
            in_period.groupby(["department", "kpi"], sort=True)
            .agg(signals=("signal", "sum"), chart=("chart", "first"))
            .reset_index()
        )
        flagged = summary[summary["signals"] > 0]
        st.caption(
            tr(
                f"本期 {len(flagged)} 个部门 × 指标组合出现信号(西电规则),其余变化在常规波动之内。",
                f"{len(flagged)} department × KPI series show a signal (Western Electric rules) "
                "in this period; the other changes are within the usual variation.",
            )
        )
        left, right = st.columns(2)
        departments = sorted(chart["department"].unique())
        department = left.selectbox(
            tr("部门", "Department"), departments, key="insights_chart_department"
        )
        charted = set(chart["kpi"].unique())
        kpis_charted = [k for k in series_names if k in charted]
        kpi_id = right.selectbox(
            tr("指标", "KPI"), kpis_charted, format_func=series_names.get, key="insights_chart_kpi"
        )
        one = chart[chart["department"].eq(department) & chart["kpi"].eq(kpi_id)]
        one = one.assign(rules=rules_text(one, lang))  # the words of the series drawn only
        figure = go.Figure()
        for column, name, dash in (
            ("upper", tr("上控制限", "Upper limit"), "dash"),
            ("centre", tr("中心线", "Centre"), "solid"),
            ("lower", tr("下控制限", "Lower limit"), "dash"),
        ):
            figure.add_scatter(
                x=one["period"],
                y=one[column],
                mode="lines",
                name=name,
                line={"color": "#888", "dash": dash, "width": 1, "shape": "hvh"},
            )
        figure.add_scatter(
            x=one["period"],
            y=one["value"],
            mode="lines+markers",
            name=series_names[kpi_id],
            line={"color": "#1f77b4"},
            hovertemplate="%{x}: %{y:.2f}<extra></extra>",
        )
        signals = one[one["signal"]]
        figure.add_scatter(
            x=signals["period"],
            y=signals["value"],
            mode="markers",
            name=tr("信号", "Signal"),
            marker={"color": "#d73027", "size": 13, "symbol": "circle-open", "line": {"width": 3}},
            customdata=signals[["rules"]].to_numpy(),
            hovertemplate="%{x}: %{y:.2f}<br>%{customdata[0]}<extra></extra>",
        )
        figure.add_vrect(x0=months[0], x1=months[-1], fillcolor="grey", opacity=0.12, line_width=0)
        kind = (
            tr("p 控制图(按样本数)", "p-chart (by cases)")
            if one["chart"].iloc[0] == "p"
            else tr("X-mR 单值-移动极差控制图", "X-mR (individuals and moving range) chart")
        )
        figure.update_layout(title=kind, yaxis_title=series_names[kpi_id])
        st.plotly_chart(month_ticks(figure), width="stretch", key="insights_control")
        listed = one.loc[one["signal"], ["period", "value", "centre", "lower", "upper", "rules"]]
        if listed.empty:
            st.caption(
                tr(
                    "该序列没有违反任何西电规则的点:各月变化都在常规波动之内。",
                    "No point of this series breaks a Western Electric rule: every month's change "
                    "is within the usual variation.",
                )
            )
        else:
            st.dataframe(
                shown(
                    listed.round(2),
                    {
                        "value": ("数值", "Value"),
                        "centre": ("中心线", "Centre"),
                        "lower": ("下控制限", "Lower limit"),
                        "upper": ("上控制限", "Upper limit"),
                        "rules": ("违反的规则", "Rules broken"),
                    },
                ),
                hide_index=True,
                width="stretch",
            )
        st.caption(
            tr(
                "控制限 = 中心线 ± 3σ。比率指标有样本数时用 p 图(σ 随当月样本数变化),其余用 "
                "X-mR 图(σ = 平均移动极差 / 1.128)。西电规则:1 点超出 3σ;3 点中 2 点超出 2σ;"
                "5 点中 4 点超出 1σ;连续 8 点在中心线同侧。",
                "Limits = centre ± 3σ. Rates with cases use a p-chart (σ follows each month's "
                "cases), the rest an X-mR chart (σ = mean moving range / 1.128). Western "
                "Electric rules: 1 point beyond 3σ; 2 of 3 beyond 2σ; 4 of 5 beyond 1σ; 8 in a "
                "row on one side of the centre.",
            )
        )

# ---------------------------------------------------------------- 4. fairness by segment
TEST_NAMES = {
    "chi2": ("卡方检验", "chi-square test"),
    "fisher": ("Fisher 精确检验", "Fisher's exact test"),
    "fisher_monte_carlo": ("Fisher 精确检验(蒙特卡洛)", "Fisher's exact test (Monte Carlo)"),
    "none": ("无法检验", "no test possible"),
}


def segment_label(column: str) -> str:
    """A segment column's name for people: tenure band, rater of a KPI, or the column's label."""
    if column == TENURE:
        return tr("司龄段", "Tenure band")
    if column.startswith("rater_") and column.removeprefix("rater_") in kpi_names:
        return tr("评分人", "Rater") + f"({kpi_names[column.removeprefix('rater_')]})"
    return column_label(column, scheme)


with fairness_tab:
    segmented = table
    if "hire_date" in table and table["hire_date"].notna().any():
        segmented = table.assign(**{TENURE: tenure_band(table["hire_date"], months[-1], lang)})
    segments = segment_columns(segmented)
    grades = scheme.grade_names
    if not segments or segmented["grade"].notna().sum() == 0:
        st.info(tr("没有可比较的人群。", "There are no groups to compare."))
    else:
        left, right = st.columns(2)
        column = left.selectbox(
            tr("按人群", "Segment by"), segments, format_func=segment_label, key="insights_segment"
        )
        grade_names = {g.name: g.name if lang == "zh" else g.name_en for g in scheme.grades}
        grade = right.selectbox(
            tr("等级", "Grade"),
            grades,
            index=len(grades) - 1,
            format_func=grade_names.get,
            key="insights_segment_grade",
        )
        counts = grade_counts(segmented, column, grades)
        overall = independence(counts)
        shares = counts.div(counts.sum(axis=1), axis=0).mul(100).round(1)
        colors = grade_colors(len(grades))
        mix = go.Figure(
            [
                go.Bar(
                    y=chart_text(shares.index.to_series()),
                    x=shares[g],
                    name=grade_names[g],
                    orientation="h",
                    marker_color=colors[i],
                    customdata=counts[g],
                    hovertemplate="%{y}: %{x:.1f}% (%{customdata})<extra>"
                    + grade_names[g]
                    + "</extra>",
                )
                for i, g in enumerate(grades)
            ]
        )
        mix.update_layout(
            barmode="stack",
            xaxis_title=tr("占比 %", "Share %"),
            height=max(280, 30 * len(shares) + 120),
        )
        st.plotly_chart(mix, width="stretch", key="insights_fairness")
        if overall.method == "none":
            st.caption(
                tr("只有一个人群或一个等级,无法检验。", "One group or one grade only: no test.")
            )
        else:
            statistic = "" if overall.method != "chi2" else f"χ² = {overall.statistic:.2f}, "
            st.caption(
                tr(
                    f"等级构成与{segment_label(column)}是否有关:{tr(*TEST_NAMES[overall.method])},"
                    f"{statistic}p = {overall.p_value:.3f}。",
                    f"Does the grade mix depend on {segment_label(column)}? "
                    f"{tr(*TEST_NAMES[overall.method])}, {statistic}p = {overall.p_value:.3f}.",
                )
            )
        findings = group_findings(segmented, column, grade)
        subject = "" if column == TENURE else segment_label(column)
        notable = findings[findings["significant"]]
        for row in (notable if len(notable) else findings.head(1)).index:
            st.text(sentence(findings.loc[row], subject, grade_names[grade], lang))
        listed = findings.assign(
            share=(100 * findings["share"]).round(1),
            others_share=(100 * findings["others_share"]).round(1),
            method=findings["method"].map(lambda m: tr(*TEST_NAMES[m])),
            p_adjusted=findings["p_adjusted"].round(4),
            significant=findings["significant"].map({True: "✔", False: ""}),
        )[
            [
                "group",
                "people",
                "with_grade",
                "share",
                "others_share",
                "method",
                "p_adjusted",
                "significant",
            ]
        ]
        finding_table = shown(
            listed,
            {
                "group": ("人群", "Group"),
                "people": ("人数", "People"),
                "with_grade": (f"{grade}人数", f"{grade_names[grade]} count"),
                "share": (f"{grade}占比 %", f"{grade_names[grade]} share %"),
                "others_share": ("其他员工占比 %", "Everyone else %"),
                "method": ("检验", "Test"),
                "p_adjusted": ("p(校正后)", "p (adjusted)"),
                "significant": ("显著", "Significant"),
            },
        )
        st.dataframe(finding_table, hide_index=True, width="stretch")
        st.caption(
            tr(
                "每个人群与其他所有员工比较该等级的占比:期望频数不小于 5 时用卡方检验,否则用 "
                "Fisher 精确检验;p 值已按比较的人群数做 Bonferroni 校正,小于 0.05 为显著。"
                "显著只说明差异不太可能是偶然,不说明原因。",
                "Each group against everyone else, on the share with the grade: a chi-square "
                "test where every expected count is at least 5, else Fisher's exact test; p "
                "is Bonferroni-adjusted for the number of groups compared, significant below "
                "0.05. Significant means unlikely to be chance; it does not say why.",
            )
        )
        with st.expander(tr("下载", "Download")):
            downloads(finding_table, f"fairness_{column}_{view.period}", key="insights_fairness")

# ---------------------------------------------------------------- 5. gaming pairs
MOVES = {"up": ("上升", "up"), "down": ("下降", "down")}


def pair_label(index: int) -> str:
    pair = scheme.gaming_pairs[index]
    return (
        f"{kpi_names[pair.first]} {tr(*MOVES[pair.first_moves])} · "
        f"{kpi_names[pair.second]} {tr(*MOVES[pair.second_moves])}"
    )


with gaming_tab:
    if not scheme.gaming_pairs:
        st.info(
            tr(
                "考核方案没有声明应同向变化的指标对([[gaming_pairs]])。",
                "The scheme declares no KPI pairs that should move together ([[gaming_pairs]]).",
            )
        )
    else:
        index = st.selectbox(
            tr("指标对", "KPI pair"),
            range(len(scheme.gaming_pairs)),
            format_func=pair_label,
            key="insights_pair",
        )
        pair = scheme.gaming_pairs[index]
        if pair.note:  # "中文 · English" in the scheme file: the reader's side
            zh, both, en = pair.note.partition(" · ")
            st.caption(plain(tr(zh, en) if both else pair.note))
        suspects = data.suspects(view.scheme, pair, months, **filters)
        first_name, second_name = kpi_names[pair.first], kpi_names[pair.second]
        if suspects.empty:
            st.caption(
                tr(
                    "本期没有人的这对指标同时朝可疑方向明显变化。",
                    "No one's pair moved the suspicious way clearly this period.",
                )
            )
        else:
            listed = suspects.round(
                {c: 2 for c in suspects if c.endswith(("_baseline", "_now", "_moved"))}
            )
            suspect_table = shown(
                listed.drop(columns=["team", "role"]),
                {
                    "first_baseline": (f"{first_name} 以往", f"{first_name} before"),
                    "first_now": (f"{first_name} 本期", f"{first_name} now"),
                    "first_moved": (f"{first_name} 变化(标准误)", f"{first_name} move (SE)"),
                    "second_baseline": (f"{second_name} 以往", f"{second_name} before"),
                    "second_now": (f"{second_name} 本期", f"{second_name} now"),
                    "second_moved": (f"{second_name} 变化(标准误)", f"{second_name} move (SE)"),
                },
            )
            st.dataframe(suspect_table, hide_index=True, width="stretch")
            who = st.selectbox(
                tr("查看两条序列", "Show both series of"),
                suspects["employee_id"].tolist(),
                format_func=(suspects["employee_id"] + " · " + suspects["name"])
                .set_axis(suspects["employee_id"])
                .get,
                key="insights_pair_person",
            )
            both = data.pair_months(view.scheme, pair, who, **filters)
            figure = go.Figure()
            figure.add_scatter(
                x=both["period"], y=both[pair.first], name=first_name, mode="lines+markers"
            )
            figure.add_scatter(
                x=both["period"],
                y=both[pair.second],
                name=second_name,
                mode="lines+markers",
                yaxis="y2",
            )
            figure.add_vrect(
                x0=months[0], x1=months[-1], fillcolor="grey", opacity=0.12, line_width=0
            )
            figure.update_layout(
                yaxis={"title": first_name},
                yaxis2={"title": second_name, "overlaying": "y", "side": "right"},
                legend={"orientation": "h"},
            )
            st.plotly_chart(month_ticks(figure), width="stretch", key="insights_pair_chart")
            with st.expander(tr("下载", "Download")):
                downloads(suspect_table, f"gaming_{index}_{view.period}", key="insights_gaming")
        st.caption(
            tr(
                f"列出本期两项指标都朝可疑方向、且各自变化超过本人以往月度波动 {THRESHOLD:g} "
                "个标准误的人员(与本人此前至少 3 个月相比)。这是需要与本人沟通核实的线索,"
                "不是结论。",
                f"Listed: people whose two KPIs both moved the suspicious way this period, each "
                f"by more than {THRESHOLD:g} standard errors of their own usual month-to-month "
                "variation (against at least 3 earlier months of their own). A lead to talk "
                "through with the person, not a finding.",
            )
        )
