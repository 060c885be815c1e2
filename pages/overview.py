"""Overview: the month at a glance against the previous period, service targets, trends, movers."""

import plotly.express as px
import streamlit as st

from engine.analysis.figures import department_trend, headline_changes, movers, service_targets
from engine.scoring.periods import parse_period
from ui import data
from ui.i18n import chart_text, grade_name, labelled, language, month_ticks, tr
from ui.page import downloads, require_view

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
st.plotly_chart(month_ticks(chart), width="stretch")

st.subheader(tr("进步与退步最多的人", "Largest movers since the previous period"))
if before.empty:
    st.caption(tr("上一期没有数据,无法比较。", "The previous period has no data to compare with."))
else:
    shown = ["employee_id", "name", "department", "previous_total", "total", "change", "grade"]
    moved = movers(table, before)
    up, down = st.columns(2)
    up.markdown(tr("**进步最多**", "**Up the most**"))
    up.dataframe(labelled(moved["up"][shown], scheme), hide_index=True, width="stretch")
    down.markdown(tr("**退步最多**", "**Down the most**"))
    down.dataframe(labelled(moved["down"][shown], scheme), hide_index=True, width="stretch")

with st.expander(tr("下载本期成绩表", "Download this period's scores")):
    downloads(table, f"scores_{view.period}", scheme, key="overview")
