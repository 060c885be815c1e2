"""Entry script: sets the page up, imports demo data on first start, draws the shared sidebar
and routes to the pages in pages/."""

import contextlib

import streamlit as st

from engine.accounts import Access
from engine.store import StoreError
from ui import auth, data, keeping, sidebar
from ui.i18n import page_title, tr

st.set_page_config(page_title="绩效考核分析 · Assessment", page_icon="📊", layout="wide")

# (file, title, icon, who may open it). "everyone" is every role but `employee`: an employee
# account opens only its own results and the scheme (which holds no names); a page added later
# stays closed to employees unless it says otherwise.
PAGES = [
    ("pages/overview.py", "总览 · Overview", "📊", "everyone"),
    ("pages/my_results.py", "我的绩效 · My results", "🙋", "employee"),
    ("pages/ranking.py", "排名 · Ranking", "🏆", "everyone"),
    ("pages/distribution.py", "等级分布 · Grades", "📶", "everyone"),
    ("pages/kpis.py", "指标分析 · KPIs", "🧩", "everyone"),
    ("pages/employee.py", "员工详情 · Employee", "👤", "named"),
    ("pages/targets.py", "目标 · Targets", "🎯", "everyone"),
    ("pages/whatif.py", "模拟测算 · What-if", "🧪", "editors"),
    ("pages/rules.py", "规则与薪酬 · Rules & pay", "📅", "named"),
    ("pages/insights.py", "洞察 · Insights", "🔬", "named"),
    ("pages/scheme.py", "考核标准 · Scheme", "📜", "employees too"),
    ("pages/calibration.py", "校准 · Calibration", "⚖️", "editors"),
    ("pages/appeals.py", "申诉与面谈 · Appeals & interviews", "🗣️", "reviewers"),
    ("pages/imports.py", "导入数据 · Import", "📥", "editors"),
    ("pages/audit.py", "审计日志 · Audit log", "🔎", "auditors"),
]


def allowed(access: Access, who: str) -> bool:
    staff = not access.is_employee
    rules = {
        "everyone": staff,
        "employees too": True,
        "employee": access.is_employee,
        "named": staff and access.sees_names,
        "editors": access.may_change_data,
        "auditors": access.may_read_audit,
        # Appeals and interviews: admin and HR, a manager for their departments (not viewers).
        "reviewers": access.role in ("admin", "hr", "manager"),
    }
    return rules[who]


def pages(access: Access | None) -> list[st.Page]:
    """The pages this user may open; every page while nobody is signed in, so the address asked
    for (a deep link such as /employee?employee=E0001) is kept through the sign-in form."""
    return [
        st.Page(path, title=page_title(title), icon=icon, default=i == 0)
        for i, (path, title, icon, who) in enumerate(PAGES)
        if access is None or allowed(access, who)
    ]


with contextlib.ExitStack() as run:
    try:
        # A version just adopted is being kept: its progress, before the store is held (a
        # waiting page must not keep the file or a server connection open all that time).
        keeping.wait_drawn(str(data.current_store().path))
        # One open of the store file for the whole run, not one per read (each costs up to
        # 140 ms on a busy machine, and a cold page reads a dozen times).
        run.enter_context(data.held_store())
        loaded = data.ensure_demo_data()
        access = auth.current(pages(None))
        auth.sidebar_badge(access)
        view = sidebar.draw()
    except StoreError as exc:
        st.error(f"数据库无法打开 · The store cannot be opened: {exc}")
        st.stop()
    if loaded:
        st.toast(
            tr(f"已导入演示数据:{len(loaded)} 个月", f"Demo data imported: {len(loaded)} months")
        )

    # Every page listed: a folded menu would add Streamlit's own English "View N more" button.
    st.navigation(pages(access), expanded=True).run()
