"""Rules across months on hand-made histories: the rules file, streaks, stars, the promotion
ladder, team multipliers and the NPS return."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest

from engine import paths
from engine.rules.evaluate import check_rules, evaluate, load_rules, with_inputs
from engine.rules.timeline import compare, parse_input
from engine.schemes.rules_spec import RulesError, describe_rules, parse_rules
from engine.schemes.scheme import list_schemes, load_scheme
from engine.scoring.score import ranks

ROSTER = {"name": "n", "department": "售后服务部", "team": "售后一组", "role": "服务工程师"}


@pytest.fixture(scope="module")
def scheme():
    return load_scheme()


def rows(employee: str, periods: list[str], **columns) -> pd.DataFrame:
    """One employee's monthly rows with the given columns."""
    frame = pd.DataFrame({"period": periods, "employee_id": employee, **ROSTER})
    return frame.assign(**columns)


def months(first: str, count: int) -> list[str]:
    return [str(p) for p in pd.period_range(first, periods=count, freq="M")]


# ------------------------------------------------------------------ the rules files


def test_the_shipped_rules_files_load_and_are_not_taken_for_schemes():
    schemes = {file.name: found for file, found in list_schemes()}
    assert "dealer_4s.toml" in schemes
    assert not any(name.startswith("rules") for name in schemes)
    for name in ("aftersales.toml", "customer_service.toml", "dealer_4s.toml"):
        rules = load_rules(schemes[name])
        assert rules.streaks and not rules.empty, name
    assert load_rules(schemes["dealer_4s.toml"]).source == "dealer_4s.toml"


def test_a_scheme_without_rules_has_empty_rules(scheme):
    other = copy.copy(scheme)
    object.__setattr__(other, "id", "no_such_scheme")
    assert load_rules(other).empty


def test_inline_rules_in_the_scheme_are_read(scheme, scheme_data):
    data = copy.deepcopy(scheme_data)
    data["rules"] = {"streaks": [{"id": "s", "when": {"column": "rank", "equals": 1}, "months": 2}]}
    from engine.schemes.scheme import parse_scheme

    rules = load_rules(parse_scheme(data, source="inline.toml"))
    assert [s.id for s in rules.streaks] == ["s"]
    assert rules.streaks[0].action == "flag" and rules.streaks[0].repeat == "month"


def test_every_problem_is_listed_in_plain_words(scheme):
    data = {
        "extra": 1,
        "streaks": [
            {"id": "a", "when": {"column": "nothing", "equals": 1}, "months": 0, "monhts": 3},
            {"id": "b", "when": {"column": "grade", "in": ["Top"]}, "months": 2, "action": "x"},
            {"id": "c", "when": {"column": "total", "at_least": 1, "below": 3}, "months": 2},
        ],
        "pay_cut": {"min_level": 3, "gain": {"column": "total", "above": 0}, "step": 0},
        "stars": {"achievement": "order_achievement", "levels": [{"stars": 1, "at_least": 5}]},
        "team_multiplier": {"column": "rework_rate", "bands": [{"upto": 3, "factor": 1}]},
        "ladder": {"steps": [{"name": "A"}, {"name": "B"}], "promote": [{"to": "C"}]},
    }
    with pytest.raises(RulesError) as caught:
        parse_rules(data, scheme, source="bad.toml")
    text = "\n".join(caught.value.problems)
    for expected in (
        "section 'extra' is unknown",
        "streak rule a: unknown setting(s) monhts; known: action, amount,",
        "column 'nothing' is neither a scored column",
        "'months' must be a whole number of at least 1",
        "grade(s) ['Top'] are not grades of the scheme (优秀/良好/合格/及格/不合格)",
        "action 'x' must be 'reward' or 'flag'",
        "needs exactly one of",
        "step (the monthly cut) must be above 0",
        "there is no [levels] rule",
        "the last star level must have no 'at_least'",
        "the last must run to inf",
        "'C' is not a step above the first",
        "no promotion conditions for step(s) ['B']",
    ):
        assert expected in text, expected


