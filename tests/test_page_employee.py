"""AppTest of the employee drill-down on a temporary store built from the demo data."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.apptest import open_page, using_demo_store


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory):
    """One store per module: later tests find its scores in the cache."""
    with using_demo_store(tmp_path_factory.mktemp("employee")) as store:
        yield store


def employee_page(employee: str | None = None, **state) -> AppTest:
    query = {"employee": employee} if employee is not None else None
    return open_page("employee", query=query, **state)


def statement_adds_up(at: AppTest) -> None:
    """The statement's points add up to the total in the headline, and its caption says so."""
    total = float(at.metric[0].value)
    statement = at.dataframe[0].value
    points = statement["贡献分" if "贡献分" in statement else "Points"]
    assert points.sum() == pytest.approx(total, abs=1e-9)
    assert at.main.caption[-1].value.count(f"{total:.2f}") >= 2  # "… 79.08 points = total 79.08"


def test_top_ranked_person_by_default_and_the_statement_adds_up(demo_store):
    at = employee_page()
    assert not at.exception
    assert at.selectbox(key="employee_pick").value == at.header[0].value.split(" · ")[1]
    statement_adds_up(at)
    assert len(at.get("plotly_chart")) == 3


def test_the_address_chooses_the_person_and_a_new_choice_updates_it(demo_store):
    at = employee_page("E0005")
    assert not at.exception
    assert at.header[0].value.endswith("E0005")
    statement_adds_up(at)
    at.selectbox(key="employee_pick").set_value("E0010").run()
    assert at.header[0].value.endswith("E0010")
    assert at.query_params["employee"] == "E0010"


def test_an_unknown_person_in_the_address_gets_a_message(demo_store):
    at = employee_page("E9999")
    assert not at.exception
    assert "E9999" in at.main.warning[0].value
    statement_adds_up(at)


def test_english_over_a_quarter_adds_up_too(demo_store):
    at = employee_page("E0003", language="en", period_kind="quarter", period_quarter="2026-Q3")
    assert not at.exception
    assert at.metric[0].label == "Total"
    assert "2026-Q3 (3 months)" in at.main.caption[0].value
    statement_adds_up(at)


def test_a_filter_that_leaves_no_one_shows_a_message(demo_store):
    at = employee_page("E0005", departments=["客服部"], roles=["备件专员"])
    assert not at.exception
    assert "没有人员" in at.main.warning[0].value


def test_a_post_paid_by_a_formula_shows_its_formula(tmp_path, monkeypatch):
    from engine import paths
    from engine.demo.dealer_4s import SCHEME_4S, import_demo_4s
    from engine.store import Store

    db = tmp_path / "s4.duckdb"
    import_demo_4s(Store(db))
    monkeypatch.setenv(paths.DB_ENV, str(db))
    monkeypatch.setenv(paths.SCHEME_ENV, str(SCHEME_4S))
    at = employee_page("HZ101")  # 杭州宝诚's 备件经理
    assert not at.exception
    caption = at.main.caption[-1].value
    assert "奖金 = (备件毛利额 + 附件及养护品毛利额) × 0.5% × 考核系数 = " in caption
    assert float(caption.split("= ")[-1].replace(",", "")) > 0


def test_the_statement_shows_the_raw_rate_beside_the_shrunk_one_when_the_scheme_scores_it(
    demo_store, tmp_path, monkeypatch
):
    from engine import paths

    text = (paths.SCHEMES_DIR / "aftersales.toml").read_text(encoding="utf-8")
    assert "score_shrunk = false" in text
    shrunk = tmp_path / "aftersales_shrunk.toml"
    shrunk.write_text(text.replace("score_shrunk = false", "score_shrunk = true"), "utf-8")
    monkeypatch.setenv(paths.SCHEME_ENV, str(shrunk))
    at = employee_page("E0001")
    assert not at.exception
    statement = at.dataframe[0].value.set_index("指标")
    scored = statement.loc["客户满意度", "计分值(收缩/校准后)"]
    assert scored != statement.loc["客户满意度", "原始值"]
    # a KPI the scheme does not adjust is scored on its raw value
    assert (
        statement.loc["服务准时率", "计分值(收缩/校准后)"] == statement.loc["服务准时率", "原始值"]
    )
    statement_adds_up(at)
    monkeypatch.delenv(paths.SCHEME_ENV)  # the shipped scheme scores raw rates: one column
    assert "计分值(收缩/校准后)" not in employee_page("E0001").dataframe[0].value.columns
