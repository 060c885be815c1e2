"""Targets per team and per person: the file read as monthly files are, kept in the store, and
how a target takes the place of a linear KPI's standard (hand-computed)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from engine.intake.targets import parse_targets
from engine.schemes.scheme import load_scheme
from engine.scoring.score import score_table
from engine.scoring.targets import achievement_against_target, with_targets
from engine.store import Store
from tests.conftest import facts

SCHEME = load_scheme()  # 工单达成率 order_achievement: linear, floor 60, standard 100, cap 1.0
FILE = (
    "月份,工号,部门,班组,工单达成率目标,客户满意度\n"
    "2026-10,E1,,,95,\n"
    "2026-10,,售后服务部,售后一组,80,90%\n"
)


def parsed(text: str = FILE, name: str = "目标.csv", encoding: str = "utf-8"):
    return parse_targets(text.encode(encoding), name, SCHEME)


def test_a_target_file_in_gbk_with_chinese_headers():
    rows, problems, month = parsed(encoding="gbk")
    assert problems.empty and month == "2026-10"
    assert rows.to_dict("records") == [
        {
            "scope": "person",
            "employee_id": "E1",
            "department": "",
            "team": "",
            "kpi": "order_achievement",
            "target": 95.0,
        },
        {
            "scope": "team",
            "employee_id": "",
            "department": "售后服务部",
            "team": "售后一组",
            "kpi": "order_achievement",
            "target": 80.0,
        },
        {
            "scope": "team",
            "employee_id": "",
            "department": "售后服务部",
            "team": "售后一组",
            "kpi": "satisfaction",
            "target": 90.0,
        },
    ]


def test_every_problem_named_with_file_row_column_value_and_nothing_kept():
    text = (
        "工号,班组,工单达成率目标\n"
        "E1,,abc\n"  # row 2: not a number
        "E2,,50\n"  # row 3: below the floor 60
        ",,90\n"  # row 4: nobody
        "E2,,-5\n"  # row 5: negative, and E2 twice
    )
    rows, problems, _ = parse_targets(text.encode(), "目标_2026-10.csv", SCHEME)
    assert rows.empty
    found = set(zip(problems["row"], problems["column"], problems["value"], strict=True))
    assert (2, "工单达成率目标", "abc") in found
    assert (3, "工单达成率目标", "50") in found
    assert (4, "工号", "") in found
    assert (5, "工单达成率目标", "-5") in found
    assert (3, "工号", "E2") in found and (5, "工号", "E2") in found
    reasons = " ".join(problems["problem"])
    assert "目标须高于下限 60" in reasons and "同一员工出现多次" in reasons
    assert set(problems["file"]) == {"目标_2026-10.csv"}


def test_a_file_without_a_month_or_a_kpi_says_so():
    _, problems, month = parse_targets("工号,备注\nE1,x\n".encode(), "t.csv", SCHEME)
    assert month is None
    assert "没有可识别的指标列" in " ".join(problems["problem"])
    assert "缺少月份" in " ".join(problems["problem"])


ROWS = [
    {"employee_id": "E1", "department": "售后服务部", "team": "售后一组", "order_achievement": 90},
    {"employee_id": "E2", "department": "售后服务部", "team": "售后一组", "order_achievement": 90},
    {"employee_id": "E3", "department": "售后服务部", "team": "售后二组", "order_achievement": 90},
]


def test_a_target_takes_the_place_of_the_linear_standard():
    rows, _, _ = parsed()
    table = score_table(with_targets(facts(ROWS), rows.assign(period="2026-10"), SCHEME), SCHEME)
    scores = table.set_index("employee_id")["score_order_achievement"]
    # E1 own target 95: (90 − 60) / (95 − 60) = 85.71; E2 team target 80: 30 / 20 → capped 100;
    # E3 no target: the standard 100, (90 − 60) / 40 = 75.
    assert scores.to_dict() == pytest.approx({"E1": 600 / 7, "E2": 100.0, "E3": 75.0})
    targets = table.set_index("employee_id")["target_order_achievement"]
    assert targets["E1"] == 95.0 and targets["E2"] == 80.0 and np.isnan(targets["E3"])
    assert table["order_achievement"].tolist() == [90.0, 90.0, 90.0]  # raw values kept


def test_stars_count_achievement_against_the_own_target():
    # 104.5 % of the standard against an own target of 95 % is 110 % of the target.
    got = achievement_against_target(np.array([104.5, 90.0]), np.array([95.0, np.nan]), 100.0)
    assert got.tolist() == pytest.approx([110.0, 90.0])


def test_targets_are_kept_and_replaced_month_by_month(tmp_path):
    store = Store(tmp_path / "t.duckdb")
    rows, _, _ = parsed()
    version = store.version()
    assert store.replace_targets("2026-10", rows, "目标.csv") == 3
    assert store.version() == version + 1
    kept = store.targets(["2026-10"])
    assert len(kept) == 3 and set(kept["source"]) == {"目标.csv"}
    assert store.replace_targets("2026-10", rows.iloc[:1], "page") == 1
    assert store.targets(["2026-10"])["target"].tolist() == [95.0]
    assert store.targets(["2026-09"]).empty
    assert store.events()["action"].tolist()[-1] == "targets_saved"
    assert isinstance(store.targets(), pd.DataFrame)


def test_the_statement_says_standard_or_target_per_kpi():
    from engine.analysis.breakdown import standard_or_target, standard_text

    assert standard_text(SCHEME.kpi("order_achievement")) == "100 %"
    assert standard_text(SCHEME.kpi("fault_days")) == "≤ 2 天"
    person = pd.Series({"target_order_achievement": 95.0, "target_satisfaction": 90.0})
    kpis = pd.Series(["order_achievement", "satisfaction", "fault_days"])
    texts = standard_or_target(kpis, person, SCHEME, {"order_achievement"})
    assert texts.tolist() == [
        "目标 95 %(个人)",
        "目标 90 %(班组,仅供对照)",
        "标准 ≤ 2 天",
    ]
    english = standard_or_target(kpis, person, SCHEME, set(), "en")
    assert english.tolist()[0] == "Target 95 % (team)"


def test_team_targets_against_actuals():
    from engine.analysis.breakdown import team_targets_against_actuals

    rows, _, _ = parsed()
    table = score_table(with_targets(facts(ROWS), rows.assign(period="2026-10"), SCHEME), SCHEME)
    found = team_targets_against_actuals(table, SCHEME).set_index(["team", "kpi"])
    # 售后一组: E1 (own 95) and E2 (team 80) both at 90 → mean target 87.5, gap +2.5, 1 met.
    one = found.loc[("售后一组", "order_achievement")]
    assert (one["headcount"], one["target"], one["actual"]) == (2, 87.5, 90.0)
    assert (one["gap"], one["met"]) == (2.5, 1)
    assert ("售后二组", "order_achievement") not in found.index
