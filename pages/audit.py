"""Audit log: who signed in, imported, replaced, restored, deleted, changed schemes or exported."""

import pandas as pd
import streamlit as st

from ui import data
from ui.i18n import action_name, tr, user_name
from ui.page import downloads
from ui.wording import event_columns, shown_events

if not data.access().may_read_audit:
    st.error(
        tr("只有管理员和人力资源可以查看审计日志。", "Only admin and HR may read the audit log.")
    )
    st.stop()

st.title(tr("审计日志", "Audit log"))
st.caption(
    tr(
        "日志只能追加,不能在应用中修改或删除。",
        "The log is append-only: the app offers no way to change or delete it.",
    )
)
log = data.current_store().events()
if log.empty:
    st.info(tr("还没有记录。", "Nothing recorded yet."))
    st.stop()

left, middle, right = st.columns(3)
users = left.multiselect(
    tr("用户", "User"),
    sorted(log["username"].dropna().unique()),
    format_func=user_name,
    placeholder=tr("全部", "All"),
)
actions = middle.multiselect(
    tr("操作", "Action"),
    sorted(log["action"].unique()),
    format_func=action_name,
    placeholder=tr("全部", "All"),
)
first, last = log["happened_at"].min().date(), log["happened_at"].max().date()
dates = right.date_input(tr("日期", "Dates"), (first, last), min_value=first, max_value=last)

shown = log
if users:
    shown = shown[shown["username"].isin(users)]
if actions:
    shown = shown[shown["action"].isin(actions)]
if isinstance(dates, tuple) and len(dates) == 2:
    day = shown["happened_at"].dt.normalize()
    shown = shown[(day >= pd.Timestamp(dates[0])) & (day <= pd.Timestamp(dates[1]))]

st.dataframe(
    shown_events(shown[["happened_at", "username", "action", "period", "import_id", "detail"]]),
    hide_index=True,
    width="stretch",
    column_config=event_columns(),
)
chosen = ((tr("用户", "User"), "、".join(users)), (tr("操作", "Action"), "、".join(actions)))
downloads(
    shown,
    "audit_log",
    key="audit",
    period="~".join(str(d) for d in dates) if isinstance(dates, tuple) else str(dates),
    scope=tr("审计日志", "Audit log"),
    filters=tuple((what, values) for what, values in chosen if values),
)

if data.sessions_in_store():  # a PostgreSQL store: the sessions of every dashboard process
    with st.expander(tr("当前登录会话", "Open sign-in sessions")):
        st.caption(
            tr(
                "所有看板进程中尚未退出或超时的会话。结束某用户的全部会话:"
                "python -m engine users sign-out 用户名",
                "Sessions not yet signed out or timed out, in every dashboard process. To end "
                "all of a user's sessions: python -m engine users sign-out NAME",
            )
        )
        st.dataframe(
            data.open_sessions(),
            hide_index=True,
            width="stretch",
            column_config={
                "session": tr("会话", "Session"),
                "username": tr("用户", "User"),
                "started_at": st.column_config.DatetimeColumn(
                    tr("登录时间", "Signed in"), format="YYYY-MM-DD HH:mm"
                ),
                "last_seen": st.column_config.DatetimeColumn(
                    tr("最近活动(约每分钟记录)", "Last seen (kept about once a minute)"),
                    format="YYYY-MM-DD HH:mm",
                ),
                "idle_seconds": st.column_config.NumberColumn(
                    tr("空闲(秒)", "Idle (s)"), format="%d"
                ),
            },
        )
