"""AppTest of the KPI breakdown page on a temporary store built from the demo data."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.apptest import open_page, using_demo_store


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory):
    """One store per module: later tests find its scores in the cache."""
    with using_demo_store(tmp_path_factory.mktemp("kpis")) as store:
        yield store


def kpi_page(**state) -> AppTest:
    return open_page("kpis", **state)


def charts(at: AppTest) -> list:
    return at.get("plotly_chart")


def test_kpi_page_draws_four_charts_on_the_demo_data(demo_store):
    at = kpi_page()
    assert not at.exception
    assert at.title[0].value.startswith("指标分析")
    assert len(charts(at)) == 5
    at.selectbox(key="kpi_distribution").set_value("upheld_complaints").run()
    assert not at.exception
    assert len(charts(at)) == 5


def test_kpi_page_in_english_over_a_quarter(demo_store):
    at = kpi_page(language="en", period_kind="quarter")
    assert not at.exception
    assert at.title[0].value.startswith("KPI breakdown · 2026-Q")
    assert len(charts(at)) == 5


def test_a_filter_that_leaves_no_one_shows_a_message(demo_store):
    at = kpi_page(departments=["客服部"], roles=["备件专员"])
    assert not at.exception
    assert "没有人员" in at.warning[0].value
    assert charts(at) == []


def gap_frame(at: AppTest):
    """The gap heatmap's figure (AppTest cannot look inside plotly, but the spec is JSON)."""
    import json

    return json.loads(charts(at)[0].proto.spec)


def test_three_teams_chosen_give_three_rows_with_their_gaps(demo_store):
    teams = ["呼叫一组", "呼叫二组", "售后一组"]
    at = kpi_page(teams=teams)
    assert not at.exception
    figure = gap_frame(at)
    assert sorted(figure["data"][0]["y"]) == sorted(teams)
    assert figure["data"][0]["x"][0] == "总分"
    sentences = [m.value for m in at.main.markdown if "比" in m.value and "平均" in m.value]
    assert sentences and "平均低" in sentences[0] and "其中" in sentences[0]


def test_gap_levels_and_the_company_in_english(demo_store):
    at = kpi_page(language="en")
    assert not at.exception
    assert len(gap_frame(at)["data"][0]["y"]) == 6  # six departments
    at = kpi_page(language="en", gap_level="person", gap_against="company")
    assert not at.exception
    assert len(gap_frame(at)["data"][0]["y"]) == 30
    assert any("below the company mean" in m.value for m in at.main.markdown)
