"""Several dashboard processes over one PostgreSQL store: a month imported through one shows in
the other, the wait after wrong passwords is the same in every process, and accounts and
sign-in sessions kept in the store are the same in every process."""

from __future__ import annotations

import io
import sys

import pytest

import ui.auth
from engine import cli as engine_cli
from engine import paths
from engine.accounts import AccountsInStore, add_user
from engine.store import Store
from tests.apptest import open_page
from tests.browser import (
    CHROMIUM,
    CHROMIUM_FLAGS,
    SCREENSHOTS,
    dashboard,
    error_boxes,
    require_chromium,
    wait_until_drawn,
)


@pytest.fixture
def shared_store(pg_cluster, tmp_path, monkeypatch) -> str:
    """A PostgreSQL store holding the demo months, with one manager account."""
    url = pg_cluster.demo_database()
    monkeypatch.setenv(paths.DB_ENV, url)
    # (the accounts of a PostgreSQL store are kept in it, for every process)
    add_user("wang", "wang-password", "manager", ["客服部"], file=AccountsInStore(Store(url)))
    ui.auth.throttle.clear()
    return url


def test_a_wrong_password_slows_the_next_try_in_every_process(shared_store):
    at = open_page()
    at.text_input[0].input("wang")
    at.text_input[1].input("not-the-password")
    at.button[0].click().run()
    assert "用户名或密码错误" in at.error[0].value
    ui.auth.throttle.clear()  # this process forgets: the store still remembers
    # Another process over the same store must wait before checking a password for wang.
    assert Store(shared_store).sign_in_attempt("wang") > 0
    again = open_page()
    again.text_input[0].input("wang")
    again.text_input[1].input("wang-password")
    again.button[0].click().run()
    assert "尝试次数过多" in again.error[0].value


def shown(sidebar) -> str:
    """The sidebar's text with the values its select boxes show (the period among them)."""
    values = [box.get_attribute("aria-label") or "" for box in sidebar.locator("input").all()]
    values += [box.input_value() for box in sidebar.locator("input").all()]
    return sidebar.inner_text() + " ".join(values)


@pytest.mark.browser
def test_a_month_imported_through_one_process_shows_in_the_other(pg_cluster, tmp_path):
    require_chromium()
    from playwright.sync_api import sync_playwright

    url = pg_cluster.demo_database()
    upload = tmp_path / "2026-11.csv"
    upload.write_bytes((paths.SAMPLE_DIR / "2026-10.csv").read_bytes())
    with (
        dashboard(url) as first,
        dashboard(url) as second,
        sync_playwright() as driver,
    ):
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            other = browser.new_page(viewport={"width": 1400, "height": 1000})
            other.goto(second)
            wait_until_drawn(other)
            sidebar = other.locator('[data-testid="stSidebar"]')
            assert "2026-10" in shown(sidebar) and "2026-11" not in shown(sidebar)

            page = browser.new_page(viewport={"width": 1400, "height": 1200})
            page.goto(f"{first}/imports")
            wait_until_drawn(page)
            page.set_input_files('[data-testid="stFileUploader"] input[type="file"]', str(upload))
            page.get_by_role("button", name="导入此文件").click(timeout=60_000)
            page.get_by_text("已导入 2026-11").wait_for(timeout=60_000)
            assert Store(url).periods()[-1] == "2026-11"

            # The other process reads the store version at most every 2 s: a reload shows it.
            for _ in range(10):
                other.reload()
                wait_until_drawn(other)
                if "2026-11" in shown(sidebar):
                    break
                other.wait_for_timeout(1000)
            assert "2026-11" in shown(sidebar)
            assert error_boxes(other) == []
            SCREENSHOTS.mkdir(exist_ok=True)
            other.screenshot(path=str(SCREENSHOTS / "second_process.png"), full_page=True)
        finally:
            browser.close()


def sign_in(browser, address: str, username: str, password: str):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(address)
    wait_until_drawn(page)
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_selector("h1:has-text('总览')", timeout=60_000)
    return page


@pytest.mark.browser
def test_an_account_from_the_command_line_signs_in_on_both_and_sign_out_ends_both(
    pg_cluster, monkeypatch
):
    require_chromium()
    from playwright.sync_api import sync_playwright

    url = pg_cluster.demo_database()
    monkeypatch.setattr(sys, "stdin", io.StringIO("li-password\n"))
    added = engine_cli.main(["users", "add", "li", "--role", "hr", "--password-stdin", "--db", url])
    assert added == 0
    with (
        dashboard(url) as first,
        dashboard(url) as second,
        sync_playwright() as driver,
    ):
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            pages = [sign_in(browser, address, "li", "li-password") for address in (first, second)]
            assert Store(url).sign_in_sessions()["username"].tolist() == ["li", "li"]
            assert engine_cli.main(["users", "sign-out", "li", "--db", url]) == 0
            for page in pages:  # the next page run, in either process, asks to sign in again
                page.locator('[data-testid="stSidebarNavLink"]').nth(1).click()
                page.get_by_text("管理员已结束您的会话").wait_for(timeout=30_000)
                wait_until_drawn(page)
                assert page.locator("h1").first.inner_text().startswith("登录")
                assert error_boxes(page) == []
                assert "li · " not in page.locator('[data-testid="stSidebar"]').inner_text()
            SCREENSHOTS.mkdir(exist_ok=True)
            pages[1].screenshot(path=str(SCREENSHOTS / "signed_out_by_admin.png"))
        finally:
            browser.close()
