"""Accounts and sign-in sessions kept in a PostgreSQL store, shared by every dashboard process
over it: the store's methods (on both backends), the `users` commands, and signing in."""

from __future__ import annotations

import io
import sys
import time
from pathlib import Path

import pandas as pd
import psycopg
import pytest

import engine.accounts as accounts
import ui.auth
import ui.data
from engine import cli as engine_cli
from engine import paths
from engine.accounts import (
    Access,
    AccountsInStore,
    accounts_path,
    add_user,
    change_password,
    load_accounts,
    remove_user,
    verify,
)
from engine.store import Store
from tests.apptest import demo_store, open_page

MANAGER = Access("wang", "manager", ("客服部",))


def accounts_changed(store: Store) -> list[str]:
    log = store.events()
    return log.loc[log["action"].eq("accounts_changed"), "detail"].tolist()


# ------------------------------------------------------------------ the store's methods


def test_accounts_in_the_store_are_the_records_the_file_holds(db_target: str, tmp_path) -> None:
    store = Store(db_target, user="cli:hr")
    source = AccountsInStore(store)
    file = tmp_path / "same.toml"
    for target in (source, file):
        add_user("wang", "wang-password", "manager", ["客服部", "呼叫中心"], file=target)
        add_user("E001", "first-password", "employee", employee_id="E001", must_change=True,
                 file=target)  # fmt: skip
    kept, from_file = source.load().users, load_accounts(file).users
    assert set(kept) == set(from_file) == {"wang", "E001"}
    for name in kept:  # the same fields (hashes differ: each has its own salt)
        assert {**kept[name], "password_hash": ""} == {**from_file[name], "password_hash": ""}
    assert verify(source.load(), "wang", "wang-password") == Access(
        "wang", "manager", ("客服部", "呼叫中心")
    )
    assert verify(source.load(), "wang", "wrong-password") is None
    change_password("E001", "first-password", "my-own-password", source)
    assert not source.load().users["E001"].get("must_change_password")
    remove_user("wang", source)
    assert set(source.load().users) == {"E001"}
    assert accounts_changed(store) == [  # newest first
        "wang: removed",
        "E001: password changed",
        "E001: employee E001",
        "wang: manager of 客服部, 呼叫中心",
    ]
    assert set(store.events()["username"]) == {"cli:hr"}
    assert store.version() == 0  # no result changed: cached results stay valid
    assert "wang-password" not in store.events().to_csv()


def test_a_session_is_opened_seen_and_ended_in_the_store(db_target: str) -> None:
    one, other = Store(db_target, user="wang"), Store(db_target, user="cli:admin")
    token = one.start_session("wang", "stamp-1", "role manager")
    li = one.as_user("li").start_session("li", "stamp-2", "role hr")
    seen = other.session_seen(token, 1800)
    assert (seen["username"], seen["stamp"], seen["ended_at"]) == ("wang", "stamp-1", None)
    assert 0 <= seen["idle_seconds"] < 5
    listed = other.sign_in_sessions(1800)
    assert listed["username"].tolist() == ["wang", "li"]
    assert listed["session"].tolist() == [token[:8], li[:8]]  # never the whole token
    assert other.end_sessions("sessions_ended", "signed out by an administrator", username="wang")
    ended = one.session_seen(token, 1800)
    assert ended["reason"] == "signed out by an administrator" and ended["ended_at"] is not None
    assert other.sign_in_sessions(1800)["username"].tolist() == ["li"]
    log = other.events()
    assert log.loc[log["action"].eq("sign_in"), "username"].tolist() == ["li", "wang"]
    assert log.loc[log["action"].eq("sessions_ended"), "detail"].tolist() == [
        "wang: signed out by an administrator (1 session(s))"
    ]