# ------------------------------------------------------------------ streaks

STREAKS = {
    "streaks": [
        {
            "id": "first",
            "name_zh": "连续3个月部门第一",
            "name_en": "First 3 months running",
            "when": {"column": "dept_rank", "equals": 1},
            "months": 3,
            "action": "reward",
            "amount": 200,
        },
        {
            "id": "fail2",
            "name_zh": "连续两次不合格",
            "name_en": "Failed twice",
            "when": {"column": "grade", "in": ["不合格"]},
            "months": 2,
            "action": "flag",
            "outcome_zh": "解除劳动合同审查",
            "outcome_en": "Contract review",
        },
        {
            "id": "fail3",
            "when": {"column": "grade", "in": ["不合格"]},
            "months": 3,
            "action": "flag",
        },
    ]
}


@pytest.fixture(scope="module")
def streak_rules(scheme):
    return parse_rules(STREAKS, scheme, source="streaks")


def events_of(table: pd.DataFrame, rules, rule: str) -> pd.DataFrame:
    found = evaluate(table, rules).events
    return found[found["rule"] == rule].sort_values(["employee_id", "period"])


def test_first_three_months_in_a_row_rewards_once_per_block(streak_rules):
    table = rows("A", months("2026-01", 7), dept_rank=[1, 1, 1, 1, 1, 1, 1], grade="良好")
    found = events_of(table, streak_rules, "first")
    assert found["period"].tolist() == ["2026-03", "2026-06"]
    assert found["amount"].tolist() == [200, 200]
    assert found["periods"].tolist() == [
        "2026-01、2026-02、2026-03",
        "2026-04、2026-05、2026-06",
    ]
    assert found["reason_zh"].iloc[0] == "连续3个月部门第一:2026-01、2026-02、2026-03,奖励 200 元"
    assert found["reason_en"].iloc[0] == (
        "First 3 months running: 2026-01, 2026-02, 2026-03; reward 200"
    )


def test_ties_for_rank_one_both_count_as_first(streak_rules, scheme):
    # Equal totals share rank 1 (1, 1, 3): both tied people earn the reward.
    table = pd.concat(
        [
            rows("A", months("2026-01", 3), total=[90.0, 91.0, 88.0]),
            rows("B", months("2026-01", 3), total=[90.0, 91.0, 88.0]),
            rows("C", months("2026-01", 3), total=[80.0, 95.0, 70.0]),
        ],
        ignore_index=True,
    )
    table = pd.concat([table, ranks(table, scheme)], axis=1).assign(grade="良好")
    assert table.loc[table["period"] == "2026-01", "dept_rank"].tolist() == [1, 1, 3]
    found = events_of(table, streak_rules, "first")
    assert found["employee_id"].tolist() == []  # C was first in February: nobody 3 in a row
    table.loc[table["employee_id"] == "C", "total"] = [80.0, 85.0, 70.0]
    table = pd.concat(
        [table.drop(columns=["rank", "dept_rank", "team_rank"]), ranks(table, scheme)], axis=1
    )
    found = events_of(table, streak_rules, "first")
    assert found["employee_id"].tolist() == ["A", "B"]


def test_failing_flags_name_the_months_that_triggered_them(streak_rules):
    grades = ["不合格", "不合格", "合格", "不合格", "不合格", "不合格"]
    table = rows("A", months("2026-01", 6), grade=grades, dept_rank=5)
    twice = events_of(table, streak_rules, "fail2")
    assert twice["period"].tolist() == ["2026-02", "2026-05", "2026-06"]
    assert twice["periods"].tolist() == [
        "2026-01、2026-02",
        "2026-04、2026-05",
        "2026-04、2026-05、2026-06",
    ]
    assert twice["reason_zh"].tolist()[-1] == (
        "连续两次不合格:2026-04、2026-05、2026-06(已连续 3 个月) → 解除劳动合同审查"
    )
    three = events_of(table, streak_rules, "fail3")
    assert three["period"].tolist() == ["2026-06"]
    assert three["first_period"].tolist() == ["2026-04"]


