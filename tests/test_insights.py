"""Insights statistics, each figure checked against a hand computation or a textbook example."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import fisher_exact, ttest_ind

from engine.insights.control import (
    change_signals,
    control_limits,
    department_series,
    western_electric,
)
from engine.insights.fairness import (
    TENURE,
    grade_counts,
    group_findings,
    independence,
    segment_columns,
    sentence,
    tenure_band,
)
from engine.insights.gaming import gaming_suspects
from engine.insights.raters import leniency, person_ratings
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


# ------------------------------------------------------------------ 2. rater leniency


def ratings_frame(rows: list[tuple[str, str, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["employee_id", "role", "rater", "rating"])


def test_leniency_of_two_raters_by_hand():
    """A rates 90, 80 (mean 85, var 50); B rates 70, 60 (mean 65, var 50), same role. A − B =
    20; se √(50/2 + 50/2) = 7.071; Welch df (25 + 25)² / (25²/1 + 25²/1) = 2; t(0.975, 2) =
    4.3027; interval 20 ± 30.43 = −10.43 to 50.43: the difference is within chance."""
    ratings = ratings_frame(
        [("P1", "r", "A", 90), ("P2", "r", "A", 80), ("P3", "r", "B", 70), ("P4", "r", "B", 60)]
    )
    found = leniency(ratings).set_index("rater")
    assert found.loc["A", "difference"] == 20 and found.loc["B", "difference"] == -20
    assert found.loc["A", "sd"] == pytest.approx(50**0.5)
    assert found.loc["A", "low"] == pytest.approx(20 - 4.3027 * 50**0.5, abs=1e-3)
    assert found.loc["A", "high"] == pytest.approx(20 + 4.3027 * 50**0.5, abs=1e-3)
    assert found["verdict"].tolist() == ["usual", "usual"]
    # the same interval as scipy's Welch test
    welch = ttest_ind([90, 80], [70, 60], equal_var=False).confidence_interval(0.95)
    assert (found.loc["A", "low"], found.loc["A", "high"]) == pytest.approx(tuple(welch))


def test_a_clearly_lenient_rater_is_named_and_other_roles_are_not_compared():
    rows = [(f"A{i}", "r", "A", 90 + i % 3) for i in range(8)]
    rows += [(f"B{i}", "r", "B", 70 + i % 3) for i in range(8)]
    rows += [("C1", "s", "C", 50), ("C2", "s", "C", 55)]  # alone in role s
    found = leniency(ratings_frame(rows)).set_index("rater")
    assert found.loc["A", "verdict"] == "lenient" and found.loc["B", "verdict"] == "harsh"
    assert found.loc["C", "verdict"] == "too_few" and np.isnan(found.loc["C", "others_mean"])


def test_person_ratings_average_a_persons_months_under_one_rater():
    kpi = load_scheme().kpi("manager_rating")
    monthly = pd.DataFrame(
        {
            "period": ["2026-09", "2026-10", "2026-10"],
            "employee_id": ["P1", "P1", "P2"],
            "role": ["r", "r", "r"],
            "manager_rating": [80.0, 90.0, 70.0],
            "rater_manager_rating": ["A", "A", None],
        }
    )
    found = person_ratings(monthly, kpi)
    assert found.to_dict("records") == [
        {"employee_id": "P1", "role": "r", "rater": "A", "rating": 85.0}
    ]


# ------------------------------------------------------------------ 3. control charts


def test_x_mr_limits_by_hand():
    """10, 12, 11, 15, 12: mean 12; moving ranges 2, 1, 4, 3, mR̄ 2.5; limits 12 ± 2.66 × 2.5
    = 5.35 / 18.65 (sigma 2.5 / 1.128 = 2.216)."""
    series = chart_series([10.0, 12, 11, 15, 12])
    limited = control_limits(series)
    assert limited["centre"].tolist() == pytest.approx([12.0] * 5)
    assert limited["upper"].iloc[0] == pytest.approx(12 + 3 * 2.5 / 1.128)
    assert limited["upper"].iloc[0] == pytest.approx(18.65, abs=0.01)
    assert limited["lower"].iloc[0] == pytest.approx(5.35, abs=0.01)
    assert limited["z"].iloc[3] == pytest.approx(3 / (2.5 / 1.128))


def test_p_chart_limits_by_hand():
    """10/100, 20/100, 30/200: p̄ = 60/400 = 0.15; month 1 sigma √(0.15 × 0.85 / 100) =
    3.571 points, UCL 15 + 10.71 = 25.71; month 3 sigma √(0.1275 / 200) = 2.525, UCL 22.57."""
    series = chart_series([10.0, 20.0, 15.0], hits=[10, 20, 30], cases=[100, 100, 200])
    limited = control_limits(series)
    assert limited["centre"].tolist() == pytest.approx([15.0] * 3)
    assert limited["upper"].tolist() == pytest.approx([25.712, 25.712, 22.575], abs=1e-3)
    assert limited["lower"].iloc[0] == pytest.approx(4.288, abs=1e-3)


def chart_series(values, hits=None, cases=None) -> pd.DataFrame:
    count = len(values)
    return pd.DataFrame(
        {
            "department": ["D"] * count,
            "kpi": ["k"] * count,
            "chart": ["xmr" if hits is None else "p"] * count,
            "period": [f"2026-{m:02d}" for m in range(1, count + 1)],
            "value": values,
            "hits": np.nan if hits is None else hits,
            "cases": np.nan if cases is None else cases,
        }
    )


def rules_on(z: list[float]) -> pd.DataFrame:
    return western_electric(pd.Series(z), pd.Series(["s"] * len(z)))


def test_western_electric_rule_1_one_point_beyond_3_sigma():
    assert rules_on([0, 3.2, -0.5, -3.1, 2.9])["rule1"].tolist() == [
        False,
        True,
        False,
        True,
        False,
    ]


def test_western_electric_rule_2_two_of_three_beyond_2_sigma_on_one_side():
    found = rules_on([2.1, 0.0, 2.5, -2.2, 0.0, 2.3])["rule2"].tolist()
    # 2.1, 0, 2.5: the second point above 2σ completes it; -2.2 has no partner below, 2.3 has
    # none above within its last three (-2.2, 0, 2.3).
    assert found == [False, False, True, False, False, False]


def test_western_electric_rule_3_four_of_five_beyond_1_sigma_on_one_side():
    found = rules_on([1.5, 1.2, 0.2, 1.1, 1.3, -1.5])["rule3"].tolist()
    assert found == [False, False, False, False, True, False]


def test_western_electric_rule_4_eight_in_a_row_on_one_side():
    z = [0.5, 0.1, 0.3, 0.2, 0.4, 0.1, 0.2, 0.3, 0.6, -0.1]
    assert rules_on(z)["rule4"].tolist() == [False] * 7 + [True, True, False]
    assert not rules_on(z[:7])["rule4"].any()


def test_rules_count_within_each_series_only():
    z = pd.Series([2.5, 2.5, 2.5, 2.5])
    found = western_electric(z, pd.Series(["a", "b", "a", "b"]))
    # a: 2.5, 2.5 (positions 0 and 2) → rule 2 on the second; the same for b.
    assert found["rule2"].tolist() == [False, False, True, True]


def test_a_change_is_a_signal_beyond_its_moving_range_limit():
    """Totals 80, 82, 81, 83, 95: earlier changes 2, 1, 2 (mR̄ 5/3); limit 3.268 × 5/3 = 5.45;
    the last change of 12 is a signal, a change of 3 would be usual; two months are too few."""
    totals = pd.DataFrame(
        {
            "employee_id": ["A"] * 5 + ["B"] * 5 + ["C"] * 2,
            "period": [f"2026-0{m}" for m in range(1, 6)] * 2 + ["2026-04", "2026-05"],
            "total": [80, 82, 81, 83, 95, 80, 82, 81, 83, 86, 70, 90],
        }
    )
    found = change_signals(totals, "2026-05").set_index("employee_id")
    assert found.loc["A", "limit"] == pytest.approx(3.268 * 5 / 3)
    assert found["verdict"].to_dict() == {"A": "signal", "B": "usual", "C": "short"}
    assert found.loc["A", "change"] == 12


# ------------------------------------------------------------------ 4. fairness by segment


def test_chi_square_of_a_known_2_by_3_table_by_hand():
    """[[10, 20, 30], [20, 20, 20]]: expected 15, 20, 25 in each row; chi-square
    2 × (25/15 + 0 + 25/25) = 5.333 on 2 degrees of freedom, p = e^(−5.333/2) = 0.0695."""
    found = independence([[10, 20, 30], [20, 20, 20]])
    assert found.method == "chi2" and not found.small_counts
    assert found.statistic == pytest.approx(16 / 3)
    assert found.p_value == pytest.approx(np.exp(-8 / 3))


def test_chi_square_of_a_2_by_2_table_uses_yates_correction():
    """[[20, 30], [30, 20]]: expected 25 everywhere; (|5| − 0.5)² / 25 × 4 = 3.24."""
    found = independence([[20, 30], [30, 20]])
    assert found.statistic == pytest.approx(3.24) and found.p_value == pytest.approx(
        0.0718, abs=1e-4
    )


def test_small_counts_use_fishers_exact_test():
    """Fisher's lady tasting tea: [[3, 1], [1, 3]], two-sided p = 34/70 = 0.4857."""
    found = independence([[3, 1], [1, 3]])
    assert found.method == "fisher" and found.p_value == pytest.approx(34 / 70)
    larger = independence([[3, 1, 0], [1, 3, 4]])
    assert larger.method == "fisher_monte_carlo" and 0 < larger.p_value < 1
    assert independence([[3, 0], [1, 0]]).method == "none"  # empty column dropped: 2 × 1
    assert independence([[3], [1]]).method == "none"


