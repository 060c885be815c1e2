"""Streaks over quarters, years and teams (seed 001 客服部考核奖罚制度 五、2) and the withheld
quality reserve paid with the NPS result (seed 004 质量考核预留), on hand-made histories."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from engine import paths
from engine.rules.evaluate import evaluate, load_rules
from engine.schemes.rules_spec import RulesError, describe_rules, parse_rules
from engine.schemes.scheme import load_scheme
from engine.scoring.periods import aggregate, parse_period
from engine.scoring.score import grade, ranks

CS_SCHEME = paths.SCHEMES_DIR / "customer_service.toml"


@pytest.fixture(scope="module")
def cs():
    return load_scheme(CS_SCHEME)


def person(employee: str, totals: dict[str, float], team="客服一组", department="客服部"):
    """One person's months with their totals, as the scored monthly table holds them."""
    return pd.DataFrame(
        {
            "period": list(totals),
            "employee_id": employee,
            "name": employee,
            "department": department,
            "team": team,
            "role": "客服专员",
            "total": list(totals.values()),
            "bonus": 0.0,
            "missing_count": 0,
            "score_satisfaction": 0.0,  # the scheme's tie-break
        }
    )


def scored(frames: list[pd.DataFrame], scheme) -> pd.DataFrame:
    """The monthly rows with grade and ranks as scoring gives them."""
    table = pd.concat(frames, ignore_index=True)
    table["grade"] = grade(table["total"], scheme)
    return pd.concat([table, ranks(table, scheme)], axis=1)


def streaks_only(rules, *ids):
    """The rules file with only the named streak rules (the other rules need other data)."""
    chosen = tuple(s for s in rules.streaks if s.id in ids)
    return dataclasses.replace(rules, streaks=chosen, ladder=None)


def fired(report, rule: str) -> list[tuple]:
    events = report.events[report.events["rule"] == rule]
    events = events.sort_values(["employee_id", "team", "period"])
    who = events["employee_id"].fillna(events["team"])
    return list(zip(who, events["period"], events["periods"], strict=True))


# ------------------------------------------------------------------ a person's years


def test_two_failed_years_running_flag_a_dismissal(cs):
    # A year's grade is the grade of the mean monthly total (as the year view shows it):
    table = scored(
        [
            # 2025: (50 + 69) / 2 = 59.5 → 不合格; 2026: 59.99 → 不合格: flagged in 2026
            person("P", {"2025-11": 50, "2025-12": 69, "2026-01": 59.99, "2026-02": 59.99}),
            # 2025: (40 + 80) / 2 = 60.00 → 及格, though 2025-11 alone is 不合格: no flag
            person("Q", {"2025-11": 40, "2025-12": 80, "2026-01": 50}),
            # 2024 and 2026 不合格 with no data in 2025: the run is broken
            person("R", {"2024-12": 50, "2026-01": 50}),
            # three failed years: flagged in 2025 and again in 2026
            person("S", {"2024-12": 55, "2025-12": 55, "2026-01": 55}),
        ],
        cs,
    )
    rules = streaks_only(load_rules(cs), "failed_two_years")
    report = evaluate(table, rules)
    assert fired(report, "failed_two_years") == [
        ("P", "2026-02", "2025、2026"),
        ("S", "2025-12", "2024、2025"),
        ("S", "2026-01", "2024、2025、2026"),
    ]
    events = report.events.set_index(["employee_id", "period"])
    assert events.loc[("P", "2026-02"), "reason_zh"] == "年度不合格连续两年:2025、2026 → 解聘"
    assert events.loc[("S", "2026-01"), "reason_en"] == (
        "Failed two years running: 2024, 2025, 2026 (3 years running) → Dismissal"
    )
    assert set(report.events["unit"]) == {"year"} and set(report.events["scope"]) == {"person"}
    # the same year grades the year view gives
    year = aggregate(table, parse_period("2025"), cs).set_index("employee_id")["grade"]
    assert year.to_dict() == {"P": "不合格", "Q": "及格", "S": "不合格"}


