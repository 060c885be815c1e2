"""AppTest of the grade distribution page on a temporary store built from the demo data."""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd
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


def test_an_adjustment_shows_the_computed_grades_beside_the_calibrated(tmp_path):
    from engine.accounts import Access
    from engine.cycle.close import propose
    from engine.cycle.config import load_cycle

    with using_demo_store(tmp_path) as fresh:
        scheme = load_scheme()
        before = scored(fresh, scheme, "2026-10")
        lowest = before.sort_values("total").iloc[0]
        names = scheme.grade_names
        was = names.index(str(lowest["grade"]))
        row = {
            "employee_id": lowest["employee_id"],
            "points": "",
            "grade": names[was - 1],  # one grade better
            "reason": "校准",
            "row": 2,
        }
        admin = Access("boss", "admin")
        propose(fresh, load_cycle(), admin, scheme, "2026-10", pd.DataFrame([row]))
        at = open_page("distribution")
        assert not at.exception
        computed = before["grade"].astype(str).value_counts().reindex(names, fill_value=0)
        calibrated = computed.copy()
        calibrated[names[was]] -= 1
        calibrated[names[was - 1]] += 1
        side = at.dataframe[-1].value.set_index("等级")
        assert side["计算等级"].tolist() == computed.tolist()
        assert side["校准等级"].tolist() == calibrated.tolist()
        assert side["变化"].tolist() == (calibrated - computed).tolist()
        assert len(at.get("plotly_chart")) == 5