def test_the_sentence_for_new_staff_by_hand():
    """50 new staff, 9 不合格 (18 %); 200 others, 12 不合格 (6 %). Expected 4.2 for the new
    staff's 不合格, so chi-square with Yates: 2 × 2 on 250 people."""
    grades = ["不合格"] * 9 + ["合格"] * 41 + ["不合格"] * 12 + ["合格"] * 188
    table = pd.DataFrame(
        {
            "grade": grades,
            TENURE: ["入职不满 6 个月"] * 50 + ["入职 1–3 年"] * 200,
        }
    )
    found = group_findings(table, TENURE, "不合格")
    first = found.iloc[0]
    assert first["share"] == pytest.approx(0.18) and first["others_share"] == pytest.approx(0.06)
    expected = fisher_exact([[9, 41], [12, 188]]).pvalue  # an expected count of 4.2 < 5
    assert first["method"] == "fisher" and first["p"] == pytest.approx(expected)
    assert first["p_adjusted"] == pytest.approx(min(1.0, 2 * expected))
    text = sentence(first, "", "不合格")
    assert text.startswith("入职不满 6 个月的员工 不合格 占 18 %, 其他员工 6 %; 差异显著 (p = ")
    english = sentence(first, "", "不合格", "en")
    assert english.startswith("Staff 入职不满 6 个月: 不合格 18 %, everyone else 6 %")


