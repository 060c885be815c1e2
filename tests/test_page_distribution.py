"""AppTest of the grade distribution page on a temporary store built from the demo data."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from engine.cli import scored
from engine.schemes.scheme import load_scheme
from engine.store import Store
from tests.apptest import open_page, using_demo_store


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Iterator[Store]:
    """One demo store for the module, so later tests find its scores in the cache."""
    with using_demo_store(tmp_path_factory.mktemp("distribution")) as store:
        yield store


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_distribution_shows_the_engine_figures_on_the_demo_data(store):
    at = open_page("distribution")
    assert not at.exception
    table = scored(store, load_scheme(), "2026-10")
    assert metrics(at)["人数"] == str(len(table))
    assert metrics(at)["中位数"] == f"{table['total'].median():.2f}"
    assert len(at.get("plotly_chart")) == 4
    mix, boxes, target = (frame.value for frame in at.dataframe)
    count_columns = [c for c in mix.columns if c.endswith("人数")]
    assert mix[count_columns].to_numpy().sum() == len(table)
    assert boxes["人数"].sum() == len(table)
    assert target["人数"].sum() == len(table)
    assert target["目标占比 %"].tolist() == [15.0, 35.0, 30.0, 15.0, 5.0]


def test_a_department_filter_changes_the_figures(store):
    at = open_page("distribution", departments=["客服部"])
    assert not at.exception
    table = scored(store, load_scheme(), "2026-10")
    assert metrics(at)["人数"] == str(int((table["department"] == "客服部").sum()))
    assert at.dataframe[0].value["部门"].tolist() == ["客服部"]


def test_a_filter_that_leaves_no_one_shows_a_message(store):
    at = open_page("distribution", departments=["客服部"], roles=["备件专员"])
    assert not at.exception
    assert "没有人员" in at.warning[0].value
    assert at.get("plotly_chart") == []


def test_distribution_in_english_over_a_quarter(store):
    at = open_page("distribution", language="en", period_kind="quarter", period_quarter="2026-Q3")
    assert not at.exception
    assert at.title[0].value == "Grade distribution · 2026-Q3"
    period = "2026-Q3"
    assert metrics(at)["Headcount"] == str(len(scored(store, load_scheme(), period)))
    target = at.dataframe[-1].value
    assert target["Grade"].tolist() == [g.name_en for g in load_scheme().grades]
