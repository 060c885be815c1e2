"""Closing a month: states and who moves them, adjustments, locked months frozen."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.accounts import Access
from engine.cycle.adjust import apply_adjustments, check, read_file
from engine.cycle.close import (
    AdjustmentRefused,
    decide,
    make_move,
    month_standing,
    pending,
    propose,
)
from engine.cycle.config import load_cycle
from engine.cycle.results import month_rows
from engine.cycle.states import MONTH, MoveRefused, Standing, plan_move
from engine.schemes.scheme import load_scheme, parse_scheme
from engine.scoring.score import score_table
from engine.store import Store
from tests.conftest import facts
from tests.test_properties import ROW, SCHEME

CONFIG = load_cycle()
ADMIN, HR = Access("boss", "admin"), Access("li", "hr")
MANAGER = Access("wang", "manager", ("A",))


def small_rows(small_scheme) -> pd.DataFrame:
    """E1 100 (优秀), E2 82 (良好), E3 76 (合格): quality 60 % (days bands, complaints −20),
    attitude 40 % (CSAT tiers 100 / 85 / 70)."""
    rows = facts(
        [
            {"employee_id": "E1", "days": 1, "complaints": 0, "csat": 95},
            {"employee_id": "E2", "days": 3, "complaints": 1, "csat": 85},
            {"employee_id": "E3", "days": 3, "complaints": 1, "csat": 75},
        ]
    )
    return score_table(rows, small_scheme)


def adjustments(*rows: tuple) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"period": "2026-10", "employee_id": e, "points": p, "grade": g, "reason": r}
            for e, p, g, r in rows
        ]
    )


# ------------------------------------------------------------------ adjustments


def test_points_move_total_grade_all_ranks_and_money(small_scheme):
    table = small_rows(small_scheme)
    assert table["total"].tolist() == [100.0, 82.0, 76.0]
    out = apply_adjustments(
        table,
        adjustments(("E2", -5.0, None, "迟到两次"), ("E3", 5.0, None, "客户表扬")),
        small_scheme,
    ).set_index("employee_id")
    assert out["computed_total"].tolist() == [100.0, 82.0, 76.0]
    assert out["total"].tolist() == [100.0, 77.0, 81.0]
    assert out["computed_grade"].astype(str).tolist() == ["优秀", "良好", "合格"]
    assert out["grade"].astype(str).tolist() == ["优秀", "合格", "良好"]
    assert out["grade_en"].astype(str).tolist() == ["Excellent", "Satisfactory", "Good"]
    for column in ("rank", "dept_rank", "team_rank"):
        assert out[column].tolist() == [1, 3, 2]
    assert out["bonus"].tolist() == [1000.0, 0.0, 500.0]
    assert out["adjustment"].fillna(0).tolist() == [0.0, -5.0, 5.0]
    assert out["adjustment_reason"].tolist() == ["", "迟到两次", "客户表扬"]


def test_a_grade_set_directly_changes_grade_and_money_not_total_or_ranks(small_scheme):
    table = small_rows(small_scheme)
    out = apply_adjustments(
        table, adjustments(("E3", np.nan, "良好", "校准:部门平衡")), small_scheme
    ).set_index("employee_id")
    assert out["total"].tolist() == [100.0, 82.0, 76.0]
    assert out["grade"].astype(str).tolist() == ["优秀", "良好", "良好"]
    assert out["computed_grade"].astype(str).tolist() == ["优秀", "良好", "合格"]
    assert out["rank"].tolist() == [1, 2, 3]
    assert out["bonus"].tolist() == [1000.0, 500.0, 500.0]


def test_every_problem_of_proposed_adjustments_is_listed(small_scheme):
    rows = pd.DataFrame(
        {
            "employee_id": ["E1", "E9", "E2", "E2", "E3", ""],
            "points": ["6", "1", "x", "", "2", "1"],
            "grade": ["", "", "", "甲等", "优秀", ""],
            "reason": ["太多", "无此人", "非数字", "未知等级", "两个都填", ""],
            "row": [2, 3, 4, 5, 6, 7],
        }
    )
    problems = check(rows, small_scheme, 5.0, {"E1", "E2", "E3"}, "adj.csv")
    found = list(zip(problems["row"], problems["column"], problems["value"], strict=True))
    assert found == [
        (2, "points", "6"),
        (3, "employee_id", "E9"),
        (4, "employee_id", "E2"),
        (4, "points", "x"),
        (5, "employee_id", "E2"),
        (5, "grade", "甲等"),
        (6, "grade", "优秀"),
        (7, "employee_id", ""),
        (7, "reason", ""),
    ]
    assert problems["problem"].iloc[0] == "加减分超出 ±5 / points beyond ±5"
    assert set(problems["file"]) == {"adj.csv"}


def test_an_adjustment_file_is_read_with_its_rows_numbered():
    text = "工号,加减分,原因\r\nE1,3,表扬\r\n,,\r\nE2,-2,迟到\r\n"
    rows, problems = read_file(text.encode("gb18030"), "adj.csv")
    assert problems.empty
    assert rows[["employee_id", "points", "reason", "row"]].values.tolist() == [
        ["E1", "3", "表扬", 2],
        ["E2", "-2", "迟到", 4],
    ]
    _, missing = read_file("工号,加减分\r\nE1,3\r\n".encode(), "adj.csv")
    assert missing["column"].tolist() == ["原因"]


def test_an_adjustment_workbook_is_read_like_a_csv_file():
    import io

    import openpyxl

    book = openpyxl.Workbook()
    for line in (["工号", "等级", "原因"], ["E1", "良好", "校准"], ["E2", None, None]):
        book.active.append(line)
    book.active.append(["E3", "优秀", "表扬"])
    saved = io.BytesIO()
    book.save(saved)
    rows, problems = read_file(saved.getvalue(), "adj.xlsx")
    assert problems.empty
    assert rows[["employee_id", "grade", "reason", "row"]].values.tolist() == [
        ["E1", "良好", "校准", 2],
        ["E2", "", "", 3],
        ["E3", "优秀", "表扬", 4],
    ]
    _, damaged = read_file(b"PK\x03\x04 not a workbook", "adj.xlsx")
    assert damaged["problem"].str.startswith("无法读取工作簿").tolist() == [True]


def test_an_adjustment_file_in_no_known_encoding_is_a_listed_problem():
    rows, problems = read_file("工号,加减分,原因\r\nE1,3,".encode() + b"\xff\xff\r\n", "adj.csv")
    assert rows.empty
    assert problems["problem"].str.startswith("无法识别文件编码").tolist() == [True]


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(st.tuples(st.sampled_from(["A", "B"]), ROW), min_size=1, max_size=20))
def test_without_adjustments_every_figure_is_todays(rows):
    table = score_table(facts([{**r, "department": d} for d, r in rows]), SCHEME)
    none = apply_adjustments(table, adjustments(), SCHEME)
    pd.testing.assert_frame_equal(none[table.columns], table)
    # a zero adjustment for everyone goes through the re-grading and re-ranking: same figures
    zero = adjustments(*[(e, 0.0, None, "无变化") for e in table["employee_id"]])
    again = apply_adjustments(table, zero, SCHEME)
    pd.testing.assert_frame_equal(again[table.columns], table)
    assert again["total"].equals(again["computed_total"])


# ------------------------------------------------------------------ states


def month(state: str = "open", **departments: str) -> Standing:
    return Standing("2026-10", state, departments or {"A": "open", "B": "open"})


def test_a_move_by_a_role_that_may_not_make_it_is_refused():
    with pytest.raises(MoveRefused, match="the role manager may not calibrate"):
        plan_move(CONFIG, MANAGER, "calibrate", month("submitted", A="submitted"))
    with pytest.raises(MoveRefused, match="the role hr may not approve"):
        plan_move(CONFIG, HR, "approve", month("calibrated"))
    with pytest.raises(MoveRefused, match="only a department of their own"):
        plan_move(CONFIG, MANAGER, "submit", month(), "B")


def test_moves_follow_the_order_and_moves_back_need_a_reason():
    with pytest.raises(MoveRefused, match="it is open; lock moves only from approved, published"):
        plan_move(CONFIG, ADMIN, "lock", month())
    with pytest.raises(MoveRefused, match="a reason is required"):
        plan_move(CONFIG, ADMIN, "unlock", month("locked"), reason="  ")
    states, detail = plan_move(CONFIG, ADMIN, "unlock", month("locked"), reason="补发奖金")
    assert states == {MONTH: "approved", "A": "approved", "B": "approved"}
    assert detail == "解锁 unlock: 2026-10 locked → approved; 补发奖金"


def test_an_approved_month_is_published_and_withdrawn_with_a_reason():
    states, detail = plan_move(CONFIG, HR, "publish", month("approved"))
    assert states == {MONTH: "published", "A": "published", "B": "published"}
    assert detail == "发布 publish: 2026-10 approved → published"
    with pytest.raises(MoveRefused, match="it is calibrated; publish moves only from approved"):
        plan_move(CONFIG, HR, "publish", month("calibrated"))
    with pytest.raises(MoveRefused, match="the role manager may not publish"):
        plan_move(CONFIG, MANAGER, "publish", month("approved"))
    with pytest.raises(MoveRefused, match="a reason is required"):
        plan_move(CONFIG, HR, "unpublish", month("published"))
    states, detail = plan_move(CONFIG, HR, "unpublish", month("published"), reason="奖金错误")
    assert states == {MONTH: "approved", "A": "approved", "B": "approved"}
    assert detail == "撤回发布 unpublish: 2026-10 published → approved; 奖金错误"
    states, _ = plan_move(CONFIG, HR, "lock", month("published"))
    assert states[MONTH] == "locked"


def test_the_last_department_submitted_submits_the_month():
    first, _ = plan_move(CONFIG, MANAGER, "submit", month(), "A")
    assert first == {"A": "submitted"}
    last, _ = plan_move(CONFIG, HR, "submit", month(A="submitted", B="open"), "B")
    assert last == {"B": "submitted", MONTH: "submitted"}


def test_a_department_sent_back_reopens_the_month():
    states, _ = plan_move(
        CONFIG, HR, "reopen", month("calibrated", A="calibrated", B="calibrated"), "A", "重算"
    )
    assert states == {"A": "open", "B": "submitted", MONTH: "open"}


def test_a_month_without_data_cannot_move():
    with pytest.raises(MoveRefused, match="has no data"):
        plan_move(CONFIG, ADMIN, "submit", Standing("2026-12", "open", {}))


def test_the_scheme_may_set_its_own_bound():
    raw = copy.deepcopy(SCHEME.raw)
    raw["cycle"] = {"max_adjustment": 3}
    assert CONFIG.bound(SCHEME) == 5.0
    assert CONFIG.bound(parse_scheme(raw)) == 3.0
    assert load_scheme().raw.get("cycle") is None


# ------------------------------------------------------------------ veto items


def test_a_veto_caps_the_grade_whatever_the_total_and_names_the_rule(small_scheme):
    from engine.cycle.veto import apply_vetoes

    raw = copy.deepcopy(small_scheme.raw)
    raw["cycle"] = {
        "vetoes": [
            {"name_zh": "重大失误", "column": "重大失误", "at_least": 1, "max_grade": "不合格"},
            {"name_zh": "有效投诉", "column": "complaints", "at_least": 3, "max_grade": "合格"},
        ]
    }
    vetoing = parse_scheme(raw, source="small")
    rows = facts(
        [
            {"employee_id": "E1", "days": 1, "complaints": 0, "csat": 95, "重大失误": "1"},
            {"employee_id": "E2", "days": 1, "complaints": 3, "csat": 95, "重大失误": "0"},
            {"employee_id": "E3", "days": 1, "complaints": 4, "csat": 95, "重大失误": "2"},
            {"employee_id": "E4", "days": 1, "complaints": 0, "csat": 95},
        ]
    )
    out = apply_vetoes(score_table(rows, vetoing), rows, vetoing).set_index("employee_id")
    assert out["total"].tolist() == [100.0, 82.0, 76.0, 100.0]
    assert out["grade"].astype(str).tolist() == ["不合格", "合格", "不合格", "优秀"]
    assert out["bonus"].tolist() == [-500.0, 0.0, -500.0, 1000.0]
    assert out["rank"].tolist() == [1, 3, 4, 1]
    assert out["veto"].tolist() == [
        "重大失误 ≥ 1 → 不合格",
        "有效投诉 ≥ 3 → 合格",
        "重大失误 ≥ 1 → 不合格; 有效投诉 ≥ 3 → 合格",
        "",
    ]
    raw["cycle"]["vetoes"][0]["max_grade"] = "甲"
    with pytest.raises(Exception, match="max_grade '甲' is not a grade"):
        apply_vetoes(score_table(rows, vetoing), rows, parse_scheme(raw, source="small"))


def test_the_statement_names_the_adjustment_and_the_veto():
    from engine.analysis.breakdown import closing_notes

    person = pd.Series(
        {
            "total": 59.0,
            "computed_total": 62.0,
            "adjustment": -3.0,
            "adjustment_reason": "迟到",
            "computed_grade": "及格",
            "grade": "不合格",
            "veto": "重大失误 ≥ 1 → 不合格",
        }
    )
    zh = [z for z, _ in closing_notes(person)]
    assert zh == [
        "加减分 -3.00(迟到):计算总分 62.00 → 总分 59.00。",
        "一票否决:重大失误 ≥ 1 → 不合格,等级为「不合格」。",
    ]
    assert closing_notes(pd.Series({"total": 80.0})) == []


# ------------------------------------------------------------------ calibration figures


def test_grade_counts_per_department_against_the_target_mix(small_scheme):
    from engine.cycle.calibration import grade_counts

    table = pd.DataFrame(
        {
            "department": ["A", "A", "A", "B", "A"],
            "grade": pd.Categorical(
                ["优秀", "良好", "良好", None, "优秀"], categories=SCHEME.grade_names
            ),
            "in_mix": [True, True, True, True, False],  # on probation: not in the mix
        }
    )
    out = grade_counts(table, SCHEME).set_index("department")
    assert out.loc["A", ["people", "优秀", "良好", "合格"]].tolist() == [3, 1, 2, 0]
    assert out.loc["A", ["优秀 %", "良好 %"]].tolist() == [33.3, 66.7]
    assert "B" not in out.index  # nobody graded
    assert out.loc["目标 target", "优秀 %"] == 15.0


def test_people_near_a_cutoff_closest_first(small_scheme):
    from engine.cycle.calibration import near_cutoffs

    table = pd.DataFrame(
        {
            "employee_id": ["E1", "E2", "E3", "E4", "E5"],
            "name": "n",
            "department": "A",
            "total": [89.5, 90.0, 71.2, 75.0, np.nan],
            "grade": ["良好", "优秀", "合格", "合格", None],
        }
    )
    out = near_cutoffs(table, small_scheme, 1.5)
    assert out[["employee_id", "cutoff", "points_to_cutoff"]].values.tolist() == [
        ["E2", 90.0, 0.0],
        ["E1", 90.0, 0.5],
        ["E3", 70.0, -1.2],
    ]


# ------------------------------------------------------------------ eligibility


def test_statuses_decide_grading_ranking_the_mix_and_prorated_money(small_scheme):
    from engine.cycle.eligibility import apply_eligibility

    raw = copy.deepcopy(small_scheme.raw)
    raw["cycle"] = {"probation_months": 3, "training_months": 2}
    scheme = parse_scheme(raw, source="small")
    rows = facts(
        [
            {"employee_id": "E1", "days": 1, "complaints": 0, "csat": 95, "状态": "在岗"},
            {"employee_id": "E2", "days": 3, "complaints": 1, "csat": 85, "状态": "离职"},
            {"employee_id": "E3", "days": 3, "complaints": 1, "csat": 75},
            {"employee_id": "E4", "days": 5, "complaints": 2, "csat": 75, "状态": "培训"},
            {"employee_id": "E5", "days": 1, "complaints": 0, "csat": 85},
            {"employee_id": "E6", "days": 1, "complaints": 0, "csat": 70},
        ]
    ).assign(
        出勤天数=["", "10", "", "", "", ""],
        hire_date=pd.to_datetime(
            ["2020-01-01", "2020-01-01", "2026-10-05", "2026-09-01", "2026-08-15", "2020-01-01"]
        ),
    )
    table = score_table(rows, scheme)
    out = apply_eligibility(table, rows, scheme).set_index("employee_id")
    assert out["total"].tolist() == [100.0, 82.0, 76.0, 64.0, 94.0, 88.0]  # scores stay
    assert out["status"].tolist() == ["在岗", "离职", "新入职", "培训期", "试用期", "在岗"]
    assert out["grade"].astype(object).fillna("—").tolist() == [
        "优秀",
        "良好",
        "—",
        "—",
        "优秀",
        "良好",
    ]
    # only E1 and E6 are ranked: E6 is second although E5 (probation, 94) scores more
    assert out["rank"].astype(object).fillna(0).tolist() == [1, 0, 0, 0, 0, 2]
    # 离职 with 10 of October's 31 days: 500 × 10 ÷ 31 = 161.29
    assert out["bonus"].fillna(-1).tolist() == [1000.0, 161.29, -1, -1, 1000.0, 500.0]
    assert out["in_mix"].tolist() == [True, False, False, False, False, True]
    assert out.loc["E3", "status_note"] == "新入职:不评级 / joined this month: not graded"
    assert out.loc["E5", "status_note"] == "试用期:不排名 / probation: not ranked"


@settings(max_examples=40, deadline=None)
@given(rows=st.lists(st.tuples(st.sampled_from(["A", "B"]), ROW), min_size=1, max_size=20))
def test_without_statuses_or_vetoes_every_figure_is_todays(rows):
    from engine.cycle.eligibility import apply_eligibility
    from engine.cycle.veto import apply_vetoes

    month = facts([{**r, "department": d} for d, r in rows])
    table = score_table(month, SCHEME)
    out = apply_eligibility(apply_vetoes(table, month, SCHEME), month, SCHEME)
    pd.testing.assert_frame_equal(out[table.columns], table)
    assert set(out["status"]) == {"在岗"} and out["in_mix"].all()


# ------------------------------------------------------------------ approval of adjustments


def test_a_pending_adjustment_moves_nothing_an_approved_one_does(small_scheme):
    table = small_rows(small_scheme)
    kept = adjustments(("E2", -5.0, None, "迟到两次"), ("E3", 5.0, None, "客户表扬")).assign(
        approved_by=[None, "li"]  # E2 still waits for approval
    )
    out = apply_adjustments(table, kept, small_scheme).set_index("employee_id")
    # E2 82 stays 良好; E3 76 + 5 = 81 → 良好 (80 ≤ 81 < 90), ranks E1, E2 (82), E3 (81).
    assert out["total"].tolist() == [100.0, 82.0, 81.0]
    assert out["grade"].astype(str).tolist() == ["优秀", "良好", "良好"]
    assert out["rank"].tolist() == [1, 2, 3]
    assert out["adjustment"].fillna(0).tolist() == [0.0, 0.0, 5.0]


def test_the_default_asks_approval_of_managers_by_admin_or_hr():
    assert CONFIG.approval_roles == ("manager",)
    assert CONFIG.approver_roles == ("admin", "hr")


@pytest.fixture
def demo(demo_target) -> Store:
    return Store(demo_target)


def manager_proposes(store: Store, scheme, employee: str, points: str) -> None:
    row = {"employee_id": employee, "points": points, "grade": "", "reason": "主动加班", "row": 1}
    propose(store.as_user("wang"), CONFIG, DEMO_MANAGER, scheme, "2026-10", pd.DataFrame([row]))


DEMO_MANAGER = Access("wang", "manager", ("客服部",))


def first_person(store: Store) -> str:
    facts = store.facts(["2026-10"])
    return str(facts.loc[facts["department"].eq("客服部"), "employee_id"].iloc[0])


def test_a_managers_adjustment_waits_for_approval_and_moves_figures_once_approved(demo, scheme):
    employee = first_person(demo)
    before = month_rows(demo, scheme, ["2026-10"]).set_index("employee_id").loc[employee]
    manager_proposes(demo, scheme, employee, "3")
    assert pending(demo, "2026-10")["employee_id"].tolist() == [employee]
    waiting = month_rows(demo, scheme, ["2026-10"]).set_index("employee_id").loc[employee]
    assert waiting["total"] == before["total"] and waiting["grade"] == before["grade"]
    with pytest.raises(AdjustmentRefused, match="proposer"):
        decide(demo.as_user("wang"), CONFIG, Access("wang", "hr"), "2026-10", employee, True)
    with pytest.raises(AdjustmentRefused, match="may not approve"):
        decide(demo.as_user("zhao"), CONFIG, Access("zhao", "manager"), "2026-10", employee, True)
    decide(demo.as_user("li"), CONFIG, HR, "2026-10", employee, True, "核实属实")
    after = month_rows(demo, scheme, ["2026-10"]).set_index("employee_id").loc[employee]
    total = round(float(before["total"]) + 3, 2)
    assert after["total"] == pytest.approx(total)
    assert str(after["grade"]) == grade_name(total, scheme)
    assert demo.adjustments()["approved_by"].tolist() == ["li"]
    assert pending(demo, "2026-10").empty
    log = demo.events()
    log = log[log["period"].eq("2026-10")]
    assert log["action"].tolist()[:2] == ["adjustment_approved", "adjustment"]
    assert log["username"].tolist()[:2] == ["li", "wang"]
    assert "核实属实" in log["detail"].iloc[0]


def grade_name(total: float, scheme) -> str:
    """The grade a total earns by the scheme's cutoffs, read off by hand: the first grade whose
    lower bound the total reaches."""
    for g in scheme.grades:
        if g.min is not None and total >= g.min:
            return g.name
    return scheme.grades[-1].name


def test_a_rejected_adjustment_is_gone_and_the_rejection_is_audited(demo, scheme):
    employee = first_person(demo)
    manager_proposes(demo, scheme, employee, "-2")
    with pytest.raises(AdjustmentRefused, match="reason"):
        decide(demo.as_user("li"), CONFIG, HR, "2026-10", employee, False)
    decide(demo.as_user("li"), CONFIG, HR, "2026-10", employee, False, "证据不足")
    assert demo.adjustments().empty
    last = demo.events().iloc[0]
    assert (last["action"], last["username"]) == ("adjustment_rejected", "li")
    assert "证据不足" in last["detail"]


def test_a_month_cannot_be_approved_or_locked_while_proposals_wait(demo, scheme):
    employee = first_person(demo)
    manager_proposes(demo, scheme, employee, "1")
    for action in ("submit", "calibrate"):
        make_move(demo, CONFIG, ADMIN, scheme, action, "2026-10")
    with pytest.raises(MoveRefused, match="1 adjustment"):
        make_move(demo, CONFIG, ADMIN, scheme, "approve", "2026-10")
    assert month_standing(demo, "2026-10").state == "calibrated"
    decide(demo.as_user("boss"), CONFIG, ADMIN, "2026-10", employee, True)
    for action in ("approve", "lock"):
        make_move(demo, CONFIG, ADMIN, scheme, action, "2026-10")
    assert month_standing(demo, "2026-10").state == "locked"


def test_admin_and_hr_adjustments_need_no_approval(demo, scheme):
    employee = first_person(demo)
    row = {"employee_id": employee, "points": "1", "grade": "", "reason": "表扬", "row": 1}
    propose(demo.as_user("li"), CONFIG, HR, scheme, "2026-10", pd.DataFrame([row]))
    assert demo.adjustments()["approved_by"].tolist() == ["li"]
    assert pending(demo, "2026-10").empty