def test_tenure_bands_at_the_end_of_the_month():
    hired = pd.Series(["2026-05-02", "2026-04-30", "2016-10-01", None])
    assert tenure_band(hired, "2026-10").tolist()[:3] == [
        "入职不满 6 个月",
        "入职 6–12 个月",
        "入职 10 年以上",
    ]
    assert pd.isna(tenure_band(hired, "2026-10").iloc[3])


def test_segment_columns_are_text_columns_with_a_few_groups():
    table = pd.DataFrame(
        {
            "employee_id": ["a", "b", "c"],
            "team": ["x", "y", "x"],
            "region": ["n", "n", "n"],
            "total": [1.0, 2.0, 3.0],
            TENURE: ["1", "2", "1"],
        }
    )
    assert segment_columns(table) == [TENURE, "team"]


# ------------------------------------------------------------------ 5. gaming pairs


def test_a_pair_that_moved_the_wrong_way_against_its_own_history_by_hand():
    """A: fault days 4, 5, 4, 5 (mean 4.5; moving ranges 1, 1, 1, sigma 1 / 1.128 = 0.8865),
    now 2: the means differ by −2.5, standard error 0.8865 × √(1/1 + 1/4) = 0.9911, so −2.52;
    rework 2, 3, 2, 3 now 6: +3.5 / 0.9911 = +3.53. Both beyond 1.5 the wrong way: listed.
    B's rework fell too (both improved): not listed. C has two earlier months: not judged."""
    months = ["2026-06", "2026-07", "2026-08", "2026-09", "2026-10"]
    rows = []
    for person, days, rework in (
        ("A", [4, 5, 4, 5, 2], [2, 3, 2, 3, 6]),
        ("B", [4, 5, 4, 5, 2], [2, 3, 2, 3, 0.5]),
        ("C", [None, None, 4, 5, 1], [None, None, 2, 3, 9]),
    ):
        rows += [
            {
                "employee_id": person,
                "name": person.lower(),
                "department": "D",
                "team": "T",
                "role": "r",
                "period": m,
                "fault_days": d,
                "rework_rate": w,
            }
            for m, d, w in zip(months, days, rework, strict=True)
        ]
    pair = load_scheme().gaming_pairs[0]
    assert (pair.first, pair.first_moves, pair.second, pair.second_moves) == (
        "fault_days",
        "down",
        "rework_rate",
        "up",
    )
    found = gaming_suspects(pd.DataFrame(rows), pair, ["2026-10"])
    assert found["employee_id"].tolist() == ["A"]
    error = (1 / 1.128) * (1.25**0.5)
    assert found.loc[0, "first_moved"] == pytest.approx(-2.5 / error)
    assert found.loc[0, "second_moved"] == pytest.approx(3.5 / error)
    assert (found.loc[0, "first_baseline"], found.loc[0, "first_now"]) == (4.5, 2.0)


