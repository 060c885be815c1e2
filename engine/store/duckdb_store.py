"""The DuckDB store: the only module that speaks SQL. Imports are all-or-nothing and restorable."""

from __future__ import annotations

import copy
import io
import json
import os
import secrets
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import adbc_driver_manager
import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from engine import paths
from engine.intake.parse import ParsedFile
from engine.store import backends

LOCK_WAIT_SECONDS = 10.0
# Two threads of one process opening the same file at the same moment: in duckdb 2.0 one of
# them then often fails its first frame scan with "pandas_scan does not exist" (measured: about
# half the time). Opening connections one at a time per process avoids that race.
CONNECT_LOCK = threading.Lock()
# What DuckDB says when the file cannot be opened for writing (read-only media, no permission)
# and when a write fails for want of space; matched in lower case.
READ_ONLY_SIGNS = ("read-only file system", "permission denied", "read-only")
WRITE_FAILURE_SIGNS = ("could not write", "no space left", "file too large", "disk quota")
# An import's rows as pandas holds them, times this, bounds what storing them takes on disk: the
# write-ahead log (about the in-memory size, measured) and then the compressed table blocks.
DISK_NEED_FACTOR = 2
ROSTER_SQL_TYPES = {
    "period": "VARCHAR",
    "employee_id": "VARCHAR",
    "name": "VARCHAR",
    "department": "VARCHAR",
    "team": "VARCHAR",
    "role": "VARCHAR",
    "region": "VARCHAR",
    "hire_date": "DATE",
}
SCHEMA = [
    "CREATE SEQUENCE IF NOT EXISTS import_ids START 1",
    """CREATE TABLE IF NOT EXISTS imports (
        import_id BIGINT PRIMARY KEY, file_name VARCHAR NOT NULL, sha256 VARCHAR NOT NULL,
        period VARCHAR NOT NULL, row_count BIGINT NOT NULL, imported_at TIMESTAMP NOT NULL,
        status VARCHAR NOT NULL, replaces BIGINT, encoding VARCHAR, column_map VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS facts (
        import_id BIGINT NOT NULL, source_row INTEGER, period VARCHAR NOT NULL,
        employee_id VARCHAR NOT NULL, name VARCHAR, department VARCHAR, team VARCHAR,
        role VARCHAR, region VARCHAR, hire_date DATE)""",
    """CREATE TABLE IF NOT EXISTS extras (
        import_id BIGINT NOT NULL, employee_id VARCHAR, "column" VARCHAR, value VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS events (
        happened_at TIMESTAMP NOT NULL, action VARCHAR NOT NULL, import_id BIGINT, period VARCHAR,
        detail VARCHAR)""",
    "CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value BIGINT NOT NULL)",
    """CREATE TABLE IF NOT EXISTS header_mappings (
        signature VARCHAR PRIMARY KEY, mapping VARCHAR NOT NULL, saved_at TIMESTAMP NOT NULL)""",
    "INSERT INTO meta VALUES ('version', 0) ON CONFLICT DO NOTHING",
    "ALTER TABLE events ADD COLUMN IF NOT EXISTS username VARCHAR",
    # The scheme each import was checked against (empty in stores written before it was kept).
    "ALTER TABLE imports ADD COLUMN IF NOT EXISTS scheme_id VARCHAR",
    "ALTER TABLE imports ADD COLUMN IF NOT EXISTS scheme_digest VARCHAR",
    """CREATE TABLE IF NOT EXISTS scheme_versions (
        scheme_id VARCHAR NOT NULL, version INTEGER NOT NULL, toml VARCHAR NOT NULL,
        created_at TIMESTAMP NOT NULL, note VARCHAR, PRIMARY KEY (scheme_id, version))""",
    """CREATE TABLE IF NOT EXISTS scenarios (
        scheme_id VARCHAR NOT NULL, name VARCHAR NOT NULL, base_version INTEGER NOT NULL,
        toml VARCHAR NOT NULL, settings VARCHAR NOT NULL, saved_at TIMESTAMP NOT NULL,
        PRIMARY KEY (scheme_id, name))""",
    # Closing a month (engine/cycle): its state per department ("" = the month as a whole), the
    # frozen results of a locked month, and the adjustments (加减分 / calibration) per person.
    """CREATE TABLE IF NOT EXISTS month_states (
        period VARCHAR NOT NULL, department VARCHAR NOT NULL, state VARCHAR NOT NULL,
        changed_at TIMESTAMP NOT NULL, username VARCHAR, PRIMARY KEY (period, department))""",
    """CREATE TABLE IF NOT EXISTS month_snapshots (
        period VARCHAR PRIMARY KEY, scheme_id VARCHAR NOT NULL, scheme_version VARCHAR NOT NULL,
        locked_at TIMESTAMP NOT NULL, username VARCHAR, row_count BIGINT NOT NULL,
        snapshot BLOB NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS adjustments (
        period VARCHAR NOT NULL, employee_id VARCHAR NOT NULL, points DOUBLE, grade VARCHAR,
        reason VARCHAR NOT NULL, proposed_by VARCHAR, proposed_at TIMESTAMP NOT NULL,
        approved_by VARCHAR, PRIMARY KEY (period, employee_id))""",
    # Results reach people (engine/cycle/appeals.py, interviews.py): a person's 接受 of a
    # published month, their 申诉 (appeals) with the queue's state and decision, and the
    # 绩效面谈 record per person and month. KPI lists and believed values are JSON text.
    "CREATE SEQUENCE IF NOT EXISTS appeal_ids START 1",
    """CREATE TABLE IF NOT EXISTS acknowledgements (
        period VARCHAR NOT NULL, employee_id VARCHAR NOT NULL, accepted_at TIMESTAMP NOT NULL,
        username VARCHAR, PRIMARY KEY (period, employee_id))""",
    """CREATE TABLE IF NOT EXISTS appeals (
        appeal_id BIGINT PRIMARY KEY, period VARCHAR NOT NULL, employee_id VARCHAR NOT NULL,
        department VARCHAR, reason VARCHAR NOT NULL, kpis VARCHAR NOT NULL, believed VARCHAR,
        state VARCHAR NOT NULL, filed_by VARCHAR, filed_at TIMESTAMP NOT NULL,
        taken_by VARCHAR, taken_at TIMESTAMP, decided_by VARCHAR, decided_at TIMESTAMP,
        decision VARCHAR, points DOUBLE, grade VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS interviews (
        period VARCHAR NOT NULL, employee_id VARCHAR NOT NULL, strengths VARCHAR NOT NULL,
        improve VARCHAR NOT NULL, plan VARCHAR NOT NULL, plan_kpis VARCHAR NOT NULL,
        employee_comment VARCHAR, manager_confirmed_by VARCHAR, manager_confirmed_at TIMESTAMP,
        employee_confirmed_by VARCHAR, employee_confirmed_at TIMESTAMP, updated_by VARCHAR,
        updated_at TIMESTAMP NOT NULL, PRIMARY KEY (period, employee_id))""",
    # Targets (目标) per month for a person (employee_id set, team '') or a team (employee_id '',
    # department '' when the file named none): one value per KPI, replaced month by month.
    """CREATE TABLE IF NOT EXISTS targets (
        period VARCHAR NOT NULL, scope VARCHAR NOT NULL, employee_id VARCHAR NOT NULL,
        department VARCHAR NOT NULL, team VARCHAR NOT NULL, kpi VARCHAR NOT NULL,
        target DOUBLE NOT NULL, source VARCHAR NOT NULL, saved_at TIMESTAMP NOT NULL,
        saved_by VARCHAR, PRIMARY KEY (period, scope, employee_id, department, team, kpi))""",
    # Scored months kept (issue 19): a month's scored rows under one scheme version (as Parquet,
    # like a locked month's snapshot, which is the same rows made final), valid while the
    # month's active import and the other inputs (adjustments, statuses: `inputs`) are unchanged.
    """CREATE TABLE IF NOT EXISTS scored_months (
        period VARCHAR NOT NULL, scheme_id VARCHAR NOT NULL, scheme_digest VARCHAR NOT NULL,
        scheme_version INTEGER NOT NULL, import_id BIGINT NOT NULL, inputs VARCHAR NOT NULL,
        scored_at TIMESTAMP NOT NULL, row_count BIGINT NOT NULL, scored BLOB NOT NULL,
        PRIMARY KEY (period, scheme_id, scheme_digest))""",
    # Wrong passwords per user name, so the wait before the next try is the same in every
    # dashboard process over the store (engine/accounts.py's Throttle, shared).
    """CREATE TABLE IF NOT EXISTS sign_in_failures (
        username VARCHAR PRIMARY KEY, failures INTEGER NOT NULL, last_failed TIMESTAMP NOT NULL)""",
    # Kept scored rows in columns the database can aggregate (issue 19): trends, a person's
    # months and period views read small aggregates instead of every month's Parquet copy.
    # One row per person and month under a scheme digest ("snapshot <locked_at>" for a locked
    # month's snapshot); scored_row_sets says which (month, digest) sets are complete.
    """CREATE TABLE IF NOT EXISTS scored_rows (
        period VARCHAR NOT NULL, scheme_id VARCHAR NOT NULL, scheme_digest VARCHAR NOT NULL,
        employee_id VARCHAR NOT NULL, name VARCHAR, department VARCHAR, team VARCHAR,
        role VARCHAR, total DOUBLE, grade VARCHAR, grade_en VARCHAR, rank BIGINT,
        dept_rank BIGINT, bonus DOUBLE, missing_count BIGINT)""",
    """CREATE TABLE IF NOT EXISTS scored_row_sets (
        period VARCHAR NOT NULL, scheme_id VARCHAR NOT NULL, scheme_digest VARCHAR NOT NULL,
        row_count BIGINT NOT NULL, PRIMARY KEY (period, scheme_id, scheme_digest))""",
    # Sign-in accounts of a PostgreSQL store (a DuckDB store keeps its accounts file), the same
    # records as the file (departments as JSON text), and the sign-in sessions of every dashboard
    # process over it: ended (with the reason) by signing out, a timeout or the administrator.
    """CREATE TABLE IF NOT EXISTS accounts (
        username VARCHAR PRIMARY KEY, role VARCHAR NOT NULL, departments VARCHAR NOT NULL,
        employee_id VARCHAR, password_hash VARCHAR NOT NULL, must_change BOOLEAN NOT NULL,
        changed_at TIMESTAMP NOT NULL, changed_by VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS sign_in_sessions (
        token VARCHAR PRIMARY KEY, username VARCHAR NOT NULL, stamp VARCHAR NOT NULL,
        started_at TIMESTAMP NOT NULL, last_seen TIMESTAMP NOT NULL, ended_at TIMESTAMP,
        reason VARCHAR)""",
    # Secrets every dashboard process over a PostgreSQL store must share (the key of viewers'
    # pseudonyms), made once by whichever process asks first.
    """CREATE TABLE IF NOT EXISTS shared_secrets (
        name VARCHAR PRIMARY KEY, value VARCHAR NOT NULL, made_at TIMESTAMP NOT NULL)""",
    # PostgreSQL only (issue 18 item 5): without an index, reading or replacing one month's
    # rows reads the whole table (at ten years of 80,000 staff, seconds per month and growing).
    # DuckDB skips them: its zone maps already skip the row groups of other months (rows go in
    # month by month), so an index would only cost every write.
    ("postgresql", "CREATE INDEX IF NOT EXISTS facts_import ON facts (import_id)"),
    ("postgresql", "CREATE INDEX IF NOT EXISTS extras_import ON extras (import_id)"),
    (
        "postgresql",
        "CREATE INDEX IF NOT EXISTS scored_rows_set ON scored_rows (period, scheme_id, "
        "scheme_digest)",
    ),
    # PostgreSQL only: a person's months (the overview's movers, a statement) are found by index,
    # not by reading ten years of kept rows (31 s for 20 people over 120 months before).
    ("postgresql", "CREATE INDEX IF NOT EXISTS scored_rows_person ON scored_rows (employee_id)"),
    # DuckDB only: Parquet copies a store kept compressed with ZSTD are written again, now
    # uncompressed (see _connect), once; nothing happens where none is compressed.
    *(
        ("duckdb", statement.format(table=table, column=column))
        for table, column in (("scored_months", "scored"), ("month_snapshots", "snapshot"))
        for statement in (
            "CREATE OR REPLACE TEMP TABLE zstd_rows AS SELECT * FROM {table} WHERE EXISTS ("
            "SELECT 1 FROM pragma_storage_info('{table}') WHERE column_name = '{column}' "
            "AND compression = 'ZSTD')",
            "DELETE FROM {table} WHERE EXISTS (SELECT 1 FROM zstd_rows)",
            "INSERT INTO {table} SELECT * FROM zstd_rows",
            "DROP TABLE zstd_rows",
        )
    ),
    # The team rank in columns too (我的绩效 reads a person's months from them: ten years of
    # Parquet copies took a second). Rows put into columns before it have none: once (the meta
    # mark says it is done) every set is dropped, and put into columns again from the kept
    # Parquet copies on first use, not scored again.
    "ALTER TABLE scored_rows ADD COLUMN IF NOT EXISTS team_rank BIGINT",
    "DELETE FROM scored_row_sets WHERE NOT EXISTS "
    "(SELECT 1 FROM meta WHERE key = 'team_rank_in_columns')",
    "DELETE FROM scored_rows WHERE NOT EXISTS "
    "(SELECT 1 FROM meta WHERE key = 'team_rank_in_columns')",
    "INSERT INTO meta VALUES ('team_rank_in_columns', 1) ON CONFLICT DO NOTHING",
    # What a control chart draws (issue 19): per month, department and series (the total, each
    # KPI) of kept rows, the mean and a rate's hits and cases, so the insights page does not read
    # every month's rows. A set counts only while its `source` equals what the month's rows are
    # kept from now (Store.kept_sources): kept again, the month's old sums are never read.
    """CREATE TABLE IF NOT EXISTS series_sums (
        period VARCHAR NOT NULL, scheme_id VARCHAR NOT NULL, scheme_digest VARCHAR NOT NULL,
        department VARCHAR, kpi VARCHAR NOT NULL, mean DOUBLE, hits DOUBLE, cases DOUBLE,
        with_cases BIGINT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS series_sum_sets (
        period VARCHAR NOT NULL, scheme_id VARCHAR NOT NULL, scheme_digest VARCHAR NOT NULL,
        source VARCHAR NOT NULL, PRIMARY KEY (period, scheme_id, scheme_digest))""",
    # PostgreSQL only: replacing one month's sums finds its rows by index, not by reading all.
    (
        "postgresql",
        "CREATE INDEX IF NOT EXISTS series_sums_set ON series_sums (period, scheme_id, "
        "scheme_digest)",
    ),
]

