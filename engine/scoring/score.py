"""Columnar scoring: KPI scores, category scores, totals, grades, ranks and money for many rows."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial

import numpy as np
import pandas as pd

from engine.schemes.formula import Formula, evaluate
from engine.schemes.precision import round_half_away
from engine.schemes.scheme import Kpi, RolePlan, Scheme, normalize_header
from engine.scoring.adjusted import adjusted_values
from engine.scoring.parallel import side_by_side
from engine.scoring.targets import on_standard_scale, row_targets, target_column

ROSTER_COLUMNS = ["employee_id", "name", "department", "team", "role", "region", "hire_date"]
RANK_SCOPES = {"rank": [], "dept_rank": ["department"], "team_rank": ["department", "team"]}
BLOCK_ROWS = 1 << 16  # rows scored together (score_rows); see there


# ------------------------------------------------------------------ KPI scores


def bands_score(values: np.ndarray, kpi: Kpi) -> np.ndarray:
    """Points of the band holding each value (upper edges inclusive), scaled to 100."""
    points = [b.points * 100.0 / kpi.max_points for b in kpi.bands]
    return _first_reached(values, [values <= b.upto for b in kpi.bands[:-1]], points)


def tiers_score(values: np.ndarray, kpi: Kpi) -> np.ndarray:
    """Score of the first tier reached; thresholds are inclusive on the good side."""
    reached = np.less_equal if kpi.direction == "lower" else np.greater_equal
    conditions = [reached(values, t.threshold) for t in kpi.tiers[:-1]]
    return _first_reached(values, conditions, [t.score for t in kpi.tiers])


def _first_reached(values: np.ndarray, conditions: list[np.ndarray], choices: list) -> np.ndarray:
    """choices[i] for the first condition i that holds, else the last choice; NaN stays NaN.

    Each condition holds wherever the one before it holds (edges in order), so the first that
    holds is where a condition holds and the one before does not. The choice is picked by
    arithmetic (true × choice, one true per row, so the sum is the choice exactly; the choices
    are finite, which scheme validation ensures): in numpy that runs several times faster than
    searchsorted or np.where chains."""
    chosen, before = np.zeros(values.shape), np.zeros(values.shape, dtype=bool)
    otherwise = np.ones(values.shape, dtype=bool)
    for condition, choice in zip([*conditions, otherwise], choices, strict=True):
        chosen += (condition ^ before) * float(choice)
        before = condition
    return np.where(np.isnan(values), np.nan, chosen)


def linear_score(values: np.ndarray, kpi: Kpi) -> np.ndarray:
    """100 × clamp((value − floor) / (target − floor), 0, cap): achievement against target."""
    ratio = (values - kpi.floor) / (kpi.target - kpi.floor)
    return 100.0 * np.minimum(np.maximum(ratio, 0.0), kpi.cap)


def deduction_score(values: np.ndarray, kpi: Kpi) -> np.ndarray:
    """Start (100) less the deduction per incident, floored at 0 unless negatives are allowed."""
    score = kpi.start - kpi.per_incident * values
    return score if kpi.allow_negative else np.maximum(score, 0.0)


def rating_score(values: np.ndarray, kpi: Kpi) -> np.ndarray:
    """A rating on the scheme's scale rescaled to 0–100."""
    return 100.0 * (values - kpi.scale_min) / (kpi.scale_max - kpi.scale_min)


SCORERS = {
    "bands": bands_score,
    "tiers": tiers_score,
    "linear": linear_score,
    "deduction": deduction_score,
    "rating": rating_score,
}


def kpi_values(facts: pd.DataFrame, scheme: Scheme) -> pd.DataFrame:
    """The raw value of every scheme KPI as floats, found by id or by one of its aliases."""
    by_header = {normalize_header(c): c for c in facts.columns}
    columns = {}
    for kpi in scheme.kpis:
        names = [kpi.id, kpi.name_zh, kpi.name_en, *kpi.aliases]
        found = next((by_header[h] for h in map(normalize_header, names) if h in by_header), None)
        raw = facts[found] if found is not None else pd.Series(np.nan, index=facts.index)
        if raw.dtype != np.float64:
            raw = pd.to_numeric(raw, errors="coerce").astype(float)
        columns[kpi.id] = raw
    return pd.DataFrame(columns, index=facts.index, copy=False)


