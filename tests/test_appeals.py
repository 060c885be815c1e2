"""Acknowledgement and appeal of a published month: the window, who may, the queue, upheld →
adjustment → figures move, rejected → nothing moves, locking over open appeals, the audit."""

from __future__ import annotations

import copy
from dataclasses import dataclass

import pandas as pd
import pytest

from engine.accounts import Access
from engine.cycle import appeals
from engine.cycle.appeals import AppealRefused
from engine.cycle.close import decide as decide_adjustment
from engine.cycle.close import make_move, month_standing
from engine.cycle.config import load_cycle
from engine.cycle.results import month_rows
from engine.cycle.states import MoveRefused
from engine.intake.parse import parse_file
from engine.schemes.scheme import parse_scheme
from engine.store import Store
from tests.conftest import DUCKDB_ONLY, SMALL_SCHEME

CONFIG = load_cycle()
ADMIN, HR = Access("boss", "admin"), Access("li", "hr")
MANAGER_A, MANAGER_B = Access("wang", "manager", ("A",)), Access("zhao", "manager", ("B",))
PERIOD = "2026-10"
# E1 100 优秀, E2 82 良好, E3 76 合格 in department A; E4 94 优秀 in B (see tiny_scheme).
CSV = (
    "工号,姓名,部门,班组,岗位,days,complaints,csat\n"
    "E1,甲,A,T,服务工程师,1,0,95\n"
    "E2,乙,A,T,服务工程师,3,1,85\n"
    "E3,丙,A,T,服务工程师,3,1,75\n"
    "E4,丁,B,T,服务工程师,1,0,85\n"
)


@dataclass(frozen=True)
class EmployeeAccess(Access):
    """An account linked to one employee (the `employee` role)."""

    employee_id: str = ""


def person(employee_id: str) -> EmployeeAccess:
    return EmployeeAccess(employee_id.lower(), "employee", (), employee_id)


def tiny_scheme(**cycle) -> object:
    """Quality 60 % (days bands, complaints −20 each), attitude 40 % (CSAT tiers); adjustments
    up to ±10; money 优秀 1000, 良好 500, 合格 0."""
    raw = copy.deepcopy(SMALL_SCHEME)
    raw["cycle"] = {"max_adjustment": 10, **cycle}
    return parse_scheme(raw, source="tiny")


@pytest.fixture
def scheme():
    return tiny_scheme()


@pytest.fixture
def store(tmp_path, scheme, db_target) -> Store:
    return tiny_store(tmp_path, scheme, db_target)


def tiny_store(folder, scheme, target: str | None = None) -> Store:
    """The tiny month imported and published by admin (in `target`, else a file in `folder`)."""
    kept = Store(target or folder / "tiny.duckdb")
    parsed = parse_file(CSV.encode(), scheme, file_name=f"{PERIOD}.csv")
    assert parsed.ok, parsed.problems
    kept.import_file(parsed)
    for action in ("submit", "calibrate", "approve", "publish"):
        make_move(kept.as_user("boss"), CONFIG, ADMIN, scheme, action, PERIOD)
    return kept


def results(store: Store, scheme) -> pd.DataFrame:
    table = month_rows(store, scheme, [PERIOD]).set_index("employee_id")
    return table[["total", "grade", "rank", "dept_rank", "team_rank", "bonus"]].astype(object)


def appeal_e3(store: Store, scheme, **extra) -> int:
    return appeals.file_appeal(
        store.as_user("e3"),
        scheme,
        person("E3"),
        PERIOD,
        "E3",
        "投诉已撤销,不应扣分",
        ["complaints"],
        {"complaints": 0},
        **extra,
    )


# ------------------------------------------------------------------ who, when, what