def test_three_failed_months_warn_or_dismiss(cs):
    months = {"2026-01": 59.99, "2026-02": 40, "2026-03": 0, "2026-04": 60}
    table = scored([person("M", months)], cs)
    report = evaluate(table, streaks_only(load_rules(cs), "failed_three_months_warning"))
    assert fired(report, "failed_three_months_warning") == [
        ("M", "2026-03", "2026-01、2026-02、2026-03")
    ]
    assert report.events["reason_zh"].iloc[0].endswith("→ 警告或解聘")


# ------------------------------------------------------------------ a team's quarters


def team(department: str, name: str, month: str, totals: list[float], first: int = 0):
    return [
        person(f"{department[:1]}{name}{i}", {month: t}, team=name, department=department)
        for i, t in enumerate(totals, start=first)
    ]


def test_a_team_with_frequent_problems_two_quarters_running_is_reorganised(cs):
    # 问题频发: more than 20% of the team's members graded 不合格 for the quarter.
    table = scored(
        [
            # 客服部 客服一组: Q1 2 of 5 (40%), Q2 1 of 4 (25%): flagged in Q2
            *team("客服部", "客服一组", "2026-03", [50, 59, 80, 85, 90]),
            *team("客服部", "客服一组", "2026-06", [50, 80, 85, 90]),
            # 客服部 客服二组: Q1 1 of 5 is exactly 20%, not more: no run
            *team("客服部", "客服二组", "2026-03", [50, 80, 80, 80, 80]),
            *team("客服部", "客服二组", "2026-06", [50, 50, 80, 80, 80]),
            # the quarter's grade is that of the member's mean: (40 + 80) / 2 = 60 → 及格
            person("客服二组9", {"2026-04": 40, "2026-05": 80}, team="客服二组"),
            # 呼叫中心 has a 客服一组 too: a team is its department and name; Q1 and Q3 all
            # fail, Q2 has no data: the run is broken
            *team("呼叫中心", "客服一组", "2026-03", [10, 20, 30]),
            *team("呼叫中心", "客服一组", "2026-09", [10, 20, 30]),
        ],
        cs,
    )
    rules = streaks_only(load_rules(cs), "team_problems_two_quarters")
    report = evaluate(table, rules)
    events = report.events
    assert events[["department", "team", "period", "periods"]].values.tolist() == [
        ["客服部", "客服一组", "2026-06", "2026-Q1、2026-Q2"]
    ]
    assert events["employee_id"].isna().all() and events["scope"].tolist() == ["team"]
    assert events["reason_zh"].tolist() == [
        "季度问题频发团队连续两个季度:2026-Q1、2026-Q2 → 团队重组"
    ]
    text = describe_rules(rules, "zh")["streaks"][0]
    assert text == (
        "季度问题频发团队连续两个季度:团队「等级 ∈ 不合格」的成员占比 > 20%,连续 2 个季度"
        " → 提醒:团队重组"
    )


TEAM_RULES = {
    "streaks": [
        {
            "id": "below_company",
            "name_zh": "团队平均分低于公司",
            "scope": "team",
            "when": {"mean": "total", "below": "company"},
            "months": 2,
        },
        {
            "id": "two_fails",
            "name_zh": "团队两人不合格",
            "scope": "team",
            "when": [{"count": {"column": "grade", "in": ["不合格"]}, "at_least": 2}],
            "months": 1,
        },
    ]
}


def test_a_team_below_the_company_mean_and_a_count_of_members(cs):
    table = scored(
        [
            # January: X (70 + 80) / 2 = 75, Y (50 + 56) / 2 = 53; company (70+80+50+56)/4 = 64
            *team("客服部", "X", "2026-01", [70, 80]),
            *team("客服部", "Y", "2026-01", [50, 56]),
            # February: X 90, Y 73; someone without a team counts in the company's mean only:
            # company (90 + 90 + 72 + 74 + 30) / 5 = 71.2, so Y (73) is not below it
            *team("客服部", "X", "2026-02", [90, 90]),
            *team("客服部", "Y", "2026-02", [72, 74]),
            person("Z", {"2026-02": 30}, team=None),
            # March: Y 71 < company 80.5; April: Y 60 < company 75: two months running
            *team("客服部", "X", "2026-03", [90, 90]),
            *team("客服部", "Y", "2026-03", [70, 72]),
            *team("客服部", "X", "2026-04", [90, 90]),
            *team("客服部", "Y", "2026-04", [60, 60]),
        ],
        cs,
    )
    report = evaluate(table, parse_rules(TEAM_RULES, cs, "teams"))
    assert fired(report, "below_company") == [("Y", "2026-04", "2026-03、2026-04")]
    assert fired(report, "two_fails") == [("Y", "2026-01", "2026-01")]  # 50 and 56 fail
    assert describe_rules(parse_rules(TEAM_RULES, cs), "en")["streaks"][0] == (
        "团队平均分低于公司: a team where the members' mean Total < the company's for 2 months "
        "in a row → a flag"
    )