def money_inputs(facts: pd.DataFrame, scheme: Scheme) -> pd.DataFrame:
    """The value of every money input the scheme declares, as floats, found by id or alias.
    Such columns are kept as text by the import: '1,234' and '95%' read as 1234 and 95; text
    that is not a number reads as missing (the money formula then says so)."""
    by_header = {normalize_header(c): c for c in facts.columns}
    columns = {}
    for item in scheme.money.inputs:
        headers = map(normalize_header, item.names)
        found = next((by_header[h] for h in headers if h in by_header), None)
        raw = facts[found] if found is not None else pd.Series(np.nan, index=facts.index)
        if not pd.api.types.is_numeric_dtype(raw):
            text = raw.astype("string").str.strip().str.replace(",", "", regex=False)
            raw = pd.to_numeric(text.str.removesuffix("%"), errors="coerce")
        columns[item.id] = raw.astype(float)
    return pd.DataFrame(columns, index=facts.index, copy=False)


# ------------------------------------------------------------------ weights


def plan_index(roles: pd.Series, scheme: Scheme) -> np.ndarray:
    """For each row, which plan scores it: 0 for the default, i for the i-th named role. Each
    distinct role is looked up once."""
    lookup = {}
    for i, plan in enumerate(scheme.roles, start=1):
        for name in (plan.name, *plan.aliases):
            lookup[normalize_header(name)] = i
    codes, distinct = pd.factorize(roles, use_na_sentinel=False)
    plan_of_role = np.array(
        [lookup.get(normalize_header(r), 0) if isinstance(r, str) else 0 for r in distinct] + [0]
    )
    return plan_of_role[codes]


def weight_matrices(scheme: Scheme) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """KPI weights (plans × KPIs), category weights (plans × cats), membership (KPIs × cats)."""
    plans: tuple[RolePlan, ...] = scheme.plans
    kpi_w = np.array([[p.kpi_weights.get(k, 0.0) for k in scheme.kpi_ids] for p in plans])
    cat_w = np.array([[p.category_weights.get(c, 0.0) for c in scheme.category_ids] for p in plans])
    member = np.array(
        [[k.category == c for c in scheme.category_ids] for k in scheme.kpis], dtype=float
    )
    return kpi_w, cat_w, member


@dataclass(frozen=True, eq=False)
class Weights:
    """A scheme's weights laid out for scoring many rows at once."""

    kpi: np.ndarray  # plans × KPIs
    category: np.ndarray  # plans × categories
    members: tuple[tuple[int, ...], ...]  # per category, its KPIs' positions
    counts_missing: tuple[bool, ...]  # per KPI, a missing value counts as 0 ("zero" policy)

    @classmethod
    def of(cls, scheme: Scheme) -> Weights:
        kpi_w, cat_w, _ = weight_matrices(scheme)
        return cls(
            kpi=kpi_w,
            category=cat_w,
            members=tuple(
                tuple(j for j, k in enumerate(scheme.kpis) if k.category == c)
                for c in scheme.category_ids
            ),
            counts_missing=tuple((k.missing or scheme.missing) == "zero" for k in scheme.kpis),
        )


def per_row(weights: np.ndarray, plans: np.ndarray) -> np.ndarray | float:
    """Each row's weight from its plan's, or the one weight every plan shares."""
    return float(weights[0]) if (weights == weights[0]).all() else weights.take(plans)


# ------------------------------------------------------------------ scores of many rows