@DUCKDB_ONLY
def test_the_window_is_counted_from_publication_as_the_scheme_sets(store, scheme):
    start = appeals.published_at(store, PERIOD)
    assert start is not None
    assert appeals.appeal_days(scheme) == 7  # the default
    late = start + pd.Timedelta(days=7, minutes=1)
    with pytest.raises(AppealRefused, match="window"):
        appeal_e3(store, scheme, now=late)
    with pytest.raises(AppealRefused, match="window"):
        appeals.acknowledge(store, scheme, person("E2"), PERIOD, "E2", now=late)
    three = tiny_scheme(appeal_days=3)
    with pytest.raises(AppealRefused, match="3 days"):
        appeal_e3(store, three, now=start + pd.Timedelta(days=4))
    assert store.appeals().empty and store.acknowledgements().empty
    number = appeal_e3(store, scheme, now=start + pd.Timedelta(days=6, hours=23))
    assert store.appeals()["appeal_id"].tolist() == [number]


@DUCKDB_ONLY
def test_an_unpublished_month_cannot_be_accepted_or_appealed(store, scheme):
    make_move(store, CONFIG, ADMIN, scheme, "unpublish", PERIOD, reason="数据有误")
    with pytest.raises(AppealRefused, match="not published"):
        appeal_e3(store, scheme)
    with pytest.raises(AppealRefused, match="not published"):
        appeals.acknowledge(store, scheme, person("E3"), PERIOD, "E3")
    assert appeals.published_at(store, PERIOD) is None


@DUCKDB_ONLY
def test_nobody_answers_for_someone_else(store, scheme):
    for who in (person("E2"), HR, ADMIN, MANAGER_A):
        with pytest.raises(AppealRefused, match="only the person"):
            appeals.file_appeal(store, scheme, who, PERIOD, "E3", "x", ["csat"])
        with pytest.raises(AppealRefused, match="only the person"):
            appeals.acknowledge(store, scheme, who, PERIOD, "E3")
    assert store.appeals().empty and store.acknowledgements().empty


def test_an_appeal_needs_a_reason_and_known_kpis_and_comes_once(store, scheme):
    with pytest.raises(AppealRefused, match="reason") as refused:
        appeals.file_appeal(store, scheme, person("E3"), PERIOD, "E3", " ", ["nope"])
    assert "no such KPI: nope" in str(refused.value)
    with pytest.raises(AppealRefused, match="KPIs disputed"):
        appeals.file_appeal(store, scheme, person("E3"), PERIOD, "E3", "不公平", [])
    with pytest.raises(AppealRefused, match="not disputed"):
        appeals.file_appeal(
            store, scheme, person("E3"), PERIOD, "E3", "不公平", ["csat"], {"days": 1}
        )
    appeal_e3(store, scheme)
    with pytest.raises(AppealRefused, match="one appeal per month"):
        appeal_e3(store, scheme)
    with pytest.raises(AppealRefused, match="one appeal per month"):
        appeals.acknowledge(store, scheme, person("E3"), PERIOD, "E3")
    appeals.acknowledge(store, scheme, person("E2"), PERIOD, "E2")
    with pytest.raises(AppealRefused, match="already accepted"):
        appeals.file_appeal(store, scheme, person("E2"), PERIOD, "E2", "再想想", ["csat"])


@DUCKDB_ONLY
def test_the_queue_is_scoped_like_every_page(store, scheme):
    appeal_e3(store, scheme)
    appeals.file_appeal(store, scheme, person("E4"), PERIOD, "E4", "满意度样本太少", ["csat"])
    assert appeals.queue(store, HR)["employee_id"].tolist() == ["E3", "E4"]
    assert appeals.queue(store, MANAGER_A)["employee_id"].tolist() == ["E3"]
    assert appeals.queue(store, person("E4"))["employee_id"].tolist() == ["E4"]
    first = appeals.queue(store, HR).iloc[0]
    assert (first["state_name"], first["kpi_list"]) == ("待处理 pending", ["complaints"])
    assert first["believed_values"] == {"complaints": 0.0}
    with pytest.raises(AppealRefused, match="another department"):
        appeals.take(store, CONFIG, MANAGER_B, first["appeal_id"])
    with pytest.raises(AppealRefused, match="may not handle"):
        appeals.take(store, CONFIG, person("E3"), first["appeal_id"])


