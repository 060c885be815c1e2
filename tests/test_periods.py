"""Periods: parsing, labels and the aggregation of monthly totals to quarter, half-year and year."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest

from engine.schemes.scheme import parse_scheme
from engine.scoring.periods import aggregate, available, parse_period, previous, score_period
from engine.scoring.score import score_table
from tests.conftest import SMALL_SCHEME, facts


@pytest.mark.parametrize(
    ("text", "kind", "months"),
    [
        ("2026-10", "month", ("2026-10",)),
        ("2026-Q3", "quarter", ("2026-07", "2026-08", "2026-09")),
        ("2026-q1", "quarter", ("2026-01", "2026-02", "2026-03")),
        ("2026-H2", "half", tuple(f"2026-{m:02d}" for m in range(7, 13))),
        ("2026", "year", tuple(f"2026-{m:02d}" for m in range(1, 13))),
    ],
)
def test_parse_period(text, kind, months):
    period = parse_period(text)
    assert (period.kind, period.months) == (kind, months)


@pytest.mark.parametrize("text", ["2026-13", "2026-Q5", "26-10", "2026-H3", "October"])
def test_bad_period_is_explained(text):
    with pytest.raises(ValueError, match="use 2026-10, 2026-Q3, 2026-H1 or 2026"):
        parse_period(text)


@pytest.mark.parametrize(
    ("text", "before"),
    [("2026-01", "2025-12"), ("2026-Q1", "2025-Q4"), ("2026-H2", "2026-H1"), ("2026", "2025")],
)
def test_previous_period(text, before):
    assert previous(parse_period(text)).label == before


def test_available_periods_newest_first():
    found = available(["2025-12", "2026-01", "2026-02", "2026-04"])
    assert found["month"] == ["2026-04", "2026-02", "2026-01", "2025-12"]
    assert found["quarter"] == ["2026-Q2", "2026-Q1", "2025-Q4"]
    assert found["half"] == ["2026-H1", "2025-H2"]
    assert found["year"] == ["2026", "2025"]


def monthly(small_scheme) -> pd.DataFrame:
    # A: totals 82 (Jul), 100 (Aug), 76 (Sep) → mean 86.00; B: 82 (Jul) and 88 (Sep) → 85.00
    # C: only Aug, 100 → 100.00, one month. 82 = days 3, complaints 1, CSAT 85.
    good = {"days": 1, "complaints": 0, "csat": 95}
    mid = {"days": 3, "complaints": 1, "csat": 85}
    low = {"days": 5, "complaints": 1, "csat": 85}
    b_sep = {"days": 1, "complaints": 1, "csat": 85}  # quality 90 → 54 + 34 = 88
    rows = pd.concat(
        [
            facts([{**mid, "employee_id": "A"}, {**mid, "employee_id": "B"}], "2026-07"),
            facts([{**good, "employee_id": "A"}, {**good, "employee_id": "C"}], "2026-08"),
            facts(
                [{**low, "employee_id": "A"}, {**b_sep, "employee_id": "B", "team": "新组"}],
                "2026-09",
            ),
        ]
    )
    return score_table(rows, small_scheme)


def test_quarter_is_the_mean_of_monthly_totals_with_months_counted(small_scheme):
    table = monthly(small_scheme)
    quarter = aggregate(table, parse_period("2026-Q3"), small_scheme).set_index("employee_id")
    assert quarter["total"].to_dict() == {"A": 86.0, "B": 85.0, "C": 100.0}
    assert quarter["months"].to_dict() == {"A": 3, "B": 2, "C": 1}
    assert quarter["rank"].to_dict() == {"C": 1, "A": 2, "B": 3}
    assert quarter["grade"].to_dict() == {"A": "良好", "B": "良好", "C": "优秀"}
    # money is what the months paid: A 500 + 1000 + 0 = 1500
    assert quarter["bonus"].to_dict() == {"A": 1500, "B": 1000, "C": 1000}
    assert quarter.loc["B", "team"] == "新组"  # roster fields come from the latest month
    assert (quarter["period"] == "2026-Q3").all()


def test_mean_of_totals_is_rounded_half_away(small_scheme):
    table = pd.DataFrame(
        {
            "period": ["2026-01", "2026-02"],
            "employee_id": ["A", "A"],
            "name": "n",
            "department": "D",
            "team": "T",
            "role": "r",
            "total": [80.0, 85.01],
            "bonus": [500.0, 500.0],
            "missing_count": [0, 0],
        }
    )
    year = aggregate(table, parse_period("2026"), small_scheme)
    assert year["total"].tolist() == [82.51]  # 82.505 → 82.51


def test_score_period_for_a_month_is_the_monthly_table(small_scheme):
    rows = facts([{"days": 3, "complaints": 1, "csat": 85}], "2026-10")
    out = score_period(rows, small_scheme, "2026-10")
    assert out["total"].tolist() == [82] and out["months"].tolist() == [1]


def test_months_counts_only_the_months_whose_totals_are_averaged(small_scheme):
    # A: Jul 82, Aug a row with no values at all (no total), Sep 100 → mean 91.00 of 2 months.
    blank = {"days": np.nan, "complaints": np.nan, "csat": np.nan}
    rows = pd.concat(
        [
            facts([{"employee_id": "A", "days": 3, "complaints": 1, "csat": 85}], "2026-07"),
            facts([{"employee_id": "A", **blank}], "2026-08"),
            facts([{"employee_id": "A", "days": 1, "complaints": 0, "csat": 95}], "2026-09"),
        ]
    )
    quarter = score_period(rows, small_scheme, "2026-Q3").iloc[0]
    assert (quarter["total"], quarter["months"]) == (91, 2)
    # The month alone: no total, so no month averaged either.
    august = score_period(rows, small_scheme, "2026-08").iloc[0]
    assert np.isnan(august["total"]) and august["months"] == 0


def test_a_zero_kpi_scores_0_in_the_period_mean_as_in_the_totals():
    # missing = "zero": days blank in Aug scores 0 (quality (0 + 100) / 2 = 50, total 70);
    # Jul days 1 → 100, total 100. The quarter: days (100 + 0) / 2 = 50, total (100 + 70) / 2.
    data = copy.deepcopy(SMALL_SCHEME)
    data["missing"] = "zero"
    zero = parse_scheme(data)
    rows = pd.concat(
        [
            facts([{"employee_id": "A", "days": 1, "complaints": 0, "csat": 95}], "2026-07"),
            facts([{"employee_id": "A", "days": np.nan, "complaints": 0, "csat": 95}], "2026-08"),
        ]
    )
    quarter = score_period(rows, zero, "2026-Q3").iloc[0]
    assert (quarter["score_days"], quarter["cat_q"], quarter["total"]) == (50, 75, 85)
