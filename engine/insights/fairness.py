"""Fairness by segment: the grade mix of each group (tenure band, role, team, region, any text
column), a test of independence, and a plain sentence on the group that stands out."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import MonteCarloMethod, chi2_contingency, fisher_exact

SIGNIFICANCE = 0.05
SMALL_EXPECTED = 5  # an expected count below this makes the chi-square test unreliable
RESAMPLES = 9_999  # Fisher's exact test on tables larger than 2 × 2, by Monte Carlo (seeded)
TENURE_BANDS = (  # upper edge in years, zh, en
    (0.5, "入职不满 6 个月", "in their first 6 months"),
    (1.0, "入职 6–12 个月", "6 to 12 months in"),
    (3.0, "入职 1–3 年", "1 to 3 years in"),
    (5.0, "入职 3–5 年", "3 to 5 years in"),
    (10.0, "入职 5–10 年", "5 to 10 years in"),
    (np.inf, "入职 10 年以上", "over 10 years in"),
)
TENURE = "tenure_band"
EXCLUDED = {  # identifiers, grades and free text: not groups of people
    "employee_id",
    "name",
    "period",
    "grade",
    "grade_en",
    "computed_grade",
    "calibrated_grade",
    "hire_date",
    "adjustment_reason",
    "status_note",
    "veto",
    "scheme_version",
}


@dataclass(frozen=True)
class Test:
    """A test of independence: which one, its statistic (chi-square; none for Fisher's
    r × c), p-value, and whether some expected count was small."""

    method: str  # "chi2", "fisher", "fisher_monte_carlo", "none"
    statistic: float
    p_value: float
    small_counts: bool


def tenure_band(hired: pd.Series, as_of: str, language: str = "zh") -> pd.Series:
    """Each hire date's tenure band at the end of the month `as_of` (YYYY-MM)."""
    end = pd.Period(as_of, freq="M").end_time.normalize()
    years = (end - pd.to_datetime(hired, errors="coerce")).dt.days / 365.25
    edges = [0.0, *(b[0] for b in TENURE_BANDS)]
    names = [b[1] if language == "zh" else b[2] for b in TENURE_BANDS]
    bands = pd.cut(years, edges, labels=names, right=False)
    return bands.astype("string")


def segment_columns(table: pd.DataFrame) -> list[str]:
    """Text columns that split people into a handful of groups (2 to 30), tenure first."""
    found = [TENURE] if TENURE in table else []
    for column in table.columns:
        if column in EXCLUDED or column == TENURE or column.startswith(("score_", "cat_")):
            continue
        values = table[column]
        if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
            continue
        if 2 <= values.nunique(dropna=True) <= 30:
            found.append(column)
    return found


def grade_counts(table: pd.DataFrame, column: str, grades: list[str]) -> pd.DataFrame:
    """People per group (rows) and grade (columns, best first); ungraded rows left out."""
    graded = table.dropna(subset=["grade", column])
    counts = pd.crosstab(graded[column].astype(str), graded["grade"].astype(str))
    counts = counts.reindex(columns=grades, fill_value=0)
    bands = [b[1] for b in TENURE_BANDS] + [b[2] for b in TENURE_BANDS]
    if counts.index.isin(bands).all():  # tenure bands in order of tenure, not of their names
        counts = counts.reindex([b for b in bands if b in counts.index])
    return counts


def independence(counts: pd.DataFrame | np.ndarray) -> Test:
    """Chi-square test of independence; Fisher's exact test where an expected count is below 5
    (exact for 2 × 2, Monte Carlo with a fixed seed for larger tables). Empty rows and columns
    are left out; fewer than 2 of either leaves nothing to test."""
    table = np.asarray(counts, dtype=np.int64)
    table = table[table.sum(axis=1) > 0][:, table.sum(axis=0) > 0]
    if table.shape[0] < 2 or table.shape[1] < 2:
        return Test("none", np.nan, np.nan, False)
    result = chi2_contingency(table)
    small = bool((result.expected_freq < SMALL_EXPECTED).any())
    if not small:
        return Test("chi2", float(result.statistic), float(result.pvalue), False)
    if table.shape == (2, 2):
        return Test("fisher", np.nan, float(fisher_exact(table).pvalue), True)
    method = MonteCarloMethod(n_resamples=RESAMPLES, rng=np.random.default_rng(0))
    # scipy answers some tables with an array holding the one p-value
    p_value = np.ravel(fisher_exact(table, method=method).pvalue)[0]
    return Test("fisher_monte_carlo", np.nan, float(p_value), True)


def group_findings(table: pd.DataFrame, column: str, grade: str) -> pd.DataFrame:
    """Per group: people, the share with the grade in the group and among everyone else, and
    the p-value of that 2 × 2 comparison (see independence), Bonferroni-adjusted for the number
    of groups compared; significant where the adjusted p is below 0.05. Smallest p first."""
    graded = table.dropna(subset=["grade", column])
    groups = graded[column].astype(str)
    has = graded["grade"].astype(str).eq(grade)
    people = groups.value_counts()
    with_grade = has.groupby(groups).sum().reindex(people.index)
    total, total_grade = len(graded), int(has.sum())
    rows = []
    for group in people.index:  # one 2 × 2 test per group (a handful), not per person
        inside, inside_grade = int(people[group]), int(with_grade[group])
        outside, outside_grade = total - inside, total_grade - inside_grade
        two_by_two = [
            [inside_grade, inside - inside_grade],
            [outside_grade, outside - outside_grade],
        ]
        found = independence(two_by_two)
        rows.append(
            (group, inside, inside_grade, outside, outside_grade, found.method, found.p_value)
        )
    columns = ["group", "people", "with_grade", "others", "others_with_grade", "method", "p"]
    out = pd.DataFrame(rows, columns=columns)
    out["share"] = out["with_grade"] / out["people"]
    out["others_share"] = out["others_with_grade"] / out["others"].where(out["others"] > 0)
    out["p_adjusted"] = np.minimum(out["p"] * len(out), 1.0)
    out["significant"] = out["p_adjusted"] < SIGNIFICANCE
    out["gap"] = (out["share"] - out["others_share"]).abs()
    # the strongest evidence first; the smaller group first where two mirror each other
    return out.sort_values(
        ["p", "gap", "people", "group"], ascending=[True, False, True, True], ignore_index=True
    )


def sentence(finding: pd.Series, column_label: str, grade: str, language: str = "zh") -> str:
    """'入职不满 6 个月的员工 不合格 占 18 %, 其他员工 6 %; 差异显著 (p = 0.003)'."""
    p = finding["p_adjusted"]
    p_text = "p < 0.001" if p < 0.001 else f"p = {p:.3f}"
    share, others = 100 * finding["share"], 100 * finding["others_share"]
    tenure = column_label == ""
    if language == "zh":
        who = (
            f"{finding['group']}的员工"
            if tenure
            else f"{column_label}为「{finding['group']}」的员工"
        )
        verdict = "差异显著" if finding["significant"] else "差异不显著"
        return f"{who} {grade} 占 {share:.0f} %, 其他员工 {others:.0f} %; {verdict} ({p_text})"
    who = f"Staff {finding['group']}" if tenure else f"Staff with {column_label} {finding['group']}"
    verdict = "a significant difference" if finding["significant"] else "not significant"
    return f"{who}: {grade} {share:.0f} %, everyone else {others:.0f} %; {verdict} ({p_text})"
