"""In a real browser: every page opens from the sidebar, draws its charts and shows no error."""

from __future__ import annotations

import pytest

from engine.accounts import add_user
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

# url path → the number of plotly charts the page draws on the demo data (at least)
PAGES = {
    "": 1,
    "ranking": 1,
    "distribution": 3,
    "kpis": 3,
    "employee": 3,
    "whatif": 1,
    "rules": 1,
    "targets": 0,
    "insights": 1,
    "scheme": 0,
    "calibration": 0,
    "appeals": 0,
    "imports": 0,
    "audit": 0,
}


@pytest.fixture(scope="module")
def browser():
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        chromium = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with dashboard(demo_store(tmp_path_factory.mktemp("browser"))) as url:
        yield url


def test_first_start_on_an_empty_store_imports_the_demo(browser, tmp_path):
    with dashboard(tmp_path / "fresh.duckdb") as url:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(url)
        wait_until_drawn(page)
        page.wait_for_selector(".js-plotly-plot", timeout=60_000)
        assert error_boxes(page) == []


@pytest.mark.parametrize("path", list(PAGES))
def test_every_page_draws_without_errors(browser, server, path):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{server}/{path}")
    wait_until_drawn(page)
    if PAGES[path]:
        page.wait_for_selector(".js-plotly-plot .main-svg", timeout=60_000)
    page.wait_for_timeout(500)
    assert error_boxes(page) == []
    assert "Page not found" not in page.inner_text("body")
    assert len(page.query_selector_all(".js-plotly-plot")) >= PAGES[path]
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{path or 'overview'}.png"), full_page=True)
    page.close()


def test_sidebar_links_open_every_page(browser, server):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(server)
    wait_until_drawn(page)
    # Every page is listed at once: no folded menu with Streamlit's English "View N more".
    assert page.query_selector('[data-testid="stSidebarNavViewButton"]') is None
    links = page.query_selector_all('[data-testid="stSidebarNavLink"]')
    assert len(links) == len(PAGES)  # every page but 我的绩效, an employee's own
    for index in range(len(links)):
        page.query_selector_all('[data-testid="stSidebarNavLink"]')[index].click()
        wait_until_drawn(page)
        page.wait_for_selector("h1", timeout=30_000)
        assert error_boxes(page) == [], f"error on sidebar link {index}"
        assert "Page not found" not in page.inner_text("body")


def test_upload_through_the_file_input_and_commit(browser, tmp_path):
    from engine import paths
    from engine.store import Store

    db = demo_store(tmp_path)
    upload = tmp_path / "考核_2026年11月.csv"
    upload.write_bytes((paths.SAMPLE_DIR / "2026-02.csv").read_bytes())  # GBK, Chinese headers
    with dashboard(db) as url:
        page = browser.new_page(viewport={"width": 1400, "height": 1200})
        page.goto(f"{url}/imports")
        wait_until_drawn(page)
        page.set_input_files('[data-testid="stFileUploader"] input[type="file"]', str(upload))
        page.get_by_text("将新增 2026-11 月的数据").wait_for(timeout=60_000)
        assert Store(db, lock_wait=30).periods()[-1] == "2026-10"
        page.get_by_role("button", name="导入此文件").click()
        page.get_by_text("已导入 2026-11").wait_for(timeout=60_000)
        wait_until_drawn(page)
        assert error_boxes(page) == []
        SCREENSHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "import.png"), full_page=True)
    assert Store(db).periods()[-1] == "2026-11"
    assert len(Store(db).facts(["2026-11"])) == 298


def test_a_deep_link_on_a_fresh_server_runs_the_entry_script(browser, tmp_path):
    with dashboard(demo_store(tmp_path)) as url:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{url}/ranking")
        wait_until_drawn(page)
        page.wait_for_selector('[data-testid="stSidebarNavLink"]', timeout=30_000)
        links = [
            link.inner_text()
            for link in page.query_selector_all('[data-testid="stSidebarNavLink"]')
        ]
        assert any("排名" in text for text in links), links
        assert page.get_by_text("语言 · Language").count() == 1  # the shared sidebar is there
        assert error_boxes(page) == []


def test_a_deep_link_opens_after_signing_in(browser, tmp_path, monkeypatch):
    accounts = tmp_path / "accounts.toml"
    add_user("li", "li-password", "hr", file=accounts)
    monkeypatch.setenv("ASSESS_ACCOUNTS", str(accounts))
    with dashboard(demo_store(tmp_path)) as url:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{url}/employee?employee=E0005")
        wait_until_drawn(page)
        assert page.locator("h1").first.inner_text().startswith("登录")
        page.get_by_label("用户名").fill("li")
        page.get_by_label("密码").fill("li-password")
        page.get_by_role("button", name="登录").click()
        page.wait_for_selector("h1:has-text('员工详情')", timeout=30_000)
        assert page.url == f"{url}/employee?employee=E0005"
        # The title is drawn before the person's header: wait for the header itself.
        page.get_by_text("许鹏娟 · E0005").first.wait_for(timeout=30_000)
        assert error_boxes(page) == []
