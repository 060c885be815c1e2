"""The store on both backends: its schema version and upgrade, writers in several processes,
a lock racing an import, and reads for scoring as Arrow."""

from __future__ import annotations

import gzip
import shutil
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

from engine import paths
from engine.accounts import Access
from engine.cycle.close import make_move
from engine.cycle.config import load_cycle
from engine.cycle.states import MoveRefused
from engine.schemes.scheme import load_scheme
from engine.store import (
    SCHEMA_VERSION,
    ImportRefused,
    MonthLocked,
    Store,
    StoreBusy,
    StoreError,
    StoreReadOnly,
    duckdb_store,
)
from tests.test_store import NOVEMBER, OCTOBER, OCTOBER_FIXED, parse

OLD_STORE = Path(__file__).parent / "data" / "store_v0.duckdb.gz"
SCHEME = load_scheme(paths.DEFAULT_SCHEME)
ADMIN = Access("boss", "admin")
WALK_TO_LOCK = ["submit", "calibrate", "approve"]


def test_a_new_store_knows_its_schema_version(db_target: str) -> None:
    store = Store(db_target)
    assert store.schema_version() == SCHEMA_VERSION == len(duckdb_store.SCHEMA)
    assert store.version() == 0
    assert store.events().empty  # a new store: nothing upgraded, nothing to audit


def test_a_store_written_by_the_previous_release_upgrades_once(tmp_path: Path) -> None:
    # The file was written by the code before schema versions (one October and one November
    # import, a saved scenario, October submitted; store version 4).
    path = tmp_path / "old.duckdb"
    with gzip.open(OLD_STORE) as packed, path.open("wb") as out:
        shutil.copyfileobj(packed, out)
    store = Store(path)
    assert store.schema_version() == SCHEMA_VERSION
    assert store.version() == 4
    assert store.periods() == ["2026-10", "2026-11"]
    assert store.facts(["2026-10"])["employee_id"].tolist() == ["E001", "E002", "E003"]
    assert store.scenarios("aftersales")["name"].tolist() == ["试算"]
    assert store.month_states()["state"].tolist() == ["submitted"]
    upgraded = store.events().query("action == 'schema_upgraded'")
    assert upgraded["detail"].tolist() == [f"schema 0 → {SCHEMA_VERSION}"]
    store.import_file(parse(OCTOBER_FIXED, "2026-10-fixed.csv"), replace=True)
    again = Store(path)
    assert len(again.events().query("action == 'schema_upgraded'")) == 1
    assert again.facts(["2026-10"])["employee_id"].tolist() == ["E001", "E002"]


