"""Skill levels by points and the 不进则退 pay rule (seed 000) on hand-made histories."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from engine.rules.evaluate import evaluate, pay_reasons
from engine.schemes.rules_spec import parse_rules
from engine.schemes.scheme import load_scheme

LEVELS = {
    "opening": "year_points",
    "entry": ["entry_exam", "experience_points", "education_points"],
    "plus": ["plus_points"],
    "minus": ["minus_points"],
    "seniority_points": 10,
    "pay_per_point": 10,
    "reset_month": 1,
    "steps": [
        {"level": 1, "min_points": 200},
        {"level": 2, "min_points": 250},
        {"level": 3, "min_points": 300},
        {"level": 4, "min_points": 350},
        {"level": 5, "min_points": 420},
    ],
}
RULES = {
    "inputs": {
        "year_points": {"name_zh": "上年度积分"},
        "entry_exam": {"name_zh": "考核总分"},
        "experience_points": {"name_zh": "基础经验分"},
        "education_points": {"name_zh": "学历分"},
        "plus_points": {"name_zh": "工作业绩加分", "aliases": ["加分"]},
        "minus_points": {"name_zh": "减分"},
    },
    "levels": LEVELS,
    "pay_cut": {
        "min_level": 3,
        "level": "levels",
        "normal_pay": "levels",
        "gain": {"column": "plus_points", "above": 0},
        "step": 200,
    },
}


@pytest.fixture(scope="module")
def rules():
    return parse_rules(RULES, load_scheme(), source="test")


def history(months: list[str], plus: list[float | None], opening: float = 350, **more):
    """One employee's months: the plus points of each, the opening points in the first."""
    frame = pd.DataFrame(
        {
            "period": months,
            "employee_id": more.pop("employee_id", "E1"),
            "name": "张三",
            "department": "售后服务部",
            "team": "售后一组",
            "role": "服务工程师",
            "plus_points": plus,
            "minus_points": 0.0,
            "year_points": [opening] + [np.nan] * (len(months) - 1),
        }
    )
    return frame.assign(**more)


def pay_of(table: pd.DataFrame, rules) -> pd.DataFrame:
    pay = evaluate(table, rules).pay
    return pay.sort_values(["employee_id", "period"]).reset_index(drop=True)


def months(first: str, count: int) -> list[str]:
    return [str(p) for p in pd.period_range(first, periods=count, freq="M")]


def test_the_seeds_worked_example(rules):
    # 350 points → 3500 a month; no plus points in April, May, June; plus points in July
    # and August: June 3300, July 3100, August 3100, September 3500 again.
    table = history(months("2025-01", 9), [10, 10, 10, 0, 0, 0, 10, 10, 10])
    pay = pay_of(table, rules)
    assert pay["pay"].tolist()[4:] == [3500, 3300, 3100, 3100, 3500]
    assert pay["normal_pay"].unique().tolist() == [3500]
    assert pay["reason"].tolist()[4:] == ["", "start", "grow", "hold", "restore"]
    words = pay_reasons(pay, rules.pay_cut, "zh").tolist()
    assert words[5] == "2025-04、2025-05连续两个月无加分,开始减薪"
    assert words[8] == "2025-07、2025-08连续两个月得加分,月薪恢复"
    assert pay_reasons(pay, rules.pay_cut, "en").tolist()[6] == (
        "Still no gain in 2025-06: the cut grows by 200"
    )


def test_a_cut_starts_again_after_a_restore(rules):
    # gain, gain, none ×3, gain ×2 (restored), none ×2 (cut again), gain (held)
    plus = [5, 5, 0, 0, 0, 5, 5, 0, 0, 5, 5]
    pay = pay_of(history(months("2025-01", 11), plus), rules)
    assert pay["cut"].tolist() == [0, 0, 0, 0, 200, 400, 400, 0, 0, 200, 200]
    assert pay["reason"].tolist()[-3:] == ["", "start", "hold"]


