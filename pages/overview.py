"""Overview: the month at a glance against the previous period, service targets, trends, movers."""

import pandas as pd
import plotly.express as px
import streamlit as st

from engine.analysis.figures import department_trend, headline_changes, movers, service_targets
from engine.insights.control import (
    TOTAL,
    change_signals,
    control_chart,
    department_series,
    rules_text,
)
from engine.scoring.periods import aggregate_each, parse_period
from ui import data
from ui.i18n import chart_text, labelled, language, tr
from ui.page import downloads, require_view

view, scheme, table = require_view()
before = view.rows(data.scored_previous(view.period, view.scheme))

st.title(tr("总览", "Overview") + f" · {view.period}")
st.caption(f"{scheme.name_zh if language() == 'zh' else scheme.name_en} (v{scheme.version})")

figures = headline_changes(table, before, scheme)
best, worst = scheme.grade_names[0], scheme.grade_names[-1]
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
history = view.rows(data.monthly(view.scheme))
trend = department_trend(history)
trend = trend.assign(department=chart_text(trend["department"]))
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
    x0=parse_period(view.period).months[0],
    x1=parse_period(view.period).months[-1],
    fillcolor="grey",
    opacity=0.12,
    line_width=0,
)
# Months that break a Western Electric rule on the department's X-mR chart are signals; the
# other ups and downs are within the usual variation.
signals = control_chart(department_series(history, scheme, only=(TOTAL,)))
signals = signals[signals["signal"]]
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
st.plotly_chart(chart, width="stretch")
st.caption(
    tr(
        f"红圈为信号(违反西电规则,共 {len(signals)} 个),其余起伏在常规波动之内;"
        "详见「洞察」页的控制图。",
        f"Red circles are signals (a Western Electric rule broken; {len(signals)} in all); "
        "the other ups and downs are within the usual variation. See the control charts on "
        "the Insights page.",
    )
)

st.subheader(tr("进步与退步最多的人", "Largest movers since the previous period"))
if before.empty:
    st.caption(tr("上一期没有数据,无法比较。", "The previous period has no data to compare with."))
else:
    shown = ["employee_id", "name", "department", "previous_total", "total", "change", "grade"]
    shown.append("signal")
    # A change beyond the person's moving-range limit (3.27 × their usual change) is a signal.
    totals = history if view.kind == "month" else aggregate_each(history, view.kind, scheme)
    verdicts = change_signals(totals[["employee_id", "period", "total"]], view.period)
    words = {
        "signal": tr("信号", "Signal"),
        "usual": tr("常规波动", "Usual variation"),
        "short": tr("历史不足", "Too little history"),
    }
    verdict_of = verdicts.set_index("employee_id")["verdict"].map(words)
    moved = {
        side: frame.assign(signal=frame["employee_id"].map(verdict_of).fillna(words["short"]))
        for side, frame in movers(table, before).items()
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
