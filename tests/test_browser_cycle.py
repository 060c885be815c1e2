"""In a real browser: HR closes a month on the calibration page, from submit to lock."""

from __future__ import annotations

import pytest

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
MOVES = [("提交", "已提交"), ("校准", "已校准"), ("审批", "已审批")]


def choose(page, label: str, option: str) -> None:
    """Pick an option of the selectbox with this label."""
    box = page.locator('[data-testid="stSelectbox"]').filter(has_text=label)
    box.click()
    page.get_by_role("option", name=option, exact=True).click()


def test_a_month_is_closed_from_submit_to_lock_in_the_browser(tmp_path):
    require_chromium()
    from playwright.sync_api import sync_playwright

    db = demo_store(tmp_path)
    with dashboard(db) as url, sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1400})
        page.goto(f"{url}/calibration")
        wait_until_drawn(page)
        page.get_by_text("2026-10 · 进行中").first.wait_for(timeout=30_000)
        for option, state in [*MOVES, ("锁定", "已锁定")]:
            choose(page, "操作", option)
            page.get_by_role("button", name="执行").click()
            page.get_by_text("已完成").wait_for(timeout=30_000)
            wait_until_drawn(page)
            page.get_by_text(f"2026-10 · {state}").first.wait_for(timeout=30_000)
            assert error_boxes(page) == []
        SCREENSHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "calibration.png"), full_page=True)
        page.goto(url)
        wait_until_drawn(page)
        page.get_by_text("2026-10 · 已锁定").first.wait_for(timeout=30_000)
        browser.close()
    store = Store(db)
    assert set(store.month_states(["2026-10"])["state"]) == {"locked"}
    moves = store.events()
    assert moves["action"].str.startswith("month_").sum() == 4
    assert list(store.snapshots(["2026-10"])) == ["2026-10"]
