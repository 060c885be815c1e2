"""Columnar scoring: KPI scores, category scores, totals, grades, ranks and money for many rows."""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine.scheme import Kpi, RolePlan, Scheme, normalize_header

ROSTER_COLUMNS = ["employee_id", "name", "department", "team", "role", "region", "hire_date"]
RANK_SCOPES = {"rank": [], "dept_rank": ["department"], "team_rank": ["department", "team"]}


def round_half_away(values: np.ndarray | pd.Series, decimals: int = 2) -> np.ndarray:
    """Round half away from zero (89.995 → 90.00), immune to binary float noise."""
    scale = 10.0**decimals
    scaled = np.round(np.asarray(values, dtype=float) * scale, 6)
    return np.sign(scaled) * np.floor(np.abs(scaled) + 0.5) / scale


# ------------------------------------------------------------------ KPI scores


def bands_score(values: np.ndarray, kpi: Kpi) -> np.ndarray:
    """Points of the band holding each value (upper edges inclusive), scaled to 100."""
    uppers = np.array([b.upto for b in kpi.bands])
    points = np.array([b.points for b in kpi.bands]) * 100.0 / kpi.max_points
    index = np.searchsorted(uppers, values, side="left").clip(0, len(uppers) - 1)
    return np.where(np.isnan(values), np.nan, points[index])


def tiers_score(values: np.ndarray, kpi: Kpi) -> np.ndarray:
    """Score of the first tier reached; thresholds are inclusive on the good side."""
    thresholds = np.array([t.threshold for t in kpi.tiers[:-1]], dtype=float)
    scores = np.array([t.score for t in kpi.tiers])
    if kpi.direction == "lower":
        index = np.searchsorted(thresholds, values, side="left")
    else:
        index = np.searchsorted(-thresholds, -values, side="left")
    return np.where(np.isnan(values), np.nan, scores[index])


def linear_score(values: np.ndarray, kpi: Kpi) -> np.ndarray:
    """100 × clamp((value − floor) / (target − floor), 0, cap): achievement against target."""
    ratio = (values - kpi.floor) / (kpi.target - kpi.floor)
    return 100.0 * np.clip(ratio, 0.0, kpi.cap)


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
        columns[kpi.id] = pd.to_numeric(raw, errors="coerce").astype(float)
    return pd.DataFrame(columns, index=facts.index)


def kpi_scores(values: pd.DataFrame, scheme: Scheme) -> pd.DataFrame:
    """Score 0–100 of every KPI by its method; a missing value stays missing."""
    return pd.DataFrame(
        {
            f"score_{kpi.id}": SCORERS[kpi.method](values[kpi.id].to_numpy(dtype=float), kpi)
            for kpi in scheme.kpis
        },
        index=values.index,
    )


# ------------------------------------------------------------------ weights


def plan_index(roles: pd.Series, scheme: Scheme) -> np.ndarray:
    """For each row, which plan scores it: 0 for the default, i for the i-th named role."""
    lookup = {}
    for i, plan in enumerate(scheme.roles, start=1):
        for name in (plan.name, *plan.aliases):
            lookup[normalize_header(name)] = i
    codes, distinct = pd.factorize(roles.fillna("").astype(str))
    plan_of_role = np.array([lookup.get(normalize_header(r), 0) for r in distinct] + [0])
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


