"""Sign-in: who is using this browser session, timed out after inactivity; local mode without
an accounts file."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

import streamlit as st

from engine.accounts import (
    LOCAL_ACCESS,
    ROLE_NAMES,
    Access,
    AccountError,
    Accounts,
    Throttle,
    account_stamp,
    change_password,
    must_change_password,
    still_valid,
    verify,
)
from engine.store import Store
from ui import data
from ui.i18n import plain, tr

LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}
ACCESS_KEY = "access"
SEEN_KEY = "last_seen"
TICKET_KEY = "session_ticket"
TOKEN_KEY = "session_token"  # the sign-in session in a PostgreSQL store
# Why the store ended a session, as the sign-in form tells the user.
ENDED_NOTICES = {
    "timed out": (
        "长时间未操作,已自动退出,请重新登录。",
        "You were signed out after a period of inactivity. Sign in again.",
    ),
    "signed out by an administrator": (
        "管理员已结束您的会话,请重新登录。",
        "An administrator ended your session. Sign in again.",
    ),
}
ACCOUNT_CHANGED = (
    "您的账户已被删除或更改,请重新登录。",
    "Your account was removed or changed. Sign in again.",
)


@dataclass
class Ticket:
    """Who this session signed in as and until when, for work done later outside a script run
    (a download is made when clicked, in another thread, where session state cannot be read)."""

    access: Access | None = None
    expires: float = 0.0


def _ticket() -> Ticket:
    return st.session_state.setdefault(TICKET_KEY, Ticket())


@st.cache_resource(show_spinner=False)
def throttle() -> Throttle:
    """One throttle per server process, so every browser session shares the failure counts."""
    return Throttle()


class StoreThrottle:
    """The failure counts kept in a PostgreSQL store, so the wait after wrong passwords is the
    same in every dashboard process over it (a DuckDB store has one dashboard process)."""

    def __init__(self, store: Store):
        self.store = store

    def attempt(self, username: str) -> float:
        return self.store.sign_in_attempt(username)

    def succeeded(self, username: str) -> None:
        self.store.sign_in_succeeded(username)


def shared_throttle() -> Throttle | StoreThrottle:
    """The throttle every session that can reach this store shares."""
    target = data.current_store()
    return StoreThrottle(target) if target.postgres else throttle()


def current(every_page: list[st.Page] | None = None) -> Access:
    """This session's access; draws the sign-in form and stops the page when signed out.

    While signed out, `every_page` is routed without running any of them, so the page and query
    parameters asked for stay in the address and the run after signing in opens them."""
    known = data.accounts()
    if not known.sign_in_required:
        return LOCAL_ACCESS
    access: Access | None = st.session_state.get(ACCESS_KEY)
    now = time.time()
    idle = now - st.session_state.get(SEEN_KEY, now)
    if access is not None and data.sessions_in_store():
        if (ended := _ended_in_store(known, access)) is not None:
            sign_out(tr(*ended))
            access = None
    elif access is not None and idle > known.session_minutes * 60:
        sign_out(
            tr(
                "长时间未操作,已自动退出,请重新登录。",
                "You were signed out after a period of inactivity. Sign in again.",
            )
        )
        access = None
    elif access is not None and not still_valid(known, access):
        data.current_store().audit("signed_out", "account removed or changed")
        sign_out(tr(*ACCOUNT_CHANGED))
        access = None
    if access is None or must_change_password(known, access.user):
        if every_page:
            st.navigation(every_page, position="hidden")
        if access is None:
            _sign_in_form(known)
        else:  # a one-time password (import-roster, --must-change): nothing else until changed
            _change_password_form(access)
        st.stop()
    st.session_state[SEEN_KEY] = now
    ticket = _ticket()
    ticket.access, ticket.expires = access, now + known.session_minutes * 60
    return access


def _ended_in_store(known: Accounts, access: Access) -> tuple[str, str] | None:
    """Why this session has ended in the store (signed out elsewhere, timed out, its account
    removed or changed in any process), as a notice; None while it is open. Its last-seen
    time in the store moves on about once a minute."""
    store = data.current_store()
    token = st.session_state.get(TOKEN_KEY)
    seen = store.session_seen(token, known.session_minutes * 60) if token else None
    if seen is not None and seen["ended_at"] is not None:
        return ENDED_NOTICES.get(seen["reason"], ACCOUNT_CHANGED)
    record = known.users.get(access.user)
    changed = record is None or not still_valid(known, access)
    if seen is None or changed or seen["stamp"] != account_stamp(record):
        if token:
            store.end_sessions("signed_out", "account removed or changed", token=token)
        return ACCOUNT_CHANGED
    return None


def still_signed_in() -> Callable[[], bool]:
    """A check for later (a download clicked): is this session then still signed in, within its
    timeout, with its account unchanged (in the accounts file or the store), and, in a
    PostgreSQL store, its session not ended by any process?"""
    held, source = _ticket(), data.account_source_now()
    token = st.session_state.get(TOKEN_KEY) if data.sessions_in_store() else None

    def check() -> bool:
        known = source.load()
        if not known.sign_in_required:
            return True
        access = held.access
        if access is None or time.time() > held.expires or not still_valid(known, access):
            return False
        if token is None:
            return not data.sessions_in_store()
        seen = source.store.session_seen(token, known.session_minutes * 60, touch=False)
        return seen is not None and seen["ended_at"] is None

    return check


def browser_address() -> str | None:
    """The address in the user's browser (behind a proxy that adds HTTPS, the https one)."""
    return st.context.url


