"""AppTest of the employee's section of a published month (ui/acknowledge.py): accept, appeal
with the values believed right, the decision shown, the interview record confirmed."""

from __future__ import annotations

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from engine.cycle import appeals, interviews
from engine.cycle.close import make_move
from engine.store import Store
from tests.test_appeals import ADMIN, CONFIG, HR, MANAGER_A, PERIOD, tiny_scheme, tiny_store


@pytest.fixture
def scheme():
    return tiny_scheme()


@pytest.fixture
def store(tmp_path, scheme) -> Store:
    return tiny_store(tmp_path, scheme)


def section(db: str, employee_id: str, period: str) -> None:
    """The section as the employee's page draws it, for one signed-in employee."""
    from engine.store import Store
    from tests.test_appeals import person, tiny_scheme
    from ui import acknowledge

    who = person(employee_id)
    acknowledge.draw(period, tiny_scheme(), who, Store(db).as_user(who.user))


def run(store, employee_id: str = "E3") -> AppTest:
    at = AppTest.from_function(
        section, args=(str(store.path), employee_id, PERIOD), default_timeout=60
    )
    return at.run()


def texts(at: AppTest) -> list[str]:
    return [t.value for t in at.text]


def test_an_employee_appeals_and_sees_the_decision(store, scheme):
    at = run(store)
    assert not at.exception
    assert any("Accept or appeal by" in c.value or "前确认或申诉" in c.value for c in at.caption)
    at.multiselect(key=f"ack_kpis_{PERIOD}").set_value(["complaints"]).run()
    at.text_input(key=f"ack_value_{PERIOD}_complaints").set_value("零").run()
    at.text_area(key=f"ack_reason_{PERIOD}").set_value("投诉已撤销").run()
    at.button(key=f"ack_appeal_{PERIOD}").click().run()
    assert store.appeals().empty and "认为正确的值需为数字" in [e.value for e in at.error]
    at.text_input(key=f"ack_value_{PERIOD}_complaints").set_value("0").run()
    at.button(key=f"ack_appeal_{PERIOD}").click().run()
    assert not at.exception
    filed = store.appeals().iloc[0]
    assert (filed["employee_id"], filed["kpis"], filed["believed"]) == (
        "E3",
        '["complaints"]',
        '{"complaints": 0.0}',
    )
    assert at.metric[0].value == "待处理"
    assert not [b for b in at.button if b.key == f"ack_accept_{PERIOD}"]  # answered
    appeals.decide(store.as_user("li"), CONFIG, HR, scheme, filed["appeal_id"], True, "属实", 6)
    at = run(store)
    assert at.metric[0].value == "已调整"
    assert any(t.startswith("属实 (+6) · li") for t in texts(at))
    assert "调整状态: 已生效" in [c.value for c in at.caption]


def test_an_employee_accepts_and_a_late_one_is_told_the_window_closed(store, scheme):
    at = run(store, "E2")
    at.button(key=f"ack_accept_{PERIOD}").click().run()
    assert not at.exception
    assert store.acknowledgements()["employee_id"].tolist() == ["E2"]
    assert "已接受本月结果" in [s.value for s in at.success]
    make_move(store, CONFIG, ADMIN, scheme, "unpublish", PERIOD, reason="更正")
    assert "本月结果尚未发布。" in [i.value for i in run(store, "E4").info]


def test_the_window_closed_is_said_and_no_form_is_offered(store, scheme, monkeypatch):
    late = appeals.published_at(store, PERIOD) + pd.Timedelta(days=8)
    monkeypatch.setattr(type(store), "now", lambda self: late)
    at = run(store, "E4")
    assert not at.exception
    assert any("结果视为接受" in i.value for i in at.info)
    assert not [b for b in at.button if b.key in (f"ack_accept_{PERIOD}", f"ack_appeal_{PERIOD}")]


def test_the_employee_comments_and_confirms_the_interview_record(store, scheme):
    at = run(store)
    assert "本月还没有面谈记录。" in [c.value for c in at.caption]
    interviews.save(
        store.as_user("wang"),
        CONFIG,
        MANAGER_A,
        scheme,
        PERIOD,
        "E3",
        "沟通耐心",
        "投诉闭环慢",
        "每周复盘投诉",
        ["complaints"],
    )
    at = run(store)
    assert texts(at)[-5:] == ["沟通耐心", "投诉闭环慢", "每周复盘投诉", "complaints", "wang"]
    at.text_area(key=f"ack_comment_{PERIOD}").set_value("同意").run()
    at.button(key=f"ack_confirm_{PERIOD}").click().run()
    assert not at.exception
    kept = interviews.record(store, PERIOD, "E3")
    assert (kept["employee_comment"], kept["employee_confirmed_by"]) == ("同意", "e3")
    assert any(s.value.startswith("你已确认此面谈记录") for s in at.success)
    assert store.events()["action"].iloc[0] == "interview_confirmed"


def test_an_account_of_no_employee_sees_no_form(store):
    def staff(db: str) -> None:
        from engine.accounts import Access
        from engine.store import Store
        from tests.test_appeals import tiny_scheme
        from ui import acknowledge

        acknowledge.draw("2026-10", tiny_scheme(), Access("li", "hr"), Store(db))

    at = AppTest.from_function(staff, args=(str(store.path),), default_timeout=60).run()
    assert [i.value for i in at.info] == ["此账号未关联员工。"]
    assert not at.button