def test_last_seen_is_written_at_most_once_a_minute_and_an_idle_session_times_out(
    db_target: str,
) -> None:
    store = Store(db_target, user="wang")
    token = store.start_session("wang", "s", "role manager")
    started = store.sign_in_sessions()["last_seen"].iloc[0]
    time.sleep(0.05)
    store.session_seen(token, 1800)  # seen a moment ago: no write
    assert store.sign_in_sessions()["last_seen"].iloc[0] == started
    store.session_seen(token, 1800, touch_after=0.01)  # a minute later, in short
    moved = store.sign_in_sessions()["last_seen"].iloc[0]
    assert moved > started
    time.sleep(0.05)
    timed_out = store.session_seen(token, 0.01)
    assert timed_out["reason"] == "timed out" and timed_out["ended_at"] is not None
    assert store.sign_in_sessions().empty
    assert store.session_seen("no-such-token", 1800) is None


def test_removing_or_changing_an_account_ends_its_sessions_a_new_password_does_not(
    db_target: str,
) -> None:
    store = Store(db_target)
    source = AccountsInStore(store)
    add_user("wang", "wang-password", "manager", ["客服部"], file=source)
    add_user("li", "li-password", "hr", file=source)
    wang = store.start_session("wang", "s", "")
    li = store.start_session("li", "s", "")
    add_user("wang", "new-password", "manager", ["客服部"], file=source)  # only the password
    add_user("li", "li-password", "hr", file=source)
    assert store.session_seen(wang, 1800)["ended_at"] is None
    add_user("wang", "new-password", "viewer", file=source)
    remove_user("li", source)
    assert store.session_seen(wang, 1800)["reason"] == "account changed"
    assert store.session_seen(li, 1800)["reason"] == "account removed"


# ------------------------------------------------------------------ the users commands


def users(*args: str, password: str | None = None, monkeypatch=None) -> int:
    if password is not None:
        monkeypatch.setattr(sys, "stdin", io.StringIO(password + "\n"))
    return engine_cli.main(["users", *args])


def test_users_commands_keep_accounts_in_a_postgres_store_audited(
    pg_cluster, monkeypatch, capsys
) -> None:
    url = pg_cluster.fresh_database()
    added = users("add", "wang", "--role", "manager", "--department", "客服部",
                  "--password-stdin", "--db", url, password="wang-password",
                  monkeypatch=monkeypatch)  # fmt: skip
    assert added == 0
    assert capsys.readouterr().out.startswith("store postgresql://")
    assert not accounts_path().exists()  # the file is not the store's accounts
    assert users("list", "--db", url) == 0
    assert capsys.readouterr().out.split() == ["wang", "manager", "客服部"]
    store = Store(url)
    token = store.start_session("wang", "s", "")
    assert users("remove", "wang", "--db", url) == 0
    assert not AccountsInStore(store).load().users
    assert store.session_seen(token, 1800)["reason"] == "account removed"
    log = store.events()
    changed = log[log["action"].eq("accounts_changed")]
    assert changed["detail"].tolist() == ["wang: removed", "wang: manager of 客服部"]
    assert changed["username"].str.startswith("cli").all()


def test_copy_to_store_copies_the_accounts_file_once(pg_cluster, capsys) -> None:
    url = pg_cluster.fresh_database()
    file = accounts_path()
    add_user("wang", "wang-password", "manager", ["客服部"], file=file)
    add_user("li", "li-password", "hr", file=file)
    store = Store(url)
    add_user("li", "other-password", "admin", file=AccountsInStore(store))  # there already
    assert users("copy-to-store", "--db", url) == 0
    said = capsys.readouterr().out
    assert "1 account(s) copied" in said and "1 already there" in said
    kept = AccountsInStore(store).load()
    assert set(kept.users) == {"wang", "li"}
    assert kept.users["wang"]["password_hash"] == load_accounts(file).users["wang"]["password_hash"]
    assert kept.users["li"]["role"] == "admin"  # the store's own account is kept
    assert verify(kept, "wang", "wang-password")  # the same password signs in
    assert users("copy-to-store", "--db", url) == 0
    assert "0 account(s) copied" in capsys.readouterr().out
    copied = [d for d in accounts_changed(store) if d.startswith("copied")]
    assert copied == [f"copied from {file}: wang"]


