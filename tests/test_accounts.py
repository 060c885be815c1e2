"""Accounts: hashes only, roles, wrong passwords slowed down, and what each role may see."""

from __future__ import annotations

import threading

import pandas as pd
import pytest

from engine.accounts import (
    HIDDEN_NAME,
    Access,
    AccountError,
    Throttle,
    add_user,
    load_accounts,
    remove_user,
    scoped,
    still_valid,
    verify,
)


@pytest.fixture
def accounts_file(tmp_path):
    file = tmp_path / "accounts.toml"
    add_user("wang", "correct horse", "manager", ["客服部"], file=file)
    add_user("hr.li", "another secret", "hr", file=file)
    return file


def test_the_file_holds_only_hashes(accounts_file):
    text = accounts_file.read_text(encoding="utf-8")
    assert "correct horse" not in text and "another secret" not in text
    assert "$argon2id$" in text
    assert accounts_file.stat().st_mode & 0o077 == 0  # readable by its owner only


def test_right_password_gives_the_users_access(accounts_file):
    access = verify(load_accounts(accounts_file), "wang", "correct horse")
    assert access == Access("wang", "manager", ("客服部",))


@pytest.mark.parametrize(("user", "password"), [("wang", "wrong"), ("nobody", "correct horse")])
def test_wrong_password_or_unknown_user_is_rejected(accounts_file, user, password):
    assert verify(load_accounts(accounts_file), user, password) is None


def test_no_accounts_file_means_local_mode(tmp_path):
    assert not load_accounts(tmp_path / "missing.toml").sign_in_required


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("bad name!", "long enough", "hr"), "must be letters"),
        (("li", "long enough", "boss"), "role 'boss' is unknown"),
        (("li", "long enough", "manager"), "needs at least one department"),
        (("li", "short", "hr"), "at least 8 characters"),
    ],
)
def test_invalid_accounts_are_refused(tmp_path, args, message):
    with pytest.raises(AccountError, match=message):
        add_user(*args, file=tmp_path / "a.toml")


def test_changing_and_removing_a_user(accounts_file):
    add_user("wang", "a new password", "viewer", file=accounts_file)
    accounts = load_accounts(accounts_file)
    assert verify(accounts, "wang", "correct horse") is None
    assert verify(accounts, "wang", "a new password").role == "viewer"
    remove_user("wang", file=accounts_file)
    assert "wang" not in load_accounts(accounts_file).users


def test_wrong_passwords_are_slowed_down():
    now = [100.0]
    throttle = Throttle(clock=lambda: now[0])
    assert throttle.wait_seconds("wang") == 0
    throttle.failed("wang")
    assert throttle.wait_seconds("wang") == 1
    throttle.failed("wang")
    throttle.failed("wang")
    assert throttle.wait_seconds("wang") == 4  # 1, 2, 4 seconds after the 1st, 2nd, 3rd failure
    now[0] += 4
    assert throttle.wait_seconds("wang") == 0
    assert throttle.wait_seconds("li") == 0  # other users are not held up
    throttle.succeeded("wang")
    assert throttle.wait_seconds("wang") == 0


def test_the_wait_is_capped():
    throttle = Throttle(clock=lambda: 0.0, cap_seconds=60)
    for _ in range(20):
        throttle.failed("x")
    assert throttle.wait_seconds("x") == 60


TABLE = pd.DataFrame(
    {
        "employee_id": ["E1", "E2", "E3"],
        "name": ["张三", "李四", "王五"],
        "department": ["客服部", "售后服务部", "客服部"],
        "rank": [2, 1, 3],
    }
)


def test_a_manager_sees_only_their_department_with_company_ranks():
    out = scoped(TABLE, Access("wang", "manager", ("客服部",)))
    assert out["employee_id"].tolist() == ["E1", "E3"]
    assert out["rank"].tolist() == [2, 3]


def test_a_viewer_sees_everyone_without_names_but_rows_still_line_up():
    out = scoped(TABLE, Access("v", "viewer"))
    assert len(out) == 3 and set(out["name"]) == {HIDDEN_NAME}
    assert not set(out["employee_id"]) & {"E1", "E2", "E3"}
    again = scoped(TABLE.iloc[::-1], Access("v", "viewer"))
    assert again["employee_id"].tolist() == out["employee_id"].tolist()[::-1]


@pytest.mark.parametrize("role", ["admin", "hr"])
def test_admin_and_hr_see_everything(role):
    pd.testing.assert_frame_equal(scoped(TABLE, Access("x", role)), TABLE)


