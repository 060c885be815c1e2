"""AppTest of the import page: checking, committing, replacing and restoring as a manager would."""

from __future__ import annotations

import io
import time

import openpyxl
import pandas as pd
import pytest

from engine import paths
from engine.store import Store
from tests.apptest import open_page
from ui.i18n import plain

SAMPLE = paths.SAMPLE_DIR


def import_page():
    at = open_page("imports")
    assert not at.exception
    return at


def upload(at, *files: tuple[str, bytes]):
    at.file_uploader[0].set_value([(name, content, "text/csv") for name, content in files]).run()
    assert not at.exception
    return at


def button(at, label: str):
    return next(b for b in at.button if b.label.startswith(label))


def texts(elements) -> str:
    return "\n".join(e.value for e in elements)


def test_a_good_utf8_file_for_a_new_month_imports_on_the_button_only(store_file):
    content = (SAMPLE / "2026-10.csv").read_bytes()
    at = upload(import_page(), ("2026-11.csv", content))
    assert "将新增 2026-11 月的数据" in texts(at.info)
    assert Store(store_file).periods()[-1] == "2026-10"  # choosing the file imported nothing
    at.run()  # any widget change reruns the page: still nothing imported
    assert Store(store_file).periods()[-1] == "2026-10"
    button(at, "导入此文件").click().run()
    assert not at.exception
    assert plain("2026-11.csv") + ":已导入 2026-11,300 行" in texts(at.success)  # name as typed
    assert Store(store_file).periods()[-1] == "2026-11"
    assert "已导入过完全相同的文件" in texts(at.success)  # the same file now: nothing to do
    assert button(at, "导入此文件").disabled