def test_no_gain_in_two_months_that_are_not_in_a_row_does_not_cut(rules):
    pay = pay_of(history(months("2025-01", 6), [0, 5, 0, 5, 0, 5]), rules)
    assert pay["cut"].eq(0).all()


def test_a_level_two_employee_is_never_cut(rules):
    pay = pay_of(history(months("2025-01", 8), [0] * 8, opening=280), rules)
    assert pay["level"].unique().tolist() == [2]
    assert pay["pay"].unique().tolist() == [2800]
    assert pay["reason"].unique().tolist() == ["not_applicable"]
    assert pay_reasons(pay, rules.pay_cut).iloc[0] == "低于3级,不适用"


def test_a_gap_month_breaks_the_pair_before_a_cut(rules):
    # no gain, (no data), no gain, no gain → the cut starts only after the last two
    table = history(["2025-01", "2025-03", "2025-04", "2025-05"], [0, 0, 0, 5])
    assert pay_of(table, rules)["cut"].tolist() == [0, 0, 0, 200]


def test_a_gap_month_keeps_a_running_cut(rules):
    # cut from March (Jan, Feb no gain), 400 from April; April has no data; May and June gain:
    # May keeps 400 over the gap, June holds (May and March are not in a row), July restores.
    table = history(
        ["2025-01", "2025-02", "2025-03", "2025-05", "2025-06", "2025-07"], [0, 0, 0, 5, 5, 5]
    )
    pay = pay_of(table, rules)
    assert pay["pay"].tolist() == [3500, 3500, 3300, 3100, 3100, 3500]
    assert pay["reason"].tolist() == ["", "", "start", "gap", "hold", "restore"]


def test_a_month_whose_files_lack_plus_points_neither_gains_nor_misses(rules):
    # The March file has no plus-point column for anyone: March counts as no result, so
    # January and February start the cut, March holds it, April and May (no gain) grow it.
    one = history(months("2025-01", 6), [0, 0, None, 0, 5, 5])
    other = history(months("2025-01", 6), [5, 5, None, 5, 5, 5], employee_id="E2")
    pay = pay_of(pd.concat([one, other], ignore_index=True), rules)
    first = pay[pay["employee_id"] == "E1"]
    assert first["cut"].tolist() == [0, 0, 200, 200, 400, 400]
    assert first["reason"].tolist()[3] == "no_result"
    # a blank cell in a month whose file has values for others is no gain
    one = history(months("2025-01", 4), [5, None, 0, 5])
    other = history(months("2025-01", 4), [5, 5, 5, 5], employee_id="E2")
    pay = pay_of(pd.concat([one, other], ignore_index=True), rules)
    assert pay[pay["employee_id"] == "E1"]["cut"].tolist() == [0, 0, 0, 200]


def test_many_employees_at_once_keep_their_own_histories(rules):
    table = pd.concat(
        [
            history(months("2025-01", 9), [10, 10, 10, 0, 0, 0, 10, 10, 10], employee_id="A"),
            history(months("2025-01", 9), [0] * 9, opening=260, employee_id="B"),
            history(months("2025-02", 8), [0] * 8, opening=300, employee_id="C"),
        ],
        ignore_index=True,
    ).sample(frac=1.0, random_state=3)  # row order must not matter
    pay = pay_of(table, rules).set_index(["employee_id", "period"])
    assert pay.loc["A"]["pay"].tolist()[4:] == [3500, 3300, 3100, 3100, 3500]
    assert pay.loc["B"]["cut"].eq(0).all()
    assert pay.loc["C"]["cut"].tolist() == [0, 0, 200, 400, 600, 800, 1000, 1200]


def test_the_cut_can_be_capped(rules):
    capped = parse_rules(
        {**RULES, "pay_cut": {**RULES["pay_cut"], "max_cut": 400}}, load_scheme(), "test"
    )
    pay = pay_of(history(months("2025-01", 6), [0] * 6), capped)
    assert pay["cut"].tolist() == [0, 0, 200, 400, 400, 400]


