"""Hand-computed and property tests of the KPI gaps by level (company → department → team →
person): each KPI's gap in points of total, adding up to the gap of the mean total."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.analysis.breakdown import gap_sentence, level_gaps, person_points
from engine.schemes.scheme import load_scheme
from engine.scoring.score import score_table
from tests.conftest import facts
from tests.test_breakdown import SMALL_ROWS

KPIS = ["days", "complaints", "csat"]
NAMES = {"days": "处理天数", "complaints": "投诉", "csat": "满意度", "adjustment": "加减分"}
# Points of total (quality 60 % = days 30 % + complaints 30 %, attitude 40 % csat):
#   E1 D1/T1: days 30, complaints 24, csat 40 = 94      E2 D1/T2: 18, 30, 34 = 82
#   E3 D2/T3: days  6, complaints 18, csat 28 = 52      E4 D2/T3:  0, 60, 40 = 100 (days blank)
# Company means: total 82; days 13.5, complaints 33, csat 35.5.
# D1: 88; 24, 27, 37 → gaps +6 = +10.5 − 6 + 1.5.   D2: 76; 3, 39, 34 → −6 = −10.5 + 6 − 1.5.
TEAMS = {"E1": "T1", "E2": "T2", "E3": "T3", "E4": "T3"}


@pytest.fixture
def table(small_scheme) -> pd.DataFrame:
    rows = [{**r, "team": TEAMS[r["employee_id"]]} for r in SMALL_ROWS]
    return score_table(facts(rows), small_scheme)


def gaps_of(table, scheme, level, shown=None, against="parent") -> pd.DataFrame:
    points = person_points(table, table, scheme)
    shown = table if shown is None else shown
    return level_gaps(shown, table, points, level, against).set_index("unit")


def test_department_gaps_to_the_company_in_points_of_total(table, small_scheme):
    gaps = gaps_of(table, small_scheme, "department")
    assert gaps["mean_total"].to_dict() == {"D2": 76.0, "D1": 88.0}
    assert gaps.loc["D1", "parent_total"] == 82.0
    assert gaps.loc["D1", ["gap", *[f"gap_{k}" for k in KPIS]]].tolist() == pytest.approx(
        [6.0, 10.5, -6.0, 1.5]
    )
    assert gaps.loc["D2", ["gap", *[f"gap_{k}" for k in KPIS]]].tolist() == pytest.approx(
        [-6.0, -10.5, 6.0, -1.5]
    )
    assert gaps.loc["D2", "gap_adjustment"] == 0.0
    assert list(gaps.index) == ["D2", "D1"]  # weakest first
    assert gaps["headcount"].tolist() == [2, 2]


def test_team_gaps_to_their_department_or_to_the_company(table, small_scheme):
    by_parent = gaps_of(table, small_scheme, "team")
    # T1 = E1 (94; 30, 24, 40) against D1 (88; 24, 27, 37).
    assert by_parent.loc["T1", ["gap", "gap_days", "gap_complaints", "gap_csat"]].tolist() == (
        pytest.approx([6.0, 6.0, -3.0, 3.0])
    )
    assert by_parent.loc["T1", "compared_with"] == "D1"
    against_company = gaps_of(table, small_scheme, "team", against="company")
    # T3 = D2 (76; 3, 39, 34) against the company (82; 13.5, 33, 35.5).
    t3 = against_company.loc["T3", ["gap", "gap_days", "gap_complaints", "gap_csat"]]
    assert t3.tolist() == pytest.approx([-6.0, -10.5, 6.0, -1.5])


def test_filtered_units_keep_their_parent_over_everyone(table, small_scheme):
    shown = table[table["team"].isin(["T1", "T2", "T3"])]
    assert len(gaps_of(table, small_scheme, "team", shown)) == 3
    only_t1 = gaps_of(table, small_scheme, "team", table[table["team"] == "T1"])
    assert only_t1.index.tolist() == ["T1"]
    assert only_t1.loc["T1", "parent_total"] == 88.0  # D1 over everyone, not over T1 alone


def test_person_level_against_the_team(table, small_scheme):
    gaps = gaps_of(table, small_scheme, "person")
    # E3 (52; 6, 18, 28) against T3 (76; 3, 39, 34).
    row = gaps.loc["n (E3)"]
    assert [row["gap"], row["gap_days"], row["gap_complaints"], row["gap_csat"]] == (
        pytest.approx([-24.0, 3.0, -21.0, -6.0])
    )


def test_an_adjustment_is_a_gap_of_its_own(table, small_scheme):
    adjusted = table.assign(
        computed_total=table["total"], total=table["total"] + np.where(table.index == 0, 4.0, 0.0)
    )
    gaps = gaps_of(adjusted, small_scheme, "department")
    # E1 gets +4: D1 89, company 83 → D1 +6 of KPIs and +2 − 1 = +1 of adjustments.
    assert gaps.loc["D1", "gap"] == pytest.approx(7.0)
    assert gaps.loc["D1", "gap_adjustment"] == pytest.approx(1.0)
    assert gaps.loc["D1", "gap_days"] == pytest.approx(10.5)


def test_the_sentence_names_what_costs_the_unit_most(table, small_scheme):
    gaps = gaps_of(table, small_scheme, "department").reset_index()
    below, above = gaps.iloc[0], gaps.iloc[1]
    assert gap_sentence(below, NAMES, "公司", "zh") == (
        "D2 比公司平均低 6.0 分,其中 处理天数 −10.5,满意度 −1.5。"
    )
    assert gap_sentence(above, NAMES, "公司", "zh") == (
        "D1 比公司平均高 6.0 分,其中 处理天数 +10.5,满意度 +1.5。"
    )
    assert gap_sentence(below, NAMES, "company", "en") == (
        "D2 is 6.0 points below the company mean: 处理天数 −10.5, 满意度 −1.5."
    )


def test_the_sentence_names_three_kpis_then_dots():
    row = pd.Series(
        {
            "unit": "呼叫二组",
            "gap": -8.6,
            "gap_a": -3.9,
            "gap_b": -2.7,
            "gap_c": -1.5,
            "gap_d": -0.6,
            "gap_e": 0.1,
        }
    )
    names = {k: k.upper() for k in "abcde"}
    assert gap_sentence(row, names, "公司", "zh") == (
        "呼叫二组 比公司平均低 8.6 分,其中 A −3.9,B −2.7,C −1.5,…。"
    )
    level = row.copy()
    level["gap"] = 0.01
    assert gap_sentence(level, names, "公司", "zh") == "呼叫二组 与公司平均持平。"


SCHEME = load_scheme()
ROLES = ["服务工程师", "客服专员", "技术支持工程师"]
PERSON = st.fixed_dictionaries(
    {
        "department": st.sampled_from(["D1", "D2", "D3"]),
        "team": st.sampled_from(["T1", "T2", None]),
        "role": st.sampled_from(ROLES),
        "fault_days": st.one_of(st.none(), st.floats(0, 30)),
        "satisfaction": st.one_of(st.none(), st.floats(0, 100)),
        "upheld_complaints": st.integers(0, 6).map(float),
        "on_time_rate": st.floats(0, 100),
        "adjust": st.sampled_from([0.0, 0.0, 3.0, -2.5]),
    }
)


@settings(max_examples=60, deadline=None)
@given(
    people=st.lists(PERSON, min_size=1, max_size=12),
    level=st.sampled_from(["company", "department", "team", "person"]),
    against=st.sampled_from(["parent", "company"]),
)
def test_kpi_gaps_always_add_up_to_the_gap_of_the_total(people, level, against):
    rows = [
        {**{k: v for k, v in p.items() if k != "adjust"}, "employee_id": f"E{i}"}
        for i, p in enumerate(people)
    ]
    table = score_table(facts(rows), SCHEME)
    adjust = np.array([p["adjust"] for p in people])
    table = table.assign(computed_total=table["total"], total=table["total"] + adjust)
    points = person_points(table, table, SCHEME)
    assert np.allclose(points.sum(axis=1), table["total"])
    gaps = level_gaps(table, table, points, level, against)
    kpi_gaps = gaps[[c for c in gaps if c.startswith("gap_")]].sum(axis=1)
    assert np.allclose(kpi_gaps, gaps["gap"], atol=1e-9)
    assert np.allclose(gaps["gap"], gaps["mean_total"] - gaps["parent_total"])