def test_a_gbk_file_with_chinese_headers(store_file):
    content = (SAMPLE / "2026-02.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        content.decode("utf-8")
    at = upload(import_page(), ("2026-12.csv", content))
    assert "gb18030" in texts(at.caption)
    button(at, "导入此文件").click().run()
    stored = Store(store_file).facts(["2026-12"])
    assert len(stored) == 298 and "售后服务部" in set(stored["department"])


def test_a_file_with_errors_lists_them_all_and_cannot_be_imported(store_file):
    bad = (
        "工号,姓名,部门,客户满意度,故障处理天数\r\nE1,张三,售后服务部,abc,2\r\nE1,李四,,101,-1\r\n"
    ).encode("gbk")
    at = upload(import_page(), ("2026-11.csv", bad))
    assert "发现 6 个问题" in texts(at.error)
    problems = at.dataframe[0].value
    assert sorted(zip(problems["行"], problems["列"], problems["问题"], strict=True)) == [
        ("2", "客户满意度", "不是数字"),
        ("2", "工号", "工号在本月出现多次(首次在第 2 行)"),
        ("3", "客户满意度", "百分比超过 100"),
        ("3", "工号", "工号在本月出现多次(首次在第 2 行)"),
        ("3", "故障处理天数", "不能为负数"),
        ("3", "部门", "部门 为空"),
    ]
    assert button(at, "导入此文件").disabled
    assert "2026-11" not in Store(store_file).periods()


def test_the_same_file_twice_changes_nothing(store_file):
    before = Store(store_file).version()
    at = upload(import_page(), ("2026-10.csv", (SAMPLE / "2026-10.csv").read_bytes()))
    assert "已导入过完全相同的文件" in texts(at.success)
    assert button(at, "导入此文件").disabled
    assert Store(store_file).version() == before


def test_replacement_needs_confirmation_and_restore_gives_the_original_back(store_file):
    store = Store(store_file)
    original = store.facts(["2026-10"])
    old_id = store.active_import("2026-10")["import_id"]
    text = (SAMPLE / "2026-10.csv").read_bytes().decode("utf-8")
    lines = text.split("\r\n")
    changed = "\r\n".join([lines[0], *lines[2:]])  # one employee removed
    at = upload(import_page(), ("2026-10.csv", changed.encode("utf-8")))
    assert "将替换 2026-10 现有数据" in texts(at.warning)
    assert "移除 1 人" in texts(at.warning)
    assert button(at, "导入此文件").disabled
    at.checkbox(key=next(c.key for c in at.checkbox if c.key.startswith("confirm_"))).check().run()
    button(at, "导入此文件").click().run()
    assert "已替换 2026-10" in texts(at.success)
    assert len(store.facts(["2026-10"])) == len(original) - 1
    at.selectbox(key="restore_choice").set_value(old_id).run()
    button(at, "恢复").click().run()
    assert not at.exception
    restored = store.facts(["2026-10"])
    pd.testing.assert_frame_equal(restored, original)


def import_history(at) -> pd.DataFrame:
    """The import history table as the page shows it."""
    return next(d.value for d in at.dataframe if {"import_id", "status"} <= set(d.value.columns))


def test_after_a_restore_the_history_shows_it_at_once(store_file):
    store = Store(store_file)
    old_id = int(store.active_import("2026-10")["import_id"])
    lines = (SAMPLE / "2026-10.csv").read_bytes().decode("utf-8").split("\r\n")
    changed = "\r\n".join([lines[0], *lines[2:]]).encode("utf-8")
    at = upload(import_page(), ("2026-10.csv", changed))
    at.checkbox(key=next(c.key for c in at.checkbox if c.key.startswith("confirm_"))).check().run()
    button(at, "导入此文件").click().run()
    new_id = int(store.active_import("2026-10")["import_id"])
    status = import_history(at).set_index("import_id")["status"]
    assert (status[old_id], status[new_id]) == ("已被替换", "使用中")
    at.selectbox(key="restore_choice").set_value(old_id).run()
    button(at, "恢复").click().run()
    assert not at.exception
    status = import_history(at).set_index("import_id")["status"]
    assert (status[old_id], status[new_id]) == ("使用中", "已被替换")  # no reload needed
    assert plain("2026-10") in texts(at.success)  # the restore's own message is still shown
    restorable = at.selectbox(key="restore_choice")
    assert old_id not in restorable.options and str(new_id) in " ".join(restorable.options)


def test_after_a_delete_the_history_shows_it_at_once(store_file):
    store = Store(store_file)
    doomed = int(store.active_import("2026-10")["import_id"])
    at = import_page()
    at.selectbox(key="delete_choice").set_value(doomed).run()
    at.checkbox(key="delete_confirm").check().run()
    button(at, "删除").click().run()
    assert not at.exception
    assert import_history(at).set_index("import_id")["status"][doomed] == "已删除"


def test_after_importing_a_new_month_the_session_shows_it(store_file):
    at = import_page()
    assert at.sidebar.selectbox(key="period_month").value == "2026-10"
    content = (SAMPLE / "2026-10.csv").read_bytes()
    upload(at, ("2026-11.csv", content))
    button(at, "导入此文件").click().run()
    assert not at.exception
    assert at.sidebar.selectbox(key="period_month").value == "2026-11"
    at.switch_page("pages/overview.py").run()
    assert not at.exception
    assert "2026-11" in texts(at.main.markdown)  # the month's badge: the page shows November


def test_an_unknown_month_is_asked_for(store_file):
    content = (SAMPLE / "2026-10.csv").read_bytes()
    at = upload(import_page(), ("monthly.csv", content))
    assert "月份未知" in at.dataframe[0].value["问题"].iloc[0]
    picker = next(s for s in at.selectbox if s.key and s.key.startswith("month_"))
    picker.set_value("2026-11").run()
    assert not at.exception
    assert "将新增 2026-11 月的数据" in texts(at.info)


def test_templates_download(store_file):
    at = import_page()
    assert not at.exception
    labels = [b.label for b in at.get("download_button")]
    assert any("中文表头模板" in label for label in labels)
    assert any("示例数据" in label for label in labels)


def workbook_bytes() -> bytes:
    book = openpyxl.Workbook()
    book.active.append(["工号", "姓名", "部门", "客户满意度"])
    book.active.append(["E1", "张三", "售后服务部", 90])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("2026-11.xlsx", workbook_bytes()[:700], "无法读取工作簿"),
        ("2026-11.xlsx", b"PK\x03\x04" + bytes(300), "无法读取工作簿"),
        ("2026-11.xlsx", (SAMPLE / "2026-10.csv").read_bytes(), "不是 Excel 工作簿"),
    ],
    ids=["truncated", "corrupt", "csv renamed"],
)
def test_a_damaged_workbook_or_a_renamed_csv_is_a_message(store_file, name, content, reason):
    at = upload(import_page(), (name, content))
    assert not at.exception
    assert "发现 1 个问题" in texts(at.error)
    assert reason in at.dataframe[0].value["问题"].iloc[0]
    assert button(at, "导入此文件").disabled
    assert "2026-11" not in Store(store_file).periods()


def test_a_very_wide_file_is_refused_at_once(store_file):
    header = "工号,姓名,部门," + ",".join(f"c{i}" for i in range(20_000))
    content = f"{header}\r\nE1,张三,售后服务部,{',' * 19_999}\r\n".encode()
    start = time.perf_counter()
    at = upload(import_page(), ("2026-11.csv", content))
    assert time.perf_counter() - start < 30  # the page itself takes a few seconds here; 76 s before
    problem = at.dataframe[0].value["问题"].iloc[0]
    assert problem == "文件有 20,003 列,最多接受 500 列"