# ------------------------------------------------------------------ levels by points


def test_levels_come_from_the_years_points_and_reset_in_january(rules):
    # 2025 opens at 345 (level 3, 3450 a month); the year gathers 60 − 10 = 50 points;
    # January 2026 opens at 345 + 50 + 10 seniority = 405 → level 4, 4050 a month.
    plus = [5] * 12 + [0, 0]
    table = history(months("2025-01", 14), plus, opening=345)
    table.loc[5, "minus_points"] = 10
    levels = evaluate(table, rules).levels.sort_values("period")
    assert levels["opening_points"].tolist() == [345] * 12 + [405, 405]
    assert levels["level"].tolist() == [3] * 12 + [4, 4]
    assert levels["level_pay"].tolist() == [3450] * 12 + [4050, 4050]
    assert levels["points_now"].tolist()[11] == 395
    assert levels["projected_level"].tolist()[11] == 4
    assert levels["next_level_points"].tolist()[0] == 350


def test_a_new_employees_entry_points_set_the_first_level(rules):
    # 考核总分 85 + 基础经验分 100 + 学历分 60 = 245 → level 1 (200–249), 2450 a month
    entry = {"entry_exam": 85, "experience_points": 100, "education_points": 60}
    table = history(months("2025-10", 5), [10] * 5, opening=np.nan, **entry)
    table.loc[1:, list(entry)] = np.nan
    levels = evaluate(table, rules).levels.sort_values("period")
    assert levels["opening_points"].tolist() == [245, 245, 245, 285, 285]
    assert levels["level"].tolist() == [1, 1, 1, 2, 2]
    pay = evaluate(table, rules).pay
    assert pay["cut"].eq(0).all()


def test_points_exactly_on_a_level_minimum_from_sums(rules):
    # 36.1 + (74.6 − 5.6) + (82.1 − 1.7) + (59.1 − 4.6) = 240.0 points in December (in floats
    # 239.99999999999997); with 10 seniority points 2026 opens at 250: level 2 (≥ 250), and
    # December already projects level 2.
    table = history(months("2025-10", 4), [74.6, 82.1, 59.1, 0.0], opening=36.1)
    table["minus_points"] = [5.6, 1.7, 4.6, 0.0]
    levels = evaluate(table, rules).levels.sort_values("period")
    assert levels["level"].tolist() == [0, 0, 0, 2]
    assert levels["projected_level"].tolist() == [0, 0, 2, 2]


def test_a_level_below_the_lowest_minimum_is_level_zero(rules):
    levels = evaluate(history(months("2025-01", 2), [0, 0], opening=150), rules).levels
    assert levels["level"].tolist() == [0, 0]
    assert levels["level_zh"].tolist() == ["未定级", "未定级"]


def test_points_given_again_in_a_later_year_win(rules):
    table = history(months("2025-12", 3), [10, 10, 10], opening=300)
    table.loc[1, "year_points"] = 500  # HR's own figure for 2026
    levels = evaluate(table, rules).levels.sort_values("period")
    assert levels["opening_points"].tolist() == [300, 500, 500]


def test_the_level_can_come_from_a_column_instead(rules):
    data = {
        **RULES,
        "inputs": {**RULES["inputs"], "skill_level": {"name_zh": "技能等级"}, "salary": {}},
        "pay_cut": {**RULES["pay_cut"], "level": "skill_level", "normal_pay": "salary"},
    }
    own = parse_rules(data, load_scheme(), "test")
    table = history(months("2025-01", 4), [0, 0, 0, 0]).assign(
        skill_level=[3, 3, 2, 3], salary=5000.0
    )
    pay = pay_of(table, own)
    # level 2 in March: the rule does not apply that month and starts afresh after it
    assert pay["cut"].tolist() == [0, 0, 0, 0]
    assert pay["pay"].tolist() == [5000, 5000, 5000, 5000]
