"""Values a scheme may score instead of the raw ones: a rate shrunk towards its department's
(empirical Bayes, beta-binomial) and a rating moved off its rater's leniency."""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine.schemes.scheme import Kpi, Scheme, normalize_header


def named_column(facts: pd.DataFrame, headers: tuple[str, ...]) -> pd.Series | None:
    """The facts column with one of the headers (matched as headers are), if there is one."""
    by_header = {normalize_header(c): c for c in facts.columns}
    found = next((by_header[h] for h in map(normalize_header, headers) if h in by_header), None)
    return None if found is None else facts[found]


def case_counts(facts: pd.DataFrame, kpi: Kpi) -> pd.Series:
    """How many cases each row's rate is out of (missing where the file gives none or 0).
    Extras are kept as text: '1,234' reads as 1234."""
    raw = named_column(facts, kpi.denominator)
    if raw is None:
        return pd.Series(np.nan, index=facts.index)
    if not pd.api.types.is_numeric_dtype(raw):
        raw = pd.to_numeric(raw.astype("string").str.replace(",", "", regex=False), "coerce")
    cases = raw.astype(float)
    return cases.where(cases > 0)


def raters(facts: pd.DataFrame, kpi: Kpi) -> pd.Series:
    """Who rated each row (missing where the file names no one)."""
    raw = named_column(facts, kpi.rater)
    if raw is None:
        return pd.Series(pd.NA, index=facts.index, dtype="string")
    text = raw.astype("string").str.strip()
    return text.mask(text.eq(""))


def successes(rate_percent: pd.Series, cases: pd.Series) -> pd.Series:
    """The cases behind a rate in %: 92.0 % of 25 surveys is 23 (rates are written rounded)."""
    return np.round(rate_percent * cases / 100.0)


def beta_prior(hits: pd.Series, cases: pd.Series, groups: pd.Series) -> pd.DataFrame:
    """Per row, its group's beta prior fitted by the method of moments: the pooled rate (mean,
    0–1) and the prior's strength (α + β, in cases). Between-person variance is what the rates'
    sample variance leaves after the binomial noise their case counts explain; none left means
    the group's rates differ no more than chance (strength inf: everyone gets the pooled rate).
    A group with fewer than two rates gets strength 0 (no shrinkage)."""
    have = hits.notna() & cases.notna()
    rate = (hits / cases).where(have)
    frame = pd.DataFrame({"g": groups, "x": hits.where(have), "n": cases.where(have), "p": rate})
    grouped = frame.groupby("g", dropna=False, sort=False)
    mean = grouped["x"].transform("sum") / grouped["n"].transform("sum")
    count = grouped["p"].transform("count")
    noise = (
        mean * (1.0 - mean) * (1.0 / frame["n"]).groupby(frame["g"], dropna=False).transform("mean")
    )
    between = grouped["p"].transform("var") - noise
    strength = np.where(between > 0, mean * (1.0 - mean) / between - 1.0, np.inf)
    strength = np.where(count < 2, 0.0, np.maximum(strength, 0.0))
    return pd.DataFrame({"mean": mean, "strength": strength}, index=hits.index)


def shrunk_rate(hits: pd.Series, cases: pd.Series, prior: pd.DataFrame) -> pd.Series:
    """The posterior mean rate (0–1): (hits + strength × mean) / (cases + strength), a weighted
    average of the person's own rate (weight: their cases) and the group's (weight: strength)."""
    strength = prior["strength"]
    own = hits / cases
    blended = (hits + strength * prior["mean"]) / (cases + strength)
    return pd.Series(np.where(np.isinf(strength), prior["mean"], blended), index=hits.index).where(
        own.notna()
    )


def shrunk_percent(rate: pd.Series, cases: pd.Series, groups: pd.Series) -> pd.Series:
    """A rate in % shrunk towards its group's rate; the raw rate where there are no cases."""
    hits = successes(rate, cases)
    shrunk = shrunk_rate(hits, cases, beta_prior(hits, cases, groups)) * 100.0
    return shrunk.fillna(rate)


def rater_rescaled(
    ratings: pd.Series, by: pd.Series, peers: pd.Series, low: float, high: float
) -> pd.Series:
    """Each rater's ratings moved onto their peers' distribution (same period and role, every
    rater): standardised within the rater (period, role, rater) and given the peers' mean and
    spread. A rater with one rating, or all equal, is only shifted by the difference in means.
    Kept on the rating scale; rows without a rater keep their rating."""
    own = ratings.groupby([peers, by], dropna=False, sort=False)
    everyone = ratings.groupby(peers, dropna=False, sort=False)
    own_mean, own_sd = own.transform("mean"), own.transform("std")
    peer_mean, peer_sd = everyone.transform("mean"), everyone.transform("std")
    spread = (peer_sd / own_sd).where(own_sd > 0, 1.0).fillna(1.0)
    moved = peer_mean + (ratings - own_mean) * spread
    return moved.clip(low, high).where(by.notna(), ratings)


def adjusted_values(
    facts: pd.DataFrame, roster: pd.DataFrame, values: pd.DataFrame, scheme: Scheme
) -> tuple[pd.DataFrame, dict[str, pd.Series]]:
    """The values to score (shrunk rates, rescaled ratings where the scheme turns them on) and
    the columns to keep beside the raw values: cases_<kpi>, rater_<kpi>, adjusted_<kpi>. Rows
    are grouped by the roster's period, department and role (same index as facts)."""
    scored, kept = values, {}  # copied only when a value is adjusted
    department = roster["department"].astype("string").fillna("")
    period = roster["period"].astype("string").fillna("")
    role = roster["role"].astype("string").fillna("")
    for kpi in scheme.kpis:
        if kpi.denominator:
            cases = case_counts(facts, kpi)
            kept[f"cases_{kpi.id}"] = cases
            if kpi.score_shrunk:
                groups = period + "\x1f" + department
                kept[f"adjusted_{kpi.id}"] = shrunk_percent(values[kpi.id], cases, groups)
                scored = scored.assign(**{kpi.id: kept[f"adjusted_{kpi.id}"]})
        if kpi.rater:
            who = raters(facts, kpi)
            kept[f"rater_{kpi.id}"] = who
            if kpi.rescale_by_rater:
                moved = rater_rescaled(
                    values[kpi.id], who, period + "\x1f" + role, *kpi.valid_range
                )
                scored = scored.assign(**{kpi.id: moved})
                kept[f"adjusted_{kpi.id}"] = moved
    return scored, kept
