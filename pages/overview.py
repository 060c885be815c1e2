"""Overview: the month at a glance against the previous period, service targets, trends, movers,
and two periods of a department side by side."""

import pandas as pd
import plotly.express as px
import streamlit as st

from engine.analysis.compare import MIN_SCORE_SPAN, score_axis
from engine.analysis.figures import (
    company_means,
    departments_drawn,
    headline_changes,
    movers,
    service_targets,
)
from engine.cycle.printing import report_appeals
from engine.insights.control import change_signals, control_chart, rules_text, total_series
from engine.output.report import ReportData, report_pdf, scope_label
from engine.scoring.periods import months_held, parse_period, previous, totals_each
from ui import compare, data
from ui.i18n import chart_text, grade_name, labelled, language, month_ticks, plain, tr
from ui.page import document_download, downloads, require_view

LINES_AT_MOST = 10  # department lines the trend draws; the others are one sidebar pick away

view, scheme, table = require_view()
before = view.rows(data.scored_previous(view.period, view.scheme))

st.title(tr("总览", "Overview") + f" · {view.period}")
st.caption(f"{scheme.name_zh if language() == 'zh' else scheme.name_en} (v{scheme.version})")

figures = headline_changes(table, before, scheme)
best, worst = (grade_name(g, scheme) for g in (scheme.grade_names[0], scheme.grade_names[-1]))
cards = [
    ("headcount", tr("人数", "Headcount"), "{:.0f}", "{:+.0f}"),
    ("mean_total", tr("平均分", "Mean total"), "{:.2f}", "{:+.2f}"),
    ("share_best", tr(f"{best}占比", f"Share {best}"), "{:.1%}", "{:+.1%}"),
    ("share_worst", tr(f"{worst}占比", f"Share {worst}"), "{:.1%}", "{:+.1%}"),
]
for column, (key, label, shape, change_shape) in zip(st.columns(4), cards, strict=True):
    value, change = figures[key]
    column.metric(
        label,
        shape.format(value),
        None if change != change else change_shape.format(change),
        delta_color="inverse" if key == "share_worst" else "normal",
    )
held = data.periods()["month"]
before_label = previous(parse_period(view.period)).label
count_now, count_before = len(months_held(view.period, held)), len(months_held(before_label, held))
if not before.empty:
    st.caption(
        tr(
            f"变化对比上一期 {before_label}({count_before} 个月);本期 {count_now} 个月。",
            f"Changes against the previous period {before_label} ({count_before} months); "
            f"this period {count_now}.",
        )
        + (
            tr(
                " 两期月数不同,变化不完全可比。",
                " The periods differ in months held: the changes are not fully comparable.",
            )
            if count_now != count_before
            else ""
        )
    )

st.subheader(tr("服务目标达成(按部门)", "Service targets by department"))
targets = service_targets(table, scheme)
if targets.empty:
    st.caption(tr("数据中没有服务目标相关指标。", "The data has none of the service-target KPIs."))
else:
    targets["kpi"] = targets["kpi"].map(lambda k: scheme.kpi(k).label(language()))
    targets["met"] = targets["met"].map({True: "✅", False: "❌"})
    targets["actual"] = targets["actual"].round(2)
    pivot = targets.assign(cell=targets["actual"].astype(str) + " " + targets["met"])
    pivot = pivot.pivot(index="department", columns="kpi", values="cell").reset_index()
    st.dataframe(labelled(pivot), hide_index=True, width="stretch")
    st.caption(
        " · ".join(f"{scheme.kpi(t.kpi).label(language())} {t.text}" for t in scheme.targets)
    )

st.subheader(tr("各部门月度平均分", "Mean total by department over the months"))
# Means per month and department computed in the database, not every month's rows in pandas.
means = data.department_means(view.scheme, view.departments, view.teams, view.roles)
# Months that break a Western Electric rule on the department's X-mR chart are signals; the
# other ups and downs are within the usual variation.
signals = control_chart(total_series(means))
signals = signals[signals["signal"]]
shown_months = parse_period(view.period).months
# A group's hundred departments are a hundred tangled lines (and seconds of drawing): beyond
# LINES_AT_MOST the chart keeps the company's mean and the departments worth a look.
flagged = signals.loc[signals["period"].isin(shown_months), "department"]
drawn = departments_drawn(means, flagged, shown_months, LINES_AT_MOST)
held = means["department"].nunique()
if held > len(drawn):
    company = company_means(means).assign(department=tr("全公司", "Company"))
    means = pd.concat([company, means[means["department"].isin(drawn)]], ignore_index=True)
    signals = signals[signals["department"].isin(drawn)]
trend = means.assign(department=chart_text(means["department"]))
chart = px.line(
    trend,
    x="period",
    y="mean_total",
    color="department",
    markers=True,
    labels={
        "period": tr("月份", "Month"),
        "mean_total": tr("平均分", "Mean total"),
        "department": tr("部门", "Department"),
    },
)
chart.add_vrect(
    x0=shown_months[0],
    x1=shown_months[-1],
    fillcolor="grey",
    opacity=0.12,
    line_width=0,
)
chart.update_yaxes(range=score_axis(trend["mean_total"]))
if held > len(drawn):  # the company's line stands out from the departments'
    chart.update_traces(
        line={"color": "#222222", "width": 4}, selector={"name": tr("全公司", "Company")}
    )
