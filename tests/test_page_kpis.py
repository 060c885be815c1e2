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
    assert len(charts(at)) == 4
    at.selectbox(key="kpi_distribution").set_value("upheld_complaints").run()
    assert not at.exception
    assert len(charts(at)) == 4


def test_kpi_page_in_english_over_a_quarter(demo_store):
    at = kpi_page(language="en", period_kind="quarter")
    assert not at.exception
    assert at.title[0].value.startswith("KPI breakdown · 2026-Q")
    assert len(charts(at)) == 4


def test_a_filter_that_leaves_no_one_shows_a_message(demo_store):
    at = kpi_page(departments=["客服部"], roles=["备件专员"])
    assert not at.exception
    assert "没有人员" in at.warning[0].value
    assert charts(at) == []
