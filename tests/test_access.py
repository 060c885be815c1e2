"""Sign-in, roles and the audit log, through the app as each kind of user would use it."""

from __future__ import annotations

import io
import json
import re
import time

import openpyxl
import pandas as pd
import pytest

import ui.auth
import ui.page
from engine import paths
from engine.accounts import Access, accounts_path, add_user, remove_user
from engine.output import export
from engine.store import Store, StoreBusy
from tests.apptest import open_page
from ui.i18n import plain

ALL_PAGES = [
    "overview",
    "ranking",
    "distribution",
    "kpis",
    "employee",
    "targets",
    "whatif",
    "rules",
    "insights",
    "scheme",
    "imports",
    "calibration",
    "audit",
]
MANAGER = Access("wang", "manager", ("客服部",))
VIEWER = Access("zhao", "viewer")
ADMIN = Access("admin.zhou", "admin")
OTHER_DEPARTMENTS = ("呼叫中心", "售后服务部", "备件部", "技术支持部", "质检部")
# Pages that show people or departments, so an admin's view must hold other departments.
WHOLE_COMPANY_PAGES = {
    "overview",
    "ranking",
    "distribution",
    "kpis",
    "employee",
    "rules",
    "scheme",
    "insights",
}


@pytest.fixture
def exported(monkeypatch) -> list[bytes]:
    """Every CSV and XLSX the pages offer for download, as bytes (made at once, not on click)."""
    files: list[bytes] = []
    lazy = ui.page.deferred

    def eager(build, table, name, *rest):
        content = lazy(build, table, name, *rest)()
        files.append(content)
        return lambda: content

    monkeypatch.setattr(ui.page, "deferred", eager)
    original_csv = export.csv_bytes

    def recording_csv(*args, **kwargs):
        content = original_csv(*args, **kwargs)
        files.append(content)
        return content

    monkeypatch.setattr(export, "csv_bytes", recording_csv)
    return files


def signed_in(access: Access) -> dict:
    return {"access": access, "last_seen": time.time()}


def page_text(at) -> str:
    """Everything a page shows as text: markdown, metrics, tables, chart-free elements."""
    parts = [
        e.value
        for kind in (
            "markdown",
            "caption",
            "title",
            "header",
            "subheader",
            "info",
            "warning",
            "success",
            "error",
        )
        for e in getattr(at, kind)
    ]
    parts += [f"{m.label} {m.value}" for m in at.metric]
    parts += [d.value.to_csv() for d in at.dataframe]
    parts += [str(t.value) for t in at.get("table")]
    return "\n".join(map(str, parts))


def everything_shown(at, exported: list[bytes]) -> str:
    """A page's text, its selectable options, its charts' data and every file it offers."""
    parts = [page_text(at)]
    parts += [str(option) for box in at.selectbox for option in box.options]
    parts += [
        json.dumps(json.loads(c.proto.spec), ensure_ascii=False) for c in at.get("plotly_chart")
    ]
    for content in exported:
        if content.startswith(b"PK"):
            parts.append(pd.read_excel(io.BytesIO(content)).to_csv())
        else:
            parts.append(content.decode("utf-8-sig"))
    return "\n".join(parts)


@pytest.mark.parametrize(
    "order", [(ADMIN, MANAGER, VIEWER), (VIEWER, MANAGER, ADMIN)], ids=["admin_first", "admin_last"]
)
def test_each_role_sees_its_own_scope_whoever_opened_a_page_before(
    signed_store_file, exported, order
):
    """Caches are process-wide: an admin, a manager and a viewer open every page they may open
    one after the other in one process, on one store, and each sees exactly their scope."""
    facts = Store(signed_store_file).facts()
    managed = set(facts.loc[facts["department"] == "客服部", "employee_id"])
    names = set(facts["name"])
    hire_dates = set(facts["hire_date"].dropna().astype(str).str[:10])
    for access in order:
        for page in ALL_PAGES:
            if page not in allowed_pages(access):
                continue
            exported.clear()
            at = open_page(**signed_in(access))  # the first page, as a browser opens it
            if page != "overview":
                exported.clear()  # only what this page offers
                at.switch_page(f"pages/{page}.py").run()
            assert not at.exception, (access.role, page)
            seen = everything_shown(at, exported)
            if access.role == "admin" and page in WHOLE_COMPANY_PAGES:
                assert any(d in seen for d in OTHER_DEPARTMENTS), (access.role, page)
            if access.role == "manager":
                assert not [d for d in OTHER_DEPARTMENTS if d in seen], page
                assert set(re.findall(r"E\d{4}", seen)) <= managed, page
            if access.role == "viewer":
                assert not [n for n in names if n in seen], page
                assert not re.search(r"E\d{4}", seen), page
                assert not [d for d in hire_dates if d in seen], page


