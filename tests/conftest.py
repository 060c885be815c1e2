"""Shared fixtures: the default scheme, small hand-built schemes and fact tables."""

from __future__ import annotations

import copy
import math
import os
import tomllib

import pandas as pd
import pytest

from engine import paths
from engine.schemes.scheme import Scheme, load_scheme, parse_scheme


@pytest.fixture(autouse=True)
def no_accounts(tmp_path, monkeypatch):
    """Tests run in local mode unless they write an accounts file of their own."""
    monkeypatch.setenv("ASSESS_ACCOUNTS", str(tmp_path / "accounts.toml"))
    # Nor does a test send notifications, unless it writes a notification file of its own.
    monkeypatch.setenv("ASSESS_NOTIFY", str(tmp_path / "notify.toml"))


USERS_STORES = (paths.DEFAULT_DB, paths.DEALER_DB)


def _phase_leaves_users_stores(item: pytest.Item, phase: str):
    """No test may create the stores the README's first command uses (data/*.duckdb): a test
    that opens the app or the CLI without naming its own store would fill them behind the
    user's back. Checked around each phase, so a module- or session-scoped fixture (set up in
    its first test's setup phase) is caught too, not only a test's own body."""
    before = {p: p.exists() for p in USERS_STORES}
    result = yield
    created = [p.name for p, existed in before.items() if not existed and p.exists()]
    assert not created, f"{item.nodeid} ({phase}) created {created} in data/: give it its own store"
    return result


def pytest_sessionstart(session):
    session.users_stores_before = {p: p.exists() for p in USERS_STORES}


def pytest_sessionfinish(session, exitstatus):
    """What no phase of a test made (a test module run while it was collected, say) fails the
    whole run all the same."""
    before = getattr(session, "users_stores_before", {})
    created = [p.name for p, existed in before.items() if not existed and p.exists()]
    if created:
        session.config.get_terminal_writer().line(
            f"the test run created {created} in data/ outside every test: give it its own store",
            red=True,
        )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item):
    return (yield from _phase_leaves_users_stores(item, "setup"))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    return (yield from _phase_leaves_users_stores(item, "call"))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    return (yield from _phase_leaves_users_stores(item, "teardown"))


@pytest.fixture
def store_file(tmp_path, monkeypatch):
    """A copy of the demo store (12 months) that the app and the CLI use ($ASSESS_DB)."""
    from tests.apptest import demo_store

    db = demo_store(tmp_path)
    monkeypatch.setenv(paths.DB_ENV, str(db))
    return db


@pytest.fixture
def signed_store_file(store_file, tmp_path, monkeypatch):
    """The demo store with sign-in on: a manager of 客服部 (wang), HR (hr.li), the
    administrator (admin.zhou) and a viewer (zhao). A session's account must exist in the file
    (an open session ends when its account is removed)."""
    from engine.accounts import add_user
    from ui import auth

    accounts = tmp_path / "accounts.toml"
    add_user("wang", "wang-password", "manager", ["客服部"], file=accounts)
    add_user("hr.li", "li-password", "hr", file=accounts)
    add_user("admin.zhou", "zhou-password", "admin", file=accounts)
    add_user("zhao", "zhao-password", "viewer", file=accounts)
    monkeypatch.setenv("ASSESS_ACCOUNTS", str(accounts))
    auth.throttle.clear()  # failures of an earlier test in this process must not carry over
    return store_file


@pytest.fixture
def no_all_rows(monkeypatch):
    """Every month's full rows loaded into pandas fails the page (issue 19: pages read
    aggregates, a period's months or the columns they use)."""
    import ui.data

    def refuse(*args, **kwargs):
        raise AssertionError("every month's rows were loaded into pandas")

    monkeypatch.setattr(ui.data, "monthly", refuse)
    monkeypatch.setattr(ui.data, "_monthly", refuse)


@pytest.fixture(scope="session")
def scheme() -> Scheme:
    """The shipped after-sales scheme."""
    return load_scheme(paths.DEFAULT_SCHEME)


@pytest.fixture(scope="session")
def scheme_data() -> dict:
    """The shipped after-sales scheme as parsed TOML, to copy and edit in tests."""
    return tomllib.loads(paths.DEFAULT_SCHEME.read_text(encoding="utf-8"))


def edited(data: dict, **changes) -> dict:
    """A deep copy of scheme data with top-level keys replaced."""
    out = copy.deepcopy(data)
    out.update(changes)
    return out


