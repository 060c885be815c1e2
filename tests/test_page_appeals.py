"""AppTest of the appeals and interviews page (申诉与面谈): the queue scoped by department, taking
an appeal into review and deciding it, the dashboard, interview records and their follow-up."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from engine.accounts import Access, add_user
from engine.cycle import appeals, interviews
from engine.cycle.close import make_move
from engine.cycle.config import load_cycle
from engine.schemes.scheme import load_scheme
from engine.store import Store
from tests.apptest import open_page, using_demo_store
from tests.test_appeals import EmployeeAccess

PERIOD = "2026-10"
ADMIN = Access("boss", "admin")
# E0003 works in 客服部, E0002 in 技术支持部 (the demo data).
SERVICE, SUPPORT = "E0003", "E0002"


@pytest.fixture
def store(tmp_path) -> Iterator[Store]:
    """The demo store with October published and two appeals filed."""
    with using_demo_store(tmp_path) as store:
        scheme = load_scheme()
        for action in ("submit", "calibrate", "approve", "publish"):
            make_move(store, load_cycle(), ADMIN, scheme, action, PERIOD)
        for employee, kpi in ((SERVICE, "satisfaction"), (SUPPORT, "late_responses")):
            who = EmployeeAccess(employee.lower(), "employee", (), employee)
            appeals.file_appeal(
                store.as_user(who.user), scheme, who, PERIOD, employee, "数据有误", [kpi]
            )
        yield store


def queue_shown(at) -> list[str]:
    return at.main.dataframe[0].value["工号"].tolist()


def test_admin_takes_an_appeal_into_review_and_upholds_it(store):
    at = open_page("appeals")
    assert not at.exception
    assert queue_shown(at) == [SERVICE, SUPPORT]
    board = at.main.dataframe[1].value.set_index("部门")
    assert board.loc["客服部", ["申诉数", "未处理", "调整占比 %"]].tolist() == ["1", "1", ""]
    at.button(key="appeal_take").click().run()
    assert not at.exception
    assert store.appeals()["state"].tolist() == ["review", "pending"]
    total = at.main.caption  # the chosen person's figures now
    assert any(c.value.startswith("当前:") for c in total)
    at.radio(key="appeal_uphold").set_value(True)
    at.number_input(key="appeal_points_1").set_value(2.0)
    at.text_input(key="appeal_reason").set_value("满意度回访记录缺失,已核实")
    at.button(key="appeal_decide").click().run()
    assert not at.exception
    decided = store.appeals().iloc[0]
    assert (decided["state"], decided["points"], decided["decided_by"]) == ("upheld", 2.0, "local")
    kept = store.adjustments([PERIOD])
    assert kept["employee_id"].tolist() == [SERVICE] and kept["approved_by"].tolist() == ["local"]
    assert queue_shown(at) == [SUPPORT]  # the open ones by default
    at.multiselect(key="appeals_states").set_value(["upheld"]).run()
    upheld = at.main.dataframe[0].value
    assert upheld[["调整", "调整状态"]].values.tolist() == [["+2", "已生效"]]


def test_a_manager_sees_and_decides_only_their_departments_appeals(store, tmp_path, monkeypatch):
    accounts = tmp_path / "accounts.toml"
    add_user("wang", "wang-password", "manager", ["客服部"], file=accounts)
    monkeypatch.setenv("ASSESS_ACCOUNTS", str(accounts))
    manager = Access("wang", "manager", ("客服部",))
    at = open_page("appeals", access=manager, last_seen=time.time())
    assert not at.exception
    assert queue_shown(at) == [SERVICE]
    assert at.main.dataframe[1].value["部门"].tolist() == ["客服部"]
    at.button(key="appeal_decide").click().run()  # no reason
    assert "处理申诉需要填写理由 / a reason is required for the decision" in [
        t.value for t in at.main.text
    ]
    at.text_input(key="appeal_reason").set_value("回访录音显示不满意")
    at.button(key="appeal_decide").click().run()
    assert not at.exception
    assert store.appeals()["state"].tolist() == ["rejected", "pending"]
    assert store.adjustments().empty


def test_viewers_cannot_open_the_page(store, tmp_path, monkeypatch):
    accounts = tmp_path / "accounts.toml"
    add_user("zhou", "zhou-password", "viewer", [], file=accounts)
    monkeypatch.setenv("ASSESS_ACCOUNTS", str(accounts))
    at = open_page(access=Access("zhou", "viewer"), last_seen=time.time())
    with pytest.raises(ValueError):
        at.switch_page("pages/appeals.py").run()


def test_an_interview_is_kept_on_the_page_and_followed_up_the_next_month(store):
    scheme = load_scheme()
    interviews.save(
        store,
        load_cycle(),
        ADMIN,
        scheme,
        "2026-09",
        SERVICE,
        "耐心",
        "满意度低",
        "每单回访",
        ["satisfaction"],
    )
    at = open_page("appeals")
    at.selectbox(key="interview_employee").set_value(SUPPORT).run()
    at.text_area(key=f"iv_strengths_{SUPPORT}").set_value("技术扎实")
    at.text_area(key=f"iv_plan_{SUPPORT}").set_value("出差时手机保持畅通")
    at.button(key="iv_save").click().run()
    assert [t.value for t in at.main.text][-1].endswith("name the KPIs the plan targets")
    at.multiselect(key=f"iv_kpis_{SUPPORT}").set_value(["late_responses"])
    at.button(key="iv_save").click().run()
    assert not at.exception
    kept = interviews.record(store, PERIOD, SUPPORT)
    assert (kept["strengths"], kept["plan_kpis"], kept["manager_confirmed_by"]) == (
        "技术扎实",
        ["late_responses"],
        "local",
    )
    assert at.main.dataframe[2].value["工号"].tolist() == [SUPPORT]
    followed = at.main.dataframe[3].value
    expected = interviews.progress_for(store, scheme, SERVICE, PERIOD).iloc[0]
    assert followed[["工号", "面谈月份", "指标"]].values.tolist() == [
        [SERVICE, "2026-09", scheme.kpi("satisfaction").label()]
    ]
    assert followed["本月得分"].iloc[0] == f"{expected['points_after']:g}"


def test_the_page_opens_on_a_month_without_appeals_or_interviews(tmp_path):
    with using_demo_store(tmp_path):
        at = open_page("appeals")
        assert not at.exception
        captions = [c.value for c in at.main.caption]
        assert "没有符合条件的申诉。" in captions and "本期没有申诉。" in captions
        assert "本月还没有面谈记录。" in captions
        quarter = open_page("appeals", period_kind="quarter")
        assert not quarter.exception
        assert "面谈记录按月填写:请选择一个月份。" in [i.value for i in quarter.main.info]
