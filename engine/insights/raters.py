"""Rater leniency: per rater and role, the mean and spread of their ratings and how far they sit
from the other raters' ratings of people in the same role, with a Welch interval."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import t as student_t

from engine.schemes.scheme import Kpi, Scheme

LEVEL = 0.95
LENIENCY_COLUMNS = [
    "rater",
    "role",
    "people",
    "mean",
    "sd",
    "others_mean",
    "difference",
    "low",
    "high",
    "verdict",
]


def rated_kpis(scheme: Scheme) -> list[Kpi]:
    """The rating KPIs whose rater the scheme names."""
    return [k for k in scheme.kpis if k.rater]


def person_ratings(monthly: pd.DataFrame, kpi: Kpi) -> pd.DataFrame:
    """One row per person, role and rater: the person's mean rating from that rater over the
    months given (a person is one observation however many months they were rated)."""
    rater_column = f"rater_{kpi.id}"
    if rater_column not in monthly or kpi.id not in monthly:
        return pd.DataFrame(columns=["employee_id", "role", "rater", "rating"])
    rows = monthly.assign(rater=monthly[rater_column], rating=monthly[kpi.id].astype(float)).dropna(
        subset=["rater", "rating"]
    )
    rows = rows.assign(role=rows["role"].astype("string").fillna(""))
    return rows.groupby(["employee_id", "role", "rater"], as_index=False, sort=True)[
        "rating"
    ].mean()


def leniency(ratings: pd.DataFrame, level: float = LEVEL) -> pd.DataFrame:
    """Per rater and role: people rated, mean, sd, the other raters' mean for the role, the
    difference and its Welch interval (unequal variances, Welch–Satterthwaite degrees of
    freedom); verdict lenient / harsh where the interval leaves out 0, else usual."""
    if ratings.empty:
        return pd.DataFrame(columns=LENIENCY_COLUMNS)
    own = ratings.groupby(["rater", "role"], sort=True)["rating"].agg(["count", "sum", "mean"])
    own["squares"] = (
        (ratings["rating"] ** 2).groupby([ratings["rater"], ratings["role"]], sort=True).sum()
    )
    role = ratings.groupby("role")["rating"].agg(["count", "sum"])
    role["squares"] = (ratings["rating"] ** 2).groupby(ratings["role"]).sum()
    roles = own.index.get_level_values("role")
    n2 = role["count"].reindex(roles).to_numpy() - own["count"].to_numpy()
    s2 = role["sum"].reindex(roles).to_numpy() - own["sum"].to_numpy()
    q2 = role["squares"].reindex(roles).to_numpy() - own["squares"].to_numpy()
    n1, m1 = own["count"].to_numpy(dtype=float), own["mean"].to_numpy()
    v1 = _variance(n1, own["sum"].to_numpy(), own["squares"].to_numpy())
    m2 = np.divide(s2, n2, out=np.full(len(n2), np.nan), where=n2 > 0)
    v2 = _variance(n2.astype(float), s2, q2)
    a, b = v1 / n1, v2 / n2
    se = np.sqrt(a + b)
    df = (a + b) ** 2 / (a**2 / (n1 - 1) + b**2 / (n2 - 1))
    half = student_t.ppf(0.5 + level / 2, df) * se
    difference = m1 - m2
    low, high = difference - half, difference + half
    verdict = np.select([low > 0, high < 0], ["lenient", "harsh"], "usual")
    verdict = np.where(np.isnan(half), "too_few", verdict)
    out = own.reset_index()
    return pd.DataFrame(
        {
            "rater": out["rater"],
            "role": out["role"],
            "people": out["count"],
            "mean": out["mean"],
            "sd": np.sqrt(v1),
            "others_mean": m2,
            "difference": difference,
            "low": low,
            "high": high,
            "verdict": verdict,
        }
    )


def _variance(count: np.ndarray, total: np.ndarray, squares: np.ndarray) -> np.ndarray:
    """Sample variance (n − 1) from a count, sum and sum of squares; missing below 2 values."""
    with np.errstate(divide="ignore", invalid="ignore"):
        variance = (squares - total**2 / count) / (count - 1)
    return np.where(count >= 2, np.maximum(variance, 0.0), np.nan)
