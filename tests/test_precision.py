"""Edges met at the precision a rule is written in: figures computed from sums and means that are
exactly on an edge, up to float noise, count as on it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from engine.analysis.figures import service_targets
from engine.schemes.precision import as_written, at_precision, decimals_of
from engine.schemes.scheme import load_scheme


@pytest.mark.parametrize(
    ("edges", "decimals"),
    [((3,), 2), ((3.0, 5.0, float("inf")), 2), ((90.5,), 2), ((2.005,), 3), ((1e-9,), 6)],
)
def test_a_rule_is_written_with_2_decimals_or_its_own_when_more(edges, decimals):
    assert decimals_of(*edges) == decimals


def test_figures_are_rounded_half_away_from_zero():
    rounded = at_precision(np.array([3.0000000000000004, 2.9999999999999996, 2.675, -2.675]))
    assert rounded.tolist() == [3.0, 3.0, 2.68, -2.68]
    assert np.isnan(as_written(np.array([np.nan]), 3)).all()


def test_service_targets_met_by_a_mean_exactly_on_the_target():
    # Satisfaction ≥ 85: (84.96 + 84.89 + 85.16 + 84.83 + 85.01 + 85.15) / 6 = 85
    # (84.99999999999999 in floats), which meets it.
    table = pd.DataFrame(
        {"department": "售后", "satisfaction": [84.96, 84.89, 85.16, 84.83, 85.01, 85.15]}
    )
    targets = service_targets(table, load_scheme())
    assert targets["actual"].tolist() == [85] and targets["met"].tolist() == [True]
    # Complaints < 3: (2.78 + 3.22 + 3.29 + 2.71) / 4 = 3 (2.9999999999999996), not below 3.
    table = pd.DataFrame({"department": "客服", "complaint_rate": [2.78, 3.22, 3.29, 2.71]})
    targets = service_targets(table, load_scheme())
    assert targets["actual"].tolist() == [3] and targets["met"].tolist() == [False]