# ------------------------------------------------------------------ decisions


def test_upheld_becomes_an_adjustment_and_total_grade_ranks_and_money_move(store, scheme):
    before = results(store, scheme)
    number = appeal_e3(store, scheme)
    # Scoring E3 again with 0 complaints: quality (80 + 100) / 2 = 90 → 54 + CSAT 70 × 0.4 =
    # 28 → 82, six points more than 76.
    appeal = appeals.queue(store, HR).iloc[0]
    assert appeals.suggested_points(store, scheme, appeal) == 6
    appeals.take(store.as_user("li"), CONFIG, HR, number)
    assert store.appeals()["state"].tolist() == ["review"]
    with pytest.raises(AppealRefused, match="reason"):
        appeals.decide(store, CONFIG, HR, scheme, number, True, " ", points=10)
    with pytest.raises(AppealRefused, match="beyond"):
        appeals.decide(store, CONFIG, HR, scheme, number, True, "属实", points=11)
    said = appeals.decide(store.as_user("li"), CONFIG, HR, scheme, number, True, "属实", 10)
    assert "upheld +10" in said
    after = results(store, scheme)
    # E3 76 + 10 = 86: 合格 → 良好, money 0 → 500; it passes E2 (82): company ranks E1 100,
    # E4 94, E3 86, E2 82; in department A E1, E3, E2 (one team, so team ranks the same).
    assert after.loc["E3"].tolist() == [86.0, "良好", 3, 2, 2, 500.0]
    assert after.loc["E2"].tolist() == [82.0, "良好", 4, 3, 3, 500.0]
    assert before.loc["E3"].tolist() == [76.0, "合格", 4, 3, 3, 0.0]
    assert before.loc[["E1", "E4"]].equals(after.loc[["E1", "E4"]])
    kept = store.adjustments([PERIOD]).iloc[0]
    assert (kept["employee_id"], kept["points"], kept["approved_by"]) == ("E3", 10.0, "li")
    assert kept["reason"].startswith(f"申诉 #{number} 已调整 / appeal #{number} upheld: 属实")
    decided = appeals.queue(store, person("E3")).iloc[0]
    assert decided[["state", "decision", "decided_by"]].tolist() == ["upheld", "属实", "li"]
    assert decided["points"] == 10 and decided["days_to_decide"] >= 0
    with pytest.raises(AppealRefused, match="already upheld"):
        appeals.decide(store, CONFIG, HR, scheme, number, False, "再议")


@DUCKDB_ONLY
def test_rejected_changes_nothing(store, scheme):
    before = results(store, scheme)
    number = appeal_e3(store, scheme)
    with pytest.raises(AppealRefused, match="reason"):
        appeals.decide(store, CONFIG, MANAGER_A, scheme, number, False, "")
    appeals.decide(store.as_user("wang"), CONFIG, MANAGER_A, scheme, number, False, "投诉属实")
    assert results(store, scheme).equals(before)
    assert store.adjustments().empty
    decided = store.appeals().iloc[0]
    assert (decided["state"], decided["decision"], decided["decided_by"]) == (
        "rejected",
        "投诉属实",
        "wang",
    )


def test_a_managers_upheld_appeal_waits_for_approval_like_any_adjustment(store, scheme):
    number = appeal_e3(store, scheme)
    before = results(store, scheme)
    appeals.decide(store.as_user("wang"), CONFIG, MANAGER_A, scheme, number, True, "属实", 6)
    assert results(store, scheme).equals(before)  # waiting: no figure moves yet
    with pytest.raises(MoveRefused, match="waiting for approval"):
        make_move(store, CONFIG, ADMIN, scheme, "lock", PERIOD)
    assert appeals.queue(store, HR)["adjustment_state"].tolist() == ["waiting"]
    decide_adjustment(store.as_user("li"), CONFIG, HR, PERIOD, "E3", True, "同意")
    assert results(store, scheme).loc["E3", "total"] == 82.0
    assert appeals.queue(store, HR)["adjustment_state"].tolist() == ["in_force"]


