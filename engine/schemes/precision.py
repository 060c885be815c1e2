"""The precision at which a computed figure (a rate, mean or sum) meets an edge written in a rule:
the figure is rounded half away from zero to the decimals the rule is written in before it is
compared, so float noise never puts a figure that is exactly on an edge on its other side (a
team's rework of 2.02 % × 5 jobs and 3.49 % × 10 jobs is 3.0000000000000004 %, which is 3.00 %
and earns ×1.00, as the rulebook says)."""

from __future__ import annotations

import math
from decimal import Decimal

import numpy as np
import pandas as pd

# Rates, totals and edges are written with 2 decimals (3.00 %, 89.99); an edge written with
# more (2.005 days) is compared at its own decimals, up to MOST_DECIMALS.
DECIMALS = 2
MOST_DECIMALS = 6
HALF_NOISE = 5e-7  # in units of the last decimal: 0.4999995 rounds up, as round(x, 6) would


def round_half_away(values: np.ndarray | pd.Series, decimals: int = 2) -> np.ndarray:
    """Round half away from zero (89.995 → 90.00, −2.345 → −2.35), immune to binary float noise:
    the one rounding of totals, scores and money (engine.scoring and money formulas use it)."""
    scale = 10.0**decimals
    scaled = np.round(np.asarray(values, dtype=float) * scale, 6)
    return np.sign(scaled) * np.floor(np.abs(scaled) + 0.5) / scale


def decimals_of(*edges: object) -> int:
    """The decimals a rule's edges are written in: 2, or more where an edge has more."""
    written = [
        -Decimal(repr(float(e))).normalize().as_tuple().exponent
        for e in edges
        if isinstance(e, int | float) and not isinstance(e, bool) and math.isfinite(e)
    ]
    return min(max([DECIMALS, *written]), MOST_DECIMALS)


def at_precision(values: np.ndarray, decimals: int = DECIMALS) -> np.ndarray:
    """Figures rounded half away from zero to the decimals, a half within float noise (a
    millionth of the last decimal) counting as a half, as totals are rounded; NaN stays NaN.
    Done in place on one copy: rules round a million figures at a time."""
    scale = 10.0**decimals
    scaled = np.multiply(values, scale, dtype=float)
    out = np.abs(scaled)
    out += 0.5 + HALF_NOISE
    np.floor(out, out=out)
    np.copysign(out, scaled, out=out)
    out /= scale
    return out


def as_written(values: np.ndarray, *edges: object) -> np.ndarray:
    """Figures at the precision of the rule whose edges are given (see decimals_of)."""
    return at_precision(values, decimals_of(*edges))