def test_sign_out_and_sessions_end_and_list_a_users_sessions(pg_cluster, capsys) -> None:
    url = pg_cluster.fresh_database()
    store = Store(url)
    add_user("wang", "wang-password", "manager", ["客服部"], file=AccountsInStore(store))
    tokens = [store.start_session("wang", "s", "") for _ in range(2)]
    store.start_session("li", "s", "")
    assert users("sessions", "--db", url) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[1] for line in lines] == ["wang", "wang", "li"]
    assert lines[0].startswith(tokens[0][:8]) and "idle 0 min" in lines[0]
    assert users("sign-out", "wang", "--db", url) == 0
    assert capsys.readouterr().out.strip() == "wang: 2 open session(s) ended"
    assert users("sessions", "--db", url) == 0
    assert [line.split()[1] for line in capsys.readouterr().out.splitlines()] == ["li"]
    ended = store.events().query("action == 'sessions_ended'")
    assert ended["username"].str.startswith("cli").all()


def test_session_commands_on_a_store_file_say_where_sessions_are(tmp_path, capsys) -> None:
    db = tmp_path / "store.duckdb"
    assert users("sign-out", "wang", "--db", str(db)) == 2
    assert "only in a PostgreSQL store" in capsys.readouterr().err
    assert users("sessions", "--db", str(db)) == 2
    assert users("copy-to-store", "--db", str(db)) == 2
    assert not db.exists()  # not even opened


# ------------------------------------------------------------------ signing in through the store


@pytest.fixture
def pg_dashboard(pg_cluster, monkeypatch) -> Store:
    """The dashboard on a PostgreSQL store of the demo months with its accounts in the store
    (and none in the accounts file)."""
    url = pg_cluster.demo_database()
    monkeypatch.setenv(paths.DB_ENV, url)
    store = Store(url, user="cli:admin")
    add_user("wang", "wang-password", "manager", ["客服部"], file=AccountsInStore(store))
    add_user("admin.zhou", "zhou-password", "admin", file=AccountsInStore(store))
    ui.auth.throttle.clear()
    ui.data._store_accounts.clear()
    return store


def signed_in_page(store: Store):
    at = open_page()
    at.text_input[0].input("wang")
    at.text_input[1].input("wang-password")
    at.button[0].click().run()
    assert not at.exception
    assert at.session_state["access"] == MANAGER
    return at


def set_back(url: str, minutes: int) -> None:
    """Every session last seen `minutes` earlier (as if nobody ran a page since)."""
    with psycopg.connect(url, autocommit=True) as con:
        con.execute(
            "UPDATE sign_in_sessions SET last_seen = last_seen - make_interval(mins => %s)",
            [minutes],
        )


def test_signing_in_and_out_opens_and_ends_a_session_in_the_store(pg_dashboard) -> None:
    assert not accounts_path().exists()
    at = signed_in_page(pg_dashboard)
    assert at.main.title[0].value.startswith("总览")
    sessions = pg_dashboard.sign_in_sessions()
    assert sessions["username"].tolist() == ["wang"]
    assert at.session_state[ui.auth.TOKEN_KEY].startswith(sessions["session"].iloc[0])
    at.sidebar.button(key="sign_out").click().run()
    assert at.title[0].value.startswith("登录")
    assert pg_dashboard.sign_in_sessions().empty
    log = pg_dashboard.events()
    assert log.loc[log["action"].isin(["sign_in", "sign_out"]), "action"].tolist() == [
        "sign_out",
        "sign_in",
    ]


def test_an_administrator_signing_a_user_out_ends_the_session_at_its_next_run(
    pg_dashboard,
) -> None:
    at = signed_in_page(pg_dashboard)
    Store(str(pg_dashboard.path)).end_sessions(
        "sessions_ended", "signed out by an administrator", username="wang"
    )
    at.run()
    assert not at.exception
    assert at.title[0].value.startswith("登录")
    assert "管理员已结束您的会话" in at.info[0].value
    assert "access" not in at.session_state


def test_idle_time_is_measured_from_the_last_seen_time_in_the_store(pg_dashboard) -> None:
    at = signed_in_page(pg_dashboard)
    set_back(str(pg_dashboard.path), 29)
    at.run()
    assert at.main.title[0].value.startswith("总览")  # 29 minutes: still signed in
    set_back(str(pg_dashboard.path), 31)  # that run moved last seen to now
    at.run()
    assert at.title[0].value.startswith("登录")
    assert "已自动退出" in at.info[0].value
    assert pg_dashboard.sign_in_sessions().empty