chart.add_scatter(
    x=signals["period"],
    y=signals["value"],
    mode="markers",
    name=tr("信号", "Signal"),
    marker={"color": "#d73027", "size": 14, "symbol": "circle-open", "line": {"width": 3}},
    customdata=pd.concat(
        [chart_text(signals["department"]), rules_text(signals, language())], axis=1
    ).to_numpy(),
    hovertemplate="%{customdata[0]} %{x}: %{y:.2f}<br>%{customdata[1]}<extra></extra>",
)
# The legend under the chart, across: at its right it took half a phone's width from the lines.
chart.update_layout(
    legend={"orientation": "h", "yanchor": "top", "y": -0.22, "x": 0, "title": None},
    height=500,
    margin={"t": 30},
)
st.plotly_chart(month_ticks(chart), width="stretch")
if held > len(drawn):
    st.caption(
        tr(
            f"共 {held} 个部门,图中为全公司平均与 {len(drawn)} 个部门:本期有信号的,及本期平均分"
            "偏离全公司最多的;在侧栏选择部门可查看其他部门。",
            f"{held} departments: the chart shows the company's mean and {len(drawn)} of them, "
            "those with a signal in the period and those whose mean lies farthest from the "
            "company's; pick departments in the sidebar to see others.",
        )
    )
st.caption(
    tr(
        f"红圈为信号(违反西电规则,共 {len(signals)} 个),其余起伏在常规波动之内;"
        "详见「洞察」页的控制图。"
        f"纵轴至少跨 {MIN_SCORE_SPAN:.0f} 分,小的波动不会被画成大起大落。",
        f"Red circles are signals (a Western Electric rule broken; {len(signals)} in all); "
        "the other ups and downs are within the usual variation. See the control charts on "
        f"the Insights page. The axis spans at least {MIN_SCORE_SPAN:.0f} points, so a small "
        "change is not drawn as a cliff.",
    )
)

st.subheader(tr("进步与退步最多的人", "Largest movers since the previous period"))
if before.empty:
    st.caption(tr("上一期没有数据,无法比较。", "The previous period has no data to compare with."))
else:
    shown = ["employee_id", "name", "department", "previous_total", "total", "change", "grade"]
    shown.append("signal")
    # A change beyond the person's moving-range limit (3.27 × their usual change) is a signal:
    # judged from the months of the movers shown only, read from the database.
    moving = movers(table, before)
    shown_ids = pd.concat([frame["employee_id"] for frame in moving.values()]).tolist()
    months_of = data.people_months(
        view.scheme, shown_ids, view.period, view.departments, view.teams, view.roles
    )
    verdicts = change_signals(totals_each(months_of, view.kind), view.period)
    words = {
        "signal": tr("信号", "Signal"),
        "usual": tr("常规波动", "Usual variation"),
        "short": tr("历史不足", "Too little history"),
    }
    verdict_of = verdicts.set_index("employee_id")["verdict"].map(words)
    moved = {
        side: frame.assign(signal=frame["employee_id"].map(verdict_of).fillna(words["short"]))
        for side, frame in moving.items()
    }
    up, down = st.columns(2)
    up.markdown(tr("**进步最多**", "**Up the most**"))
    signal_label = {"signal": tr("变化性质", "Kind of change")}
    up.dataframe(
        labelled(moved["up"][shown], scheme).rename(columns=signal_label),
        hide_index=True,
        width="stretch",
    )
    down.markdown(tr("**退步最多**", "**Down the most**"))
    down.dataframe(
        labelled(moved["down"][shown], scheme).rename(columns=signal_label),
        hide_index=True,
        width="stretch",
    )

with st.expander(tr("下载本期成绩表", "Download this period's scores")):
    downloads(table, f"scores_{view.period}", scheme, key="overview")

# ---------------------------------------------------------------- the report pack
access, store = data.access(), data.current_store()
shown_departments = list(view.departments) or (
    [] if access.all_departments else list(access.departments)
)
scope = scope_label(shown_departments, language())
scope += "".join(f" · {', '.join(chosen)}" for chosen in (view.teams, view.roles) if chosen)
chosen_period = parse_period(view.period)
lang = language()


def report_pack() -> bytes:
    """The report pack of what this page shows, made when the button is clicked: the flags from
    the rules report the rules page keeps, the trend from the database's kept rows."""
    flags, note = data.report_flags(scheme, chosen_period.months, access)
    pack = ReportData(
        period=view.period,
        previous=previous(chosen_period).label,
        scope=scope,
        scheme=scheme,
        table=table,
        before=before,
        history=data.report_trend_rows(
            view.scheme, chosen_period.months[-1], access, view.departments, view.teams, view.roles
        ),
        flags=view.rows(flags) if flags is not None else None,
        flags_note=note,
        appeals=report_appeals(store, view.period, table),
        language=lang,
    )
    return report_pdf(pack)


with st.expander(tr("下载月度报告(PDF)", "Download the report pack (PDF)")):
    document_download(
        tr(
            f"下载 {plain(scope)} {view.period} 月度报告",
            f"Download the {view.period} report for {plain(scope)}",
        ),
        report_pack,
        f"绩效报告_{view.period}_{scope}.pdf".replace("/", "_"),
        f"{len(table)} people",
        "report_pack",
        tr(
            "本页范围的月度报告:核心指标与上期对比、等级分布与目标、排名、各班组指标得分、"
            "进步与退步、服务目标、规则提醒;A4,图表为矢量图。",
            "The report pack of what this page shows: headline figures against the previous "
            "period, grade mix against the target, ranking, KPI scores by team, movers, service "
            "targets, flags from the rules; A4, charts as vector graphics.",
        ),
    )

compare.draw(view, scheme)
