"""AppTest of the calibration page and of the month-state badge every page shows."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from engine import paths
from engine.accounts import Access, add_user
from engine.store import Store
from tests.apptest import open_page, using_demo_store
from ui.i18n import plain


@pytest.fixture
def store(tmp_path) -> Iterator[Store]:
    """A fresh demo store per test: these tests change the month's state."""
    with using_demo_store(tmp_path) as store:
        yield store


def texts(at) -> list[str]:
    return [t.value for t in at.main.text]


def badges(at) -> list[str]:
    return [m.value for m in at.main.markdown if "-badge[" in m.value]


def test_the_calibration_page_shows_the_month_departments_and_cutoffs(store):
    at = open_page("calibration")
    assert not at.exception
    assert badges(at) == [":gray-badge[2026-10 · 进行中]"]
    assert at.main.metric[0].value == "进行中"
    counts = at.main.dataframe[1].value
    departments = set(store.departments("2026-10"))
    assert set(counts["部门"]) == departments | {"目标"}  # headers in the user's language
    people = counts.loc[counts["部门"].isin(departments), "人数"].astype(int)
    assert people.sum() == len(store.facts(["2026-10"]))
    near = at.main.dataframe[3].value
    assert (near["距等级线"].abs() <= 2).all()


def test_an_adjustment_made_on_the_page_moves_every_figure(store):
    at = open_page("calibration")
    person = at.selectbox(key="adjust_employee").options[-1]  # the lowest total
    employee = person.split(" ")[0]
    at.selectbox(key="adjust_employee").set_value(employee)
    at.number_input(key="adjust_points").set_value(3.0)
    at.button(key="adjust_save").click().run()
    assert not at.exception
    assert "本月还没有调整。" in [c.value for c in at.main.caption]
    assert store.adjustments().empty
    assert texts(at)[-1] == "1 个问题,未保存"  # one language: no " / English" side
    assert at.main.dataframe[-1].value["问题"].tolist() == ["需要填写原因"]
    at.text_input(key="adjust_reason").set_value("客户书面表扬")
    at.button(key="adjust_save").click().run()
    assert not at.exception
    kept = store.adjustments()
    assert kept[["employee_id", "points", "reason"]].values.tolist() == [
        [employee, 3.0, "客户书面表扬"]
    ]
    so_far = at.main.dataframe[4].value.set_index("工号")
    assert so_far.loc[employee, "总分"] == pytest.approx(so_far.loc[employee, "计算总分"] + 3)
    employee_page = open_page("employee", query={"employee": employee})
    assert not employee_page.exception
    assert any("加减分 +3.00(客户书面表扬)" in t for t in texts(employee_page))


def test_a_month_closed_on_the_page_from_submit_to_lock(store):
    at = open_page("calibration")
    for action, state in (
        ("submit", "已提交"),
        ("calibrate", "已校准"),
        ("approve", "已审批"),
        ("lock", "已锁定"),
    ):
        at.selectbox(key="cycle_action").set_value(action)
        at.button(key="cycle_move").click().run()
        assert not at.exception
        assert at.main.metric[0].value == state, texts(at)
    assert badges(at) == [":green-badge[2026-10 · 已锁定]"]
    assert set(store.month_states(["2026-10"])["state"]) == {"locked"}
    at.selectbox(key="cycle_action").set_value("unlock")
    at.button(key="cycle_move").click().run()
    assert any("需要填写理由" in t for t in texts(at))
    assert not any("a reason is required" in t for t in texts(at))
    assert at.main.metric[0].value == "已锁定"
    overview = open_page("overview")
    assert not overview.exception
    assert badges(overview) == [":green-badge[2026-10 · 已锁定]"]
    quarter = open_page("overview", period_kind="quarter")
    assert badges(quarter) == [":green-badge[2026-10 · 已锁定]"]  # the demo has no Nov / Dec


def test_the_calibration_page_is_for_admin_and_hr_only(store, tmp_path, monkeypatch):
    accounts = tmp_path / "accounts.toml"
    add_user("wang", "wang-password", "manager", ["客服部"], file=accounts)
    add_user("li", "li-password", "hr", [], file=accounts)  # a session's account must exist
    monkeypatch.setenv("ASSESS_ACCOUNTS", str(accounts))
    manager = {"access": Access("wang", "manager", ("客服部",)), "last_seen": time.time()}
    at = open_page(**manager)
    assert not at.exception
    with pytest.raises(ValueError):
        at.switch_page("pages/calibration.py").run()
    hr = open_page("calibration", access=Access("li", "hr"), last_seen=time.time())
    assert not hr.exception and hr.main.metric[0].value == "进行中"