def allowed_pages(access: Access) -> set[str]:
    """The pages the navigation offers this user (as app.py decides)."""
    named = {"employee", "rules", "insights"} if access.sees_names else set()
    editing = {"whatif", "imports", "calibration"} if access.may_change_data else set()
    audit = {"audit"} if access.may_read_audit else set()
    return {"overview", "ranking", "distribution", "kpis", "scheme"} | named | editing | audit


def test_without_signing_in_only_the_form_shows(signed_store_file):
    at = open_page()
    assert not at.exception
    assert at.title[0].value.startswith("登录")
    assert not at.dataframe and not at.metric


def test_wrong_password_is_rejected_then_slowed_and_audited(signed_store_file):
    at = open_page()
    at.text_input[0].input("wang")
    at.text_input[1].input("not-the-password")
    at.button[0].click().run()
    assert "用户名或密码错误" in at.error[0].value
    at.text_input[1].input("again-wrong")
    at.button[0].click().run()
    assert "请 1 秒后再试" in at.error[0].value or "用户名或密码错误" in at.error[0].value
    log = Store(signed_store_file).events()
    assert (log["action"] == "sign_in_failed").sum() >= 1
    assert set(log.loc[log["action"] == "sign_in_failed", "username"]) == {"wang"}


def test_right_password_signs_in_and_is_audited(signed_store_file):
    at = open_page()
    at.text_input[0].input("wang")
    at.text_input[1].input("wang-password")
    at.button[0].click().run()
    assert not at.exception
    assert at.session_state["access"] == MANAGER
    assert at.title[0].value.startswith("总览")
    log = Store(signed_store_file).events()
    assert log.loc[log["action"] == "sign_in", "username"].tolist() == ["wang"]


def test_a_session_past_its_timeout_must_sign_in_again(signed_store_file):
    at = open_page(access=MANAGER, last_seen=time.time() - 31 * 60)
    assert not at.exception
    assert at.title[0].value.startswith("登录")
    assert "已自动退出" in at.info[0].value


@pytest.mark.parametrize(
    "page",
    ["overview", "ranking", "distribution", "kpis", "employee", "rules", "scheme", "insights"],
)
def test_a_manager_sees_nothing_of_other_departments(signed_store_file, exported, page):
    at = open_page(page, **signed_in(MANAGER))
    assert not at.exception
    assert "售后服务部" not in page_text(at)
    for content in exported:
        text = content.decode("utf-8-sig") if not content.startswith(b"PK") else ""
        assert "售后服务部" not in text
        if content.startswith(b"PK"):
            sheet = pd.read_excel(pd.io.common.BytesIO(content))
            assert "售后服务部" not in sheet.to_csv()


@pytest.mark.parametrize("page", ["imports", "whatif", "audit"])
def test_a_manager_cannot_open_editing_pages(signed_store_file, page):
    at = open_page(**signed_in(MANAGER))
    with pytest.raises(ValueError):
        at.switch_page(f"pages/{page}.py").run()


def test_a_viewer_cannot_open_the_insights_page(signed_store_file):
    """Its tables name people (rates, raters, gaming pairs): for those who see names only."""
    at = open_page(**signed_in(VIEWER))
    with pytest.raises(ValueError):
        at.switch_page("pages/insights.py").run()


@pytest.mark.parametrize("page", ["overview", "ranking", "distribution", "kpis", "scheme"])
def test_a_viewer_sees_no_names(signed_store_file, page):
    names = set(Store(signed_store_file).facts(["2026-10"])["name"])
    at = open_page(page, **signed_in(VIEWER))
    assert not at.exception
    text = page_text(at)
    assert not [n for n in names if n in text]


def test_each_audited_action_names_the_user(signed_store_file):
    hr = Access("hr.li", "hr")
    at = open_page("imports", **signed_in(hr))
    content = (paths.SAMPLE_DIR / "2026-10.csv").read_bytes()
    at.file_uploader[0].set_value([("2026-11.csv", content, "text/csv")]).run()
    next(b for b in at.button if b.label == "导入此文件").click().run()
    assert not at.exception
    log = Store(signed_store_file).events()
    imported = log[log["action"] == "imported"]
    assert imported.loc[imported["period"] == "2026-11", "username"].tolist() == ["hr.li"]


