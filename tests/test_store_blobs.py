"""Kept months are read one at a time (issue 18 item 5): in a DuckDB store the Parquet copies of
kept scored months are stored uncompressed by DuckDB (they are compressed Parquet already), so
reading one month's copy does not first unpack every other month's. Compressed with ZSTD, one
month out of 120 kept took 1–2.5 s to read (every month's copy unpacked), uncompressed 0.02 s."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

from engine.store import Store


def scored_month(period: str, rows: int = 20_000) -> pd.DataFrame:
    rng = np.random.default_rng(int(period.replace("-", "")))
    return pd.DataFrame(
        {
            "employee_id": [f"E{i:06d}" for i in range(rows)],
            "department": rng.choice(["上海售后服务部", "北京客服部"], rows),
            "total": rng.normal(80, 8, rows).round(2),
            "score_a": rng.normal(70, 10, rows),
            "score_b": rng.normal(60, 15, rows),
        }
    )


def test_kept_months_are_stored_so_one_is_read_without_unpacking_the_others(tmp_path):
    store = Store(tmp_path / "store.duckdb")
    months = [str(p) for p in pd.period_range("2026-01", periods=6, freq="M")]
    store.keep_scores("s", "digest", 1, {m: (1, "inputs", scored_month(m)) for m in months})
    with store._connect() as con:
        con.execute("CHECKPOINT")  # (compression is chosen when rows are written to the file)
    con = duckdb.connect(str(tmp_path / "store.duckdb"), read_only=True)
    methods = con.execute(
        "SELECT DISTINCT compression FROM pragma_storage_info('scored_months') "
        "WHERE column_name = 'scored' AND segment_type = 'BLOB'"
    ).fetchall()
    con.close()
    assert methods and ("ZSTD",) not in methods, methods


def blob_compression(path) -> set[str]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return {
            r[0]
            for r in con.execute(
                "SELECT compression FROM pragma_storage_info('scored_months') "
                "WHERE column_name = 'scored' AND segment_type = 'BLOB'"
            ).fetchall()
        }
    finally:
        con.close()


def test_a_store_that_kept_months_compressed_writes_them_again_once(tmp_path):
    path = tmp_path / "store.duckdb"
    store = Store(path)
    months = {m: scored_month(m) for m in ("2026-09", "2026-10")}
    ids = {"2026-09": 1, "2026-10": 2}
    store.keep_scores("s", "digest", 1, {m: (ids[m], "inputs", t) for m, t in months.items()})
    con = duckdb.connect(str(path))  # as the previous release wrote them: ZSTD
    con.execute("SET force_compression = 'zstd'")
    con.execute("CREATE TEMP TABLE copied AS SELECT * FROM scored_months")
    con.execute("DELETE FROM scored_months")
    con.execute("INSERT INTO scored_months SELECT * FROM copied")
    con.execute("UPDATE meta SET value = value - 1 WHERE key = 'schema'")
    con.execute("CHECKPOINT")
    con.close()
    assert blob_compression(path) == {"ZSTD"}

    upgraded = Store(path)
    assert "ZSTD" not in blob_compression(path)
    with upgraded._connect() as con:
        con.execute("INSERT INTO imports (import_id, file_name, sha256, period, row_count, "
                    "imported_at, status) SELECT i, 'f.csv', 'x', p, 1, now()::TIMESTAMP, "
                    "'active' FROM (VALUES (1, '2026-09'), (2, '2026-10')) v(i, p)")  # fmt: skip
    kept = upgraded.kept_scores("s", "digest", {m: "inputs" for m in months})
    for month, table in months.items():
        pd.testing.assert_frame_equal(kept[month], table)
