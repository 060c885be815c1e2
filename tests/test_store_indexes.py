"""A PostgreSQL store indexes the rows of a month (issue 18 item 5): reading or replacing one
month of a store holding years must not read every stored row. A DuckDB store needs none (its
zone maps skip other months) and gets none."""

from __future__ import annotations

import pytest

from engine.store import Store


def index_definitions(store: Store) -> list[str]:
    with store._connect() as con:
        if store.postgres:
            rows = con.execute(
                "SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() "
                "AND indexname NOT LIKE '%pkey'"
            ).fetchall()
        else:
            rows = con.execute("SELECT sql FROM duckdb_indexes()").fetchall()
    return sorted(r[0] for r in rows)


@pytest.mark.parametrize("db_target", ["postgresql"], indirect=True)
def test_a_postgresql_store_finds_a_months_rows_by_index(db_target):
    found = index_definitions(Store(db_target))
    assert any("ON public.facts USING btree (import_id)" in d for d in found), found
    assert any("ON public.extras USING btree (import_id)" in d for d in found), found
    assert any(
        "ON public.scored_rows USING btree (period, scheme_id, scheme_digest)" in d for d in found
    ), found
    assert any("ON public.scored_rows USING btree (employee_id)" in d for d in found), found
    with Store(db_target)._connect() as con:
        con.execute("SET LOCAL enable_seqscan = off")  # (an empty table is read whole anyway)
        plan = " ".join(
            r[0]
            for r in con.execute(
                "EXPLAIN DELETE FROM scored_rows WHERE period = ? AND scheme_id = ? "
                "AND scheme_digest = ?",
                ["2026-10", "s", "d"],
            ).fetchall()
        )
    assert "scored_rows_set" in plan, plan


def test_a_duckdb_store_has_no_index_to_keep_up(tmp_path):
    assert index_definitions(Store(tmp_path / "store.duckdb")) == []


@pytest.mark.parametrize("db_target", ["postgresql"], indirect=True)
def test_postgresql_expects_every_row_of_the_months_an_aggregate_reads(db_target):
    """The planner's estimate of the rows a trend reads decides how it groups them: a JOIN with
    the months as a VALUES list was expected to keep ~0.3% of them (it sorted ten million rows
    on disk instead of grouping them in memory)."""
    import re

    from engine.store import duckdb_store

    store = Store(db_target)
    months = [f"2025-{m:02d}" for m in range(1, 13)]
    with store._transaction() as con:
        con.execute(
            "INSERT INTO scored_rows (period, scheme_id, scheme_digest, employee_id, department, "
            "total) SELECT 'p' || (i % 12), 's', 'd', 'E' || i, 'dept' || (i % 40), i % 100 "
            "FROM generate_series(1, 24000) AS g(i)"
        )
        con.execute("UPDATE scored_rows SET period = '2025-' || lpad(substr(period, 2) , 2, '0')")
        con.execute("UPDATE scored_rows SET period = '2025-12' WHERE period = '2025-00'")
        con.execute("ANALYZE scored_rows")
    where, params = duckdb_store._row_filter([(m, "d") for m in months], "s", None, (), ())
    with store._connect() as con:
        plan = [
            r[0]
            for r in con.execute(
                "EXPLAIN SELECT r.period, r.department, avg(r.total) "
                f"FROM scored_rows r {where} GROUP BY r.period, r.department",
                params,
            ).fetchall()
        ]
    join = next(line for line in plan if "Join" in line)
    assert int(re.search(r"rows=(\d+)", join).group(1)) > 12_000, plan
