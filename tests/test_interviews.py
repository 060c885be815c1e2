"""Interview records (绩效面谈): kept by the manager or HR, confirmed by both sides, and whether the
KPIs of the improvement plan moved in the months after."""

from __future__ import annotations

import pandas as pd
import pytest

from engine.cycle import interviews
from engine.cycle.close import make_move
from engine.cycle.interviews import InterviewRefused
from engine.intake.parse import parse_file
from engine.store import Store
from tests.test_appeals import (
    ADMIN,
    CONFIG,
    CSV,
    HR,
    MANAGER_A,
    MANAGER_B,
    PERIOD,
    person,
    tiny_scheme,
)

# November: E3 without complaints (80 → 100 points) and CSAT 72 (still the 70 tier).
NOVEMBER = CSV.replace("E3,丙,A,T,服务工程师,3,1,75", "E3,丙,A,T,服务工程师,3,0,72")


@pytest.fixture
def scheme():
    return tiny_scheme()


@pytest.fixture
def store(tmp_path, scheme) -> Store:
    """October published, November imported (open)."""
    kept = Store(tmp_path / "tiny.duckdb")
    for text, period in ((CSV, PERIOD), (NOVEMBER, "2026-11")):
        kept.import_file(parse_file(text.encode(), scheme, file_name=f"{period}.csv"))
    for action in ("submit", "calibrate", "approve", "publish"):
        make_move(kept, CONFIG, ADMIN, scheme, action, PERIOD)
    return kept


def keep(store: Store, scheme, who=MANAGER_A, **changes) -> str:
    fields = {
        "strengths": "客户沟通耐心",
        "improve": "投诉处理不及时",
        "plan": "每周复盘投诉,48 小时内闭环",
        "plan_kpis": ["complaints", "csat"],
    }
    fields |= changes
    return interviews.save(store.as_user(who.user), CONFIG, who, scheme, PERIOD, "E3", **fields)


def test_the_interviewer_keeps_the_record_and_the_employee_confirms_it(store, scheme):
    keep(store, scheme)
    kept = interviews.record(store, PERIOD, "E3")
    assert kept["plan_kpis"] == ["complaints", "csat"]
    assert (kept["strengths"], kept["manager_confirmed_by"]) == ("客户沟通耐心", "wang")
    assert pd.isna(kept["employee_confirmed_by"])
    interviews.confirm(store.as_user("e3"), person("E3"), PERIOD, "E3", "同意改进计划")
    kept = interviews.record(store, PERIOD, "E3")
    assert (kept["employee_comment"], kept["employee_confirmed_by"]) == ("同意改进计划", "e3")
    # Changed words must be confirmed again by the employee; the same words keep it.
    keep(store, scheme)
    assert interviews.record(store, PERIOD, "E3")["employee_confirmed_by"] == "e3"
    keep(store, scheme, improve="投诉处理不及时,回访遗漏")
    assert pd.isna(interviews.record(store, PERIOD, "E3")["employee_confirmed_by"])
    actions = store.events()["action"].tolist()
    assert actions[:4] == [
        "interview_saved",
        "interview_saved",
        "interview_confirmed",
        "interview_saved",
    ]


def test_who_may_keep_and_confirm_a_record(store, scheme):
    with pytest.raises(InterviewRefused, match="another department"):
        keep(store, scheme, who=MANAGER_B)
    with pytest.raises(InterviewRefused, match="may not keep"):
        keep(store, scheme, who=person("E3"))
    with pytest.raises(InterviewRefused, match="name the KPIs"):
        keep(store, scheme, plan_kpis=[])
    with pytest.raises(InterviewRefused, match="no such KPI"):
        keep(store, scheme, plan_kpis=["speed"])
    with pytest.raises(InterviewRefused, match="empty"):
        keep(store, scheme, strengths=" ", improve="", plan="", plan_kpis=[])
    with pytest.raises(InterviewRefused, match="no interview record"):
        interviews.confirm(store, person("E3"), PERIOD, "E3")
    keep(store, scheme, who=HR)
    with pytest.raises(InterviewRefused, match="only the person"):
        interviews.confirm(store, person("E2"), PERIOD, "E3")
    make_move(store, CONFIG, ADMIN, scheme, "unpublish", PERIOD, reason="更正")
    with pytest.raises(InterviewRefused, match="not published"):
        interviews.confirm(store, person("E3"), PERIOD, "E3")


def test_the_next_statement_shows_whether_the_planned_kpis_moved(store, scheme):
    keep(store, scheme)
    moved = interviews.progress_for(store, scheme, "E3", "2026-11").set_index("kpi")
    # complaints: one complaint (−20) → 80 points in October, none → 100 in November: up 20.
    # CSAT 75 % and 72 % both earn the 70 tier: unchanged.
    assert moved.loc[
        "complaints", ["points_before", "points_after", "change", "moved"]
    ].tolist() == [
        80.0,
        100.0,
        20.0,
        "up",
    ]
    assert moved.loc["csat", ["points_before", "points_after", "moved"]].tolist() == [
        70.0,
        70.0,
        "same",
    ]
    assert interviews.progress_for(store, scheme, "E3", PERIOD).empty  # not before it
    assert interviews.progress_for(store, scheme, "E2", "2026-11").empty  # no interview


def test_plan_progress_over_several_months_and_missing_points(scheme):
    monthly = pd.DataFrame(
        {
            "employee_id": ["E1"] * 3,
            "period": ["2026-01", "2026-02", "2026-03"],
            "score_days": [60.0, 40.0, None],
            "score_complaints": [100.0, 100.0, 100.0],
            "score_csat": [70.0, 70.0, 85.0],
        }
    )
    held = pd.DataFrame(
        {"employee_id": ["E1"], "period": ["2026-01"], "plan_kpis": ['["days", "csat"]']}
    )
    out = interviews.plan_progress(monthly, held, scheme)
    shown = out[["period", "kpi", "change", "moved"]].astype(object)
    assert shown.where(out.notna(), None).values.tolist() == [
        ["2026-02", "csat", 0.0, "same"],
        ["2026-02", "days", -20.0, "down"],
        ["2026-03", "csat", 15.0, "up"],
        ["2026-03", "days", None, "none"],
    ]
