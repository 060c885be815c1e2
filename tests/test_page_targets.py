"""AppTest of the targets page: a GBK target file checked then stored, the statement's 标准 / 目标
column, targets against actuals by team, and the table on the page."""

from __future__ import annotations

import pytest

from engine import paths
from engine.cli import scored
from engine.schemes.scheme import load_scheme
from engine.store import Store
from tests.apptest import demo_store, open_page

GOOD = (
    "月份,工号,部门,班组,工单达成率目标\n2026-10,E0001,,,95\n2026-10,,售后服务部,售后二组,90\n"
).encode("gbk")
BAD = "工号,工单达成率\nE0001,abc\nE0002,40\n".encode("gbk")


@pytest.fixture
def store(tmp_path, monkeypatch) -> Store:
    db = demo_store(tmp_path)
    monkeypatch.setenv(paths.DB_ENV, str(db))
    return Store(db)


def test_a_bad_file_lists_every_problem_and_stores_nothing(store):
    at = open_page("targets")
    assert not at.exception
    assert at.title[0].value == "目标 · 2026-10"
    assert "没有目标" in at.main.info[0].value
    at.file_uploader(key="targets_file").set_value([("目标.csv", BAD, "text/csv")]).run()
    assert not at.exception
    assert "2 个问题,不会保存" in at.error[0].value
    problems = at.main.dataframe[0].value
    assert problems["行"].tolist() == [2, 3]
    assert problems["值"].tolist() == ["abc", "40"]
    assert store.targets().empty


def test_a_gbk_file_stored_changes_the_score_and_the_statement(store):
    before = scored(store, load_scheme(), "2026-10").set_index("employee_id")
    at = open_page("targets")
    at.file_uploader(key="targets_file").set_value([("目标.csv", GOOD, "text/csv")]).run()
    assert not at.exception and not at.error
    at.button(key="targets_file_save").click().run()
    assert not at.exception
    assert "已保存 2026-10 的 2 条目标(目标\\.csv)" in at.success[0].value  # file name escaped
    kept = store.targets(["2026-10"])
    assert sorted(kept["scope"]) == ["person", "team"]
    value = before.loc["E0001", "order_achievement"]
    expected = 100 * min(max((value - 60) / (95 - 60), 0), 1)
    table = at.main.dataframe[0].value
    assert "售后二组" in table["班组"].tolist()
    employee = open_page("employee", query={"employee": "E0001"})
    assert not employee.exception
    statement = employee.main.dataframe[0].value.set_index("指标")
    assert statement.loc["工单达成率", "标准 / 目标"] == "目标 95 %(个人)"
    assert statement.loc["工单达成率", "指标得分"] == pytest.approx(round(expected, 2))
    assert statement.loc["客户满意度", "标准 / 目标"].startswith("标准 ")


def test_targets_entered_on_the_page(store):
    at = open_page("targets")
    # The page's table saves through the same checks: an empty table clears the month.
    at.button(key="targets_editor_save").click().run()
    assert not at.exception
    assert "已保存 2026-10 的 0 条目标" in at.success[0].value


def test_in_english_over_a_quarter_only_actuals_are_shown(store):
    at = open_page("targets", language="en", period_kind="quarter", period_quarter="2026-Q3")
    assert not at.exception
    assert "month by month" in at.main.info[-1].value
