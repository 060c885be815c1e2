"""What-if simulation: a period re-scored under a changed scheme in milliseconds, compared with
the baseline (grades, transitions, departments, money), and solvers for a forced distribution of
grades and for a bonus pool."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction
from itertools import pairwise

import numpy as np
import pandas as pd

from engine.schemes.scheme import Kpi, Scheme
from engine.scoring.adjusted import adjusted_values
from engine.scoring.periods import Period, parse_period
from engine.scoring.score import (
    ROSTER_COLUMNS,
    SCORERS,
    grade_codes,
    kpi_values,
    money,
    money_inputs,
    plan_index,
    round_half_away,
    scheme_cutoffs,
)
from engine.scoring.targets import on_standard_scale, row_targets

PERSON_COLUMNS = ["employee_id", "name", "department", "team", "role"]
PAIR_COLUMNS = [
    "employee_id",
    "name",
    "department",
    "baseline_total",
    "scenario_total",
    "baseline_grade",
    "scenario_grade",
    "baseline_money",
    "scenario_money",
    "change",
    "team",
    "role",
]
NO_GRADE = -1
NO_GRADE_LABEL = "—"
# Cutoffs are searched in thousandths of a point: totals have two decimals, so a thousandth
# always leaves room for an empty grade between two neighbouring totals.
THOUSANDTHS = 1000
ROUND_STEPS = (10_000, 5_000, 1_000, 500, 100, 10, 1)  # 10, 5, 1, 0.5, 0.1, 0.01, 0.001 points
SWEEP_STEPS = (0.05, 0.1, 0.25, 0.5, 1.0, 5.0)
SWEEP_POINTS = 400
CHUNK_CELLS = 20_000_000  # groups × distinct totals counted at once in forced_cutoffs


# ------------------------------------------------------------------ the prepared period


@dataclass(frozen=True, eq=False)
class Basis:
    """A period prepared once for re-scoring: every monthly row's KPI values and baseline scores,
    the person each row belongs to, and the rows sorted into blocks that share a plan (role
    weights) and a pattern of counted KPIs, so a block's totals are one matrix-vector product."""

    scheme: Scheme
    period: str
    people: pd.DataFrame  # one row per person, the period's roster (latest month)
    values: np.ndarray  # monthly rows × KPIs, raw values
    scored: np.ndarray  # rows × KPIs: baseline score where the KPI counts, else 0
    person: np.ndarray  # the person (position in `people`) of each row
    months: np.ndarray  # months per person
    block_starts: np.ndarray  # rows of block b are block_starts[b]:block_starts[b + 1]
    block_plan: np.ndarray  # the plan of each block (0 = default weights, i = i-th role)
    block_counted: np.ndarray  # blocks × KPIs: True where the KPI counts in that block
    department: np.ndarray  # department code of each person
    departments: tuple[str, ...]
    # the columns money formulas read (KPI and money-input ids → values), rows in basis order
    money_columns: dict[str, np.ndarray] = field(default_factory=dict)
    # rows (basis order) graded / counted in the grade mix by their status; None: every row
    row_graded: np.ndarray | None = None
    row_in_mix: np.ndarray | None = None

    @property
    def single_month(self) -> bool:
        return len(self.person) == len(self.people)

    @property
    def row_plans(self) -> np.ndarray:
        """The plan (0 = default weights, i = i-th role) of each row."""
        return np.repeat(self.block_plan, np.diff(self.block_starts))


@dataclass(frozen=True, eq=False)
class Outcome:
    """A period scored under one scheme: per person and per monthly row (rows in basis order)."""

    grade_names: tuple[str, ...]
    total: np.ndarray
    grade: np.ndarray  # grade position, best first; NO_GRADE where there is no total
    money: np.ndarray
    row_total: np.ndarray
    row_grade: np.ndarray
    row_money: np.ndarray
    cutoffs: np.ndarray  # grade minimums: one row for everyone, or one row per person
    grade_counts: np.ndarray  # people per grade, then the people without a grade
    department_sums: np.ndarray  # per department: Σ total, people with a total, Σ money


def _method_key(kpi: Kpi) -> tuple:
    """Everything that decides a KPI's 0–100 score (not its weight or its names)."""
    return (
        kpi.method,
        kpi.direction,
        kpi.bands,
        kpi.max_points,
        kpi.tiers,
        kpi.floor,
        kpi.target,
        kpi.cap,
        kpi.per_incident,
        kpi.start,
        kpi.allow_negative,
        kpi.scale_min,
        kpi.scale_max,
    )


def _counts_policy(scheme: Scheme) -> np.ndarray:
    """Per KPI, True where a missing value counts as 0 (the "zero" policy)."""
    return np.array([(k.missing or scheme.missing) == "zero" for k in scheme.kpis])


def _score_columns(values: np.ndarray, kpis: Sequence[Kpi]) -> np.ndarray:
    """KPI scores (0–100, NaN where the value is missing), one column per KPI given."""
    out = np.empty((values.shape[0], len(kpis)), order="F")
    for j, kpi in enumerate(kpis):
        out[:, j] = SCORERS[kpi.method](values[:, j], kpi)
    return out