def test_a_month_without_data_breaks_a_streak(streak_rules):
    table = rows("A", ["2026-01", "2026-02", "2026-04", "2026-05"], dept_rank=1, grade="优秀")
    assert events_of(table, streak_rules, "first").empty
    # a month present but without a score breaks it too
    table = rows("A", months("2026-01", 4), dept_rank=[1, np.nan, 1, 1], grade="优秀")
    assert events_of(table, streak_rules, "first").empty


def test_streaks_are_per_employee_whatever_the_row_order(streak_rules):
    table = pd.concat(
        [
            rows("A", months("2026-01", 3), dept_rank=1, grade="优秀"),
            rows("B", months("2026-02", 2), dept_rank=1, grade="优秀"),
        ],
        ignore_index=True,
    ).iloc[::-1]
    assert events_of(table, streak_rules, "first")["employee_id"].tolist() == ["A"]


# ------------------------------------------------------------------ stars

STARS = {
    "stars": {
        "achievement": "order_achievement",
        "performance_pay": 1000,
        "levels": [
            {
                "stars": 5,
                "at_least": 110,
                "also": {"column": "upheld_complaints", "equals": 0},
                "reward": 500,
            },
            {"stars": 4, "at_least": 110, "reward": 200},
            {"stars": 3, "at_least": 100},
            {"stars": 2, "at_least": 85, "pay_share": 0.5},
            {"stars": 1, "pay_share": 0},
        ],
    }
}


def test_stars_on_each_boundary(scheme):
    rules = parse_rules(STARS, scheme, "stars")
    achievement = [110.0, 110.0, 109.99, 100.0, 99.99, 85.0, 84.99, np.nan]
    complaints = [0, 1, 0, 0, 0, 0, 0, 0]
    table = rows("A", months("2026-01", 8), order_achievement=achievement)
    table["upheld_complaints"] = complaints
    stars = evaluate(table, rules).stars.sort_values("period")
    assert stars["stars"].tolist()[:-1] == [5, 4, 3, 3, 2, 2, 1]
    assert np.isnan(stars["stars"].iloc[-1])
    assert stars["reward"].tolist()[:-1] == [500, 200, 0, 0, 0, 0, 0]
    assert stars["paid_performance_pay"].tolist()[:-1] == [1000, 1000, 1000, 1000, 500, 500, 0]


# ------------------------------------------------------------------ the promotion ladder

LADDER = {
    "inputs": {
        "knowledge_test": {"name_zh": "知识考核", "name_en": "Knowledge test", "kind": "yes_no"},
        "major_error": {"name_zh": "重大失误", "kind": "yes_no"},
        "ladder_step": {"name_zh": "晋升级别", "kind": "text"},
    },
    "ladder": {
        "current": "ladder_step",
        "window": 6,
        "steps": [
            {"name": "普通", "name_en": "Regular"},
            {"name": "星级", "name_en": "Star", "pay": 1000},
            {"name": "钻级", "name_en": "Diamond", "pay": 1200},
        ],
        "promote": [
            {
                "to": "星级",
                "checks": [
                    {"name_zh": "上岗满3个月", "measure": "tenure_months", "at_least": 3},
                    {
                        "name_zh": "有效投诉不超过1次",
                        "measure": "sum",
                        "column": "upheld_complaints",
                        "at_most": 1,
                    },
                    {
                        "name_zh": "良好及以上至少4个月",
                        "measure": "count",
                        "when": {"column": "grade", "in": ["优秀", "良好"]},
                        "at_least": 4,
                    },
                    {
                        "name_zh": "知识考核通过",
                        "measure": "last",
                        "column": "knowledge_test",
                        "equals": True,
                    },
                ],
            },
            {
                "to": "钻级",
                "checks": [{"measure": "tenure_months", "at_least": 12}],
            },
        ],
        "demote": [
            {
                "name_zh": "有效投诉超过2次",
                "measure": "sum",
                "column": "upheld_complaints",
                "above": 2,
            },
            {
                "name_zh": "重大失误",
                "measure": "count",
                "when": {"column": "major_error", "equals": True},
                "at_least": 1,
            },
            {
                "name_zh": "连续3个月未达成",
                "measure": "count",
                "when": {"column": "order_achievement", "below": 100},
                "window": 3,
                "at_least": 3,
            },
        ],
    },
}
SIX = months("2026-04", 6)  # the window ending 2026-09


