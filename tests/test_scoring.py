"""Hand-computed expectations for every scoring method, edge, rounding, rank and money rule."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest

from engine.schemes.scheme import load_grade_presets, parse_scheme
from engine.scoring.fit import scheme_fit, weighted_kpis
from engine.scoring.score import (
    bands_score,
    competition_rank,
    grade,
    ranks,
    round_half_away,
    score_table,
    tiers_score,
)
from tests.conftest import SMALL_SCHEME, facts


def by_id(table: pd.DataFrame) -> pd.DataFrame:
    return table.set_index("employee_id")


@pytest.mark.parametrize(
    ("days", "points"),
    [
        (0, 5),
        (1.99, 5),
        (2.0, 5),
        (2.01, 4),
        (4.0, 4),
        (4.5, 3),
        (6.0, 3),
        (8.0, 2),
        (8.01, 1),
        (30, 1),
    ],
)
def test_fault_days_bands_hold_their_upper_edge(scheme, days, points):
    score = bands_score(np.array([days], dtype=float), scheme.kpi("fault_days"))
    assert score[0] == points * 20


@pytest.mark.parametrize(
    ("satisfaction", "expected"),
    [(100, 100), (90, 100), (89.99, 85), (80, 85), (79.9, 70), (70, 70), (69.99, 0), (0, 0)],
)
def test_satisfaction_tiers_are_inclusive_on_the_good_side(scheme, satisfaction, expected):
    assert tiers_score(np.array([satisfaction], float), scheme.kpi("satisfaction"))[0] == expected


@pytest.mark.parametrize(
    ("minutes", "expected"), [(0, 100), (5, 100), (5.01, 85), (10, 85), (15, 70), (15.01, 0)]
)
def test_response_time_tiers_exactly_5_minutes_is_best(scheme, minutes, expected):
    assert tiers_score(np.array([minutes], float), scheme.kpi("response_minutes"))[0] == expected


def test_every_method_on_the_default_scheme(scheme):
    row = {
        "fault_days": 3,
        "first_contact_resolution": 70,
        "rework_rate": 0.5,
        "upheld_complaints": 2,
        "on_time_rate": 85,
        "order_achievement": 130,
        "response_minutes": 12,
        "skill_rating": 4,
        "late_responses": 7,
        "satisfaction": 92.5,
        "complaint_rate": 3,
        "manager_rating": 88,
    }
    out = score_table(facts([row]), scheme).iloc[0]
    assert out["score_fault_days"] == 80  # 2–4 days: 4 of 5 points
    assert out["score_first_contact_resolution"] == 50  # (70 − 50) / (90 − 50)
    assert out["score_rework_rate"] == 100  # ≤ 1%: 5 of 5 points
    assert out["score_upheld_complaints"] == 60  # 100 − 2 × 20
    assert out["score_on_time_rate"] == 75  # (85 − 70) / (90 − 70)
    assert out["score_order_achievement"] == 100  # 130% capped at 1.0
    assert out["score_response_minutes"] == 70  # ≤ 15 min
    assert out["score_skill_rating"] == 80  # 4 of 5
    assert out["score_late_responses"] == 0  # 100 − 7 × 15, floored at 0
    assert out["score_satisfaction"] == 100  # ≥ 90%
    assert out["score_complaint_rate"] == pytest.approx(70)  # (3 − 10) / (0 − 10)
    assert out["score_manager_rating"] == 88
    quality = 0.25 * 80 + 0.20 * 50 + 0.15 * 100 + 0.20 * 60 + 0.20 * 75  # 72
    skill = 0.30 * 100 + 0.25 * 70 + 0.25 * 80 + 0.20 * 0  # 67.5
    attitude = 0.40 * 100 + 0.20 * 70 + 0.40 * 88  # 89.2
    assert out["cat_quality"] == pytest.approx(quality)
    assert out["cat_skill"] == pytest.approx(skill)
    assert out["cat_attitude"] == pytest.approx(attitude)
    assert out["total"] == 74.09  # 0.5 × 72 + 0.3 × 67.5 + 0.2 × 89.2 = 74.09
    assert (out["grade"], out["grade_en"], out["bonus"]) == ("合格", "Satisfactory", 0)


def test_weighted_total_grade_and_money_by_hand(small_scheme):
    # days 3 → 80, complaints 1 → 80, quality 80; CSAT 85 → 85; total 0.6×80 + 0.4×85 = 82
    out = score_table(facts([{"days": 3, "complaints": 1, "csat": 85}]), small_scheme).iloc[0]
    assert (out["cat_q"], out["cat_a"], out["total"]) == (80, 85, 82)
    assert (out["grade"], out["bonus"], out["missing_count"]) == ("良好", 500, 0)


@pytest.mark.parametrize(
    ("raw", "rounded"),
    [
        (89.995, 90.0),
        (89.994999, 89.99),
        (0.125, 0.13),
        (-0.125, -0.13),
        (2.675, 2.68),
        (1.005, 1.01),
        (59.995, 60.0),
        (100.0, 100.0),
        (0.0, 0.0),
    ],
)
def test_round_half_away_from_zero(raw, rounded):
    assert round_half_away(np.array([raw]))[0] == rounded


def test_a_total_of_89_995_is_90_00_and_excellent():
    data = copy.deepcopy(SMALL_SCHEME)
    data["categories"] = [{"id": "all", "weight": 100}]
    data["kpis"] = [
        {
            "id": "rate",
            "category": "all",
            "weight": 100,
            "unit": "%",
            "direction": "higher",
            "method": "linear",
            "floor": 0,
            "target": 100,
        }
    ]
    one_kpi = parse_scheme(data)
    out = score_table(facts([{"rate": 89.995}, {"rate": 89.994}]), one_kpi)
    assert out["total"].tolist() == [90.0, 89.99]
    assert out["grade"].tolist() == ["优秀", "良好"]
    assert out["bonus"].tolist() == [1000, 500]


def test_grade_cutoffs_are_lower_inclusive(scheme):
    totals = np.array([100, 90, 89.99, 80, 79.99, 70, 69.99, 60, 59.99, 0])
    assert list(grade(totals, scheme)) == [
        "优秀",
        "优秀",
        "良好",
        "良好",
        "合格",
        "合格",
        "及格",
        "及格",
        "不合格",
        "不合格",
    ]


@pytest.mark.parametrize(
    ("preset", "expected"),
    [("four", ["优秀", "良好", "合格", "不合格", "不合格"]), ("a_to_e", ["A", "B", "C", "D", "E"])],
)
def test_grade_presets(small_scheme, preset, expected):
    levels = load_grade_presets()[preset]
    alt = type(small_scheme)(**{**small_scheme.__dict__, "grades": levels})
    assert list(grade(np.array([95, 85, 75, 65, 10]), alt)) == expected


def test_ties_share_the_best_rank_in_company_department_and_team(small_scheme):
    rows = [
        {
            "employee_id": "A",
            "department": "售后",
            "team": "一组",
            "days": 1,
            "complaints": 0,
            "csat": 95,
        },
        {
            "employee_id": "B",
            "department": "售后",
            "team": "一组",
            "days": 3,
            "complaints": 1,
            "csat": 85,
        },
        {
            "employee_id": "C",
            "department": "客服",
            "team": "二组",
            "days": 3,
            "complaints": 1,
            "csat": 85,
        },
        {
            "employee_id": "D",
            "department": "客服",
            "team": "二组",
            "days": 5,
            "complaints": 1,
            "csat": 85,
        },
        {
            "employee_id": "E",
            "department": "客服",
            "team": "三组",
            "days": 3,
            "complaints": 1,
            "csat": 85,
        },
    ]
    out = by_id(score_table(facts(rows), small_scheme))
    assert out["total"].to_dict() == {"A": 100, "B": 82, "C": 82, "E": 82, "D": 76}
    assert out["rank"].to_dict() == {"A": 1, "B": 2, "C": 2, "E": 2, "D": 5}
    assert out["dept_rank"].to_dict() == {"A": 1, "B": 2, "C": 1, "E": 1, "D": 3}
    assert out["team_rank"].to_dict() == {"A": 1, "B": 2, "C": 1, "D": 2, "E": 1}


def test_tie_break_kpi_orders_equal_totals():
    data = copy.deepcopy(SMALL_SCHEME)
    data["tie_break"] = "csat"
    with_tie_break = parse_scheme(data)
    rows = [
        {"employee_id": "A", "days": 3, "complaints": 1, "csat": 85},  # 48 + 34 = 82
        {"employee_id": "B", "days": 6, "complaints": 1, "csat": 95},
    ]  # 42 + 40 = 82
    out = by_id(score_table(facts(rows), with_tie_break))
    assert out["total"].tolist() == [82, 82]
    assert out["rank"].to_dict() == {"B": 1, "A": 2}


def test_ranks_are_per_period(small_scheme):
    rows = facts([{"days": 1, "complaints": 0, "csat": 95}], "2026-09")
    rows = pd.concat([rows, facts([{"days": 9, "complaints": 3, "csat": 50}], "2026-10")])
    assert score_table(rows, small_scheme)["rank"].tolist() == [1, 1]


def test_missing_kpi_drops_out_and_its_category_is_renormalised(small_scheme):
    # days missing: quality = complaints alone (80); CSAT 90 → 100; total 0.6 × 80 + 0.4 × 100
    out = score_table(facts([{"days": np.nan, "complaints": 1, "csat": 90}]), small_scheme).iloc[0]
    assert (out["cat_q"], out["total"], out["missing_count"]) == (80, 88, 1)


def test_missing_kpi_scores_zero_when_the_scheme_says_so():
    data = copy.deepcopy(SMALL_SCHEME)
    data["missing"] = "zero"
    zero = parse_scheme(data)
    out = score_table(facts([{"days": np.nan, "complaints": 1, "csat": 90}]), zero).iloc[0]
    assert (out["cat_q"], out["total"], out["missing_count"]) == (40, 64, 1)


def test_a_missing_zero_kpi_exports_the_0_the_total_counts():
    # missing = "zero": days blank scores 0, so quality (0 + 80) / 2 = 40, as the total uses it.
    data = copy.deepcopy(SMALL_SCHEME)
    data["missing"] = "zero"
    zero = parse_scheme(data)
    out = score_table(facts([{"days": np.nan, "complaints": 1, "csat": 90}]), zero).iloc[0]
    assert (out["score_days"], out["score_complaints"], out["cat_q"]) == (0, 80, 40)


def test_a_missing_zero_kpi_the_role_does_not_weigh_stays_blank():
    # 客服 weighs days 0: its blank is no score of 0 (it counts nowhere), and it is not missing.
    data = copy.deepcopy(SMALL_SCHEME)
    data["missing"] = "zero"
    data["roles"] = [{"name": "客服", "kpi_weights": {"days": 0, "complaints": 100}}]
    zero = parse_scheme(data)
    row = {"days": np.nan, "complaints": 1, "csat": 90, "role": "客服"}
    out = score_table(facts([row]), zero).iloc[0]
    assert np.isnan(out["score_days"]) and out["cat_q"] == 80 and out["missing_count"] == 0


def test_missing_count_leaves_out_a_category_the_role_does_not_weigh():
    # 客服 weighs attitude 0: its blank CSAT is not missing; the blank days is (quality 60 → 100).
    data = copy.deepcopy(SMALL_SCHEME)
    data["roles"] = [{"name": "客服", "categories": {"q": 100, "a": 0}}]
    with_roles = parse_scheme(data)
    row = {"days": np.nan, "complaints": 1, "csat": np.nan, "role": "客服"}
    out = score_table(facts([row]), with_roles).iloc[0]
    assert (out["total"], out["missing_count"]) == (80, 1)


def test_a_whole_missing_category_drops_out(small_scheme):
    out = score_table(facts([{"days": 1, "complaints": 0, "csat": np.nan}]), small_scheme).iloc[0]
    assert np.isnan(out["cat_a"]) and out["total"] == 100


def test_a_row_with_no_values_has_no_total_grade_or_rank(small_scheme):
    rows = facts(
        [
            {"days": np.nan, "complaints": np.nan, "csat": np.nan},
            {"days": 1, "complaints": 0, "csat": 95},
        ]
    )
    out = score_table(rows, small_scheme)
    empty = out[out["total"].isna()].iloc[0]
    assert pd.isna(empty["grade"]) and pd.isna(empty["rank"]) and np.isnan(empty["bonus"])
    assert empty["missing_count"] == 3
    assert out["rank"].dropna().tolist() == [1]


def test_each_row_is_scored_by_its_roles_weights():
    data = copy.deepcopy(SMALL_SCHEME)
    data["roles"] = [{"name": "客服专员", "aliases": ["客服"], "categories": {"q": 20, "a": 80}}]
    with_roles = parse_scheme(data)
    row = {"days": 3, "complaints": 1, "csat": 85}  # quality 80, attitude 85
    rows = facts(
        [
            {**row, "role": "客服专员"},
            {**row, "role": "客服"},
            {**row, "role": "维修技师"},
            {**row, "role": None},
        ]
    )
    # 客服专员 and its alias: 0.2 × 80 + 0.8 × 85 = 84; others the default 0.6 × 80 + 0.4 × 85 = 82
    assert score_table(rows, with_roles)["total"].tolist() == [84, 84, 82, 82]


def test_role_with_kpi_weight_zero_ignores_that_kpi(scheme):
    row = {
        "first_contact_resolution": 90,
        "upheld_complaints": 0,
        "on_time_rate": 90,
        "fault_days": 20,
        "rework_rate": 50,
    }
    service = score_table(facts([{**row, "role": "客服专员"}]), scheme).iloc[0]
    engineer = score_table(facts([{**row, "role": "服务工程师"}]), scheme).iloc[0]
    assert service["cat_quality"] == 100  # fault days and rework carry no weight for 客服专员
    assert engineer["cat_quality"] == pytest.approx(0.25 * 20 + 0.15 * 0 + 0.6 * 100)


def test_performance_pay_is_base_times_score_to_the_cent():
    data = copy.deepcopy(SMALL_SCHEME)
    data["money"] = {"mode": "performance_pay", "base": 3333}
    pay = parse_scheme(data)
    # total 82 → 3333 × 0.82 = 2733.06
    out = score_table(facts([{"days": 3, "complaints": 1, "csat": 85}]), pay).iloc[0]
    assert out["bonus"] == 2733.06


def test_grade_coefficient_times_base():
    data = copy.deepcopy(SMALL_SCHEME)
    data["money"] = {
        "mode": "grade_coefficient",
        "base": 2000,
        "coefficients": {"优秀": 1.5, "良好": 1.2, "合格": 1.0, "及格": 0.8, "不合格": 0},
    }
    coefficient = parse_scheme(data)
    out = score_table(
        facts([{"days": 3, "complaints": 1, "csat": 85}, {"days": 9, "complaints": 5, "csat": 0}]),
        coefficient,
    )
    assert out["bonus"].tolist() == [2400, 0]


def test_kpi_columns_are_found_by_chinese_alias(scheme):
    out = score_table(facts([{"故障处理天数": 2.0, "客户满意度": "92"}]), scheme).iloc[0]
    assert (out["score_fault_days"], out["score_satisfaction"]) == (100, 100)


def test_input_frame_is_not_modified(small_scheme):
    rows = facts([{"days": 3, "complaints": 1, "csat": 85}])
    before = rows.copy()
    score_table(rows, small_scheme)
    pd.testing.assert_frame_equal(rows, before)


def test_ranks_group_by_values_that_are_not_text(small_scheme):
    """Teams or periods given as numbers (a frame not from the store) still group apart."""
    table = pd.DataFrame(
        {
            "period": pd.PeriodIndex(["2026-10"] * 4, freq="M"),
            "department": "D",
            "team": [1, 1, 2, 2],
            "total": [90.0, 80.0, 70.0, 60.0],
        }
    )
    ranked = ranks(table, small_scheme)
    assert ranked["team_rank"].tolist() == [1, 2, 1, 2]
    assert ranked["rank"].tolist() == [1, 2, 3, 4]


def test_competition_rank_with_group_ids_near_the_integer_limit():
    key = np.array([1.0, 2.0, 3.0, 4.0, np.nan, 4.0])
    big = np.iinfo(np.int64).max // 5
    ranked = competition_rank(key, np.array([big] * 5 + [0]))
    assert ranked.tolist() == [4, 3, 2, 1, pd.NA, 1]


# ------------------------------------------------------------------ money formulas


def formula_scheme(money: dict, roles: list | None = None):
    data = copy.deepcopy(SMALL_SCHEME)
    data["money"] = money
    if roles is not None:
        data["roles"] = roles
    return parse_scheme(data)


SEED_001_PAY = {
    "mode": "formula",
    "formula": "绩效工资 * total / 100",
    "inputs": {"pay": {"name_zh": "绩效工资", "unit": "yuan"}},
}


def test_seed_001_performance_pay_from_each_persons_own_pay():
    # seed 001: 绩效工资 × 考核分数 %; total 82 (see test_performance_pay_is_base_times_…):
    # 3333 × 0.82 = 2733.06 and 5000 × 0.82 = 4100; the same total, each person's own pay
    rows = [{"days": 3, "complaints": 1, "csat": 85, "绩效工资": pay} for pay in (3333, 5000)]
    out = score_table(facts(rows), formula_scheme(SEED_001_PAY))
    assert out["total"].tolist() == [82, 82]
    assert out["bonus"].tolist() == [2733.06, 4100.0]


def test_money_is_rounded_half_away_from_zero_to_the_cent():
    # total 82: 12.25 × 0.82 = 10.045 exactly on paper (10.044999… in binary) → 10.05
    out = score_table(
        facts([{"days": 3, "complaints": 1, "csat": 85, "绩效工资": 12.25}]),
        formula_scheme(SEED_001_PAY),
    ).iloc[0]
    assert out["bonus"] == 10.05


def test_a_roles_formula_overrides_the_schemes_money_for_that_role_only():
    roles = [{"name": "经理", "money_formula": "bonus_base * 考核系数"}]
    money = {
        "mode": "grade_coefficient",
        "base": 2000,
        "coefficients": {"优秀": 1.5, "良好": 1.2, "合格": 1.0, "及格": 0.8, "不合格": 0},
        "inputs": {"bonus_base": {"name_zh": "奖金提成基数"}},
    }
    row = {"days": 3, "complaints": 1, "csat": 85, "奖金提成基数": 3000}  # total 82 → 良好
    out = score_table(
        facts([{**row, "role": "经理"}, {**row, "role": "服务工程师"}]),
        formula_scheme(money, roles),
    )
    # management post (seed 004): 奖金提成基数 × 考核系数 = 3000 × 1.2; others 2000 × 1.2
    assert out["bonus"].tolist() == [3600.0, 2400.0]


def test_a_zero_divisor_at_run_time_gives_no_money_and_says_so():
    money = {
        "mode": "formula",
        "formula": "绩效工资 / (出勤天数 - 请假天数) * 22",
        "inputs": {
            "pay": {"name_zh": "绩效工资"},
            "attended": {"name_zh": "出勤天数"},
            "leave": {"name_zh": "请假天数"},
        },
    }
    rows = [
        {"days": 3, "complaints": 1, "csat": 85, "绩效工资": 2200, "出勤天数": 22, "请假天数": 2},
        {"days": 3, "complaints": 1, "csat": 85, "绩效工资": 2200, "出勤天数": 5, "请假天数": 5},
    ]
    out = score_table(facts(rows), formula_scheme(money))
    assert out["bonus"].iloc[0] == 2420.0 and np.isnan(out["bonus"].iloc[1])
    assert out.attrs["money_problems"] == [
        "'绩效工资 / (出勤天数 - 请假天数) * 22' divides by 0 or overflows, so no money: "
        "E001 2026-10"
    ]


def test_a_period_sums_the_formula_money_of_its_months():
    from engine.scoring.periods import score_period

    october = facts([{"days": 3, "complaints": 1, "csat": 85, "绩效工资": 3000}], "2026-10")
    november = facts([{"days": 3, "complaints": 1, "csat": 85, "绩效工资": 1000}], "2026-11")
    out = score_period(pd.concat([october, november]), formula_scheme(SEED_001_PAY), "2026-Q4")
    assert out["bonus"].tolist() == [3280.0]  # (3000 + 1000) × 0.82


# ------------------------------------------------------------------ a scheme that fits the data


def test_a_scheme_finding_fewer_than_half_its_kpis_is_refused(small_scheme):
    # small weighs days, complaints and csat: data with csat only finds 1 of 3.
    only_csat = facts([{"csat": 90}, {"csat": 80}])
    fit = scheme_fit(only_csat, small_scheme, "2026-10", imported_for=["dealer_4s"])
    assert fit.refused and (fit.found, fit.weighted) == (("csat",), ("days", "complaints", "csat"))
    assert "dealer_4s" in fit.message("en") and "dealer_4s" in fit.message("zh")
    assert "1 of its 3" in fit.message("en")
    # 2 of 3 is enough; found by a header alias as well as by id.
    two = facts([{"csat": 90, "complaints": np.nan}, {"csat": 80, "complaints": 1}])
    assert not scheme_fit(two, small_scheme, "2026-10", imported_for=["dealer_4s"]).refused
    # Data imported under this very scheme is scored with it, however sparse.
    assert not scheme_fit(only_csat, small_scheme, "2026-10", imported_for=["small"]).refused
    unknown = scheme_fit(only_csat, small_scheme, "2026-10", imported_for=[])
    assert unknown.refused and "not recorded" in unknown.message("en")


def test_a_kpi_no_role_weighs_is_not_asked_for(small_scheme):
    # A role plan that weighs days 0 and a default that weighs it: still weighted. A KPI whose
    # category weighs 0 in every plan is not.
    data = copy.deepcopy(SMALL_SCHEME)
    data["categories"][0]["weight"] = 0
    data["categories"][1]["weight"] = 100
    data["normalize_weights"] = True
    attitude_only = parse_scheme(data)
    assert weighted_kpis(attitude_only) == ("csat",)
    fit = scheme_fit(facts([{"csat": 90}]), attitude_only, "2026-10", imported_for=[])
    assert not fit.refused