@dataclass(frozen=True, eq=False)
class Scored:
    """Row by row: KPI scores (rows × KPIs, 0–100, NaN where missing), category scores
    (rows × categories, NaN where no KPI of the category counts), the total (2 decimals) and
    how many KPIs that weigh something for the row (KPI and category weight) were missing. A
    missing KPI under the "zero" policy scores 0 where it weighs something, as the total counts
    it."""

    scores: np.ndarray
    categories: np.ndarray
    total: np.ndarray
    missing_count: np.ndarray


def score_rows(values: list[np.ndarray], plans: np.ndarray, scheme: Scheme) -> Scored:
    """Score rows given each KPI's values (one array per scheme KPI) and each row's plan.

    The rows go through in blocks of BLOCK_ROWS: a block's temporaries stay in the CPU cache
    instead of streaming every step through memory, and blocks run side by side on every core
    (numpy releases the GIL while it computes)."""
    rows, weights = len(plans), Weights.of(scheme)
    out = Scored(
        scores=np.empty((rows, len(scheme.kpis)), order="F"),
        categories=np.empty((rows, len(scheme.category_ids)), order="F"),
        total=np.empty(rows),
        missing_count=np.empty(rows, dtype=np.int64),
    )

    def block(start: int) -> None:
        part = slice(start, start + BLOCK_ROWS)
        score_block([column[part] for column in values], plans[part], scheme, weights, out, part)

    side_by_side(block, range(0, rows, BLOCK_ROWS), min(rows, BLOCK_ROWS))
    return out


def score_block(
    values: list[np.ndarray],
    plans: np.ndarray,
    scheme: Scheme,
    weights: Weights,
    out: Scored,
    part: slice,
) -> None:
    """Score a few rows (see score_rows) into out[part], one category and one KPI at a time.

    A missing KPI under the "renormalize" policy drops out and its category's other KPIs share
    its weight; under "zero" it counts as 0. A category with no KPI left drops out of the total
    the same way."""
    rows = len(plans)
    total, total_weight = np.zeros(rows), np.zeros(rows)
    missing_count = np.zeros(rows, dtype=np.int16)
    for c, members in enumerate(weights.members):
        numerator, denominator = np.zeros(rows), np.zeros(rows)
        category_weight = per_row(weights.category[:, c], plans)
        for j in members:
            kpi = scheme.kpis[j]
            score = SCORERS[kpi.method](values[j], kpi)
            missing = np.isnan(score)
            weight = per_row(weights.kpi[:, j], plans)
            if weights.counts_missing[j]:  # the 0 a blank counts as is its score where it weighs
                score = np.where(missing & (weight > 0), 0.0, score)
            out.scores[part, j] = score
            numerator += np.where(missing, 0.0, score) * weight
            denominator += weight if weights.counts_missing[j] else ~missing * weight
            missing_count += missing & (weight > 0) & (category_weight > 0)
        has_data = denominator > 0
        category = np.divide(numerator, denominator, out=numerator, where=has_data)
        weight = category_weight * has_data
        total += weight * category
        total_weight += weight
        category[~has_data] = np.nan
        out.categories[part, c] = category
    np.divide(total, total_weight, out=total, where=total_weight > 0)
    total[total_weight <= 0] = np.nan
    out.total[part] = round_half_away(total)
    out.missing_count[part] = missing_count


# ------------------------------------------------------------------ grades, ranks, money


def scheme_cutoffs(scheme: Scheme) -> np.ndarray:
    """The scheme's grade minimums, best grade first (the last grade has none)."""
    return np.array([g.min for g in scheme.grades[:-1]], dtype=float)


def grade_codes(totals: np.ndarray | pd.Series, cutoffs: np.ndarray) -> np.ndarray:
    """Grade positions (0 = best, −1 where there is no total) by lower-inclusive minimums, so
    exactly 90.00 is 优秀: one row of cutoffs for everyone, or one row per total."""
    totals = np.asarray(totals, dtype=float)
    codes = np.zeros(len(totals), dtype=np.int64)
    for j in range(cutoffs.shape[-1]):  # a handful of grades: count the minimums not reached
        codes += totals < (cutoffs[j] if cutoffs.ndim == 1 else cutoffs[:, j])
    codes[np.isnan(totals)] = -1
    return codes


