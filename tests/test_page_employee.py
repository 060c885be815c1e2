"""AppTest of the employee drill-down on a temporary store built from the demo data."""

from __future__ import annotations

import os

import pytest
from streamlit.testing.v1 import AppTest

from engine import paths

APP = str(paths.ROOT / "app.py")
PAGE = "pages/employee.py"


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory):
    """One store per module: the first run imports the demo months, later tests reuse it."""
    before = os.environ.get(paths.DB_ENV)
    os.environ[paths.DB_ENV] = str(tmp_path_factory.mktemp("employee") / "app.duckdb")
    AppTest.from_file(APP, default_timeout=60).run()
    yield
    if before is None:
        os.environ.pop(paths.DB_ENV, None)
    else:
        os.environ[paths.DB_ENV] = before


def employee_page(employee: str | None = None, **state) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    if employee is not None:
        at.query_params["employee"] = employee
    return at.switch_page(PAGE).run()


def statement_adds_up(at: AppTest) -> None:
    """The statement's points add up to the total in the headline, and its caption says so."""
    total = float(at.metric[0].value)
    statement = at.dataframe[0].value
    points = statement["贡献分" if "贡献分" in statement else "Points"]
    assert points.sum() == pytest.approx(total, abs=1e-9)
    assert at.caption[-1].value.count(f"{total:.2f}") >= 2  # "… 79.08 points = total 79.08"


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
    assert "E9999" in at.warning[0].value
    statement_adds_up(at)


def test_english_over_a_quarter_adds_up_too(demo_store):
    at = employee_page("E0003", language="en", period_kind="quarter", period_quarter="2026-Q3")
    assert not at.exception
    assert at.metric[0].label == "Total"
    assert "2026-Q3 (3 months)" in at.caption[0].value
    statement_adds_up(at)


def test_a_filter_that_leaves_no_one_shows_a_message(demo_store):
    at = employee_page("E0005", departments=["客服部"], roles=["备件专员"])
    assert not at.exception
    assert "没有人员" in at.warning[0].value
