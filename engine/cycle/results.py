"""The results of a period as the month-closing process has them: locked months from their kept
snapshot, the other months scored now with their adjustments."""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine.cycle.adjust import apply_adjustments
from engine.cycle.eligibility import apply_eligibility
from engine.cycle.veto import apply_vetoes
from engine.schemes.scheme import Scheme
from engine.scoring.periods import Period, aggregate, parse_period
from engine.scoring.score import grade, round_half_away, score_table
from engine.scoring.targets import with_targets
from engine.store import Store

CYCLE_COLUMNS = [
    "computed_total",
    "adjustment",
    "adjustment_reason",
    "computed_grade",
    "veto",
    "status",
    "status_note",
]


def scheme_label(scheme: Scheme) -> str:
    return f"{scheme.id} v{scheme.version}"


def month_rows(store: Store, scheme: Scheme, months: list[str]) -> pd.DataFrame:
    """Months scored now under the scheme, with their adjustments, one row per person."""
    facts = with_targets(store.facts(months), store.targets(months), scheme)
    monthly = score_table(facts, scheme)
    adjusted = apply_adjustments(monthly, store.adjustments(months), scheme)
    vetoed = apply_vetoes(adjusted, facts, scheme)
    eligible = apply_eligibility(vetoed, facts, scheme)
    return eligible.assign(scheme_version=scheme_label(scheme))


def monthly_rows(
    store: Store, scheme: Scheme, months: list[str] | None = None, frozen: bool = True
) -> pd.DataFrame:
    """One row per person and month: a locked month (locked under this scheme) as it was kept,
    the others scored now. `frozen=False` scores every month now (re-scoring under a chosen
    version)."""
    months = store.periods() if months is None else list(months)
    kept = store.snapshots(months) if frozen else {}
    kept = {m: table for m, (scheme_id, _, table) in kept.items() if scheme_id == scheme.id}
    live = [m for m in months if m not in kept]
    parts = [*kept.values(), month_rows(store, scheme, live)] if live else list(kept.values())
    if len(parts) == 1:
        return parts[0]
    joined = pd.concat(parts, ignore_index=True)
    return joined.sort_values(["period", "employee_id"], ignore_index=True, kind="stable")


def period_table(
    store: Store, scheme: Scheme, period: str | Period, frozen: bool = True
) -> pd.DataFrame:
    """The scored table of a period (see monthly_rows), aggregated to quarter / half / year
    from the monthly results."""
    chosen = parse_period(period) if isinstance(period, str) else period
    monthly = monthly_rows(store, scheme, list(chosen.months), frozen)
    table = aggregate(monthly, chosen, scheme)
    if chosen.kind != "month":
        labels = sorted(set(monthly["scheme_version"].dropna())) or [scheme_label(scheme)]
        table = table.assign(scheme_version=" + ".join(labels))
        table = with_computed(table, monthly, scheme)
    return table


def with_computed(table: pd.DataFrame, monthly: pd.DataFrame, scheme: Scheme) -> pd.DataFrame:
    """A quarter / half / year beside what it would be without adjustments: the mean of the
    monthly computed totals, its grade, and the difference the adjustments make."""
    if "computed_total" not in monthly or monthly.empty:
        return table
    means = monthly.groupby("employee_id")["computed_total"].mean()
    computed = round_half_away(table["employee_id"].map(means).to_numpy(dtype=float))
    moved = round_half_away(table["total"].to_numpy(dtype=float) - computed)
    return table.assign(
        computed_total=computed,
        adjustment=np.where(moved != 0, moved, np.nan),
        adjustment_reason="",
        computed_grade=grade(computed, scheme),
    )


def lock_snapshot(store: Store, scheme: Scheme, period: str) -> tuple[str, str, pd.DataFrame]:
    """What locking a month keeps: the scheme, its version and the month's scored rows."""
    return scheme.id, scheme_label(scheme), month_rows(store, scheme, [period])
