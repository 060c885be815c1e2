"""Helpers for AppTest: run the dashboard against a temporary store built from the demo data."""

from __future__ import annotations

import functools
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from streamlit.components.v2 import manifest_scanner
from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import AppTest

from engine import paths
from engine.cli import import_demo
from engine.schemes.scheme import load_scheme
from engine.store import Store

APP = str(paths.ROOT / "app.py")
_pages_manager_init = PagesManager.__init__


def _navigation_only(self, *args, **kwargs) -> None:
    """As `python -m ui.serve` does for the server: st.navigation routes, so every run (a page
    switch included) goes through the entry script and its sidebar. AppTest resets the flag
    before each run and Streamlit would then run pages/<page>.py alone (the old folder mode).

    The flag is a class attribute that every AppTest shares: it is set before the original
    `__init__`, which then leaves it alone, so it is never True, even for a moment in which
    another thread's run reads it (AppTests run at once in threads lost their widget values)."""
    PagesManager.uses_pages_directory = False
    _pages_manager_init(self, *args, **kwargs)


PagesManager.__init__ = _navigation_only

# A server scans the installed packages for components once, when it starts; AppTest scans them
# again on every run (0.2–0.7 s of each run's time, reading every package's metadata). The
# installed packages do not change while the tests run, so the first scan serves them all.
manifest_scanner.scan_component_manifests = functools.cache(
    manifest_scanner.scan_component_manifests
)
_DEMO_STORE: Path | None = None


def demo_store(tmp_path: Path) -> Path:
    """A copy of a store holding the 12 demo months (built once per test process)."""
    global _DEMO_STORE
    if _DEMO_STORE is None or not _DEMO_STORE.exists():
        built = Path(tmp_path.parent) / "demo_template.duckdb"
        built.unlink(missing_ok=True)
        import_demo(Store(built), load_scheme())
        _DEMO_STORE = built
    copy = tmp_path / "demo.duckdb"
    shutil.copy(_DEMO_STORE, copy)
    return copy


@contextmanager
def using_demo_store(folder: Path) -> Iterator[Store]:
    """A demo store copy in `folder` that the app uses ($ASSESS_DB) until the block ends; for
    module-scoped fixtures, where pytest's monkeypatch fixture is not available."""
    db = demo_store(folder)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(paths.DB_ENV, str(db))
        yield Store(db)


def open_page(page: str | None = None, query: dict | None = None, **state) -> AppTest:
    """Run the app, optionally switch to pages/<page>.py (with `query` as the address's query
    parameters), with sidebar widget values preset."""
    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    for key, value in (query or {}).items():
        at.query_params[key] = value
    if page:
        at.switch_page(f"pages/{page}.py").run()
    return at
