"""Targets per team and per person per month (目标): which target holds for each monthly row (a
person's own over their team's), and how a target takes the place of a linear KPI's standard."""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine.schemes.scheme import Kpi, Scheme

TARGET_PREFIX = "target_"
TARGET_COLUMNS = ["period", "scope", "employee_id", "department", "team", "kpi", "target"]
SCOPES = ("person", "team")


def target_column(kpi_id: str) -> str:
    return f"{TARGET_PREFIX}{kpi_id}"


def with_targets(facts: pd.DataFrame, targets: pd.DataFrame, scheme: Scheme) -> pd.DataFrame:
    """The facts with a `target_<kpi>` column per KPI that has a target in their months: the
    person's own target for the month, else their team's (a team target with no department
    holds for that team name in every department), else missing."""
    if targets is None or targets.empty or facts.empty:
        return facts
    targets = targets[targets["kpi"].isin(scheme.kpi_ids)]
    added = {}
    keys = facts.reset_index(drop=True)
    period = keys["period"].astype(str)
    person_key = period + "\x1f" + keys["employee_id"].astype(str)
    team = keys["team"].astype(object).fillna("").astype(str)
    department = keys["department"].astype(object).fillna("").astype(str)
    team_key = period + "\x1f" + department + "\x1f" + team
    any_team_key = period + "\x1f\x1f" + team
    for kpi_id, rows in targets.groupby("kpi", sort=False):
        person = rows[rows["scope"] == "person"]
        teams = rows[rows["scope"] == "team"]
        by_person = pd.Series(
            person["target"].to_numpy(float),
            index=person["period"].astype(str) + "\x1f" + person["employee_id"].astype(str),
        )
        by_team = pd.Series(
            teams["target"].to_numpy(float),
            index=teams["period"].astype(str)
            + "\x1f"
            + teams["department"].astype(str)
            + "\x1f"
            + teams["team"].astype(str),
        )
        found = person_key.map(by_person)
        found = found.fillna(team_key.map(by_team)).fillna(any_team_key.map(by_team))
        added[target_column(str(kpi_id))] = found.to_numpy(dtype=float)
    names = [target_column(k) for k in scheme.kpi_ids if target_column(k) in added]
    return pd.concat([facts, pd.DataFrame({n: added[n] for n in names}, index=facts.index)], axis=1)


def row_targets(table: pd.DataFrame, scheme: Scheme) -> dict[str, np.ndarray]:
    """The per-row target of each KPI that has a target column in the table."""
    return {
        k: table[target_column(k)].to_numpy(dtype=float)
        for k in scheme.kpi_ids
        if target_column(k) in table
    }


def on_standard_scale(values: np.ndarray, target: np.ndarray, kpi: Kpi) -> np.ndarray:
    """A linear KPI's values moved so that the scheme's own formula scores them against each
    row's target: value' = floor + (value − floor) × (standard − floor) / (target − floor), so
    100 × clamp((value' − floor) / (standard − floor), 0, cap) equals
    100 × clamp((value − floor) / (target − floor), 0, cap). Rows without a target, and KPIs
    that are not linear, are unchanged."""
    if kpi.method != "linear":
        return values
    has = ~np.isnan(target) & (target != kpi.floor)
    stretch = np.where(has, (kpi.target - kpi.floor) / np.where(has, target - kpi.floor, 1.0), 1.0)
    return np.where(has, kpi.floor + (values - kpi.floor) * stretch, values)


def achievement_against_target(
    values: np.ndarray, target: np.ndarray, standard: float
) -> np.ndarray:
    """An achievement (% of the standard, e.g. 达成率) against the row's own target instead:
    value × standard / target where a target is set, else the value as it is."""
    has = ~np.isnan(target) & (target > 0)
    return np.where(has, values * standard / np.where(has, target, 1.0), values)


def target_problem(kpi: Kpi, target: float) -> tuple[str, str] | None:
    """Why a target cannot be used for a KPI (Chinese, English), or None: a linear KPI needs a
    target on the good side of its floor (above it when higher is better, below when lower)."""
    if kpi.method != "linear":
        return None
    floor = f"{kpi.floor:g}"
    if kpi.direction == "higher" and target <= kpi.floor:
        return (f"目标须高于下限 {floor}", f"the target must be above the floor {floor}")
    if kpi.direction == "lower" and target >= kpi.floor:
        return (f"目标须低于下限 {floor}", f"the target must be below the floor {floor}")
    return None
