"""Two periods of one department side by side: grade mix, KPI means, ranks and who moved, and
chart axes that show a change at its true size (pure pandas, no UI)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine.analysis.ranking import grade_counts, group_means
from engine.schemes.scheme import Scheme

# The smallest span of a score axis (points): a 0.5-point change then looks like 0.5 of 20.
MIN_SCORE_SPAN = 20.0
MOVE_COLUMNS = [
    "employee_id",
    "name",
    "team",
    "total_a",
    "total_b",
    "change",
    "grade_a",
    "grade_b",
    "dept_rank_a",
    "dept_rank_b",
    "move",
]


def score_axis(values, min_span: float = MIN_SCORE_SPAN, low: float = 0.0, high: float = 100.0):
    """A [bottom, top] range for a score axis holding the values: at least `min_span` points
    wide, centred on the data, kept inside [low, high]."""
    data = pd.Series(values, dtype=float).dropna()
    if data.empty:
        return [low, high]
    bottom, top = float(data.min()), float(data.max())
    pad = max((min_span - (top - bottom)) / 2, (top - bottom) * 0.1)
    bottom, top = bottom - pad, top + pad
    if bottom < low:
        top, bottom = min(top + (low - bottom), high), low
    if top > high:
        bottom, top = max(bottom - (top - high), low), high
    return [bottom, top]


def grade_mix(a: pd.DataFrame, b: pd.DataFrame, scheme: Scheme) -> pd.DataFrame:
    """Per grade (best first): count and share (%) in period A and B, and the change in share."""
    counts = [grade_counts(t.assign(_all=""), scheme, ["_all"]) for t in (a, b)]
    out = pd.DataFrame({"grade": scheme.grade_names})
    for suffix, found in zip(("a", "b"), counts, strict=True):
        values = found[scheme.grade_names].sum().to_numpy(dtype=float)
        out[f"count_{suffix}"] = values.astype(int)
        total = values.sum()
        out[f"share_{suffix}"] = values / total * 100 if total else np.nan
    out["change"] = out["share_b"] - out["share_a"]
    return out


def kpi_means(a: pd.DataFrame, b: pd.DataFrame, scheme: Scheme) -> pd.DataFrame:
    """Per KPI with a score in either period: the mean KPI score in A and B and the change."""
    columns = [f"score_{k}" for k in scheme.kpi_ids]
    out = pd.DataFrame(
        {
            "kpi": scheme.kpi_ids,
            "mean_a": a.reindex(columns=columns).mean().to_numpy(dtype=float),
            "mean_b": b.reindex(columns=columns).mean().to_numpy(dtype=float),
        }
    )
    out["change"] = out["mean_b"] - out["mean_a"]
    return out.dropna(subset=["mean_a", "mean_b"], how="all").reset_index(drop=True)


def department_rank(table: pd.DataFrame, department: str) -> tuple[float, float, int]:
    """The department's mean total, its rank among the departments by mean total and how many
    departments there are (NaN when it has no one)."""
    means = group_means(table.dropna(subset=["total"]), ["department"])
    found = means[means["department"] == department]
    if found.empty:
        return np.nan, np.nan, len(means)
    return float(found["mean_total"].iloc[0]), float(found["group_rank"].iloc[0]), len(means)


def people_moves(a: pd.DataFrame, b: pd.DataFrame, scheme: Scheme) -> pd.DataFrame:
    """Everyone in either period: totals, grades and ranks in the department in A and B, the
    change and the move (up, down, same grade, joined, left); grade changes first, then the
    largest changes."""
    keep = ["employee_id", "name", "team", "total", "grade", "dept_rank"]
    left = a.reindex(columns=keep).add_suffix("_a").rename(columns={"employee_id_a": "employee_id"})
    right = (
        b.reindex(columns=keep).add_suffix("_b").rename(columns={"employee_id_b": "employee_id"})
    )
    out = left.merge(right, on="employee_id", how="outer")
    out["name"] = out["name_b"].combine_first(out["name_a"])
    out["team"] = out["team_b"].combine_first(out["team_a"])
    out["change"] = out["total_b"] - out["total_a"]
    in_a, in_b = out["total_a"].notna(), out["total_b"].notna()
    order = {g: i for i, g in enumerate(scheme.grade_names)}  # best grade first
    level_a = out["grade_a"].astype(object).map(order).astype(float)
    level_b = out["grade_b"].astype(object).map(order).astype(float)
    moved = np.select(
        [~in_a & in_b, in_a & ~in_b, level_a == level_b, level_b < level_a],
        ["joined", "left", "same", "up"],
        "down",
    )
    out["move"] = np.where(~in_a & ~in_b, "same", moved)
    order = out["move"].map({"up": 0, "down": 0, "joined": 1, "left": 1, "same": 2})
    out = out.assign(_order=order, _size=-out["change"].abs().fillna(0))
    out = out.sort_values(["_order", "_size", "employee_id"], ignore_index=True)
    return out[MOVE_COLUMNS]


def move_counts(moves: pd.DataFrame) -> dict[str, int]:
    """How many people moved up a grade, down, kept it, joined and left."""
    counts = moves["move"].value_counts()
    return {m: int(counts.get(m, 0)) for m in ("up", "down", "same", "joined", "left")}
