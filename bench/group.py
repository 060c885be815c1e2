"""Data at group scale (issue 18 item 5): a store of years of one staff on DuckDB or PostgreSQL,
and what a month end does to it. Run through bench/run.py:

    .venv/bin/python bench/run.py --db duckdb --rows 10000000 --keep /tmp/stores
    .venv/bin/python bench/run.py --db postgresql --rows 10000000 --keep /tmp/stores
    .venv/bin/python bench/run.py --db postgresql://user@host/db --rows 10000000

--rows are whole years of about 80,000 staff (10,000,000: ten years of 83,334), imported month
by month as a user imports them (a CSV file each, checked, stored, its scored rows kept); with
--keep DIR the store (and a PostgreSQL cluster) stays in DIR and a later run goes on with it.
Steps: importing the next month into a copy of the store; a month and a year scored from the
store as the pages ask for them, beside the same year written directly in SQL; the trends'
aggregates in the database beside every month's rows in pandas; the Overview opened cold and
warm (server time, AppTest) for the newest month and the newest full year. Each step: wall and
CPU seconds (this process; a PostgreSQL server's own work is not in its CPU), median (range)
of the runs, the process's peak resident memory during the step (and before it), and the load
average before / after.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from bench.run import load_average, machine_facts, write_csv
from bench.stores import GroupData, build_group_store, store_target, years_of_staff
from engine import paths
from engine.cycle.results import keep_month, kept_keys, monthly_rows, period_table, score_months
from engine.intake.parse import parse_file
from engine.schemes.scheme import Scheme, load_scheme
from engine.scoring.periods import available
from engine.store import Store


def rss_mb(field: str = "VmRSS") -> float:
    """This process's resident memory now (VmRSS) or at its peak since the last reset (VmHWM)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def reset_peak() -> None:
    """Start the peak resident memory (VmHWM) again from now (Linux: clear_refs 5)."""
    with contextlib.suppress(OSError):  # not Linux: the peak then covers the run so far
        Path("/proc/self/clear_refs").write_text("5")


@dataclass
class Step:
    """One measured step: its runs' wall and CPU seconds, the peak memory and the load."""

    name: str
    walls: list[float]
    cpus: list[float]
    peak_mb: float
    start_mb: float
    load: tuple[str, str]
    note: str = ""

    def line(self) -> str:
        wall = statistics.median(self.walls)
        spread = f"({min(self.walls):.2f}–{max(self.walls):.2f})" if len(self.walls) > 1 else ""
        return (
            f"{self.name:<50}{len(self.walls):>4}{wall:>9.2f} {spread:<14}"
            f"{statistics.median(self.cpus):>8.2f}{self.peak_mb:>8.0f} ({self.start_mb:.0f})"
            f"{self.load[0]:>7} / {self.load[1]:<6} {self.note}"
        )

    @property
    def wall(self) -> float:
        return statistics.median(self.walls)


HEADER = (
    f"{'step':<50}{'runs':>4}{'wall s':>9} {'(range)':<14}{'cpu s':>8}"
    f"{'peak MB (before)':>17}{'load before / after':>22}"
)


def measure(name: str, action: Callable[[], object], runs: int, note: str = "") -> Step:
    """`runs` runs of an action: wall and CPU seconds each, the peak memory over them all."""
    load_before = load_average()[0]
    start_mb = rss_mb()
    reset_peak()
    walls, cpus = [], []
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        action()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    step = Step(name, walls, cpus, rss_mb("VmHWM"), start_mb, (load_before, load_average()[0]))
    step.note = note
    print(step.line(), flush=True)
    return step


# ---------------------------------------------------------------- the steps


def copy_store(target: str, name: str) -> str:
    """A copy of the store to import into (the built store stays as it is for the next run):
    a DuckDB file copied, a PostgreSQL database made from it as a template."""
    if "://" not in target:
        copy = str(Path(target).with_name(f"{name}.duckdb"))
        for source, to in ((target, copy), (target + ".wal", copy + ".wal")):
            Path(to).unlink(missing_ok=True)
            if Path(source).exists():
                shutil.copyfile(source, to)
        return copy
    import psycopg

    from engine.store import backends

    backends.close_idle()  # a template must have nobody connected
    base, source = target.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as con:
        con.execute(f"DROP DATABASE IF EXISTS {name}")
        con.execute(f"CREATE DATABASE {name} TEMPLATE {source}")
    return f"{base}/{name}"


def drop_copy(copy: str) -> None:
    if "://" not in copy:
        Path(copy).unlink(missing_ok=True)
        Path(copy + ".wal").unlink(missing_ok=True)
        return
    import psycopg

    from engine.store import backends

    backends.close_idle()
    base, name = copy.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as con:
        con.execute(f"DROP DATABASE IF EXISTS {name}")