@DUCKDB_ONLY
def test_an_upheld_appeal_whose_adjustment_is_rejected_says_so(store, scheme):
    number = appeal_e3(store, scheme)
    other = appeals.file_appeal(store, scheme, person("E2"), PERIOD, "E2", "样本少", ["csat"])
    appeals.decide(store.as_user("wang"), CONFIG, MANAGER_A, scheme, number, True, "属实", 6)
    decide_adjustment(store.as_user("li"), CONFIG, HR, PERIOD, "E3", False, "证据不足")
    listed = appeals.queue(store, HR)
    assert listed["appeal_id"].tolist() == [number, other]
    assert listed["adjustment_state"].tolist() == ["gone", ""]


def test_points_of_an_upheld_appeal_add_to_an_earlier_adjustment(store, scheme):
    make_move(store, CONFIG, ADMIN, scheme, "reopen", PERIOD, "A", reason="补加分")
    row = {"employee_id": "E3", "points": "2", "grade": "", "reason": "主动加班", "row": 1}
    from engine.cycle.close import propose

    propose(store.as_user("li"), CONFIG, HR, scheme, PERIOD, pd.DataFrame([row]))
    for action in ("submit", "calibrate", "approve", "publish"):
        make_move(store, CONFIG, ADMIN, scheme, action, PERIOD)
    number = appeal_e3(store, scheme)
    appeals.decide(store.as_user("li"), CONFIG, HR, scheme, number, True, "属实", 6)
    kept = store.adjustments([PERIOD]).iloc[0]
    assert kept["points"] == 8 and "主动加班" in kept["reason"]
    assert results(store, scheme).loc["E3", "total"] == 84.0


# ------------------------------------------------------------------ locking


def test_a_month_with_open_appeals_is_not_locked(store, scheme):
    number = appeal_e3(store, scheme)
    with pytest.raises(MoveRefused, match="open appeal"):
        make_move(store, CONFIG, ADMIN, scheme, "lock", PERIOD)
    assert month_standing(store, PERIOD).state == "published"
    appeals.take(store, CONFIG, HR, number)
    with pytest.raises(MoveRefused, match="#1"):
        make_move(store, CONFIG, ADMIN, scheme, "lock", PERIOD)
    appeals.decide(store, CONFIG, HR, scheme, number, False, "证据不足")
    make_move(store, CONFIG, ADMIN, scheme, "lock", PERIOD)
    assert month_standing(store, PERIOD).state == "locked"


def test_the_scheme_may_lock_over_open_appeals_closing_them_unanswered(store):
    lenient = tiny_scheme(lock_with_open_appeals=True)
    number = appeal_e3(store, lenient)
    said = make_move(store.as_user("boss"), CONFIG, ADMIN, lenient, "lock", PERIOD)
    assert "closed unanswered" in said
    closed = store.appeals().iloc[0]
    assert (closed["state"], closed["decided_by"]) == ("closed", "boss")
    assert appeals.state_label(closed["state"]) == "已关闭(未答复) closed unanswered"
    log = store.events().iloc[:2]  # one transaction: the same moment, either order
    assert sorted(log["action"]) == ["appeal_closed", "month_lock"]
    assert f"#{number}" in log.loc[log["action"].eq("appeal_closed"), "detail"].iloc[0]


# ------------------------------------------------------------------ the audit log