def grade(totals: np.ndarray | pd.Series, scheme: Scheme, language: str = "zh") -> pd.Categorical:
    """The grade of each total, in Chinese or English (see grade_codes)."""
    return grade_labels(grade_codes(totals, scheme_cutoffs(scheme)), scheme, language)


def grade_labels(codes: np.ndarray, scheme: Scheme, language: str = "zh") -> pd.Categorical:
    names = [g.name if language == "zh" else g.name_en for g in scheme.grades]
    return pd.Categorical.from_codes(
        codes, dtype=pd.CategoricalDtype(names, ordered=True), validate=False
    )


def rank_key(frame: pd.DataFrame, scheme: Scheme) -> np.ndarray:
    """What ranks order by, as whole numbers: the total in hundredths, then the tie-break KPI's
    score in tenths if the scheme names one."""
    key = np.round(frame["total"].to_numpy(dtype=float) * 100.0)
    if scheme.tie_break:
        tie = frame[f"score_{scheme.tie_break}"].to_numpy(dtype=float, na_value=-1.0)
        key = key * 10_000.0 + np.round(np.clip(tie, -1.0, 999.0) * 10.0)
    return key


def column_codes(frame: pd.DataFrame, columns: list[str]) -> dict[str, tuple[np.ndarray, int]]:
    """Each column's codes (see value_codes), the columns side by side."""
    parts = side_by_side(value_codes, [frame[c] for c in columns], len(frame))
    return dict(zip(columns, parts, strict=True))


def value_codes(values: pd.Series) -> tuple[np.ndarray, int]:
    """The values as integer codes and how many distinct values there are; a blank (missing or
    empty text) counts as one value."""
    codes, distinct = pd.factorize(values, use_na_sentinel=False)
    blank = [i for i, v in enumerate(distinct) if pd.isna(v) or v == ""]
    if len(blank) > 1:  # missing and "" both occur: one code for both
        merge = np.arange(len(distinct) + 1)
        merge[blank] = blank[0]
        codes = merge[codes]
    return codes, len(distinct)


def group_ids(codes: dict[str, tuple[np.ndarray, int]], columns: list[str]) -> np.ndarray:
    """One integer per distinct combination of the columns' values, from each column's codes
    and count of distinct values (see `column_codes`)."""
    ids = np.zeros(len(next(iter(codes.values()))[0]), dtype=np.int64)
    for column in columns:
        values, count = codes[column]
        ids = ids * (count + 1) + values
    return ids


def descending_codes(key: np.ndarray) -> tuple[np.ndarray, int]:
    """Integer codes that sort the key best first, missing last, and how many codes there can
    be. Whole-number keys (totals in hundredths) are used as they are, which is cheaper than
    numbering the distinct values."""
    present = ~np.isnan(key)
    if not present.any():
        return np.zeros(len(key), dtype=np.int64), 1
    high, low = np.nanmax(key), np.nanmin(key)
    whole = np.all(np.where(present, key == np.round(key), True))
    if whole and high - low < 2**40:
        return np.where(present, high - key, high - low + 1).astype(np.int64), int(high - low) + 2
    codes = np.unique(np.where(present, -key, np.inf), return_inverse=True)[1].ravel()
    return codes, int(codes.max()) + 1


