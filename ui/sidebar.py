"""The sidebar every page shares: language, scheme, period and department / team / role filters."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import streamlit as st

from engine.analysis.figures import select
from engine.schemes.scheme import Scheme
from ui import data
from ui.i18n import LANGUAGE_KEY, LANGUAGES, tr

KIND_LABELS = {
    "month": ("月度", "Month"),
    "quarter": ("季度", "Quarter"),
    "half": ("半年", "Half-year"),
    "year": ("年度", "Year"),
}
VIEW_KEY = "view"
SCHEME_KEY = "scheme_in_use"


@dataclass(frozen=True)
class View:
    """What the user chose in the sidebar; every page reads it. `scheme` is the version in use
    of the chosen scheme file, resolved once per script run."""

    scheme_file: str
    scheme: Scheme
    kind: str
    period: str
    departments: tuple[str, ...] = ()
    teams: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()

    def rows(self, table: pd.DataFrame) -> pd.DataFrame:
        """The rows of a scored table that pass the filters."""
        return select(table, self.departments, self.teams, self.roles)

    @property
    def filtered(self) -> bool:
        return bool(self.departments or self.teams or self.roles)


def draw() -> View | None:
    """Draw the shared sidebar; None when the store has no data yet."""
    bar = st.sidebar
    bar.radio(
        "语言 · Language",
        list(LANGUAGES),
        format_func=LANGUAGES.get,
        key=LANGUAGE_KEY,
        horizontal=True,
    )
    schemes = data.valid_schemes()
    default = data.default_scheme_file()
    files = list(schemes) if default in schemes else [default, *schemes]
    scheme_file = bar.selectbox(
        tr("考核方案", "Scheme"),
        files,
        index=files.index(default),
        key="scheme_file",
        # Names made now: AppTest calls format_func outside the run, where tr() cannot see
        # the session's language.
        format_func={f: _scheme_name(schemes.get(f, f)) for f in files}.get,
    )
    scheme = data.active_scheme(scheme_file)
    st.session_state[SCHEME_KEY] = scheme
    found = data.periods()
    if not found["month"]:
        st.session_state[VIEW_KEY] = None
        return None
    kind = bar.segmented_control(
        tr("期间", "Period"),
        list(KIND_LABELS),
        key="period_kind",
        format_func=lambda k: tr(*KIND_LABELS[k]),
        default="month",
    )
    kind = kind or "month"
    period = bar.selectbox(tr("考核期间", "Assessment period"), found[kind], key=f"period_{kind}")
    roster = data.scored(period, scheme)
    departments = bar.multiselect(
        tr("部门", "Department"),
        _options(roster, "department"),
        key="departments",
        placeholder=tr("全部", "All"),
    )
    in_departments = select(roster, departments)
    teams = bar.multiselect(
        tr("班组", "Team"),
        _options(in_departments, "team"),
        key="teams",
        placeholder=tr("全部", "All"),
    )
    roles = bar.multiselect(
        tr("岗位", "Role"), _options(roster, "role"), key="roles", placeholder=tr("全部", "All")
    )
    view = View(scheme_file, scheme, kind, period, tuple(departments), tuple(teams), tuple(roles))
    st.session_state[VIEW_KEY] = view
    return view


def _scheme_name(shown: str) -> str:
    """A scheme's "中文名 · English name (v2)" in the chosen language, with its version."""
    zh, both, en = shown.partition(" · ")
    if not both:
        return shown
    version = en[en.rfind(" (v") :] if " (v" in en else ""
    return tr(zh + version, en)


def _options(table: pd.DataFrame, column: str) -> list[str]:
    return sorted(table[column].dropna().astype(str).unique().tolist()) if column in table else []


def current() -> View | None:
    """The view the entry script drew for this run."""
    return st.session_state.get(VIEW_KEY)


def scheme() -> Scheme:
    """The scheme in use that the entry script resolved for this run (also without data)."""
    found = st.session_state.get(SCHEME_KEY)
    return found if found is not None else data.active_scheme(data.default_scheme_file())