# Every statement above is appended, never changed or removed, and each is safe to run again: a
# store that ran the first N of them has schema version N and upgrades by running them all once.
SCHEMA_VERSION = len(SCHEMA)
# What either backend raises when a statement fails.
DB_ERRORS = (duckdb.Error, adbc_driver_manager.Error)

TABLES = (
    "imports",
    "facts",
    "extras",
    "events",
    "meta",
    "header_mappings",
    "scheme_versions",
    "scenarios",
)


class StoreError(Exception):
    """A store operation that did not happen; the message says why in plain words."""


class StoreBusy(StoreError):
    """Another program holds the store file."""


class StoreReadOnly(StoreError):
    """The store file cannot be written: read-only media or no permission."""


class ImportRefused(StoreError):
    """The month already holds a different file and replacement was not asked for."""


class MonthLocked(ImportRefused):
    """The month is locked: its data and results stay as they were until it is unlocked."""


@dataclass(frozen=True)
class ImportResult:
    status: str  # "imported", "unchanged" or "replaced"
    import_id: int
    period: str
    rows: int
    file_name: str

    @property
    def message(self) -> str:
        if self.status == "unchanged":
            return f"{self.file_name}: unchanged, {self.period} already holds this exact file"
        return f"{self.file_name}: {self.status} {self.period}, {self.rows} rows"