def unencrypted(address: str | None) -> bool:
    """Whether passwords and data would cross a network in clear text: plain HTTP to another
    computer (an unknown address is not warned about)."""
    if not address:
        return False
    parts = urlsplit(address)
    return parts.scheme == "http" and parts.hostname not in LOCAL_HOSTS


def _sign_in_form(known: Accounts) -> None:
    st.title(tr("登录 · 绩效考核分析", "Sign in · Performance assessment"))
    if unencrypted(browser_address()):
        st.warning(
            tr(
                "此连接未加密(HTTP):密码和考核数据以明文在网络上传输。"
                "请管理员启用 HTTPS(见 README「TLS」)。",
                "This connection is not encrypted (HTTP): the password and the data cross the "
                "network in clear text. Ask the administrator to enable HTTPS (README: TLS).",
            )
        )
    if notice := st.session_state.pop("sign_in_notice", None):
        st.info(notice)
    with st.form("sign_in"):
        username = st.text_input(tr("用户名", "User name"))
        password = st.text_input(tr("密码", "Password"), type="password")
        submitted = st.form_submit_button(tr("登录", "Sign in"), type="primary")
    if not submitted:
        return
    guard = shared_throttle()
    store = data.current_store().as_user(username or "?")
    wait = math.ceil(guard.attempt(username))
    if wait > 0:
        store.audit("sign_in_throttled", f"wait {wait} s")
        st.error(
            tr(
                f"尝试次数过多,请 {wait} 秒后再试。",
                f"Too many attempts: wait {wait} s before trying again.",
            )
        )
        return
    if data.sessions_in_store():  # an account added a moment ago in another process
        known = data.account_source_now().load()
    access = verify(known, username, password)
    if access is None:
        store.audit("sign_in_failed", "wrong user name or password")
        st.error(tr("用户名或密码错误。", "Wrong user name or password."))
        return
    guard.succeeded(username)
    if data.sessions_in_store():
        data.accounts_read_again()  # the next run must know the account signed in with
        stamp = account_stamp(known.users[username])
        st.session_state[TOKEN_KEY] = store.start_session(username, stamp, f"role {access.role}")
    else:
        store.audit("sign_in", f"role {access.role}")
    st.session_state[ACCESS_KEY] = access
    st.session_state[SEEN_KEY] = time.time()
    st.rerun()


def _change_password_form(access: Access) -> None:
    st.title(tr("设置新密码", "Choose a new password"))
    st.info(
        tr(
            "您使用的是一次性初始密码,请先设置自己的新密码(至少 8 个字符)。",
            "You signed in with a one-time initial password: choose your own password first "
            "(at least 8 characters).",
        )
    )
    with st.form("change_password"):
        old = st.text_input(tr("当前密码", "Current password"), type="password")
        new = st.text_input(tr("新密码", "New password"), type="password")
        again = st.text_input(tr("再次输入新密码", "New password again"), type="password")
        submitted = st.form_submit_button(tr("保存新密码", "Save the new password"), type="primary")
    if st.button(tr("退出登录", "Sign out"), key="sign_out_unchanged"):
        if data.sessions_in_store():
            _end_this_session()
        sign_out()
        st.rerun()
    if not submitted:
        return
    problem = (
        tr("两次输入的新密码不一致。", "The two new passwords differ.")
        if new != again
        else tr("新密码至少 8 个字符。", "The new password needs at least 8 characters.")
        if len(new) < 8
        else tr("新密码不能与当前密码相同。", "The new password must differ from the current one.")
        if new == old
        else ""
    )
    if problem:
        st.error(problem)
        return
    store = data.current_store()
    try:
        change_password(access.user, old, new, data.account_source_now())
    except AccountError:  # the only one left: a wrong current password
        store.audit("password_change_refused", "wrong current password")
        st.error(tr("当前密码错误,密码未更改。", "Wrong current password: nothing changed."))
        return
    store.audit("password_changed", "one-time password replaced")
    st.session_state[SEEN_KEY] = time.time()
    st.rerun()


def sign_out(notice: str | None = None) -> None:
    st.session_state.pop(ACCESS_KEY, None)
    st.session_state.pop(TOKEN_KEY, None)
    _ticket().access = None
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
    if access.is_employee:
        scope = tr(f"工号 {plain(access.employee_id)}", f"ID {plain(access.employee_id)}")
    st.sidebar.caption(f"👤 {access.user} · {role} · {scope}")
    if st.sidebar.button(tr("退出登录", "Sign out"), key="sign_out"):
        _end_this_session()
        sign_out()
        st.rerun()


def _end_this_session() -> None:
    """Signing out, audited: in a PostgreSQL store the session ends there too."""
    token = st.session_state.get(TOKEN_KEY)
    if data.sessions_in_store() and token:
        data.current_store().end_sessions("sign_out", "signed out", token=token)
    else:
        data.current_store().audit("sign_out")
