"""AppTest of the 洞察 Insights page on a temporary store built from the demo data."""

from __future__ import annotations

import json

import pandas as pd
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


def chart_titles(at: AppTest) -> list[str]:
    specs = [json.loads(c.proto.spec)["layout"] for c in at.get("plotly_chart")]
    return [s["title"]["text"] for s in specs if "title" in s]


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
    sentences = [t.value for t in at.main.text]
    assert sentences and all(": Fail " in s and "everyone else" in s for s in sentences)


def test_rater_leniency_names_the_lenient_and_the_harsh_demo_raters(demo_store):
    at = insights_page(period_kind="year")
    assert not at.exception
    listed = tables(at)[1].value
    found = listed.set_index("判断")["差异"].pipe(pd.to_numeric, errors="coerce")
    # The demo's 客服一组 rater adds 9 points, 呼叫二组's takes 9 off.
    assert "偏宽" in found.index and "偏严" in found.index
    assert found.loc[["偏宽"]].min() > 0 and found.loc[["偏严"]].max() < 0
    compared = listed[listed["判断"] != "无可比对象"]
    low, high = compared["95% 区间下限"].astype(float), compared["95% 区间上限"].astype(float)
    difference = compared["差异"].astype(float)
    assert ((low <= difference) & (difference <= high)).all()
    assert (listed.loc[listed["判断"] == "无可比对象", "95% 区间下限"] == "—").all()


def test_control_charts_mark_the_signals_of_a_series(demo_store):
    at = insights_page()
    assert not at.exception
    at.selectbox(key="insights_chart_department").set_value("呼叫中心").run()
    at.selectbox(key="insights_chart_kpi").set_value("first_contact_resolution").run()
    assert not at.exception
    assert "p 控制图(按样本数)" in chart_titles(at)
    assert any("个部门 × 指标组合出现信号" in c.value for c in at.main.caption)
    at.selectbox(key="insights_chart_kpi").set_value("total").run()
    assert not at.exception
    assert "X-mR 单值-移动极差控制图" in chart_titles(at)


def test_fairness_by_segment_tests_the_grade_mix_and_says_it_in_a_sentence(demo_store):
    at = insights_page()
    assert not at.exception
    assert at.selectbox(key="insights_segment").value == "tenure_band"
    assert at.selectbox(key="insights_segment_grade").value == "不合格"
    sentences = [t.value for t in at.main.text]
    assert sentences and all(" 不合格 占 " in s and "其他员工" in s for s in sentences)
    assert any("等级构成与司龄段是否有关" in c.value for c in at.main.caption)
    at.selectbox(key="insights_segment").set_value("team").run()
    assert not at.exception
    findings = at.dataframe[-1].value
    assert {"人群", "不合格占比 %", "其他员工占比 %", "p(校正后)"} <= set(findings.columns)
    assert any(t.value.startswith("班组为「") for t in at.main.text)


def test_gaming_pairs_list_people_with_both_series(demo_store):
    at = insights_page(period_kind="half")
    assert not at.exception
    assert at.selectbox(key="insights_pair").value == 0  # fault days down · rework up
    listed = at.dataframe[-1].value
    # E0011 closes jobs in a hurry in the demo's last two months.
    assert "E0011" in listed["工号"].tolist()
    assert {"故障处理天数 变化(标准误)", "返修率 变化(标准误)"} <= set(listed.columns)
    assert (listed["故障处理天数 变化(标准误)"] <= -1.5).all()
    assert (listed["返修率 变化(标准误)"] >= 1.5).all()
    at.selectbox(key="insights_pair_person").set_value("E0011").run()
    assert not at.exception
    spec = json.loads(at.get("plotly_chart")[-1].proto.spec)
    assert [trace["name"] for trace in spec["data"]] == ["故障处理天数", "返修率"]


def test_downloads_name_the_columns_kept_beside_a_kpi():
    from engine.schemes.scheme import load_scheme
    from ui.i18n import column_label

    scheme = load_scheme()
    assert column_label("cases_satisfaction", scheme) == "客户满意度 样本数"
    assert column_label("rater_manager_rating", scheme) == "主管评分 评分人"
    assert column_label("adjusted_satisfaction", scheme) == "客户满意度 计分值"