def test_period_and_team_settings_are_checked_in_plain_words(cs):
    def problems(rule: dict, **more) -> list[str]:
        with pytest.raises(RulesError) as caught:
            parse_rules({"streaks": [{"id": "r", "name_zh": "r", **rule}], **more}, cs)
        return caught.value.problems

    fail = {"column": "grade", "in": ["不合格"]}
    assert problems({"when": fail, "months": 2, "years": 2}) == [
        "streak rule r: give one of months, quarters or years, not both"
    ]
    assert problems({"when": fail, "period": "quarter", "months": 2}) == [
        "streak rule r: the period is 'quarter', so give the run as quarters = N, not months"
    ]
    found = problems(
        {"when": {"column": "plus", "above": 0}, "quarters": 2},
        inputs={"plus": {"name_zh": "加分"}},
    )
    assert found == [
        "streak rule r: a quarter rule reads the quarter's scores (total, grade, ranks, KPIs); "
        "plus is a monthly input, use a month rule for it"
    ]
    assert problems({"scope": "team", "when": {"share": fail}, "quarters": 2}) == [
        "streak rule r: the team's share needs exactly one of at_least, above, at_most, below, "
        "equals"
    ]
    assert "exactly one of share (% of members), count (members) or mean" in " ".join(
        problems({"scope": "team", "when": fail, "quarters": 2})
    )
    assert problems({"scope": "team", "when": {"count": fail, "above": "company"}, "months": 1})[
        0
    ].endswith("cannot be compared with the company; use share for that")
    assert problems({"scope": "teams", "when": fail, "months": 1}) == [
        "streak rule r: scope 'teams' must be 'person' or 'team'"
    ]


# ------------------------------------------------------------------ the withheld reserve

RESERVE = {
    "inputs": {
        "nps": {"name_zh": "NPS成绩"},
        "nps_region_rank": {"name_zh": "NPS区域排名"},
        "nps_national_rank": {"name_zh": "NPS全国排名"},
        "status": {"name_zh": "在职状态", "kind": "text"},
    },
    "nps_return": {  # seed 004 宝马 4.2 / 4.4: 5%, NPS < 77 → 0%, ≥ 77 → 100%, 120%, 150%
        "reserve_share": 5,
        "score": "nps",
        "region_rank": "nps_region_rank",
        "national_rank": "nps_national_rank",
        "pass_score": 77,
        "region_ratio": 120,
        "national_ratio": 150,
        "release": "quarter",
        "leaver_when": {"column": "status", "equals": "离职"},
    },
}


def earner(employee: str, periods: list[str], nps=(80.0, 9, 40), **more) -> pd.DataFrame:
    """1000 a month of commission; the NPS figures arrive in the quarter's last month."""
    score, region, national = nps
    frame = pd.DataFrame({"period": periods, "employee_id": employee, "name": employee})
    frame = frame.assign(department="杭州宝诚售后部", team="前台", role="服务顾问", bonus=1000.0)
    march = frame["period"].eq("2026-03")
    return frame.assign(
        nps=np.where(march, score, np.nan),
        nps_region_rank=np.where(march, region, np.nan),
        nps_national_rank=np.where(march, national, np.nan),
        **more,
    )


