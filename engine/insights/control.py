"""Signals, not noise: control charts over the months (p-chart for rates with cases, X-mR for
the rest), the Western Electric rules, and which people's changes exceed their usual variation."""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine.schemes.scheme import Scheme

# X-mR constants for moving ranges of two (Wheeler): sigma = mR̄ / d2; limits mean ± 2.66 mR̄;
# a single moving range above 3.268 mR̄ is a signal.
D2 = 1.128
XMR_LIMIT = 3 / D2  # 2.66
MR_LIMIT = 3.268
RULES = {
    "rule1": ("1 点超出 3σ", "1 point beyond 3σ"),
    "rule2": ("3 点中 2 点超出 2σ(同侧)", "2 of 3 beyond 2σ, same side"),
    "rule3": ("5 点中 4 点超出 1σ(同侧)", "4 of 5 beyond 1σ, same side"),
    "rule4": ("连续 8 点在中心线同侧", "8 in a row on one side of the centre"),
}
TOTAL = "total"  # the series key of the total score (not a KPI)


def department_series(
    monthly: pd.DataFrame, scheme: Scheme, only: tuple[str, ...] = ()
) -> pd.DataFrame:
    """Per department, KPI (and the total) and month: the value charted. Rates with cases give
    hits and cases (p-chart); other KPIs and the total give the department's mean (X-mR).
    `only` keeps the series named (TOTAL, KPI ids). One grouping for every series at once."""
    columns = ["department", "kpi", "chart", "period", "value", "hits", "cases"]
    keys = ["department", "period"]
    charted = [k for k in (only or [TOTAL, *scheme.kpi_ids]) if k in monthly]
    if not charted or monthly.empty:
        return pd.DataFrame(columns=columns)
    counted = [
        k for k in charted if f"cases_{k}" in monthly and monthly[f"cases_{k}"].notna().any()
    ]
    values = monthly[charted].astype(float)
    cases = monthly[[f"cases_{k}" for k in counted]].astype(float).set_axis(counted, axis=1)
    usable = values[counted].notna() & cases.notna()
    hits = np.round(values[counted] * cases / 100.0).where(usable)
    grouped = [monthly[k] for k in keys]
    means = values.groupby(grouped, sort=True).mean()
    hit_sums = hits.groupby(grouped, sort=True).sum(min_count=1)
    case_sums = cases.where(usable).groupby(grouped, sort=True).sum(min_count=1)
    means[counted] = 100.0 * hit_sums / case_sums.where(case_sums > 0)
    long = means.rename_axis(columns="kpi").stack(future_stack=True).rename("value")
    series = long.to_frame().join(
        hit_sums.rename_axis(columns="kpi").stack(future_stack=True).rename("hits"), how="left"
    )
    series = series.join(
        case_sums.rename_axis(columns="kpi").stack(future_stack=True).rename("cases"), how="left"
    ).reset_index()
    series["chart"] = np.where(series["kpi"].isin(counted), "p", "xmr")
    series = series.dropna(subset=["value"])[columns]
    return series.sort_values(["department", "kpi", "period"], ignore_index=True)


def control_limits(series: pd.DataFrame, groups: pd.Series | None = None) -> pd.DataFrame:
    """Centre line, sigma, limits and z (distance from the centre in sigmas) for every point of
    every series (department × KPI). p-chart: centre p̄ = Σhits / Σcases, sigma √(p̄(1 − p̄) /
    cases) per month; X-mR: centre the mean, sigma mR̄ / 1.128 (limits mean ± 2.66 mR̄);
    `groups`: each point's series as one code, when the caller has it."""
    keys = [series["department"], series["kpi"]] if groups is None else groups
    grouped = series.groupby(keys, sort=False)
    pooled = grouped["hits"].transform("sum") / grouped["cases"].transform("sum")
    p_sigma = 100.0 * np.sqrt(pooled * (1 - pooled) / series["cases"])
    moving = series["value"] - grouped["value"].shift(1)
    mr_bar = moving.abs().groupby(keys, sort=False).transform("mean")
    is_p = series["chart"].eq("p")
    centre = np.where(is_p, 100.0 * pooled, grouped["value"].transform("mean"))
    sigma = np.where(is_p, p_sigma, mr_bar / D2)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(sigma > 0, (series["value"] - centre) / sigma, 0.0)
    return series.assign(
        centre=centre,
        sigma=sigma,
        lower=centre - 3 * sigma,
        upper=centre + 3 * sigma,
        z=z,
    )


