"""Entry script: sets the page up, imports demo data on first start, draws the shared sidebar
and routes to the pages in pages/."""

import streamlit as st

from engine.store import StoreError
from ui import data, sidebar
from ui.i18n import tr

st.set_page_config(page_title="绩效考核分析 · Assessment", page_icon="📊", layout="wide")

PAGES = [
    ("pages/overview.py", "总览 · Overview", "📊"),
    ("pages/ranking.py", "排名 · Ranking", "🏆"),
    ("pages/distribution.py", "等级分布 · Grades", "📶"),
    ("pages/kpis.py", "指标分析 · KPIs", "🧩"),
    ("pages/employee.py", "员工详情 · Employee", "👤"),
    ("pages/whatif.py", "模拟测算 · What-if", "🧪"),
    ("pages/rules.py", "规则与薪酬 · Rules & pay", "📅"),
    ("pages/scheme.py", "考核标准 · Scheme", "📜"),
    ("pages/imports.py", "导入数据 · Import", "📥"),
]

try:
    loaded = data.ensure_demo_data()
    view = sidebar.draw()
except StoreError as exc:
    st.error(f"数据库无法打开 · The store cannot be opened: {exc}")
    st.stop()
if loaded:
    st.toast(tr(f"已导入演示数据:{len(loaded)} 个月", f"Demo data imported: {len(loaded)} months"))

navigation = st.navigation(
    [
        st.Page(path, title=title, icon=icon, default=i == 0)
        for i, (path, title, icon) in enumerate(PAGES)
    ]
)
navigation.run()
