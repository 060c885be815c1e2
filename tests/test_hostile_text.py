"""Text from imported files (names, departments, teams, roles) is shown as typed on every page:
never as a link, an image, emphasis, a colour, LaTeX or HTML, in text or in charts."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from engine import paths
from engine.intake.parse import parse_file
from engine.schemes.scheme import load_scheme
from engine.store import Store
from tests.apptest import open_page
from ui.i18n import INVISIBLE_BREAK, plain

IMAGE_NAME = "![x](http://evil.invalid/p.png)"
LINK_NAME = "[链接](https://example.com/n) **粗** $x^2$ :red[红]"
DEPARTMENT = '<a href="http://evil.invalid/d">部门</a> [d](http://evil.invalid/d) $y$'
TEAM = "<img src=http://evil.invalid/t.png> <b>组</b> :blue-background[蓝]"
ROLE = "*岗位* `code` ~~删~~"
HOSTILE = (IMAGE_NAME, LINK_NAME, DEPARTMENT, TEAM, ROLE)
# (employee id, name): the two people whose roster is hostile, both in the hostile department
PEOPLE = (("E0001", IMAGE_NAME), ("E0002", LINK_NAME))
PAGES = [
    "overview",
    "ranking",
    "distribution",
    "kpis",
    "employee",
    "targets",
    "rules",
    "insights",
    "scheme",
    "whatif",
    "calibration",
]
TEXT_KINDS = (
    "markdown",
    "caption",
    "title",
    "header",
    "subheader",
    "info",
    "warning",
    "error",
    "success",
)
RAW_HTML = re.compile(r"<\s*(a|img|b)\b", re.IGNORECASE)


def hostile_month(month: str) -> bytes:
    """A demo month whose first two people carry hostile names, department, team and role."""
    table = pd.read_csv(paths.SAMPLE_DIR / f"{month}.csv", dtype=str, keep_default_na=False)
    for employee_id, name in PEOPLE:
        row = table["employee_id"] == employee_id
        table.loc[row, ["name", "department", "team", "role"]] = [name, DEPARTMENT, TEAM, ROLE]
    out = io.StringIO()
    table.to_csv(out, index=False)
    return out.getvalue().encode("utf-8")


def hostile_store(folder: Path) -> Path:
    """A store with two hostile demo months (the previous month too, for changes)."""
    store = Store(folder / "hostile.duckdb")
    scheme = load_scheme()
    for month in ("2026-09", "2026-10"):
        parsed = parse_file(hostile_month(month), scheme, file_name=f"{month}.csv")
        assert parsed.ok, parsed.problems
        store.import_file(parsed)
    return store.path


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> Iterator[Path]:
    db = hostile_store(tmp_path_factory.mktemp("hostile"))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(paths.DB_ENV, str(db))
        yield db


def rendered_text(at) -> list[str]:
    """What the page hands to calls that render markdown, metrics' labels included."""
    found = [str(e.value) for kind in TEXT_KINDS for e in getattr(at, kind)]
    return found + [str(m.label) for m in at.metric]


def chart_strings(at) -> list[str]:
    """Every text inside the page's plotly charts (labels, legends, hover templates)."""

    def strings(node) -> Iterator[str]:
        if isinstance(node, str):
            yield node
        elif isinstance(node, dict):
            for value in node.values():
                yield from strings(value)
        elif isinstance(node, list):
            for value in node:
                yield from strings(value)

    return [s for chart in at.get("plotly_chart") for s in strings(json.loads(chart.proto.spec))]


@pytest.mark.parametrize("page", PAGES)
def test_hostile_file_text_is_never_interpreted(hostile, page):
    at = open_page(page, query={"employee": "E0001"} if page == "employee" else None)
    assert not at.exception
    for text in rendered_text(at):
        assert not [h for h in HOSTILE if h in text], (page, text)
        assert "](http" not in text, (page, text)
        assert not RAW_HTML.search(text.replace("\\<", "")), (page, text)
    for text in chart_strings(at):
        assert not RAW_HTML.search(text), (page, text)


def test_the_employee_page_shows_the_hostile_name_as_typed(hostile):
    at = open_page("employee", query={"employee": "E0001"})
    assert not at.exception
    assert at.main.header[0].value == f"{plain(IMAGE_NAME)} · E0001"
    assert plain(DEPARTMENT) in at.main.caption[0].value
    assert plain(TEAM) in at.main.caption[0].value
    legends = chart_strings(at)
    assert '&lt;a href="http://evil.invalid/d"&gt;' in " ".join(legends)


@pytest.mark.browser
@pytest.mark.parametrize("path", ["employee?employee=E0001", "ranking", "kpis"])
def test_in_a_browser_hostile_text_makes_no_link_image_or_request(tmp_path, path):
    """What only a browser shows: the rendered page holds no link, image, emphasis, maths or
    colour from the file's text, draws it as typed, and fetches nothing it names."""
    from playwright.sync_api import sync_playwright

    from tests.browser import (
        CHROMIUM,
        CHROMIUM_FLAGS,
        dashboard,
        error_boxes,
        require_chromium,
        wait_until_drawn,
    )

    require_chromium()
    with dashboard(hostile_store(tmp_path)) as url, sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1200})
        asked: list[str] = []
        page.on("request", lambda request: asked.append(request.url))
        page.goto(f"{url}/{path}")
        wait_until_drawn(page)
        page.wait_for_selector(".js-plotly-plot .main-svg", timeout=60_000)
        page.wait_for_timeout(1000)
        assert error_boxes(page) == []
        named = 'a[href*="evil.invalid"], a[href*="example.com"], [*|href*="evil.invalid"]'
        links = [e.evaluate("n => n.outerHTML") for e in page.query_selector_all(named)]
        assert links == []
        assert page.query_selector_all('img[src*="evil.invalid"]') == []
        main = page.query_selector('[data-testid="stMain"]')
        styled = [e.inner_text() for e in main.query_selector_all(".katex, del, em, strong, b")]
        assert not [t for t in styled if re.search("粗|删|岗位|组|^x|^y", t)], styled
        assert not [u for u in asked if "evil.invalid/" in u or "example.com" in u]
        charts = " ".join(t.text_content() for t in page.query_selector_all(".js-plotly-plot"))
        assert DEPARTMENT in charts  # the department drawn as typed, tags and all
        if path.startswith("employee"):
            header = page.query_selector("h2").inner_text().replace(INVISIBLE_BREAK, "")
            assert header.startswith(f"{IMAGE_NAME} · E0001"), header
            caption = main.query_selector('[data-testid="stCaptionContainer"]').inner_text()
            caption = caption.replace(INVISIBLE_BREAK, "")
            assert caption.startswith(f"{DEPARTMENT} · {TEAM} · {ROLE}"), caption
        browser.close()


def test_an_uploaded_file_name_is_shown_as_typed(hostile):
    name = "![f](http://evil.invalid/f.png) **2026-11**.csv"
    at = open_page("imports")
    content = (paths.SAMPLE_DIR / "2026-10.csv").read_bytes()
    at.file_uploader[0].set_value([(name, content, "text/csv")]).run()
    assert not at.exception
    assert [h.value for h in at.main.subheader] == [plain(name)]
    for text in rendered_text(at):
        assert name not in text and "](http" not in text, text