def clocked(clock: list[tuple[float, float]], action: Callable[[], object]) -> object:
    """Run an action once, adding its wall and CPU seconds to `clock`; its result."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = action()
    clock.append((time.perf_counter() - wall, time.process_time() - cpu))
    return result


def import_next_month(target: str, data: GroupData, folder: Path, runs: int) -> list[Step]:
    """The next month's file (all staff) imported into a copy of the store, as a user's import:
    checked, stored in one transaction, its scored rows kept. The copy is made and dropped
    outside the clock."""
    period, frame = data.following()
    scheme = data.scheme
    csv = folder / f"{period}.csv"
    write_csv(frame, csv)
    parse_s, store_s, keep_s = [], [], []
    load_before, start_mb = load_average()[0], rss_mb()
    peak = 0.0
    for run in range(runs):
        copy = copy_store(target, f"import_copy_{run}")
        try:
            store = Store(copy)
            reset_peak()
            parsed = clocked(parse_s, lambda: parse_file(csv, scheme, period=period))
            assert parsed.ok, parsed.problems.head()
            clocked(store_s, lambda: store.import_file(parsed))  # noqa: B023 (called at once)
            clocked(keep_s, lambda: keep_month(store, scheme, period))  # noqa: B023
            peak = max(peak, rss_mb("VmHWM"))
            assert period in store.periods() and kept_keys(store, scheme) is not None
        finally:
            drop_copy(copy)
    csv.unlink()
    load = (load_before, load_average()[0])
    steps = []
    for name, clock in (
        ("import: parse_file (read + check)", parse_s),
        ("import: Store.import_file (1 transaction)", store_s),
        ("import: keep the month's scored rows", keep_s),
        (
            "import: total",
            [
                tuple(map(sum, zip(*t, strict=True)))
                for t in zip(parse_s, store_s, keep_s, strict=True)
            ],
        ),
    ):
        step = Step(name, [w for w, _ in clock], [c for _, c in clock], peak, start_mb, load)
        print(step.line(), flush=True)
        steps.append(step)
    return steps


# Rounded as a decimal: PostgreSQL has no round(double precision, digits).
MEAN = "round(CAST(avg(total) AS DECIMAL(18, 6)), 2)"


def year_in_sql(store: Store, scheme: Scheme, months: tuple[str, ...]) -> pd.DataFrame:
    """The peer of a year's table: each person's mean monthly total (rounded), summed money,
    months counted and rank, written directly in SQL over the kept rows in columns."""
    marks = ", ".join("?" for _ in months)
    with store._connect() as con:  # bench only: the same SQL as a report writer would send
        return con.execute(
            "SELECT employee_id, max(name) AS name, max(department) AS department, "
            f"{MEAN} AS total, sum(bonus) AS bonus, count(total) AS months, "
            f"rank() OVER (ORDER BY {MEAN} DESC NULLS LAST) AS rank "
            f"FROM scored_rows WHERE scheme_id = ? AND scheme_digest = ? AND period IN ({marks}) "
            "GROUP BY employee_id ORDER BY employee_id",
            [scheme.id, scheme.digest, *months],
        ).df()


def scoring_steps(target: str, scheme: Scheme, runs: int) -> list[Step]:
    """A month and a year as the pages ask for them (period_table), beside scoring the month
    afresh and the year written directly in SQL; the trends' aggregates in the database beside
    every month's rows in pandas (what the pages read before the aggregates)."""
    store = Store(target)
    found = available(store.periods())
    month = found["month"][0]
    full = [y for y in found["year"] if len(period_months(y, found["month"])) == 12]
    year = full[0] if full else found["year"][0]
    year_months = period_months(year, found["month"])
    keys = kept_keys(store, scheme)
    steps = [
        measure(
            f"month {month}: period_table (kept rows)",
            lambda: period_table(store, scheme, month),
            runs,
        ),
        measure(
            f"month {month}: scored now (facts + score)",
            lambda: score_months(store, scheme, [month]),
            runs,
        ),
    ]
    table = period_table(store, scheme, year)
    sql = year_in_sql(store, scheme, tuple(year_months))
    assert len(table) == len(sql), (len(table), len(sql))
    steps.append(
        measure(
            f"year {year}: period_table (12 kept months)",
            lambda: period_table(store, scheme, year),
            runs,
        )
    )
    steps.append(
        measure(
            f"year {year}: the same means and ranks in SQL",
            lambda: year_in_sql(store, scheme, tuple(year_months)),
            runs,
        )
    )
    ratio = steps[-2].wall / steps[-1].wall
    print(f"  (the year: period_table / the same in SQL = {ratio:.1f}×; period_table means every "
          "score column too, the SQL the total only)", flush=True)  # fmt: skip
    steps.append(
        measure(
            f"trend: kept_keys ({len(keys)} months kept?)", lambda: kept_keys(store, scheme), runs
        )
    )
    steps.append(
        measure(
            "trend: department means, every month (SQL)",
            lambda: store.department_means(scheme.id, keys, None),
            runs,
        )
    )
    steps.append(
        measure(
            "trend: grade counts, every month (SQL)",
            lambda: store.grade_counts(scheme.id, keys, None),
            runs,
        )
    )
    return steps


