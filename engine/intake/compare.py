"""What an import changes: a file against the month it replaces, or against the month before."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from engine.intake.parse import PROBLEM_COLUMNS
from engine.schemes.scheme import Scheme

ROSTER_COMPARED = ["name", "department", "team", "role", "region"]
JUMP_FACTOR = 3.0


@dataclass(frozen=True)
class MonthDiff:
    """People added and removed, and every value that differs, between two versions of a month."""

    added: pd.DataFrame
    removed: pd.DataFrame
    changed: pd.DataFrame

    @property
    def unchanged(self) -> bool:
        return self.added.empty and self.removed.empty and self.changed.empty

    @property
    def summary(self) -> dict[str, int]:
        return {
            "added": len(self.added),
            "removed": len(self.removed),
            "changed_values": len(self.changed),
            "changed_people": self.changed["employee_id"].nunique(),
        }


def compared_columns(old: pd.DataFrame, new: pd.DataFrame, scheme: Scheme) -> list[str]:
    kpis = [k for k in scheme.kpi_ids if k in old or k in new]
    return [c for c in ROSTER_COMPARED if c in old or c in new] + kpis


def month_diff(old: pd.DataFrame, new: pd.DataFrame, scheme: Scheme) -> MonthDiff:
    """Who is added, who is removed and which values change when `new` replaces `old`."""
    columns = compared_columns(old, new, scheme)
    left = old.reindex(columns=["employee_id", *columns]).set_index("employee_id")
    right = new.reindex(columns=["employee_id", *columns]).set_index("employee_id")
    added = new[~new["employee_id"].isin(left.index)][["employee_id", "name", "department"]]
    removed = old[~old["employee_id"].isin(right.index)][["employee_id", "name", "department"]]
    both = left.index.intersection(right.index)
    before = left.loc[both].stack(future_stack=True).rename("old")
    after = right.loc[both].stack(future_stack=True).rename("new")
    pairs = pd.concat([before, after], axis=1)
    pairs.index.names = ["employee_id", "column"]
    differs = ~_same(pairs["old"], pairs["new"])
    changed = pairs[differs].reset_index()
    return MonthDiff(added.reset_index(drop=True), removed.reset_index(drop=True), changed)


def _same(left: pd.Series, right: pd.Series) -> pd.Series:
    """Equal values, blanks equal to blanks, numbers compared to a hundredth of a cent."""
    both_blank = left.isna() & right.isna()
    as_left, as_right = pd.to_numeric(left, errors="coerce"), pd.to_numeric(right, errors="coerce")
    numeric = as_left.notna() & as_right.notna()
    close = numeric & np.isclose(as_left.fillna(0), as_right.fillna(0), rtol=0, atol=1e-4)
    text_equal = ~numeric & (left.astype(str) == right.astype(str)) & left.notna() & right.notna()
    return both_blank | close | text_equal


def warnings_against_previous(
    new: pd.DataFrame, previous: pd.DataFrame, scheme: Scheme, file_name: str
) -> pd.DataFrame:
    """Things worth a look before importing: a KPI whose mean jumps 3× either way against the
    month before, employees missing since then, and new employees."""
    if previous.empty or new.empty:
        return pd.DataFrame(columns=PROBLEM_COLUMNS)
    notes = []
    for kpi in scheme.kpis:
        if kpi.id not in new or kpi.id not in previous:
            continue
        now, then = new[kpi.id].mean(), previous[kpi.id].mean()
        if pd.notna(now) and pd.notna(then) and min(now, then) > 0:
            ratio = now / then
            if ratio >= JUMP_FACTOR or ratio <= 1 / JUMP_FACTOR:
                notes.append(
                    (
                        kpi.id,
                        f"{then:.4g} → {now:.4g}",
                        f"{kpi.name_zh}: mean is {ratio:.1f}× last month's",
                    )
                )
    missing = previous[~previous["employee_id"].isin(new["employee_id"])]
    arrived = new[~new["employee_id"].isin(previous["employee_id"])]
    if len(missing):
        notes.append(
            (
                "employee_id",
                _some(missing),
                f"{len(missing)} employee(s) of last month are not in this file",
            )
        )
    if len(arrived):
        notes.append(
            ("employee_id", _some(arrived), f"{len(arrived)} employee(s) are new since last month")
        )
    out = pd.DataFrame(notes, columns=["column", "value", "problem"])
    return out.assign(file=file_name, row=pd.NA)[PROBLEM_COLUMNS]


def _some(people: pd.DataFrame, shown: int = 8) -> str:
    names = (people["employee_id"] + " " + people["name"].fillna("")).head(shown).tolist()
    return ", ".join(names) + (" …" if len(people) > shown else "")
