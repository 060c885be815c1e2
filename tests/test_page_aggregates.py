"""The overview, KPI and employee pages draw trends and a person's months from aggregates the
database computes, never from every month's rows loaded into pandas (issue 19 item 2)."""

from __future__ import annotations

import base64
import json
import time

import numpy as np
import pandas as pd
import pytest

from engine.accounts import Access
from engine.analysis.figures import department_trend, movers
from engine.cli import scored
from engine.cycle.results import monthly_rows
from engine.insights.control import change_signals
from engine.schemes.scheme import load_scheme
from engine.scoring.periods import aggregate_each
from engine.store import Store
from tests.apptest import open_page as open_app

MANAGER = Access("wang", "manager", ("客服部",))
VIEWER = Access("zhao", "viewer")
ADMIN = Access("admin.zhou", "admin")
WORDS = {"信号": "signal", "常规波动": "usual", "历史不足": "short"}


def open_page(page: str | None = None, access: Access = ADMIN, **state):
    """A page as a signed-in user (the admin unless told)."""
    return open_app(page, access=access, last_seen=time.time(), **state)


def values(spec) -> list:
    """A chart's x or y as plotly's JSON holds it: a list, or typed binary data."""
    if isinstance(spec, dict) and "bdata" in spec:
        return np.frombuffer(base64.b64decode(spec["bdata"]), dtype=spec["dtype"]).tolist()
    return list(spec)


def trend_lines(at) -> dict[str, tuple[list, list]]:
    """The overview's department trend: department → (months, mean totals)."""
    figure = json.loads(at.get("plotly_chart")[0].proto.spec)
    lines = [t for t in figure["data"] if t.get("mode") == "lines+markers"]
    return {t["name"]: (values(t["x"]), values(t["y"])) for t in lines}


def expected_trend(signed_store_file, departments=None) -> dict[str, tuple[list, list]]:
    rows = monthly_rows(Store(signed_store_file), load_scheme())
    if departments:
        rows = rows[rows["department"].isin(departments)]
    trend = department_trend(rows)
    return {
        d: (g["period"].tolist(), g["mean_total"].tolist())
        for d, g in trend.groupby("department", observed=True)
    }


def assert_same_lines(shown, expected):
    assert set(shown) == set(expected)
    for department, (months, means) in expected.items():
        assert shown[department][0] == months
        assert shown[department][1] == pytest.approx(means, rel=1e-12)


def test_overview_trend_comes_from_the_database(signed_store_file, no_all_rows):
    at = open_page()
    assert not at.exception, at.exception
    assert_same_lines(trend_lines(at), expected_trend(signed_store_file))
    assert any("红圈为信号" in c.value for c in at.main.caption)


@pytest.mark.parametrize("kind,period", [("month", "2026-10"), ("quarter", "2026-Q3")])
def test_movers_verdicts_equal_those_over_every_row(signed_store_file, no_all_rows, kind, period):
    at = open_page(period_kind=kind, **{f"period_{kind}": period})
    assert not at.exception, at.exception
    store, scheme = Store(signed_store_file), load_scheme()
    history = monthly_rows(store, scheme)
    totals = history if kind == "month" else aggregate_each(history, kind, scheme)
    verdicts = change_signals(totals[["employee_id", "period", "total"]], period)
    verdict = verdicts.set_index("employee_id")["verdict"]
    for shown in (at.dataframe[1].value, at.dataframe[2].value):
        assert len(shown)
        got = shown["变化性质"].map(WORDS)
        assert got.tolist() == shown["工号"].map(verdict).fillna("short").tolist()


def test_a_managers_trend_covers_their_departments_only(signed_store_file, no_all_rows):
    at = open_page(access=MANAGER)
    assert not at.exception, at.exception
    assert_same_lines(trend_lines(at), expected_trend(signed_store_file, ["客服部"]))


def test_a_viewer_sees_the_verdicts_under_pseudonyms(signed_store_file, no_all_rows):
    at = open_page(access=VIEWER)
    assert not at.exception, at.exception
    up = at.dataframe[1].value
    assert up["工号"].str.startswith("#").all()
    store, scheme = Store(signed_store_file), load_scheme()
    table, before = scored(store, scheme, "2026-10"), scored(store, scheme, "2026-09")
    real = movers(table, before)["up"]["employee_id"]
    history = monthly_rows(store, scheme)
    verdicts = change_signals(history[["employee_id", "period", "total"]], "2026-10")
    expected = real.map(verdicts.set_index("employee_id")["verdict"]).fillna("short")
    assert up["变化性质"].map(WORDS).tolist() == expected.tolist()


def test_the_employee_page_reads_one_persons_months(signed_store_file, no_all_rows):
    store, scheme = Store(signed_store_file), load_scheme()
    table = scored(store, scheme, "2026-10")
    someone = table.sort_values(["rank", "employee_id"])["employee_id"].iloc[0]
    at = open_page("employee")
    assert not at.exception, at.exception
    figures = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    trend = next(f for f in figures if any(t.get("mode") == "lines+markers" for t in f["data"]))
    person = next(t for t in trend["data"] if t.get("mode") == "lines+markers")
    history = monthly_rows(store, scheme)
    theirs = history[history["employee_id"] == someone]
    assert values(person["x"]) == theirs["period"].tolist()
    assert values(person["y"]) == pytest.approx(theirs["total"].astype(float).tolist())
    department = table.loc[table["employee_id"] == someone, "department"].iloc[0]
    means = department_trend(history[history["department"] == department])
    dotted = trend["data"][0]
    assert values(dotted["y"]) == pytest.approx(means["mean_total"].tolist(), rel=1e-12)


def test_the_kpi_page_reads_the_periods_months_only(signed_store_file, no_all_rows):
    at = open_page("kpis")
    assert not at.exception, at.exception
    assert pd.notna(at.main.subheader[0].value)
