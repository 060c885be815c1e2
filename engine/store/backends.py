"""The store's two backends: a DuckDB file (the default) and a PostgreSQL database (a URL).

The Store's SQL is written once, in DuckDB's dialect where both agree (? placeholders, a list
bound to `unnest(?)`, ON CONFLICT, RETURNING, now()::TIMESTAMP); a connection here runs it on its
backend and hides the few differences: placeholders, DDL type names, bulk inserts, Arrow reads,
the writers' lock and what an error means.
"""

from __future__ import annotations

import atexit
import contextlib
import re
import threading
import warnings
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

from engine import paths

# Every writer of one PostgreSQL store takes this transaction-scoped advisory lock first, so two
# processes change the store one after the other, as DuckDB's file lock makes them do.
WRITER_LOCK_KEY = 0x41535345  # "ASSE"
# PostgreSQL's codes (SQLSTATE) for "someone else holds it / try again" and "cannot write here".
BUSY_STATES = {"55P03", "40001", "40P01", "53300", "57P03"}
READ_ONLY_STATES = {"25006"}
DISK_STATES = {"53100", "53200", "58030"}
# DuckDB's type names that PostgreSQL spells differently, for CREATE and ALTER statements.
DDL_TYPES = (
    (re.compile(r"\bDOUBLE\b(?! PRECISION)"), "DOUBLE PRECISION"),
    (re.compile(r"\bBLOB\b"), "BYTEA"),
)
PLACEHOLDER = re.compile(r"'[^']*'|\?")
_frames = threading.local()
# One writer at a time per DuckDB file within a process (sessions of one dashboard): the file lock
# keeps other processes out, this keeps a second thread from failing on a write-write conflict.
_duck_writers: dict[str, threading.Lock] = {}
_duck_writers_guard = threading.Lock()


def is_url(target: object) -> bool:
    """True when the store target names a PostgreSQL database rather than a DuckDB file."""
    return str(target).startswith(paths.DATABASE_URL_PREFIXES)


def as_pandas(table: pa.Table) -> pd.DataFrame:
    """An Arrow table as DuckDB's .df() gives it (dates as datetime64, nullable integers as
    Int64), so both backends hand the engine identical frames."""
    con = getattr(_frames, "con", None)
    if con is None:
        con = _frames.con = duckdb.connect()
    return con.from_arrow(table).df()


class DuckConnection:
    """A DuckDB connection with the store's few backend-specific operations."""

    kind = "duckdb"

    def __init__(self, raw: duckdb.DuckDBPyConnection, path: str = ""):
        self.raw = raw
        self.path = path
        self.held: threading.Lock | None = None

    def execute(self, sql: str, params: list | None = None) -> duckdb.DuckDBPyConnection:
        return self.raw.execute(sql, params or [])

    def insert(self, table: str, data: pd.DataFrame | pa.Table) -> None:
        """Append rows by column name (missing columns stay NULL)."""
        if isinstance(data, pd.DataFrame):
            data = pa.Table.from_pandas(data, preserve_index=False)
        # An Arrow table is scanned about a quarter faster than the DataFrame itself, and rows
        # written in any order (every read sorts) go in on every core: about twice as fast.
        self.raw.register("staging_rows", data)
        self.raw.execute("SET SESSION preserve_insertion_order = false")
        try:
            self.raw.execute(f"INSERT INTO {table} BY NAME SELECT * FROM staging_rows")
        finally:
            self.raw.execute("RESET SESSION preserve_insertion_order")
            self.raw.unregister("staging_rows")

    def lock_writers(self, wait: float) -> None:
        """Wait (at most `wait` seconds) until no other thread of this process writes to the
        file; DuckDB's file lock already keeps other processes out."""
        with _duck_writers_guard:
            lock = _duck_writers.setdefault(self.path, threading.Lock())
        if not lock.acquire(timeout=max(wait, 0.01)):
            raise duckdb.TransactionException(
                "another change to this store is still being written in this program"
            )
        self.held = lock

    def is_read_only(self) -> bool:
        return False

    def begin(self) -> None:
        self.raw.begin()

    def commit(self) -> None:
        self.raw.commit()

    def rollback(self) -> None:
        self.raw.rollback()

    def close(self) -> None:
        try:
            self.raw.close()
        finally:
            if self.held is not None:
                self.held.release()
                self.held = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self.raw, name)


class PgResult:
    """A statement's result on PostgreSQL, read as rows or as Arrow / pandas."""

    def __init__(self, cursor: Any):
        self.cursor = cursor

    def fetchall(self) -> list[tuple]:
        return self.cursor.fetchall()

    @property
    def description(self) -> list[tuple]:
        """The result's columns (name first), as DB-API gives them."""
        return self.cursor.description

    def arrow(self) -> pa.Table:
        return self.cursor.fetch_arrow_table()

    def df(self) -> pd.DataFrame:
        return as_pandas(self.arrow())