def competition_rank(
    key: np.ndarray, groups: np.ndarray, codes: tuple[np.ndarray, int] | None = None
) -> pd.arrays.IntegerArray:
    """Rank within each group (non-negative integers), highest key first, ties sharing the best
    rank (1, 2, 2, 4); a missing key gets no rank. `codes` (the key's descending_codes) may be
    passed when several groupings rank the same key.

    A row's rank is one more than the rows of its group with a better key. When groups × keys
    are few (a period of a million rows has at most 10,001 totals), those are counted in one
    pass; otherwise the rows are sorted by group and key."""
    count = len(key)
    order_codes, span = descending_codes(key) if codes is None else codes
    cells = (int(groups.max()) + 1) * span if count else 0
    if cells <= 2 * count:
        cell = groups * span + order_codes
        per_cell = np.bincount(cell, minlength=cells).reshape(-1, span)
        better = (np.cumsum(per_cell, axis=1) - per_cell).ravel()
        ranked = better[cell] + 1
    else:
        ranked = _sorted_rank(groups, order_codes, span)
    return pd.arrays.IntegerArray(ranked, np.isnan(key))


def _sorted_rank(groups: np.ndarray, order_codes: np.ndarray, span: int) -> np.ndarray:
    """competition_rank by sorting: in order of group and key, a row's rank is its distance
    from the start of its group to the first row with its key, plus one."""
    count = len(groups)
    if int(groups.max()) * span + span - 1 > np.iinfo(np.int64).max:
        groups = np.unique(groups, return_inverse=True)[1].ravel()
    in_order, order = sorted_with_order(groups * span + order_codes)
    position = np.arange(count)
    starts_value = np.r_[True, in_order[1:] != in_order[:-1]]
    sorted_groups = in_order // span
    starts_group = np.r_[True, sorted_groups[1:] != sorted_groups[:-1]]
    group_start = np.maximum.accumulate(np.where(starts_group, position, 0))
    value_start = np.maximum.accumulate(np.where(starts_value, position, 0))
    ranked = np.empty(count, dtype=np.int64)
    ranked[order] = value_start - group_start + 1
    return ranked