def western_electric(z: pd.Series, groups: list[pd.Series] | pd.Series) -> pd.DataFrame:
    """Which Western Electric rule each point completes, within each series in time order:
    1 beyond 3σ; 2 of 3 beyond 2σ on one side; 4 of 5 beyond 1σ on one side; 8 in a row on
    one side of the centre. A point is marked when it is itself one of the points the rule
    counts (beyond the line, on that side)."""
    rules = {}
    for name, limit, needed, window in (
        ("rule2", 2.0, 2, 3),
        ("rule3", 1.0, 4, 5),
        ("rule4", 0.0, 8, 8),
    ):
        hit = pd.Series(False, index=z.index)
        for side in (1, -1):
            beyond = side * z > limit
            hit |= (window_count(beyond, groups, window) >= needed) & beyond
        rules[name] = hit
    return pd.DataFrame({"rule1": z.abs() > 3.0, **rules}, index=z.index)


def window_count(flags: pd.Series, groups, window: int) -> pd.Series:
    """How many of the last `window` points (this one included) of each series are flagged
    (fewer at a series' start). Cumulative sums, no loop over series."""
    running = flags.astype(int).groupby(groups, sort=False).cumsum()
    before = running.groupby(groups, sort=False).shift(window).fillna(0)
    return running - before


def control_chart(series: pd.DataFrame) -> pd.DataFrame:
    """Every series' points with limits, z and the Western Electric rules; `signal` where any."""
    # each series as one integer code: grouped seven times, the text is factorized once
    groups = series.groupby(["department", "kpi"], sort=False).ngroup()
    limited = control_limits(series, groups)
    rules = western_electric(limited["z"], groups)
    return pd.concat([limited, rules], axis=1).assign(signal=rules.any(axis=1))


def rules_text(chart: pd.DataFrame, language: str = "zh") -> pd.Series:
    """The rules each point breaks, in words ('' where none)."""
    words = pd.Series("", index=chart.index)
    for rule, (zh, en) in RULES.items():
        text = zh if language == "zh" else en
        words = words.where(~chart[rule], words.where(words.eq(""), words + "; ") + text)
    return words


def change_signals(totals: pd.DataFrame, current: str) -> pd.DataFrame:
    """Per person: the change into the `current` period and whether it is a signal. A change is
    a signal when it exceeds 3.268 × the person's mean moving range before it (the upper limit
    of their moving-range chart); 'usual' when it does not; 'short' with fewer than 2 earlier
    changes to judge by. `totals` holds employee_id, period, total (periods sortable)."""
    rows = totals.dropna(subset=["total"]).sort_values(["employee_id", "period"])
    rows = rows[rows["period"] <= current]
    grouped = rows.groupby("employee_id", sort=False)["total"]
    change = rows["total"] - grouped.shift(1)
    size, seen = change.abs().fillna(0.0), change.notna().astype(int)
    by_person = rows["employee_id"]
    # the changes before this one: running sums less this one's own
    known = seen.groupby(by_person, sort=False).cumsum() - seen
    summed = size.groupby(by_person, sort=False).cumsum() - size
    limit = MR_LIMIT * summed / known.where(known > 0)
    verdict = np.select([known < 2, change.abs() > limit], ["short", "signal"], "usual")
    out = rows.assign(change=change, limit=limit, verdict=verdict)
    out = out[out["period"].eq(current)]
    return out[["employee_id", "change", "limit", "verdict"]].reset_index(drop=True)