def test_the_import_page_says_why_a_locked_month_is_not_replaced(store):
    from engine.cycle.close import make_move
    from engine.cycle.config import load_cycle
    from engine.schemes.scheme import load_scheme

    admin = Access("boss", "admin")
    for action in ("submit", "calibrate", "approve", "lock"):
        make_move(store, load_cycle(), admin, load_scheme(), action, "2026-10")
    before = store.imports().to_csv(index=False)
    lines = (paths.SAMPLE_DIR / "2026-10.csv").read_bytes().decode("utf-8").split("\r\n")
    changed = "\r\n".join([lines[0], *lines[2:]]).encode("utf-8")  # one employee removed
    at = open_page("imports")
    at.file_uploader[0].set_value([("2026-10.csv", changed, "text/csv")]).run()
    at.checkbox(key=next(c.key for c in at.checkbox if c.key.startswith("confirm_"))).check().run()
    next(b for b in at.button if b.label.startswith("导入此文件")).click().run()
    assert not at.exception
    errors = "\n".join(e.value for e in at.error)
    assert plain("2026-10 已锁定") in errors and plain("请先解锁并说明理由") in errors
    assert "Unlock" not in errors  # one language
    assert store.imports().to_csv(index=False) == before


def test_a_managers_proposal_waits_on_the_page_until_hr_approves_it(store, tmp_path, monkeypatch):
    import pandas as pd

    from engine.cycle.close import propose
    from engine.cycle.config import load_cycle
    from engine.schemes.scheme import load_scheme

    accounts = tmp_path / "accounts.toml"
    add_user("li", "li-password", "hr", [], file=accounts)
    monkeypatch.setenv("ASSESS_ACCOUNTS", str(accounts))
    facts = store.facts(["2026-10"])
    employee = str(facts.loc[facts["department"].eq("客服部"), "employee_id"].iloc[0])
    row = {"employee_id": employee, "points": "2", "grade": "", "reason": "主动加班", "row": 1}
    manager = Access("wang", "manager", ("客服部",))
    propose(
        store.as_user("wang"), load_cycle(), manager, load_scheme(), "2026-10", pd.DataFrame([row])
    )
    at = open_page("calibration", access=Access("li", "hr"), last_seen=time.time())
    assert not at.exception
    waiting = at.main.dataframe[4].value.set_index("工号")
    assert waiting.loc[employee, "总分"] == waiting.loc[employee, "计算总分"]  # nothing moved yet
    assert at.selectbox(key="pending_employee").options[0].startswith(employee)
    at.button(key="pending_approve").click().run()
    assert not at.exception, texts(at)
    assert store.adjustments()["approved_by"].tolist() == ["li"]
    so_far = at.main.dataframe[4].value.set_index("工号")
    assert so_far.loc[employee, "总分"] == pytest.approx(so_far.loc[employee, "计算总分"] + 2)
    assert "本月没有待审批的调整。" in [c.value for c in at.main.caption]


def test_adjustments_uploaded_as_a_file_are_checked_then_stored(store):
    people = sorted(store.facts(["2026-10"])["employee_id"])
    first, second = people[0], people[1]
    bad = f"工号,加减分,原因\r\n{first},2,表扬\r\n{second},99,超出\r\n".encode()
    at = open_page("calibration")
    at.file_uploader(key="adjust_file").set_value([("adjust.csv", bad, "text/csv")]).run()
    assert not at.exception
    problems = at.main.dataframe[-1].value
    assert problems[["文件", "行", "列", "值"]].values.tolist() == [
        ["adjust.csv", "3", "加减分", "99"]
    ]
    assert at.button(key="adjust_file_save").disabled
    assert store.adjustments().empty
    good = f"工号,加减分,原因\r\n{first},2,表扬\r\n{second},-1.5,迟到\r\n".encode()
    at.file_uploader(key="adjust_file").set_value([("adjust.csv", good, "text/csv")]).run()
    assert not at.exception and not at.button(key="adjust_file_save").disabled
    assert store.adjustments().empty  # only on the button
    at.button(key="adjust_file_save").click().run()
    assert not at.exception
    kept = store.adjustments().sort_values("employee_id")
    assert kept[["employee_id", "points", "reason"]].values.tolist() == [
        [first, 2.0, "表扬"],
        [second, -1.5, "迟到"],
    ]
    so_far = at.main.dataframe[4].value.set_index("工号")
    assert so_far.loc[first, "总分"] == pytest.approx(so_far.loc[first, "计算总分"] + 2)
    assert so_far.loc[second, "总分"] == pytest.approx(so_far.loc[second, "计算总分"] - 1.5)
    assert "2 条调整已保存" in texts(at)
    assert at.button(key="adjust_file_save").disabled  # the same file is not stored twice
    assert "此文件已保存。" in [c.value for c in at.main.caption]