def sorted_with_order(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The values (non-negative integers) sorted, and the positions they came from. When the
    values leave room, each is packed with its position into one integer and sorted by value:
    several times faster than argsort."""
    position_bits = max(int(len(values) - 1).bit_length(), 1)
    if len(values) and int(values.max()) < 2 ** (62 - position_bits):
        packed = np.sort(values << position_bits | np.arange(len(values)))
        return packed >> position_bits, packed & ((1 << position_bits) - 1)
    order = np.argsort(values)
    return values[order], order


def ranks(
    frame: pd.DataFrame,
    scheme: Scheme,
    period_column: str = "period",
    codes: dict[str, tuple[np.ndarray, int]] | None = None,
) -> pd.DataFrame:
    """Company, department and team ranks per period; ties share the best rank (1, 2, 2, 4).
    `codes` may give the period, department and team columns' codes (see column_codes)."""
    key = rank_key(frame, scheme)
    codes = codes or column_codes(frame, [period_column, "department", "team"])
    ordering = descending_codes(key)

    def scope_ranks(scope: list[str]) -> pd.arrays.IntegerArray:
        return competition_rank(key, group_ids(codes, [period_column, *scope]), ordering)

    ranked = side_by_side(scope_ranks, RANK_SCOPES.values(), len(frame))
    return pd.DataFrame(dict(zip(RANK_SCOPES, ranked, strict=True)), index=frame.index)


def money(
    totals: np.ndarray,
    grade_codes: np.ndarray,
    scheme: Scheme,
    columns: Mapping[str, np.ndarray] | None = None,
    plans: np.ndarray | None = None,
) -> np.ndarray:
    """The money each row earns, rounded to the cent (see money_rows)."""
    return money_rows(totals, grade_codes, scheme, columns, plans).amounts


@dataclass(frozen=True, eq=False)
class MoneyRows:
    """Each row's money, and what kept some rows from having any: (reason, rows) pairs."""

    amounts: np.ndarray
    problems: tuple[tuple[str, np.ndarray], ...] = ()


def money_rows(
    totals: np.ndarray,
    grade_codes: np.ndarray,
    scheme: Scheme,
    columns: Mapping[str, np.ndarray] | None = None,
    plans: np.ndarray | None = None,
) -> MoneyRows:
    """The money each row earns under the scheme's money mode, or under its role's money
    formula, rounded to the cent. Formulas read `columns` (KPI and money-input ids → values)
    and each row's plan (see plan_index); a row without a total earns nothing."""
    rule = scheme.money
    totals = np.asarray(totals, dtype=float)
    if not scheme.money_formulas:
        return MoneyRows(_mode_money(totals, grade_codes, scheme))
    plans = np.zeros(len(totals), dtype=np.int64) if plans is None else np.asarray(plans)
    own = np.array([False] + [r.money_formula is not None for r in scheme.roles])
    amounts = (
        np.full(len(totals), np.nan)
        if rule.mode == "formula"
        else _mode_money(totals, grade_codes, scheme)
    )
    problems: list[tuple[str, np.ndarray]] = []
    chosen = [(~own[plans], rule.formula, "")] if rule.mode == "formula" else []
    chosen += [
        (plans == i, plan.money_formula, plan.name)
        for i, plan in enumerate(scheme.roles, start=1)
        if plan.money_formula is not None
    ]
    for rows, formula, who in chosen:
        rows = rows & ~np.isnan(totals)
        if formula is None or not rows.any():
            continue
        paid, trouble = _formula_money(formula, rows, totals, grade_codes, scheme, columns or {})
        amounts[rows] = paid
        problems += [(f"{who}: {text}" if who else text, where) for text, where in trouble]
    return MoneyRows(amounts, tuple(problems))


def _mode_money(totals: np.ndarray, grade_codes: np.ndarray, scheme: Scheme) -> np.ndarray:
    """Money by the scheme's mode: per grade, per grade × base, or base × total / 100."""
    rule = scheme.money
    if rule.mode == "performance_pay":
        return round_half_away(rule.base * np.asarray(totals, dtype=float) / 100.0)
    if rule.mode == "formula":
        return np.full(len(totals), np.nan)
    table = rule.amounts if rule.mode == "grade_amount" else rule.coefficients
    factor = rule.base if rule.mode == "grade_coefficient" else 1.0
    per_grade = np.array([table.get(g, np.nan) for g in scheme.grade_names] + [np.nan])
    # Rounding the few amounts per grade equals rounding every row's copy of them.
    return round_half_away(per_grade * factor).take(grade_codes)


def _formula_money(
    formula: Formula,
    rows: np.ndarray,
    totals: np.ndarray,
    grade_codes: np.ndarray,
    scheme: Scheme,
    columns: Mapping[str, np.ndarray],
) -> tuple[np.ndarray, list[tuple[str, np.ndarray]]]:
    """A formula's money on the chosen rows, and the rows it could not pay (mask over all)."""
    factors = [scheme.money.coefficients.get(g, np.nan) for g in scheme.grade_names]
    count = int(rows.sum())
    values = {}
    for key in formula.keys:
        if key == "total":
            values[key] = totals[rows]
        elif key == "coefficient":
            values[key] = np.array([*factors, np.nan]).take(grade_codes[rows])
        elif key in columns:
            values[key] = np.asarray(columns[key], dtype=float)[rows]
        else:
            values[key] = np.full(count, np.nan)
    paid, bad = evaluate(formula, values, count)
    trouble = []
    for key, column in values.items():
        blank = np.isnan(column)
        if blank.any():
            trouble.append((f"no number in {_column_label(key, scheme)}, so no money", blank))
    if bad.any():
        trouble.append((f"'{formula.text}' divides by 0 or overflows, so no money", bad))
    spread = []
    for text, where in trouble:
        full = np.zeros(len(rows), dtype=bool)
        full[np.flatnonzero(rows)[where]] = True
        spread.append((text, full))
    return round_half_away(paid), spread


def _column_label(key: str, scheme: Scheme) -> str:
    names = {k.id: k.name_zh for k in scheme.kpis} | {i.id: i.name_zh for i in scheme.money.inputs}
    return names.get(key, {"total": "考核成绩", "coefficient": "考核系数"}.get(key, key))


def money_problems(table: pd.DataFrame, found: tuple[tuple[str, np.ndarray], ...]) -> list[str]:
    """Each money problem with the people and months it concerns (the first few named)."""
    lines = []
    for text, rows in found:
        picked = table.loc[rows, ["employee_id", "period"]].astype(str)
        who = (picked["employee_id"] + " " + picked["period"]).tolist()
        more = f" … ({len(who)} rows)" if len(who) > 5 else ""
        lines.append(f"{text}: {', '.join(who[:5])}{more}")
    return lines


# ------------------------------------------------------------------ the whole table


def score_table(facts: pd.DataFrame, scheme: Scheme) -> pd.DataFrame:
    """Score every row of a facts table (one row per employee and month) under the scheme."""
    roster = facts.reindex(columns=["period", *ROSTER_COLUMNS]).reset_index(drop=True)
    values = kpi_values(facts.reset_index(drop=True), scheme)
    # Shrunk rates and rescaled ratings are scored where the scheme asks; the raw values stay.
    to_score, adjusted = adjusted_values(facts.reset_index(drop=True), roster, values, scheme)
    # Numbering the text columns (hashing a million strings each) runs side by side.
    group_columns = ["period", "department", "team"]
    *codes, plans = side_by_side(
        lambda work: work(),
        [partial(value_codes, roster[c]) for c in group_columns]
        + [partial(plan_index, roster["role"], scheme)],
        len(roster),
    )
    # A person's or team's target takes the place of a linear KPI's standard (scoring.targets).
    targets = row_targets(facts.reset_index(drop=True), scheme)
    scoring = [
        on_standard_scale(to_score[k].to_numpy(), targets[k], scheme.kpi(k))
        if k in targets
        else to_score[k].to_numpy()
        for k in scheme.kpi_ids
    ]
    scored = score_rows(scoring, plans, scheme)
    scores = pd.DataFrame(scored.scores, columns=[f"score_{k}" for k in scheme.kpi_ids], copy=False)
    cats = pd.DataFrame(
        scored.categories, columns=[f"cat_{c}" for c in scheme.category_ids], copy=False
    )
    inputs = money_inputs(facts.reset_index(drop=True), scheme)
    kept = [pd.DataFrame({target_column(k): v for k, v in targets.items()})] if targets else []
    adjusted = pd.DataFrame(adjusted, index=roster.index)
    table = pd.concat([roster, values, inputs, adjusted, *kept, scores, cats], axis=1)
    table["total"] = scored.total
    table["missing_count"] = scored.missing_count
    return finish(table, scheme, dict(zip(group_columns, codes, strict=True)))


def finish(
    table: pd.DataFrame, scheme: Scheme, codes: dict[str, tuple[np.ndarray, int]] | None = None
) -> pd.DataFrame:
    """Add grade, ranks and money to a table that has period, roster columns and total.
    `codes` may give the period, department and team columns' codes (see column_codes)."""
    grades = grade_codes(table["total"], scheme_cutoffs(scheme))
    table = table.assign(
        grade=grade_labels(grades, scheme), grade_en=grade_labels(grades, scheme, "en")
    )
    table = pd.concat([table, ranks(table, scheme, codes=codes)], axis=1)
    if "bonus" not in table and not scheme.money_formulas:
        table["bonus"] = money(table["total"].to_numpy(), grades, scheme)
    elif "bonus" not in table:
        keys = [k for k in (*scheme.kpi_ids, *(i.id for i in scheme.money.inputs)) if k in table]
        paid = money_rows(
            table["total"].to_numpy(),
            grades,
            scheme,
            {k: table[k].to_numpy(dtype=float, na_value=np.nan) for k in keys},
            plan_index(table["role"], scheme),
        )
        table["bonus"] = paid.amounts
        # Rows a formula could not pay, named for whoever shows the table (the CLI prints them).
        table.attrs["money_problems"] = money_problems(table, paid.problems)
    return table
