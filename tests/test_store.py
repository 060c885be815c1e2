"""Tests for the DuckDB store: all-or-nothing imports, replace and restore, file locks."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from engine import paths
from engine.intake.parse import ParsedFile, parse_file
from engine.schemes.scheme import Scheme, load_scheme
from engine.store import ImportRefused, Store, StoreBusy, StoreError, duckdb_store
from tests.conftest import DUCKDB_ONLY

SCHEME = load_scheme(paths.DEFAULT_SCHEME)

OCTOBER = (
    "工号,姓名,部门,班组,入职日期,客户满意度,故障处理天数,备注\r\n"
    "E001,张三,售后服务部,售后一组,2020-03-15,92,1.5,夜班\r\n"
    "E002,李四,售后服务部,,2021-07-01,85.5,3,\r\n"
    "E003,王五,客服部,客服一组,,70,,\r\n"
)
# The corrected October file: one person fewer, one value changed.
OCTOBER_FIXED = (
    "工号,姓名,部门,班组,入职日期,客户满意度,故障处理天数,备注\r\n"
    "E001,张三,售后服务部,售后一组,2020-03-15,95,1.5,夜班\r\n"
    "E002,李四,售后服务部,,2021-07-01,85.5,3,\r\n"
)
# November brings a KPI and an extra column the store has not seen yet.
NOVEMBER = (
    "工号,姓名,部门,返修率,工号备注\r\nE001,张三,售后服务部,2.5,新\r\nE004,赵六,备件部,4,\r\n"
)


# What only a DuckDB file has: its file lock, its disk, its permissions, its own error types.
DUCKDB_FILE_ONLY = DUCKDB_ONLY


@pytest.fixture(scope="module")
def scheme() -> Scheme:
    return SCHEME


@pytest.fixture
def store(db_target: str) -> Store:
    return Store(db_target, lock_wait=2)


def parse(text: str, name: str, encoding: str = "utf-8") -> ParsedFile:
    parsed = parse_file(text.encode(encoding), SCHEME, file_name=name)
    assert parsed.ok, parsed.problems
    return parsed


def comparable(frame: pd.DataFrame) -> pd.DataFrame:
    """Values as plain Python objects with None for every kind of missing, to compare content."""
    plain = frame.reset_index(drop=True).astype(object)
    return plain.where(plain.notna(), None)


def state(store: Store) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, int]:
    return store.facts(), store.imports(), store.events(), store.version()


def assert_same_state(before: tuple, after: tuple) -> None:
    for old, new in zip(before[:3], after[:3], strict=True):
        pd.testing.assert_frame_equal(new, old)
    assert after[3] == before[3]


# ------------------------------------------------------------------ importing


def test_import_stores_exactly_the_parsed_facts(store: Store) -> None:
    parsed = parse(OCTOBER, "2026-10.csv")
    result = store.import_file(parsed)
    assert (result.status, result.period, result.rows) == ("imported", "2026-10", 3)
    assert result.message == "2026-10.csv: imported 2026-10, 3 rows"
    facts = store.facts()
    assert facts["import_id"].tolist() == [result.import_id] * 3
    assert comparable(facts[parsed.facts.columns]).equals(comparable(parsed.facts))
    assert facts["satisfaction"].tolist() == [92.0, 85.5, 70.0]
    assert store.periods() == ["2026-10"]
    assert store.version() == 1
    log = store.imports()
    assert log[["file_name", "period", "row_count", "status"]].values.tolist() == [
        ["2026-10.csv", "2026-10", 3, "active"]
    ]
    assert log["sha256"].iloc[0] == parsed.sha256


def test_unknown_columns_come_back_from_facts(store: Store) -> None:
    store.import_file(parse(OCTOBER, "2026-10.csv"))
    store.import_file(parse(NOVEMBER, "2026-11.csv"))
    facts = store.facts().set_index(["period", "employee_id"])
    assert facts.loc[("2026-10", "E001"), "备注"] == "夜班"
    assert pd.isna(facts.loc[("2026-10", "E002"), "备注"])
    assert facts.loc[("2026-11", "E001"), "工号备注"] == "新"
    assert pd.isna(facts.loc[("2026-11", "E001"), "备注"])
    assert facts.loc[("2026-11", "E004"), "rework_rate"] == 4.0
    assert pd.isna(facts.loc[("2026-10", "E001"), "rework_rate"])
    assert store.facts(["2026-11"])["employee_id"].tolist() == ["E001", "E004"]


def test_the_same_bytes_again_change_nothing(store: Store) -> None:
    first = store.import_file(parse(OCTOBER, "2026-10.csv"))
    before = state(store)
    again = store.import_file(parse(OCTOBER, "renamed copy 2026-10.csv"))
    assert again.status == "unchanged"
    assert again.import_id == first.import_id
    assert "unchanged" in again.message
    assert_same_state(before, state(store))


def test_a_different_file_for_a_stored_month_is_refused(store: Store) -> None:
    store.import_file(parse(OCTOBER, "2026-10.csv"))
    before = state(store)
    with pytest.raises(ImportRefused, match=r"already holds 2026-10\.csv.*--replace"):
        store.import_file(parse(OCTOBER_FIXED, "2026-10 fixed.csv"))
    assert_same_state(before, state(store))


def test_a_file_with_problems_is_not_stored(store: Store) -> None:
    bad = parse_file("工号,姓名,部门,满意度\nE1,a,b,x\n".encode(), SCHEME, file_name="2026-10.csv")
    with pytest.raises(StoreError, match="1 problem"):
        store.import_file(bad)
    assert store.is_empty()
    assert store.version() == 0


def test_replace_then_restore_either_version(store: Store) -> None:
    old = store.import_file(parse(OCTOBER, "2026-10.csv"))
    original = store.facts()
    new = store.import_file(parse(OCTOBER_FIXED, "2026-10 fixed.csv"), replace=True)
    assert new.status == "replaced"
    assert new.message == "2026-10 fixed.csv: replaced 2026-10, 2 rows"
    corrected = store.facts()
    assert corrected["employee_id"].tolist() == ["E001", "E002"]
    assert corrected["satisfaction"].tolist() == [95.0, 85.5]
    log = store.imports().set_index("import_id")
    assert log.loc[old.import_id, "status"] == "replaced"
    assert log.loc[new.import_id, "status"] == "active"
    assert log.loc[new.import_id, "replaces"] == old.import_id

    store.restore(old.import_id)
    pd.testing.assert_frame_equal(store.facts(), original)
    statuses = store.imports().set_index("import_id")["status"]
    assert statuses.to_dict() == {old.import_id: "active", new.import_id: "replaced"}

    store.restore(new.import_id)
    pd.testing.assert_frame_equal(store.facts(), corrected)
    assert store.events()["action"].tolist()[::-1] == [
        "imported",
        "replaced",
        "restored",
        "restored",
    ]
    assert store.version() == 4


def test_delete_then_restore(store: Store) -> None:
    kept = store.import_file(parse(NOVEMBER, "2026-11.csv"))
    gone = store.import_file(parse(OCTOBER, "2026-10.csv"))
    original = store.facts(["2026-10"])
    assert "Restorable" in store.delete(gone.import_id)
    assert store.periods() == ["2026-11"]
    assert store.facts(["2026-10"]).empty
    assert store.facts()["employee_id"].tolist() == ["E001", "E004"]
    with pytest.raises(StoreError, match="not in use"):
        store.delete(gone.import_id)
    store.restore(gone.import_id)
    pd.testing.assert_frame_equal(store.facts(["2026-10"]), original)
    assert store.periods() == ["2026-10", "2026-11"]
    with pytest.raises(StoreError, match="already"):
        store.restore(kept.import_id)
    with pytest.raises(StoreError, match="no import 99"):
        store.restore(99)
    assert store.events()["action"].tolist()[::-1] == [
        "imported",
        "imported",
        "deleted",
        "restored",
    ]


def test_a_month_imported_after_its_deletion_can_be_refused_or_replaced(store: Store) -> None:
    first = store.import_file(parse(OCTOBER, "2026-10.csv"))
    store.delete(first.import_id)
    result = store.import_file(parse(OCTOBER_FIXED, "2026-10 fixed.csv"))
    assert result.status == "imported"
    assert store.facts()["employee_id"].tolist() == ["E001", "E002"]


# ------------------------------------------------------------------ all or nothing


@pytest.mark.parametrize(
    ("text", "name", "replace"),
    [(NOVEMBER, "2026-11.csv", False), (OCTOBER_FIXED, "2026-10 fixed.csv", True)],
    ids=["new month with new columns", "replacing a month"],
)
def test_a_failure_mid_import_leaves_the_store_as_it_was(
    store: Store, monkeypatch: pytest.MonkeyPatch, text: str, name: str, replace: bool
) -> None:
    store.import_file(parse(OCTOBER, "2026-10.csv"))
    before = state(store)
    columns_before = store.facts().columns.tolist()
    parsed = parse(text, name)
    written = []

    def fail_after_the_rows(self, con, import_id, parsed, replaced) -> None:
        rows = con.execute("SELECT count(*) FROM facts WHERE import_id = ?", [import_id])
        written.append(rows.fetchall()[0][0])
        raise RuntimeError("disk full")

    with monkeypatch.context() as patch:
        patch.setattr(Store, "_log_import", fail_after_the_rows)
        with pytest.raises(RuntimeError, match="disk full"):
            store.import_file(parsed, replace=replace)
    assert written == [parsed.rows], "the rows were written before the failure"
    assert_same_state(before, state(store))
    assert store.facts().columns.tolist() == columns_before, "added columns are rolled back"
    # The store still works, and the same file now goes in whole.
    assert store.import_file(parsed, replace=replace).rows == parsed.rows
    assert store.facts([parsed.period]).shape[0] == parsed.rows


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gbk"])
def test_bom_and_gbk_files_store_the_same_facts_as_utf8(tmp_path: Path, encoding: str) -> None:
    plain = Store(tmp_path / "plain.duckdb")
    plain.import_file(parse(OCTOBER, "2026-10.csv"))
    other = Store(tmp_path / f"{encoding}.duckdb")
    other.import_file(parse(OCTOBER, "2026-10.csv", encoding=encoding))
    pd.testing.assert_frame_equal(other.facts(), plain.facts())
    assert other.imports()["encoding"].tolist() == [
        "utf-8-sig" if encoding == "utf-8-sig" else "gb18030"
    ]


# ------------------------------------------------------------------ other programs and threads


# ------------------------------------------------------------------ the scheme of each import


def test_each_import_records_the_scheme_it_was_checked_against(store: Store) -> None:
    store.import_file(parse(OCTOBER, "2026-10.csv"))
    dealer = load_scheme(paths.SCHEMES_DIR / "dealer_4s.toml")
    parsed = parse_file(NOVEMBER.encode(), dealer, file_name="2026-11.csv")
    store.import_file(parsed)
    recorded = store.imported_schemes()
    assert recorded[["period", "scheme_id", "scheme_digest"]].values.tolist() == [
        ["2026-11", "dealer_4s", dealer.digest],
        ["2026-10", "aftersales", SCHEME.digest],
    ]
    assert store.imported_schemes(["2026-10"])["scheme_id"].tolist() == ["aftersales"]


# The import log as stores written before it recorded schemes have it.
OLD_IMPORTS = """CREATE TABLE imports (
    import_id BIGINT PRIMARY KEY, file_name VARCHAR NOT NULL, sha256 VARCHAR NOT NULL,
    period VARCHAR NOT NULL, row_count BIGINT NOT NULL, imported_at TIMESTAMP NOT NULL,
    status VARCHAR NOT NULL, replaces BIGINT, encoding VARCHAR, column_map VARCHAR)"""


def test_a_store_from_before_schemes_were_recorded_still_works(tmp_path: Path) -> None:
    import duckdb

    path = tmp_path / "old.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute(OLD_IMPORTS)
        con.execute(
            "INSERT INTO imports VALUES (1, '2026-09.csv', 'abc', '2026-09', 1, "
            "TIMESTAMP '2026-10-01 09:00', 'active', NULL, 'utf-8', '{}')"
        )
        con.execute("CREATE SEQUENCE import_ids START 2")
        con.execute(
            "CREATE TABLE facts (import_id BIGINT NOT NULL, source_row INTEGER, "
            "period VARCHAR NOT NULL, employee_id VARCHAR NOT NULL, name VARCHAR, "
            "department VARCHAR, team VARCHAR, role VARCHAR, region VARCHAR, hire_date DATE, "
            "satisfaction DOUBLE)"
        )
        con.execute(
            "INSERT INTO facts VALUES (1, 2, '2026-09', 'E001', '张三', '售后服务部', NULL, NULL, "
            "NULL, NULL, 90)"
        )
    store = Store(path)
    store.import_file(parse(OCTOBER, "2026-10.csv"))
    recorded = store.imported_schemes().set_index("period")
    assert recorded.loc["2026-10", "scheme_id"] == "aftersales"
    assert pd.isna(recorded.loc["2026-09", "scheme_id"])
    assert store.facts()["period"].tolist() == ["2026-09", "2026-10", "2026-10", "2026-10"]
    assert store.imports()["import_id"].tolist() == [2, 1]


def hold_the_file(path: Path, seconds: float) -> subprocess.Popen:
    """Another process that opens the store and keeps it open; returns once it holds it."""
    code = textwrap.dedent(
        f"""
        import sys, time, duckdb
        con = duckdb.connect({str(path)!r})
        print("holding", flush=True)
        time.sleep({seconds})
        con.close()
        """
    )
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "holding"
    return holder


@DUCKDB_FILE_ONLY
def test_store_busy_while_another_process_holds_the_file(store: Store) -> None:
    store.import_file(parse(OCTOBER, "2026-10.csv"))
    holder = hold_the_file(store.path, 2.5)
    try:
        started = time.monotonic()
        with pytest.raises(StoreBusy) as busy:
            Store(store.path, lock_wait=0.5).version()
        assert 0.5 <= time.monotonic() - started < 2.5
        message = str(busy.value)
        assert "in use by another program" in message and str(store.path) in message
        assert "\n" not in message and "Traceback" not in message and "IO Error" not in message

        assert Store(store.path, lock_wait=10).version() == 1
        # The holder keeps the file 2.5 s after saying so: the second try waited for it to let
        # go (measured, not by asking whether it exited: under load it may still be exiting).
        assert time.monotonic() - started >= 2.0, "the second try waited for the other process"
    finally:
        holder.kill()
        holder.wait()


def import_at_once(path: Path, files: dict[str, ParsedFile]) -> dict[str, object]:
    """Import each file from its own thread and Store object, all starting together."""
    outcome: dict[str, object] = {}
    start = threading.Barrier(len(files))

    def run(month: str) -> None:
        store = Store(path)
        start.wait()
        try:
            outcome[month] = store.import_file(files[month]).status
        except Exception as exc:  # any failure is recorded and judged by the test
            outcome[month] = exc

    threads = [threading.Thread(target=run, args=(month,)) for month in files]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcome


def test_two_threads_importing_different_months_at_once(tmp_path: Path) -> None:
    files = {"2026-10": parse(OCTOBER, "2026-10.csv"), "2026-11": parse(NOVEMBER, "2026-11.csv")}
    for attempt in range(4):
        path = tmp_path / f"race{attempt}.duckdb"
        Store(path)
        outcome = import_at_once(path, files)
        assert len(outcome) == 2, outcome
        assert all(r == "imported" or isinstance(r, StoreBusy) for r in outcome.values()), outcome
        stored = sorted(m for m, result in outcome.items() if result == "imported")
        assert stored, "at least one of the two imports goes through"

        final = Store(path)
        assert final.periods() == stored
        facts = final.facts()
        for month, parsed in files.items():
            expected = parsed.facts["employee_id"].tolist() if month in stored else []
            assert facts.loc[facts["period"] == month, "employee_id"].tolist() == expected
        log = final.imports()
        assert sorted(log["period"]) == stored
        assert (log["status"] == "active").all()
        assert final.version() == len(stored) == len(final.events())


# ------------------------------------------------------------------ a full disk, read-only media


def many_rows(count: int) -> str:
    """A valid October file of `count` people, big enough to need more than a few KB to store."""
    row = "E{:05d},员工{},售后服务部,售后一组,2020-03-15,88,2\r\n"
    rows = "".join(row.format(i, i) for i in range(count))
    return "工号,姓名,部门,班组,入职日期,客户满意度,故障处理天数\r\n" + rows


def test_a_full_disk_is_a_clear_message_and_leaves_the_store_as_it_was(tmp_path: Path) -> None:
    store = Store(tmp_path / "store.duckdb", lock_wait=2)
    store.import_file(parse(OCTOBER, "2026-10.csv"))
    before = state(store)
    big = tmp_path / "2026-11.csv"
    big.write_text(many_rows(5000).replace("2020-03-15", "2021-01-01"), encoding="utf-8")
    # The import runs in a process whose files may not grow past 64 KB: writes beyond fail as
    # they do on a full disk (the write-ahead log is the file that grows).
    code = textwrap.dedent(
        f"""
        import resource, signal, sys
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, resource.RLIM_INFINITY))
        from engine.cli import main
        sys.exit(main(["import", {str(big)!r}, "--period", "2026-11", "--db", {str(store.path)!r}]))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=paths.ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert done.stderr.startswith(f"error: The store {store.path} could not be written")
    assert "disk" in done.stderr and "Nothing was changed" in done.stderr
    assert_same_state(before, state(store))
    assert store.import_file(parse_file(big, SCHEME, period="2026-11")).rows == 5000


