"""AppTest smoke tests of the entry page on a temporary store built from the demo data."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from engine import paths
from engine.cli import scored
from engine.scheme import load_scheme
from engine.store import Store

APP = str(paths.ROOT / "app.py")


@pytest.fixture
def app_env(tmp_path, monkeypatch):
    db = tmp_path / "app.duckdb"
    monkeypatch.setenv(paths.DB_ENV, str(db))
    return db


def run(**kwargs) -> AppTest:
    return AppTest.from_file(APP, default_timeout=60).run()


def test_first_start_imports_the_demo_months_and_shows_the_latest(app_env):
    at = run()
    assert not at.exception
    store = Store(app_env)
    assert len(store.periods()) == 12
    table = scored(store, load_scheme(), "2026-10")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["人数 · Headcount"] == str(len(table))
    assert metrics["平均分 · Mean total"] == f"{table['total'].mean():.2f}"
    assert at.dataframe[0].value.iloc[0]["总分 · Total"] == table["total"].max()


def test_choosing_another_month_changes_the_figures(app_env):
    at = run()
    at.sidebar.selectbox[0].set_value("2025-11").run()
    assert not at.exception
    table = scored(Store(app_env), load_scheme(), "2025-11")
    assert {m.label: m.value for m in at.metric}["人数 · Headcount"] == str(len(table))


def test_empty_store_without_demo_files_says_so(app_env, monkeypatch, tmp_path):
    empty_samples = tmp_path / "no_samples"
    empty_samples.mkdir()
    monkeypatch.setattr(paths, "SAMPLE_DIR", empty_samples)
    monkeypatch.setattr("engine.demo.generate_demo", lambda *a, **k: [])
    at = run()
    assert not at.exception
    assert "No data yet" in at.info[0].value
