"""Employee accounts in bulk (`users import-roster`), one-time passwords changed at the first
sign-in, and publishing a month from the command line."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pandas as pd
import pytest

from engine import cli as engine_cli
from engine.accounts import (
    Access,
    accounts_path,
    add_user,
    import_roster,
    load_accounts,
    must_change_password,
    verify,
)
from engine.store import Store
from tests.test_cli import OCTOBER, cli, write
from tests.test_page_my_results import small  # noqa: F401  (the fixture, used below)

PASSWORD_HEADER = "用户名 username,工号 employee_id,姓名 name,部门 department,初始密码 password"


@pytest.fixture
def october(tmp_path: Path) -> Path:
    db = tmp_path / "roster.duckdb"
    assert cli(db, "import", write(tmp_path, "2026-10.csv", OCTOBER)).returncode == 0
    return db


def password_rows(file: Path) -> pd.DataFrame:
    text = file.read_text(encoding="utf-8-sig")
    assert text.splitlines()[0] == PASSWORD_HEADER
    return pd.read_csv(io.StringIO(text), dtype=str, header=0, names=["u", "id", "n", "d", "p"])


def test_import_roster_makes_employee_accounts_with_one_time_passwords_for_hr(october, tmp_path):
    out = tmp_path / "hr" / "passwords.csv"
    done = cli(october, "users", "import-roster", "2026-10", "--out", out)
    assert done.returncode == 0, done.stderr
    assert out.stat().st_mode & 0o777 == 0o600
    rows = password_rows(out)
    assert rows["u"].tolist() == ["E001", "E002", "E003"] and rows["u"].equals(rows["id"])
    assert rows["n"].tolist() == ["张三", "'=1+1", "王五"]  # a formula-looking name stays text
    assert rows["p"].str.fullmatch(r"[a-km-zA-HJ-NP-Z2-9]{5}(-[a-km-zA-HJ-NP-Z2-9]{5}){2}").all()
    assert rows["p"].nunique() == 3
    accounts = load_accounts(accounts_path())
    for user, password in zip(rows["u"], rows["p"], strict=True):
        assert verify(accounts, user, password) == Access(user, "employee", (), user)
        assert must_change_password(accounts, user)
    log = Store(october).events()
    created = log[log["action"].eq("accounts_created")]
    assert len(created) == 1 and created["username"].iloc[0].startswith("cli")
    assert "2026-10: 3 employee account(s)" in created["detail"].iloc[0]
    secrets = rows["p"].tolist()
    assert not [p for p in secrets if p in log.to_csv() or p in done.stdout + done.stderr]


def test_running_it_again_creates_only_the_missing_accounts(october, tmp_path):
    add_user("E003", "hr-chosen-password", "hr", file=accounts_path())  # left as it is
    kept = load_accounts(accounts_path()).users["E003"]
    first = cli(
        october,
        "users",
        "import-roster",
        "2026-10",
        "--department",
        "售后服务部",
        "--out",
        tmp_path / "a.csv",
    )
    assert first.returncode == 0, first.stderr
    assert password_rows(tmp_path / "a.csv")["u"].tolist() == ["E001", "E002"]
    again = cli(october, "users", "import-roster", "2026-10", "--out", tmp_path / "b.csv")
    assert again.returncode == 0, again.stderr
    assert "every person already has an account" in again.stdout
    assert not (tmp_path / "b.csv").exists()
    users = load_accounts(accounts_path()).users
    assert sorted(users) == ["E001", "E002", "E003"] and users["E003"] == kept
    assert (Store(october).events()["action"] == "accounts_created").sum() == 1


def test_an_account_already_linked_to_the_id_is_not_doubled(tmp_path):
    file = tmp_path / "accounts.toml"
    add_user("zhang.san", "zhang-password", "employee", employee_id="E001", file=file)
    people = pd.DataFrame(
        {"employee_id": ["E001", "E-02"], "name": ["张三", "李四"], "department": ["客服部"] * 2}
    )
    created = import_roster(people, tmp_path / "p.csv", file)
    assert created.empty and created.attrs["skipped"] == ["E-02"]
    assert sorted(load_accounts(file).users) == ["zhang.san"]


def test_an_existing_password_file_is_never_written_over(october, tmp_path):
    out = write(tmp_path, "passwords.csv", "handed out already\n")
    done = cli(october, "users", "import-roster", "2026-10", "--out", out)
    assert done.returncode == 2 and "exists already" in done.stderr
    assert out.read_text() == "handed out already\n"
    assert not load_accounts(accounts_path()).users  # no account whose password nobody holds


def test_users_add_links_an_employee_account_and_list_shows_it(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", io.StringIO("zhang-password\n"))
    code = engine_cli.main(
        ["users", "add", "E001", "--role", "employee", "--employee", "E001", "--password-stdin"]
    )
    assert code == 0
    monkeypatch.setattr(sys, "stdin", io.StringIO("zhang-password\n"))
    refused = engine_cli.main(["users", "add", "E002", "--role", "employee", "--password-stdin"])
    assert refused == 2 and "needs its employee id" in capsys.readouterr().err
    assert engine_cli.main(["users", "list"]) == 0
    assert capsys.readouterr().out.split() == ["E001", "employee", "E001"]


def test_the_first_sign_in_must_choose_a_new_password(small, tmp_path):  # noqa: F811
    from tests.apptest import open_page

    people = small.facts(["2026-10"])[["employee_id", "name", "department"]].head(1)
    file = accounts_path()
    file.unlink()  # only the imported account
    add_user("boss", "boss-password", "admin", file=file)
    initial = import_roster(people, tmp_path / "p.csv", file)["password"].iloc[0]
    at = open_page()
    at.text_input[0].input("E001")
    at.text_input[1].input(initial)
    at.button[0].click().run()
    assert not at.exception
    assert at.title[0].value == "设置新密码" and not at.dataframe
    at.run()  # every run until it is changed
    assert at.title[0].value == "设置新密码"
    old, new, again = at.text_input
    old.input("not-it")
    new.input("my-own-password")
    again.input("my-own-password")
    at.button[0].click().run()
    assert "当前密码错误" in at.error[0].value
    old, new, again = at.text_input
    old.input(initial)
    new.input("my-own-password")
    again.input("my-own-password")
    at.button[0].click().run()
    assert not at.exception
    assert at.main.title[0].value == "我的绩效"
    accounts = load_accounts(file)
    assert not must_change_password(accounts, "E001")
    assert verify(accounts, "E001", "my-own-password") and not verify(accounts, "E001", initial)
    log = small.events()
    changed = log[log["action"].eq("password_changed")]
    assert changed["username"].tolist() == ["E001"]
    assert initial not in log.to_csv() and "my-own-password" not in log.to_csv()


def test_a_month_is_published_and_withdrawn_from_the_command_line(october):
    for action in ("submit", "calibrate", "approve", "publish"):
        done = cli(october, "month", action, "2026-10")
        assert done.returncode == 0, done.stderr
    assert cli(october, "month", "status", "2026-10").stdout.startswith("2026-10  已发布 published")
    refused = cli(october, "month", "unpublish", "2026-10")
    assert refused.returncode == 2 and "reason" in refused.stderr
    done = cli(october, "month", "unpublish", "2026-10", "--reason", "投诉数据有误")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "撤回发布 unpublish: 2026-10 published → approved; 投诉数据有误"
    log = Store(october).events()
    moves = log[log["action"].isin(["month_publish", "month_unpublish"])]
    assert moves["action"].tolist() == ["month_unpublish", "month_publish"]  # newest first
    assert moves["username"].str.startswith("cli").all() and moves["happened_at"].notna().all()