@DUCKDB_FILE_ONLY
def test_a_commit_that_fails_is_rolled_back_without_a_second_error(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.import_file(parse(OCTOBER, "2026-10.csv"))
    before = state(store)
    connect = duckdb_store.duckdb.connect

    class FailingCommit:
        """A connection whose commit fails as DuckDB's does when the disk is full: the
        transaction is gone afterwards, so a rollback raises again."""

        def __init__(self, *args, **kwargs):
            self.con = connect(*args, **kwargs)

        def __getattr__(self, name):
            return getattr(self.con, name)

        def commit(self):
            self.con.rollback()
            raise duckdb.TransactionException(
                'TransactionContext Error: Failed to commit: Could not write file "x.wal": '
                "No space left on device"
            )

    with monkeypatch.context() as patch:
        patch.setattr(duckdb_store.duckdb, "connect", FailingCommit)
        with pytest.raises(StoreError, match="could not be written") as failed:
            store.import_file(parse(NOVEMBER, "2026-11.csv"))
    assert not isinstance(failed.value, StoreBusy)
    assert "No space left on device" in str(failed.value)
    assert_same_state(before, state(store))


@DUCKDB_FILE_ONLY
def test_an_import_larger_than_the_free_space_is_refused_before_writing(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.import_file(parse(OCTOBER, "2026-10.csv"))
    before, size = state(store), store.path.stat().st_size
    big = parse_file(many_rows(5000).encode(), SCHEME, file_name="x.csv", period="2026-11")
    disk = shutil.disk_usage(store.path.parent)
    monkeypatch.setattr(
        duckdb_store.shutil,
        "disk_usage",
        lambda folder: disk._replace(free=100 * 1024),
    )
    with pytest.raises(StoreError, match="not enough free disk space"):
        store.import_file(big)
    assert_same_state(before, state(store))
    assert store.path.stat().st_size == size
    assert not store.path.with_name(store.path.name + ".wal").exists()


@DUCKDB_FILE_ONLY
def test_a_store_that_cannot_be_written_is_read(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.import_file(parse(OCTOBER, "2026-10.csv"))
    before = state(store)
    monkeypatch.setattr(duckdb_store.os, "access", lambda path, mode: mode != os.W_OK)
    read_only = Store(store.path)
    assert read_only.read_only
    assert_same_state(before, state(read_only))
    for change in (
        lambda: read_only.import_file(parse(NOVEMBER, "2026-11.csv")),
        lambda: read_only.delete(1),
        lambda: read_only.audit("sign_in"),
    ):
        with pytest.raises(StoreError, match="read-only") as refused:
            change()
        assert "Nothing was changed" in str(refused.value)
    assert_same_state(before, state(store))


@DUCKDB_FILE_ONLY
def test_a_store_duckdb_refuses_to_open_for_writing_is_opened_read_only(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.import_file(parse(OCTOBER, "2026-10.csv"))
    before = state(store)
    connect = duckdb_store.duckdb.connect

    def read_only_media(path, read_only=False, **kwargs):
        if not read_only:
            raise duckdb.IOException(f'IO Error: Cannot open file "{path}": Read-only file system')
        return connect(path, read_only=True, **kwargs)

    monkeypatch.setattr(duckdb_store.duckdb, "connect", read_only_media)
    fallen_back = Store(store.path)
    assert fallen_back.read_only
    assert_same_state(before, state(fallen_back))
    with pytest.raises(StoreError, match="read-only"):
        fallen_back.delete(1)


@DUCKDB_FILE_ONLY
def test_a_read_only_store_of_an_earlier_version_says_so(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    with duckdb.connect(str(store.path)) as con:
        con.execute("DROP TABLE scenarios")
    monkeypatch.setattr(duckdb_store.os, "access", lambda path, mode: mode != os.W_OK)
    with pytest.raises(StoreError, match="earlier version") as refused:
        Store(store.path)
    assert "scenarios" in str(refused.value) and "read-only" in str(refused.value)
