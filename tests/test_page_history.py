"""洞察 Insights and 我的绩效 read only what they show (issue 19): the statistics across months
from the few columns they use of the kept rows, an employee's own months from their rows alone;
equal to the computation over every month's rows, which neither page loads any more."""

from __future__ import annotations

import json

import pandas as pd
import pytest

import ui.data
from engine import paths
from engine.accounts import Access, add_user
from engine.analysis.figures import select
from engine.cycle.results import monthly_rows
from engine.insights.control import control_chart, department_series
from engine.insights.gaming import gaming_suspects, pair_series
from engine.insights.raters import leniency, person_ratings, rated_kpis
from engine.insights.rates import person_rates, rate_kpis
from engine.schemes.scheme import load_scheme
from engine.store import Store
from tests.apptest import open_page
from tests.test_page_aggregates import values
from tests.test_page_my_results import ME, months_of, shown, signed_in
from tests.test_page_my_results import small as small_store  # noqa: F401 (a fixture)

ADMIN = Access("admin.zhou", "admin")
MANAGER = Access("wang", "manager", ("客服部",))
SECOND = Access("E002", "employee", (), "E002")


def everyone_within(rows: pd.DataFrame, who: Access, departments=(), teams=()) -> pd.DataFrame:
    """What the page computed from before: every month's rows, scoped, then filtered."""
    if not who.all_departments:
        rows = rows[rows["department"].isin(list(who.departments))]
    return select(rows, departments, teams)


@pytest.mark.parametrize(
    "who,departments,teams",
    [
        (ADMIN, (), ()),
        (ADMIN, ("售后服务部",), ()),
        (ADMIN, (), ("售后一组", "呼叫三组")),
        (MANAGER, (), ()),
        (MANAGER, ("客服部", "售后服务部"), ()),
    ],
)
def test_insights_statistics_equal_those_over_every_months_rows(
    store_file, no_all_rows, monkeypatch, who, departments, teams
):
    monkeypatch.setattr(ui.data, "access", lambda: who)
    scheme = load_scheme()
    history = monthly_rows(Store(store_file), scheme)
    rows = everyone_within(history, who, departments, teams)
    assert len(rows) and rows["period"].nunique() == 12
    filters = {"departments": departments, "teams": teams}
    charts = ui.data.control_charts(scheme, **filters)
    pd.testing.assert_frame_equal(charts, control_chart(department_series(rows, scheme)))
    assert set(charts["kpi"]) >= {"total", "first_contact_resolution"}
    found = 0
    for months in (["2026-10"], ["2026-05", "2026-06", "2026-07", "2026-08", "2026-09", "2026-10"]):
        for pair in scheme.gaming_pairs:
            suspects = ui.data.suspects(scheme, pair, months, **filters)
            pd.testing.assert_frame_equal(suspects, gaming_suspects(rows, pair, months))
            found += len(suspects)
            for person in suspects["employee_id"]:
                both = ui.data.pair_months(scheme, pair, person, **filters)
                pd.testing.assert_frame_equal(both, pair_series(rows, pair, person))
    assert found or who is MANAGER or departments or teams  # the whole company has suspects


def test_the_insights_page_never_loads_every_months_rows(store_file, no_all_rows, monkeypatch):
    accounts = store_file.parent / "accounts.toml"
    add_user("admin.zhou", "zhou-password", "admin", file=accounts)
    monkeypatch.setenv("ASSESS_ACCOUNTS", str(accounts))
    at = open_page("insights", period_kind="half", **signed_in(ADMIN))
    assert not at.exception, at.exception
    listed = at.dataframe[-1].value
    assert "E0011" in listed["工号"].tolist()  # closes jobs in a hurry in the last two months
    at.selectbox(key="insights_pair_person").set_value("E0011").run()
    at.selectbox(key="insights_chart_department").set_value("呼叫中心").run()
    at.selectbox(key="insights_chart_kpi").set_value("total").run()
    assert not at.exception, at.exception
    figures = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    history = monthly_rows(Store(store_file), load_scheme())
    pair = load_scheme().gaming_pairs[0]
    expected = pair_series(history, pair, "E0011")
    drawn = figures[-1]["data"]
    assert values(drawn[0]["x"]) == expected["period"].tolist()
    assert values(drawn[0]["y"]) == pytest.approx(expected[pair.first].tolist())
    assert values(drawn[1]["y"]) == pytest.approx(expected[pair.second].tolist())
    chart = next(f for f in figures if "X-mR" in f["layout"].get("title", {}).get("text", ""))
    line = next(t for t in chart["data"] if t.get("mode") == "lines+markers")
    centre = history[history["department"] == "呼叫中心"].groupby("period")["total"].mean()
    assert values(line["x"]) == centre.index.tolist()
    assert values(line["y"]) == pytest.approx(centre.tolist())


