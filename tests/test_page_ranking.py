"""AppTest of the ranking page on a temporary store built from the demo data."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from engine.analysis.ranking import group_ranking
from engine.cli import scored
from engine.schemes.scheme import load_scheme
from engine.store import Store
from tests.apptest import open_page, using_demo_store


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Iterator[Store]:
    """One demo store for the module, so later tests find its scores in the cache."""
    with using_demo_store(tmp_path_factory.mktemp("ranking")) as store:
        yield store


def test_ranking_shows_the_engine_figures_on_the_demo_data(store):
    at = open_page("ranking")
    assert not at.exception
    scheme = load_scheme()
    table = scored(store, scheme, "2026-10")
    expected = group_ranking(table, scored(store, scheme, "2026-09"), scheme, ["department"])
    departments, teams, best, worst, people = (frame.value for frame in at.dataframe)
    assert departments["部门"].tolist() == expected["department"].tolist()
    assert departments["平均分"].tolist() == expected["mean_total"].tolist()
    assert departments["人数"].sum() == teams["人数"].sum() == len(table) == len(people)
    assert people.iloc[0]["总分"] == best.iloc[0]["总分"] == table["total"].max()
    assert worst.iloc[0]["总分"] == table["total"].min()
    assert len(at.get("plotly_chart")) == 1

    wanted = table["employee_id"].iloc[7]
    at.text_input(key="ranking_search").set_value(wanted.lower()).run()
    assert not at.exception
    assert at.dataframe[-1].value["工号"].tolist() == [wanted]


def test_a_department_filter_in_the_first_month_has_no_changes_to_show(store):
    at = open_page("ranking", departments=["客服部"], period_month="2025-11")
    assert not at.exception
    table = scored(store, load_scheme(), "2025-11")
    departments, people = at.dataframe[0].value, at.dataframe[-1].value
    assert departments["部门"].tolist() == ["客服部"]
    assert departments["人数"].tolist() == [int((table["department"] == "客服部").sum())]
    assert set(people["部门"]) == {"客服部"}
    assert "2025-10 没有数据" in at.caption[0].value
    assert people["变化"].isna().all() and departments["上期平均分"].isna().all()


def test_a_filter_that_leaves_no_one_shows_a_message(store):
    at = open_page("ranking", departments=["客服部"], roles=["备件专员"])
    assert not at.exception
    assert "没有人员" in at.warning[0].value
    assert len(at.dataframe) == 0


def test_ranking_in_english_over_a_quarter(store):
    at = open_page("ranking", language="en", period_kind="quarter", period_quarter="2026-Q3")
    assert not at.exception
    assert at.title[0].value == "Ranking · 2026-Q3"
    period = "2026-Q3"
    table = scored(store, load_scheme(), period)
    departments, people = at.dataframe[0].value, at.dataframe[-1].value
    assert departments["Headcount"].sum() == len(table)
    assert people["Months"].max() == 3
    assert set(people["Grade"]) <= {g.name_en for g in load_scheme().grades}
