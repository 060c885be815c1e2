"""AppTest of the entry script and the overview page, figures checked against the engine."""

from __future__ import annotations

import pytest

from engine import paths
from engine.analysis.figures import headline, movers, select
from engine.cli import scored
from engine.demo.dealer_4s import import_demo_4s
from engine.schemes.scheme import load_scheme
from engine.store import Store
from tests.apptest import demo_store, open_page


@pytest.fixture
def store_file(tmp_path, monkeypatch):
    db = demo_store(tmp_path)
    monkeypatch.setenv(paths.DB_ENV, str(db))
    return db


def metrics(at) -> dict[str, tuple[str, str]]:
    return {m.label: (m.value, m.delta) for m in at.metric}


def test_first_start_imports_the_demo_months(tmp_path, monkeypatch):
    db = tmp_path / "fresh.duckdb"
    monkeypatch.setenv(paths.DB_ENV, str(db))
    at = open_page()
    assert not at.exception
    assert len(Store(db).periods()) == 12


def test_overview_figures_equal_the_engines(store_file):
    at = open_page()
    assert not at.exception
    scheme = load_scheme()
    table = scored(Store(store_file), scheme, "2026-10")
    before = scored(Store(store_file), scheme, "2026-09")
    now, then = headline(table, scheme), headline(before, scheme)
    shown = metrics(at)
    assert shown["人数"] == (str(len(table)), f"{len(table) - len(before):+d}")
    assert shown["平均分"] == (
        f"{now['mean_total']:.2f}",
        f"{now['mean_total'] - then['mean_total']:+.2f}",
    )
    assert shown["优秀占比"][0] == f"{now['share_best']:.1%}"
    top_mover = movers(table, before)["up"].iloc[0]
    assert top_mover["employee_id"] in at.dataframe[1].value.iloc[:, 0].tolist()


def test_department_filter_changes_the_figures(store_file):
    at = open_page(departments=["客服部"])
    assert not at.exception
    table = select(scored(Store(store_file), load_scheme(), "2026-10"), ["客服部"])
    assert metrics(at)["人数"][0] == str(len(table))


def test_filters_that_leave_no_one_show_a_message(store_file):
    at = open_page(departments=["客服部"], roles=["备件专员"])
    assert not at.exception
    assert "No one matches" in at.warning[0].value or "没有人员" in at.warning[0].value


def test_english_and_a_quarter(store_file):
    at = open_page(language="en", period_kind="quarter")
    assert not at.exception
    assert "Headcount" in metrics(at)
    assert at.title[0].value.endswith("2026-Q4")


def test_empty_store_without_demo_files_says_so(tmp_path, monkeypatch):
    monkeypatch.setenv(paths.DB_ENV, str(tmp_path / "empty.duckdb"))
    empty = tmp_path / "no_samples"
    empty.mkdir()
    monkeypatch.setattr(paths, "SAMPLE_DIR", empty)
    monkeypatch.setattr("engine.demo.aftersales.generate_demo", lambda *a, **k: [])
    at = open_page()
    assert not at.exception
    assert "No data yet" in at.info[0].value or "还没有数据" in at.info[0].value


def test_the_4s_demo_is_chosen_with_assess_demo(tmp_path, monkeypatch):
    db = tmp_path / "dealer.duckdb"
    monkeypatch.setenv(paths.DB_ENV, str(db))
    monkeypatch.setenv(paths.DEMO_ENV, "4s")
    at = open_page()
    assert not at.exception
    assert len(Store(db).periods()) == 18
    assert "4S" in at.caption[0].value
    at.switch_page("pages/rules.py").run()
    assert not at.exception


@pytest.fixture
def dealer_file(tmp_path, monkeypatch):
    store = Store(tmp_path / "s4.duckdb")
    import_demo_4s(store)
    monkeypatch.setenv(paths.DB_ENV, str(store.path))
    return store.path


def test_a_4s_store_opens_on_the_scheme_its_data_was_imported_under(dealer_file):
    at = open_page()
    assert not at.exception
    assert at.sidebar.selectbox(key="scheme_file").value == str(paths.DEALER_SCHEME)
    assert at.main.title[0].value == "总览 · 2026-06"
    assert not at.main.error


def test_the_after_sales_scheme_on_a_4s_store_is_refused_with_a_message(dealer_file):
    at = open_page(scheme_file=str(paths.DEFAULT_SCHEME), language="en")
    assert not at.exception
    message = at.main.error[0].value
    assert "aftersales finds only 2 of its 12 weighted KPIs" in message
    assert "imported for scheme dealer_4s" in message
    assert not at.main.metric  # nothing scored under the wrong scheme is shown


def test_movers_and_department_trends_say_signal_or_usual_variation(store_file):
    at = open_page()
    assert not at.exception
    up, down = at.dataframe[1].value, at.dataframe[2].value
    words = {"信号", "常规波动", "历史不足"}
    assert set(up["变化性质"]) <= words and set(down["变化性质"]) <= words
    history = scored(Store(store_file), load_scheme(), "2026-10")
    assert len(up) and up["工号"].isin(history["employee_id"]).all()
    assert any("红圈为信号" in c.value for c in at.main.caption)
