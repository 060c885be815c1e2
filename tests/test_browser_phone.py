"""On a phone (390 × 844, touch): choosing a page closes the sidebar, the KPI heatmap's labels fit
and stay readable, the what-if grade inputs keep their labels, in 中文 and in English."""

from __future__ import annotations

import itertools

import pytest

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
PHONE = {"width": 390, "height": 844}
# Streamlit closes its sidebar after a page is chosen when the browser says it is a phone (its
# user agent): a desktop window made 390 px narrow keeps the sidebar the user opened.
PHONE_AGENT = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Mobile Safari/537.36"
)
SIDEBAR = '[data-testid="stSidebar"]'
LANGUAGE_NAMES = {"zh": "中文", "en": "English"}
# The smallest tick font a reader can still read on a phone, in CSS pixels.
SMALLEST_FONT = 9


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
    with dashboard(demo_store(tmp_path_factory.mktemp("phone"))) as url:
        yield url


def phone(browser):
    return browser.new_page(
        viewport=PHONE,
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        user_agent=PHONE_AGENT,
    )


def sidebar_open(page) -> bool:
    """Whether the sidebar covers the page."""
    return page.locator(SIDEBAR).get_attribute("data-collapsed") == "false"


def open_sidebar(page) -> None:
    page.locator('[data-testid="stExpandSidebarButton"]').click()
    page.wait_for_function(
        f"document.querySelector('{SIDEBAR}').getAttribute('data-collapsed') === 'false'"
    )
    page.wait_for_timeout(1200)  # the slide-in animation and its settling


def close_sidebar(page) -> None:
    page.locator('[data-testid="stSidebarCollapseButton"] button').click()
    page.wait_for_function(
        f"document.querySelector('{SIDEBAR}').getAttribute('data-collapsed') === 'true'"
    )
    page.wait_for_timeout(400)


def choose_language(page, language: str) -> None:
    """Pick the language in the sidebar (which then stays open: no page was chosen)."""
    open_sidebar(page)
    page.locator(SIDEBAR).get_by_text(LANGUAGE_NAMES[language], exact=True).click()
    wait_until_drawn(page)


def go_to(page, title: str) -> None:
    """Open the sidebar and choose a page by its title, as a thumb would."""
    if not sidebar_open(page):
        open_sidebar(page)
    page.locator('[data-testid="stSidebarNavLink"]').filter(has_text=title).click()
    wait_until_drawn(page)
    page.wait_for_timeout(600)


def test_on_a_phone_choosing_a_page_closes_the_sidebar(browser, server):
    """Streamlit's own behaviour on a phone (it reads the user agent): a tapped page link closes
    the sidebar, in 中文 and, after switching, in English; page names in one language."""
    page = phone(browser)
    page.goto(server)
    wait_until_drawn(page)
    assert not sidebar_open(page), "a phone opens on the page, not on the sidebar"
    go_to(page, "排名")
    assert not sidebar_open(page), "the sidebar stayed open after choosing 排名"
    assert page.locator("h1").first.inner_text().startswith("排名")
    choose_language(page, "en")
    go_to(page, "KPIs")
    assert not sidebar_open(page), "the sidebar stayed open after choosing KPIs"
    assert error_boxes(page) == []
    links = page.locator('[data-testid="stSidebarNavLink"]').all_inner_texts()
    assert any("KPIs" in link for link in links)
    assert not any("总览" in link or "指标" in link for link in links), links
    page.close()


def test_on_a_phone_a_page_chosen_right_after_a_sidebar_widget_closes_the_sidebar(browser, server):
    page = phone(browser)
    page.goto(server)
    wait_until_drawn(page)
    choose_language(page, "en")
    go_to(page, "Ranking")
    assert not sidebar_open(page)
    page.close()


@pytest.mark.parametrize("language", ["zh", "en"])
def test_on_a_phone_the_heatmap_labels_fit_and_stay_readable(browser, server, language):
    page = phone(browser)
    page.goto(f"{server}/kpis")
    wait_until_drawn(page)
    choose_language(page, language)
    close_sidebar(page)
    page.wait_for_selector(".js-plotly-plot .main-svg", timeout=60_000)
    page.wait_for_timeout(800)
    heatmap = page.locator(".js-plotly-plot").first
    chart = heatmap.bounding_box()
    assert chart["width"] <= PHONE["width"]
    ticks = heatmap.locator(".xtick text, .ytick text")
    assert ticks.count() >= 10
    for index in range(ticks.count()):
        tick = ticks.nth(index)
        box = tick.bounding_box()
        size = float(tick.evaluate("t => getComputedStyle(t).fontSize").removesuffix("px"))
        assert size >= SMALLEST_FONT, tick.inner_html()
        # Inside the chart: no label cut at the phone's edge or under the next element.
        assert (
            box["x"] >= chart["x"] - 1
            and box["x"] + box["width"] <= chart["x"] + chart["width"] + 1
        ), tick.text_content()
        assert box["y"] >= chart["y"] - 1, tick.text_content()
    x_labels = heatmap.locator(".xtick text").all_text_contents()
    # Neighbouring KPI names do not run into each other (rotated labels: by their x position).
    lefts = sorted(
        heatmap.locator(".xtick text").nth(i).bounding_box()["x"] for i in range(len(x_labels))
    )
    assert all(b - a >= 8 for a, b in itertools.pairwise(lefts)), x_labels
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"phone_kpis_{language}.png"), full_page=True)
    page.close()


@pytest.mark.parametrize("language", ["zh", "en"])
def test_on_a_phone_the_whatif_grade_inputs_keep_their_labels(browser, server, language):
    page = phone(browser)
    page.goto(f"{server}/whatif")
    wait_until_drawn(page)
    choose_language(page, language)
    close_sidebar(page)
    label = {"zh": "优秀 最低分", "en": "Excellent minimum"}[language]
    field = page.get_by_label(label)
    field.scroll_into_view_if_needed()
    assert field.is_visible()
    shown = page.locator('[data-testid="stNumberInput"]').filter(has=field)
    caption = shown.locator('[data-testid="stWidgetLabel"]')
    assert caption.is_visible() and label in caption.inner_text()
    assert caption.bounding_box()["height"] > 0
    assert error_boxes(page) == []
    SCREENSHOTS.mkdir(exist_ok=True)
    shown.screenshot(path=str(SCREENSHOTS / f"phone_whatif_input_{language}.png"))
    page.screenshot(path=str(SCREENSHOTS / f"phone_whatif_{language}.png"), full_page=True)
    page.close()