def prepare(
    facts: pd.DataFrame,
    scheme: Scheme,
    period: str | Period,
    eligible: pd.DataFrame | None = None,
) -> Basis:
    """Read a period's rows once: KPI values, baseline KPI scores, plans and people; with the
    facts' eligibility (engine.cycle.eligibility.flags: graded, in_mix, one row per facts row),
    who is graded and who counts in the grade mix, month by month."""
    chosen = parse_period(period) if isinstance(period, str) else period
    picked = facts["period"].isin(chosen.months).to_numpy()
    rows = facts[picked].reset_index(drop=True)
    rows = rows.sort_values(["employee_id", "period"], kind="stable")
    graded, in_mix = _eligible_rows(eligible, picked, rows.index.to_numpy())
    rows = rows.reset_index(drop=True)
    roster = rows.reindex(columns=["period", *ROSTER_COLUMNS])
    person = pd.factorize(roster["employee_id"], sort=True)[0]
    people = (
        roster.groupby("employee_id", sort=True)[PERSON_COLUMNS[1:]].last().reset_index()
        if len(rows)
        else pd.DataFrame(columns=PERSON_COLUMNS)
    )
    plans = plan_index(roster["role"], scheme)
    values = kpi_values(rows, scheme)
    # the values score_table scores: shrunk rates, rescaled ratings where the scheme asks
    scored_values, _ = adjusted_values(rows, roster, values, scheme)
    columns = {}
    if scheme.money_formulas:
        inputs = money_inputs(rows, scheme)
        columns = {k: values[k].to_numpy() for k in values} | {
            k: inputs[k].to_numpy() for k in inputs
        }
    # After the money columns (formulas read raw values): a person's or team's target, as the
    # values the scheme's linear formula scores against it.
    for kpi_id, target in row_targets(rows, scheme).items():
        values[kpi_id] = on_standard_scale(values[kpi_id].to_numpy(), target, scheme.kpi(kpi_id))
    return _arranged(
        scheme,
        chosen.label,
        people,
        scored_values.to_numpy(dtype=float),
        plans,
        person,
        columns,
        graded,
        in_mix,
    )


def _eligible_rows(
    eligible: pd.DataFrame | None, picked: np.ndarray, order: np.ndarray
) -> tuple[np.ndarray | None, np.ndarray | None]:
    """The graded and in-mix flags of the period's rows (the facts rows picked, in order); None
    where every row has the flag, so a period without statuses is scored exactly as today."""
    if eligible is None:
        return None, None
    graded = eligible["graded"].to_numpy(dtype=bool)[picked][order]
    in_mix = eligible["in_mix"].to_numpy(dtype=bool)[picked][order] & graded
    return (None if graded.all() else graded), (None if in_mix.all() else in_mix)


def _arranged(
    scheme: Scheme,
    period: str,
    people: pd.DataFrame,
    values: np.ndarray,
    plans: np.ndarray,
    person: np.ndarray,
    money_columns: dict[str, np.ndarray] | None = None,
    graded: np.ndarray | None = None,
    in_mix: np.ndarray | None = None,
) -> Basis:
    """The basis with rows sorted into blocks of one plan and one pattern of counted KPIs."""
    counted = ~np.isnan(values) | _counts_policy(scheme)
    pattern = counted @ (1 << np.arange(values.shape[1], dtype=np.int64))
    key = plans.astype(np.int64) << values.shape[1] | pattern
    order = np.argsort(key, kind="stable")
    key = key[order]
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]]) if key.size else np.array([], int)
    values = np.asfortranarray(values[order])
    scores = _score_columns(values, scheme.kpis)
    codes, departments = pd.factorize(people["department"].fillna("").astype(str))
    return Basis(
        scheme=scheme,
        period=period,
        people=people,
        values=values,
        scored=np.asfortranarray(np.where(counted[order], np.nan_to_num(scores), 0.0)),
        person=person[order],
        months=np.bincount(person, minlength=len(people)),
        block_starts=np.r_[starts, key.size],
        block_plan=plans[order][starts],
        block_counted=counted[order][starts],
        department=codes,
        departments=tuple(departments),
        money_columns={k: v[order] for k, v in (money_columns or {}).items()},
        row_graded=None if graded is None else graded[order],
        row_in_mix=None if in_mix is None else in_mix[order],
    )


def subset(basis: Basis, keep: np.ndarray | pd.Series) -> Basis:
    """The basis for some of its people only (a department filter, say)."""
    keep = np.asarray(keep, dtype=bool)
    rows = keep[basis.person]
    plans = np.repeat(basis.block_plan, np.diff(basis.block_starts))
    return _arranged(
        basis.scheme,
        basis.period,
        basis.people[keep].reset_index(drop=True),
        basis.values[rows],
        plans[rows],
        (np.cumsum(keep) - 1)[basis.person[rows]],
        {k: v[rows] for k, v in basis.money_columns.items()},
        None if basis.row_graded is None else basis.row_graded[rows],
        None if basis.row_in_mix is None else basis.row_in_mix[rows],
    )


# ------------------------------------------------------------------ re-scoring


def totals_key(scheme: Scheme) -> tuple:
    """Everything the totals depend on (weights, scoring rules, missing policies), as a small
    hashable value: two schemes with the same key give the same totals, so a change of cutoffs
    or money only needs `regrade`."""
    plans = tuple(
        (tuple(sorted(p.category_weights.items())), tuple(sorted(p.kpi_weights.items())))
        for p in scheme.plans
    )
    kpis = tuple((k.id, k.category, k.missing, _method_key(k)) for k in scheme.kpis)
    return (scheme.missing, plans, kpis)


