"""`python -m engine month …` and `adjust …` end to end: a month closed, frozen, refused."""

from __future__ import annotations

import copy
from pathlib import Path

import pandas as pd
import pytest
import tomli_w

from engine.schemes import versions
from engine.schemes.scheme import load_scheme, parse_scheme
from engine.store import Store
from tests.conftest import DUCKDB_ONLY
from tests.test_cli import NOVEMBER, OCTOBER, OCTOBER_FIXED, cli, write

CLOSE = ["submit", "calibrate", "approve", "lock"]


@pytest.fixture
def october(tmp_path: Path, db_target: str) -> Path | str:
    db = db_target
    files = [write(tmp_path, "2026-10.csv", OCTOBER), write(tmp_path, "2026-11.csv", NOVEMBER)]
    assert cli(db, "import", *files).returncode == 0
    return db


def close(db: Path, period: str = "2026-10") -> None:
    for action in CLOSE:
        done = cli(db, "month", action, period)
        assert done.returncode == 0, done.stderr


def store_state(db: Path) -> tuple:
    store = Store(db)
    return (
        store.imports().to_csv(index=False),
        store.facts().to_csv(index=False),
        store.adjustments().to_csv(index=False),
        store.version(),
    )


def test_a_month_closed_from_submit_to_lock_with_every_move_in_the_audit_log(october: Path):
    first = cli(october, "month", "submit", "2026-10", "--department", "客服部", "--role=manager")
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == "提交 submit: 2026-10 客服部 open → submitted"
    status = cli(october, "month", "status", "2026-10").stdout.splitlines()
    assert status[0] == "2026-10  进行中 open"
    rest = cli(
        october, "month", "submit", "2026-10", "--department", "售后服务部", "--role", "manager"
    )
    assert rest.returncode == 0, rest.stderr
    status = cli(october, "month", "status", "2026-10").stdout.splitlines()
    assert status[0] == "2026-10  已提交 submitted"
    for action in CLOSE[1:]:
        assert cli(october, "month", action, "2026-10").returncode == 0
    status = cli(october, "month", "status").stdout.splitlines()
    assert status == ["2026-10  已锁定 locked", "2026-11  进行中 open"]
    log = Store(october).events()
    moves = log[log["action"].str.startswith("month_")]
    assert moves["action"].tolist()[::-1] == [
        "month_submit",
        "month_submit",
        "month_calibrate",
        "month_approve",
        "month_lock",
    ]
    assert set(moves["period"]) == {"2026-10"} and moves["username"].str.startswith("cli").all()


@DUCKDB_ONLY
def test_a_refused_move_exits_2_with_the_reason_and_changes_nothing(october: Path):
    before = store_state(october)
    wrong_role = cli(october, "month", "submit", "2026-10", "--role", "viewer")
    assert wrong_role.returncode == 2
    assert "the role viewer may not submit" in wrong_role.stderr
    too_early = cli(october, "month", "lock", "2026-10")
    assert (
        too_early.returncode == 2 and "lock moves only from approved, published" in too_early.stderr
    )
    close(october)
    no_reason = cli(october, "month", "unlock", "2026-10")
    assert no_reason.returncode == 2 and "a reason is required" in no_reason.stderr
    assert Store(october).month_states(["2026-10"])["state"].eq("locked").all()
    assert before[:3] == store_state(october)[:3]


def test_a_locked_month_scores_byte_identically_after_a_new_version_and_a_changed_file(
    october: Path, tmp_path: Path
):
    praised = cli(october, "adjust", "2026-10", "E002", "--points", "4", "--reason", "表扬")
    assert praised.returncode == 0, praised.stderr
    close(october)
    locked = cli(october, "score", "--period", "2026-10")
    assert locked.returncode == 0, locked.stderr
    assert "表扬" in locked.stdout
    # a new version of the scheme: 优秀 pays 2000 instead of 1000
    store, scheme = Store(october), load_scheme()
    raw = copy.deepcopy(scheme.raw)
    raw["money"]["amounts"]["优秀"] = 2000
    versions.adopt(store, scheme, parse_scheme(raw, source="v2"), "优秀 2000")
    assert versions.active_scheme(store, scheme).version == 2
    after = cli(october, "score", "--period", "2026-10")
    assert after.stdout == locked.stdout
    november = cli(october, "score", "--period", "2026-11").stdout
    assert "aftersales v2" in november and "2000.0" in november
    # a changed scheme file (same scheme, other cutoffs and rules) changes nothing either
    raw["grades"] = {"preset": "four"}
    del raw["money"]["amounts"]["及格"]
    raw["rules"] = {"file": str(tmp_path / "no-rules.toml")}
    changed = tmp_path / "aftersales.toml"
    changed.write_text(tomli_w.dumps(raw), encoding="utf-8")
    again = cli(october, "score", "--period", "2026-10", "--scheme", changed)
    assert again.returncode == 0, again.stderr
    assert again.stdout == locked.stdout
    # re-scoring under a chosen version is a fresh computation
    fresh = cli(october, "score", "--period", "2026-10", "--scheme-version", "2")
    assert fresh.stdout != locked.stdout and "aftersales v2" in fresh.stdout


