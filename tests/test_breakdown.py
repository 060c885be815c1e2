"""Hand-computed expectations for the KPI breakdowns and one person's score statement."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from engine.analysis.breakdown import (
    apportioned,
    category_statement,
    department_contributions,
    department_kpi_means,
    kpi_points,
    kpi_profile,
    people_by_rank,
    period_rows,
    points_to_next_grade,
    score_edges,
    score_statement,
    separating_kpis,
    value_histogram,
)
from engine.scoring.periods import aggregate, parse_period
from engine.scoring.score import score_table
from tests.conftest import facts

# Small scheme: quality 60% (days bands 50, complaints −20 each 50), attitude 40% (CSAT tiers).
#   E1 D1: days 1 → 100, complaints 1 → 80, CSAT 95 → 100: quality 90, attitude 100 → 94 优秀
#   E2 D1: days 5 → 60, complaints 0 → 100, CSAT 85 → 85: quality 80, attitude 85 → 82 良好
#   E3 D2: days 9 → 20, complaints 2 → 60, CSAT 75 → 70: quality 40, attitude 70 → 52 不合格
#   E4 D2: days missing, complaints 0 → 100, CSAT 92 → 100: quality 100 (renormalised) → 100
SMALL_ROWS = [
    {"employee_id": "E1", "department": "D1", "days": 1, "complaints": 1, "csat": 95},
    {"employee_id": "E2", "department": "D1", "days": 5, "complaints": 0, "csat": 85},
    {"employee_id": "E3", "department": "D2", "days": 9, "complaints": 2, "csat": 75},
    {"employee_id": "E4", "department": "D2", "days": np.nan, "complaints": 0, "csat": 92},
]


@pytest.fixture
def small_table(small_scheme) -> pd.DataFrame:
    table = score_table(facts(SMALL_ROWS), small_scheme)
    assert table.set_index("employee_id")["total"].to_dict() == {
        "E1": 94.0,
        "E2": 82.0,
        "E3": 52.0,
        "E4": 100.0,
    }
    return table


def person(table: pd.DataFrame, employee_id: str) -> pd.Series:
    return table.set_index("employee_id", drop=False).loc[employee_id]


def test_department_kpi_means_average_scores_and_raw_values(small_table, small_scheme):
    means = department_kpi_means(small_table, small_scheme).set_index("department")
    assert means["headcount"].to_dict() == {"D1": 2, "D2": 2}
    assert means.loc["D1", ["score_days", "days"]].tolist() == [80.0, 3.0]
    assert means.loc["D2", ["score_days", "days"]].tolist() == [20.0, 9.0]  # missing is skipped
    assert means["score_complaints"].to_dict() == {"D1": 90.0, "D2": 80.0}
    assert means["score_csat"].to_dict() == {"D1": 92.5, "D2": 85.0}


def test_category_contributions_add_up_to_the_mean_total(small_table, small_scheme):
    parts = department_contributions(small_table, small_table, small_scheme).set_index("department")
    # D1: quality (0.6×90 + 0.6×80)/2 = 51, attitude (40 + 34)/2 = 37, mean total 88.
    # D2: quality (0.6×40 + 0.6×100)/2 = 42, attitude (28 + 40)/2 = 34, mean total 76.
    assert parts.loc["D1"].to_dict() == pytest.approx(
        {"headcount": 2, "mean_total": 88, "q": 51, "a": 37}
    )
    assert parts.loc["D2"].to_dict() == pytest.approx(
        {"headcount": 2, "mean_total": 76, "q": 42, "a": 34}
    )
    assert list(parts.index) == ["D1", "D2"]  # best mean total first


def test_contributions_over_a_quarter_use_each_months_weights(small_scheme):
    months = pd.concat(
        [
            facts([{"employee_id": "E1", "days": 1, "complaints": 0, "csat": 95}], "2026-07"),
            facts([{"employee_id": "E1", "days": np.nan, "complaints": 2, "csat": 75}], "2026-08"),
        ]
    )
    monthly = score_table(months, small_scheme)
    # July: 100 all round → 100. August: quality 60 (days dropped), attitude 70 → 36 + 28 = 64.
    assert monthly["total"].tolist() == [100.0, 64.0]
    quarter = aggregate(monthly, parse_period("2026-Q3"), small_scheme)
    parts = department_contributions(quarter, monthly, small_scheme).iloc[0]
    assert parts["mean_total"] == 82.0
    assert (parts["q"], parts["a"]) == pytest.approx((48.0, 34.0))  # (60 + 36)/2, (40 + 28)/2
    statement = score_statement(person(quarter, "E1"), monthly, small_scheme)
    assert statement["points"].sum() == pytest.approx(82.0)
    # days counts in July only: 30% of the total in July, 0% in August.
    assert statement.set_index("kpi").loc["days", ["share", "points"]].tolist() == [15.0, 15.0]


def test_separating_kpis_are_sorted_by_the_gap_between_top_grade_and_rest(
    small_table, small_scheme
):
    gaps = separating_kpis(small_table, small_scheme)
    # Top (E1, E4) against the rest (E2, E3): days 100 − 40, CSAT 100 − 77.5, complaints 90 − 80.
    assert gaps["kpi"].tolist() == ["days", "csat", "complaints"]
    assert gaps["gap"].tolist() == [60.0, 22.5, 10.0]
    assert gaps.loc[0, ["top_mean", "rest_mean"]].tolist() == [100.0, 40.0]


def test_no_separating_kpis_without_a_top_grade(small_table, small_scheme):
    assert separating_kpis(small_table[small_table["total"] < 90], small_scheme).empty


def test_statement_adds_up_to_the_total(small_table, small_scheme):
    e1 = person(small_table, "E1")
    statement = score_statement(e1, small_table[small_table["employee_id"] == "E1"], small_scheme)
    rows = statement.set_index("kpi")
    assert rows["points"].to_dict() == {"days": 30.0, "complaints": 24.0, "csat": 40.0}
    assert rows["share"].to_dict() == pytest.approx({"days": 30, "complaints": 30, "csat": 40})
    assert rows["kpi_weight"].to_dict() == {"days": 50, "complaints": 50, "csat": 100}
    assert rows["category_weight"].to_dict() == {"days": 60, "complaints": 60, "csat": 40}
    assert statement["points"].sum() == e1["total"] == 94.0
    categories = category_statement(statement, e1, small_scheme)
    assert categories.to_dict("list") == {
        "category": ["q", "a"],
        "category_weight": [60.0, 40.0],
        "score": [90.0, 100.0],
        "points": [54.0, 40.0],
    }


def test_statement_with_a_missing_kpi_gives_its_weight_to_the_category(small_table, small_scheme):
    e4 = person(small_table, "E4")
    statement = score_statement(e4, small_table[small_table["employee_id"] == "E4"], small_scheme)
    rows = statement.set_index("kpi")
    assert math.isnan(rows.loc["days", "value"])
    assert rows.loc["days", "kpi_weight"] == 50  # the scheme's weight, shown as published
    assert rows["share"].to_dict() == pytest.approx({"days": 0, "complaints": 60, "csat": 40})
    assert rows["points"].to_dict() == {"days": 0.0, "complaints": 60.0, "csat": 40.0}
    assert statement["points"].sum() == e4["total"] == 100.0


# Shipped scheme, role 技术支持工程师 (categories 60 / 30 / 10):
#   quality (25×80 + 20×75 + 15×80 + 20×80 + 20×75)/100 = 78
#   skill (30×75 + 25×85 + 25×80 + 20×70)/100 = 77.75
#   attitude (40×85 + 20×80 + 40×90)/100 = 86
#   total 0.6×78 + 0.3×77.75 + 0.1×86 = 78.725 → 78.73
SUPPORT_ROW = {
    "fault_days": 3,
    "first_contact_resolution": 80,
    "rework_rate": 2,
    "upheld_complaints": 1,
    "on_time_rate": 85,
    "order_achievement": 90,
    "response_minutes": 8,
    "skill_rating": 4,
    "late_responses": 2,
    "satisfaction": 85,
    "complaint_rate": 2,
    "manager_rating": 90,
}


def test_statement_under_a_role_override_adds_up_exactly(scheme):
    table = score_table(facts([{**SUPPORT_ROW, "role": "技术支持工程师"}]), scheme)
    row = table.iloc[0]
    assert row["total"] == 78.73
    rows = score_statement(row, table, scheme).set_index("kpi")
    assert rows["category_weight"].to_dict()["fault_days"] == 60
    assert rows["category_weight"].to_dict()["order_achievement"] == 30
    assert rows["category_weight"].to_dict()["satisfaction"] == 10
    assert rows.loc["fault_days", "points"] == 12.0  # 0.6 × 0.25 × 80
    assert rows.loc["skill_rating", "points"] == 6.0  # 0.3 × 0.25 × 80
    # 6.375 has the largest remainder, so it takes the cent the total still needs.
    assert rows.loc["response_minutes", "points"] == 6.38
    assert rows["points"].sum() == pytest.approx(78.73, abs=1e-9)


def test_statement_of_a_role_without_some_kpis_and_with_a_missing_one(scheme):
    # 客服专员: quality 30 / skill 30 / attitude 40; fault_days and rework_rate weigh 0;
    # on_time_rate is blank, so quality is (40×75 + 30×80)/70 = 77.142857…
    # total 0.3 × 77.142857 + 0.3 × 77.75 + 0.4 × 86 = 80.867857 → 80.87
    values = {**SUPPORT_ROW, "on_time_rate": np.nan, "role": "客服专员"}
    table = score_table(facts([values]), scheme)
    row = table.iloc[0]
    assert row["total"] == 80.87
    rows = score_statement(row, table, scheme).set_index("kpi")
    assert "fault_days" not in rows.index and "rework_rate" not in rows.index
    assert rows.loc["on_time_rate", "points"] == 0.0
    assert rows.loc["first_contact_resolution", "share"] == pytest.approx(30 * 40 / 70)
    assert rows["points"].sum() == pytest.approx(80.87, abs=1e-9)
    assert kpi_points(table, scheme).sum(axis=1).iloc[0] == pytest.approx(80.867857, abs=1e-6)


def test_apportioned_values_add_up_to_the_total_and_stay_within_a_cent():
    values = pd.Series([10.004, 10.004, 10.004, 0.333])
    out = apportioned(values, 30.35)
    assert out.sum() == pytest.approx(30.35)
    assert np.all(np.abs(out - values.to_numpy()) < 0.01)
    assert apportioned(pd.Series([1.0, 2.0]), 3.0).tolist() == [1.0, 2.0]
    assert apportioned(pd.Series([1.006, 2.006]), 3.0).tolist() == [1.0, 2.0]  # a cent less


@pytest.mark.parametrize(
    ("total", "grade", "needed"),
    [
        (90.0, None, None),
        (100.0, None, None),
        (89.99, "优秀", 0.01),
        (80.0, "优秀", 10.0),
        (79.5, "良好", 0.5),
        (59.99, "及格", 0.01),
        (0.0, "及格", 60.0),
    ],
)
def test_points_to_next_grade_at_the_edges(scheme, total, grade, needed):
    out = points_to_next_grade(pd.Series([total]), scheme).iloc[0]
    if grade is None:
        assert pd.isna(out["next_grade"])
        assert math.isnan(out["points_needed"])
    else:
        assert (out["next_grade"], out["points_needed"]) == (grade, needed)


def test_points_to_next_grade_of_no_total_is_empty(scheme):
    out = points_to_next_grade(pd.Series([np.nan, 85.0]), scheme)
    assert pd.isna(out["next_grade"].iloc[0]) and out["next_grade"].iloc[1] == "优秀"
    assert out["next_grade_en"].tolist()[1] == "Excellent"


def test_value_histogram_gives_whole_numbers_a_bin_each():
    bins = value_histogram(pd.Series([0, 0, 1, 3, np.nan]))
    assert bins["left"].tolist() == [-0.5, 0.5, 1.5, 2.5]
    assert bins["count"].tolist() == [2, 1, 0, 1]


def test_value_histogram_of_measurements_has_equal_bins():
    bins = value_histogram(pd.Series([0.0, 2.5, 5.0, 7.5, 10.0]), bins=4)
    assert bins["left"].tolist() == [0.0, 2.5, 5.0, 7.5]
    assert bins["count"].tolist() == [1, 1, 1, 2]  # the last bin holds its right edge
    assert value_histogram(pd.Series([np.nan])).empty
    assert value_histogram(pd.Series([4.2, 4.2]))["count"].tolist() == [2]


def test_score_edges_follow_the_scoring_method(scheme):
    assert score_edges(scheme.kpi("fault_days")) == [2, 4, 6, 8]
    assert score_edges(scheme.kpi("satisfaction")) == [90, 80, 70]
    assert score_edges(scheme.kpi("on_time_rate")) == [70, 90]
    assert score_edges(scheme.kpi("upheld_complaints")) == []


def test_people_are_listed_best_rank_first_with_a_readable_label(small_table):
    people = people_by_rank(small_table.assign(name=["甲", "乙", "丙", "丁"]))
    assert people["employee_id"].tolist() == ["E4", "E1", "E2", "E3"]
    assert people["label"].iloc[0].startswith("E4 · ")
    assert people["label"].iloc[0].endswith(" · D2")


def test_kpi_profile_sets_the_person_beside_the_peer_mean(small_table, small_scheme):
    e1 = person(small_table, "E1")
    statement = score_statement(e1, small_table[small_table["employee_id"] == "E1"], small_scheme)
    profile = kpi_profile(statement, small_table[small_table["department"] == "D1"])
    assert profile.to_dict("list") == {
        "kpi": ["days", "complaints", "csat"],
        "score": [100.0, 80.0, 100.0],
        "peer_mean": [80.0, 90.0, 92.5],
    }


def test_period_rows_keep_the_periods_months_and_people(small_table):
    other = small_table.assign(period="2026-09")
    monthly = pd.concat([small_table, other], ignore_index=True)
    rows = period_rows(monthly, small_table[small_table["department"] == "D1"], ["2026-10"])
    assert sorted(rows["employee_id"]) == ["E1", "E2"]
    assert set(rows["period"]) == {"2026-10"}


def test_value_histogram_labels_read_as_numbers_or_ranges():
    assert value_histogram(pd.Series([0, 2]))["label"].tolist() == ["0", "1", "2"]
    ranges = value_histogram(pd.Series([0.0, 2.5, 10.0]), bins=2)["label"].tolist()
    assert ranges == ["0–5", "5–10"]
