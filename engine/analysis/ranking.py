"""Rankings of groups and people and the shape of the score distribution (pure pandas, no UI)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from engine.schemes.precision import round_half_away
from engine.schemes.scheme import Scheme
from engine.scoring.score import grade

PAGE_SIZE = 500
# Charts with one row per group show at most this many groups from each end of the ranking.
CHART_ENDS = 15
# Histogram bin widths tried in order: the first that puts every grade cutoff on a bin edge wins,
# so that each bar holds a single grade.
BIN_WIDTHS = (2.0, 1.0, 0.5, 0.25, 0.2, 0.1, 0.05, 0.01)
MOST_BINS = 200
WHISKER = 1.5
# Bins are found by flooring total / width; this keeps 90.00 / 0.1 = 899.999... in bin 900.
EDGE_TOLERANCE = 1e-9


def grade_labels(scheme: Scheme, language: str = "zh") -> dict[str, str]:
    """Each grade's name as shown: Chinese, or the scheme's English name for English readers."""
    return {g.name: g.name if language == "zh" else g.name_en for g in scheme.grades}


# ------------------------------------------------------------------ groups


def grade_counts(table: pd.DataFrame, scheme: Scheme, by: Sequence[str]) -> pd.DataFrame:
    """Per group, the number of people in each grade (one column per grade, best first)."""
    graded = table.dropna(subset=["total"])
    keys = [graded[c].fillna("").astype(str) for c in by]
    grades = pd.Categorical(graded["grade"], categories=scheme.grade_names)
    codes = pd.Series(grades.codes, index=graded.index)
    counts = (
        codes.groupby([*keys, codes])
        .size()
        .unstack(fill_value=0)
        .reindex(columns=range(len(scheme.grade_names)), fill_value=0)
    )
    counts.columns = scheme.grade_names
    return counts.rename_axis(index=list(by)).reset_index()


def grade_shares(table: pd.DataFrame, scheme: Scheme, by: Sequence[str]) -> pd.DataFrame:
    """Per group, the percentage of graded people in each grade (rounded to 0.1)."""
    counts = grade_counts(table, scheme, by).set_index(list(by))
    graded = counts.sum(axis=1).replace(0, np.nan)
    return (counts.div(graded, axis=0) * 100).round(1).reset_index()


def group_means(table: pd.DataFrame, by: Sequence[str]) -> pd.DataFrame:
    """Per group, the headcount, the mean total and the group's rank by mean total (1 = best)."""
    keys = [table[c].fillna("").astype(str) for c in by]
    grouped = table["total"].astype(float).groupby(keys)
    out = pd.DataFrame({"headcount": grouped.size(), "mean_total": grouped.mean()})
    out = out.rename_axis(list(by)).reset_index()
    out["mean_total"] = round_half_away(out["mean_total"])
    out["group_rank"] = out["mean_total"].rank(method="min", ascending=False).astype("Int64")
    return out


def group_ranking(
    current: pd.DataFrame, before: pd.DataFrame, scheme: Scheme, by: Sequence[str]
) -> pd.DataFrame:
    """Groups ranked by mean total, with headcount, grade mix (%) and the change since before."""
    by = list(by)
    now = group_means(current, by)
    then = group_means(before, by).rename(
        columns={"mean_total": "previous_mean", "group_rank": "previous_group_rank"}
    )
    out = now.merge(then.drop(columns="headcount"), on=by, how="left")
    out["change"] = round_half_away(out["mean_total"] - out["previous_mean"])
    out["rank_change"] = (out["previous_group_rank"] - out["group_rank"]).astype("Int64")
    out = out.merge(grade_shares(current, scheme, by), on=by, how="left")
    columns = ["group_rank", *by, "headcount", "mean_total", "previous_mean", "change"]
    ordered = out[[*columns, "rank_change", *scheme.grade_names]]
    return ordered.sort_values(["group_rank", *by], na_position="last", ignore_index=True)


def ends(table: pd.DataFrame, count: int = CHART_ENDS) -> pd.DataFrame:
    """The first and the last `count` rows of a ranked table (all of it when it is short)."""
    position = np.arange(len(table))
    return table[(position < count) | (position >= len(table) - count)]


# ------------------------------------------------------------------ people


def person_ranking(current: pd.DataFrame, before: pd.DataFrame) -> pd.DataFrame:
    """Everyone by company rank, with their change in total and in rank since before."""
    previous = before[["employee_id", "total", "rank"]].rename(
        columns={"total": "previous_total", "rank": "previous_rank"}
    )
    out = current.merge(previous, on="employee_id", how="left")
    out["change"] = round_half_away(out["total"] - out["previous_total"])
    out["rank_change"] = (out["previous_rank"].astype("Int64") - out["rank"]).astype("Int64")
    return out.sort_values(["rank", "employee_id"], na_position="last", ignore_index=True)


def top(table: pd.DataFrame, count: int) -> pd.DataFrame:
    """The best `count` people by total, best first; people tied with the last one are kept."""
    return table.nlargest(count, "total", keep="all").sort_values(
        ["total", "employee_id"], ascending=[False, True], ignore_index=True
    )


