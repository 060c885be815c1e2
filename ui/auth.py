"""Sign-in: who is using this browser session, timed out after inactivity; local mode without
an accounts file."""

from __future__ import annotations

import time

import streamlit as st

from engine.accounts import LOCAL_ACCESS, ROLE_NAMES, Access, Accounts, Throttle, verify
from ui import data
from ui.i18n import plain, tr

ACCESS_KEY = "access"
SEEN_KEY = "last_seen"


@st.cache_resource(show_spinner=False)
def throttle() -> Throttle:
    """One throttle per server process, so every browser session shares the failure counts."""
    return Throttle()


def current() -> Access:
    """This session's access; draws the sign-in form and stops the page when signed out."""
    known = data.accounts()
    if not known.sign_in_required:
        return LOCAL_ACCESS
    access: Access | None = st.session_state.get(ACCESS_KEY)
    now = time.time()
    idle = now - st.session_state.get(SEEN_KEY, now)
    if access is not None and idle > known.session_minutes * 60:
        sign_out(
            tr(
                "长时间未操作,已自动退出,请重新登录。",
                "You were signed out after a period of inactivity. Sign in again.",
            )
        )
        access = None
    if access is None:
        _sign_in_form(known)
        st.stop()
    st.session_state[SEEN_KEY] = now
    return access


def _sign_in_form(known: Accounts) -> None:
    st.title(tr("登录 · 绩效考核分析", "Sign in · Performance assessment"))
    if notice := st.session_state.pop("sign_in_notice", None):
        st.info(notice)
    with st.form("sign_in"):
        username = st.text_input(tr("用户名", "User name"))
        password = st.text_input(tr("密码", "Password"), type="password")
        submitted = st.form_submit_button(tr("登录", "Sign in"), type="primary")
    if not submitted:
        return
    guard = throttle()
    wait = guard.wait_seconds(username)
    if wait > 0:
        st.error(
            tr(
                f"尝试次数过多,请 {wait:.0f} 秒后再试。",
                f"Too many attempts: wait {wait:.0f} s before trying again.",
            )
        )
        return
    access = verify(known, username, password)
    store = data.current_store().as_user(username or "?")
    if access is None:
        guard.failed(username)
        store.audit("sign_in_failed", "wrong user name or password")
        st.error(tr("用户名或密码错误。", "Wrong user name or password."))
        return
    guard.succeeded(username)
    store.audit("sign_in", f"role {access.role}")
    st.session_state[ACCESS_KEY] = access
    st.session_state[SEEN_KEY] = time.time()
    st.rerun()


def sign_out(notice: str | None = None) -> None:
    st.session_state.pop(ACCESS_KEY, None)
    if notice:
        st.session_state["sign_in_notice"] = notice


def sidebar_badge(access: Access) -> None:
    """Who is signed in (and a sign-out button), or that this is local single-user mode."""
    if access is LOCAL_ACCESS:
        st.sidebar.caption(
            tr(
                "单机模式:未启用登录,仅本机可访问。启用方法见 README。",
                "Local mode: no sign-in, reachable from this computer only (README: sign-in).",
            )
        )
        return
    role = tr(*ROLE_NAMES[access.role])
    everyone = tr("全部部门", "all departments")
    scope = plain("、".join(access.departments)) if access.departments else everyone
    st.sidebar.caption(f"👤 {access.user} · {role} · {scope}")
    if st.sidebar.button(tr("退出登录", "Sign out"), key="sign_out"):
        data.current_store().audit("sign_out")
        sign_out()
        st.rerun()
