"""`python -m engine appeals PERIOD` and `appeal take|decide ID` end to end."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.cycle import appeals
from engine.cycle.close import make_move
from engine.cycle.config import load_cycle
from engine.schemes.scheme import load_scheme
from engine.store import Store
from tests.test_appeals import ADMIN, EmployeeAccess
from tests.test_cli import OCTOBER, cli, write


@pytest.fixture
def published(tmp_path: Path, db_target: str) -> Path | str:
    """October imported, published, and appealed by E003 (客服部) on its satisfaction."""
    db = db_target
    assert cli(db, "import", write(tmp_path, "2026-10.csv", OCTOBER)).returncode == 0
    store, scheme = Store(db), load_scheme()
    for action in ("submit", "calibrate", "approve", "publish"):
        make_move(store, load_cycle(), ADMIN, scheme, action, "2026-10")
    who = EmployeeAccess("e003", "employee", (), "E003")
    appeals.file_appeal(
        store, scheme, who, "2026-10", "E003", "回访样本少", ["satisfaction"], {"satisfaction": 80}
    )
    return db


def test_appeals_are_listed_taken_and_decided_from_the_command_line(published: Path):
    listed = cli(published, "appeals", "2026-10")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.splitlines() == [
        "#1  2026-10  E003  客服部  待处理 pending  satisfaction (satisfaction=80)  回访样本少"
    ]
    other = cli(published, "appeals", "2026-10", "--role", "manager", "--department", "售后服务部")
    assert other.stdout.strip() == "2026-10: no appeals"
    assert cli(published, "appeal", "take", "1").returncode == 0
    no_reason = cli(published, "appeal", "decide", "1", "--points", "2")
    assert no_reason.returncode == 2 and "reason is required" in no_reason.stderr
    done = cli(published, "appeal", "decide", "1", "--points", "2", "--reason", "核实")
    assert done.returncode == 0, done.stderr
    assert "upheld +2" in done.stdout
    kept = Store(published).adjustments(["2026-10"])
    assert kept[["employee_id", "points"]].values.tolist() == [["E003", 2.0]]
    listed = cli(published, "appeals", "2026-10", "--state", "upheld").stdout
    assert listed.rstrip().endswith("→ " + kept["approved_by"].iloc[0] + ": 核实")
    again = cli(published, "appeal", "decide", "1", "--reject", "--reason", "x")
    assert again.returncode == 2 and "already upheld" in again.stderr