def person(employee: str, hired: str, complaints, grades, test, **more) -> pd.DataFrame:
    frame = rows(
        employee,
        SIX,
        hire_date=hired,
        upheld_complaints=complaints,
        grade=grades,
        knowledge_test=[np.nan] * 5 + [test],
        major_error=0.0,
        order_achievement=100.0,
        ladder_step=more.pop("step", "普通"),
    )
    return frame.assign(**more)


@pytest.fixture(scope="module")
def ladder(scheme):
    rules = parse_rules(LADDER, scheme, "ladder")
    good = ["良好"] * 6
    table = pd.concat(
        [
            person("MET", "2025-01-10", 0, good, 1.0),
            person("SHORT", "2025-01-10", [1, 0, 0, 1, 0, 0], good, 1.0),  # 2 complaints
            person("NEW", "2026-07-02", 0, good, 1.0),  # 2 whole months at the end of 09
            person("FIRST", "2026-07-01", 0, good, 1.0),  # July 1st: 3 whole months
            person("NODATA", "2025-01-10", 0, good, np.nan),
            person("TWO", "2025-01-10", 3, ["合格"] * 6, 0.0),
            person("RISK", "2025-01-10", [0, 0, 0, 1, 1, 1], good, 1.0, step="星级"),
            person("ERROR", "2023-01-10", 0, good, 1.0, step="星级", major_error=[0] * 5 + [1]),
            person(
                "MISS",
                "2023-01-10",
                0,
                good,
                1.0,
                step="星级",
                order_achievement=[100, 100, 100, 99, 90, 80],
            ),
            person("TOP", "2020-01-10", 9, good, 1.0, step="钻级"),
        ],
        ignore_index=True,
    )
    report = evaluate(table, rules, as_of="2026-09")
    return report.ladder.set_index("employee_id"), report.ladder_checks


def test_promotion_conditions_met_missing_by_one_and_without_data(ladder):
    people, checks = ladder
    assert people.loc["MET", "status"] == "eligible"
    assert people.loc["MET", "next_step"] == "星级" and people.loc["MET", "next_pay"] == 1000
    assert people.loc["SHORT", "status"] == "one_short"
    assert people.loc["SHORT", "missing_zh"] == "有效投诉不超过1次"
    assert people.loc["NEW", "status"] == "one_short"
    assert people.loc["NEW", "missing_zh"] == "上岗满3个月"
    assert people.loc["FIRST", "status"] == "eligible"
    assert people.loc["NODATA", "status"] == "check"
    assert people.loc["NODATA", "no_data_zh"] == "知识考核通过"
    assert people.loc["TWO", "status"] == "not_yet"
    assert people.loc["TWO", "missing"] == 3
    assert people.loc["TWO", "missing_en"] == (
        "Upheld complaints, total over 6 months ≤ 1; "
        "Months with Grade ∈ Excellent, Good in the last 6 ≥ 4; "
        "Knowledge test (latest) = yes"
    )
    mine = checks[checks["employee_id"] == "SHORT"].set_index("condition_zh")
    assert mine.loc["有效投诉不超过1次", "actual"] == 2
    assert mine.loc["有效投诉不超过1次", "result"] == "missing"
    assert mine.loc["良好及以上至少4个月", "actual"] == 6


