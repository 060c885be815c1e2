"""Cached access to the store and the engine, keyed on small values (paths, version, period)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from engine import paths
from engine.cli import import_demo
from engine.periods import available, parse_period, score_period
from engine.scheme import Scheme, load_scheme
from engine.store import Store


@st.cache_resource(show_spinner=False)
def store(db_file: str) -> Store:
    """One Store per file per process; it opens the file only while working."""
    return Store(db_file)


def current_store() -> Store:
    return store(str(paths.db_path()))


@st.cache_data(show_spinner=False)
def scheme(scheme_file: str) -> Scheme:
    return load_scheme(scheme_file)


def current_scheme() -> Scheme:
    return scheme(str(paths.scheme_path()))


def ensure_demo_data() -> list[str]:
    """On the first start with an empty store, import the bundled demo months."""
    target = current_store()
    if not target.is_empty():
        return []
    messages = import_demo(target, current_scheme())
    st.cache_data.clear()
    return messages


@st.cache_data(show_spinner=False)
def _periods(db_file: str, version: int) -> dict[str, list[str]]:
    return available(store(db_file).periods())


def periods() -> dict[str, list[str]]:
    """Periods with data of each kind (month, quarter, half, year), newest first."""
    target = current_store()
    return _periods(str(target.path), target.version())


@st.cache_data(show_spinner=False, max_entries=32)
def _scored(db_file: str, version: int, scheme_file: str, scheme_digest: str, period: str):
    chosen = parse_period(period)
    facts = store(db_file).facts(list(chosen.months))
    return score_period(facts, scheme(scheme_file), chosen)


def scored(period: str) -> pd.DataFrame:
    """The scored table of a period under the active scheme, recomputed when the store changes."""
    target, active = current_store(), current_scheme()
    return _scored(
        str(target.path), target.version(), str(paths.scheme_path()), active.digest, period
    )