def category_scores(
    scores: pd.DataFrame, plans: np.ndarray, scheme: Scheme
) -> tuple[pd.DataFrame, np.ndarray]:
    """Each category's weighted KPI score (0–100) and the count of missing weighted KPIs per row.

    A missing KPI under the "renormalize" policy drops out and the category's other KPIs
    share its weight; under "zero" it counts as 0.
    """
    kpi_w, _, member = weight_matrices(scheme)
    matrix = scores.to_numpy(dtype=float)
    missing = np.isnan(matrix)
    zero_policy = np.array([(k.missing or scheme.missing) == "zero" for k in scheme.kpis])
    present = (~missing | zero_policy).astype(float)
    # Every plan's weighted membership side by side (KPIs × plans·categories): one matrix
    # product for all rows, then each row keeps its own plan's columns.
    by_plan = (kpi_w[:, :, None] * member[None, :, :]).transpose(1, 0, 2)
    by_plan = by_plan.reshape(len(scheme.kpis), -1)
    rows, plan_count, cat_count = len(matrix), len(kpi_w), member.shape[1]
    numerator = (np.where(missing, 0.0, matrix) @ by_plan).reshape(rows, plan_count, cat_count)
    denominator = (present @ by_plan).reshape(rows, plan_count, cat_count)
    pick = np.arange(rows)
    numerator, denominator = numerator[pick, plans], denominator[pick, plans]
    with np.errstate(invalid="ignore", divide="ignore"):
        cats = np.where(denominator > 0, numerator / denominator, np.nan)
    missing_count = ((kpi_w > 0)[plans] & missing).sum(axis=1)
    frame = pd.DataFrame(
        cats, columns=[f"cat_{c}" for c in scheme.category_ids], index=scores.index
    )
    return frame, missing_count


def total_score(cats: pd.DataFrame, plans: np.ndarray, scheme: Scheme) -> np.ndarray:
    """Σ category weight × category score, re-normalised over categories with data, 2 decimals."""
    _, cat_w, _ = weight_matrices(scheme)
    matrix = cats.to_numpy(dtype=float)
    weights = cat_w[plans] * ~np.isnan(matrix)
    weight_sum = weights.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        raw = np.where(
            weight_sum > 0, (weights * np.nan_to_num(matrix)).sum(axis=1) / weight_sum, np.nan
        )
    return round_half_away(raw)


# ------------------------------------------------------------------ grades, ranks, money


def grade(totals: np.ndarray | pd.Series, scheme: Scheme, language: str = "zh") -> pd.Categorical:
    """The grade of each total by lower-inclusive cutoffs (exactly 90.00 is 优秀)."""
    totals = np.asarray(totals, dtype=float)
    names = [g.name if language == "zh" else g.name_en for g in scheme.grades]
    cutoffs = np.array([g.min for g in scheme.grades[:-1]], dtype=float)[::-1]
    index = len(cutoffs) - np.searchsorted(cutoffs, totals, side="right")
    codes = np.where(np.isnan(totals), -1, index)
    return pd.Categorical.from_codes(codes, categories=names, ordered=True)


def rank_key(frame: pd.DataFrame, scheme: Scheme) -> pd.Series:
    """What ranks order by: the total, then the tie-break KPI's score if the scheme names one."""
    key = frame["total"].astype(float)
    if scheme.tie_break:
        tie = frame[f"score_{scheme.tie_break}"].fillna(-1.0).clip(-1.0, 999.0)
        key = np.round(key * 100.0) * 10_000.0 + np.round(tie * 10.0)
    return key


def group_ids(codes: dict[str, tuple[np.ndarray, int]], columns: list[str]) -> np.ndarray:
    """One integer per distinct combination of the columns' values, from each column's codes
    and count of distinct values (see `column_codes`)."""
    ids = np.zeros(len(next(iter(codes.values()))[0]), dtype=np.int64)
    for column in columns:
        values, count = codes[column]
        ids = ids * (count + 1) + values
    return ids


def column_codes(frame: pd.DataFrame, columns: list[str]) -> dict[str, tuple[np.ndarray, int]]:
    """Each column's values as integer codes (blank counts as a value) and how many there are."""
    out = {}
    for column in columns:
        values, distinct = pd.factorize(frame[column].fillna(""))
        out[column] = (values, len(distinct))
    return out