def test_demotion_triggers_put_people_above_the_first_step_at_risk(ladder):
    people, checks = ladder
    assert people.loc["RISK", "at_risk"] and people.loc["RISK", "risk_zh"] == "有效投诉超过2次"
    assert people.loc["ERROR", "at_risk"] and people.loc["ERROR", "risk_zh"] == "重大失误"
    assert people.loc["MISS", "at_risk"] and people.loc["MISS", "risk_zh"] == "连续3个月未达成"
    assert not people.loc["TWO", "at_risk"]  # 3 complaints, but 普通 cannot move down
    assert not people.loc["MET", "at_risk"]
    assert people.loc["TOP", "status"] == "top" and people.loc["TOP", "at_risk"]
    assert people.loc["RISK", "next_step"] == "钻级"
    demote = checks[(checks["kind"] == "demote") & (checks["employee_id"] == "RISK")]
    assert demote["result"].tolist() == ["triggered", "clear", "clear"]


# ------------------------------------------------------------------ team multiplier and NPS

MONEY = {
    "inputs": {
        "repair_jobs": {"name_zh": "维修台次"},
        "nps": {"name_zh": "NPS成绩"},
        "nps_region_rank": {"name_zh": "NPS区域排名"},
        "nps_national_rank": {"name_zh": "NPS全国排名"},
    },
    "team_multiplier": {
        "column": "rework_rate",
        "weight": "repair_jobs",
        "roles": ["维修技师"],
        "review_above": 10,
        "bands": [
            {"upto": 3, "factor": 1.0},
            {"upto": 5, "factor": 0.95},
            {"upto": float("inf"), "factor": 0.9},
        ],
    },
    "nps_return": {
        "reserve_share": 5,
        "score": "nps",
        "region_rank": "nps_region_rank",
        "national_rank": "nps_national_rank",
        "pass_score": 77,
        "pass_ratio": 100,
        "fail_ratio": 0,
        "region_top": 3,
        "region_ratio": 120,
        "national_top": 3,
        "national_ratio": 150,
    },
}


def crew(team: str, rates: list[float], jobs: list[float], role: str = "维修技师", **more):
    frame = pd.DataFrame(
        {
            "period": "2026-01",
            "employee_id": [f"{team}{i}" for i in range(len(rates))],
            "name": "n",
            "department": "杭州宝诚售后部",
            "team": team,
            "role": role,
            "rework_rate": rates,
            "repair_jobs": jobs,
            "bonus": 1000.0,
        }
    )
    return frame.assign(**more)


def test_team_multipliers_on_each_boundary(scheme):
    rules = parse_rules(MONEY, scheme, "money")
    table = pd.concat(
        [
            crew("A", [2.0, 4.0], [50, 50]),  # 3.00% exactly → ×1.00
            crew("B", [2.0, 4.02], [50, 50]),  # 3.01% → ×0.95
            crew("C", [5.0, 5.0], [10, 90]),  # 5.00% → ×0.95
            crew("D", [1.0, 9.0], [10, 90]),  # weighted: 8.2% → ×0.90
            crew("E", [12.0, 11.0], [40, 60]),  # 11.4% → ×0.90 and a review
            crew("F", [9.0], [80], role="服务顾问"),  # not a technician team
        ],
        ignore_index=True,
    )
    report = evaluate(table, rules)
    teams = report.teams.set_index("team")
    assert teams["rate"].to_dict() == {"A": 3.0, "B": 3.01, "C": 5.0, "D": 8.2, "E": 11.4}
    assert teams["factor"].to_dict() == {"A": 1.0, "B": 0.95, "C": 0.95, "D": 0.9, "E": 0.9}
    assert teams["review"].to_dict() == {"A": False, "B": False, "C": False, "D": False, "E": True}
    money = report.commission.set_index("employee_id")
    assert money.loc["B0", "team_bonus"] == 950 and money.loc["F0", "team_bonus"] == 1000
    assert money.loc["B0", "nps_reserve"] == 47.5 and money.loc["B0", "paid_now"] == 902.5


