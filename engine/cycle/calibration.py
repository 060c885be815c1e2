"""The figures HR calibrates a month with: grade counts per department against the target mix,
the people close to a cutoff."""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine.schemes.scheme import Scheme
from engine.scoring.score import round_half_away


def grade_counts(table: pd.DataFrame, scheme: Scheme, column: str = "grade") -> pd.DataFrame:
    """Departments side by side: per grade the count and share (%) of the graded people counted
    in the mix, with a last row of the scheme's target shares (when it has a target mix)."""
    counted = table["in_mix"].fillna(True).astype(bool) if "in_mix" in table else True
    graded = table[table[column].notna() & counted]  # probation, leavers … are not in the mix
    counts = pd.crosstab(graded["department"], graded[column].astype(str)).reindex(
        columns=scheme.grade_names, fill_value=0
    )
    people = counts.sum(axis=1)
    shares = counts.div(people.where(people > 0), axis=0) * 100.0
    shares = pd.DataFrame(round_half_away(shares, 1), index=counts.index, columns=counts.columns)
    out = pd.concat([people.rename("people"), counts, shares.add_suffix(" %")], axis=1)
    if scheme.target_mix:
        target = {f"{g} %": scheme.target_mix.get(g, 0.0) for g in scheme.grade_names}
        out = pd.concat([out, pd.DataFrame([target], index=["目标 target"])])
    return out.rename_axis("department").reset_index()


def near_cutoffs(table: pd.DataFrame, scheme: Scheme, within: float) -> pd.DataFrame:
    """The people whose total lies within `within` points of a grade cutoff (either side),
    closest first: the cutoff, the grade above it and the points to it (negative: above)."""
    cutoffs = np.array([g.min for g in scheme.grades[:-1]], dtype=float)
    totals = table["total"].to_numpy(dtype=float)
    if not len(cutoffs) or not len(table):
        return pd.DataFrame(columns=["employee_id", "cutoff", "grade_above", "points_to_cutoff"])
    gap = cutoffs[None, :] - totals[:, None]  # rows × cutoffs
    nearest = np.nanargmin(np.where(np.isnan(gap), np.inf, np.abs(gap)), axis=1)
    points = np.round(gap[np.arange(len(table)), nearest], 2)
    close = np.abs(points) <= within
    out = table.loc[close, ["employee_id", "name", "department", "total", "grade"]].assign(
        cutoff=cutoffs[nearest[close]],
        grade_above=np.array(scheme.grade_names[:-1], dtype=object)[nearest[close]],
        points_to_cutoff=points[close],
    )
    return out.sort_values(
        ["points_to_cutoff", "employee_id"], key=lambda c: c.abs() if c.name != "employee_id" else c
    ).reset_index(drop=True)
