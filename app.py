"""Entry page of the assessment dashboard: sets the page up, loads demo data on first start."""

import plotly.express as px
import streamlit as st

from engine.export import csv_bytes
from engine.store import StoreError
from ui import data
from ui.labels import labelled

st.set_page_config(page_title="绩效考核分析 · Assessment dashboard", page_icon="📊", layout="wide")

try:
    loaded = data.ensure_demo_data()
except StoreError as exc:
    st.error(f"数据库无法打开 · The store cannot be opened: {exc}")
    st.stop()
if loaded:
    st.toast(f"已导入演示数据 · Demo data imported: {len(loaded)} months")

scheme = data.current_scheme()
months = data.periods()["month"]
st.title("绩效考核分析 · Performance assessment")
st.caption(f"{scheme.name_zh} · {scheme.name_en} (v{scheme.version})")
if not months:
    st.info("还没有数据。请导入月度考核表。 · No data yet: import a monthly file.")
    st.stop()

period = st.sidebar.selectbox("考核月份 · Month", months, index=0)
table = data.scored(period)
graded = table.dropna(subset=["total"])

left, middle, right, last = st.columns(4)
left.metric("人数 · Headcount", f"{len(table)}")
middle.metric("平均分 · Mean total", f"{graded['total'].mean():.2f}")
top, bottom = scheme.grade_names[0], scheme.grade_names[-1]
right.metric(f"{top}占比 · Share {top}", f"{(graded['grade'] == top).mean():.1%}")
last.metric(f"{bottom}占比 · Share {bottom}", f"{(graded['grade'] == bottom).mean():.1%}")

counts = graded["grade"].value_counts().reindex(scheme.grade_names, fill_value=0).reset_index()
counts.columns = ["grade", "count"]
st.plotly_chart(
    px.bar(
        counts,
        x="grade",
        y="count",
        text="count",
        labels={"grade": "等级 · Grade", "count": "人数 · People"},
    ),
    width="stretch",
)

shown = ["rank", "employee_id", "name", "department", "team", "role", "total", "grade", "bonus"]
st.subheader("排名 · Ranking")
st.dataframe(labelled(table[shown]), hide_index=True, width="stretch")
st.download_button(
    "下载 CSV · Download CSV", csv_bytes(table), file_name=f"scores_{period}.csv", mime="text/csv"
)
