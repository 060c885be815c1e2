"""The scenario being edited, kept in the session: where the controls start (the baseline or a
reopened saved scenario), widget keys that start over, messages kept across a rerun, the checked
scenario."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import streamlit as st

from engine.analysis import whatif
from engine.schemes import edit as scheme_edit
from engine.schemes.scheme import Scheme, SchemeError, parse_scheme
from ui.i18n import tr

PREFIX = "wi"


START_KEY = "wi_start"


GENERATION_KEY = "wi_generation"


FLASH_KEY = "wi_flash"


@dataclass
class Start:
    """What the controls start from: the baseline, or a reopened saved scenario."""

    scheme: Scheme
    name: str = ""
    settings: dict = field(default_factory=dict)


def start_for(base: Scheme) -> Start:
    """The current starting point; back to the baseline when the baseline has changed."""
    found = st.session_state.get(START_KEY)
    if found is None or found["baseline"] != base.digest:
        return Start(base)
    return Start(
        scheme_edit.from_toml(found["toml"], found["name"]), found["name"], found["settings"]
    )


def open_start(base: Scheme, name: str = "", toml: str | None = None, settings=None) -> None:
    """Make the controls start over from the baseline or from a saved scenario."""
    if toml is None:
        st.session_state.pop(START_KEY, None)
    else:
        st.session_state[START_KEY] = {
            "baseline": base.digest,
            "name": name,
            "toml": toml,
            "settings": settings or {},
        }
    st.session_state[GENERATION_KEY] = st.session_state.get(GENERATION_KEY, 0) + 1


def key(*parts) -> str:
    """A widget key that changes when the controls start over."""
    generation = st.session_state.get(GENERATION_KEY, 0)
    return "_".join(str(p) for p in (PREFIX, generation, *parts))


def flash(kind: str, message: str) -> None:
    st.session_state[FLASH_KEY] = (kind, message)


def show_flash() -> None:
    found = st.session_state.pop(FLASH_KEY, None)
    if found:
        (st.success if found[0] == "success" else st.error)(found[1])


@dataclass
class Scenario:
    """The scheme the controls describe, with the solver applied, or the reasons it cannot be."""

    scheme: Scheme | None
    settings: dict
    problems: list[str]
    outcome: whatif.Outcome | None = None
    department_cutoffs: np.ndarray | None = None
    fit: whatif.BudgetFit | None = None

    @property
    def adoptable(self) -> bool:
        return self.scheme is not None and self.department_cutoffs is None


def checked(scenario_data: dict, problems: list[str]) -> tuple[Scheme | None, list[str]]:
    """The scenario parsed and validated; nothing is applied while any problem remains."""
    if problems:
        return None, problems
    try:
        return parse_scheme(scenario_data, source=tr("模拟方案", "scenario")), []
    except SchemeError as exc:
        return None, exc.problems
