"""In a real browser: an employee signs in through a link to another page and lands on 我的绩效
with their published months, the only pages in the sidebar being their own and the scheme."""

from __future__ import annotations

import pytest

from engine.accounts import Access, add_user
from engine.cycle.close import make_move
from engine.cycle.config import load_cycle
from engine.schemes.scheme import load_scheme
from engine.store import Store
from tests.apptest import demo_store
from tests.browser import (
    CHROMIUM,
    CHROMIUM_FLAGS,
    SCREENSHOTS,
    dashboard,
    error_boxes,
    require_chromium,
    wait_until_drawn,
)

pytestmark = pytest.mark.browser


def test_an_employee_signing_in_through_a_ranking_link_sees_only_my_results(tmp_path, monkeypatch):
    require_chromium()
    from playwright.sync_api import sync_playwright

    db = demo_store(tmp_path)
    store, admin = Store(db, user="boss"), Access("boss", "admin")
    for action in ("submit", "calibrate", "approve", "publish"):
        make_move(store, load_cycle(), admin, load_scheme(), action, "2026-10")
    accounts = tmp_path / "accounts.toml"
    add_user("E0001", "e0001-password", "employee", employee_id="E0001", file=accounts)
    monkeypatch.setenv("ASSESS_ACCOUNTS", str(accounts))
    with dashboard(db) as url, sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{url}/ranking")
        wait_until_drawn(page)
        page.get_by_label("用户名").fill("E0001")
        page.get_by_label("密码").fill("e0001-password")
        page.get_by_role("button", name="登录").click()
        page.wait_for_selector("text=各月考核结果", timeout=60_000)
        wait_until_drawn(page)
        page.wait_for_selector(".js-plotly-plot .main-svg", timeout=60_000)
        assert error_boxes(page) == []
        body = page.inner_text("body")
        assert "王刚英 · E0001" in body and "2026-10 · " in body and "Page not found" not in body
        links = page.query_selector_all('[data-testid="stSidebarNavLink"]')
        assert [link.inner_text().split("\n")[-1] for link in links] == [
            "我的绩效",
            "考核标准",
        ]
        SCREENSHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "my_results.png"), full_page=True)
        browser.close()
