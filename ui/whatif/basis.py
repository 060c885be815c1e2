"""The what-if page's prepared period: scored once under the scheme in use, cached for every
session on small keys, then filtered, and the monthly totals under a scenario's weights."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import streamlit as st

from engine.analysis import whatif
from engine.analysis.figures import select
from engine.cycle.eligibility import flags
from engine.schemes.scheme import Scheme
from engine.scoring.periods import parse_period
from engine.scoring.targets import with_targets
from ui import data
from ui.sidebar import View


# Not scoped by user: only admin and HR, who see every department and name, may open the
# what-if page (pages/whatif.py stops everyone else before it asks for a basis).
@st.cache_resource(show_spinner=False, max_entries=8)
def _basis(db_file: str, version: int, digest: str, period: str, _scheme: Scheme) -> whatif.Basis:
    months = list(parse_period(period).months)
    # Targets take the place of linear standards here as on every page (scoring.targets).
    target = data.store(db_file)
    facts = with_targets(target.facts(months), target.targets(months), _scheme)
    # Statuses (a roster column, or probation from the hire date) as the scoring has them.
    return whatif.prepare(facts, _scheme, period, flags(facts, _scheme))


@st.cache_resource(show_spinner=False, max_entries=16)
def _filtered(
    db_file: str, version: int, digest: str, period: str, filters: tuple, _basis: whatif.Basis
) -> whatif.Basis:
    kept = select(_basis.people, *filters)
    return whatif.subset(_basis, _basis.people.index.isin(kept.index))


@dataclass(frozen=True)
class Prepared:
    """A prepared period and the small key it is cached under."""

    key: tuple
    basis: whatif.Basis


def basis_for(view: View, scheme: Scheme) -> Prepared:
    """The period prepared once under the scheme (shared by every session), then filtered."""
    target = data.current_store()
    key = (str(target.path), data.store_version(), scheme.digest, view.period)
    full = _basis(*key, scheme)
    if not view.filtered:
        return Prepared(key, full)
    filters = (view.departments, view.teams, view.roles)
    return Prepared((*key, filters), _filtered(*key, filters, full))


@st.cache_resource(show_spinner=False, max_entries=32)
def _row_totals(basis_key: tuple, totals_key: tuple, _basis: whatif.Basis, _scheme: Scheme):
    return whatif.row_totals(_basis, _scheme)


def row_totals(prepared: Prepared, scheme: Scheme) -> np.ndarray:
    """Monthly totals under a scheme, recomputed only when weights or scoring rules change."""
    return _row_totals(prepared.key, whatif.totals_key(scheme), prepared.basis, scheme)


def baseline(prepared: Prepared) -> whatif.Outcome:
    scheme = prepared.basis.scheme
    return whatif.regrade(prepared.basis, scheme, row_totals(prepared, scheme))
