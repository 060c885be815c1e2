"""The sidebar every page shares: language, scheme, period and department / team / role filters."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import streamlit as st

from engine.analysis.figures import select
from engine.schemes.scheme import Scheme
from engine.scoring.periods import is_partial, months_held, parse_period
from ui import data
from ui.i18n import LANGUAGE_KEY, LANGUAGES, language, tr

KIND_LABELS = {
    "month": ("月度", "Month"),
    "quarter": ("季度", "Quarter"),
    "half": ("半年", "Half-year"),
    "year": ("年度", "Year"),
}
VIEW_KEY = "view"
SCHEME_KEY = "scheme_in_use"
# A month the next run's period picker moves to (set after an import adds a newer month; a
# widget's value can only be set before the widget is drawn, so it waits for the next run).
FOLLOW_KEY = "follow_month"


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
    if data.access().is_employee:
        # An employee sees their own published results under the scheme in use: no scheme,
        # period or filter to choose (the lists would name other departments, teams, months).
        st.session_state[SCHEME_KEY] = data.active_scheme(data.default_scheme_file())
        st.session_state[VIEW_KEY] = None
        return None
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
    followed = st.session_state.pop(FOLLOW_KEY, None)
    if followed in found["month"]:
        st.session_state["period_kind"] = "month"
        st.session_state["period_month"] = followed
    kind = bar.segmented_control(
        tr("期间", "Period"),
        list(KIND_LABELS),
        key="period_kind",
        format_func=lambda k: tr(*KIND_LABELS[k]),
        default="month",
    )
    kind = kind or "month"
    period = bar.selectbox(
        tr("考核期间", "Assessment period"),
        found[kind],
        key=f"period_{kind}",
        format_func=period_labeller(found["month"]),
    )
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


def period_label(period: str, held: list[str], lang: str = "zh") -> str:
    """A period with the months the data holds of it: '2026-Q4 · 1/3 个月(不完整)'."""
    size = len(parse_period(period).months)
    if size == 1:
        return period
    count = len(months_held(period, held))
    if count < size:
        partial = "个月(不完整)" if lang == "zh" else "months (partial)"
        note = f"{count}/{size} {partial}"
    else:
        note = f"{size} 个月" if lang == "zh" else f"{size} months"
    return f"{period} · {note}"


def period_labeller(held: list[str]):
    """A picker's label function, in the language of this run (a widget may call it later,
    outside the run, where the session's language cannot be read)."""
    lang = language()
    return lambda period: period_label(period, held, lang)


def partial_note(period: str, held: list[str]) -> str | None:
    """A plain warning when the data holds only some months of the period, else None."""
    if not is_partial(period, held):
        return None
    months, size = months_held(period, held), len(parse_period(period).months)
    listed = "、".join(months)
    return tr(
        f"{period} 不完整:数据只有 {len(months)} 个月({listed}),完整期间为 {size} 个月。"
        "本期数字只反映这些月份;与完整期间比较时请注意。",
        f"{period} is partial: the data holds {len(months)} of its {size} months "
        f"({', '.join(months)}). Its figures cover those months only; mind this when comparing "
        "it with a complete period.",
    )


def _scheme_name(shown: str) -> str:
    """A scheme's "中文名 · English name (v2)" in the chosen language, with its version."""
    zh, both, en = shown.partition(" · ")
    if not both:
        return shown
    version = en[en.rfind(" (v") :] if " (v" in en else ""
    return tr(zh + version, en)


def _options(table: pd.DataFrame, column: str) -> list[str]:
    return sorted(table[column].dropna().astype(str).unique().tolist()) if column in table else []


def follow_month(month: str) -> None:
    """Show this month from the next run on (the user has just imported it)."""
    st.session_state[FOLLOW_KEY] = month


def current() -> View | None:
    """The view the entry script drew for this run."""
    return st.session_state.get(VIEW_KEY)


def scheme() -> Scheme:
    """The scheme in use that the entry script resolved for this run (also without data)."""
    found = st.session_state.get(SCHEME_KEY)
    return found if found is not None else data.active_scheme(data.default_scheme_file())