class Store:
    """A DuckDB file opened only while working, so other processes can use it in between."""

    def __init__(
        self,
        path: str | Path | None = None,
        lock_wait: float = LOCK_WAIT_SECONDS,
        user: str = "system",
    ):
        self.path = paths.db_path(path)
        self.lock_wait = lock_wait
        self.user = user
        # A PostgreSQL store (a URL): the server keeps the data, its clients hold no file.
        self.postgres = backends.is_url(self.path)
        # A file that cannot be written (nor its folder, where the write-ahead log goes) is
        # opened read-only: reading works, every change is refused with a clear message.
        self.read_only = (
            not self.postgres
            and self.path.exists()
            and not (os.access(self.path, os.W_OK) and os.access(self.path.parent, os.W_OK))
        )
        if not self.read_only and not self.postgres:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"The store {self.path} cannot be created: {exc}") from exc
        with self._connect() as con:
            # (a replica of a PostgreSQL store is read-only as well)
            self.read_only = self.read_only or con.is_read_only()
            if self.read_only:  # (opening may have found the file read-only)
                self._check_schema(con)
                return
            found = schema_version(con)
        if found < SCHEMA_VERSION:
            self._upgrade()

    def _upgrade(self) -> None:
        """Bring the store's tables up to this program's schema, once, in one transaction (the
        first of several processes starting at once does it, the others find it done)."""
        with self._transaction() as con:
            found = schema_version(con)
            if found >= SCHEMA_VERSION:
                return
            existed = (
                found > 0
                or con.execute(
                    "SELECT count(*) FROM information_schema.tables "
                    "WHERE table_schema = current_schema() AND table_name = 'imports'"
                ).fetchall()[0][0]
            )
            for statement in SCHEMA:
                if isinstance(statement, tuple):  # (backend, statement): for that one only
                    backend, statement = statement
                    if backend != con.kind:
                        continue
                con.execute(statement)
            con.execute(
                "INSERT INTO meta VALUES ('schema', ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [SCHEMA_VERSION],
            )
            if existed:  # an existing store changed shape: the audit log says when and how
                con.execute(
                    "INSERT INTO events (happened_at, action, detail, username) "
                    "VALUES (now()::TIMESTAMP, 'schema_upgraded', ?, ?)",
                    [f"schema {found} → {SCHEMA_VERSION}", self.user],
                )

    def schema_version(self) -> int:
        """The store's schema version (SCHEMA_VERSION once it has been opened for writing)."""
        with self._connect() as con:
            return schema_version(con)

    def _check_schema(self, con: backends.DuckConnection) -> None:
        """A read-only store cannot be brought up to date: say so if an earlier version made it."""
        if self.postgres:
            if (found := schema_version(con)) < SCHEMA_VERSION:
                raise StoreError(
                    f"The store {self.path} is read-only and has schema version {found}; this "
                    f"program needs {SCHEMA_VERSION}. Open it once on the primary server."
                )
            return
        found = con.execute("SELECT table_name, column_name FROM duckdb_columns()").fetchall()
        tables = {table for table, _ in found}
        missing = sorted(set(TABLES) - tables)
        for table, column in (("events", "username"), ("scored_rows", "team_rank")):
            if (table, column) not in found and table in tables:
                missing.append(f"{table}.{column}")
        if missing:
            raise StoreError(
                f"The store {self.path} is read-only and was made by an earlier version of this "
                f"program (it lacks {', '.join(missing)}). Open it once where it can be written, "
                "or copy it to a writable folder."
            )

    @contextmanager
    def _connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """Open the file, waiting briefly while another process holds its lock."""
        if self.postgres:
            con = self._connect_postgres()
            try:
                yield con
            finally:
                backends.give_back(self.path, con)
            return
        deadline = time.monotonic() + self.lock_wait
        delay = 0.05
        while True:
            try:
                with CONNECT_LOCK:
                    con = duckdb.connect(str(self.path), read_only=self.read_only)
                break
            except duckdb.IOException as exc:
                said = str(exc).lower()
                if (
                    not self.read_only
                    and self.path.exists()
                    and any(sign in said for sign in READ_ONLY_SIGNS)
                ):
                    self.read_only = True
                    continue
                if "lock" not in said:
                    raise StoreError(f"The store {self.path} cannot be opened: {exc}") from exc
                if time.monotonic() >= deadline:
                    raise StoreBusy(
                        f"The store {self.path} is in use by another program (is the dashboard "
                        f"importing, or another import running?). Try again in a moment."
                    ) from exc
                time.sleep(delay)
                delay = min(delay * 2, 0.5)
        if not self.read_only:
            # Kept months' Parquet copies (compressed already) stay uncompressed in the file: with
            # ZSTD, reading one month unpacked every month's copy (1–2.5 s at 120 months kept).
            con.execute("SET disabled_compression_methods = 'zstd'")
        con = backends.DuckConnection(con, str(self.path))
        try:
            yield con
        finally:
            con.close()

    def _connect_postgres(self) -> backends.PgConnection:
        """Connect to the PostgreSQL store, waiting briefly while the server is full or
        starting."""
        deadline = time.monotonic() + self.lock_wait
        while True:
            try:
                return backends.take_postgres(self.path)
            except adbc_driver_manager.Error as exc:
                said = str(exc).splitlines()[0]
                if backends.sqlstate(exc) not in backends.BUSY_STATES:
                    raise StoreError(f"The store {self.path} cannot be opened: {said}") from exc
                if time.monotonic() >= deadline:
                    raise StoreBusy(
                        f"The store {self.path} is busy (the database server is full or "
                        f"starting): {said}. Try again in a moment."
                    ) from exc
                time.sleep(0.2)

    @contextmanager
    def _transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """One transaction: everything in it lands, or nothing does."""
        if self.read_only:
            raise StoreReadOnly(
                f"The store {self.path} is read-only (read-only media, or no permission to write "
                "the file or its folder), so it cannot be changed. Nothing was changed."
            )
        with self._connect() as con:
            con.begin()
            try:
                con.lock_writers(self.lock_wait)
                yield con
                con.commit()
            except BaseException as exc:
                # A commit that failed (a full disk) has already ended the transaction, and
                # rolling back then raises again: the first error is the one to report.
                with suppress(*DB_ERRORS):
                    con.rollback()
                if isinstance(exc, DB_ERRORS) and (failure := self._failure(exc)):
                    raise failure from exc
                raise

    def _failure(self, exc: duckdb.Error) -> StoreError | None:
        """A failed write in plain words: no space, or a change at the same time (None: other)."""
        said = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if self.postgres:
            return self._failure_postgres(exc, said)
        if isinstance(exc, duckdb.IOException) or any(
            sign in said.lower() for sign in WRITE_FAILURE_SIGNS
        ):
            return StoreError(
                f"The store {self.path} could not be written (is the disk full?): {said}. "
                "Nothing was changed; free some disk space and try again."
            )
        if isinstance(exc, duckdb.TransactionException):
            return StoreBusy(
                f"Another change to the store happened at the same time: {said}. "
                "Nothing was changed; try again."
            )
        return None

    def _failure_postgres(self, exc: Exception, said: str) -> StoreError | None:
        """A failed PostgreSQL write in plain words, from its SQLSTATE (None: other)."""
        state = backends.sqlstate(exc)
        if state in backends.BUSY_STATES:
            return StoreBusy(
                f"The store {self.path} is in use by another program (is the dashboard "
                f"importing, or another import running?): {said}. Nothing was changed; try again."
            )
        if state in backends.READ_ONLY_STATES:
            return StoreReadOnly(
                f"The store {self.path} is read-only (a replica, or a role without write "
                "permission), so it cannot be changed. Nothing was changed."
            )
        if state in backends.DISK_STATES:
            return StoreError(
                f"The store {self.path} could not be written (is the server's disk full?): "
                f"{said}. Nothing was changed."
            )
        return None

    # -------------------------------------------------------------- reading

    def version(self) -> int:
        """A number that grows with every change: the key for caches of derived results."""
        with self._connect() as con:
            return int(con.execute("SELECT value FROM meta WHERE key = 'version'").fetchall()[0][0])

    def periods(self) -> list[str]:
        """Months with active data, oldest first."""
        with self._connect() as con:
            rows = con.execute(
                "SELECT DISTINCT period FROM imports WHERE status = 'active' ORDER BY period"
            ).fetchall()
        return [r[0] for r in rows]

    def facts(
        self, periods: list[str] | None = None, columns: list[str] | None = None
    ) -> pd.DataFrame:
        """Active rows (one per employee and month) with every stored value column and extras;
        `columns` keeps only those value columns (besides import_id, period and employee_id)."""
        where, params = "i.status = 'active'", []
        if periods is not None:
            where += " AND i.period IN (SELECT unnest(?))"
            params.append(list(periods))
        with self._connect() as con:
            names = [
                r[0]
                for r in con.execute(
                    'SELECT DISTINCT e."column" FROM extras e JOIN imports i USING (import_id) '
                    f"WHERE {where} ORDER BY 1",
                    params,
                ).fetchall()
                if columns is None or r[0] in columns
            ]
            chosen = "f.*"
            if columns is not None:
                stored = {r[0] for r in con.execute("SELECT * FROM facts LIMIT 0").description}
                keys = ["import_id", "period", "employee_id"]
                chosen = ", ".join(
                    f"f.{_quoted(c)}" for c in [*keys, *(c for c in columns if c in stored)]
                )
            # The extra columns are turned wide in the database (one CASE per column) and read
            # as Arrow: pivoting the long table in pandas took 13 of a cold page's 21 s at 1M rows.
            wide = ", ".join(
                f'max(CASE WHEN e."column" = ? THEN e.value END) AS {_quoted(n)}' for n in names
            )
            sql = f"SELECT {chosen} FROM facts f JOIN imports i USING (import_id) WHERE {where}"
            if names:
                sql = (
                    f"SELECT {chosen}, {', '.join('x.' + _quoted(n) for n in names)} FROM facts f "
                    "JOIN imports i USING (import_id) LEFT JOIN (SELECT e.import_id, "
                    f"e.employee_id, {wide} FROM extras e JOIN imports i USING (import_id) "
                    f"WHERE {where} GROUP BY e.import_id, e.employee_id) x "
                    "ON x.import_id = f.import_id AND x.employee_id = f.employee_id "
                    f"WHERE {where}"
                )
                params = [*names, *params, *params]  # in the order the markers appear
            return con.execute(f"{sql} ORDER BY f.period, f.employee_id", params).df()

    def imports(self) -> pd.DataFrame:
        """The import log, newest first."""
        with self._connect() as con:
            return con.execute(
                "SELECT import_id, file_name, period, row_count, imported_at, status, replaces, "
                "encoding, sha256 FROM imports ORDER BY import_id DESC"
            ).df()

    def imported_schemes(self, periods: list[str] | None = None) -> pd.DataFrame:
        """The scheme each active import (of the given months) was checked against: period,
        import_id, scheme_id, scheme_digest (missing for imports older than this record),
        newest import first."""
        where, params = "status = 'active'", []
        if periods is not None:
            where += " AND period IN (SELECT unnest(?))"
            params.append(list(periods))
        with self._connect() as con:
            return con.execute(
                "SELECT period, import_id, scheme_id, scheme_digest FROM imports "
                f"WHERE {where} ORDER BY import_id DESC",
                params,
            ).df()

    def events(self) -> pd.DataFrame:
        """Every import, replacement, restore and deletion, newest first."""
        with self._connect() as con:
            return con.execute(
                "SELECT * FROM events ORDER BY happened_at DESC, import_id DESC NULLS LAST"
            ).df()

    def header_mapping(self, signature: str) -> dict[str, str]:
        """The column choices a user made for files with this header (empty if none)."""
        with self._connect() as con:
            found = con.execute(
                "SELECT mapping FROM header_mappings WHERE signature = ?", [signature]
            ).fetchall()
        return json.loads(found[0][0]) if found else {}

    def save_header_mapping(self, signature: str, mapping: dict[str, str]) -> None:
        """Remember column choices for the next file with the same header."""
        with self._transaction() as con:
            con.execute(
                "INSERT INTO header_mappings VALUES (?, ?, now()::TIMESTAMP) "
                "ON CONFLICT (signature) DO UPDATE SET mapping = excluded.mapping, "
                "saved_at = excluded.saved_at",
                [signature, json.dumps(mapping, ensure_ascii=False)],
            )

    def active_import(self, period: str) -> dict | None:
        """The import that currently holds a month, as a dict, or None."""
        log = self.imports()
        found = log[(log["period"] == period) & (log["status"] == "active")]
        return found.iloc[0].to_dict() if len(found) else None

    def is_empty(self) -> bool:
        with self._connect() as con:
            return con.execute("SELECT count(*) FROM imports").fetchall()[0][0] == 0

    # -------------------------------------------------------------- writing

    def import_file(self, parsed: ParsedFile, replace: bool = False) -> ImportResult:
        """Store a checked file as its month, in one transaction; the same file again is a no-op."""
        if not parsed.ok:
            raise StoreError(
                f"{parsed.file_name} has {len(parsed.problems)} problem(s); nothing stored"
            )
        with self._transaction() as con:
            _refuse_locked(con, parsed.period, f"{parsed.file_name}: ")
            active = con.execute(
                "SELECT import_id, sha256, file_name, imported_at FROM imports "
                "WHERE period = ? AND status = 'active'",
                [parsed.period],
            ).fetchall()
            if active and active[0][1] == parsed.sha256:
                return ImportResult(
                    "unchanged", active[0][0], parsed.period, parsed.rows, parsed.file_name
                )
            if active and not replace:
                old_id, _, old_name, old_at = active[0]
                raise ImportRefused(
                    f"{parsed.file_name}: {parsed.period} already holds {old_name} (import "
                    f"{old_id}, {old_at:%Y-%m-%d %H:%M}). Replace it explicitly (--replace); the "
                    "current data stays restorable."
                )
            self._check_free_space(parsed)
            import_id = con.execute("SELECT nextval('import_ids')").fetchall()[0][0]
            self._write_rows(con, import_id, parsed)
            replaced = active[0][0] if active else None
            if replaced is not None:
                con.execute(
                    "UPDATE imports SET status = 'replaced' WHERE import_id = ?", [replaced]
                )
            self._log_import(con, import_id, parsed, replaced)
            status = "replaced" if replaced is not None else "imported"
            self._event(
                con,
                status,
                import_id,
                parsed.period,
                f"{parsed.file_name}, {parsed.rows} rows"
                + (f", replaces import {replaced}" if replaced else ""),
            )
            return ImportResult(status, import_id, parsed.period, parsed.rows, parsed.file_name)

    def _check_free_space(self, parsed: ParsedFile) -> None:
        """Refuse before writing when the disk has clearly too little room for the file."""
        if self.postgres:  # the server's disk: PostgreSQL refuses a full one with a clear error
            return
        size = parsed.facts.memory_usage(deep=True).sum()
        size += parsed.extras.memory_usage(deep=True).sum()
        needed = int(size) * DISK_NEED_FACTOR
        free = shutil.disk_usage(self.path.parent).free
        if free < needed:
            raise StoreError(
                f"{parsed.file_name}: not enough free disk space to store it: it needs about "
                f"{needed / 2**20:.1f} MB and {free / 2**20:.1f} MB are free in "
                f"{self.path.parent}. Nothing was changed."
            )

    def _write_rows(self, con: backends.DuckConnection, import_id: int, parsed: ParsedFile) -> None:
        facts = parsed.facts.assign(import_id=import_id)
        value_columns = [
            c
            for c in facts.columns
            if c not in ROSTER_SQL_TYPES and c not in ("import_id", "source_row")
        ]
        for column in value_columns:
            con.execute(f'ALTER TABLE facts ADD COLUMN IF NOT EXISTS "{column}" DOUBLE')
        con.insert("facts", pa.Table.from_pandas(facts, preserve_index=False))
        if not parsed.extras.empty:
            con.insert("extras", parsed.extras.assign(import_id=import_id))

    def _log_import(
        self,
        con: duckdb.DuckDBPyConnection,
        import_id: int,
        parsed: ParsedFile,
        replaced: int | None,
    ) -> None:
        con.execute(
            "INSERT INTO imports (import_id, file_name, sha256, period, row_count, imported_at, "
            "status, replaces, encoding, column_map, scheme_id, scheme_digest) "
            "VALUES (?, ?, ?, ?, ?, now()::TIMESTAMP, 'active', ?, ?, ?, ?, ?)",
            [
                import_id,
                parsed.file_name,
                parsed.sha256,
                parsed.period,
                parsed.rows,
                replaced,
                parsed.encoding,
                json.dumps(parsed.column_map, ensure_ascii=False),
                parsed.scheme_id or None,
                parsed.scheme_digest or None,
            ],
        )

    def _event(
        self, con: duckdb.DuckDBPyConnection, action: str, import_id: int, period: str, detail: str
    ) -> None:
        """Record a change in the history (the audit log, with the user) and move the version on."""
        con.execute(
            "INSERT INTO events (happened_at, action, import_id, period, detail, username) "
            "VALUES (now()::TIMESTAMP, ?, ?, ?, ?, ?)",
            [action, import_id, period, detail, self.user],
        )
        con.execute("UPDATE meta SET value = value + 1 WHERE key = 'version'")

    def as_user(self, user: str) -> Store:
        """The same store, recording `user` in the audit log of what it changes."""
        twin = copy.copy(self)
        twin.user = user
        return twin

    def audit(self, action: str, detail: str = "") -> None:
        """Record something that changes no data (a sign-in, an export) in the audit log."""
        with self._transaction() as con:
            con.execute(
                "INSERT INTO events (happened_at, action, detail, username) "
                "VALUES (now()::TIMESTAMP, ?, ?, ?)",
                [action, detail, self.user],
            )

    def _import_entry(self, con: duckdb.DuckDBPyConnection, import_id: int) -> tuple[str, str, str]:
        """An import's month, status and file name; a clear error when there is no such import."""
        found = con.execute(
            "SELECT period, status, file_name FROM imports WHERE import_id = ?", [import_id]
        ).fetchall()
        if not found:
            raise StoreError(f"There is no import {import_id}.")
        return found[0]

    def restore(self, import_id: int) -> str:
        """Make a replaced or deleted import its month's data again; the current one stays kept."""
        with self._transaction() as con:
            period, status, file_name = self._import_entry(con, import_id)
            _refuse_locked(con, period, f"Import {import_id} ({file_name}): ")
            if status == "active":
                raise StoreError(f"Import {import_id} ({file_name}) is already {period}'s data.")
            current = con.execute(
                "SELECT import_id FROM imports WHERE period = ? AND status = 'active'", [period]
            ).fetchall()
            if current:
                con.execute(
                    "UPDATE imports SET status = 'replaced' WHERE import_id = ?", [current[0][0]]
                )
            con.execute("UPDATE imports SET status = 'active' WHERE import_id = ?", [import_id])
            detail = f"{file_name}" + (f", replaces import {current[0][0]}" if current else "")
            self._event(con, "restored", import_id, period, detail)
        return f"Restored import {import_id} ({file_name}) as {period}."

    def delete(self, import_id: int) -> str:
        """Take an import's month out of every view; the rows stay kept and can be restored."""
        with self._transaction() as con:
            period, status, file_name = self._import_entry(con, import_id)
            _refuse_locked(con, period, f"Import {import_id} ({file_name}): ")
            if status != "active":
                raise StoreError(f"Import {import_id} ({file_name}) is not in use ({status}).")
            con.execute("UPDATE imports SET status = 'deleted' WHERE import_id = ?", [import_id])
            self._event(con, "deleted", import_id, period, file_name)
        return f"Deleted import {import_id} ({file_name}); {period} now has no data. Restorable."

    # -------------------------------------------------------------- scheme versions and scenarios

    def scheme_versions(self, scheme_id: str) -> pd.DataFrame:
        """The kept versions of a scheme (version, created_at, note), newest first."""
        with self._connect() as con:
            return con.execute(
                "SELECT version, created_at, note FROM scheme_versions WHERE scheme_id = ? "
                "ORDER BY version DESC",
                [scheme_id],
            ).df()

    def scheme_version_text(self, scheme_id: str, version: int) -> str | None:
        """The TOML text of one kept version of a scheme, or None."""
        with self._connect() as con:
            found = con.execute(
                "SELECT toml FROM scheme_versions WHERE scheme_id = ? AND version = ?",
                [scheme_id, int(version)],
            ).fetchall()
        return found[0][0] if found else None

    def add_scheme_version(
        self,
        scheme_id: str,
        version: int,
        toml: str,
        note: str,
        baseline: tuple[int, str] | None = None,
    ) -> int:
        """Keep a new version of a scheme, numbered above every kept one; `baseline` (the version
        it replaces, as number and text) is kept first when the store does not hold it yet."""
        with self._transaction() as con:
            newest = con.execute(
                "SELECT max(version) FROM scheme_versions WHERE scheme_id = ?", [scheme_id]
            ).fetchall()[0][0]
            if newest is not None and version <= newest:
                raise StoreError(
                    f"Scheme {scheme_id} already has version {newest}, so this cannot become "
                    f"version {version}. Someone adopted a version meanwhile; reload and retry."
                )
            if baseline is not None:
                con.execute(
                    "INSERT INTO scheme_versions VALUES (?, ?, ?, now()::TIMESTAMP, ?) "
                    "ON CONFLICT DO NOTHING",
                    [scheme_id, int(baseline[0]), baseline[1], "scheme file"],
                )
            con.execute(
                "INSERT INTO scheme_versions VALUES (?, ?, ?, now()::TIMESTAMP, ?)",
                [scheme_id, int(version), toml, note],
            )
            self._event(con, "scheme_version", None, None, f"{scheme_id} v{version}: {note}")
        return version

    def scenarios(self, scheme_id: str) -> pd.DataFrame:
        """The saved what-if scenarios of a scheme (name, base_version, saved_at), newest first."""
        with self._connect() as con:
            return con.execute(
                "SELECT name, base_version, saved_at FROM scenarios WHERE scheme_id = ? "
                "ORDER BY saved_at DESC, name",
                [scheme_id],
            ).df()

    def scenario(self, scheme_id: str, name: str) -> dict | None:
        """One saved scenario: its scheme as TOML text, its settings, base version and time."""
        with self._connect() as con:
            found = con.execute(
                "SELECT toml, settings, base_version, saved_at FROM scenarios "
                "WHERE scheme_id = ? AND name = ?",
                [scheme_id, name],
            ).fetchall()
        if not found:
            return None
        toml, settings, base_version, saved_at = found[0]
        return {
            "name": name,
            "toml": toml,
            "settings": json.loads(settings),
            "base_version": base_version,
            "saved_at": saved_at,
        }

    def save_scenario(
        self, scheme_id: str, name: str, base_version: int, toml: str, settings: dict
    ) -> bool:
        """Keep a scenario under a name (a scenario of the same name is replaced); True if new."""
        with self._transaction() as con:
            existed = con.execute(
                "SELECT count(*) FROM scenarios WHERE scheme_id = ? AND name = ?",
                [scheme_id, name],
            ).fetchall()[0][0]
            con.execute(
                "INSERT INTO scenarios VALUES (?, ?, ?, ?, ?, now()::TIMESTAMP) "
                "ON CONFLICT (scheme_id, name) DO UPDATE SET base_version = excluded.base_version, "
                "toml = excluded.toml, settings = excluded.settings, saved_at = excluded.saved_at",
                [
                    scheme_id,
                    name,
                    int(base_version),
                    toml,
                    json.dumps(settings, ensure_ascii=False),
                ],
            )
            action = "scenario_replaced" if existed else "scenario_saved"
            self._event(con, action, None, None, f"{scheme_id}: {name}")
        return not existed

    def delete_scenario(self, scheme_id: str, name: str) -> None:
        """Forget a saved scenario."""
        with self._transaction() as con:
            con.execute("DELETE FROM scenarios WHERE scheme_id = ? AND name = ?", [scheme_id, name])
            self._event(con, "scenario_deleted", None, None, f"{scheme_id}: {name}")

    # -------------------------------------------------------------- closing a month

    def month_states(self, periods: list[str] | None = None) -> pd.DataFrame:
        """The recorded state of each month ("" department = the month as a whole) and of each
        department that moved on its own: period, department, state, changed_at, username."""
        return self._rows_of("month_states", "period, department", periods)

    def departments(self, period: str) -> list[str]:
        """The departments with data in a month, sorted."""
        with self._connect() as con:
            rows = con.execute(
                "SELECT DISTINCT coalesce(f.department, '') FROM facts f JOIN imports i "
                "USING (import_id) WHERE i.status = 'active' AND i.period = ? ORDER BY 1",
                [period],
            ).fetchall()
        return [r[0] for r in rows]

    def move_month(
        self,
        period: str,
        states: dict[str, str],
        action: str,
        detail: str,
        snapshot: tuple[str, str, pd.DataFrame] | None = None,
        closing: str = "",
        expected_version: int | None = None,
    ) -> None:
        """Record new states (department → state, "" for the whole month) and the move in the
        audit log, in one transaction; locking keeps `snapshot` (scheme id, scheme version label,
        the month's scored table), any other move forgets a kept snapshot of the month.
        `closing` (a decision text) closes the month's open appeals unanswered in the same
        transaction. With `expected_version` (the store version the snapshot was computed at)
        the move is refused when anything changed since, so a lock never freezes results an
        import racing with it has already replaced."""
        with self._transaction() as con:
            if expected_version is not None:
                now = con.execute("SELECT value FROM meta WHERE key = 'version'").fetchall()
                if int(now[0][0]) != expected_version:
                    raise StoreBusy(
                        f"{period}: 数据在锁定过程中发生了变化(例如刚刚有导入),未锁定;请重试 / "
                        "the store changed while the month was being locked (an import at the "
                        "same moment?). Nothing was changed; try again."
                    )
            if closing:
                self._close_open_appeals(con, period, closing)
            for department, state in states.items():
                con.execute(
                    "INSERT INTO month_states VALUES (?, ?, ?, now()::TIMESTAMP, ?) "
                    "ON CONFLICT (period, department) DO UPDATE SET state = excluded.state, "
                    "changed_at = excluded.changed_at, username = excluded.username",
                    [period, department, state, self.user],
                )
            con.execute("DELETE FROM month_snapshots WHERE period = ?", [period])
            if snapshot is not None:
                scheme_id, label, table = snapshot
                con.execute(
                    "INSERT INTO month_snapshots VALUES (?, ?, ?, now()::TIMESTAMP, ?, ?, ?)",
                    [period, scheme_id, label, self.user, len(table), _parquet(table)],
                )
            self._event(con, action, None, period, detail)

    def snapshots(self, periods: list[str]) -> dict[str, tuple[str, str, pd.DataFrame]]:
        """The kept results of locked months: period → (scheme id, scheme version, table)."""
        with self._connect() as con:
            rows = con.execute(
                "SELECT period, scheme_id, scheme_version, snapshot FROM month_snapshots "
                "WHERE period IN (SELECT unnest(?))",
                [list(periods)],
            ).fetchall()
        return {
            period: (scheme_id, label, pq.read_table(io.BytesIO(blob)).to_pandas())
            for period, scheme_id, label, blob in rows
        }

    def adjustments(self, periods: list[str] | None = None) -> pd.DataFrame:
        """The adjustments in force: period, employee_id, points, grade, reason, proposed_by,
        proposed_at, approved_by."""
        return self._rows_of("adjustments", "period, employee_id", periods)

    def save_adjustments(self, period: str, rows: pd.DataFrame, action: str, detail: str) -> int:
        """Keep checked adjustments of one month (employee_id, points, grade, reason,
        approved_by), each replacing the person's earlier one, in one transaction; refused for a
        locked month. Returns how many were kept."""
        with self._transaction() as con:
            _refuse_locked(con, period, "")
            staged = rows.reindex(
                columns=["employee_id", "points", "grade", "reason", "approved_by"]
            ).assign(period=period, proposed_by=self.user)
            # Each replaces the person's earlier one: delete, then insert at the store's clock.
            con.execute(
                "DELETE FROM adjustments WHERE period = ? AND employee_id IN (SELECT unnest(?))",
                [period, staged["employee_id"].astype(str).tolist()],
            )
            now = con.execute("SELECT now()::TIMESTAMP").fetchall()[0][0]
            con.insert("adjustments", staged.assign(proposed_at=pd.Timestamp(now)))
            self._event(con, action, None, period, detail)
        return len(rows)

    def withdraw_adjustment(self, period: str, employee_id: str, detail: str) -> bool:
        """Take back a person's adjustment of a month (refused when locked); True if there was
        one."""
        with self._transaction() as con:
            _refuse_locked(con, period, "")
            found = con.execute(
                "DELETE FROM adjustments WHERE period = ? AND employee_id = ? RETURNING 1",
                [period, employee_id],
            ).fetchall()
            if found:
                self._event(con, "adjustment_withdrawn", None, period, detail)
        return bool(found)

    def decide_adjustment(self, period: str, employee_id: str, approve: bool, detail: str) -> bool:
        """Approve (this store's user becomes approved_by) or reject (the proposal is removed) a
        person's adjustment still waiting for approval, audited in one transaction; refused when
        locked. True if there was one waiting."""
        with self._transaction() as con:
            _refuse_locked(con, period, "")
            if approve:
                sql = "UPDATE adjustments SET approved_by = ? WHERE period = ? AND employee_id = ?"
                params = [self.user, period, employee_id]
            else:
                sql = "DELETE FROM adjustments WHERE period = ? AND employee_id = ?"
                params = [period, employee_id]
            found = con.execute(f"{sql} AND approved_by IS NULL RETURNING 1", params).fetchall()
            if found:
                action = "adjustment_approved" if approve else "adjustment_rejected"
                self._event(con, action, None, period, detail)
        return bool(found)

    def _rows_of(self, table: str, order: str, periods: list[str] | None) -> pd.DataFrame:
        """A cycle table's rows of the months (all when None), in the given order."""
        where, params = "", []
        if periods is not None:
            where, params = "WHERE period IN (SELECT unnest(?))", [list(periods)]
        with self._connect() as con:
            return con.execute(f"SELECT * FROM {table} {where} ORDER BY {order}", params).df()

    # -------------------------------------------------------------- appeals and interviews

    def now(self) -> pd.Timestamp:
        """The store's clock (the one every recorded time comes from)."""
        with self._connect() as con:
            return pd.Timestamp(con.execute("SELECT now()::TIMESTAMP").fetchall()[0][0])

    def acknowledgements(self, periods: list[str] | None = None) -> pd.DataFrame:
        """The results people accepted (接受): period, employee_id, accepted_at, username."""
        return self._rows_of("acknowledgements", "period, employee_id", periods)

    def acknowledge(self, period: str, employee_id: str, detail: str) -> bool:
        """Record that a person accepts their result of a month (once); True if new."""
        with self._transaction() as con:
            _refuse_locked(con, period, "")
            found = con.execute(
                "INSERT INTO acknowledgements VALUES (?, ?, now()::TIMESTAMP, ?) "
                "ON CONFLICT DO NOTHING RETURNING 1",
                [period, employee_id, self.user],
            ).fetchall()
            if found:
                self._event(con, "result_accepted", None, period, detail)
        return bool(found)

    def appeals(self, periods: list[str] | None = None) -> pd.DataFrame:
        """Every appeal (申诉) with its state and decision, oldest first."""
        return self._rows_of("appeals", "appeal_id", periods)

    def file_appeal(
        self,
        period: str,
        employee_id: str,
        department: str,
        reason: str,
        kpis: str,
        believed: str,
        detail: str,
    ) -> int:
        """Keep a person's appeal of a month as 待处理 (pending), audited; its number."""
        with self._transaction() as con:
            _refuse_locked(con, period, "")
            appeal_id = con.execute("SELECT nextval('appeal_ids')").fetchall()[0][0]
            con.execute(
                "INSERT INTO appeals (appeal_id, period, employee_id, department, reason, kpis, "
                "believed, state, filed_by, filed_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?, now()::TIMESTAMP)",
                [appeal_id, period, employee_id, department, reason, kpis, believed, self.user],
            )
            self._event(con, "appeal_filed", None, period, f"#{appeal_id} {detail}")
        return int(appeal_id)

    def take_appeal(self, appeal_id: int, period: str, detail: str) -> bool:
        """Move a pending appeal into review (处理中) by this store's user; True if it was
        pending."""
        with self._transaction() as con:
            found = con.execute(
                "UPDATE appeals SET state = 'review', taken_by = ?, taken_at = now()::TIMESTAMP "
                "WHERE appeal_id = ? AND state = 'pending' RETURNING 1",
                [self.user, appeal_id],
            ).fetchall()
            if found:
                self._event(con, "appeal_in_review", None, period, f"#{appeal_id} {detail}")
        return bool(found)

    def decide_appeal(
        self,
        appeal_id: int,
        period: str,
        state: str,
        decision: str,
        detail: str,
        adjustment: pd.DataFrame | None = None,
        adjustment_detail: str = "",
    ) -> bool:
        """Close an open appeal as upheld or rejected with its decision; an upheld one keeps its
        adjustment (one row as save_adjustments takes it) in the same transaction, both audited.
        Refused for a locked month; True if the appeal was open."""
        with self._transaction() as con:
            _refuse_locked(con, period, "")
            points = grade = None
            if adjustment is not None and len(adjustment):
                points = adjustment["points"].iloc[0]
                points = None if pd.isna(points) else float(points)
                grade = adjustment["grade"].iloc[0]
                grade = None if pd.isna(grade) else str(grade)
            found = con.execute(
                "UPDATE appeals SET state = ?, decision = ?, decided_by = ?, "
                "decided_at = now()::TIMESTAMP, points = ?, grade = ?, "
                "taken_by = coalesce(taken_by, ?), taken_at = coalesce(taken_at, now()::TIMESTAMP) "
                "WHERE appeal_id = ? AND state IN ('pending', 'review') RETURNING 1",
                [state, decision, self.user, points, grade, self.user, appeal_id],
            ).fetchall()
            if not found:
                return False
            self._event(con, f"appeal_{state}", None, period, f"#{appeal_id} {detail}")
            if adjustment is not None and len(adjustment):
                row = adjustment.iloc[0]
                approved = None if pd.isna(row["approved_by"]) else str(row["approved_by"])
                # It replaces the person's earlier adjustment (its reason cites that one).
                con.execute(
                    "DELETE FROM adjustments WHERE period = ? AND employee_id = ?",
                    [period, row["employee_id"]],
                )
                con.execute(
                    "INSERT INTO adjustments (period, employee_id, points, grade, reason, "
                    "proposed_by, proposed_at, approved_by) "
                    "VALUES (?, ?, ?, ?, ?, ?, now()::TIMESTAMP, ?)",
                    [period, row["employee_id"], points, grade, row["reason"], self.user, approved],
                )
                self._event(con, "adjustment", None, period, adjustment_detail)
        return True

    def _close_open_appeals(self, con: duckdb.DuckDBPyConnection, period: str, text: str) -> None:
        """Close a month's open appeals unanswered (已关闭(未答复)), audited."""
        closed = con.execute(
            "UPDATE appeals SET state = 'closed', decision = ?, decided_by = ?, "
            "decided_at = now()::TIMESTAMP WHERE period = ? AND state IN ('pending', 'review') "
            "RETURNING appeal_id",
            [text, self.user, period],
        ).fetchall()
        if closed:
            numbers = ", ".join(f"#{r[0]}" for r in sorted(closed))
            self._event(con, "appeal_closed", None, period, f"{numbers}: {text}")

    def interviews(self, periods: list[str] | None = None) -> pd.DataFrame:
        """The interview records (绩效面谈) per person and month."""
        return self._rows_of("interviews", "period, employee_id", periods)

    def save_interview(
        self,
        period: str,
        employee_id: str,
        content: dict[str, str],
        confirm: bool,
        detail: str,
    ) -> None:
        """Keep the manager's side of an interview record (strengths, improve, plan, plan_kpis);
        `confirm` records the manager's confirmation. A changed record loses the employee's
        confirmation (they confirmed other words), audited."""
        fields = ["strengths", "improve", "plan", "plan_kpis"]
        values = [content[f] for f in fields]
        with self._transaction() as con:
            before = con.execute(
                "SELECT strengths, improve, plan, plan_kpis FROM interviews "
                "WHERE period = ? AND employee_id = ?",
                [period, employee_id],
            ).fetchall()
            if not before:
                con.execute(
                    "INSERT INTO interviews (period, employee_id, strengths, improve, plan, "
                    "plan_kpis, updated_by, updated_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, now()::TIMESTAMP)",
                    [period, employee_id, *values, self.user],
                )
            elif list(before[0]) != values:
                con.execute(
                    "UPDATE interviews SET strengths = ?, improve = ?, plan = ?, plan_kpis = ?, "
                    "updated_by = ?, updated_at = now()::TIMESTAMP, manager_confirmed_by = NULL, "
                    "manager_confirmed_at = NULL, employee_confirmed_by = NULL, "
                    "employee_confirmed_at = NULL WHERE period = ? AND employee_id = ?",
                    [*values, self.user, period, employee_id],
                )
            if confirm:
                con.execute(
                    "UPDATE interviews SET manager_confirmed_by = ?, "
                    "manager_confirmed_at = now()::TIMESTAMP WHERE period = ? AND employee_id = ?",
                    [self.user, period, employee_id],
                )
            self._event(con, "interview_saved", None, period, detail)

    def confirm_interview(self, period: str, employee_id: str, comment: str, detail: str) -> bool:
        """The employee's comment (受考核人意见陈述) and confirmation of their interview record,
        audited; True if there is a record."""
        with self._transaction() as con:
            found = con.execute(
                "UPDATE interviews SET employee_comment = ?, employee_confirmed_by = ?, "
                "employee_confirmed_at = now()::TIMESTAMP WHERE period = ? AND employee_id = ? "
                "RETURNING 1",
                [comment, self.user, period, employee_id],
            ).fetchall()
            if found:
                self._event(con, "interview_confirmed", None, period, detail)
        return bool(found)

    # -------------------------------------------------------------- targets

    def targets(self, periods: list[str] | None = None) -> pd.DataFrame:
        """The targets kept for the months (all when None): period, scope (person / team),
        employee_id, department, team, kpi, target, source, saved_at, saved_by."""
        where, params = "", []
        if periods is not None:
            marks = ", ".join("?" for _ in periods) or "NULL"
            where, params = f"WHERE period IN ({marks})", list(periods)
        with self._connect() as con:
            return con.execute(
                "SELECT period, scope, employee_id, department, team, kpi, target, source, "
                f"saved_at, saved_by FROM targets {where} "
                "ORDER BY period, scope, department, team, employee_id, kpi",
                params,
            ).df()

    def replace_targets(self, period: str, rows: pd.DataFrame, source: str) -> int:
        """Make `rows` (scope, employee_id, department, team, kpi, target) the month's targets,
        all of them or none, in one transaction with its audit entry; refused for a locked
        month. Returns how many were kept."""
        columns = ["scope", "employee_id", "department", "team", "kpi", "target"]
        kept = rows[columns].assign(target=rows["target"].astype(float)).astype(object)
        values = [[period, *row, source, self.user] for row in kept.to_numpy().tolist()]
        with self._transaction() as con:
            _refuse_locked(con, period, "")
            con.execute("DELETE FROM targets WHERE period = ?", [period])
            if values:
                con.executemany(
                    "INSERT INTO targets (period, scope, employee_id, department, team, kpi, "
                    "target, source, saved_at, saved_by) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, CAST(CURRENT_TIMESTAMP AS TIMESTAMP), ?)",
                    values,
                )
            detail = f"{source}: {len(values)} targets"
            self._event(con, "targets_saved", None, period, detail)
        return len(values)

    # -------------------------------------------------------------- scored months kept

    def kept_scores(
        self,
        scheme_id: str,
        scheme_digest: str,
        inputs: dict[str, str],
        columns: list[str] | None = None,
    ) -> dict[str, pd.DataFrame]:
        """The kept scored rows of the months (period → its inputs key) that are still valid: kept
        under this scheme digest, from the month's active import, with the same inputs; only
        `columns` (those kept, in the kept order) when given."""
        if not inputs:
            return {}
        with self._connect() as con:
            rows = con.execute(
                "SELECT s.period, s.inputs, s.scored FROM scored_months s JOIN imports i "
                "ON i.import_id = s.import_id AND i.status = 'active' AND i.period = s.period "
                "WHERE s.scheme_id = ? AND s.scheme_digest = ? AND s.period IN (SELECT unnest(?))",
                [scheme_id, scheme_digest, list(inputs)],
            ).fetchall()
        return {
            period: _from_parquet(blob, columns)
            for period, kept_inputs, blob in rows
            if inputs[period] == kept_inputs
        }

    def keep_scores(
        self,
        scheme_id: str,
        scheme_digest: str,
        scheme_version: int,
        months: dict[str, tuple[int, str, pd.DataFrame]],
    ) -> None:
        """Keep months' scored rows (period → import id scored from, inputs key, rows), each
        replacing what was kept for the month under this scheme digest. Neither audited nor a
        new store version: kept rows are what reading would compute (a cache in the store), no
        result changes, and a page view must not write to the audit log."""
        if not months:
            return
        with self._transaction() as con:
            for period, (import_id, inputs, table) in months.items():
                con.execute(
                    "DELETE FROM scored_months WHERE period = ? AND scheme_id = ? "
                    "AND scheme_digest = ?",
                    [period, scheme_id, scheme_digest],
                )
                con.execute(
                    "INSERT INTO scored_months VALUES (?, ?, ?, ?, ?, ?, now()::TIMESTAMP, ?, ?)",
                    [
                        period,
                        scheme_id,
                        scheme_digest,
                        int(scheme_version),
                        int(import_id),
                        inputs,
                        len(table),
                        _parquet(table),
                    ],
                )
                _keep_rows(con, period, scheme_id, scheme_digest, table)

    def kept_months(self) -> pd.DataFrame:
        """What is kept: period, scheme_id, scheme_digest, scheme_version, import_id, inputs,
        scored_at, row_count, oldest month first."""
        with self._connect() as con:
            return con.execute(
                "SELECT period, scheme_id, scheme_digest, scheme_version, import_id, inputs, "
                "scored_at, row_count FROM scored_months ORDER BY period, scheme_id, scored_at"
            ).df()

    @contextmanager
    def held(self) -> Iterator[None]:
        """Keep the file open for a short block of work (one page run): every operation inside
        still takes its own connection, but to the database already open in this process (3 ms
        instead of 20 ms of CPU and 140 ms of waiting on a busy machine). Other processes wait
        for the block to end, as for any single operation."""
        with self._connect():
            yield

    def fact_columns(self) -> list[str]:
        """The name of every stored value column: the facts table's and the extra columns'."""
        with self._connect() as con:
            stored = [r[0] for r in con.execute("SELECT * FROM facts LIMIT 0").description]
            extra = con.execute('SELECT DISTINCT "column" FROM extras ORDER BY 1').fetchall()
        return [*stored, *(r[0] for r in extra if r[0] not in stored)]

    # -------------------------------------------------------------- sign-in, shared by processes

    def sign_in_attempt(self, username: str, cap_seconds: float = 60.0) -> float:
        """Claim a sign-in try for a user name in every dashboard process at once: 0 = check the
        password now (the try counts as a failure until sign_in_succeeded), else the seconds to
        wait (after each wrong password the wait doubles, up to `cap_seconds`)."""
        with self._transaction() as con:
            found = con.execute(
                "SELECT failures, last_failed, now()::TIMESTAMP FROM sign_in_failures "
                "WHERE username = ?",
                [username],
            ).fetchall()
            if found:
                count, last, now = found[0]
                delay = min(2.0 ** (int(count) - 1), cap_seconds)
                wait = (pd.Timestamp(last) - pd.Timestamp(now)).total_seconds() + delay
                if wait > 0:
                    return wait
            con.execute(
                "INSERT INTO sign_in_failures VALUES (?, 1, now()::TIMESTAMP) "
                "ON CONFLICT (username) DO UPDATE SET failures = sign_in_failures.failures + 1, "
                "last_failed = excluded.last_failed",
                [username],
            )
        return 0.0

    def sign_in_succeeded(self, username: str) -> None:
        """Forget a user name's wrong passwords once it signed in."""
        with self._transaction() as con:
            con.execute("DELETE FROM sign_in_failures WHERE username = ?", [username])

    # -------------------------------------------------------------- aggregates of kept rows

    def kept_periods(self, scheme_id: str, scheme_digest: str, inputs: dict[str, str]) -> list[str]:
        """The months (period → inputs key) whose kept scored rows are still valid and held in
        columns (see kept_scores), without reading the rows."""
        if not inputs:
            return []
        with self._connect() as con:
            rows = con.execute(
                "SELECT s.period, s.inputs FROM scored_months s JOIN imports i "
                "ON i.import_id = s.import_id AND i.status = 'active' AND i.period = s.period "
                "JOIN scored_row_sets r ON r.period = s.period AND r.scheme_id = s.scheme_id "
                "AND r.scheme_digest = s.scheme_digest "
                "WHERE s.scheme_id = ? AND s.scheme_digest = ? AND s.period IN (SELECT unnest(?))",
                [scheme_id, scheme_digest, list(inputs)],
            ).fetchall()
        return sorted(period for period, kept in rows if inputs[period] == kept)

    def snapshot_keys(self, periods: list[str]) -> dict[str, tuple[str, str]]:
        """Locked months among `periods`: period → (scheme id, the key of its rows in columns),
        without reading the snapshots."""
        with self._connect() as con:
            rows = con.execute(
                "SELECT period, scheme_id, locked_at FROM month_snapshots "
                "WHERE period IN (SELECT unnest(?))",
                [list(periods)],
            ).fetchall()
        return {p: (scheme_id, f"snapshot {pd.Timestamp(at)}") for p, scheme_id, at in rows}

    def keep_snapshot_rows(self, scheme_id: str, keys: dict[str, str]) -> None:
        """Put locked months' snapshots (period → key from snapshot_keys) into columns once, so
        aggregates read them like kept months. Not audited: a copy of what is kept."""
        with self._connect() as con:
            held = con.execute(
                "SELECT period, scheme_digest FROM scored_row_sets WHERE scheme_id = ? "
                "AND period IN (SELECT unnest(?))",
                [scheme_id, list(keys)],
            ).fetchall()
        missing = sorted(set(keys.items()) - set(held))
        if not missing:
            return
        tables = self.snapshots([p for p, _ in missing])
        with self._transaction() as con:
            for period, key in missing:
                con.execute(
                    "DELETE FROM scored_rows WHERE period = ? AND scheme_id = ? "
                    "AND scheme_digest LIKE 'snapshot %'",
                    [period, scheme_id],
                )
                con.execute(
                    "DELETE FROM scored_row_sets WHERE period = ? AND scheme_id = ? "
                    "AND scheme_digest LIKE 'snapshot %'",
                    [period, scheme_id],
                )
                _keep_rows(con, period, scheme_id, key, tables[period][2])

    def keep_columns(self, scheme_id: str, months: dict[str, tuple[str, pd.DataFrame]]) -> None:
        """Put months' kept scored rows (period → key, rows) into columns where they are not
        yet. Not audited: a copy of what is kept."""
        with self._connect() as con:
            held = con.execute(
                "SELECT period, scheme_digest FROM scored_row_sets WHERE scheme_id = ? "
                "AND period IN (SELECT unnest(?))",
                [scheme_id, list(months)],
            ).fetchall()
        wanted = {m: v for m, v in months.items() if (m, v[0]) not in set(held)}
        if not wanted:
            return
        with self._transaction() as con:
            for period, (key, table) in wanted.items():
                _keep_rows(con, period, scheme_id, key, table)

    def department_means(
        self,
        scheme_id: str,
        keys: list[tuple[str, str]],
        departments: tuple[str, ...] | None = None,
        teams: tuple[str, ...] = (),
        roles: tuple[str, ...] = (),
    ) -> pd.DataFrame:
        """Per month and department of the kept rows (keys: month, digest): mean total and
        headcount of the people with a total; `departments` None means every department."""
        where, params = _row_filter(keys, scheme_id, departments, teams, roles)
        with self._connect() as con:
            return con.execute(
                "SELECT r.period, r.department, avg(r.total) AS mean_total, "
                f"count(*) AS headcount FROM scored_rows r {where} "
                "AND r.total IS NOT NULL AND r.department IS NOT NULL "
                "GROUP BY r.period, r.department ORDER BY r.period, r.department",
                params,
            ).df()

    def grade_counts(
        self,
        scheme_id: str,
        keys: list[tuple[str, str]],
        departments: tuple[str, ...] | None = None,
        teams: tuple[str, ...] = (),
        roles: tuple[str, ...] = (),
    ) -> pd.DataFrame:
        """Per month and grade of the kept rows: how many people (filters as department_means)."""
        where, params = _row_filter(keys, scheme_id, departments, teams, roles)
        with self._connect() as con:
            return con.execute(
                "SELECT r.period, r.grade, count(*) AS headcount "
                f"FROM scored_rows r {where} AND r.grade IS NOT NULL "
                "GROUP BY r.period, r.grade ORDER BY r.period, r.grade",
                params,
            ).df()

    def kept_rows(
        self,
        scheme_id: str,
        keys: list[tuple[str, str]],
        employee_ids: tuple[str, ...] | None = None,
        departments: tuple[str, ...] | None = None,
        teams: tuple[str, ...] = (),
        roles: tuple[str, ...] = (),
    ) -> pd.DataFrame:
        """The kept rows in columns (period, employee_id, name, department, team, role, total,
        grade, grade_en, rank, dept_rank, bonus, missing_count, team_rank) of some people (None:
        all), oldest month first."""
        where, params = _row_filter(keys, scheme_id, departments, teams, roles)
        people = ""
        if employee_ids is not None:
            people = f"AND r.employee_id IN ({', '.join('?' for _ in employee_ids) or 'NULL'})"
            params = [*params, *employee_ids]
        with self._connect() as con:
            return con.execute(
                f"SELECT r.period, {', '.join('r.' + c for c in ROW_COLUMNS)} "
                f"FROM scored_rows r {where} {people} ORDER BY r.period, r.employee_id",
                params,
            ).df()

    # -------------------------------------------------------------- accounts and sign-in sessions

    def account_records(self) -> tuple[dict[str, dict], float | None]:
        """The sign-in accounts kept in the store, as the accounts file holds them (user name →
        role, departments, password_hash, employee_id, must_change_password), and the session
        timeout in minutes when one was set (None: the default)."""
        with self._connect() as con:
            rows = con.execute(
                "SELECT username, role, departments, employee_id, password_hash, must_change "
                "FROM accounts ORDER BY username"
            ).fetchall()
            timeout = con.execute("SELECT value FROM meta WHERE key = 'session_seconds'").fetchall()
        users = {}
        for username, role, departments, employee_id, password_hash, must_change in rows:
            record = {"role": role, "departments": json.loads(departments)}
            record["password_hash"] = password_hash
            if employee_id:
                record["employee_id"] = employee_id
            if must_change:
                record["must_change_password"] = True
            users[username] = record
        return users, (int(timeout[0][0]) / 60 if timeout else None)

    def change_accounts(
        self, changes: dict[str, dict | None], detail: str, session_minutes: float | None = None
    ) -> None:
        """Add or change (a record) and remove (None) accounts in one transaction, audited; the
        open sessions of a removed account, or of one whose role, departments or employee id
        changed, end with it in every process. Not a new store version: no result changes."""
        with self._transaction() as con:
            for username, record in changes.items():
                before = con.execute(
                    "SELECT role, departments, employee_id FROM accounts WHERE username = ?",
                    [username],
                ).fetchall()
                if record is None:
                    con.execute("DELETE FROM accounts WHERE username = ?", [username])
                    ended = "account removed" if before else None
                else:
                    scope = [
                        record["role"],
                        json.dumps(list(record.get("departments", [])), ensure_ascii=False),
                        record.get("employee_id") or None,
                    ]
                    con.execute(
                        "INSERT INTO accounts VALUES (?, ?, ?, ?, ?, ?, now()::TIMESTAMP, ?) "
                        "ON CONFLICT (username) DO UPDATE SET role = excluded.role, "
                        "departments = excluded.departments, employee_id = excluded.employee_id, "
                        "password_hash = excluded.password_hash, "
                        "must_change = excluded.must_change, changed_at = excluded.changed_at, "
                        "changed_by = excluded.changed_by",
                        [
                            username,
                            *scope,
                            record["password_hash"],
                            bool(record.get("must_change_password", False)),
                            self.user,
                        ],
                    )
                    ended = "account changed" if before and list(before[0]) != scope else None
                if ended:
                    con.execute(
                        "UPDATE sign_in_sessions SET ended_at = now()::TIMESTAMP, reason = ? "
                        "WHERE username = ? AND ended_at IS NULL",
                        [ended, username],
                    )
            if session_minutes is not None:
                con.execute(
                    "INSERT INTO meta VALUES ('session_seconds', ?) "
                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    [round(session_minutes * 60)],
                )
            self._note(con, "accounts_changed", detail)

    def _note(self, con: backends.DuckConnection, action: str, detail: str) -> None:
        """An audit entry for a change that is not a new store version (accounts, sessions)."""
        con.execute(
            "INSERT INTO events (happened_at, action, detail, username) "
            "VALUES (now()::TIMESTAMP, ?, ?, ?)",
            [action, detail, self.user],
        )

    def start_session(self, username: str, stamp: str, detail: str) -> str:
        """Open a sign-in session for a user whose account has this stamp, audited as their
        sign-in; returns its token (random, kept in the signed-in browser session only)."""
        token = secrets.token_urlsafe(24)
        with self._transaction() as con:
            con.execute(
                "INSERT INTO sign_in_sessions (token, username, stamp, started_at, last_seen) "
                "VALUES (?, ?, ?, now()::TIMESTAMP, now()::TIMESTAMP)",
                [token, username, stamp],
            )
            self._note(con, "sign_in", detail)
        return token

    def session_seen(
        self, token: str, timeout_seconds: float, touch_after: float = 60.0, touch: bool = True
    ) -> dict | None:
        """A sign-in session as the store has it (username, stamp, ended_at, reason, idle
        seconds), None if there is none. Idle longer than the timeout, it ends ('timed out',
        audited). Otherwise its last-seen time moves to now when older than `touch_after`: a
        write about once a minute per session, not on every page run, and not audited (a page
        view); a busy store skips it until the next run."""
        with self._connect() as con:
            found = con.execute(
                "SELECT username, stamp, ended_at, reason, last_seen, now()::TIMESTAMP "
                "FROM sign_in_sessions WHERE token = ?",
                [token],
            ).fetchall()
        if not found:
            return None
        username, stamp, ended_at, reason, last_seen, now = found[0]
        idle = (pd.Timestamp(now) - pd.Timestamp(last_seen)).total_seconds()
        seen = {"username": username, "stamp": stamp, "ended_at": ended_at, "reason": reason}
        seen["idle_seconds"] = idle
        if ended_at is None and idle > timeout_seconds:
            self.as_user(username).end_sessions("signed_out", "timed out", token=token)
            return {**seen, "ended_at": now, "reason": "timed out"}
        if touch and ended_at is None and idle >= touch_after:
            with suppress(StoreBusy), self._transaction() as con:
                con.execute(
                    "UPDATE sign_in_sessions SET last_seen = now()::TIMESTAMP "
                    "WHERE token = ? AND ended_at IS NULL",
                    [token],
                )
        return seen

    def end_sessions(
        self, action: str, reason: str, token: str | None = None, username: str | None = None
    ) -> int:
        """End one open session (its token) or every open session of a user, with the reason,
        audited as `action`; returns how many ended. Each process sees it at its next run."""
        where, key = ("token = ?", token) if token is not None else ("username = ?", username)
        with self._transaction() as con:
            ended = con.execute(
                "UPDATE sign_in_sessions SET ended_at = now()::TIMESTAMP, reason = ? "
                f"WHERE {where} AND ended_at IS NULL RETURNING username",
                [reason, key],
            ).fetchall()
            named = f"{username}: " if username is not None else ""
            self._note(con, action, f"{named}{reason} ({len(ended)} session(s))")
        return len(ended)

    def sign_in_sessions(self, timeout_seconds: float | None = None) -> pd.DataFrame:
        """The open sign-in sessions, oldest first: session (the token's first 8 characters),
        username, started_at, last_seen, idle_seconds; with a timeout, only those idle for less
        (a session past it has ended, even if no page run has said so yet)."""
        with self._connect() as con:
            table = con.execute(
                "SELECT substr(token, 1, 8) AS session, username, started_at, last_seen, "
                "now()::TIMESTAMP AS now FROM sign_in_sessions WHERE ended_at IS NULL "
                "ORDER BY started_at, username"
            ).df()
        idle = (table["now"] - table["last_seen"]).dt.total_seconds()
        table = table.drop(columns="now").assign(idle_seconds=idle)
        if timeout_seconds is not None:
            table = table[table["idle_seconds"].le(timeout_seconds)].reset_index(drop=True)
        return table

    def shared_secret(self, name: str, make: Callable[[], str]) -> str:
        """The secret kept under `name`, made with `make` by the first process that asks (a
        second one asking at the same moment gets the first one's)."""
        with self._transaction() as con:
            con.execute(
                "INSERT INTO shared_secrets VALUES (?, ?, now()::TIMESTAMP) ON CONFLICT DO NOTHING",
                [name, make()],
            )
            return con.execute(
                "SELECT value FROM shared_secrets WHERE name = ?", [name]
            ).fetchall()[0][0]

    def kept_totals(
        self,
        scheme_id: str,
        keys: list[tuple[str, str]],
        departments: tuple[str, ...] | None = None,
        teams: tuple[str, ...] = (),
        roles: tuple[str, ...] = (),
    ) -> pd.DataFrame:
        """The kept rows' totals (period, total; filters as department_means), in the order
        monthly rows have them (month, then employee id): a trend's rows without the rest."""
        where, params = _row_filter(keys, scheme_id, departments, teams, roles)
        with self._connect() as con:
            return con.execute(
                f"SELECT r.period, r.total FROM scored_rows r {where} "
                "ORDER BY r.period, r.employee_id",
                params,
            ).df()

    def kept_tables(
        self,
        scheme_id: str,
        keys: list[tuple[str, str]],
        columns: list[str] | None = None,
        employee_id: str | None = None,
    ) -> pd.DataFrame:
        """The kept scored rows of the months (keys: month, digest, as kept_keys gives them; a
        locked month's "snapshot …" key reads its snapshot), oldest month first: only `columns`
        (those a month holds; None: all) and, with `employee_id`, only that person's rows. What
        a statistic across months or one person's months reads, instead of every column of
        every row (each month's Parquet copy is decoded in Arrow and cut before pandas)."""
        blobs = self._kept_blobs(scheme_id, keys)
        parts = [_kept_part(blobs[p], columns, employee_id) for p in sorted(blobs)]
        if not parts:
            return pd.DataFrame(columns=list(columns or []))
        if columns is not None:  # many rows: joined in Arrow, one conversion (half the time)
            with suppress(pa.ArrowInvalid, pa.ArrowTypeError):
                return pa.concat_tables(parts, promote_options="permissive").to_pandas()
        return pd.concat([part.to_pandas() for part in parts], ignore_index=True)

    def kept_month_tables(
        self, scheme_id: str, keys: list[tuple[str, str]], columns: list[str]
    ) -> dict[str, pa.Table]:
        """Each month's kept scored rows (keys as for kept_tables: month, digest or a locked
        month's "snapshot …" key) as Arrow, month → table of the `columns` it holds in its kept
        order, left in Arrow for the caller to join. Decoded on this thread, from the bytes in
        place: a month's copy is small and threads cost more than they save (0.84 → 0.38 s of
        CPU for 120 months of 8,334 people)."""
        blobs = self._kept_blobs(scheme_id, keys)
        wanted = set(columns)
        tables = {}
        for period, blob in blobs.items():
            file = pq.ParquetFile(pa.BufferReader(blob))
            held = [c for c in file.schema_arrow.names if c in wanted]
            tables[period] = file.read(columns=held, use_threads=False)
        return tables

    def _kept_blobs(self, scheme_id: str, keys: list[tuple[str, str]]) -> dict[str, bytes]:
        """The Parquet copies of the kept months (keys: month, digest or a locked month's
        "snapshot …" key), month → bytes."""
        live = [(p, k) for p, k in keys if not k.startswith("snapshot ")]
        locked = [p for p, k in keys if k.startswith("snapshot ")]
        blobs: dict[str, bytes] = {}
        with self._connect() as con:
            if live:
                sets, params = _sets_in(live, scheme_id)
                blobs |= dict(
                    con.execute(
                        f"SELECT period, scored FROM scored_months WHERE {sets}", params
                    ).fetchall()
                )
            if locked:
                blobs |= dict(
                    con.execute(
                        "SELECT period, snapshot FROM month_snapshots WHERE scheme_id = ? "
                        "AND period IN (SELECT unnest(?))",
                        [scheme_id, locked],
                    ).fetchall()
                )
        return blobs

    def kept_sources(self, scheme_id: str, keys: list[tuple[str, str]]) -> dict[str, str]:
        """What each month's kept rows (keys: month, key, as kept_keys gives them) are kept from,
        as text that changes whenever the month is kept again (a kept month's import, inputs and
        time of scoring; a locked month's snapshot key); months with nothing kept left out."""
        found = {p: k for p, k in keys if k.startswith("snapshot ")}
        live = [(p, k) for p, k in keys if not k.startswith("snapshot ")]
        if live:
            with self._connect() as con:
                sets, params = _sets_in(live, scheme_id)
                rows = con.execute(
                    f"SELECT period, import_id, inputs, scored_at FROM scored_months WHERE {sets}",
                    params,
                ).fetchall()
            found |= {p: f"{i} {inputs} {pd.Timestamp(at)}" for p, i, inputs, at in rows}
        return found

    def series_sums(
        self,
        scheme_id: str,
        keys: list[tuple[str, str]],
        sources: dict[str, str],
        departments: tuple[str, ...] | None = None,
    ) -> tuple[pd.DataFrame, list[tuple[str, str]]]:
        """The kept control-chart sums (period, department, kpi, mean, hits, cases, with_cases)
        of the months whose sums were made from what they are kept from now (`sources`, from
        kept_sources), in the departments (None: all, rows without a department too); and the
        (month, key) sets that have none (to be made and kept with keep_series_sums)."""
        sets, params = _sets_in(keys, scheme_id)
        with self._connect() as con:
            held = con.execute(
                f"SELECT period, scheme_digest, source FROM series_sum_sets WHERE {sets}", params
            ).fetchall()
            made = {(p, k) for p, k, source in held if sources.get(p) == source}
            sets, wanted = _sets_in([key for key in keys if key in made], scheme_id)
            query = (
                "SELECT period, department, kpi, mean, hits, cases, with_cases FROM series_sums "
                f"WHERE {sets}"
            )
            if departments is not None:
                query += f" AND department IN ({', '.join('?' for _ in departments) or 'NULL'})"
                wanted.extend(departments)
            sums = backends.arrow_table(con.execute(query, wanted)).to_pandas()
        return sums, [key for key in keys if key not in made]

    def keep_series_sums(
        self, scheme_id: str, sets: dict[tuple[str, str], tuple[str, pd.DataFrame]]
    ) -> None:
        """Keep months' control-chart sums ((month, key) → the source they were made from, the
        rows as series_sums gives them), each replacing what was kept for the set. Not audited:
        a copy of what the kept rows say (as keep_columns)."""
        with self._transaction() as con:
            for (period, key), (source, sums) in sets.items():
                for name in ("series_sums", "series_sum_sets"):
                    con.execute(
                        f"DELETE FROM {name} WHERE period = ? AND scheme_id = ? "
                        "AND scheme_digest = ?",
                        [period, scheme_id, key],
                    )
                rows = pd.DataFrame(
                    {
                        "period": period,
                        "scheme_id": scheme_id,
                        "scheme_digest": key,
                        "department": sums["department"]
                        .astype(object)
                        .where(sums["department"].notna(), None),
                        "kpi": sums["kpi"].astype(object),
                        **{c: sums[c].astype(float) for c in ("mean", "hits", "cases")},
                        "with_cases": sums["with_cases"].astype("int64"),
                    }
                ).astype(
                    {
                        c: "string"
                        for c in ("period", "scheme_id", "scheme_digest", "department", "kpi")
                    }
                )
                if len(rows):
                    con.insert("series_sums", rows)
                con.execute(
                    "INSERT INTO series_sum_sets VALUES (?, ?, ?, ?)",
                    [period, scheme_id, key, source],
                )