def test_my_results_rows_equal_the_employees_rows_of_every_month(
    small_store,  # noqa: F811 (the fixture imported above)
    no_all_rows,
    monkeypatch,
):
    monkeypatch.setattr(ui.data, "access", lambda: ME)
    scheme = load_scheme(paths.scheme_path())
    rows = ui.data.own_results(scheme, ["2026-10", "2026-11", "2026-12"])
    every = monthly_rows(small_store, scheme)
    mine = every[every["employee_id"].eq("E001") & every["period"].isin(["2026-10", "2026-12"])]
    assert rows["period"].tolist() == ["2026-10", "2026-12"]  # 2026-11 is not published
    expected = mine.reset_index(drop=True)
    pd.testing.assert_frame_equal(
        rows.astype(object), expected[rows.columns].astype(object), check_dtype=False
    )
    assert list(rows.columns) == list(every.columns)
    assert ui.data.own_results(scheme, ["2026-12"])["period"].tolist() == ["2026-12"]
    # Their months in columns (the trend): the same totals, grades, ranks and money.
    months = ui.data.own_months(scheme)
    assert months["period"].tolist() == ["2026-10", "2026-12"]
    for column in ("total", "bonus", "rank", "dept_rank", "team_rank", "grade", "grade_en"):
        assert months[column].astype(object).tolist() == expected[column].astype(object).tolist()


def test_a_second_employee_sees_their_own_months_and_nobody_elses(
    small_store,  # noqa: F811 (the fixture imported above)
    no_all_rows,
):
    add_user("E002", "li-password", "employee", employee_id="E002", file=paths_accounts())
    at = open_page("my_results", **signed_in(SECOND))
    assert not at.exception, at.exception
    assert months_of(at) == ["2026-12 · 优秀", "2026-10 · 优秀"]
    text = shown(at)
    assert "李四" in text and "E002" in text
    assert not [other for other in ("张三", "王五", "E001", "E003") if other in text]
    at = open_page("my_results", **signed_in(ME))  # and the first one theirs, in the same process
    assert not at.exception, at.exception
    assert months_of(at) == ["2026-12 · 及格", "2026-10 · 优秀"]
    assert not [other for other in ("李四", "王五", "E002", "E003") if other in shown(at)]


def paths_accounts():
    from engine.accounts import accounts_path

    return accounts_path()


def test_nothing_kept_gives_the_same_statistics_from_every_months_rows(store_file, monkeypatch):
    """A store that cannot keep scored rows (read-only) or a scheme that is never kept: the
    statistics come from every month's rows, as before, and are the same."""
    monkeypatch.setattr(ui.data, "access", lambda: ADMIN)
    monkeypatch.setattr(ui.data, "kept_keys", lambda *args, **kwargs: None)
    scheme = load_scheme()
    rows = monthly_rows(Store(store_file), scheme)
    charts = ui.data.control_charts(scheme, departments=("客服部",))
    expected = control_chart(department_series(select(rows, ("客服部",)), scheme))
    pd.testing.assert_frame_equal(charts, expected)
    pair, months = scheme.gaming_pairs[0], ["2026-09", "2026-10"]
    pd.testing.assert_frame_equal(
        ui.data.suspects(scheme, pair, months), gaming_suspects(rows, pair, months)
    )


def test_nothing_kept_gives_the_employee_the_same_months(
    small_store,  # noqa: F811 (the fixture imported above)
    monkeypatch,
):
    monkeypatch.setattr(ui.data, "access", lambda: ME)
    monkeypatch.setattr(ui.data, "kept_keys", lambda *args, **kwargs: None)
    scheme = load_scheme(paths.scheme_path())
    rows = ui.data.own_results(scheme, ["2026-10", "2026-11", "2026-12"])
    every = monthly_rows(small_store, scheme)
    mine = every[every["employee_id"].eq("E001") & every["period"].isin(["2026-10", "2026-12"])]
    assert rows["period"].tolist() == ["2026-10", "2026-12"]
    assert rows["total"].tolist() == mine["total"].tolist() == [93.0, 100.0]
    months = ui.data.own_months(scheme)
    assert months["period"].tolist() == ["2026-10", "2026-12"]
    assert months["total"].tolist() == [93.0, 100.0]
    assert months["team_rank"].tolist() == mine["team_rank"].astype(int).tolist()


@pytest.mark.parametrize("months", [["2026-10"], ["2026-07", "2026-08", "2026-09"]])
def test_the_periods_tabs_equal_those_from_every_months_rows(
    store_file, no_all_rows, monkeypatch, months
):
    """Small samples and rater leniency read the chosen months' rows only; same figures."""
    monkeypatch.setattr(ui.data, "access", lambda: ADMIN)
    scheme = load_scheme()
    every = monthly_rows(Store(store_file), scheme)
    before = every[every["period"].isin(months)]
    now = ui.data.month_rows(scheme, months)
    for kpi in rate_kpis(scheme):
        pd.testing.assert_frame_equal(
            person_rates(now, kpi).reset_index(drop=True),
            person_rates(before, kpi).reset_index(drop=True),
        )
    for kpi in rated_kpis(scheme):
        found = leniency(person_ratings(now, kpi))
        assert len(found)
        pd.testing.assert_frame_equal(found, leniency(person_ratings(before, kpi)))