class PgConnection:
    """A PostgreSQL connection (ADBC: results come back as Arrow) in one open transaction."""

    kind = "postgresql"

    def __init__(self, raw: Any):
        self.raw = raw
        self.cursor = raw.cursor()

    @staticmethod
    def translate(sql: str) -> str:
        """DuckDB's dialect as PostgreSQL reads it: ? → $1, $2 …; DOUBLE and BLOB in DDL."""
        count = 0

        def number(match: re.Match) -> str:
            nonlocal count
            if match.group(0) != "?":
                return match.group(0)  # a string literal stays as written
            count += 1
            return f"${count}"

        sql = PLACEHOLDER.sub(number, sql)
        if sql.lstrip()[:6].upper() in ("CREATE", "ALTER "):
            for pattern, name in DDL_TYPES:
                sql = pattern.sub(name, sql)
        return sql

    def execute(self, sql: str, params: list | None = None) -> PgResult:
        self.cursor.execute(self.translate(sql), list(params) if params else None)
        return PgResult(self.cursor)

    def executemany(self, sql: str, rows: list[list]) -> None:
        """One statement for each of a few rows (targets, a page's edits); bulk rows go
        through insert()."""
        translated = self.translate(sql)
        for row in rows:
            self.cursor.execute(translated, list(row))

    def insert(self, table: str, data: pd.DataFrame | pa.Table) -> None:
        """Append rows by column name with one binary COPY, in the open transaction."""
        if isinstance(data, pd.DataFrame):
            data = pa.Table.from_pandas(data, preserve_index=False)
        # COPY in binary wants each column in the table's exact type: cast to it by name.
        self.cursor.execute(f"SELECT * FROM {table} WHERE false")
        target = self.cursor.fetch_arrow_table().schema
        fields = [target.field(name) for name in data.column_names]
        columns = [data.column(f.name).cast(f.type) for f in fields]
        cast = pa.Table.from_arrays(
            columns, schema=pa.schema([pa.field(f.name, f.type) for f in fields])
        )
        self.cursor.adbc_ingest(table, cast, mode="append")

    def lock_writers(self, wait: float) -> None:
        """Wait (at most `wait` seconds) until no other process writes to this store."""
        self.cursor.execute(f"SET LOCAL lock_timeout = '{int(wait * 1000)}ms'")
        self.cursor.execute("SELECT pg_advisory_xact_lock($1)", [WRITER_LOCK_KEY])
        self.cursor.fetchall()

    def is_read_only(self) -> bool:
        """A standby (replica) or a read-only role: reading works, writing is refused."""
        self.cursor.execute("SELECT current_setting('transaction_read_only')")
        return self.cursor.fetchall()[0][0] == "on"

    def begin(self) -> None:
        """A transaction is always open (ADBC without autocommit)."""

    def commit(self) -> None:
        self.raw.commit()

    def rollback(self) -> None:
        self.raw.rollback()

    def close(self) -> None:
        try:
            self.cursor.close()
        finally:
            self.raw.close()


def connect_postgres(url: str) -> PgConnection:
    """Open a PostgreSQL store (the URL may leave the password to PGPASSWORD or ~/.pgpass)."""
    import adbc_driver_postgresql.dbapi as adbc

    return PgConnection(adbc.connect(url))


# Connecting costs tens of milliseconds and a page run makes a dozen store calls: a process keeps
# a few idle connections per store and hands them out again (each call still gets its own
# transaction, so nothing is shared between sessions but the socket).
MAX_IDLE = 8
_idle: dict[str, list[PgConnection]] = {}
_idle_guard = threading.Lock()


def take_postgres(url: str) -> PgConnection:
    """An idle connection to the store that still answers, else a new one."""
    while True:
        with _idle_guard:
            con = _idle.get(url, []).pop() if _idle.get(url) else None
        if con is None:
            return connect_postgres(url)
        try:
            con.execute("SELECT 1").fetchall()  # (a restarted server dropped it)
            return con
        except Exception:
            discard(con)


def give_back(url: str, con: PgConnection) -> None:
    """End the connection's transaction and keep it for the next call (or close it)."""
    try:
        con.rollback()
    except Exception:
        discard(con)
        return
    with _idle_guard:
        idle = _idle.setdefault(url, [])
        if len(idle) < MAX_IDLE:
            idle.append(con)
            return
    discard(con)


def discard(con: PgConnection) -> None:
    with contextlib.suppress(Exception):  # (closing a dead connection may fail; it is gone)
        con.close()


def close_idle(url: str | None = None) -> None:
    """Close the kept connections (to one store, or to all): before the database is copied or
    dropped, which PostgreSQL refuses while anyone is connected."""
    with _idle_guard:
        urls = [url] if url is not None else list(_idle)
        dropped = [con for u in urls for con in _idle.pop(u, [])]
    for con in dropped:
        discard(con)


atexit.register(close_idle)  # closed in order, before the interpreter tears ADBC down


def sqlstate(exc: BaseException) -> str:
    """The SQLSTATE of a PostgreSQL error ("" for anything else)."""
    return str(getattr(exc, "sqlstate", "") or "")


def arrow_table(result: Any) -> pa.Table:
    """A statement's result as Arrow on either backend: many rows of text come to pandas as
    text columns five times faster than through .df() (Python objects, converted again)."""
    if isinstance(result, PgResult):
        return result.arrow()
    with warnings.catch_warnings():  # DuckDB warns of a copy: still the cheaper way
        warnings.simplefilter("ignore", UserWarning)
        return result.to_arrow_table()