def _refuse_locked(con: duckdb.DuckDBPyConnection, period: str, prefix: str) -> None:
    """Stop a change to a locked month's data or results, saying how to unlock it."""
    found = con.execute(
        "SELECT 1 FROM month_states WHERE period = ? AND department = '' AND state = 'locked'",
        [period],
    ).fetchall()
    if found:
        raise MonthLocked(
            f"{prefix}{period} 已锁定,结果不再改变;如需修改请先解锁并说明理由 / {period} is "
            "locked: its results are final. Unlock it with a reason first "
            f"(python -m engine month unlock {period} --reason …)."
        )


# The columns of a kept scored row that aggregates and a person's months read.
ROW_COLUMNS = (
    "employee_id",
    "name",
    "department",
    "team",
    "role",
    "total",
    "grade",
    "grade_en",
    "rank",
    "dept_rank",
    "bonus",
    "missing_count",
    "team_rank",
)


def _keep_rows(con, period: str, scheme_id: str, key: str, table: pd.DataFrame) -> None:
    """A month's scored rows into columns under (scheme, key), replacing what was there."""
    for name in ("scored_rows", "scored_row_sets"):
        con.execute(
            f"DELETE FROM {name} WHERE period = ? AND scheme_id = ? AND scheme_digest = ?",
            [period, scheme_id, key],
        )
    rows = table.reindex(columns=list(ROW_COLUMNS))
    texts = ["employee_id", "name", "department", "team", "role", "grade", "grade_en"]
    numbers = ["rank", "dept_rank", "team_rank", "missing_count"]
    rows = rows.assign(
        **{c: rows[c].astype(object).where(rows[c].notna(), None).astype("string") for c in texts},
        **{c: pd.to_numeric(rows[c], errors="coerce").astype("Int64") for c in numbers},
        total=pd.to_numeric(rows["total"], errors="coerce").astype(float),
        bonus=pd.to_numeric(rows["bonus"], errors="coerce").astype(float),
    )
    rows.insert(0, "scheme_digest", key)
    rows.insert(0, "scheme_id", scheme_id)
    rows.insert(0, "period", period)
    if len(rows):
        con.insert("scored_rows", rows)
    con.execute(
        "INSERT INTO scored_row_sets VALUES (?, ?, ?, ?)", [period, scheme_id, key, len(rows)]
    )


