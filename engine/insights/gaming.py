"""Gaming pairs: people whose two KPIs that should move together moved the suspicious way
(handling time down while rework goes up) against their own history."""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine.insights.control import D2
from engine.schemes.scheme import GamingPair

# How far each KPI of the pair must move, in standard errors of the person's own variation:
# 1.5 each, the wrong way on both, happens by chance to about 1 person in 200 per pair and
# period (0.067² if the two were independent).
THRESHOLD = 1.5
MIN_HISTORY = 3  # earlier months needed to know a person's usual level and variation
PERSON_COLUMNS = ["employee_id", "name", "department", "team", "role"]


def own_movement(monthly: pd.DataFrame, kpi_id: str, months: list[str]) -> pd.DataFrame:
    """Per person: the KPI's mean before the months given (their own history), its usual
    month-to-month variation (sigma = mean moving range / 1.128), the mean over the months
    given, and the move: the difference of the two means in standard errors, sigma ×
    √(1/months now + 1/months before) (missing with fewer than 3 earlier months)."""
    return coded_movement(*person_codes(monthly, months, [kpi_id]), kpi_id)


def person_codes(
    monthly: pd.DataFrame, months: list[str], kpis: list[str]
) -> tuple[pd.DataFrame, pd.Index]:
    """The rows' people and months as integer codes in the order of their text, sorted by
    person then month once (sorting and grouping a million rows by codes instead of text:
    several times faster, the same order), whether each row is before the months given or
    among them, the KPIs' values; and the people's ids by code. Rows without an employee id
    are left out (grouping leaves them out too)."""
    ids, people = pd.factorize(monthly["employee_id"], sort=True)
    period = monthly["period"]
    periods = pd.factorize(period, sort=True)[0]
    order = np.lexsort((periods, ids))  # stable: as sort_values by the two
    order = order[ids[order] >= 0]
    coded = pd.DataFrame(
        {
            "employee_id": ids[order],
            "period": periods[order],
            "before": (period < min(months)).to_numpy(dtype=bool)[order],
            "now": period.isin(months).to_numpy(dtype=bool)[order],
            **{k: monthly[k].to_numpy()[order] for k in kpis},
        }
    )
    return coded, pd.Index(people, name="employee_id")


def coded_movement(coded: pd.DataFrame, people: pd.Index, kpi_id: str) -> pd.DataFrame:
    """own_movement of rows coded and sorted by person_codes, by employee id."""
    rows = coded.dropna(subset=[kpi_id])
    before = rows[rows["before"]]
    now = rows[rows["now"]]
    steps = (
        before[kpi_id]
        .astype(float)
        .diff()
        .where(before["employee_id"].eq(before["employee_id"].shift(1)))
    )
    grouped = before.groupby("employee_id")[kpi_id]
    history = pd.DataFrame(
        {
            "baseline": grouped.mean(),
            "sigma": steps.abs().groupby(before["employee_id"]).mean() / D2,
            "months_before": grouped.count(),
        }
    )
    current = now.groupby("employee_id")[kpi_id].agg(["mean", "count"])
    out = history.join(current.rename(columns={"mean": "now", "count": "months_now"}), how="inner")
    error = out["sigma"] * np.sqrt(1 / out["months_now"] + 1 / out["months_before"])
    enough = (out["months_before"] >= MIN_HISTORY) & (out["sigma"] > 0)
    out["moved"] = ((out["now"] - out["baseline"]) / error).where(enough)
    return out.set_axis(people.take(out.index.to_numpy()), axis=0)


def gaming_suspects(
    monthly: pd.DataFrame, pair: GamingPair, months: list[str], threshold: float = THRESHOLD
) -> pd.DataFrame:
    """People whose first KPI moved `first_moves` and second `second_moves`, each by at least
    `threshold` sigmas of their own variation, over the months given against the months
    before: one row each with both KPIs' baseline, level now and move; most moved first."""
    if pair.first not in monthly or pair.second not in monthly:
        return pd.DataFrame(columns=[*PERSON_COLUMNS, *SUSPECT_COLUMNS])
    return with_people(suspect_moves(monthly, pair, months, threshold), monthly)


def suspect_moves(
    monthly: pd.DataFrame, pair: GamingPair, months: list[str], threshold: float = THRESHOLD
) -> pd.DataFrame:
    """gaming_suspects' people by employee id with both KPIs' moves and the strength (the
    smaller move), before who they are is added (with_people): reads employee_id, period and
    the pair's two KPIs only."""
    coded, people = person_codes(monthly, months, [pair.first, pair.second])  # sorted once
    first = coded_movement(coded, people, pair.first).add_prefix("first_")
    second = coded_movement(coded, people, pair.second).add_prefix("second_")
    both = first.join(second, how="inner")
    sign = {"up": 1.0, "down": -1.0}
    first_way = sign[pair.first_moves] * both["first_moved"]
    second_way = sign[pair.second_moves] * both["second_moved"]
    suspect = (first_way >= threshold) & (second_way >= threshold)
    return both[suspect].assign(strength=np.minimum(first_way, second_way)[suspect])


def with_people(found: pd.DataFrame, monthly: pd.DataFrame) -> pd.DataFrame:
    """The suspects (suspect_moves) with who they are, most moved first; `monthly` needs to
    hold only the suspects' own rows (period and PERSON_COLUMNS)."""
    # Who they are (their latest name, department, team, role) from their own rows only: a
    # handful of people, not a sort of every row of every month.
    theirs = monthly[monthly["employee_id"].isin(found.index)]
    people = theirs.sort_values("period").groupby("employee_id")[PERSON_COLUMNS[1:]].last()
    found = found.join(people, how="left").reset_index(names="employee_id")
    found = found.sort_values(["strength", "employee_id"], ascending=[False, True])
    return found[[*PERSON_COLUMNS, *SUSPECT_COLUMNS]].reset_index(drop=True)


SUSPECT_COLUMNS = [
    "first_baseline",
    "first_now",
    "first_moved",
    "second_baseline",
    "second_now",
    "second_moved",
]


def pair_series(monthly: pd.DataFrame, pair: GamingPair, employee_id: str) -> pd.DataFrame:
    """One person's two KPIs month by month, for drawing side by side."""
    rows = monthly[monthly["employee_id"].eq(employee_id)].sort_values("period")
    return rows[["period", pair.first, pair.second]].reset_index(drop=True)
