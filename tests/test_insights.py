"""Insights statistics, each figure checked against a hand computation or a textbook example."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.insights.rates import funnel_limits, outside_funnel, person_rates, wilson
from engine.schemes.scheme import load_scheme

# ------------------------------------------------------------------ 1. small samples


def test_wilson_interval_of_newcombes_textbook_example():
    """Newcombe (1998), Statistics in Medicine 17: 81 of 263 → 0.2553 to 0.3662; 0 of 10 →
    0 to 0.2775; 15 of 148 → 0.0624 to 0.1605."""
    low, high = wilson(np.array([81, 0, 15]), np.array([263, 10, 148]))
    assert low == pytest.approx([0.2553, 0.0, 0.0624], abs=5e-5)
    assert high == pytest.approx([0.3662, 0.2775, 0.1605], abs=5e-5)


def test_wilson_interval_is_missing_without_cases():
    low, high = wilson(np.array([1.0, np.nan]), np.array([0.0, 5.0]))
    assert np.isnan(low).all() and np.isnan(high).all()


@settings(max_examples=80, deadline=None)
@given(st.integers(1, 5000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_the_wilson_interval_contains_the_rate(pair):
    hits, cases = pair
    low, high = wilson(np.array([hits]), np.array([cases]))
    assert 0 <= low[0] <= hits / cases + 1e-12 and hits / cases - 1e-12 <= high[0] <= 1


def test_funnel_limits_by_hand():
    """Pooled 80 %, 100 cases: sd √(0.8 × 0.2 / 100) = 0.04; 95 % limits 80 ± 1.96 × 4 =
    72.16 / 87.84; 99.8 % limits 80 ± 3.0902 × 4 = 67.64 / 92.36."""
    limits = funnel_limits(0.8, 100).set_index("cases").loc[100.0]
    assert limits["low_0.95"] == pytest.approx(72.16, abs=0.01)
    assert limits["high_0.95"] == pytest.approx(87.84, abs=0.01)
    assert limits["low_0.998"] == pytest.approx(67.64, abs=0.01)
    assert limits["high_0.998"] == pytest.approx(92.36, abs=0.01)
    rates = pd.DataFrame({"rate": [66.0, 70.0, 100.0], "cases": [100.0, 100.0, 2.0]})
    assert outside_funnel(rates, 0.8).tolist() == [True, False, False]


def test_person_rates_sum_the_months_and_flag_few_cases():
    kpi = load_scheme().kpi("satisfaction")
    monthly = pd.DataFrame(
        {
            "period": ["2026-09", "2026-10", "2026-10", "2026-10", "2026-10"],
            "employee_id": ["A", "A", "B", "C", "D"],
            "name": ["a", "a", "b", "c", "d"],
            "department": ["D"] * 5,
            "team": ["T"] * 5,
            "role": ["r"] * 5,
            "satisfaction": [90.0, 80.0, 100.0, 60.0, 70.0],
            "cases_satisfaction": [10.0, 10.0, 2.0, 40.0, 30.0],
        }
    )
    rates = person_rates(monthly, kpi).set_index("employee_id")
    # A: 9 + 8 of 20 = 85 %; B 2 of 2; C 24 of 40; D 21 of 30. Department 64 / 92.
    assert rates["rate"].tolist() == pytest.approx([85.0, 100.0, 60.0, 70.0])
    assert rates["cases"].tolist() == [20, 2, 40, 30]
    assert rates["few"].tolist() == [True, True, False, False]  # min_cases 30
    assert rates["department_rate"].iloc[0] == pytest.approx(100 * 64 / 92)
    assert (rates["low"] <= rates["rate"]).all() and (rates["rate"] <= rates["high"]).all()
    # B's 100 % of 2 is pulled furthest towards the department's 69.6 %.
    pull = (rates["rate"] - rates["shrunk"]).abs()
    assert pull.idxmax() == "B"