def total_series(trend: pd.DataFrame) -> pd.DataFrame:
    """The departments' total-score series (as department_series with only=(TOTAL,)) from the
    mean totals per month and department (period, department, mean_total) computed in the
    database."""
    series = pd.DataFrame(
        {
            "department": trend["department"].to_numpy(),
            "kpi": TOTAL,
            "chart": "xmr",
            "period": trend["period"].to_numpy(),
            "value": trend["mean_total"].to_numpy(dtype=float),
            "hits": np.nan,
            "cases": np.nan,
        }
    )
    series = series.dropna(subset=["value"])
    return series.sort_values(["department", "kpi", "period"], ignore_index=True)


SUM_COLUMNS = ["period", "department", "kpi", "mean", "hits", "cases", "with_cases"]


def month_sums(monthly: pd.DataFrame, scheme: Scheme) -> pd.DataFrame:
    """Per month, department (rows without one too) and series (TOTAL, each KPI): the mean, a
    rate's hits and cases summed over the rows that have both, and how many rows have cases:
    what department_series computes, kept per month so any set of departments is charted
    from them (series_from_sums) without the rows."""
    charted = [k for k in [TOTAL, *scheme.kpi_ids] if k in monthly]
    if not charted or monthly.empty:
        return pd.DataFrame(columns=SUM_COLUMNS)
    with_cases = [k for k in charted if f"cases_{k}" in monthly]
    values = monthly[charted].astype(float)
    cases = monthly[[f"cases_{k}" for k in with_cases]].astype(float).set_axis(with_cases, axis=1)
    usable = values[with_cases].notna() & cases.notna()
    hits = np.round(values[with_cases] * cases / 100.0).where(usable)
    grouped = [monthly["department"], monthly["period"]]

    def long(frame: pd.DataFrame, name: str) -> pd.Series:
        return frame.rename_axis(columns="kpi").stack(future_stack=True).rename(name)

    by = {"sort": True, "dropna": False}
    parts = [
        long(values.groupby(grouped, **by).mean(), "mean"),
        long(hits.groupby(grouped, **by).sum(min_count=1), "hits"),
        long(cases.where(usable).groupby(grouped, **by).sum(min_count=1), "cases"),
        long(cases.notna().groupby(grouped, **by).sum(), "with_cases"),
    ]
    sums = pd.concat(parts, axis=1).reset_index()
    sums["with_cases"] = sums["with_cases"].fillna(0).astype("int64")
    return sums[SUM_COLUMNS]


def series_from_sums(sums: pd.DataFrame) -> pd.DataFrame:
    """department_series of the rows the month sums were made of (month_sums of the wanted
    departments' rows, rows without a department included only when every department is): a
    KPI is a p-chart when any of those rows has cases, its value Σhits / Σcases, else the mean."""
    columns = ["department", "kpi", "chart", "period", "value", "hits", "cases"]
    counted = sums.groupby("kpi")["with_cases"].sum()
    counted = set(counted.index[counted > 0])
    # text as the rows have it (a database hands back Python objects)
    sums = sums[sums["department"].notna()].astype(
        {c: "str" for c in ("department", "period", "kpi")}
    )
    if sums.empty:
        return pd.DataFrame(columns=columns)
    is_p = sums["kpi"].isin(counted)
    cases = sums["cases"].where(is_p)
    rate = 100.0 * sums["hits"] / cases.where(cases > 0)
    series = sums.assign(
        chart=np.where(is_p, "p", "xmr"),
        value=rate.where(is_p, sums["mean"]),
        hits=sums["hits"].where(is_p),
        cases=cases,
    )
    series = series.dropna(subset=["value"])[columns]
    return series.sort_values(["department", "kpi", "period"], ignore_index=True)