@pytest.mark.parametrize("change", ["removed", "role changed"])
def test_a_session_ends_when_its_account_is_removed_or_changed_in_the_store(
    pg_dashboard, change
) -> None:
    at = signed_in_page(pg_dashboard)
    source = AccountsInStore(Store(str(pg_dashboard.path)))
    if change == "removed":
        remove_user("wang", source)
    else:
        add_user("wang", "wang-password", "viewer", file=source)
    ui.data._store_accounts.clear()  # (every process reads the accounts again within 2 s)
    at.run()
    assert at.title[0].value.startswith("登录")
    assert "账户已被删除或更改" in at.info[0].value
    assert "access" not in at.session_state


def test_a_session_without_a_session_in_the_store_is_not_signed_in(pg_dashboard) -> None:
    # A session state naming an access (as before this release), but no session in the store.
    at = open_page(access=MANAGER, last_seen=time.time())
    assert at.title[0].value.startswith("登录")


def test_an_account_added_in_another_process_signs_in_at_once(pg_dashboard, tmp_path) -> None:
    at = open_page()  # the accounts read (and cached) before li exists
    assert at.title[0].value.startswith("登录"), [t.value for t in at.title]
    add_user("li", "li-password", "hr", file=AccountsInStore(Store(str(pg_dashboard.path))))
    at.text_input[0].input("li")
    at.text_input[1].input("li-password")
    at.button[0].click().run()
    assert not at.exception, at.exception
    assert not at.error, at.error
    assert at.session_state["access"] == Access("li", "hr")


def test_the_file_stays_the_accounts_of_a_store_file(tmp_path: Path, monkeypatch) -> None:
    db = demo_store(tmp_path)
    monkeypatch.setenv(paths.DB_ENV, str(db))
    add_user("wang", "wang-password", "manager", ["客服部"], file=accounts_path())
    at = open_page()
    at.text_input[0].input("wang")
    at.text_input[1].input("wang-password")
    at.button[0].click().run()
    assert at.session_state["access"] == MANAGER
    assert ui.auth.TOKEN_KEY not in at.session_state
    assert Store(db).sign_in_sessions().empty


def test_the_audit_page_lists_the_open_sessions_of_every_process(pg_dashboard) -> None:
    Store(str(pg_dashboard.path)).start_session("wang", "s", "role manager")  # elsewhere
    at = open_page()
    at.text_input[0].input("admin.zhou")
    at.text_input[1].input("zhou-password")
    at.button[0].click().run()
    at.switch_page("pages/audit.py").run()
    assert not at.exception
    assert at.main.expander[0].label == "当前登录会话"
    sessions = at.main.expander[0].dataframe[0].value
    assert sorted(sessions["username"]) == ["admin.zhou", "wang"]
    assert sessions["session"].str.len().eq(8).all()


def test_the_audit_page_of_a_store_file_has_no_sessions_table(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv(paths.DB_ENV, str(demo_store(tmp_path)))
    at = open_page("audit")
    assert not at.exception
    assert not at.main.expander


def test_viewers_pseudonyms_are_the_same_on_every_machine_of_a_postgres_store(
    pg_cluster, tmp_path, monkeypatch
) -> None:
    url = pg_cluster.fresh_database()
    monkeypatch.setenv(paths.DB_ENV, url)
    ids = pd.Series(["E001", "E002"])
    shown = []
    for machine in ("one", "two"):  # each machine has its own folder beside its accounts file
        monkeypatch.setenv("ASSESS_ACCOUNTS", str(tmp_path / machine / "accounts.toml"))
        accounts._store_pseudonym_key.cache_clear()  # a process of its own
        shown.append(accounts.pseudonyms(ids).tolist())
        assert not (tmp_path / machine).exists()  # no key file written beside it
    assert shown[0] == shown[1] and shown[0][0] != shown[0][1]
    monkeypatch.setenv(paths.DB_ENV, str(tmp_path / "store.duckdb"))  # a DuckDB store: its file
    assert accounts.pseudonyms(ids).tolist() != shown[0]