def test_the_quarters_reserve_is_paid_in_the_next_quarters_first_month_or_forfeited(cs):
    q1_and_april = ["2026-01", "2026-02", "2026-03", "2026-04"]
    table = pd.concat(
        [
            earner("A", q1_and_april, nps=(80.0, 2, 40)),  # region top 3 → 120%
            earner("E", q1_and_april, nps=(80.0, 9, 3)),  # national top 3 → 150%
            earner("F", q1_and_april, nps=(77.0, 9, 40)),  # exactly 77 → 100%
            earner("G", q1_and_april, nps=(76.9, 9, 40)),  # under 77 → 0%
            earner("B", q1_and_april[:3]),  # no row in April: left, forfeits
            earner("C", q1_and_april[:2]),  # no row in March: left mid-quarter, forfeits
            earner("D", q1_and_april, status=["", "", "离职", ""]),  # marked as a leaver
        ],
        ignore_index=True,
    )
    report = evaluate(table, parse_rules(RESERVE, cs, "reserve"))
    q1 = report.nps[report.nps["period"] == "2026-Q1"].set_index("employee_id").sort_index()
    assert q1["reserved"].to_dict() == {k: 150.0 for k in "ABDEFG"} | {"C": 100.0}
    assert q1["release_month"].unique().tolist() == ["2026-04"]
    assert q1["status"].to_dict() == {
        "A": "released",
        "B": "forfeited",
        "C": "forfeited",
        "D": "forfeited",
        "E": "released",
        "F": "released",
        "G": "released",
    }
    assert q1["released"].to_dict() == {
        "A": 180.0, "B": 0.0, "C": 0.0, "D": 0.0, "E": 225.0, "F": 150.0, "G": 0.0
    }  # fmt: skip
    assert q1["forfeited"].to_dict() == {k: 0.0 for k in "AEFG"} | {k: 150.0 for k in "BD"} | {
        "C": 100.0
    }
    # April's reserve waits for the first month of the third quarter
    q2 = report.nps[report.nps["period"] == "2026-Q2"]
    assert set(q2["status"]) == {"pending"} and set(q2["reserved"]) == {50.0}

    money = report.commission.set_index(["employee_id", "period"])
    april = money.loc[("A", "2026-04"), ["nps_reserve", "released", "forfeited", "paid"]]
    assert april.tolist() == [50.0, 180.0, 0.0, 1130.0]  # 1000 − 50 withheld + 180 released
    assert money.loc[("A", "2026-01"), "paid"] == 950.0
    assert money.loc[("B", "2026-03"), "forfeited"] == 150.0  # booked in the leaver's last month
    assert money.loc[("C", "2026-02"), "forfeited"] == 100.0
    assert money.loc[("D", "2026-03"), "forfeited"] == 150.0
    assert money.loc[("D", "2026-04"), "paid"] == 950.0
    assert money["forfeited"].sum() == 400.0 and money["released"].sum() == 555.0


def test_the_4s_rules_release_the_years_reserve_in_january(cs):
    scheme = load_scheme(paths.SCHEMES_DIR / "dealer_4s.toml")
    rules = load_rules(scheme)
    assert rules.nps_return.release == "year" and rules.nps_return.reserve_share == 5
    table = earner("H", ["2025-12", "2026-01"], nps=(90.0, 5, 1), bonus=2000.0)
    table = table.assign(nps=[90.0, np.nan], nps_region_rank=5, nps_national_rank=1)
    report = evaluate(table, rules)
    money = report.commission.set_index("period")
    # 2025: 5% of 2000 = 100 withheld, national top 3 → 150% → 150 in January 2026
    assert money.loc["2026-01", ["nps_reserve", "released", "paid"]].tolist() == [
        100.0,
        150.0,
        2050.0,
    ]
    assert report.nps.set_index("period").loc["2025", "status"] == "released"
    assert "次年第一个月按 NPS 返还" in describe_rules(rules)["nps"][0]
    assert describe_rules(rules, "en")["nps"][0].endswith("a leaver forfeits it.")


def test_a_bad_release_is_explained(cs):
    data = {**RESERVE, "nps_return": {**RESERVE["nps_return"], "release": "month"}}
    with pytest.raises(RulesError) as caught:
        parse_rules(data, cs)
    assert caught.value.problems == ["[nps_return]: release 'month' must be 'year' or 'quarter'"]


def test_a_team_rule_on_data_without_teams_says_so(cs):
    table = scored([person("A", {"2026-01": 50, "2026-02": 50}, team=None)], cs)
    report = evaluate(table, parse_rules(TEAM_RULES, cs, "teams"))
    assert report.events.empty
    assert report.notices_for("streaks")[0][0] == "「团队平均分低于公司」未计算:数据中没有 “班组”。"
