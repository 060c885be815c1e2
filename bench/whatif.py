"""Speed bench of the what-if engine: recomputation after one change, against the full re-score.

Run from the repository root:

    .venv/bin/python bench/whatif.py                    # 10,000 and 1,000,000 employee-months
    .venv/bin/python bench/whatif.py --rows 10000       # one size only

Each size is measured in two shapes: a year (rows / 12 people × 12 months, so each person's
total is the mean of twelve monthly totals) and one month (every row a different person). The
baseline is the full re-score the dashboard would otherwise run (`score_period`: KPI scores,
weights, totals, grades, ranks, money, aggregation). A what-if step is the engine call the page
makes after one change: the scenario's totals (only when weights or scoring rules change),
grades and money, then the comparison with the baseline (grade counts, transition matrix, shift
per department, money). Targets: 50 ms for 10,000 rows and 300 ms for 1,000,000 rows.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import run as data_bench  # noqa: E402  (the bench's realistic data generator)
from engine.analysis import whatif  # noqa: E402
from engine.schemes import edit as scheme_edit  # noqa: E402
from engine.schemes.scheme import Scheme, load_scheme, parse_scheme  # noqa: E402
from engine.scoring.periods import score_period  # noqa: E402

SIZES = (10_000, 1_000_000)
TARGET_MS = {10_000: 50.0, 1_000_000: 300.0}
YEAR = tuple(f"2026-{m:02d}" for m in range(1, 13))
FORCED_SHARES = (20, 30, 35, 10, 5)


def target_ms(rows: int) -> float:
    """The target for a size: as stated for 10,000 and 1,000,000, linear in between."""
    if rows in TARGET_MS:
        return TARGET_MS[rows]
    return float(np.interp(rows, list(TARGET_MS), list(TARGET_MS.values())))


def timed(action: Callable[[], object], repeats: int) -> tuple[float, float]:
    """Median wall time and median CPU time of this process, in milliseconds. On a busy machine
    the CPU time is the better guide to the time the same call takes on an idle one."""
    walls, cpus = [], []
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        action()
        walls.append(1000 * (time.perf_counter() - start))
        cpus.append(1000 * (time.process_time() - start_cpu))
    return statistics.median(walls), statistics.median(cpus)


def facts_for(rows: int, scheme: Scheme, shape: str) -> tuple[pd.DataFrame, str]:
    """Generated employee-months for a year (people × 12 months) or one month (all distinct)."""
    data_bench.MONTHS = YEAR
    frame = data_bench.employee_months(rows, scheme)
    if shape == "year":
        return frame, "2026"
    frame = frame.assign(
        employee_id=[f"E{i:07d}" for i in range(1, len(frame) + 1)], period="2026-10"
    )
    return frame, "2026-10"


def scenarios(scheme: Scheme) -> dict[str, Scheme]:
    """One scenario per kind of change the page offers."""
    raw = scheme.raw
    cutoffs = scheme_edit.cutoffs_of(scheme)
    weights = {c.id: c.weight for c in scheme.categories}
    moved = dict(weights, quality=weights["quality"] - 10, attitude=weights["attitude"] + 10)
    bands = [(b.upto, b.points) for b in scheme.kpi("fault_days").bands]
    bands[0] = (3, bands[0][1])
    return {
        "cutoff 优秀 90 → 85": parse_scheme(
            scheme_edit.with_cutoffs(raw, scheme, [85, *cutoffs[1:]])
        ),
        "category weights 50/30/20 → 40/30/30": parse_scheme(
            scheme_edit.with_category_weights(raw, moved)
        ),
        "one KPI rule (fault-days band 0–2 → 0–3)": parse_scheme(
            scheme_edit.with_rule(raw, "fault_days", bands=bands)
        ),
    }


def compare(basis: whatif.Basis, base: whatif.Outcome, scenario: whatif.Outcome) -> None:
    """What the page shows after each change."""
    whatif.grade_summary(base, scenario)
    whatif.transitions(base, scenario)
    whatif.department_shift(basis, base, scenario)
    whatif.money_totals(base, scenario)


@dataclass(frozen=True)
class Result:
    data: str
    step: str
    wall_ms: float
    cpu_ms: float
    full_ms: float
    goal_ms: float | None = None

    @property
    def met(self) -> str:
        if self.goal_ms is None:
            return ""
        return "yes" if self.wall_ms <= self.goal_ms else "NO (wall)"


def measure(rows: int, shape: str, scheme: Scheme, repeats: int) -> list[Result]:
    facts, period = facts_for(rows, scheme, shape)
    full_wall, full_cpu = timed(lambda: score_period(facts, scheme, period), max(1, repeats // 2))
    basis_holder = {}
    prepare_wall, prepare_cpu = timed(
        lambda: basis_holder.update(basis=whatif.prepare(facts, scheme, period)), 1
    )
    basis = basis_holder["basis"]
    base = whatif.simulate(basis, scheme)
    base_totals = base.row_total
    label = f"{rows:,} rows, {shape} ({len(basis.people):,} people)"
    goal = target_ms(rows)
    out = [
        Result(label, "full re-score: score_period", full_wall, full_cpu, full_wall),
        Result(label, "prepare (once per period and filter)", prepare_wall, prepare_cpu, full_wall),
    ]

    def step(name: str, action: Callable[[], object]) -> None:
        wall, cpu = timed(action, repeats)
        out.append(Result(label, name, wall, cpu, full_wall, goal))

    for name, scenario in scenarios(scheme).items():
        same_totals = whatif.totals_key(scenario) == whatif.totals_key(scheme)

        def change(scenario=scenario, same_totals=same_totals) -> None:
            totals = base_totals if same_totals else whatif.row_totals(basis, scenario)
            compare(basis, base, whatif.regrade(basis, scenario, totals))

        step(name + (" (regrade only)" if same_totals else ""), change)

    def forced() -> None:
        cutoffs = whatif.forced_cutoffs(base.total, FORCED_SHARES)
        compare(basis, base, whatif.regrade(basis, scheme, base_totals, cutoffs))

    def forced_departments() -> None:
        table = whatif.forced_cutoffs(
            base.total, FORCED_SHARES, basis.department, len(basis.departments)
        )
        cutoffs = whatif.department_cutoffs(basis, table)
        compare(basis, base, whatif.regrade(basis, scheme, base_totals, cutoffs))

    def budget() -> None:
        amounts = [scheme.money.amounts[g] for g in scheme.grade_names]
        pool = 0.9 * float(np.nansum(base.money))
        fit = whatif.fit_amounts(base.row_grade, amounts, pool)
        paid = scheme_edit.with_money(
            scheme.raw, dict(zip(scheme.grade_names, fit.amounts, strict=True))
        )
        compare(basis, base, whatif.regrade(basis, parse_scheme(paid), base_totals))

    def budget_cutoff() -> None:
        amounts = [scheme.money.amounts[g] for g in scheme.grade_names]
        pool = 0.9 * float(np.nansum(base.money))
        fit = whatif.fit_top_cutoff(base_totals, whatif.scheme_cutoffs(scheme), amounts, pool)
        cutoffs = np.r_[fit.top_cutoff, whatif.scheme_cutoffs(scheme)[1:]]
        compare(basis, base, whatif.regrade(basis, scheme, base_totals, cutoffs))

    step("forced distribution, company-wide", forced)
    step("forced distribution, per department", forced_departments)
    step("bonus pool 90%: amounts scaled", budget)
    step("bonus pool 90%: 优秀 minimum solved", budget_cutoff)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--rows", type=int, action="append", help="employee-months (repeatable)")
    parser.add_argument("--repeats", type=int, default=5, help="runs per step, median (default 5)")
    parser.add_argument("--shape", choices=["year", "month", "both"], default="both")
    args = parser.parse_args(argv)
    scheme = load_scheme()
    for line in data_bench.machine_facts():
        print(line)
    results = []
    shapes = ["year", "month"] if args.shape == "both" else [args.shape]
    for rows in args.rows or SIZES:
        for shape in shapes:
            results += measure(rows, shape, scheme, args.repeats)
    header = ("data", "step", "wall ms", "cpu ms", "wall ÷ full", "target (wall)", "met")
    table = [header] + [
        (
            r.data,
            r.step,
            f"{r.wall_ms:.1f}",
            f"{r.cpu_ms:.1f}",
            f"{r.wall_ms / r.full_ms:.3f}",
            "" if r.goal_ms is None else f"≤ {r.goal_ms:g}",
            r.met,
        )
        for r in results
    ]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    print()
    for i, row in enumerate(table):
        cells = zip(row, widths, strict=True)
        print("  ".join(c.ljust(w) if j < 2 else c.rjust(w) for j, (c, w) in enumerate(cells)))
        if i == 0:
            print("  ".join("-" * w for w in widths))
    print(f"load average {' '.join(data_bench.load_average())}: other processes inflate wall times")
    return 0 if all(not r.met.startswith("NO") for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