def _sets_in(keys: list[tuple[str, str]], scheme_id: str, prefix: str = "") -> tuple[str, list]:
    """The condition keeping the rows of some (month, digest) sets of a scheme (columns named
    with `prefix`, such as "r."), and its parameters; standard SQL."""
    pairs = keys or [("", "")]  # VALUES needs a row: one that matches nothing
    values = ", ".join("(?, ?)" for _ in pairs)
    condition = (
        f"({prefix}period, {prefix}scheme_digest) IN (VALUES {values}) AND {prefix}scheme_id = ?"
    )
    return condition, [*(v for pair in pairs for v in pair), scheme_id]


def _row_filter(
    keys: list[tuple[str, str]],
    scheme_id: str,
    departments: tuple[str, ...] | None,
    teams: tuple[str, ...],
    roles: tuple[str, ...],
) -> tuple[str, list]:
    """The WHERE clause keeping the (month, digest) sets to read and the chosen departments
    (None: all), teams and roles (empty: all), and its parameters; standard SQL. The sets are a
    semi-join (IN), not a JOIN with a VALUES list: PostgreSQL then expects every row of the
    months, not a few thousand, and groups them in a hash table instead of sorting ten million
    rows on disk (department means over 120 months: 15–25 s before)."""
    sets, params = _sets_in(keys, scheme_id, "r.")
    body = f"WHERE {sets}"
    for column, chosen in (("department", departments), ("team", teams), ("role", roles)):
        if chosen is None or (column != "department" and not chosen):
            continue
        body += f" AND r.{column} IN ({', '.join('?' for _ in chosen) or 'NULL'})"
        params.extend(chosen)
    return body, params