def test_replace_delete_and_restore_of_a_locked_month_are_refused(october: Path, tmp_path: Path):
    fixed = write(tmp_path, "fixed.csv", OCTOBER_FIXED)
    assert cli(october, "import", fixed, "--period", "2026-10", "--replace").returncode == 0
    close(october)
    before = store_state(october)
    score = cli(october, "score", "--period", "2026-10").stdout
    log = Store(october).imports()
    old = int(log.loc[log["status"].eq("replaced"), "import_id"].iloc[0])
    current = log["status"].eq("active") & log["period"].eq("2026-10")
    active = int(log.loc[current, "import_id"].iloc[0])
    for args in (
        ["import", write(tmp_path, "2026-10.csv", OCTOBER), "--replace"],
        ["delete", active],
        ["restore", old],
    ):
        refused = cli(october, *args)
        assert refused.returncode == 2, (args, refused.stderr)
        assert "2026-10 is locked" in refused.stderr
    assert store_state(october) == before
    assert cli(october, "score", "--period", "2026-10").stdout == score
    unlocked = cli(october, "month", "unlock", "2026-10", "--reason", "更正工单数据")
    assert unlocked.returncode == 0, unlocked.stderr
    assert cli(october, "restore", old).returncode == 0


@DUCKDB_ONLY
def test_an_adjustment_is_refused_beyond_the_bound_without_reason_for_unknown_or_locked(
    october: Path, tmp_path: Path
):
    before = store_state(october)
    cases = [
        (["E001", "--points", "6", "--reason", "多"], "points beyond ±5"),
        (["E001", "--points", "2"], "a reason is required"),
        (["E404", "--points", "2", "--reason", "无此人"], "no such employee in this month"),
        (["E001", "--grade", "甲等", "--reason", "x"], "the scheme has no such grade"),
    ]
    for args, reason in cases:
        refused = cli(october, "adjust", "2026-10", *args)
        assert refused.returncode == 2, args
        assert reason in refused.stderr, refused.stderr
    assert store_state(october) == before
    close(october)
    locked = cli(october, "adjust", "2026-10", "E001", "--points", "1", "--reason", "晚了")
    assert locked.returncode == 2 and "is locked" in locked.stderr
    assert store_state(october)[2] == before[2]


def test_an_adjustment_file_with_one_problem_stores_nothing(october: Path, tmp_path: Path):
    bad = write(tmp_path, "adj.csv", "工号,加减分,等级,原因\r\nE001,3,,表扬\r\nE002,,甲,x\r\n")
    refused = cli(october, "adjust", "2026-10", "--file", bad)
    assert refused.returncode == 2
    assert "  adj.csv: row 3, column grade, value '甲': 方案中没有此等级" in refused.stderr
    assert Store(october).adjustments().empty
    good = write(tmp_path, "ok.csv", "工号,加减分,等级,原因\r\nE001,3,,表扬\r\nE002,,优秀,校准\r\n")
    done = cli(october, "adjust", "2026-10", "--file", good)
    assert done.returncode == 0, done.stderr
    kept = Store(october).adjustments()
    assert kept[["employee_id", "grade", "reason"]].fillna("").values.tolist() == [
        ["E001", "", "表扬"],
        ["E002", "优秀", "校准"],
    ]
    table = pd.read_csv(
        pd.io.common.StringIO(cli(october, "score", "--period", "2026-10").stdout)
    ).set_index("employee_id")
    assert table.loc["E001", "total"] == table.loc["E001", "computed_total"] + 3
    assert table.loc["E002", "grade"] == "优秀"


def test_a_managers_proposal_is_approved_or_rejected_from_the_command_line(
    october: Path, monkeypatch
):
    from engine.accounts import Access
    from engine.cycle.close import propose
    from engine.cycle.config import load_cycle

    manager = Access("cli:wang", "manager", ("售后服务部",))
    rows = pd.DataFrame(
        [
            {"employee_id": e, "points": p, "grade": "", "reason": "加班", "row": 1}
            for e, p in (("E001", "-2"), ("E002", "3"))
        ]
    )
    store = Store(october).as_user("cli:wang")
    propose(store, load_cycle(), manager, load_scheme(), "2026-10", rows)
    monkeypatch.setenv("LOGNAME", "wang")
    own = cli(october, "adjust", "2026-10", "--approve", "E002", "--role", "hr")
    assert own.returncode == 2 and "proposer" in own.stderr
    monkeypatch.setenv("LOGNAME", "li")
    waiting = cli(october, "month", "status", "2026-10")
    assert "adjustments: 2 (2 pending approval)" in waiting.stdout
    before = store_state(october)
    no_reason = cli(october, "adjust", "2026-10", "--reject", "E001", "--role", "hr")
    assert no_reason.returncode == 2 and "reason" in no_reason.stderr
    manager_approves = cli(october, "adjust", "2026-10", "--approve", "E002", "--role", "manager")
    assert manager_approves.returncode == 2 and "may not approve" in manager_approves.stderr
    assert store_state(october) == before
    approved = cli(october, "adjust", "2026-10", "--approve", "E002", "--role", "hr")
    assert approved.returncode == 0, approved.stderr
    rejected = cli(
        october, "adjust", "2026-10", "--reject", "E001", "--role", "hr", "--reason", "无证据"
    )
    assert rejected.returncode == 0, rejected.stderr
    kept = Store(october).adjustments()
    assert kept[["employee_id", "approved_by"]].values.tolist() == [["E002", "cli:li"]]
    log = Store(october).events()
    assert log["action"].tolist()[:2] == ["adjustment_rejected", "adjustment_approved"]
    assert "无证据" in log["detail"].iloc[0]