SMALL_SCHEME = {
    "id": "small",
    "categories": [
        {"id": "q", "name_zh": "工作质量", "name_en": "Quality", "weight": 60},
        {"id": "a", "name_zh": "服务态度", "name_en": "Attitude", "weight": 40},
    ],
    "kpis": [
        {
            "id": "days",
            "category": "q",
            "weight": 50,
            "unit": "days",
            "direction": "lower",
            "method": "bands",
            "max_points": 5,
            "bands": [
                {"upto": 2, "points": 5},
                {"upto": 4, "points": 4},
                {"upto": 6, "points": 3},
                {"upto": 8, "points": 2},
                {"upto": math.inf, "points": 1},
            ],
        },
        {
            "id": "complaints",
            "category": "q",
            "weight": 50,
            "unit": "count",
            "direction": "lower",
            "method": "deduction",
            "per_incident": 20,
        },
        {
            "id": "csat",
            "category": "a",
            "weight": 100,
            "unit": "%",
            "direction": "higher",
            "method": "tiers",
            "tiers": [
                {"threshold": 90, "score": 100},
                {"threshold": 80, "score": 85},
                {"threshold": 70, "score": 70},
                {"score": 0},
            ],
        },
    ],
    "grades": {"preset": "five"},
    "money": {
        "mode": "grade_amount",
        "amounts": {"优秀": 1000, "良好": 500, "合格": 0, "及格": 0, "不合格": -500},
    },
}


@pytest.fixture
def small_scheme() -> Scheme:
    """Quality 60% (days bands 50, complaints −20 each 50), attitude 40% (CSAT tiers)."""
    return parse_scheme(copy.deepcopy(SMALL_SCHEME), source="small")


def facts(rows: list[dict], period: str = "2026-10") -> pd.DataFrame:
    """A facts table from hand-written rows, with roster defaults filled in."""
    frame = pd.DataFrame(rows)
    defaults = {"period": period, "name": "n", "department": "D", "team": "T", "role": "服务工程师"}
    for column, value in defaults.items():
        if column not in frame:
            frame[column] = value
    if "employee_id" not in frame:
        frame["employee_id"] = [f"E{i:03d}" for i in range(len(frame))]
    return frame


# ------------------------------------------------------------------ the store on both backends
#
# Store tests run on DuckDB and on PostgreSQL. Each pytest worker starts one throw-away
# PostgreSQL cluster (initdb on a free local port, trust auth, fsync off) and each test gets a
# fresh database copied from a prepared template. Without a PostgreSQL server the PostgreSQL
# half is skipped with the reason, except when ASSESS_TEST_POSTGRES=required (test.sh and CI set
# it; CI=true implies it): then it fails, so a machine that should test both cannot quietly
# test one.

PG_REQUIRED_ENV = "ASSESS_TEST_POSTGRES"
BACKENDS = ["duckdb", "postgresql"]
# For a test that proves nothing about the backend (or only DuckDB's file): DuckDB alone, to keep
# the suite's time where the PostgreSQL half adds nothing.
DUCKDB_ONLY = pytest.mark.parametrize("db_target", ["duckdb"], indirect=True)


def postgres_required() -> bool:
    """Whether a missing PostgreSQL must fail the run rather than skip its half."""
    said = os.environ.get(PG_REQUIRED_ENV, "").lower()
    return said == "required" or (said != "optional" and bool(os.environ.get("CI")))


@pytest.fixture(scope="session")
def pg_cluster():
    """A running throw-away PostgreSQL cluster for this worker: a PgCluster, stopped at the end."""
    from tests.pg import PgCluster, PgUnavailable

    try:
        cluster = PgCluster.start()
    except PgUnavailable as exc:
        if postgres_required():
            pytest.fail(f"PostgreSQL is required for this run but unavailable: {exc}")
        pytest.skip(f"PostgreSQL unavailable, its half of the store tests skipped: {exc}")
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(params=BACKENDS)
def demo_target(request, tmp_path) -> str:
    """A store holding the 12 demo months: a DuckDB file, or a PostgreSQL database."""
    if request.param == "duckdb":
        from tests.apptest import demo_store

        return str(demo_store(tmp_path))
    return request.getfixturevalue("pg_cluster").demo_database()


@pytest.fixture(params=BACKENDS)
def db_target(request, tmp_path) -> str:
    """Where a test's store lives: a fresh DuckDB file, or a fresh PostgreSQL database."""
    if request.param == "duckdb":
        return str(tmp_path / "store.duckdb")
    return request.getfixturevalue("pg_cluster").fresh_database()
