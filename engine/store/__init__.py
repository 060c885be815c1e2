"""The store: the one place that speaks SQL. Callers import from here, never from a backend."""

from engine.store.duckdb_store import (
    LOCK_WAIT_SECONDS,
    ROW_COLUMNS,
    SCHEMA_VERSION,
    ImportRefused,
    MonthLocked,
    Store,
    StoreBusy,
    StoreError,
    StoreReadOnly,
)

__all__ = [
    "LOCK_WAIT_SECONDS",
    "ROW_COLUMNS",
    "SCHEMA_VERSION",
    "ImportRefused",
    "MonthLocked",
    "Store",
    "StoreBusy",
    "StoreError",
    "StoreReadOnly",
]