def test_exports_carry_who_and_when(signed_store_file, exported):
    at = open_page("overview", **signed_in(Access("hr.li", "hr")))
    assert not at.exception
    books = [openpyxl.load_workbook(io.BytesIO(c)) for c in exported if c.startswith(b"PK")]
    assert books and all(book.sheetnames[1] == "导出信息" for book in books)
    for book in books:
        stamp = {row[0].value: row[1].value for row in book.worksheets[1].iter_rows()}
        assert stamp["导出人"] == "hr.li" and stamp["考核期间"] == "2026-10"
        assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", stamp["导出时间"])
        assert stamp["范围"] == "全公司" and stamp["筛选条件"] == "无"
        assert re.fullmatch(r".+ v\d+", stamp["考核方案"])
        assert book.sheetnames[0] == "2026-10 全公司"
    # A CSV holds the table only; who exported it and when is in the audit log.
    csv_files = [c.decode("utf-8-sig") for c in exported if not c.startswith(b"PK")]
    assert csv_files and not [text for text in csv_files if "hr.li" in text]
    log = Store(signed_store_file).events()
    exports = log[log["action"] == "export"]
    assert len(exports) == len(exported) and set(exports["username"]) == {"hr.li"}
    assert exports["detail"].str.contains("导出人 hr.li · 导出时间 ").all()


def test_an_export_is_named_after_the_filtered_scope(signed_store_file, exported):
    at = open_page("ranking", departments=["售后服务部"], roles=["服务工程师"], **signed_in(ADMIN))
    assert not at.exception
    books = [openpyxl.load_workbook(io.BytesIO(c)) for c in exported if c.startswith(b"PK")]
    assert books and {book.sheetnames[0] for book in books} == {"2026-10 售后服务部"}
    stamp = {row[0].value: row[1].value for row in books[0].worksheets[1].iter_rows()}
    assert stamp["筛选条件"] == "部门: 售后服务部; 岗位: 服务工程师"


def test_ten_sessions_sending_wrong_passwords_share_one_wait(signed_store_file):
    """The sessions of one process share the wait: of ten tries within it only the first is
    checked. (Tries sent at the same instant are claimed one at a time by the throttle:
    test_accounts.py; AppTests cannot run at once in threads, they share Streamlit's globals.)"""
    ui.auth.throttle().clock = lambda: 100.0  # a slow machine must not let the 1 s wait pass
    sessions = [open_page() for _ in range(10)]
    for at in sessions:
        at.text_input[0].input("wang")
        at.text_input[1].input("not-the-password")
        at.button[0].click().run()
    messages = [at.error[0].value for at in sessions]
    assert sum("用户名或密码错误" in m for m in messages) == 1  # only one password was checked
    assert sum("尝试次数过多" in m for m in messages) == 9
    log = Store(signed_store_file).events()
    assert (log["action"] == "sign_in_failed").sum() == 1
    throttled = log[log["action"] == "sign_in_throttled"]
    assert len(throttled) == 9 and set(throttled["username"]) == {"wang"}


def test_a_throttled_attempt_is_audited(signed_store_file):
    ui.auth.throttle().clock = lambda: 100.0  # the 1 s wait must not pass on a slow machine
    at = open_page()
    at.text_input[0].input("wang")
    at.text_input[1].input("not-the-password")
    at.button[0].click().run()
    at.text_input[1].input("wang-password")  # right, but sent before the 1 s wait is over
    at.button[0].click().run()
    assert "请 1 秒后再试" in at.error[0].value
    log = Store(signed_store_file).events()
    assert log.loc[log["action"] == "sign_in_throttled", "username"].tolist() == ["wang"]
    assert "access" not in at.session_state


@pytest.mark.parametrize(
    "change",
    [
        lambda file: remove_user("wang", file=file),
        lambda file: add_user("wang", "wang-password", "viewer", file=file),
        lambda file: add_user("wang", "wang-password", "manager", ["售后服务部"], file=file),
    ],
    ids=["removed", "role changed", "departments changed"],
)
def test_an_open_session_ends_when_its_account_is_removed_or_changed(signed_store_file, change):
    at = open_page(**signed_in(MANAGER))
    assert at.title[0].value.startswith("总览")
    change(accounts_path())
    at.run()
    assert not at.exception
    assert at.title[0].value.startswith("登录")
    assert "账户已被删除或更改" in at.info[0].value
    assert "access" not in at.session_state
    log = Store(signed_store_file).events()
    assert log.loc[log["action"] == "signed_out", "username"].tolist() == ["wang"]