def test_every_step_is_in_the_audit_log(store, scheme):
    appeals.acknowledge(store.as_user("e2"), scheme, person("E2"), PERIOD, "E2")
    number = appeal_e3(store, scheme)
    appeals.take(store.as_user("li"), CONFIG, HR, number)
    appeals.decide(store.as_user("li"), CONFIG, HR, scheme, number, True, "属实", 6)
    other = appeals.file_appeal(
        store.as_user("e4"), scheme, person("E4"), PERIOD, "E4", "样本少", ["csat"]
    )
    appeals.decide(store.as_user("zhao"), CONFIG, MANAGER_B, scheme, other, False, "样本足够")
    log = store.events()
    log = log[log["period"].eq(PERIOD)].iloc[::-1]
    steps = log[~log["action"].str.startswith("month_") & log["action"].ne("imported")]
    # The decision and its adjustment share one transaction (the same moment): kept as a pair.
    pairs = steps[["action", "username"]].values.tolist()
    assert pairs[:3] + sorted(pairs[3:5]) + pairs[5:] == [
        ["result_accepted", "e2"],
        ["appeal_filed", "e3"],
        ["appeal_in_review", "li"],
        ["adjustment", "li"],
        ["appeal_upheld", "li"],
        ["appeal_filed", "e4"],
        ["appeal_rejected", "zhao"],
    ]
    said = dict(zip(steps["action"], steps["detail"], strict=False))
    assert "属实" in said["appeal_upheld"] and f"#{number}" in said["adjustment"]
    assert "样本足够" in said["appeal_rejected"] and "样本少" in said["appeal_filed"]
    assert "投诉已撤销" in steps["detail"].iloc[1]


@DUCKDB_ONLY
def test_the_dashboard_counts_per_department(store, scheme):
    number = appeal_e3(store, scheme)
    appeals.decide(store, CONFIG, HR, scheme, number, True, "属实", 6)
    appeals.file_appeal(store, scheme, person("E2"), PERIOD, "E2", "样本少", ["csat"])
    other = appeals.file_appeal(store, scheme, person("E4"), PERIOD, "E4", "样本少", ["csat"])
    appeals.decide(store, CONFIG, HR, scheme, other, False, "样本足够")
    board = appeals.dashboard(appeals.queue(store, HR)).set_index("department")
    assert board.loc["A", ["appeals", "open", "upheld", "rejected"]].tolist() == [2, 1, 1, 0]
    assert board.loc["A", "upheld_share"] == 100.0
    assert board.loc["B", "upheld_share"] == 0.0
    assert board.loc["B", "median_days_to_decide"] >= 0
    assert appeals.dashboard(appeals.queue(store, MANAGER_B))["department"].tolist() == ["B"]


def test_each_step_of_an_appeal_is_told_to_its_departments_robot_only(
    store, scheme, tmp_path, monkeypatch
):
    from engine import notify
    from tests.test_notify import Robots, serving, text_of, write_config

    robots = serving(Robots())
    try:
        write_config(
            tmp_path,
            monkeypatch,
            f"""
[delivery]
retries = 0
[[recipients]]
name = "A 群"
channel = "wecom"
url = "{robots.address}/a?key=1"
departments = ["A"]
[[recipients]]
name = "B 群"
channel = "wecom"
url = "{robots.address}/b?key=2"
departments = ["B"]
""",
        )
        number = appeal_e3(store, scheme)
        appeals.take(store.as_user("li"), CONFIG, HR, number)
        appeals.decide(store.as_user("li"), CONFIG, HR, scheme, number, False, "投诉属实")
        assert notify.wait_for_deliveries(30)
        received = sorted(robots.received, key=lambda r: text_of(r).count("→"))
        assert {r["path"] for r in received} == {"/a"}
        texts = "\n".join(text_of(r) for r in received)
        for step in (f"申诉编号 {number}:待处理", "待处理 → 处理中", "处理中 → 已驳回"):
            assert step in texts
        assert len(received) == 3 and "E3" not in texts
    finally:
        robots.gate.set()
        robots.shutdown()
        robots.server_close()