def competition_rank(
    key: np.ndarray, groups: np.ndarray, dense: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Rank within each group, highest key first, ties sharing the best rank (1, 2, 2, 4); a
    missing key gets no rank. Also returns the row order by group and rank. `dense` (the key's
    dense codes, best first) may be passed when several groupings rank the same key."""
    count = len(key)
    missing = np.isnan(key)
    if dense is None:
        dense = dense_codes(key)
    order = np.argsort(groups * (count + 1) + dense)
    sorted_groups, sorted_dense = groups[order], dense[order]
    starts_group = np.r_[True, sorted_groups[1:] != sorted_groups[:-1]]
    starts_value = starts_group | np.r_[True, sorted_dense[1:] != sorted_dense[:-1]]
    position = np.arange(count)
    group_start = np.maximum.accumulate(np.where(starts_group, position, 0))
    value_start = np.maximum.accumulate(np.where(starts_value, position, 0))
    ranked = np.empty(count, dtype=float)
    ranked[order] = value_start - group_start + 1
    ranked[missing] = np.nan
    return ranked, order


def dense_codes(key: np.ndarray) -> np.ndarray:
    """0 for the highest key, 1 for the next distinct one, …; a missing key comes last."""
    return np.unique(np.where(np.isnan(key), np.inf, -key), return_inverse=True)[1].ravel()


def ranks(frame: pd.DataFrame, scheme: Scheme, period_column: str = "period") -> pd.DataFrame:
    """Company, department and team ranks per period; ties share the best rank (1, 2, 2, 4)."""
    return ranks_and_order(frame, scheme, period_column)[0]


def ranks_and_order(
    frame: pd.DataFrame, scheme: Scheme, period_column: str = "period"
) -> tuple[pd.DataFrame, np.ndarray]:
    """The three ranks, and the row order by period and company rank."""
    key = rank_key(frame, scheme).to_numpy(dtype=float)
    dense = dense_codes(key)
    codes = column_codes(frame, [period_column, "department", "team"])
    out, company_order = {}, None
    for column, scope in RANK_SCOPES.items():
        groups = group_ids(codes, [period_column, *scope])
        ranked, order = competition_rank(key, groups, dense)
        out[column] = pd.array(ranked, dtype="Int64")
        company_order = order if company_order is None else company_order
    return pd.DataFrame(out, index=frame.index), company_order


def money(totals: np.ndarray, grades: pd.Categorical, scheme: Scheme) -> np.ndarray:
    """The money each row earns under the scheme's money mode, rounded to the cent."""
    rule = scheme.money
    if rule.mode == "performance_pay":
        amount = rule.base * np.asarray(totals, dtype=float) / 100.0
    else:
        table = rule.amounts if rule.mode == "grade_amount" else rule.coefficients
        per_grade = np.array([table.get(g, np.nan) for g in scheme.grade_names] + [np.nan])
        factor = rule.base if rule.mode == "grade_coefficient" else 1.0
        amount = per_grade[np.asarray(grades.codes)] * factor
    return round_half_away(amount)


# ------------------------------------------------------------------ the whole table


def score_table(facts: pd.DataFrame, scheme: Scheme) -> pd.DataFrame:
    """Score every row of a facts table (one row per employee and month) under the scheme."""
    roster = facts.reindex(columns=["period", *ROSTER_COLUMNS]).reset_index(drop=True)
    facts = facts.reset_index(drop=True)
    values = kpi_values(facts, scheme)
    scores = kpi_scores(values, scheme)
    plans = plan_index(roster["role"], scheme)
    cats, missing_count = category_scores(scores, plans, scheme)
    table = pd.concat([roster, values, scores, cats], axis=1)
    table["total"] = total_score(cats, plans, scheme)
    return finish(table.assign(missing_count=missing_count), scheme)


def finish(table: pd.DataFrame, scheme: Scheme) -> pd.DataFrame:
    """Add grade, ranks and money to a table that has period, roster columns and total."""
    grades = grade(table["total"], scheme)
    table = table.assign(grade=grades, grade_en=grade(table["total"], scheme, "en"))
    table = pd.concat([table, ranks(table, scheme)], axis=1)
    if "bonus" not in table:
        table["bonus"] = money(table["total"].to_numpy(), grades, scheme)
    return table
