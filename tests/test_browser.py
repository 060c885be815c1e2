"""In a real browser: the dashboard starts on the demo data, draws its chart and shows no error."""

from __future__ import annotations

import pytest

from tests.browser import (
    CHROMIUM,
    CHROMIUM_FLAGS,
    SCREENSHOTS,
    dashboard,
    error_boxes,
    require_chromium,
    wait_until_drawn,
)


@pytest.fixture(scope="module")
def browser():
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        chromium = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


def test_landing_page_draws_the_grade_chart_on_first_start(browser, tmp_path):
    with dashboard(tmp_path / "browser.duckdb") as url:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(url)
        wait_until_drawn(page)
        page.wait_for_selector(".js-plotly-plot .bars path", timeout=60_000)
        assert error_boxes(page) == []
        assert "绩效考核分析" in page.inner_text("h1")
        bars = page.query_selector_all(".js-plotly-plot .bars path")
        assert len(bars) == 5  # one bar per grade
        SCREENSHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "landing.png"), full_page=True)
