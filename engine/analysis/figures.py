"""Figures the analysis pages show, computed from scored tables (pure pandas, no UI)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from engine.schemes.precision import as_written
from engine.schemes.scheme import Scheme


def select(
    table: pd.DataFrame,
    departments: Sequence[str] = (),
    teams: Sequence[str] = (),
    roles: Sequence[str] = (),
) -> pd.DataFrame:
    """Rows in the chosen departments, teams and roles (an empty choice means all)."""
    keep = pd.Series(True, index=table.index)
    for column, chosen in (("department", departments), ("team", teams), ("role", roles)):
        if chosen and column in table:
            keep &= table[column].isin(list(chosen))
    return table[keep]


def headline(table: pd.DataFrame, scheme: Scheme) -> dict[str, float]:
    """Headcount, mean total and the shares of the best and the worst grade."""
    graded = table.dropna(subset=["total"])
    best, worst = scheme.grade_names[0], scheme.grade_names[-1]
    count = len(graded)
    return {
        "headcount": float(len(table)),
        "mean_total": float(graded["total"].mean()) if count else np.nan,
        "share_best": float((graded["grade"] == best).mean()) if count else np.nan,
        "share_worst": float((graded["grade"] == worst).mean()) if count else np.nan,
    }


def headline_changes(
    current: pd.DataFrame, before: pd.DataFrame, scheme: Scheme
) -> dict[str, tuple[float, float]]:
    """Each headline figure now and its change against the previous period (NaN if none)."""
    now, then = headline(current, scheme), headline(before, scheme)
    has_before = not before.empty
    return {k: (v, v - then[k] if has_before else np.nan) for k, v in now.items()}


def service_targets(table: pd.DataFrame, scheme: Scheme) -> pd.DataFrame:
    """Per department and service target: the mean actual value, the target and whether it is met.

    Only targets whose KPI has values in the data are listed.
    """
    rows = []
    for target in scheme.targets:
        if target.kpi not in table or table[target.kpi].notna().sum() == 0:
            continue
        actual = table.groupby("department")[target.kpi].mean().dropna()
        # The mean at the precision the target is written in, as it is compared.
        shown = as_written(actual.to_numpy(), target.edge)
        rows.append(
            pd.DataFrame(
                {
                    "department": actual.index,
                    "kpi": target.kpi,
                    "actual": shown,
                    "target": target.text,
                    "met": target.met(shown),
                }
            )
        )
    columns = ["department", "kpi", "actual", "target", "met"]
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=columns)


def department_trend(monthly: pd.DataFrame) -> pd.DataFrame:
    """Mean monthly total by department and month, with headcount, for line charts."""
    return (
        monthly.dropna(subset=["total"])
        .groupby(["period", "department"], as_index=False)
        .agg(mean_total=("total", "mean"), headcount=("employee_id", "size"))
    )


def with_changes(current: pd.DataFrame, before: pd.DataFrame) -> pd.DataFrame:
    """The current table with each person's previous total, rank and the change in both."""
    previous = before[["employee_id", "total", "rank"]].rename(
        columns={"total": "previous_total", "rank": "previous_rank"}
    )
    out = current.merge(previous, on="employee_id", how="left")
    out["change"] = (out["total"] - out["previous_total"]).round(2)
    out["rank_change"] = (out["previous_rank"] - out["rank"]).astype("Int64")
    return out


def movers(current: pd.DataFrame, before: pd.DataFrame, count: int = 5) -> dict[str, pd.DataFrame]:
    """The people whose total rose most and fell most since the previous period."""
    changed = with_changes(current, before).dropna(subset=["change"])
    up = changed[changed["change"] > 0].sort_values(
        ["change", "employee_id"], ascending=[False, True]
    )
    down = changed[changed["change"] < 0].sort_values(["change", "employee_id"])
    return {"up": up.head(count), "down": down.head(count)}


def departments_drawn(
    means: pd.DataFrame, signalled: Sequence[str], months: Sequence[str], limit: int
) -> list[str]:
    """Which departments' lines a trend chart draws when there are more than `limit` (the
    others are one sidebar pick away): those with a signal in the shown months first, then
    those whose mean over the shown months lies farthest from the company's (headcount
    weighted), ties in name order. Every department when there are few."""
    departments = sorted(means["department"].dropna().unique())
    if len(departments) <= limit:
        return departments
    shown = means[means["period"].isin(list(months))]
    weight = shown["mean_total"] * shown["headcount"]
    company = weight.sum() / shown["headcount"].sum() if len(shown) else np.nan
    own = weight.groupby(shown["department"]).sum() / shown.groupby("department")["headcount"].sum()
    distance = (own - company).abs().reindex(departments).fillna(-1.0)
    order = pd.DataFrame(
        {"flagged": np.isin(departments, list(signalled)), "distance": distance.to_numpy()},
        index=departments,
    ).sort_values(["flagged", "distance"], ascending=False, kind="stable")
    return order.index[:limit].tolist()


def company_means(means: pd.DataFrame) -> pd.DataFrame:
    """The company's mean total per month (period, mean_total), weighted by the departments'
    headcounts: the line a trend chart keeps when it cannot draw every department."""
    weight = (means["mean_total"] * means["headcount"]).groupby(means["period"]).sum()
    out = weight / means.groupby("period")["headcount"].sum()
    return out.rename("mean_total").reset_index()