def test_nps_return_ratio_on_each_boundary(scheme):
    rules = parse_rules(MONEY, scheme, "money")
    figures = [  # score, region rank, national rank → ratio
        (76.9, 9, 40, 0),
        (77.0, 9, 40, 100),
        (80.0, 3, 40, 120),
        (80.0, 4, 3, 150),
        (80.0, 4, 4, 100),
    ]
    table = pd.concat(
        [
            crew(f"T{i}", [1.0], [10], nps=s, nps_region_rank=r, nps_national_rank=n)
            for i, (s, r, n, _) in enumerate(figures)
        ],
        ignore_index=True,
    )
    later = table.assign(period="2026-02", nps=np.nan)  # the year's latest NPS figures win
    nps = evaluate(pd.concat([table, later], ignore_index=True), rules).nps
    nps = nps.sort_values("employee_id")
    assert nps["ratio"].tolist() == [f[3] for f in figures]
    assert nps["reserved"].tolist() == [100.0] * 5  # 5% of 1000, two months
    assert nps["returned"].tolist() == [0, 100, 120, 150, 100]


# ------------------------------------------------------------------ edges met by computed figures


def test_a_team_rate_exactly_on_an_edge_from_sums(scheme):
    # (2.02 × 5 + 3.49 × 10) / 15 = 3.00 % (3.0000000000000004 in floats) → ×1.00; (9.3 × 3
    # + 10.3 × 7) / 10 = 10.00 % (10.000000000000002) is not above the review line of 10.
    rules = parse_rules(MONEY, scheme, "money")
    table = pd.concat(
        [crew("A", [2.02, 3.49], [5, 10]), crew("R", [9.3, 10.3], [3, 7])], ignore_index=True
    )
    teams = evaluate(table, rules).teams.set_index("team")
    assert teams["rate"].to_dict() == {"A": 3.0, "R": 10.0}
    assert teams["factor"].to_dict() == {"A": 1.0, "R": 0.9}
    assert teams["review"].to_dict() == {"A": False, "R": False}


def test_stars_for_an_achievement_exactly_on_an_edge_from_a_mean(scheme):
    # A computed achievement: (84.8 + 85.1 + 85.1) / 3 = 85 % (84.99999999999999) → 2 stars.
    rules = parse_rules(STARS, scheme, "stars")
    achievement = (84.8 + 85.1 + 85.1) / 3
    table = rows("A", ["2026-01"], order_achievement=achievement, upheld_complaints=0)
    assert evaluate(table, rules).stars["stars"].tolist() == [2]


def test_ladder_windows_exactly_on_an_edge_from_sums_and_means(scheme):
    # Upheld complaints 0.1 + 0.2 over the window = 0.3 (0.30000000000000004) ≤ 0.3; the mean
    # achievement, summed from the latest month back, (84.8 + 85.1 + 85.1) / 3 = 85
    # (84.99999999999999) ≥ 85.
    data = copy.deepcopy(LADDER)
    data["ladder"]["promote"][0]["checks"] = [
        {"name_zh": "投诉", "measure": "sum", "column": "upheld_complaints", "at_most": 0.3},
        {
            "name_zh": "达成",
            "measure": "mean",
            "column": "order_achievement",
            "window": 3,
            "at_least": 85,
        },
    ]
    rules = parse_rules(data, scheme, "ladder")
    table = rows(
        "A",
        months("2026-07", 3),
        upheld_complaints=[0.1, 0.2, 0.0],
        order_achievement=[85.1, 85.1, 84.8],
        ladder_step="普通",
    )
    checks = evaluate(table, rules, as_of="2026-09").ladder_checks.set_index("condition_zh")
    assert checks["result"].to_dict() == {"投诉": "met", "达成": "met"}
    assert checks["actual"].to_dict() == {"投诉": 0.3, "达成": 85}


