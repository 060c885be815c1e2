"""AppTest of the 洞察 Insights page on a temporary store built from the demo data."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.apptest import open_page, using_demo_store


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory):
    """One store per module: later tests find its scores in the cache."""
    with using_demo_store(tmp_path_factory.mktemp("insights")) as store:
        yield store


def insights_page(**state) -> AppTest:
    return open_page("insights", **state)


def tables(at: AppTest) -> list:
    return at.dataframe


def test_small_samples_show_a_funnel_and_the_rates_with_intervals(demo_store):
    at = insights_page()
    assert not at.exception
    assert at.title[0].value.startswith("洞察 · 2026-10")
    assert len(at.get("plotly_chart")) >= 1
    rates = tables(at)[0].value
    wanted = {"样本数", "95% 区间下限", "95% 区间上限", "收缩估计 %", "样本不足"}
    assert wanted <= set(rates.columns)
    # First-contact resolution first (the scheme's order): flagged below its 50 calls.
    assert (rates["样本不足"] == "⚠").eq(rates["样本数"] < 50).all()
    assert (rates["样本不足"] == "⚠").any()
    at.selectbox(key="insights_rate_kpi").set_value("satisfaction").run()
    assert not at.exception
    rates = tables(at)[0].value
    assert (rates["样本不足"] == "⚠").eq(rates["样本数"] < 30).all()
    inside = (rates["95% 区间下限"] <= rates["比率 %"]) & (rates["比率 %"] <= rates["95% 区间上限"])
    assert inside.all()
    # 100 % from a handful of surveys is shrunk below 100 %.
    perfect = rates[(rates["比率 %"] == 100) & (rates["样本数"] < 10)]
    assert len(perfect) and (perfect["收缩估计 %"] < 100).all()


def test_insights_in_english_over_a_quarter(demo_store):
    at = insights_page(language="en", period_kind="quarter")
    assert not at.exception
    assert at.title[0].value.startswith("Insights · 2026-Q")
    assert "Shrunk %" in tables(at)[0].value.columns


def test_rater_leniency_names_the_lenient_and_the_harsh_demo_raters(demo_store):
    at = insights_page(period_kind="year")
    assert not at.exception
    found = tables(at)[1].value.set_index("判断")
    # The demo's 客服一组 rater adds 9 points, 呼叫二组's takes 9 off.
    assert "偏宽" in found.index and "偏严" in found.index
    assert found.loc[["偏宽"], "差异"].min() > 0 and found.loc[["偏严"], "差异"].max() < 0
    listed = tables(at)[1].value
    compared = listed[listed["判断"] != "无可比对象"]
    low, high = compared["95% 区间下限"].astype(float), compared["95% 区间上限"].astype(float)
    assert ((low <= compared["差异"]) & (compared["差异"] <= high)).all()
    assert (listed.loc[listed["判断"] == "无可比对象", "95% 区间下限"] == "—").all()
