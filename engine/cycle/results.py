"""The results of a period as the month-closing process has them: locked months from their kept
snapshot, the other months scored now with their adjustments."""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable

import numpy as np
import pandas as pd
import pyarrow as pa

from engine.analysis.figures import select
from engine.cycle.adjust import apply_adjustments
from engine.cycle.eligibility import apply_eligibility, statuses
from engine.cycle.veto import apply_vetoes
from engine.output.report import TREND_MONTHS
from engine.rules.evaluate import Rules, columns_read, with_inputs
from engine.rules.timeline import input_columns
from engine.schemes.scheme import Scheme, SchemeError
from engine.scoring.periods import Period, aggregate, parse_period
from engine.scoring.score import grade, round_half_away, score_table
from engine.scoring.targets import with_targets
from engine.store import Store, StoreError

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


def score_months(
    store: Store, scheme: Scheme, months: list[str], facts: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Months scored now under the scheme, with their adjustments, one row per person."""
    facts = store.facts(months) if facts is None else facts
    facts = with_targets(facts, store.targets(months), scheme)
    monthly = score_table(facts, scheme)
    adjusted = apply_adjustments(monthly, store.adjustments(months), scheme)
    vetoed = apply_vetoes(adjusted, facts, scheme)
    eligible = apply_eligibility(vetoed, facts, scheme)
    return eligible.assign(scheme_version=scheme_label(scheme))


def inputs_keys(
    scheme: Scheme,
    adjustments: pd.DataFrame,
    months: list[str],
    targets: pd.DataFrame | None = None,
) -> dict[str, str]:
    """What each month's scored rows depend on besides its import and the scheme: the month's
    approved adjustments, its targets and the statuses of data/cycle.toml (eligibility), as a
    short digest."""
    if "approved_by" in adjustments.columns:
        adjustments = adjustments[adjustments["approved_by"].notna()]
    shown = adjustments.reindex(columns=["period", "employee_id", "points", "grade", "reason"])
    known = repr(sorted(statuses(scheme).items()))
    by_month = dict(tuple(shown.groupby("period", sort=False)))
    empty = shown.iloc[:0]
    aims = (targets if targets is not None else pd.DataFrame()).reindex(
        columns=["period", "scope", "employee_id", "department", "team", "kpi", "target"]
    )
    aims_by_month = dict(tuple(aims.groupby("period", sort=False)))
    # A month without adjustments or targets (most) reuses the text of an empty table: a
    # to_csv costs ~15 ms even when empty, and a page checks every stored month.
    nothing = empty.to_csv(index=False), aims.iloc[:0].to_csv()

    def text(m: str) -> str:
        done = by_month[m].sort_values("employee_id").to_csv(index=False) if m in by_month else None
        aimed = aims_by_month.get(m)
        aimed = aimed.sort_values(list(aims.columns)).to_csv() if aimed is not None else None
        return (done if done is not None else nothing[0]) + (
            aimed if aimed is not None else nothing[1]
        )

    return {m: hashlib.sha256((text(m) + known).encode()).hexdigest()[:16] for m in months}


def month_rows(
    store: Store, scheme: Scheme, months: list[str], columns: list[str] | None = None
) -> pd.DataFrame:
    """Months scored under the scheme with their adjustments, one row per person, oldest month
    first: the rows kept in the store where their inputs are unchanged, the other months scored
    now and kept (a scheme without a digest, such as an unsaved what-if, is never kept); only
    `columns` (those it has) when given."""
    months = sorted(set(months))
    if not scheme.digest:
        return _only(score_months(store, scheme, months), columns)
    found = month_parts(store, scheme, months, columns)
    if not found:
        return _only(score_months(store, scheme, []), columns)
    parts = [found[m] for m in months if m in found]
    return parts[0] if len(parts) == 1 else _joined(parts)


def month_parts(
    store: Store, scheme: Scheme, months: list[str], columns: list[str] | None = None
) -> dict[str, pd.DataFrame]:
    """Each month's scored rows (months without data left out): kept rows where still valid,
    the other months scored now, each on its own, and kept; only `columns` when given."""
    with store.held():
        adjustments = store.adjustments(months)
        inputs = inputs_keys(scheme, adjustments, months, store.targets(months))
        kept = store.kept_scores(scheme.id, scheme.digest, inputs, columns)
        missing = [m for m in months if m not in kept]
        if not missing:
            return kept
        # One read for every missing month, then each month scored on its own: exactly the
        # rows (and money problems) that scoring that month alone gives.
        facts = store.facts(missing)
        starts = [*facts["period"].searchsorted(missing), len(facts)]  # sorted by period
        fresh = {
            m: facts.iloc[start:end].reset_index(drop=True)
            for m, start, end in zip(missing, starts[:-1], starts[1:], strict=True)
            if end > start
        }
        scored = {m: score_months(store, scheme, [m], rows) for m, rows in fresh.items()}
        imported = {m: int(rows["import_id"].iloc[0]) for m, rows in fresh.items()}
        _keep(store, scheme, {m: (imported[m], inputs[m], scored[m]) for m in scored})
    return kept | {m: _only(table, columns) for m, table in scored.items()}


def _only(table: pd.DataFrame, columns: list[str] | None) -> pd.DataFrame:
    """The table's columns among `columns`, in the table's order (all when None)."""
    if columns is None:
        return table
    wanted = set(columns)
    return table[[c for c in table.columns if c in wanted]]


def _keep(store: Store, scheme: Scheme, months: dict[str, tuple[int, str, pd.DataFrame]]) -> None:
    """Keep freshly scored months (import id scored from, inputs key, rows); a store that
    cannot be written (read-only, busy) keeps nothing and they are scored again next time."""
    if store.read_only:
        return
    with contextlib.suppress(StoreError):
        store.keep_scores(scheme.id, scheme.digest, scheme.version, months)


def _joined(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """Months' rows one after the other; a status column stays categorical across months."""
    joined = pd.concat(parts, ignore_index=True)
    for column in ("status", "status_note"):
        if column in joined and not isinstance(joined[column].dtype, pd.CategoricalDtype):
            joined[column] = joined[column].astype("category")
    problems = [line for part in parts for line in part.attrs.get("money_problems", [])]
    if problems:
        joined.attrs["money_problems"] = problems
    return joined


def monthly_rows(
    store: Store,
    scheme: Scheme,
    months: list[str] | None = None,
    frozen: bool = True,
    columns: list[str] | None = None,
) -> pd.DataFrame:
    """One row per person and month, oldest month first: a locked month (locked under this
    scheme) as it was kept, the others as month_rows has them. `frozen=False` scores every
    month now (re-scoring under a chosen version); `columns` keeps only those (that it has)."""
    with store.held():  # one open of the file for the few reads below
        months = sorted(set(store.periods() if months is None else months))
        kept = store.snapshots(months) if frozen else {}
        kept = {
            m: _only(table, columns)
            for m, (scheme_id, _, table) in kept.items()
            if scheme_id == scheme.id
        }
        live = [m for m in months if m not in kept]
        if not kept:
            return month_rows(store, scheme, live, columns)
        if live and scheme.digest:
            kept |= month_parts(store, scheme, live, columns)
        elif live:
            rows = _only(score_months(store, scheme, live), columns)
            kept |= dict(tuple(rows.groupby("period", sort=False, observed=True)))
    parts = [kept[m].reset_index(drop=True) for m in months if m in kept]
    return parts[0] if len(parts) == 1 else _joined(parts)


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


def keep_month(store: Store, scheme: Scheme, period: str) -> None:
    """Score a month just imported under the scheme in use and keep it, so every page finds it
    ready; an import never fails for this (the month is then scored when first shown)."""
    with contextlib.suppress(StoreError, SchemeError, ValueError, KeyError):
        month_rows(store, scheme, [period])


def kept_keys(
    store: Store, scheme: Scheme, months: list[str] | None = None
) -> list[tuple[str, str]] | None:
    """The (month, key) sets of kept rows in columns that hold every month (all stored when
    None) as monthly_rows has it: locked months' snapshots under this scheme, the others kept
    under the scheme's digest, scoring and keeping the months not kept yet. None when they
    cannot all be kept (a scheme without a digest, a store that cannot be written): then the
    caller aggregates monthly_rows in pandas."""
    if not scheme.digest:
        return None
    with store.held():
        locked, live, inputs, missing = _kept_state(store, scheme, months)
        if (missing or locked) and store.read_only:
            return None
        if missing:
            # Scored and kept now; months kept before their rows were held in columns (an
            # older store) come back from their Parquet copy and are put into columns.
            found = month_parts(store, scheme, missing)
            with contextlib.suppress(StoreError):
                store.keep_columns(scheme.id, {m: (scheme.digest, found[m]) for m in found})
            if set(store.kept_periods(scheme.id, scheme.digest, inputs)) != set(live):
                return None
        if locked:
            with contextlib.suppress(StoreError):
                store.keep_snapshot_rows(scheme.id, locked)
    return sorted([(m, scheme.digest) for m in live] + list(locked.items()))


def _kept_state(
    store: Store, scheme: Scheme, months: list[str] | None
) -> tuple[dict[str, str], list[str], dict[str, str], list[str]]:
    """Of the stored months among `months` (all when None): the locked ones under this scheme
    (month → snapshot key), the live ones, their inputs keys, and the live ones not kept under
    the scheme's digest with those inputs."""
    held = store.periods()
    months = sorted(set(held) if months is None else set(months) & set(held))
    locked = {
        m: key
        for m, (scheme_id, key) in store.snapshot_keys(months).items()
        if scheme_id == scheme.id
    }
    live = [m for m in months if m not in locked]
    inputs = inputs_keys(scheme, store.adjustments(live), live, store.targets(live))
    missing = sorted(set(live) - set(store.kept_periods(scheme.id, scheme.digest, inputs)))
    return locked, live, inputs, missing


def keep_every_month(
    store: Store,
    scheme: Scheme,
    progress: Callable[[int, int], None] | None = None,
    months_at_once: int = 6,
) -> int:
    """Score and keep every stored month not kept yet under the scheme (a version just adopted),
    newest first, a few months at a time (each part one short write: other writers wait for
    it), telling `progress(done, total)` before and after each part; locked months stay as they
    were locked. Returns how many months it kept; StoreError when a part could not be kept."""
    if not scheme.digest or store.read_only:
        return 0
    with store.held():
        missing = _kept_state(store, scheme, None)[3][::-1]  # newest first
    tell = progress or (lambda done, total: None)
    tell(0, len(missing))
    for start in range(0, len(missing), months_at_once):
        part = missing[start : start + months_at_once]
        if kept_keys(store, scheme, part) is None:
            raise StoreError(
                f"{', '.join(part)} could not be kept (the store is busy or read-only)"
            )
        tell(min(start + months_at_once, len(missing)), len(missing))
    return len(missing)


def rules_table(store: Store, scheme: Scheme, rules: Rules) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every stored month's scored rows with the rules' inputs (see with_inputs), holding only
    the columns the rules read: the same report as the whole table with every fact, for a
    fraction of the reading (issue 19). Also the input cells that could not be read."""
    with store.held():
        monthly = kept_columns(store, scheme, columns_read(rules))
        if monthly is None:
            monthly = monthly_rows(store, scheme, columns=columns_read(rules))
        wanted = input_columns(store.fact_columns(), rules, monthly.columns)
        facts = store.facts(columns=wanted) if wanted else None
    return with_inputs(monthly, facts, rules)


def trend_rows(
    store: Store,
    scheme: Scheme,
    last: str,
    departments: tuple[str, ...] | None = None,
    teams: tuple[str, ...] = (),
    roles: tuple[str, ...] = (),
) -> pd.DataFrame:
    """What the report pack's trend draws from (period, total): the rows in the departments
    (None: all), teams and roles of the last TREND_MONTHS months up to `last` that hold a total,
    read from the kept rows in the database, in monthly_rows' order (so their means are the
    same to the last digit); from monthly_rows when nothing can be kept."""
    keys = kept_keys(store, scheme)
    if keys is None:
        rows = select(monthly_rows(store, scheme), (), teams, roles)
        if departments is not None:
            rows = rows[rows["department"].isin(list(departments))]
        return rows[["period", "total"]]
    keys = [(month, key) for month, key in keys if month <= last]
    means = store.department_means(scheme.id, keys, departments, teams, roles)
    held = sorted(set(means.loc[means["mean_total"].notna(), "period"]))[-TREND_MONTHS:]
    chosen = [(month, key) for month, key in keys if month in set(held)]
    return store.kept_totals(scheme.id, chosen, departments, teams, roles)


def kept_columns(store: Store, scheme: Scheme, columns: list[str]) -> pd.DataFrame | None:
    """monthly_rows(store, scheme, columns=columns), every stored month, from the kept copies
    joined in Arrow and made a pandas table once instead of once per month and joined again
    (120 months of 8,334 people: 1.5 → 0.5 s of CPU). None when that could differ: a month not
    kept (a scheme without a digest, a read-only store), or months whose columns do not turn
    into the same pandas types; monthly_rows then does it month by month."""
    keys = kept_keys(store, scheme)
    if not keys:
        return None
    parts = store.kept_month_tables(scheme.id, keys, columns)
    if len(parts) != len(keys):
        return None
    tables = [parts[month] for month, _ in keys]  # oldest month first, as monthly_rows
    if not _same_types(tables):
        return None
    joined = pa.concat_tables(tables).to_pandas()
    for column in ("status", "status_note"):  # as _joined has them across months
        kind = joined[column].dtype if column in joined else None
        if len(tables) > 1 and kind is not None and not isinstance(kind, pd.CategoricalDtype):
            joined[column] = joined[column].astype("category")
    return joined


def _same_types(tables: list[pa.Table]) -> bool:
    """Whether the months' tables join into what pandas' concat of each made pandas gives: the
    same columns and Arrow types, the same pandas type from each month's own metadata (a
    nullable integer stays one), and the same categories in every month."""
    first = tables[0].schema
    if any(not t.schema.equals(first) for t in tables):
        return False
    made = {}
    for table in tables:  # a month's pandas types from its metadata: months mostly share it
        said = (table.schema.metadata or {}).get(b"pandas")
        if said not in made:
            made[said] = table.slice(0, 0).to_pandas().dtypes
    kinds = list(made.values())
    if any(not kinds[0].equals(other) for other in kinds[1:]):
        return False
    for i, field in enumerate(first):
        if pa.types.is_dictionary(field.type):
            words = [chunk.dictionary for t in tables for chunk in t.column(i).chunks]
            if any(not w.equals(words[0]) for w in words[1:]):
                return False
    return True