def period_months(label: str, held: list[str]) -> list[str]:
    from engine.scoring.periods import parse_period

    return [m for m in parse_period(label).months if m in held]


def every_month_in_pandas(target: str, scheme: Scheme) -> Step:
    """What the trends cost before they were aggregated in the database: every month's kept
    rows into pandas, then department means there (once: it is the heavy one)."""
    from engine.analysis.figures import department_trend

    store = Store(target)
    return measure(
        "before: every month's rows into pandas + trend",
        lambda: department_trend(monthly_rows(store, scheme)),
        1,
    )


def overview_steps(target: str, scheme: Scheme, runs: int) -> list[Step]:
    """The Overview (the landing page: entry script, sidebar, page) opened by a new visitor,
    cold (every cache emptied first, as after a restart or an import) and warm, for the
    newest month and the newest full year."""
    from bench.pages import clear_caches

    os.environ[paths.DB_ENV] = target
    os.environ.setdefault("ASSESS_ACCOUNTS", "/nonexistent/accounts.toml")
    found = available(Store(target).periods())
    full = [y for y in found["year"] if len(period_months(y, found["month"])) == 12]
    year = full[0] if full else found["year"][0]
    steps = []
    for label, state in (
        (f"month {found['month'][0]}", {}),
        (f"year {year}", {"period_kind": "year", "period_year": year}),
    ):
        title = found["month"][0] if not state else year

        def cold(state=state, title=title) -> None:
            clear_caches()
            open_overview(title, **state)

        steps.append(measure(f"overview {label}: cold", cold, runs))
        open_overview(title, **state)
        steps.append(
            measure(f"overview {label}: warm", lambda s=state, t=title: open_overview(t, **s), runs)
        )
    return steps


def open_overview(period: str, **state) -> None:
    """One run of the entry script landing on the Overview, with sidebar values preset."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(paths.ROOT / "app.py"), default_timeout=900)
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    assert not at.exception, at.exception
    assert any(period in t.value for t in at.main.title), [t.value for t in at.main.title]


# ---------------------------------------------------------------- the run


def backend(target: str) -> str:
    """The store's kind, for the report (never a URL: it may hold a password)."""
    return "postgresql" if "://" in target else "duckdb"


def main(args: argparse.Namespace) -> int:
    print("\n".join(machine_facts()), flush=True)
    scheme = load_scheme(args.scheme)
    months = args.months or years_of_staff(args.rows)
    data = GroupData(args.rows, months, scheme, args.seed)
    keep = Path(args.keep) if isinstance(args.keep, str) else None
    temporary = Path(tempfile.mkdtemp(prefix="assess-group-"))
    name = f"group_{data.staff}x{months}"  # a store per staff and months
    try:
        with store_target(args.db, name, keep, temporary) as target:
            held = len(Store(target).periods())
            took = build_group_store(target, data, temporary)
            store = Store(target)
            rows = store.kept_months()["row_count"].sum()
            print(
                f"store   : {backend(target)}{' kept in ' + str(keep) if keep else ''}: "
                f"{rows:,} employee-months kept = {data.staff:,} staff × {months} months "
                f"({data.months[0]} … {data.months[-1]}); "
                + (f"{held} months found, " if held else "")
                + f"{len(data.months) - held} imported in {took:.0f} s",
                flush=True,
            )
            print(
                f"\nseconds, median (range) of the runs; peak resident MB of this process\n{HEADER}"
            )
            import_next_month(target, data, temporary, args.import_repeats)
            scoring_steps(target, scheme, args.repeats)
            overview_steps(target, scheme, args.repeats)
            if not args.no_pandas:  # last: the heaviest, and it may not fit
                every_month_in_pandas(target, scheme)
    finally:
        shutil.rmtree(temporary, ignore_errors=True)
        from bench.pages import remove_entries

        remove_entries()
    print(f"load average now {' '.join(load_average())}")
    return 0