def test_a_condition_on_a_computed_score_exactly_on_its_edge():
    # A KPI score of 84.00000000000001 (a rating rescaled) is 84.00: at most 84, not above it.
    scores = pd.Series([84.00000000000001, 84.01])
    assert compare(scores, "at_most", 84).tolist() == [True, False]
    assert compare(scores, "above", 84).tolist() == [False, True]
    assert compare(scores, "equals", 84).tolist() == [True, False]


# ------------------------------------------------------------------ inputs from the store


def test_inputs_are_read_from_chinese_headers_and_bad_cells_reported(scheme):
    rules = load_rules(scheme)
    monthly = rows("A", ["2026-01", "2026-02"], total=80.0)
    facts = pd.DataFrame(
        {
            "period": ["2026-01", "2026-02"],
            "employee_id": ["A", "A"],
            "加分": ["10分", "abc"],
            "知识考核结果": ["通过", "未通过"],
            "职级": ["星级", None],
        }
    )
    table, bad = with_inputs(monthly, facts, rules)
    assert table["plus_points"].tolist()[0] == 10
    assert np.isnan(table["plus_points"].tolist()[1])
    assert table["knowledge_test"].tolist() == [1.0, 0.0]
    assert table["ladder_step"].tolist()[0] == "星级"
    assert bad.to_dict("records") == [
        {"input": "plus_points", "column": "加分", "cells": 1, "examples": "abc"}
    ]
    assert np.isnan(table["year_points"]).all()


def test_yes_no_words():
    value, bad = parse_input(pd.Series(["是", "否", "Y", "no", "", None, "也许"]), "yes_no")
    assert value.tolist()[:4] == [1.0, 0.0, 1.0, 0.0]
    assert value.iloc[4:].isna().all()
    assert bad.tolist() == [False] * 6 + [True]


def test_rules_without_their_data_say_so_and_leave_their_table_empty(scheme):
    table = rows("A", months("2026-01", 3), total=80.0, grade="良好", dept_rank=1, rank=1)
    report = evaluate(table, load_rules(scheme))
    assert report.pay.empty and report.levels.empty
    texts = " ".join(zh for _, zh, _ in report.notices)
    assert report.notices_for("pay")[0][1].startswith("Progress or fall back: not applied")
    assert "「技能等级(积分)」未计算" in texts and "上年度积分" in texts
    assert "「星级员工」未计算" in texts
    assert report.events["rule"].tolist() == ["first_three_months"]


def test_an_empty_table_gives_empty_results(scheme):
    report = evaluate(rows("A", []), load_rules(scheme))
    assert report.events.empty and report.ladder.empty and report.as_of == ""


def test_rules_files_live_beside_the_schemes():
    assert (paths.SCHEMES_DIR / "rules" / "aftersales.toml").exists()


def test_rules_are_described_in_both_languages(scheme):
    rules = load_rules(scheme)
    zh, en = describe_rules(rules, "zh"), describe_rules(rules, "en")
    assert zh["pay"][0].startswith("技能等级 3 级及以上:连续两个月没有「工作业绩加分 > 0」")
    assert en["stars"][0].startswith(
        "Work-order achievement: ★★★★★ ≥ 110% and Upheld complaints = 0: +500"
    )
    assert (
        zh["streaks"][1]
        == "连续两次考核不合格:「等级 ∈ 不合格」连续 2 个月 → 提醒:解除劳动合同审查"
    )
    assert en["ladder"][1].startswith("To Star: 3 months in post")


def test_a_broken_rules_file_is_reported_not_raised(scheme, tmp_path, monkeypatch):
    (tmp_path / "aftersales.toml").write_text("[[streaks]]\nid = 'x'\nmonths = 2\n", "utf-8")
    monkeypatch.setattr("engine.schemes.rules_spec.RULES_DIR", tmp_path)
    assert check_rules(scheme) == [
        'streak rule x: the condition is missing, e.g. { column = "total", below = 60 }'
    ]
    (tmp_path / "aftersales.toml").write_text("streaks = [", "utf-8")
    assert check_rules(scheme)[0].startswith("the file is not valid TOML")
