"""Fair rates for small samples: each person's rate with a Wilson interval, shrunk towards the
department's rate, flagged below the scheme's minimum cases, and the funnel plot's limits."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import norm
from statsmodels.stats.proportion import proportion_confint

from engine.schemes.scheme import Kpi, Scheme
from engine.scoring.adjusted import beta_prior, shrunk_rate, successes

LEVEL = 0.95  # the intervals' confidence
FUNNEL_LEVELS = (0.95, 0.998)  # the funnel plot's inner and outer limits (about 2 and 3 sd)
PERSON_COLUMNS = ["employee_id", "name", "department", "team", "role"]


def rate_kpis(scheme: Scheme) -> list[Kpi]:
    """The KPIs whose cases the scheme names (a rate with a denominator column)."""
    return [k for k in scheme.kpis if k.denominator]


def wilson(hits: np.ndarray, cases: np.ndarray, level: float = LEVEL) -> tuple:
    """The Wilson score interval (0–1) of hits out of cases; missing where there are no cases."""
    hits, cases = np.asarray(hits, dtype=float), np.asarray(cases, dtype=float)
    usable = np.isfinite(hits) & np.isfinite(cases) & (cases > 0)
    low, high = np.full(hits.shape, np.nan), np.full(hits.shape, np.nan)
    if usable.any():
        low[usable], high[usable] = proportion_confint(
            hits[usable], cases[usable], alpha=1 - level, method="wilson"
        )
    return low, high


def person_rates(monthly: pd.DataFrame, kpi: Kpi) -> pd.DataFrame:
    """Per person over the months given: hits and cases summed, the rate (%), its Wilson
    interval, the rate shrunk towards the department's (%), and whether the cases are fewer
    than the scheme's minimum."""
    cases_column = f"cases_{kpi.id}"
    if cases_column not in monthly or kpi.id not in monthly:
        return pd.DataFrame(columns=[*PERSON_COLUMNS, *RATE_COLUMNS])
    rows = monthly.assign(
        _cases=monthly[cases_column].astype(float),
        _hits=successes(monthly[kpi.id].astype(float), monthly[cases_column].astype(float)),
    ).dropna(subset=["_cases", "_hits"])
    rows = rows.sort_values(["employee_id", "period"])
    grouped = rows.groupby("employee_id", sort=True)
    people = grouped[[c for c in PERSON_COLUMNS if c != "employee_id"]].last()
    people = people.assign(hits=grouped["_hits"].sum(), cases=grouped["_cases"].sum())
    people = people.reset_index()
    low, high = wilson(people["hits"], people["cases"])
    prior = beta_prior(people["hits"], people["cases"], people["department"])
    return people.assign(
        rate=100.0 * people["hits"] / people["cases"],
        low=100.0 * low,
        high=100.0 * high,
        shrunk=100.0 * shrunk_rate(people["hits"], people["cases"], prior),
        department_rate=100.0 * prior["mean"],
        few=people["cases"] < kpi.min_cases,
    )[[*PERSON_COLUMNS, *RATE_COLUMNS]]


RATE_COLUMNS = ["rate", "hits", "cases", "low", "high", "shrunk", "department_rate", "few"]


def funnel_limits(
    pooled: float, largest: float, levels: tuple[float, ...] = FUNNEL_LEVELS, points: int = 200
) -> pd.DataFrame:
    """The funnel plot's control limits (%) around a pooled rate (0–1), for case counts from 1
    to `largest`: pooled ± z·√(pooled·(1 − pooled)/cases) (normal approximation), kept within
    0–100 %. A rate outside the outer limits differs from the pooled rate by more than its
    sample size explains."""
    sizes = np.unique(np.geomspace(1, max(largest, 2), points).round())
    spread = np.sqrt(pooled * (1 - pooled) / sizes)
    limits = {"cases": sizes}
    for level in levels:
        z = norm.ppf(0.5 + level / 2)
        limits[f"low_{level:g}"] = 100.0 * np.clip(pooled - z * spread, 0, 1)
        limits[f"high_{level:g}"] = 100.0 * np.clip(pooled + z * spread, 0, 1)
    return pd.DataFrame(limits)


def outside_funnel(
    rates: pd.DataFrame, pooled: float, level: float = FUNNEL_LEVELS[-1]
) -> pd.Series:
    """True for the rates outside the funnel's limits at the level (see funnel_limits)."""
    z = norm.ppf(0.5 + level / 2)
    spread = 100.0 * z * np.sqrt(pooled * (1 - pooled) / rates["cases"])
    return (rates["rate"] - 100.0 * pooled).abs() > spread


def pooled_rate(rates: pd.DataFrame) -> float:
    """All hits over all cases (0–1)."""
    cases = rates["cases"].sum()
    return float(rates["hits"].sum() / cases) if cases > 0 else float("nan")
