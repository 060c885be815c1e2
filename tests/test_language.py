"""One language at a time: every page of app.PAGES, on both demo datasets, in 中文 and in English,
shows no word of the other language and no internal id (the import page also after a file with
problems, a replacement and a restore). The allowances are explicit: what people typed into
their files (names, departments, teams, roles, file names) and what the rules file names in
Chinese only."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from engine import paths
from engine.demo.dealer_4s import import_demo_4s
from engine.rules.evaluate import load_rules
from engine.schemes.scheme import load_scheme
from engine.store import Store
from tests.apptest import demo_store, open_page
from tests.language import foreign, internal_ids, page_files, shown_texts

LANGUAGES = ("zh", "en")
# The ranking page's search box suggests a surname as an example of what to type.
EXAMPLES = {"王"}


def typed_by_people(store: Store) -> set[str]:
    """Text that came from files, shown as typed in either language: names, departments, teams,
    roles, the files' names (monthly files, scheme and rules files)."""
    facts = store.facts()
    found = set(store.imports()["file_name"].dropna())
    found |= {f.name for f in paths.SCHEMES_DIR.rglob("*.toml")}
    raters = [c for c in facts.columns if "评分人" in str(c) or "rater" in str(c).lower()]
    for column in ("name", "department", "team", "role", "region", *raters):
        if column in facts:
            found |= set(facts[column].dropna().astype(str))
    return found | EXAMPLES


@pytest.fixture(scope="module", params=["aftersales", "4s"])
def dataset(request, tmp_path_factory) -> Iterator[tuple[str, Path]]:
    """A demo store the app uses, for the after-sales demo and the 4S dealer demo."""
    folder = tmp_path_factory.mktemp(f"language_{request.param}")
    if request.param == "4s":
        db = folder / "s4.duckdb"
        import_demo_4s(Store(db))
    else:
        db = demo_store(folder)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(paths.DB_ENV, str(db))
        yield request.param, db


def test_every_page_of_the_app_is_walked():
    """Pages added to app.PAGES later are walked too: the list is read from app.py."""
    pages = page_files()
    assert {"overview", "imports", "audit", "scheme"} <= set(pages)
    assert all((paths.ROOT / "pages" / f"{p}.py").exists() for p in pages)


def test_the_internal_ids_include_the_engines_and_the_schemes():
    ids = internal_ids()
    assert {"employee_id", "hire_date", "fault_days", "manager_rating", "score_fault_days"} <= ids


# Pages only an employee account opens: walked as an employee with a published month (below).
EMPLOYEE_PAGES = {"my_results"}


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("page", [p for p in page_files() if p not in EMPLOYEE_PAGES])
def test_a_page_speaks_one_language(dataset, page, language):
    _, db = dataset
    at = open_page(page, language=language)
    assert not at.exception
    texts = shown_texts(at)
    assert len(texts) > 10, "the walk found the page's text"
    found = foreign(texts, language, typed_by_people(Store(db)))
    assert not found, "\n".join(found)


def problem_month() -> bytes:
    """A month with a problem of each common kind: a missing required column (部门), text in a
    KPI, a percent above 100, a hire date after the month, a duplicated id."""
    table = pd.read_csv(paths.SAMPLE_DIR / "2026-10.csv", dtype=str, keep_default_na=False)
    table = table.drop(columns=["department"]).head(6)
    table.loc[0, "fault_days"] = "abc"
    table.loc[1, "satisfaction"] = "120"
    table.loc[2, "hire_date"] = "2027-01-05"
    table.loc[3, "employee_id"] = table.loc[4, "employee_id"]
    out = io.StringIO()
    table.to_csv(out, index=False)
    return out.getvalue().encode("utf-8")


def changed_month() -> bytes:
    """October with one value changed: importing it replaces the month."""
    table = pd.read_csv(paths.SAMPLE_DIR / "2026-10.csv", dtype=str, keep_default_na=False)
    table.loc[0, "fault_days"] = "9"
    out = io.StringIO()
    table.to_csv(out, index=False)
    return out.getvalue().encode("utf-8")


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_import_page_speaks_one_language_after_problems_a_replacement_and_a_restore(
    tmp_path, monkeypatch, language
):
    db = demo_store(tmp_path)
    monkeypatch.setenv(paths.DB_ENV, str(db))
    store = Store(db)
    at = open_page("imports", language=language)
    files = [("2026-11.csv", problem_month(), "text/csv")]
    at.file_uploader[0].set_value(files).run()
    assert not at.exception
    problems = shown_texts(at)
    assert any(t in problems for t in ("不是数字", "not a number"))
    at.file_uploader[0].set_value([("2026-10.csv", changed_month(), "text/csv")]).run()
    at.checkbox(key=next(c.key for c in at.checkbox if c.key.startswith("confirm_"))).check()
    at.run()
    replacing = shown_texts(at)
    next(b for b in at.button if b.key and b.key.startswith("commit_")).click().run()
    assert not at.exception
    committed = shown_texts(at)
    old = int(store.imports().query("status == 'replaced'")["import_id"].iloc[0])
    at.selectbox(key="restore_choice").set_value(old).run()
    at.button(key="restore").click().run()
    assert not at.exception
    restored = shown_texts(at)
    assert any(m.value for m in at.success), "the restore said what it did"
    # What the uploaded files hold as typed: their headers (the demo files use the template's
    # English headers, and Chinese ones for rules inputs) and the bad values put in.
    headers = pd.read_csv(paths.SAMPLE_DIR / "2026-10.csv", nrows=0).columns
    allowed = typed_by_people(store) | {"2026-10.csv", "2026-11.csv", "abc", *headers}
    for texts in (problems, replacing, committed, restored):
        found = foreign(texts, language, allowed)
        assert not found, "\n".join(found)
    audit = open_page("audit", language=language)
    found = foreign(shown_texts(audit), language, allowed)
    assert not found, "\n".join(found)


def test_an_english_ladder_step_is_named_in_english(dataset):
    """The rules file gives each promotion step an English name: the English page uses it."""
    name, _ = dataset
    if name != "aftersales":
        pytest.skip("the 4S rules have no ladder")
    steps = load_rules(load_scheme()).ladder.steps
    assert {s.name_en for s in steps} >= {"Regular", "Star"}
    at = open_page("rules", language="en")
    assert "星级" not in " ".join(shown_texts(at))


@pytest.mark.parametrize("language", LANGUAGES)
def test_my_results_speaks_one_language(tmp_path, monkeypatch, language):
    """我的绩效 as the employee E0001 sees it, October published, with the appeal form."""
    import time

    from engine.accounts import Access, add_user
    from tests.test_page_my_results import close_month

    db = demo_store(tmp_path)
    monkeypatch.setenv(paths.DB_ENV, str(db))
    accounts = tmp_path / "accounts.toml"
    add_user("E0001", "e0001-password", "employee", employee_id="E0001", file=accounts)
    monkeypatch.setenv("ASSESS_ACCOUNTS", str(accounts))
    close_month(Store(db, user="boss"), load_scheme(), "2026-10", "publish")
    me = Access("E0001", "employee", (), "E0001")
    at = open_page("my_results", language=language, access=me, last_seen=time.time())
    assert not at.exception
    texts = shown_texts(at)
    assert len(texts) > 10, "the walk found the page's text"
    found = foreign(texts, language, typed_by_people(Store(db)))
    assert not found, "\n".join(found)
