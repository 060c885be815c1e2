"""Assessment periods (month, quarter, half-year, year) and the aggregation of monthly results."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from engine.schemes.precision import round_half_away
from engine.schemes.scheme import Scheme
from engine.scoring.score import finish, score_table

PERIOD_PATTERNS = {
    "month": re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$"),
    "quarter": re.compile(r"^(\d{4})-Q([1-4])$"),
    "half": re.compile(r"^(\d{4})-H([12])$"),
    "year": re.compile(r"^(\d{4})$"),
}
MONTHS_PER_UNIT = {"month": 1, "quarter": 3, "half": 6, "year": 12}
ROSTER_LAST = ["name", "department", "team", "role", "region", "hire_date"]


@dataclass(frozen=True)
class Period:
    kind: str
    label: str
    months: tuple[str, ...]


def parse_period(text: str) -> Period:
    """'2026-10' (month), '2026-Q3' (quarter), '2026-H1' (half-year) or '2026' (year)."""
    label = str(text).strip().upper()
    for kind, pattern in PERIOD_PATTERNS.items():
        found = pattern.match(label)
        if found:
            year, unit = int(found.group(1)), int(found.group(2)) if kind != "year" else 1
            size = MONTHS_PER_UNIT[kind]
            first = (unit - 1) * size + 1 if kind != "month" else unit
            months = tuple(f"{year}-{m:02d}" for m in range(first, first + size))
            return Period(kind, label, months)
    raise ValueError(f"'{text}' is not a period: use 2026-10, 2026-Q3, 2026-H1 or 2026")


def label_of(months: pd.Series, kind: str) -> pd.Series:
    """The period label each month ('2026-08') falls in for the given kind of period."""
    year = months.str.slice(0, 4)
    month = months.str.slice(5, 7).astype(int)
    if kind == "month":
        return months
    if kind == "quarter":
        return year + "-Q" + ((month - 1) // 3 + 1).astype(str)
    if kind == "half":
        return year + "-H" + ((month - 1) // 6 + 1).astype(str)
    return year


def available(months: list[str]) -> dict[str, list[str]]:
    """Every period of each kind that has at least one month of data, newest first."""
    series = pd.Series(sorted(set(months)), dtype=str)
    return {
        kind: sorted(label_of(series, kind).unique().tolist(), reverse=True)
        for kind in PERIOD_PATTERNS
    }


def previous(period: Period) -> Period:
    """The period of the same kind just before this one (2026-Q1 → 2025-Q4)."""
    first = pd.Period(period.months[0], freq="M") - MONTHS_PER_UNIT[period.kind]
    month = first.strftime("%Y-%m")
    return parse_period(label_of(pd.Series([month]), period.kind).iloc[0])


def aggregate(monthly: pd.DataFrame, period: Period, scheme: Scheme) -> pd.DataFrame:
    """Scores over a period: each employee's mean monthly total (the months with a total
    counted), then graded and ranked on that mean; money is the sum of the monthly amounts."""
    rows = monthly[monthly["period"].isin(period.months)]
    if period.kind == "month":
        return rows.assign(months=rows["total"].notna().astype(int)).reset_index(drop=True)
    return _kept_problems(_means(rows, pd.Series(period.label, index=rows.index), scheme), monthly)


def aggregate_each(monthly: pd.DataFrame, kind: str, scheme: Scheme) -> pd.DataFrame:
    """Every period of a kind (quarter, half, year) in a monthly scored table at once, each
    scored as aggregate scores it alone."""
    if kind == "month":
        return monthly.assign(months=monthly["total"].notna().astype(int)).reset_index(drop=True)
    codes, months = pd.factorize(monthly["period"])
    labels = label_of(pd.Series(months, dtype=str), kind).to_numpy()[codes]
    return _kept_problems(_means(monthly, pd.Series(labels, index=monthly.index), scheme), monthly)


def _means(rows: pd.DataFrame, labels: pd.Series, scheme: Scheme) -> pd.DataFrame:
    """Per period label and employee: the latest roster, mean scores and total, summed money."""
    inputs = [i.id for i in scheme.money.inputs]
    means = [c for c in rows.columns if c.startswith(("score_", "cat_", "target_", "adjusted_"))]
    means += scheme.kpi_ids + inputs
    used = ["period", "employee_id", *ROSTER_LAST, *means, "total", "bonus", "missing_count"]
    rows = rows[[c for c in dict.fromkeys(used) if c in rows]]  # sorting fewer columns is faster
    rows = rows.assign(_label=labels).sort_values(["employee_id", "period"])
    grouped = rows.groupby(["_label", "employee_id"], sort=True)
    table = pd.concat(
        [
            grouped[[c for c in ROSTER_LAST if c in rows]].last(),
            grouped[[c for c in means if c in rows]].mean(),
            grouped["total"].mean().rename("total"),
            grouped["bonus"].sum(min_count=1).rename("bonus"),
            grouped["missing_count"].sum().rename("missing_count"),
            grouped["total"].count().rename("months"),  # the months averaged
        ],
        axis=1,
    ).reset_index()
    table = table.rename(columns={"_label": "period"})
    table["total"] = round_half_away(table["total"])
    return finish(table.drop(columns=["grade", "grade_en"], errors="ignore"), scheme)


def _kept_problems(table: pd.DataFrame, monthly: pd.DataFrame) -> pd.DataFrame:
    """The months' money problems hold for the periods made of them."""
    if "money_problems" in monthly.attrs:
        table.attrs["money_problems"] = monthly.attrs["money_problems"]
    return table


def score_period(facts: pd.DataFrame, scheme: Scheme, period: str | Period) -> pd.DataFrame:
    """Score the months of a period from stored facts and aggregate them to the period."""
    chosen = parse_period(period) if isinstance(period, str) else period
    monthly = score_table(facts[facts["period"].isin(chosen.months)], scheme)
    return aggregate(monthly, chosen, scheme)


def months_held(period: str | Period, held: list[str]) -> tuple[str, ...]:
    """The months of the period that the data holds, in order."""
    chosen = parse_period(period) if isinstance(period, str) else period
    present = set(held)
    return tuple(m for m in chosen.months if m in present)


def is_partial(period: str | Period, held: list[str]) -> bool:
    """Whether the data holds fewer months than the period has (2026-Q4 with October only)."""
    chosen = parse_period(period) if isinstance(period, str) else period
    return len(months_held(chosen, held)) < len(chosen.months)


def totals_each(totals: pd.DataFrame, kind: str) -> pd.DataFrame:
    """Every period of a kind from monthly totals (employee_id, period, total): each person's
    period total as aggregate_each has it (the mean of the monthly totals, rounded)."""
    if kind == "month":
        return totals[["employee_id", "period", "total"]].reset_index(drop=True)
    labels = label_of(totals["period"].astype(str), kind).to_numpy()
    means = totals.groupby([labels, totals["employee_id"].to_numpy()], sort=True)["total"].mean()
    out = means.rename_axis(["period", "employee_id"]).reset_index()
    out["total"] = round_half_away(out["total"].to_numpy(dtype=float))
    return out[["employee_id", "period", "total"]]