def _kept_part(blob: bytes, columns: list[str] | None, employee_id: str | None) -> pa.Table:
    """One month's kept rows from their Parquet copy: the columns it holds of those wanted, one
    person's rows only when an employee id is given (compared as text, as scoping does)."""
    file = pq.ParquetFile(io.BytesIO(blob))
    held = file.schema_arrow.names
    wanted = None if columns is None else [c for c in columns if c in held]
    if employee_id is not None and wanted is not None and "employee_id" not in wanted:
        wanted.append("employee_id")
    table = file.read(columns=wanted)
    if employee_id is not None:
        ids = pc.cast(table["employee_id"], pa.string())
        table = table.filter(pc.fill_null(pc.equal(ids, str(employee_id)), False))
    return table


def _parquet(table: pd.DataFrame) -> bytes:
    """A table as Parquet bytes: every column's type (categories, nullable integers) comes back
    as it was."""
    sink = io.BytesIO()
    pq.write_table(pa.Table.from_pandas(table, preserve_index=False), sink)
    return sink.getvalue()


def _from_parquet(blob: bytes, columns: list[str] | None = None) -> pd.DataFrame:
    """Parquet bytes as a table, only `columns` when given (the others are not even decoded:
    the rules read a dozen of a month's fifty-odd columns)."""
    if columns is None:
        return pq.read_table(io.BytesIO(blob)).to_pandas()
    kept = pq.ParquetFile(io.BytesIO(blob))
    wanted = set(columns)
    return kept.read(columns=[c for c in kept.schema_arrow.names if c in wanted]).to_pandas()


def _quoted(name: str) -> str:
    """A column name from a file as an SQL identifier, quotes doubled (standard SQL)."""
    return '"' + name.replace('"', '""') + '"'


def schema_version(con: backends.DuckConnection) -> int:
    """The schema version a store records (0: made before versions were kept, or new)."""
    has_meta = con.execute(
        "SELECT count(*) FROM information_schema.tables "
        "WHERE table_schema = current_schema() AND table_name = 'meta'"
    ).fetchall()[0][0]
    if not has_meta:
        return 0
    found = con.execute("SELECT value FROM meta WHERE key = 'schema'").fetchall()
    return int(found[0][0]) if found else 0