def changed_kpis(basis: Basis, scheme: Scheme) -> list[int]:
    """Positions of the KPIs whose scoring rule differs from the baseline's."""
    if [k.id for k in scheme.kpis] != [k.id for k in basis.scheme.kpis]:
        raise ValueError("a scenario must keep the baseline's KPIs (same ids, same order)")
    if not np.array_equal(_counts_policy(scheme), _counts_policy(basis.scheme)):
        raise ValueError("a scenario must keep the baseline's rule for missing values")
    return [
        j
        for j, (old, new) in enumerate(zip(basis.scheme.kpis, scheme.kpis, strict=True))
        if _method_key(old) != _method_key(new)
    ]


def block_weights(basis: Basis, scheme: Scheme) -> np.ndarray:
    """Blocks × KPIs: what each KPI score weighs in a row's total. Within a block the same KPIs
    count, so a category's counted KPI weights and the categories with a score are fixed: the
    total is Σ category weight × (Σ kpi weight × score / counted kpi weight) / category weights
    present, one weight per KPI. A block where nothing counts gets NaN weights (no total)."""
    member = np.array(
        [[k.category == c for c in scheme.category_ids] for k in scheme.kpis], dtype=float
    )
    kpi_weights = np.array(
        [[p.kpi_weights.get(k, 0.0) for k in scheme.kpi_ids] for p in scheme.plans]
    )
    cat_weights = np.array(
        [[p.category_weights.get(c, 0.0) for c in scheme.category_ids] for p in scheme.plans]
    )
    weights = kpi_weights[basis.block_plan] * basis.block_counted  # blocks × KPIs
    per_category = weights @ member  # blocks × categories
    has = per_category > 0
    categories = cat_weights[basis.block_plan] * has
    present = categories.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(has, categories / np.where(has, per_category, 1.0), 0.0) / present
    return weights * (share @ member.T)


def row_totals(basis: Basis, scheme: Scheme) -> np.ndarray:
    """Each monthly row's total (2 decimals), as score_table computes it: category scores are
    weighted means of the KPIs that count, the total the weighted mean of the categories that
    have a score; a row where nothing counts has no total. Only KPIs whose rule changed are
    scored again; the others come from the baseline's scores."""
    changed = changed_kpis(basis, scheme)
    weights = block_weights(basis, scheme)
    kept = weights.copy()
    kept[:, changed] = 0.0
    fresh = np.nan_to_num(
        _score_columns(basis.values[:, changed], [scheme.kpis[j] for j in changed])
    )
    raw = np.empty(len(basis.person))
    for block, (start, stop) in enumerate(pairwise(basis.block_starts)):
        raw[start:stop] = basis.scored[start:stop] @ kept[block]
    sizes = np.diff(basis.block_starts)
    for column, j in enumerate(changed):
        raw += fresh[:, column] * np.repeat(weights[:, j], sizes)
    return round_half_away(raw)


def person_totals(basis: Basis, row_total: np.ndarray) -> np.ndarray:
    """Each person's total of the period: the mean of the monthly totals, 2 decimals."""
    if basis.single_month:
        return _person_rows(basis, row_total)
    sums, counts = _person_sums(basis, row_total)
    with np.errstate(invalid="ignore", divide="ignore"):
        return round_half_away(np.where(counts > 0, sums / counts, np.nan))


def mix_rows(basis: Basis, row_values: np.ndarray, outside: float = np.nan) -> np.ndarray:
    """Monthly values (totals, grades) with `outside` in the months a person does not count in
    the grade mix (not graded, or a status the mix leaves out): what a bonus pool counts."""
    if basis.row_in_mix is None:
        return row_values
    return np.where(basis.row_in_mix, row_values, outside)


def mix_people(basis: Basis) -> np.ndarray:
    """Per person, True when in the grade mix in at least one month of the period."""
    if basis.row_in_mix is None:
        return np.ones(len(basis.people), dtype=bool)
    return np.bincount(basis.person[basis.row_in_mix], minlength=len(basis.people)) > 0


def mix_totals(basis: Basis, row_total: np.ndarray) -> np.ndarray:
    """Each person's total of the period, NaN for a person in the grade mix in none of its
    months: what a forced distribution shares out."""
    total = person_totals(basis, row_total)
    return total if basis.row_in_mix is None else np.where(mix_people(basis), total, np.nan)


def _per_person(basis: Basis, row_values: np.ndarray) -> np.ndarray:
    """The sum over each person's months, NaN for a person without any value."""
    if basis.single_month:
        return _person_rows(basis, row_values)
    sums, counts = _person_sums(basis, row_values)
    return np.where(counts > 0, round_half_away(sums), np.nan)


def _person_rows(basis: Basis, row_values: np.ndarray) -> np.ndarray:
    """With one month, each person's one row."""
    out = np.empty(len(basis.people))
    out[basis.person] = row_values
    return out