def test_tries_sent_at_once_for_one_user_are_checked_one_at_a_time():
    throttle = Throttle(clock=lambda: 100.0)
    start = threading.Barrier(10)
    waits = []

    def attempt():
        start.wait()
        waits.append(throttle.attempt("wang"))

    threads = [threading.Thread(target=attempt) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(waits) == [0] + [1] * 9  # one try checked; the rest wait 1 s
    assert throttle.attempt("li") == 0  # other users are not held up


def test_a_right_password_clears_the_claimed_try():
    throttle = Throttle(clock=lambda: 100.0)
    assert throttle.attempt("wang") == 0
    throttle.succeeded("wang")
    assert throttle.attempt("wang") == 0


def test_a_removed_or_changed_account_is_no_longer_valid(accounts_file):
    wang = Access("wang", "manager", ("客服部",))
    assert still_valid(load_accounts(accounts_file), wang)
    add_user("wang", "correct horse", "manager", ["客服部", "售后服务部"], file=accounts_file)
    assert not still_valid(load_accounts(accounts_file), wang)
    remove_user("wang", file=accounts_file)
    assert not still_valid(load_accounts(accounts_file), wang)


VIEWER = Access("v", "viewer")


def unkeyed(ids: list[str]) -> list[str]:
    """The pseudonyms as an unkeyed hash would give them: anyone can compute these."""
    hashed = pd.util.hash_pandas_object(pd.Series(ids), index=False)
    return [f"#{h % 10**7:07d}" for h in hashed] + [f"#{h % 10**10:010d}" for h in hashed]


def test_pseudonyms_cannot_be_reversed_by_hashing_every_possible_id(tmp_path):
    everyone = [f"E{i:04d}" for i in range(1, 10000)]
    out = scoped(pd.DataFrame({"employee_id": everyone}), VIEWER)
    assert not set(out["employee_id"]) & set(unkeyed(everyone))


def test_the_pseudonym_secret_is_made_on_first_use_beside_the_accounts_owner_only(
    tmp_path, monkeypatch
):
    monkeypatch.setenv("ASSESS_ACCOUNTS", str(tmp_path / "accounts.toml"))
    secret = tmp_path / "pseudonym.key"
    assert not secret.exists()
    first = scoped(TABLE, VIEWER)["employee_id"].tolist()
    assert secret.exists() and secret.stat().st_mode & 0o777 == 0o600
    assert scoped(TABLE, VIEWER)["employee_id"].tolist() == first  # stable while kept
    secret.unlink()
    assert not set(scoped(TABLE, VIEWER)["employee_id"]) & set(first)  # a new secret, new names


def test_a_viewer_sees_tenure_bands_not_hire_dates():
    hired = ["2026-10-31", "2025-11-01", "2025-10-01", "2023-10-15", "2021-10-01", "2016-10-01"]
    table = pd.DataFrame(
        {
            "period": ["2026-10"] * 5 + ["2026-Q4"],
            "employee_id": [f"E{i}" for i in range(6)],
            "hire_date": pd.to_datetime(hired),
        }
    )
    out = scoped(table.assign(hire_date=lambda t: t["hire_date"].astype("object")), VIEWER)
    assert "hire_date" not in out
    # whole months from the hire month to the period's last month: 0, 11, 12, 36, 60, 122
    assert out["tenure"].astype(str).tolist() == ["0–1", "0–1", "1–3", "3–5", "5–10", "10+"]
    undated = scoped(table.assign(hire_date=pd.NaT), VIEWER)
    assert undated["tenure"].isna().all()
    assert "hire_date" in scoped(table, Access("x", "hr"))


def test_an_employee_sees_only_their_own_rows_and_no_table_without_ids():
    table = pd.DataFrame(
        {"employee_id": ["E1", "E2"], "name": ["张三", "李四"], "department": ["客服部"] * 2}
    )
    me = Access("zhang", "employee", (), "E1")
    assert scoped(table, me)["name"].tolist() == ["张三"]
    by_department = pd.DataFrame({"department": ["客服部"], "mean_total": [80.0]})
    assert scoped(by_department, me).empty  # an aggregate holds other people's numbers


def test_an_employee_account_is_linked_to_one_employee_id(tmp_path):
    file = tmp_path / "accounts.toml"
    with pytest.raises(AccountError, match="needs its employee id"):
        add_user("zhang", "zhang-password", "employee", file=file)
    with pytest.raises(AccountError, match="only an employee account"):
        add_user("li", "li-password-1", "hr", employee_id="E2", file=file)
    add_user("zhang", "zhang-password", "employee", employee_id="E1", file=file)
    access = verify(load_accounts(file), "zhang", "zhang-password")
    assert access == Access("zhang", "employee", (), "E1") and access.is_employee
    add_user("zhang", "zhang-password", "employee", employee_id="E9", file=file)
    assert not still_valid(load_accounts(file), access)  # linked to someone else: signed out


def test_a_viewer_sees_no_rater_names_either():
    """Who rated (rater_<kpi>, kept by the insights options) names people too."""
    table = TABLE.assign(rater_manager_rating="梁鹏")
    assert "rater_manager_rating" not in scoped(table, Access("v", "viewer"))
    assert "rater_manager_rating" in scoped(table, Access("wang", "manager", ("客服部",)))
