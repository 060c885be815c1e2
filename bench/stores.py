"""Where a bench's store lives (a DuckDB file, a PostgreSQL cluster started for the bench, or a
URL given), and the generated group-scale store: years of one staff, month by month.

Shared by bench/run.py --db and bench/aggregates.py: one helper, not a copy per script.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from bench.run import (
    BLANK_SHARE,
    KPI_MODELS,
    NON_REPAIR_ROLE,
    REPAIR_KPIS,
    SEED,
    fallback_model,
    kpi_column,
    roster,
    write_csv,
)
from engine.cycle.results import keep_month, kept_keys
from engine.intake.parse import parse_file
from engine.schemes.scheme import Scheme
from engine.store import Store

NEWEST_MONTH = "2026-10"  # the generated months end here, as bench/run.py's year does
GROUP_STAFF = 80_000  # a group company's after-sales staff: --rows makes whole years of them


@contextlib.contextmanager
def store_target(db: str, name: str, keep: Path | None, folder: Path) -> Iterator[str]:
    """The store for a bench: "duckdb" a file `name`.duckdb, "postgresql" a database `name` in a
    cluster started now (in `keep`/pg, left there and started again next time, when `keep` is
    given; else thrown away at the end), anything else a DuckDB path or PostgreSQL URL as is."""
    if db == "duckdb":
        yield str((keep or folder) / f"{name}.duckdb")
        return
    if db != "postgresql":
        yield db
        return
    from tests.pg import PgCluster

    cluster = PgCluster.start(keep / "pg" if keep else None)
    try:
        yield cluster.database(name)
    finally:
        from engine.store import backends

        backends.close_idle()
        cluster.stop(remove=keep is None)


def month_labels(months: int, newest: str = NEWEST_MONTH) -> list[str]:
    """`months` consecutive months ending with `newest`, oldest first."""
    return [str(p) for p in pd.period_range(end=newest, periods=months, freq="M")]


def years_of_staff(rows: int) -> int:
    """Whole years of about GROUP_STAFF people that make `rows` employee-months (at least one):
    10,000,000 rows are ten years of 83,334 staff; 1,000,000 one year of 83,334."""
    return 12 * max(1, round(rows / (12 * GROUP_STAFF)))


class GroupData:
    """One staff over `months` months: the roster is drawn once, each month's KPI values from
    the person's ability, a knack per KPI and the month's noise (bench/run.py's models). A
    month's rows depend on the seed and the month only, so a build can stop and go on."""

    def __init__(self, rows: int, months: int, scheme: Scheme, seed: int = SEED):
        self.months = month_labels(months)
        self.staff = math.ceil(rows / months)
        self.scheme, self.seed = scheme, seed
        rng = np.random.default_rng(seed)
        people = roster(rng, self.staff)
        # roster() hires everyone before 2025-11: moved back so all are hired by the first month.
        earlier = pd.Period("2025-11", freq="M") - pd.Period(self.months[0], freq="M")
        hired = pd.to_datetime(people["hire_date"]) - pd.DateOffset(months=max(earlier.n, 0))
        self.people = people.assign(hire_date=hired.dt.strftime("%Y-%m-%d"))
        self.knack = {k.id: rng.normal(0.0, 0.5, self.staff) for k in scheme.kpis}

    def month(self, period: str, index: int | None = None) -> pd.DataFrame:
        """The month's file as a department sends it: the roster and every KPI, no period."""
        index = self.months.index(period) if index is None else index
        rng = np.random.default_rng([self.seed, index])
        performance = self.people["ability"].to_numpy() + rng.normal(0.0, 0.35, self.staff)
        frame = self.people.drop(columns="ability")
        roles = frame["role"].to_numpy()
        for kpi in self.scheme.kpis:
            model = KPI_MODELS.get(kpi.id) or fallback_model(kpi)
            values = pd.Series(kpi_column(rng, model, performance + self.knack[kpi.id], kpi))
            blank = rng.random(self.staff) < BLANK_SHARE
            if kpi.id in REPAIR_KPIS:
                blank |= roles == NON_REPAIR_ROLE
            values = values.mask(blank)
            frame[kpi.id] = values.astype("Int64") if model.decimals == 0 else values
        return frame

    def following(self) -> tuple[str, pd.DataFrame]:
        """The month after the newest, as the next month-end's file."""
        period = str(pd.Period(self.months[-1], freq="M") + 1)
        return period, self.month(period, len(self.months))


def import_month(store: Store, scheme: Scheme, csv: Path, period: str) -> int:
    """What a user's import does: check the file, store it all-or-nothing, keep its scores."""
    parsed = parse_file(csv, scheme, period=period)
    assert parsed.ok, parsed.problems.head()
    result = store.import_file(parsed)
    keep_month(store, scheme, period)
    return result.rows


def build_group_store(
    target: str,
    data: GroupData,
    folder: Path,
    say: Callable[[str], None] = print,
) -> float:
    """Every month of `data` imported into the store as a user imports it (a CSV file each,
    checked, stored, its scored rows kept); months already held are left as they are, so a
    stopped build goes on where it stopped. Seconds spent."""
    started = time.perf_counter()
    store = Store(target)
    held = set(store.periods())
    todo = [(i, m) for i, m in enumerate(data.months) if m not in held]
    for done, (index, period) in enumerate(todo, 1):
        csv = folder / f"build-{period}.csv"
        write_csv(data.month(period, index), csv)
        import_month(store, data.scheme, csv, period)
        csv.unlink()
        if done % 12 == 0 or done == len(todo):
            took = time.perf_counter() - started
            say(f"  built {len(held) + done}/{len(data.months)} months, {took:.0f} s")
    kept_keys(store, data.scheme)  # a month stopped between its import and its keeping
    return time.perf_counter() - started