def bottom(table: pd.DataFrame, count: int) -> pd.DataFrame:
    """The lowest `count` people by total, lowest first; people tied with the last one are kept."""
    return table.nsmallest(count, "total", keep="all").sort_values(
        ["total", "employee_id"], ignore_index=True
    )


def matching(table: pd.DataFrame, text: str) -> pd.DataFrame:
    """The people whose id or name contains the text (any case); everyone when it is blank."""
    wanted = text.strip()
    if not wanted:
        return table
    hits = pd.Series(False, index=table.index)
    for column in ("employee_id", "name"):
        hits |= table[column].astype(str).str.contains(wanted, case=False, regex=False, na=False)
    return table[hits]


def page_count(rows: int, size: int = PAGE_SIZE) -> int:
    """How many pages `rows` rows fill (at least one, so an empty table still has a page 1)."""
    return max(1, math.ceil(rows / size))


def page(table: pd.DataFrame, number: int, size: int = PAGE_SIZE) -> pd.DataFrame:
    """The rows on page `number` (from 1); a number past the end gives the last page."""
    number = min(max(1, number), page_count(len(table), size))
    return table.iloc[(number - 1) * size : number * size]


def arrowed(value: float, decimals: int = 0) -> str:
    """A change as an arrow and its size: ↑ 3, ↓ 1.25, → 0; blank when there is nothing before."""
    if pd.isna(value):
        return ""
    arrow = "↑" if value > 0 else "↓" if value < 0 else "→"
    return f"{arrow} {abs(value):.{decimals}f}"


# ------------------------------------------------------------------ distribution


def bin_width(scheme: Scheme, span: float) -> float:
    """The widest histogram bin (2 points or less) that puts every grade cutoff on a bin edge."""
    cutoffs = np.array([g.min for g in scheme.grades if g.min is not None], dtype=float)
    for width in BIN_WIDTHS:
        steps = cutoffs / width
        if np.allclose(steps, np.round(steps), atol=1e-6, rtol=0):
            return width if span / width <= MOST_BINS else BIN_WIDTHS[0]
    return BIN_WIDTHS[0]


def histogram(table: pd.DataFrame, scheme: Scheme, width: float | None = None) -> pd.DataFrame:
    """Counts of totals in bins [left, right) from the lowest total to the highest, with each
    bin's grade and share; every cutoff is a bin edge when the width allows it."""
    totals = table["total"].dropna().to_numpy(dtype=float)
    columns = ["left", "right", "count", "share", "grade"]
    if totals.size == 0:
        return pd.DataFrame(columns=columns)
    width = width or bin_width(scheme, float(totals.max() - totals.min()))
    index = np.floor(totals / width + EDGE_TOLERANCE).astype(np.int64)
    first = index.min()
    counts = np.bincount(index - first)
    left = np.round((first + np.arange(counts.size)) * width, 6)
    return pd.DataFrame(
        {
            "left": left,
            "right": np.round(left + width, 6),
            "count": counts,
            "share": np.round(counts * 100.0 / totals.size, 1),
            "grade": grade(left, scheme),
        }
    )


def quartiles(table: pd.DataFrame, by: str = "department") -> pd.DataFrame:
    """Per group, what a box plot draws: quartiles, mean, Tukey whiskers (the furthest totals
    within 1.5 × IQR of the box) and the number of totals beyond them."""
    scored = table.dropna(subset=["total"])
    keys = scored[by].fillna("").astype(str)
    totals = scored["total"].astype(float)
    grouped = totals.groupby(keys)
    out = pd.DataFrame(
        {
            "count": grouped.size(),
            "mean": grouped.mean(),
            "q1": grouped.quantile(0.25),
            "median": grouped.median(),
            "q3": grouped.quantile(0.75),
            "min": grouped.min(),
            "max": grouped.max(),
        }
    )
    spread = WHISKER * (out["q3"] - out["q1"])
    low = keys.map(out["q1"] - spread).astype(float)
    high = keys.map(out["q3"] + spread).astype(float)
    out["lowerfence"] = totals.where(totals >= low).groupby(keys).min()
    out["upperfence"] = totals.where(totals <= high).groupby(keys).max()
    out["outliers"] = ((totals < low) | (totals > high)).groupby(keys).sum()
    return out.rename_axis(by).reset_index().round(2)


def against_target_mix(table: pd.DataFrame, scheme: Scheme) -> pd.DataFrame:
    """Per grade, the actual count and share against the scheme's target mix: the share target,
    the difference in percentage points and the headcount the target implies."""
    columns = ["grade", "count", "share", "target_share", "difference", "target_count", "excess"]
    if not scheme.target_mix:
        return pd.DataFrame(columns=columns)
    grades = table.dropna(subset=["total"])["grade"].astype(str)
    count = grades.value_counts().reindex(scheme.grade_names, fill_value=0)
    graded = int(count.sum())
    out = pd.DataFrame({"grade": scheme.grade_names, "count": count.to_numpy(dtype=int)})
    out["share"] = (out["count"] * 100.0 / graded).round(1) if graded else np.nan
    out["target_share"] = out["grade"].map(scheme.target_mix).astype(float)
    out["difference"] = (out["share"] - out["target_share"]).round(1)
    out["target_count"] = (out["target_share"] * graded / 100.0).round(1)
    out["excess"] = (out["count"] - out["target_count"]).round(1)
    return out[columns]
