"""Property tests: rules that hold for every input, not just the hand-made ones."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.schemes.precision import round_half_away
from engine.schemes.scheme import load_scheme
from engine.scoring.score import competition_rank, grade, score_table
from tests.conftest import facts

SCHEME = load_scheme()
ROLES = ["服务工程师", "客服专员", "技术支持工程师", "备件专员"]


def kpi_value(kpi) -> st.SearchStrategy:
    low, high = kpi.valid_range
    high = min(high, 1000.0)
    whole = kpi.unit == "count"
    values = st.integers(int(low), int(min(high, 20))).map(float) if whole else st.floats(low, high)
    return st.one_of(st.none(), values)


ROW = st.fixed_dictionaries({k.id: kpi_value(k) for k in SCHEME.kpis})


def better(kpi, value: float, step: float) -> float:
    low, high = kpi.valid_range
    moved = value + step if kpi.direction == "higher" else value - step
    return float(np.clip(moved, low, min(high, 1000.0)))


@settings(max_examples=150, deadline=None)
@given(
    row=ROW,
    role=st.sampled_from(ROLES),
    kpi_index=st.integers(0, len(SCHEME.kpis) - 1),
    step=st.floats(0.0, 50.0),
)
def test_a_better_kpi_value_never_lowers_the_total(row, role, kpi_index, step):
    kpi = SCHEME.kpis[kpi_index]
    if row[kpi.id] is None:
        return
    improved = dict(row, **{kpi.id: better(kpi, row[kpi.id], step)})
    rows = facts([{**row, "role": role}, {**improved, "role": role}])
    before, after = score_table(rows, SCHEME).sort_values("employee_id")["total"]
    assert np.isnan(before) or after >= before


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(0, 120, allow_nan=False), min_size=1, max_size=40))
def test_grades_never_invert_the_order_of_totals(totals):
    totals = round_half_away(np.array(totals))
    codes = np.asarray(grade(totals, SCHEME).codes)  # 0 is the best grade
    order = np.argsort(totals)
    assert np.all(np.diff(codes[order]) <= 0)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["A", "B"]), ROW), min_size=1, max_size=25))
def test_ranks_follow_totals_and_ties_share_the_best_rank(rows):
    table = facts([{**r, "department": d} for d, r in rows])
    out = score_table(table, SCHEME).dropna(subset=["total"])
    for column, scope in (("rank", []), ("dept_rank", ["department"])):
        groups = out.groupby(scope) if scope else [(None, out)]
        for _, group in groups:
            totals = group["total"].to_numpy()
            ranks = group[column].to_numpy(dtype=int)
            expected = np.array([(totals > t).sum() + 1 for t in totals])
            assert np.array_equal(ranks, expected)


@settings(max_examples=100, deadline=None)
@given(ROW)
def test_scores_and_totals_stay_within_0_and_100(row):
    out = score_table(facts([row]), SCHEME).iloc[0]
    scores = pd.to_numeric(out.filter(like="score_"), errors="coerce").dropna()
    assert ((scores >= 0) & (scores <= 100)).all()
    assert np.isnan(out["total"]) or 0 <= out["total"] <= 100


@settings(max_examples=200, deadline=None)
@given(st.integers(-(10**9), 10**9))
def test_rounding_a_half_cent_goes_away_from_zero(cents_times_ten):
    value = cents_times_ten / 1000  # three decimals, so some end in exactly 5
    rounded = round_half_away(np.array([value]))[0]
    third = abs(cents_times_ten) % 10
    expected_cents = abs(cents_times_ten) // 10 + (1 if third >= 5 else 0)
    assert rounded == np.sign(value) * expected_cents / 100


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 3), st.one_of(st.none(), st.integers(0, 6).map(float))),
        min_size=1,
        max_size=40,
    ),
    # 1: whole numbers, few of them (ranks by counting once there are enough rows);
    # 0.25: fractions (numbered first); 1e6: a wide spread (ranks by sorting)
    st.sampled_from([1.0, 0.25, 1e6]),
)
def test_competition_rank_equals_pandas_min_rank(rows, scale):
    groups = np.array([g for g, _ in rows], dtype=np.int64)
    key = np.array([np.nan if k is None else k * scale for _, k in rows])
    ranked = competition_rank(key, groups).to_numpy(dtype=float, na_value=np.nan)
    expected = pd.Series(key).groupby(groups).rank(method="min", ascending=False).to_numpy()
    assert np.array_equal(ranked, expected, equal_nan=True)
