"""洞察 Insights opened cold on a large store (issue 19): the control charts come from per-month
sums kept in the store, the gaming pairs from their two KPI columns; both equal today's
computation over every month's rows (copied here as it was), on both demos, and the kept sums
are never read once the month they were made from is kept again."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import streamlit as st

import ui.data
from engine import paths
from engine.accounts import Access
from engine.analysis.figures import select
from engine.cycle.results import kept_keys, monthly_rows
from engine.demo.dealer_4s import SCHEME_4S, import_demo_4s
from engine.insights.control import (
    D2,
    control_limits,
    department_series,
    western_electric,
)
from engine.insights.gaming import MIN_HISTORY, PERSON_COLUMNS, SUSPECT_COLUMNS
from engine.schemes.scheme import GamingPair, load_scheme
from engine.store import Store
from tests.apptest import demo_store

ADMIN = Access("admin.zhou", "admin")


# ------------------------------------------------------------ today's computation, as it was


def old_control_chart(series: pd.DataFrame) -> pd.DataFrame:
    limited = control_limits(series)
    rules = western_electric(limited["z"], [limited["department"], limited["kpi"]])
    return pd.concat([limited, rules], axis=1).assign(signal=rules.any(axis=1))


def old_own_movement(monthly: pd.DataFrame, kpi_id: str, months: list[str]) -> pd.DataFrame:
    rows = monthly[["employee_id", "period", kpi_id]].dropna(subset=[kpi_id])
    rows = rows.sort_values(["employee_id", "period"])
    before = rows[rows["period"] < min(months)]
    now = rows[rows["period"].isin(months)]
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
    return out


def old_gaming_suspects(monthly: pd.DataFrame, pair: GamingPair, months: list[str]):
    first = old_own_movement(monthly, pair.first, months).add_prefix("first_")
    second = old_own_movement(monthly, pair.second, months).add_prefix("second_")
    both = first.join(second, how="inner")
    sign = {"up": 1.0, "down": -1.0}
    first_way = sign[pair.first_moves] * both["first_moved"]
    second_way = sign[pair.second_moves] * both["second_moved"]
    suspect = (first_way >= 1.5) & (second_way >= 1.5)
    found = both[suspect].assign(strength=np.minimum(first_way, second_way)[suspect])
    theirs = monthly[monthly["employee_id"].isin(found.index)]
    people = theirs.sort_values("period").groupby("employee_id")[PERSON_COLUMNS[1:]].last()
    found = found.join(people, how="left").reset_index(names="employee_id")
    found = found.sort_values(["strength", "employee_id"], ascending=[False, True])
    return found[[*PERSON_COLUMNS, *SUSPECT_COLUMNS]].reset_index(drop=True)


# ------------------------------------------------------------ the two demos


@pytest.fixture(params=["aftersales", "4s", "aftersales on postgresql"])
def demo(request, tmp_path, monkeypatch):
    """A demo store ($ASSESS_DB), its scheme and gaming pairs (the 4S scheme declares none: two
    of its KPIs stand in), caches emptied and the administrator signed in."""
    if request.param.startswith("aftersales"):
        scheme = load_scheme()
        if request.param.endswith("postgresql"):
            db = request.getfixturevalue("pg_cluster").demo_database()
        else:
            db = demo_store(tmp_path)
        pairs = list(scheme.gaming_pairs)
    else:
        db, scheme = tmp_path / "4s.duckdb", load_scheme(SCHEME_4S)
        import_demo_4s(Store(db))
        ids = scheme.kpi_ids
        pairs = [GamingPair(ids[0], "up", ids[1], "down"), GamingPair(ids[1], "down", ids[2], "up")]
    monkeypatch.setenv(paths.DB_ENV, str(db))
    monkeypatch.setattr(ui.data, "access", lambda: ADMIN)
    cold()
    return Store(db), scheme, pairs


def cold() -> None:
    """A restart or a change of the store: every cache of the process empty."""
    st.cache_data.clear()
    st.cache_resource.clear()


def refuse_rows(monkeypatch) -> None:
    """Reading the kept months' rows fails: what is shown then comes from kept sums alone."""

    def refuse(*args, **kwargs):
        raise AssertionError("the kept months' rows were read")

    monkeypatch.setattr(Store, "kept_tables", refuse)


@pytest.mark.parametrize("departments", [(), "first two"])
def test_control_charts_equal_todays_cold_and_from_the_kept_sums(demo, monkeypatch, departments):
    store, scheme, _ = demo
    rows = monthly_rows(store, scheme)
    if departments:
        departments = tuple(sorted(rows["department"].dropna().unique())[:2])
    expected = old_control_chart(department_series(select(rows, departments), scheme))
    assert len(expected) and expected["kpi"].nunique() > 2
    made = ui.data.control_charts(scheme, departments=departments)  # sums made and kept
    pd.testing.assert_frame_equal(made, expected)
    cold()
    refuse_rows(monkeypatch)
    pd.testing.assert_frame_equal(ui.data.control_charts(scheme, departments=departments), expected)


def test_suspects_and_pair_series_equal_todays(demo):
    store, scheme, pairs = demo
    rows = monthly_rows(store, scheme)
    months = sorted(rows["period"].unique())
    found = 0
    for chosen in ([months[-1]], months[-6:]):
        for pair in pairs:
            suspects = ui.data.suspects(scheme, pair, chosen)
            pd.testing.assert_frame_equal(suspects, old_gaming_suspects(rows, pair, chosen))
            found += len(suspects)
            for person in suspects["employee_id"]:
                both = ui.data.pair_months(scheme, pair, person)
                mine = rows[rows["employee_id"].eq(person)].sort_values("period")
                expected = mine[["period", pair.first, pair.second]].reset_index(drop=True)
                pd.testing.assert_frame_equal(both, expected)
    assert found or scheme.id != load_scheme().id  # the after-sales demo has suspects


def test_a_month_kept_again_is_charted_from_its_new_rows_not_its_old_sums(demo):
    store, scheme, _ = demo
    before = ui.data.control_charts(scheme)  # every month's sums made and kept
    keys = kept_keys(store, scheme)
    period, key = keys[-1]
    kept = store.kept_months().set_index(["period", "scheme_digest"]).loc[(period, key)]
    table = store.kept_tables(scheme.id, [(period, key)])
    department = sorted(table["department"].dropna().unique())[0]
    # The month scored again (as a re-scoring writes it), this department's totals 10 higher.
    raised = table.assign(
        total=table["total"] + np.where(table["department"].eq(department), 10.0, 0.0)
    )
    store.keep_scores(
        scheme.id,
        key,
        scheme.version,
        {period: (int(kept["import_id"]), kept["inputs"], raised)},
    )
    cold()
    after = ui.data.control_charts(scheme)
    point = after["department"].eq(department) & after["kpi"].eq("total")
    old = before.loc[point & before["period"].eq(period), "value"].iloc[0]
    assert after.loc[point & after["period"].eq(period), "value"].iloc[0] == pytest.approx(old + 10)
    expected = department_series(monthly_rows(store, scheme), scheme)
    pd.testing.assert_frame_equal(after, old_control_chart(expected))