def test_an_empty_postgres_database_is_set_up_once_by_processes_starting_together(
    pg_cluster,
) -> None:
    url = pg_cluster.fresh_database(template="template0")
    barrier, failures = threading.Barrier(4), []

    def open_store() -> None:
        barrier.wait()
        try:
            Store(url, lock_wait=30)
        except Exception as exc:
            failures.append(exc)

    threads = [threading.Thread(target=open_store) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert Store(url).schema_version() == SCHEMA_VERSION


def widen_the_race(monkeypatch: pytest.MonkeyPatch) -> None:
    """An import pauses after reading what the month holds and before writing, so imports at
    the same moment overlap (without the writers' lock both then land as the month's data)."""
    monkeypatch.setattr(Store, "_check_free_space", lambda self, parsed: time.sleep(0.3))


def race(*calls) -> list[object]:
    """Run the calls at the same moment in threads; each one's result or exception."""
    barrier = threading.Barrier(len(calls))
    outcome: list[object] = [None] * len(calls)

    def run(index: int) -> None:
        barrier.wait()
        try:
            outcome[index] = calls[index]()
        except Exception as exc:
            outcome[index] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcome


@pytest.mark.parametrize("attempt", range(2))
def test_two_imports_of_one_month_at_once_one_wins_the_other_is_refused(
    db_target: str, attempt: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    widen_the_race(monkeypatch)
    Store(db_target)
    first, second = Store(db_target, lock_wait=20), Store(db_target, lock_wait=20)
    files = parse(OCTOBER, "2026-10-a.csv"), parse(OCTOBER_FIXED, "2026-10-b.csv")
    outcome = race(lambda: first.import_file(files[0]), lambda: second.import_file(files[1]))
    refused = [o for o in outcome if isinstance(o, ImportRefused)]
    won = [o for o in outcome if not isinstance(o, Exception)]
    assert len(refused) == 1 and len(won) == 1, outcome
    assert "already holds" in str(refused[0])
    log = first.imports()
    assert log["status"].tolist() == ["active"]
    assert log["file_name"].tolist() == [won[0].file_name]


def locked_month(db_target: str) -> Store:
    store = Store(db_target, lock_wait=20)
    store.import_file(parse(OCTOBER, "2026-10.csv"))
    store.import_file(parse(NOVEMBER, "2026-11.csv"))
    for action in WALK_TO_LOCK:
        make_move(store, load_cycle(), ADMIN, SCHEME, action, "2026-10")
    return store


def test_an_import_landing_while_a_month_is_locked_stops_the_lock(
    db_target: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = locked_month(db_target)
    from engine.cycle import close

    computed = close.lock_snapshot

    def import_meanwhile(*args):
        snapshot = computed(*args)  # the results of the 3 October people …
        Store(db_target).import_file(parse(OCTOBER_FIXED, "2026-10-fixed.csv"), replace=True)
        return snapshot  # … while the data now holds 2

    monkeypatch.setattr(close, "lock_snapshot", import_meanwhile)
    with pytest.raises(StoreBusy, match="changed while the month was being locked"):
        make_move(store, load_cycle(), ADMIN, SCHEME, "lock", "2026-10")
    assert store.snapshots(["2026-10"]) == {}
    states = store.month_states(["2026-10"])
    assert states.loc[states["department"].eq(""), "state"].tolist() == ["approved"]
    monkeypatch.setattr(close, "lock_snapshot", computed)
    make_move(store, load_cycle(), ADMIN, SCHEME, "lock", "2026-10")  # tried again: locked
    assert store.snapshots(["2026-10"])["2026-10"][2]["employee_id"].tolist() == ["E001", "E002"]


@pytest.mark.parametrize("attempt", range(2))
def test_a_lock_and_an_import_racing_never_both_land(
    db_target: str, attempt: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = locked_month(db_target)
    widen_the_race(monkeypatch)
    fixed = parse(OCTOBER_FIXED, "2026-10-fixed.csv")
    outcome = race(
        lambda: make_move(store, load_cycle(), ADMIN, SCHEME, "lock", "2026-10"),
        lambda: Store(db_target, lock_wait=20).import_file(fixed, replace=True),
    )
    locked, imported = (not isinstance(o, Exception) for o in outcome)
    for result in outcome:
        if isinstance(result, Exception):
            assert isinstance(result, (MonthLocked, StoreBusy, MoveRefused)), result
    assert locked or imported
    data = store.facts(["2026-10"])["employee_id"].tolist()
    assert data == (["E001", "E002"] if imported else ["E001", "E002", "E003"])
    if locked:  # the lock froze exactly the data that is there
        frozen = store.snapshots(["2026-10"])["2026-10"][2]
        assert frozen["employee_id"].tolist() == data


def test_reads_for_scoring_come_back_alike_on_both_backends(pg_cluster, tmp_path: Path) -> None:
    frames = []
    for target in (str(tmp_path / "s.duckdb"), pg_cluster.fresh_database()):
        store = Store(target)
        store.import_file(parse(OCTOBER, "2026-10.csv"))
        store.import_file(parse(NOVEMBER, "2026-11.csv"))
        frames.append(store.facts().drop(columns="import_id"))
    duck, pg = frames
    assert list(pg.columns) == list(duck.columns)
    assert pg.dtypes.to_dict() == duck.dtypes.to_dict()
    pd.testing.assert_frame_equal(pg, duck)


def test_a_postgres_store_that_is_not_there_says_so(pg_cluster) -> None:
    with pytest.raises(StoreError, match="cannot be opened"):
        Store(pg_cluster.url("no_such_database"))


def test_the_wait_after_wrong_passwords_is_shared_by_every_process(db_target: str) -> None:
    one, other = Store(db_target), Store(db_target)
    assert one.sign_in_attempt("li") == 0  # first try: checked (and counted until it succeeds)
    waits = [other.sign_in_attempt("li"), one.sign_in_attempt("li")]
    assert all(0 < w <= 1 for w in waits), waits  # one wrong password: 1 s, in both processes
    assert other.sign_in_attempt("wang") == 0  # another user name is not slowed down
    time.sleep(1.1)
    assert other.sign_in_attempt("li") == 0  # second try, now 2 s before the third
    assert 1 < one.sign_in_attempt("li") <= 2
    one.sign_in_succeeded("li")
    assert other.sign_in_attempt("li") == 0


def test_the_command_line_takes_a_postgres_url_as_db(pg_cluster, tmp_path: Path) -> None:
    from tests.test_cli import cli, write

    url = pg_cluster.fresh_database()
    file = write(tmp_path, "2026-10.csv", OCTOBER)
    done = cli(tmp_path / "unused.duckdb", "import", "--db", url, file)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "2026-10.csv: imported 2026-10, 3 rows"
    assert Store(url).periods() == ["2026-10"]
    assert not (tmp_path / "unused.duckdb").exists()


def test_a_read_only_postgres_store_is_read_and_changes_are_refused(pg_cluster) -> None:
    url = pg_cluster.fresh_database()
    Store(url).import_file(parse(OCTOBER, "2026-10.csv"))
    name = url.rsplit("/", 1)[1]
    duckdb_store.backends.close_idle(url)
    # What a replica (hot standby) or a read-only role looks like to the store.
    pg_cluster.admin(f"ALTER DATABASE {name} SET default_transaction_read_only = on")
    replica = Store(url)
    assert replica.read_only
    assert replica.periods() == ["2026-10"]
    with pytest.raises(StoreReadOnly, match="read-only"):
        replica.import_file(parse(NOVEMBER, "2026-11.csv"))
    assert replica.periods() == ["2026-10"]