@pytest.fixture
def download_buttons(monkeypatch) -> list:
    """The content callables of every download button the pages draw, unclicked."""
    found = []
    original = ui.page.deferred

    def keep(build, table, name, *rest):
        content = original(build, table, name, *rest)
        found.append(content)
        return content

    monkeypatch.setattr(ui.page, "deferred", keep)
    return found


def test_a_download_is_served_while_the_session_is_valid(signed_store_file, download_buttons):
    at = open_page(**signed_in(MANAGER))
    assert not at.exception and download_buttons
    lines = download_buttons[0]().decode("utf-8-sig").splitlines()
    assert len(lines) > 1 and not [line for line in lines if "导出人" in line]
    book = openpyxl.load_workbook(io.BytesIO(download_buttons[1]()))
    assert book.sheetnames == ["2026-10 客服部", "导出信息"]  # a manager's scope, unfiltered
    assert book.worksheets[1]["B1"].value == "wang"


def test_a_download_clicked_after_the_session_expired_is_refused(
    signed_store_file, download_buttons, monkeypatch
):
    at = open_page(**signed_in(MANAGER))
    assert not at.exception and download_buttons
    later = time.time() + 31 * 60
    monkeypatch.setattr(time, "time", lambda: later)
    with pytest.raises(PermissionError, match="登录已过期"):
        download_buttons[0]()
    log = Store(signed_store_file).events()
    assert log.loc[log["action"] == "export_refused", "username"].tolist() == ["wang"]
    assert "export" not in set(log["action"])


def test_a_download_clicked_after_the_account_was_removed_is_refused(
    signed_store_file, download_buttons
):
    at = open_page(**signed_in(MANAGER))
    assert not at.exception and download_buttons
    remove_user("wang", file=accounts_path())
    with pytest.raises(PermissionError, match="登录已过期"):
        download_buttons[-1]()
    assert "export" not in set(Store(signed_store_file).events()["action"])


@pytest.mark.parametrize(
    ("address", "warned"),
    [
        ("http://192.168.1.20:8501/", True),
        ("http://assess.example.com/ranking", True),
        ("https://assess.example.com/", False),
        ("http://localhost:8501/", False),
        ("http://127.0.0.1:8501/", False),
        ("http://[::1]:8501/", False),
    ],
)
def test_the_sign_in_form_says_when_the_connection_is_not_encrypted(
    signed_store_file, monkeypatch, address, warned
):
    monkeypatch.setattr(ui.auth, "browser_address", lambda: address)
    at = open_page()
    assert not at.exception
    notes = [w.value for w in at.warning]
    assert any("未加密" in note for note in notes) == warned


def test_a_download_while_the_store_is_busy_says_so_and_can_be_tried_again(
    signed_store_file, monkeypatch
):
    made: dict[str, object] = {}
    lazy = ui.page.deferred

    def kept(build, table, name, *rest):
        content = lazy(build, table, name, *rest)
        made[f"{name}.{'csv' if build is export.csv_bytes else 'xlsx'}"] = content
        return content

    monkeypatch.setattr(ui.page, "deferred", kept)
    at = open_page(**signed_in(ADMIN))
    assert not at.exception and not at.main.error
    audit = Store.audit

    def busy(self, *args, **kwargs):
        raise StoreBusy(f"The store {self.path} is in use by another program.")

    monkeypatch.setattr(Store, "audit", busy)
    with pytest.raises(StoreBusy):  # the browser shows at once that the download failed
        made["scores_2026-10.xlsx"]()
    at.run()
    assert [e.value for e in at.main.error] == [
        plain("scores_2026-10.xlsx")
        + " 未能下载:数据库正忙(可能正在导入数据)。请稍后再点一次下载。"
    ]
    monkeypatch.setattr(Store, "audit", audit)
    at.run()
    assert not at.main.error  # said once; the button is there to try again
    assert made["scores_2026-10.xlsx"]().startswith(b"PK")


def test_the_scheme_file_download_does_not_rerun_the_page(signed_store_file):
    """A rerun gives the page's other download buttons new ids: an Excel clicked right after the
    TOML would ask for a file that is gone."""
    at = open_page("scheme", **signed_in(ADMIN))
    toml = next(b for b in at.get("download_button") if "scheme_download" in b.proto.id)
    assert toml.proto.ignore_rerun
