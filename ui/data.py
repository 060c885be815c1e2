"""Cached access to the store and the engine, keyed on small values (paths, version, period)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from engine import paths
from engine.accounts import LOCAL_ACCESS, Access, Accounts, accounts_path, load_accounts, scoped
from engine.cli import import_demo
from engine.schemes import versions as scheme_versions
from engine.schemes.scheme import Scheme, SchemeError, list_schemes, load_scheme
from engine.scoring.periods import available, parse_period, previous, score_period
from engine.scoring.score import score_table
from engine.store import Store


@st.cache_resource(show_spinner=False)
def store(db_file: str) -> Store:
    """One Store per file per process; it opens the file only while working."""
    return Store(db_file)


def current_store() -> Store:
    """The store, recording the signed-in user in the audit log of what it changes."""
    return store(str(paths.db_path())).as_user(access().user)


@st.cache_data(show_spinner=False)
def _accounts(file: str, modified: float) -> Accounts:
    return load_accounts(accounts_path(file))


def accounts() -> Accounts:
    """The accounts file's content, reread when the file changes."""
    file = accounts_path()
    return _accounts(str(file), file.stat().st_mtime if file.exists() else 0.0)


def access() -> Access:
    """Who this session is; with sign-in on and nobody signed in, someone who may see nothing."""
    signed_in = st.session_state.get("access")
    if signed_in is not None:
        return signed_in
    return Access("?", "manager", ()) if accounts().sign_in_required else LOCAL_ACCESS


@st.cache_data(show_spinner=False)
def scheme(scheme_file: str, digest_hint: float = 0.0) -> Scheme:
    return load_scheme(scheme_file)


@st.cache_data(show_spinner=False)
def _active_scheme(db_file: str, version: int, scheme_file: str, modified: float) -> Scheme:
    return scheme_versions.active_scheme(store(db_file), scheme(scheme_file, modified))


def scheme_at(scheme_file: str) -> Scheme:
    """The scheme in use for a scheme file: the newest version adopted in the store (what-if
    page), else the file itself, reloaded when the file changes on disk."""
    modified = paths.scheme_path(scheme_file).stat().st_mtime
    return _active_scheme(str(paths.db_path()), store_version(), scheme_file, modified)


def default_scheme_file() -> str:
    return str(paths.scheme_path())


@st.cache_data(show_spinner=False, ttl=60)
def _valid_schemes(db_file: str, version: int) -> dict[str, str]:
    return {
        str(file): f"{found.name_zh} · {found.name_en} (v{scheme_at(str(file)).version})"
        for file, found in list_schemes()
        if not isinstance(found, SchemeError)
    }


def valid_schemes() -> dict[str, str]:
    """Scheme file path → display name with the version in use, for every valid scheme."""
    return _valid_schemes(str(paths.db_path()), store_version())


@st.cache_resource(show_spinner=False)
def _stores_with_data() -> set[str]:
    """Store files this process has seen hold imports (that never goes back: deleted imports
    stay logged), so each script run need not open the file to ask again."""
    return set()


def ensure_demo_data() -> list[str]:
    """On the first start with an empty store, import the bundled demo months."""
    target = current_store()
    known = _stores_with_data()
    if str(target.path) in known:
        return []
    if not target.is_empty():
        known.add(str(target.path))
        return []
    if paths.demo_dataset() == "4s":
        from engine.demo.dealer_4s import import_demo_4s

        messages = import_demo_4s(target)
    else:
        messages = import_demo(target, scheme(default_scheme_file()))
    known.add(str(target.path))
    st.cache_data.clear()
    return messages


@st.cache_data(show_spinner=False, ttl=2)
def _version(db_file: str) -> int:
    return store(db_file).version()


def store_version() -> int:
    """The store's version, read at most every 2 s (each read opens the file); an import in
    this process clears it at once, one from the command line shows within 2 s."""
    return _version(str(paths.db_path()))


@st.cache_data(show_spinner=False)
def _periods(db_file: str, version: int) -> dict[str, list[str]]:
    return available(store(db_file).periods())


def periods() -> dict[str, list[str]]:
    """Periods with data of each kind (month, quarter, half, year), newest first."""
    target = current_store()
    return _periods(str(target.path), store_version())


@st.cache_data(show_spinner=False, max_entries=64)
def _scored(db_file: str, version: int, scheme_file: str, digest: str, period: str):
    chosen = parse_period(period)
    facts = store(db_file).facts(list(chosen.months))
    used = scheme_at(scheme_file)
    return score_period(facts, used, chosen).assign(scheme_version=f"{used.id} v{used.version}")


def scored(period: str, scheme_file: str | None = None) -> pd.DataFrame:
    """The scored table of a period as this user may see it (ranks are over everyone),
    recomputed when the store or the scheme changes."""
    target = current_store()
    file = scheme_file or default_scheme_file()
    table = _scored(str(target.path), store_version(), file, scheme_at(file).digest, period)
    return scoped(table, access())


def scored_previous(period: str, scheme_file: str | None = None) -> pd.DataFrame:
    """The scored table of the period before (empty when it has no data)."""
    return scored(previous(parse_period(period)).label, scheme_file)


def clear_after_import() -> None:
    """Drop every derived result so every page shows the new data at once."""
    st.cache_data.clear()


@st.cache_data(show_spinner=False, max_entries=8)
def _monthly(db_file: str, version: int, scheme_file: str, digest: str) -> pd.DataFrame:
    used = scheme_at(scheme_file)
    table = score_table(store(db_file).facts(), used)
    return table.assign(scheme_version=f"{used.id} v{used.version}")


def monthly(scheme_file: str | None = None) -> pd.DataFrame:
    """Every stored month scored, one row per employee and month (for trends), as this user
    may see it."""
    target = current_store()
    file = scheme_file or default_scheme_file()
    table = _monthly(str(target.path), store_version(), file, scheme_at(file).digest)
    return scoped(table, access())