def _person_sums(basis: Basis, row_values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per person, the sum of the months with a value and how many months have one."""
    has = ~np.isnan(row_values)
    people = len(basis.people)
    sums = np.bincount(basis.person[has], row_values[has], minlength=people)
    return sums, np.bincount(basis.person[has], minlength=people)


def regrade(
    basis: Basis, scheme: Scheme, row_total: np.ndarray, cutoffs: np.ndarray | None = None
) -> Outcome:
    """Grades and money from totals already computed, under the scheme's cutoffs or others
    (one row for everyone, or one row per person, e.g. per department)."""
    cutoffs = scheme_cutoffs(scheme) if cutoffs is None else np.asarray(cutoffs, dtype=float)
    total = person_totals(basis, row_total)
    grade = grade_codes(total, cutoffs)
    if basis.single_month:
        row_grade = grade[basis.person]
    else:
        row_grade = grade_codes(row_total, cutoffs if cutoffs.ndim == 1 else cutoffs[basis.person])
    money_rows = money(row_total, row_grade, scheme, basis.money_columns, basis.row_plans)
    graded = basis.row_graded
    if graded is not None:
        # A month whose status is not graded keeps its total but has no grade and no money; a
        # longer period is graded on the mean of all its months, as the scored table has it.
        row_grade = np.where(graded, row_grade, NO_GRADE)
        money_rows = np.where(graded, money_rows, np.nan)
        if basis.single_month:
            grade[basis.person[~graded]] = NO_GRADE
    person_money = _per_person(basis, money_rows)
    size = len(scheme.grade_names)
    return Outcome(
        grade_names=tuple(scheme.grade_names),
        total=total,
        grade=grade,
        money=person_money,
        row_total=row_total,
        row_grade=row_grade,
        row_money=money_rows,
        cutoffs=cutoffs,
        grade_counts=np.bincount(np.where(grade < 0, size, grade), minlength=size + 1),
        department_sums=_department_sums(basis, total, person_money),
    )


def _department_sums(basis: Basis, total: np.ndarray, money: np.ndarray) -> np.ndarray:
    size = len(basis.departments)
    has, paid = ~np.isnan(total), ~np.isnan(money)
    return np.column_stack(
        [
            np.bincount(basis.department[has], total[has], minlength=size),
            np.bincount(basis.department[has], minlength=size),
            np.bincount(basis.department[paid], money[paid], minlength=size),
        ]
    )


def simulate(basis: Basis, scheme: Scheme, cutoffs: np.ndarray | None = None) -> Outcome:
    """The period re-scored under a scheme: totals, grades and money (no ranks)."""
    return regrade(basis, scheme, row_totals(basis, scheme), cutoffs)


def department_cutoffs(basis: Basis, table: np.ndarray) -> np.ndarray:
    """One row of cutoffs per person from one row per department (in basis.departments order)."""
    return np.asarray(table, dtype=float)[basis.department]


# ------------------------------------------------------------------ baseline against scenario


def table(basis: Basis, outcome: Outcome, prefix: str = "") -> pd.DataFrame:
    """One row per person: roster, total, grade and money (columns prefixed if asked)."""
    names = np.array([*outcome.grade_names, None], dtype=object)
    return basis.people.assign(
        **{
            f"{prefix}total": outcome.total,
            f"{prefix}grade": names[outcome.grade],
            f"{prefix}money": outcome.money,
        }
    )


def grade_summary(base: Outcome, scenario: Outcome) -> pd.DataFrame:
    """Per grade, the headcount and share (% of graded people) before and after."""
    out = {"grade": list(base.grade_names)}
    for label, outcome in (("baseline", base), ("scenario", scenario)):
        counts = outcome.grade_counts[:-1]
        out[label] = counts
        out[f"{label}_share"] = np.round(100.0 * counts / max(counts.sum(), 1), 1)
    frame = pd.DataFrame(out)
    return frame.assign(change=frame["scenario"] - frame["baseline"])


def transitions(base: Outcome, scenario: Outcome) -> pd.DataFrame:
    """Headcount by baseline grade (rows) and scenario grade (columns); a "—" row and column
    hold people without a total, when there are any. The cells add up to the headcount."""
    size = len(base.grade_names) + 1
    # NO_GRADE (−1) goes last: positions 0..G−1 are the grades, G is "no grade".
    before = np.where(base.grade < 0, size - 1, base.grade)
    after = np.where(scenario.grade < 0, size - 1, scenario.grade)
    counts = np.bincount(before * size + after, minlength=size * size).reshape(size, size)
    labels = [*base.grade_names, NO_GRADE_LABEL]
    matrix = pd.DataFrame(counts, index=labels, columns=labels)
    if counts[-1].sum() == 0 and counts[:, -1].sum() == 0:
        matrix = matrix.iloc[:-1, :-1]
    return matrix.rename_axis(index="baseline", columns="scenario")


def department_shift(basis: Basis, base: Outcome, scenario: Outcome) -> pd.DataFrame:
    """Per department: headcount, mean total and money before and after, people up and down."""
    size = len(basis.departments)
    graded = (base.grade >= 0) & (scenario.grade >= 0)
    # −1 up (a better grade), 0 the same, +1 down; then one count per department and direction.
    moved = np.where(graded, np.sign(scenario.grade - base.grade), 0) + 1
    directions = np.bincount(basis.department * 3 + moved, minlength=size * 3).reshape(size, 3)

    def mean(sums: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            return round_half_away(np.where(sums[:, 1] > 0, sums[:, 0] / sums[:, 1], np.nan))

    frame = pd.DataFrame(
        {
            "department": list(basis.departments),
            "headcount": np.bincount(basis.department, minlength=size),
            "baseline_mean": mean(base.department_sums),
            "scenario_mean": mean(scenario.department_sums),
            "up": directions[:, 0],
            "down": directions[:, 2],
            "baseline_money": round_half_away(base.department_sums[:, 2]),
            "scenario_money": round_half_away(scenario.department_sums[:, 2]),
        }
    )
    frame["money_change"] = round_half_away(frame["scenario_money"] - frame["baseline_money"])
    return frame.sort_values("department", ignore_index=True)


def money_totals(base: Outcome, scenario: Outcome) -> dict[str, float]:
    """The money of everyone before and after, and the difference."""
    before = float(round_half_away(np.nansum(base.money)))
    after = float(round_half_away(np.nansum(scenario.money)))
    return {"baseline": before, "scenario": after, "change": float(round_half_away(after - before))}


def _pairs(basis: Basis, base: Outcome, scenario: Outcome, rows: np.ndarray) -> pd.DataFrame:
    """People with both totals, grades and amounts, by baseline grade, scenario grade, total."""
    names = np.array([*base.grade_names, None], dtype=object)
    people = basis.people[rows].reset_index(drop=True)
    frame = people.assign(
        baseline_total=base.total[rows],
        scenario_total=scenario.total[rows],
        change=round_half_away(scenario.total[rows] - base.total[rows]),
        baseline_grade=names[base.grade[rows]],
        scenario_grade=names[scenario.grade[rows]],
        baseline_money=base.money[rows],
        scenario_money=scenario.money[rows],
        order_before=base.grade[rows],
        order_after=scenario.grade[rows],
    )
    frame = frame.sort_values(
        ["order_before", "order_after", "scenario_total", "employee_id"],
        ascending=[True, True, False, True],
        ignore_index=True,
    )
    return frame[PAIR_COLUMNS]


def changed_people(basis: Basis, base: Outcome, scenario: Outcome) -> pd.DataFrame:
    """Everyone whose grade differs, with both totals, both grades and both amounts."""
    return _pairs(basis, base, scenario, base.grade != scenario.grade)


def people_in_cell(
    basis: Basis, base: Outcome, scenario: Outcome, before: str, after: str
) -> pd.DataFrame:
    """The people of one transition-matrix cell (grade names, "—" for no grade)."""

    def code(name: str) -> int:
        return NO_GRADE if name == NO_GRADE_LABEL else base.grade_names.index(name)

    rows = (base.grade == code(before)) & (scenario.grade == code(after))
    return _pairs(basis, base, scenario, rows)


# ------------------------------------------------------------------ sensitivity


def cutoff_sweep(
    totals: np.ndarray,
    cutoffs: Sequence[float],
    index: int,
    grade_names: Sequence[str],
    marks: Sequence[float] = (),
) -> pd.DataFrame:
    """The share (%) of each grade as cutoff `index` moves between its neighbours (0 and 100 at
    the ends), the other cutoffs held: long form (cutoff, grade, share), one curve per grade.
    The sweep steps evenly (at most about 400 steps) and passes through the cutoff and `marks`."""
    cutoffs = np.asarray(cutoffs, dtype=float)
    graded = np.sort(totals[~np.isnan(totals)])
    if graded.size == 0:
        return pd.DataFrame(columns=["cutoff", "grade", "share"])
    top, bottom = max(100.0, graded[-1], cutoffs[0]), min(0.0, graded[0], cutoffs[-1])
    high = cutoffs[index - 1] if index > 0 else top
    low = cutoffs[index + 1] if index + 1 < len(cutoffs) else bottom
    step = next(s for s in SWEEP_STEPS if (high - low) / s <= SWEEP_POINTS)
    inside = [m for m in (cutoffs[index], *marks) if low <= m <= high]
    sweep = np.unique(np.round(np.r_[np.arange(low, high, step), high, inside], 3))
    grid = np.repeat(cutoffs[None, :], sweep.size, axis=0)
    grid[:, index] = sweep
    at_least = graded.size - np.searchsorted(graded, grid, side="left")  # people ≥ each cutoff
    edges = np.column_stack([np.zeros(sweep.size), at_least, np.full(sweep.size, graded.size)])
    shares = 100.0 * np.diff(edges) / graded.size
    frame = pd.DataFrame(shares, columns=list(grade_names)).assign(cutoff=sweep)
    return frame.melt(id_vars="cutoff", var_name="grade", value_name="share")


def near_boundary(basis: Basis, outcome: Outcome, within: float) -> pd.DataFrame:
    """People within `within` points below the next better grade: the points each one needs."""
    graded = outcome.grade > 0
    cutoffs = outcome.cutoffs if outcome.cutoffs.ndim == 2 else outcome.cutoffs[None, :]
    rows = np.flatnonzero(graded)
    limits = cutoffs[rows if outcome.cutoffs.ndim == 2 else 0, outcome.grade[rows] - 1]
    needed = round_half_away(limits - outcome.total[rows], 3)
    close = needed <= within
    rows, needed = rows[close], needed[close]
    names = np.array(outcome.grade_names, dtype=object)
    frame = basis.people.iloc[rows].reset_index(drop=True)
    frame = frame.assign(
        total=outcome.total[rows],
        grade=names[outcome.grade[rows]],
        next_grade=names[outcome.grade[rows] - 1],
        points_needed=needed,
    )
    columns = ["employee_id", "name", "department", "total", "grade", "next_grade"]
    frame = frame[[*columns, "points_needed", "team", "role"]]
    return frame.sort_values(["points_needed", "employee_id"], ignore_index=True)


# ------------------------------------------------------------------ forced distribution


def _roundest(low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """The roundest number of thousandths in each (low, high] (10, 5, 1, 0.5, … points)."""
    chosen, found = np.array(high, dtype=np.int64), np.zeros(np.shape(high), dtype=bool)
    for step in ROUND_STEPS:
        candidate = (high // step) * step
        take = ~found & (candidate > low)
        chosen[take], found = candidate[take], found | take
    return chosen


def _distinct(totals: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct totals, best first, in thousandths, and each total's position among them;
    found by counting over the range of totals (in hundredths), not by sorting."""
    marks = np.round(totals * 100).astype(np.int64)
    if marks.size == 0:
        return np.zeros(0, dtype=np.int64), marks
    top = int(marks.max())
    present = np.bincount(top - marks) > 0  # index 0 = the best total
    position = np.cumsum(present) - 1
    values = (top - np.flatnonzero(present)) * 10
    return values, position[top - marks]


def _at_or_above(position: np.ndarray, codes: np.ndarray, groups: int, width: int) -> np.ndarray:
    """Per group, the people at or above each distinct total (best first), after a first column
    of 0 for "nobody": groups × (width + 1), by counting."""
    counts = np.bincount(codes * width + position, minlength=groups * width)
    above = np.zeros((groups, width + 1), dtype=np.int64)
    np.cumsum(counts.reshape(groups, width), axis=1, out=above[:, 1:])
    return above


def forced_cutoffs(
    totals: np.ndarray,
    shares: Sequence[float],
    groups: np.ndarray | None = None,
    group_count: int = 1,
) -> np.ndarray:
    """Grade minimums (best first) that come closest to the target shares (%, best first), for
    everyone, or for each group (codes 0..group_count−1) separately (one row per group).

    Totals have two decimals. Each minimum lies between two distinct totals, so people with equal
    totals always share a grade; it is placed where the count of people at or above it is closest
    to the cumulative target (优秀, 优秀+良好, …); on an exact tie the stricter place wins.
    Between the two totals the roundest number is taken (87 rather than 87.35); an empty grade
    gets a minimum just below the grade above it.
    """
    codes = np.zeros(len(totals), dtype=np.int64) if groups is None else np.asarray(groups)
    has = ~np.isnan(totals)
    values, position = _distinct(totals[has])
    code = codes[has].astype(np.int64)
    shares = np.asarray(shares, dtype=float)
    cumulative = np.cumsum(shares)[:-1] / shares.sum()
    chunk = max(1, CHUNK_CELLS // max(values.size, 1))  # bounds the counting table's memory
    rows = [
        _forced_chunk(values, position, code, first, min(chunk, group_count - first), cumulative)
        for first in range(0, group_count, chunk)
    ]
    cutoffs = np.vstack(rows) / THOUSANDTHS
    return cutoffs[0] if groups is None else cutoffs


def _forced_chunk(
    values: np.ndarray,
    position: np.ndarray,
    code: np.ndarray,
    first: int,
    count: int,
    cumulative: np.ndarray,
) -> np.ndarray:
    """forced_cutoffs for groups first..first+count−1, in thousandths."""
    width = values.size
    inside = (code >= first) & (code < first + count)
    above = _at_or_above(position[inside], code[inside] - first, count, width)
    sizes = above[:, -1]
    reached = above.ravel()
    # One sorted array for all groups: each row offset by more than any count in it.
    offsets = np.arange(count)[:, None] * (int(sizes.max(initial=0)) + 1)
    keys = (above + offsets).ravel()
    row_start = np.arange(count)[:, None] * (width + 1)
    wanted = sizes[:, None] * cumulative[None, :]
    after = np.minimum(np.searchsorted(keys, offsets + wanted), row_start + width)
    before = np.maximum(after - 1, row_start)
    closer_before = (wanted - reached[before]) <= (reached[after] - wanted)
    place = np.where(closer_before, before, after)
    # The columns with the same count as the place: the minimum may lie anywhere among them.
    level_first = np.searchsorted(keys, keys[place], side="left") - row_start
    level_last = np.searchsorted(keys, keys[place], side="right") - 1 - row_start

    def value(column: np.ndarray) -> np.ndarray:  # column c ≥ 1 holds the c-th distinct total
        return values[np.clip(column - 1, 0, max(width - 1, 0))] if width else column * 0

    best = value(np.argmax(above > 0, axis=1))[:, None]
    nobody = level_first == 0
    high = np.where(nobody, np.maximum(best + 100, 100 * THOUSANDTHS), value(level_first))
    lower = value(level_last + 1)
    low = np.where(nobody, best, np.where(level_last < width, lower, high - 10 * THOUSANDTHS))
    empty = sizes[:, None] == 0
    high, low = np.where(empty, 100 * THOUSANDTHS, high), np.where(empty, -(10**9), low)
    chosen = np.empty_like(high)
    for k in range(high.shape[1]):  # a grade's minimum stays below the one above it
        ceiling = high[:, k] if k == 0 else np.minimum(high[:, k], chosen[:, k - 1] - 1)
        chosen[:, k] = _roundest(low[:, k], ceiling)
    return chosen


def grade_shares(
    outcome: Outcome,
    groups: np.ndarray | None = None,
    labels: Sequence[str] = ("",),
    counted: np.ndarray | None = None,
) -> pd.DataFrame:
    """The share (%) of graded people in each grade, overall or per group (codes into labels);
    only the people `counted` (e.g. mix_people) when given."""
    names = list(outcome.grade_names)
    codes = np.zeros(len(outcome.grade), dtype=np.int64) if groups is None else groups
    graded = outcome.grade >= 0
    if counted is not None:
        graded &= counted
    size = len(names)
    counts = np.bincount(
        codes[graded] * size + outcome.grade[graded], minlength=len(labels) * size
    ).reshape(len(labels), size)
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = np.round(100.0 * counts / counts.sum(axis=1, keepdims=True), 1)
    return pd.DataFrame(shares, columns=names).assign(
        group=list(labels), headcount=counts.sum(axis=1)
    )[["group", "headcount", *names]]


# ------------------------------------------------------------------ bonus pool


@dataclass(frozen=True)
class BudgetFit:
    """What fits a bonus pool: the new amounts, base or top cutoff, the total and what is left."""

    total: float
    remainder: float
    amounts: tuple[float, ...] = ()
    base: float | None = None
    top_cutoff: float | None = None


def _grade_counts(row_grade: np.ndarray, grades: int) -> np.ndarray:
    return np.bincount(row_grade[row_grade >= 0], minlength=grades)


def fit_amounts(row_grade: np.ndarray, amounts: Sequence[float], pool: float) -> BudgetFit:
    """Money per grade scaled by one factor (their ratios kept) so the total fits the pool.

    Each amount is rounded down to the yuan, so the total never exceeds the pool; of every
    factor whose total fits, the one paying the largest total is taken (the largest such factor
    when several pay it), and what is left of the pool is reported.
    """
    counts = [int(n) for n in _grade_counts(row_grade, len(amounts))]
    exact = [Fraction(a).limit_denominator(10**6) for a in amounts]
    paid_for = [a if n else Fraction(0) for n, a in zip(counts, exact, strict=True)]
    scale = sum(n * a for n, a in zip(counts, paid_for, strict=True))
    if scale <= 0:
        raise ValueError("the current amounts pay nothing in total, so they cannot be scaled")
    best, best_total = (Fraction(0), False), None
    for factor in _budget_factors(counts, paid_for, Fraction(pool), scale):
        total = sum(n * x for n, x in zip(counts, _paid_at(factor, exact), strict=True))
        if total <= pool and (best_total is None or total >= best_total):
            best, best_total = factor, total
    paid = _paid_at(best, exact)
    return BudgetFit(
        total=float(best_total), remainder=float(pool - best_total), amounts=tuple(paid)
    )


def _budget_factors(
    counts: list[int], amounts: list[Fraction], pool: Fraction, scale: Fraction
) -> list[tuple[Fraction, bool]]:
    """Every factor at which some paid amount steps, each at the step and just after it
    (True), in increasing order: between two steps nothing changes, so these give every total
    there is. Rounding down takes less than a yuan per person, so the total at factor k lies in
    (k·scale − people, k·scale]: k = pool / scale fits and pays more than pool − people, and
    only factors within people / scale of it can pay more or still fit."""
    people = sum(n for n, a in zip(counts, amounts, strict=True) if a)
    low, high = max(Fraction(0), (pool - people) / scale), (pool + people) / scale
    found = {low}
    for step in {1 / abs(a) for a in amounts if a}:  # amount a steps at k = m / |a|
        first, last = math.floor(low / step), math.floor(high / step)
        found.update(m * step for m in range(first, last + 1))
    return [(k, after) for k in sorted(found) for after in (False, True)]


def _paid_at(factor: tuple[Fraction, bool], amounts: list[Fraction]) -> list[int]:
    """Each amount times the factor, rounded down to the yuan; just after a step (True) a
    negative amount that was whole at the step has already gone one yuan further down."""
    k, after = factor
    return [math.floor(k * a) - (after and a < 0 and (k * a).denominator == 1) for a in amounts]


def fit_base(
    row_total: np.ndarray, row_grade: np.ndarray, scheme: Scheme, pool: float
) -> BudgetFit:
    """The largest base, to the yuan, whose money (performance pay or grade coefficients) fits
    the pool; the ratios between people stay as the scheme has them."""

    def total_at(base: float) -> float:
        trial = replace(scheme, money=replace(scheme.money, base=float(base)))
        return float(np.nansum(money(row_total, row_grade, trial)))

    per_yuan = total_at(1.0)
    if per_yuan <= 0:
        raise ValueError("the money rule pays nothing at any base, so no base fits the pool")
    base = math.floor(pool / per_yuan)
    while base > 0 and total_at(base) > pool:
        base -= 1
    while total_at(base + 1) <= pool:
        base += 1
    total = round(total_at(base), 2)
    return BudgetFit(total=total, remainder=round(pool - total, 2), base=float(base))


def fit_top_cutoff(
    row_total: np.ndarray, cutoffs: Sequence[float], amounts: Sequence[float], pool: float
) -> BudgetFit:
    """The lowest minimum for the best grade whose fixed amounts fit the pool: raising it moves
    people from the best grade to the next, the other grades keep their amounts. Raises
    ValueError when the best grade earns no more than the next, or not even an empty best grade
    fits."""
    cutoffs = np.asarray(cutoffs, dtype=float)
    amounts = np.asarray(amounts, dtype=float)
    if amounts[0] <= amounts[1]:
        raise ValueError("the best grade earns no more than the next, so its minimum cannot help")
    totals = row_total[~np.isnan(row_total)]
    codes = grade_codes(totals, cutoffs)
    top_two = codes <= 1
    room = pool - amounts[codes[~top_two]].sum() - amounts[1] * top_two.sum()
    allowed = math.floor(room / (amounts[0] - amounts[1]) + 1e-9)  # rows the best grade may hold
    if allowed < 0:
        raise ValueError("the pool is too small even with nobody in the best grade")
    # Only totals above the next grade's minimum can be in the best grade.
    floor = round(cutoffs[1] * 100) if len(cutoffs) > 1 else -(10**9)
    candidates = totals[top_two]
    candidates = candidates[np.round(candidates * 100) > floor]
    if candidates.size == 0:
        raise ValueError("nobody is above the next grade's minimum, so the best grade is empty")
    values, position = _distinct(candidates)
    width = values.size
    above = _at_or_above(position, np.zeros(position.size, dtype=np.int64), 1, width)[0]
    column = int(np.searchsorted(above, allowed, side="right")) - 1  # the most that fit
    # The best grade then holds the totals of columns 1..column; the minimum goes between the
    # lowest of them and the next total below (or the next grade's minimum).
    first_same = int(np.searchsorted(above, above[column], side="left"))
    if first_same == 0:  # nobody fits: just above the best total
        best = int(values[0])
        chosen = _roundest(np.array(best), np.array(max(best + 100, 100 * THOUSANDTHS)))
    else:
        following = int(np.searchsorted(above, above[column], side="right"))
        low = int(values[following - 1]) if following <= width else floor * 10
        chosen = _roundest(np.array(low), np.array(int(values[first_same - 1])))
    top_cutoff = float(chosen) / THOUSANDTHS
    new_cutoffs = np.concatenate([[top_cutoff], cutoffs[1:]])
    money = float(amounts[grade_codes(totals, new_cutoffs)].sum())
    return BudgetFit(total=money, remainder=float(pool - money), top_cutoff=top_cutoff)


# ------------------------------------------------------------------ the guide's buckets


def default_buckets(grades: int) -> list[int]:
    """The common guide's three buckets (20 / 70 / 10) over a scheme's grades, best first: the
    worst grade alone at the bottom, the two grades above it in the middle (one when the scheme
    has three grades), the rest at the top (five grades: 优秀+良好 / 合格+及格 / 不合格)."""
    middle = 2 if grades >= 4 else 1
    top = max(grades - middle - 1, 1)
    return ([0] * top + [1] * middle + [2])[:grades]


def bucket_problems(bucket_of: Sequence[int], buckets: int) -> list[tuple[str, str]]:
    """Why a mapping of grades (best first) onto buckets (0 = the best bucket) cannot be used,
    in Chinese and English: every bucket needs a grade and a bucket's grades must be neighbours."""
    found = list(bucket_of)
    problems = []
    empty = [b + 1 for b in range(buckets) if b not in found]
    if empty:
        listed = ", ".join(str(b) for b in empty)
        problems.append(
            (f"第 {listed} 组没有对应的等级。", f"Bucket {listed} has no grade mapped to it.")
        )
    if any(later < earlier for earlier, later in pairwise(found)):
        problems.append(
            (
                "等级须按从好到差依次归入各组(较差的等级不能归入更靠前的组)。",
                "Grades go into the buckets in order, best first (a worse grade cannot be in an "
                "earlier bucket).",
            )
        )
    return problems


def bucket_shares(
    bucket_of: Sequence[int], bucket_targets: Sequence[float], mix: Sequence[float]
) -> np.ndarray:
    """Each grade's target share (%) from the buckets' shares: a bucket's share is split among
    its grades in proportion to `mix` (the scheme's target mix), equally when the mix gives its
    grades nothing."""
    of = np.asarray(bucket_of, dtype=np.int64)
    weights = np.asarray(mix, dtype=float)
    sums = np.bincount(of, weights=weights, minlength=len(bucket_targets))
    sizes = np.bincount(of, minlength=len(bucket_targets))
    part = np.where(sums[of] > 0, weights / np.where(sums[of] > 0, sums[of], 1), 1 / sizes[of])
    return np.asarray(bucket_targets, dtype=float)[of] * part


def bucket_achieved(grade_counts: np.ndarray, bucket_of: Sequence[int], buckets: int):
    """People and share (%) in each bucket, from the people per grade (best first)."""
    counts = np.bincount(np.asarray(bucket_of), weights=grade_counts, minlength=buckets)
    total = counts.sum()
    return counts.astype(int), (100.0 * counts / total if total else counts * np.nan)


def meaningful_cutoffs(cutoffs: Sequence[float], grade_counts: np.ndarray) -> list[float | None]:
    """The minimums worth showing: None for a grade nobody reaches (a target of 0 %, or a grade
    squeezed out by ties), whose minimum only keeps the order of the others."""
    return [c if grade_counts[i] > 0 else None for i, c in enumerate(cutoffs)]


@dataclass(frozen=True)
class TieNote:
    """Why a boundary misses its target: people wanted at or above it, people there, and the
    equal totals on either side that cannot be split."""

    boundary: int  # between grade `boundary` and the next one
    wanted: float
    reached: int
    above_total: float
    above_count: int
    below_total: float
    below_count: int


def tie_notes(totals: np.ndarray, cutoffs: Sequence[float], shares: Sequence[float]):
    """For each boundary whose count of people at or above is not the whole number nearest the
    cumulative target (it would be, were no totals equal): the equal totals next to it (ties
    stay in one grade, so the target cannot be met exactly)."""
    values = np.sort(totals[~np.isnan(totals)])[::-1]
    wanted = np.cumsum(np.asarray(shares, dtype=float))[:-1] / 100.0 * len(values)
    notes = []
    for k, cut in enumerate(cutoffs):
        reached = int((values >= cut).sum())
        if abs(reached - wanted[k]) <= 0.5 + 1e-9 or not len(values):
            continue
        above, below = values[values >= cut], values[values < cut]
        above_total = float(above[-1]) if len(above) else np.nan
        below_total = float(below[0]) if len(below) else np.nan
        notes.append(
            TieNote(
                k,
                float(wanted[k]),
                reached,
                above_total,
                int((values == above_total).sum()),
                below_total,
                int((values == below_total).sum()),
            )
        )
    return notes
