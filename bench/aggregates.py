"""Trend aggregates in the database against every month's rows in pandas, on DuckDB and on
PostgreSQL, for a generated store of employee-months (issue 19 item 2).

Run from the repository root:

    .venv/bin/python bench/aggregates.py --rows 1000000                  # DuckDB
    .venv/bin/python bench/aggregates.py --rows 1000000 --db postgresql  # a throw-away cluster
    .venv/bin/python bench/aggregates.py --db postgresql://user@host/db  # an existing database

Times, median (range) of --repeat runs with the load average: the check that every month is
kept (kept_keys), department means per month, grade counts per month and one person's months
from the database; and what the pages did before, every month's kept rows into pandas
(monthly_rows) and department_trend over them.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.pages import generated_store
from bench.run import load_average, machine_facts
from bench.stores import store_target
from engine.analysis.figures import department_trend
from engine.cycle.results import kept_keys, monthly_rows
from engine.schemes.scheme import load_scheme
from engine.store import Store


def timed(action: Callable[[], object], repeat: int) -> str:
    """Median and range of wall seconds, with the 1-minute load average before."""
    load = load_average()[0]
    walls = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        walls.append(time.perf_counter() - start)
    return f"{statistics.median(walls):6.3f} ({min(walls):.3f}–{max(walls):.3f})  load {load}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000, help="employee-months (default 1e5)")
    parser.add_argument(
        "--db",
        default="duckdb",
        help="duckdb (a temporary file), postgresql (a throw-away local cluster) or a URL",
    )
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print("\n".join(machine_facts()))
    scheme = load_scheme()
    with (
        tempfile.TemporaryDirectory() as folder,
        store_target(args.db, "aggregates", None, Path(folder)) as target,
    ):
        started = time.perf_counter()
        rows = generated_store(target, args.rows, scheme, Path(folder))
        took = time.perf_counter() - started
        print(f"{rows:,} employee-months imported and kept in {took:.1f} s")
        store = Store(target)
        keys = kept_keys(store, scheme)
        person = store.kept_rows(scheme.id, keys[-1:])["employee_id"].iloc[0]
        steps = {
            "kept_keys (every month kept?)": lambda: kept_keys(store, scheme),
            "department means per month": lambda: store.department_means(scheme.id, keys, None),
            "grade counts per month": lambda: store.grade_counts(scheme.id, keys, None),
            "one person's months": lambda: store.kept_rows(scheme.id, keys, (person,)),
            "before: every month's rows into pandas + trend": lambda: department_trend(
                monthly_rows(store, scheme)
            ),
        }
        print(f"\n{args.db}: seconds, median (range) of {args.repeat}")
        for name, action in steps.items():
            print(f"  {name:<48}{timed(action, args.repeat)}", flush=True)


if __name__ == "__main__":
    main()