def test_the_printed_statement_carries_the_interview_and_the_answer_and_the_report_the_appeal(
    store, scheme
):
    from engine.cycle import interviews
    from engine.cycle.printing import paper_records, report_appeals
    from engine.output.statement import build_statements
    from engine.output.statement_pdf import statements_pdf
    from tests.test_statement import pages_text

    interviews.save(
        store.as_user("li"),
        CONFIG,
        HR,
        scheme,
        PERIOD,
        "E2",
        "响应迅速",
        "投诉偏多",
        "减少投诉",
        ["complaints"],
    )
    appeals.acknowledge(store.as_user("e1"), scheme, person("E1"), PERIOD, "E1")
    number = appeal_e3(store, scheme)
    table = month_rows(store, scheme, [PERIOD])
    talks, answers = paper_records(store, PERIOD)
    built = build_statements(table, table, scheme, PERIOD, talks, answers)
    text = dict(zip([s.employee_id for s in built], pages_text(statements_pdf(built)), strict=True))
    assert "响应迅速" in text["E2"] and "投诉偏多" in text["E2"] and "减少投诉" in text["E2"]
    assert "响应迅速" not in text["E1"] + text["E3"] + text["E4"]
    said = {s.employee_id: s.acknowledgement for s in built}
    assert said["E1"].choice == "接受" and said["E3"].choice == "不接受" and said["E2"] is None
    assert said["E1"].at == str(store.acknowledgements([PERIOD])["accepted_at"].iloc[0])[:10]
    assert f"申诉 #{number}: 投诉已撤销,不应扣分" in text["E3"].replace("\n", "")
    open_ones = report_appeals(store, PERIOD, table[table["department"].eq("A")])
    assert open_ones[["employee_id", "name", "state"]].values.tolist() == [
        ["E3", "丙", "待处理 pending"]
    ]
    assert report_appeals(store, PERIOD, table[table["department"].eq("B")]).empty
    assert paper_records(store, "2026-Q4")[0].empty  # a quarter's statement has no interview


def test_a_persons_answers_windows_and_interviews_of_several_months_are_read_at_once(store, scheme):
    """我的绩效 draws a year of months: what each month's section shows is read once for all of
    them, month by month the same as one month's reading."""
    from engine.cycle import interviews

    november = CSV.replace("E4,丁,B,T,服务工程师,1,0,85\n", "")
    store.import_file(parse_file(november.encode(), scheme, file_name="2026-11.csv"))
    months = [PERIOD, "2026-11"]
    interviews.save(
        store.as_user("li"), CONFIG, HR, scheme, PERIOD, "E3", "快", "慢", "练", ["csat"]
    )
    number = appeal_e3(store, scheme)
    appeals.acknowledge(store.as_user("e2"), scheme, person("E2"), PERIOD, "E2")
    e3 = appeals.answers(store, months, "E3")
    assert e3[PERIOD]["appeal"]["appeal_id"] == number and e3[PERIOD]["accepted_at"] is None
    assert e3["2026-11"] == {"accepted_at": None, "appeal": None}
    e2 = appeals.answers(store, months, "E2")
    assert e2[PERIOD]["accepted_at"] == store.acknowledgements()["accepted_at"].iloc[0]
    assert e2[PERIOD]["appeal"] is None
    ends = appeals.window_ends(store, scheme, months)
    assert ends == {
        PERIOD: appeals.published_at(store, PERIOD) + pd.Timedelta(days=7),
        "2026-11": None,
    }  # November is not published
    held = interviews.records(store, months, "E3")
    assert held[PERIOD]["strengths"] == "快" and held[PERIOD]["plan_kpis"] == ["csat"]
    assert held["2026-11"] is None and interviews.records(store, months, "E2")[PERIOD] is None
    for month in months:  # one month's reading is the same
        assert appeals.window_end(store, scheme, month) == ends[month]
        assert interviews.record(store, month, "E3") == held[month]