def test_grade_counts_keep_tenure_bands_in_order_of_tenure():
    table = pd.DataFrame(
        {
            "grade": ["优秀", "不合格", "合格", "优秀"],
            TENURE: ["入职 10 年以上", "入职不满 6 个月", "入职 1–3 年", "入职不满 6 个月"],
        }
    )
    counts = grade_counts(table, TENURE, ["优秀", "合格", "不合格"])
    assert counts.index.tolist() == ["入职不满 6 个月", "入职 1–3 年", "入职 10 年以上"]
    assert counts.loc["入职不满 6 个月"].tolist() == [1, 0, 1]


def test_department_series_pool_the_cases_of_a_rate_and_average_the_rest():
    """D in 2026-10: satisfaction 90 % of 10 and 50 % of 2 → 10 of 12 = 83.3 % (p-chart);
    totals 80 and 70 → 75 (X-mR)."""
    scheme = load_scheme()
    monthly = pd.DataFrame(
        {
            "department": ["D", "D", "E"],
            "period": ["2026-10"] * 3,
            "total": [80.0, 70.0, 60.0],
            "satisfaction": [90.0, 50.0, 70.0],
            "cases_satisfaction": [10.0, 2.0, np.nan],
        }
    )
    series = department_series(monthly, scheme).set_index(["department", "kpi"])
    assert series.loc[("D", "satisfaction"), "value"] == pytest.approx(100 * 10 / 12)
    assert series.loc[("D", "satisfaction"), "chart"] == "p"
    assert (series.loc[("D", "satisfaction"), "cases"], series.loc[("D", "total"), "value"]) == (
        12,
        75,
    )
    assert ("E", "satisfaction") not in series.index  # a rate without cases is not charted
    assert series.loc[("E", "total"), "chart"] == "xmr"


def test_a_larger_small_table_gives_one_p_value():
    # A team filter on the insights page gave this table; scipy's Monte Carlo answered with an
    # array of one p-value and the page failed with a TypeError.
    found = independence([[1, 1, 3, 0], [1, 0, 1, 0], [1, 0, 2, 0], [0, 0, 0, 3]])
    assert found.method == "fisher_monte_carlo" and 0 < found.p_value < 1
