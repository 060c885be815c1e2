"""bench/run.py --db: the group-scale bench on a small store, on DuckDB (kept in a folder and used
again) and on a PostgreSQL database given as a URL. It runs and prints every step; timings are
the bench's business, not the test's."""

from __future__ import annotations

import pytest

from bench import run
from engine.store import Store

STEPS = [
    "import: parse_file (read + check)",
    "import: Store.import_file (1 transaction)",
    "import: keep the month's scored rows",
    "import: total",
    "month 2026-10: period_table (kept rows)",
    "month 2026-10: scored now (facts + score)",
    "year 2025: period_table (12 kept months)",
    "year 2025: the same means and ranks in SQL",
    "trend: kept_keys (24 months kept?)",
    "trend: department means, every month (SQL)",
    "trend: grade counts, every month (SQL)",
    "overview month 2026-10: cold",
    "overview month 2026-10: warm",
    "overview year 2025: cold",
    "overview year 2025: warm",
    "before: every month's rows into pandas + trend",
]


def bench(capsys, *options: str) -> str:
    assert run.main(["--rows", "1200", "--months", "24", "--repeats", "1", *options]) == 0
    return capsys.readouterr().out


def steps_printed(out: str) -> list[str]:
    return [s for s in STEPS if any(line.startswith(s) for line in out.splitlines())]


def test_group_bench_on_duckdb_builds_once_then_reuses_the_kept_store(
    tmp_path, capsys, monkeypatch
):
    monkeypatch.setenv("ASSESS_ACCOUNTS", str(tmp_path / "accounts.toml"))
    monkeypatch.setenv("ASSESS_DB", str(tmp_path / "unused.duckdb"))  # the bench points it
    out = bench(capsys, "--db", "duckdb", "--keep", str(tmp_path))
    assert "1,200 employee-months kept = 50 staff × 24 months (2024-11 … 2026-10); 24 " in out
    assert steps_printed(out) == STEPS
    store = Store(tmp_path / "group_50x24.duckdb")
    # The month imported by the bench went into a copy: the kept store holds its 24 months.
    assert store.periods()[0] == "2024-11" and store.periods()[-1] == "2026-10"
    assert len(store.periods()) == 24 and len(store.kept_months()) == 24
    assert sorted(p.name for p in tmp_path.iterdir()) == ["group_50x24.duckdb"]

    again = bench(capsys, "--db", "duckdb", "--keep", str(tmp_path), "--no-pandas")
    assert "24 months found, 0 imported" in again
    assert steps_printed(again) == [s for s in STEPS if not s.startswith("before")]


@pytest.mark.parametrize("db_target", ["postgresql"], indirect=True)
def test_group_bench_on_a_postgresql_url(db_target, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("ASSESS_ACCOUNTS", str(tmp_path / "accounts.toml"))
    monkeypatch.setenv("ASSESS_DB", str(tmp_path / "unused.duckdb"))  # the bench points it
    out = bench(capsys, "--db", db_target, "--no-pandas")
    assert steps_printed(out) == [s for s in STEPS if not s.startswith("before")]
    assert len(Store(db_target).periods()) == 24
