"""What-if simulation on hand-made cases: transitions, forced distribution, bonus pools,
sensitivity, and scheme versions and scenarios kept in the store."""

from __future__ import annotations

import copy
import itertools
import math
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.analysis import whatif
from engine.schemes import describe
from engine.schemes import edit as scheme_edit
from engine.schemes import versions as scheme_versions
from engine.schemes.scheme import SchemeError, load_scheme, parse_scheme
from engine.scoring.periods import parse_period, score_period
from engine.store import Store, StoreError
from tests.apptest import demo_store
from tests.conftest import SMALL_SCHEME, facts

FIVE = ["优秀", "良好", "合格", "及格", "不合格"]

# Quality 60% (days bands 50%, complaints −20 each 50%), attitude 40% (CSAT tiers 100/85/70/0).
# total = 0.6 × (days + complaints) / 2 + 0.4 × csat, worked out by hand in the comments.
PEOPLE = [
    {"employee_id": "A", "department": "售后", "days": 1, "complaints": 0, "csat": 95},  # 100
    {"employee_id": "G", "department": "售后", "days": 2, "complaints": 0, "csat": 80},  # 94
    {"employee_id": "B", "department": "售后", "days": 3, "complaints": 0, "csat": 85},  # 88
    {"employee_id": "C", "department": "客服", "days": 3, "complaints": 1, "csat": 92},  # 88
    {"employee_id": "H", "department": "客服", "days": 4, "complaints": 1, "csat": 88},  # 82
    {"employee_id": "D", "department": "客服", "days": 5, "complaints": 1, "csat": 85},  # 76
    {"employee_id": "E", "department": "备件", "days": 7, "complaints": 2, "csat": 75},  # 58
    {"employee_id": "F", "department": "备件", "days": 9, "complaints": 3, "csat": 60},  # 18
]
TOTALS = {"A": 100, "G": 94, "B": 88, "C": 88, "H": 82, "D": 76, "E": 58, "F": 18}


@pytest.fixture
def small():
    return parse_scheme(copy.deepcopy(SMALL_SCHEME), source="small")


@pytest.fixture
def basis(small):
    return whatif.prepare(facts(PEOPLE), small, "2026-10")


def by_person(basis, outcome) -> pd.DataFrame:
    return whatif.table(basis, outcome).set_index("employee_id")


def variant(scheme, **edits):
    """The small scheme with cutoffs, category weights or one rule changed."""
    data = scheme.raw
    if "cutoffs" in edits:
        data = scheme_edit.with_cutoffs(data, scheme, edits["cutoffs"])
    if "weights" in edits:
        data = scheme_edit.with_category_weights(data, edits["weights"])
    if "rule" in edits:
        kpi, params = edits["rule"]
        data = scheme_edit.with_rule(data, kpi, **params)
    return parse_scheme(data, source="scenario")


# ------------------------------------------------------------------ re-scoring


def test_baseline_totals_grades_and_money_by_hand(small, basis):
    table = by_person(basis, whatif.simulate(basis, small))
    assert table["total"].to_dict() == TOTALS
    assert table["grade"].to_dict() == {
        "A": "优秀",
        "G": "优秀",
        "B": "良好",
        "C": "良好",
        "H": "良好",
        "D": "合格",
        "E": "不合格",
        "F": "不合格",
    }
    assert table["money"].sum() == 2 * 1000 + 3 * 500 - 2 * 500


def test_a_lower_top_cutoff_moves_the_two_88s_up(small, basis):
    base = whatif.simulate(basis, small)
    scenario = whatif.simulate(basis, variant(small, cutoffs=[85, 80, 70, 60]))
    matrix = whatif.transitions(base, scenario)
    expected = pd.DataFrame(0, index=FIVE, columns=FIVE)
    expected.loc["优秀", "优秀"] = 2  # A, G
    expected.loc["良好", "优秀"] = 2  # B, C at 88
    expected.loc["良好", "良好"] = 1  # H at 82
    expected.loc["合格", "合格"] = 1  # D
    expected.loc["不合格", "不合格"] = 2  # E, F
    assert (matrix.to_numpy() == expected.to_numpy()).all()
    assert matrix.to_numpy().sum() == len(PEOPLE)
    moved = whatif.people_in_cell(basis, base, scenario, "良好", "优秀")
    assert moved["employee_id"].tolist() == ["B", "C"]
    assert moved[["baseline_total", "scenario_total"]].to_numpy().tolist() == [[88, 88]] * 2
    assert whatif.changed_people(basis, base, scenario)["employee_id"].tolist() == ["B", "C"]
    assert whatif.money_totals(base, scenario) == {
        "baseline": 2500.0,
        "scenario": 3500.0,
        "change": 1000.0,
    }
    summary = whatif.grade_summary(base, scenario).set_index("grade")
    assert summary.loc["优秀", ["baseline", "scenario", "change"]].tolist() == [2, 4, 2]
    assert summary.loc["优秀", "scenario_share"] == 50.0


def test_weights_50_50_regrade_on_exact_edges(small, basis):
    scenario = whatif.simulate(basis, variant(small, weights={"q": 50, "a": 50}))
    table = by_person(basis, scenario)
    # C: 0.5 × 80 + 0.5 × 100 = 90 → 优秀 (lower-inclusive); E: 0.5 × 50 + 0.5 × 70 = 60 → 及格.
    assert table["total"].to_dict() == {
        "A": 100,
        "G": 92.5,
        "B": 87.5,
        "C": 90,
        "H": 82.5,
        "D": 77.5,
        "E": 60,
        "F": 15,
    }
    assert table.loc[["C", "E"], "grade"].tolist() == ["优秀", "及格"]


def test_a_changed_deduction_rescores_that_kpi_only(small, basis):
    scheme = variant(small, rule=("complaints", {"per_incident": 10}))
    assert whatif.changed_kpis(basis, scheme) == [1]
    table = by_person(basis, whatif.simulate(basis, scheme))
    # C: complaints 90 → 0.6 × 85 + 40 = 91; D: 0.6 × 75 + 34 = 79; E: 0.6 × 60 + 28 = 64.
    assert table.loc[["C", "D", "E", "F"], "total"].tolist() == [91, 79, 64, 27]


def test_missing_values_and_a_person_without_any(small):
    rows = [
        *PEOPLE[:2],
        {"employee_id": "I", "days": 2, "complaints": 0, "csat": None},  # quality only: 100
        {"employee_id": "J", "days": None, "complaints": None, "csat": None},  # no total
    ]
    basis = whatif.prepare(facts(rows), small, "2026-10")
    base = whatif.simulate(basis, small)
    assert by_person(basis, base)["total"].to_dict() == pytest.approx(
        {"A": 100, "G": 94, "I": 100, "J": np.nan}, nan_ok=True
    )
    matrix = whatif.transitions(
        base, whatif.simulate(basis, variant(small, cutoffs=[95, 80, 70, 60]))
    )
    assert matrix.loc["—", "—"] == 1 and matrix.to_numpy().sum() == 4
    assert matrix.loc["优秀", "良好"] == 1  # G at 94


@pytest.mark.parametrize("period", ["2026-10", "2026-Q3", "2026"])
@pytest.mark.parametrize("scheme_file", ["aftersales.toml", "customer_service.toml"])
def test_the_fast_path_equals_score_period_on_the_demo_data(tmp_path, period, scheme_file):
    from engine import paths

    scheme = load_scheme(paths.SCHEMES_DIR / scheme_file)
    stored = Store(demo_store(tmp_path)).facts(list(parse_period(period).months))
    full = score_period(stored, scheme, period).set_index("employee_id")
    basis = whatif.prepare(stored, scheme, period)
    fast = by_person(basis, whatif.simulate(basis, scheme))
    full = full.loc[fast.index]
    assert (fast["total"] == full["total"]).all()
    assert (fast["grade"] == full["grade"].astype(str)).all()
    assert np.allclose(fast["money"], full["bonus"], rtol=0, atol=1e-6)
    assert (fast["department"] == full["department"]).all()


@pytest.mark.parametrize("period", ["2026-03", "2026-H1"])
def test_the_fast_path_pays_the_4s_formula_posts_as_score_period_does(tmp_path, period):
    from engine.demo.dealer_4s import SCHEME_4S, import_demo_4s

    scheme = load_scheme(SCHEME_4S)
    store = Store(tmp_path / "s4.duckdb")
    import_demo_4s(store)
    stored = store.facts(list(parse_period(period).months))
    full = score_period(stored, scheme, period).set_index("employee_id")
    basis = whatif.prepare(stored, scheme, period)
    fast = by_person(basis, whatif.simulate(basis, scheme))
    full = full.loc[fast.index]
    assert full["role"].isin(["备件经理", "索赔专员", "质检员"]).any()
    assert np.allclose(fast["money"], full["bonus"], rtol=0, atol=1e-6)
    # and a department's subset keeps each row's formula columns
    keep = basis.people["department"] == basis.people["department"].iloc[0]
    part = by_person(
        whatif.subset(basis, keep), whatif.simulate(whatif.subset(basis, keep), scheme)
    )
    assert np.allclose(part["money"], full.loc[part.index, "bonus"], rtol=0, atol=1e-6)


def test_a_subset_equals_preparing_the_subset(tmp_path, scheme):
    stored = Store(demo_store(tmp_path)).facts(["2026-07", "2026-08", "2026-09"])
    basis = whatif.prepare(stored, scheme, "2026-Q3")
    keep = basis.people["department"] == "客服部"
    part = whatif.subset(basis, keep)
    alone = whatif.prepare(
        stored[stored["employee_id"].isin(part.people["employee_id"])], scheme, "2026-Q3"
    )
    left = by_person(part, whatif.simulate(part, scheme))
    right = by_person(alone, whatif.simulate(alone, scheme))
    pd.testing.assert_frame_equal(left, right)


def test_a_scenario_with_other_kpis_is_refused(small, basis):
    data = copy.deepcopy(SMALL_SCHEME)
    data["kpis"] = data["kpis"][::-1]
    with pytest.raises(ValueError, match="same ids"):
        whatif.simulate(basis, parse_scheme(data))


def test_totals_key_separates_regrading_from_rescoring(small):
    assert whatif.totals_key(variant(small, cutoffs=[85, 80, 70, 60])) == whatif.totals_key(small)
    assert whatif.totals_key(variant(small, weights={"q": 50, "a": 50})) != whatif.totals_key(small)


# ------------------------------------------------------------------ forced distribution

TIED = np.array([95, 92, 92, 88, 85, 85, 85, 80, 75, 60, np.nan])
TARGET = [20, 30, 35, 10, 5]


def test_forced_distribution_keeps_equal_totals_together():
    # Cumulative targets of 10 people: 2, 5, 8.5, 9.5. Achievable at or above each place:
    # 95 → 1, 92 → 3, 88 → 4, 85 → 7, 80 → 8, 75 → 9, 60 → 10. Closest (ties: stricter):
    # 1 (|2−1| = |3−2|), 4, 8 (|8.5−8| = |9−8.5|), 9.
    cutoffs = whatif.forced_cutoffs(TIED, TARGET)
    assert cutoffs.tolist() == [95, 88, 80, 70]  # the roundest number between two totals
    codes = whatif.grade_codes(TIED, cutoffs)
    assert np.bincount(codes[codes >= 0], minlength=5).tolist() == [1, 3, 4, 1, 1]


def test_forced_distribution_per_department():
    groups = np.array([0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1])
    table = whatif.forced_cutoffs(TIED, TARGET, groups, 3)
    # Group 0 (95, 92, 92, 88, 85): targets 1, 2.5, 4.25, 4.75 → 1, 3, 4, 5 people.
    assert table[0].tolist() == [95, 90, 88, 80]
    # Group 1 (85, 85, 80, 75, 60): 1 → 0 (a tie of 0 and 2: stricter), 2.5 → 2, 4.25 → 4, 4.75 → 5.
    assert table[1].tolist() == [100, 85, 70, 60]
    assert table[2].tolist() == [100, 90, 80, 70]  # nobody: any descending minimums


def test_forced_distribution_on_the_outcome(small, basis):
    base = whatif.simulate(basis, small)
    cutoffs = whatif.forced_cutoffs(base.total, [25, 25, 25, 25, 0])
    scenario = whatif.regrade(basis, small, base.row_total, cutoffs)
    shares = whatif.grade_shares(scenario)
    assert shares[FIVE].iloc[0].tolist() == [25.0, 25.0, 25.0, 25.0, 0.0]
    by_department = whatif.grade_shares(scenario, basis.department, basis.departments)
    assert by_department["headcount"].sum() == len(PEOPLE)


# G (94) and H (82) are on probation, which this scheme leaves ungraded and out of the mix.
ON_PROBATION = {"G", "H"}


@pytest.fixture
def probation():
    """The small scheme with 试用期 not graded and out of the grade mix, and its facts."""
    from engine.cycle.eligibility import flags

    raw = copy.deepcopy(SMALL_SCHEME)
    raw["cycle"] = {"statuses": {"试用期": {"graded": False, "in_mix": False}}}
    scheme = parse_scheme(raw, source="small")
    rows = facts(PEOPLE)
    rows["status"] = np.where(rows["employee_id"].isin(ON_PROBATION), "试用", "")
    return scheme, whatif.prepare(rows, scheme, "2026-10", flags(rows, scheme))


def test_forced_distribution_counts_only_people_in_the_mix(probation):
    scheme, basis = probation
    base = whatif.simulate(basis, scheme)
    # In the mix: A 100, B 88, C 88, D 76, E 58, F 18 (6 people). Targets 20/70/…/10 → at or
    # above: 1.2 → 1 (A), 5.4 → 5 (not F): 100 over (88, 100], 50 over (18, 58], then just below.
    # Counting G and H too (8 people: 1.6 → 2, 7.2 → 7) the best grade's minimum would be 90.
    totals = whatif.mix_totals(basis, base.row_total)
    cutoffs = whatif.forced_cutoffs(totals, [20, 70, 0, 0, 10])
    assert cutoffs.tolist() == [100, 50, 40, 30]
    table = by_person(basis, whatif.regrade(basis, scheme, base.row_total, cutoffs))
    assert table["grade"].fillna("—").to_dict() == {
        "A": "优秀",
        "G": "—",
        "B": "良好",
        "C": "良好",
        "H": "—",
        "D": "良好",
        "E": "良好",
        "F": "不合格",
    }
    assert table.loc[["G", "H"], "total"].tolist() == [94, 82]  # the scores stay
    assert table.loc[["G", "H"], "money"].isna().all()


def test_bonus_pool_pays_only_people_in_the_mix(probation):
    scheme, basis = probation
    base = whatif.simulate(basis, scheme)
    # In the mix under 90/80/70/60: 优秀 A, 良好 B C, 合格 D, 不合格 E F → 1000 + 2 × 500 − 2 ×
    # 500 = 1000 per factor 1, so 3000 fits at factor 3 (with G and H it would be 1.2). The
    # largest factor paying 3000: 3.002, just past −1501's step: 3002 + 2 × 1501 − 2 × 1502;
    # at 3.004 (3004, 1502, −1502) the total is 3004.
    grades = whatif.mix_rows(basis, base.row_grade, whatif.NO_GRADE)
    fit = whatif.fit_amounts(grades, [1000, 500, 0, 0, -500], 3000)
    assert fit.amounts == (3002, 1501, 0, 0, -1502)
    assert (fit.total, fit.remainder) == (3000, 0)
    paid = scheme_edit.with_money(scheme.raw, amounts=dict(zip(FIVE, fit.amounts, strict=True)))
    table = by_person(basis, whatif.simulate(basis, parse_scheme(paid)))
    assert table["money"].sum() == 3000  # G and H are paid nothing
    assert table.loc[["G", "H"], "money"].isna().all()
    # The best grade's minimum: D and E F cost 0 − 1000, so a pool of 1000 leaves 2000 for A B
    # C: 3 × 500 and room for one 优秀 (A, above 88: minimum 100). With G and H (top two too)
    # 5 × 500 would not even fit.
    fit = whatif.fit_top_cutoff(
        whatif.mix_rows(basis, base.row_total), [90, 80, 70, 60], [1000, 500, 0, 0, -500], 1000
    )
    assert (fit.top_cutoff, fit.total, fit.remainder) == (100, 1000, 0)


def test_the_page_solvers_count_only_people_in_the_mix(probation):
    from ui.whatif import solvers
    from ui.whatif.basis import Prepared

    scheme, basis = probation
    prepared = Prepared(("probation",), basis)
    forced = {"mode": "forced", "shares": [20, 70, 0, 0, 10], "scope": "company"}
    cutoffs = whatif.scheme_cutoffs(solvers.run(prepared, scheme, forced).scheme)
    assert cutoffs.tolist() == [100, 50, 40, 30]  # as worked out above
    # Per department, 20% of the two in the mix of 售后 (A 100, B 88) and of 客服 (C 88, D 76)
    # is 0.4 → nobody in 优秀: just above the best total (100.1), or 100. With G (售后) and H
    # (客服) it would be 0.6 → 1: 100 over (94, 100] and 85 over (82, 88].
    by_department = solvers.run(prepared, scheme, {**forced, "scope": "department"})
    assert basis.departments == ("售后", "客服", "备件")
    assert by_department.department_cutoffs[:, 0].tolist() == [100.1, 100, 100]
    # Two in the mix per department: 0.4 → nobody in 优秀, 1.8 → both in 良好.
    assert by_department.outcome.grade_counts.tolist() == [0, 6, 0, 0, 0, 2]  # G, H: no grade
    pool = {"mode": "budget", "method": "scale", "pool": 3000}
    scenario = solvers.run(prepared, scheme, pool)
    assert scenario.fit.amounts == (3002, 1501, 0, 0, -1502)
    assert np.nansum(scenario.outcome.money) == 3000


def test_the_page_basis_reads_the_statuses_of_the_facts(probation, monkeypatch):
    from ui.whatif import basis as page_basis

    scheme, _ = probation
    rows = facts(PEOPLE).assign(状态=lambda f: np.where(f["employee_id"] == "G", "试用期", "在职"))

    class Stored:
        def facts(self, months):
            return rows[rows["period"].isin(months)]

        def targets(self, months):  # no targets: the linear standards hold
            return rows.iloc[:0]

    monkeypatch.setattr(page_basis.data, "store", lambda db_file: Stored())
    prepared = page_basis._basis("statuses.duckdb", 0, scheme.digest, "2026-10", scheme)
    # People in employee_id order: A B C D E F G H; only G (试用期) is out.
    assert prepared.row_in_mix[np.argsort(prepared.person)].tolist() == [True] * 6 + [False, True]


def test_a_quarter_with_a_month_out_of_the_mix(probation):
    from engine.cycle.eligibility import flags

    scheme, _ = probation
    # G: October at work (94), November on probation with 9 days, 3 complaints, CSAT 60 (18);
    # H on probation both months (82). The others the same both months.
    november = facts(PEOPLE, "2026-11")
    november.loc[november["employee_id"] == "G", ["days", "complaints", "csat"]] = [9, 3, 60]
    rows = pd.concat([facts(PEOPLE), november], ignore_index=True)
    on_probation = (rows["employee_id"] == "H") | (
        (rows["employee_id"] == "G") & (rows["period"] == "2026-11")
    )
    rows["status"] = np.where(on_probation, "试用期", "")
    basis = whatif.prepare(rows, scheme, "2026-Q4", flags(rows, scheme))
    base = whatif.simulate(basis, scheme)
    table = by_person(basis, base)
    # As the scored table: the quarter's total is the mean of both months (G: 56), graded on
    # it; money only for graded months (G: October's 优秀 1000; H none).
    assert table.loc[["G", "H"], "total"].tolist() == [56, 82]
    assert table.loc[["G", "H"], "grade"].tolist() == ["不合格", "良好"]
    assert table.loc["G", "money"] == 1000 and np.isnan(table.loc["H", "money"])
    # The forced distribution shares out everyone in the mix in some month: G, not H.
    mix = pd.Series(whatif.mix_totals(basis, base.row_total), index=basis.people["employee_id"])
    assert mix.isna().tolist() == [False] * 7 + [True]  # A B C D E F G H
    assert mix["G"] == 56
    # The pool counts October's G (优秀) but neither month of H.
    grades = whatif.mix_rows(basis, base.row_grade, whatif.NO_GRADE)
    assert np.bincount(grades[grades >= 0], minlength=5).tolist() == [3, 4, 2, 0, 4]


def test_shares_of_a_forced_distribution_count_only_the_mix(small):
    from engine.cycle.eligibility import flags

    # Without a scheme table 试用期 is as data/cycle.toml has it: graded, but not in the mix.
    rows = facts(PEOPLE)
    rows["status"] = np.where(rows["employee_id"].isin(ON_PROBATION), "试用期", "")
    basis = whatif.prepare(rows, small, "2026-10", flags(rows, small))
    base = whatif.simulate(basis, small)
    cutoffs = whatif.forced_cutoffs(whatif.mix_totals(basis, base.row_total), [20, 70, 0, 0, 10])
    assert cutoffs.tolist() == [100, 50, 40, 30]  # the six in the mix, as above
    outcome = whatif.regrade(basis, small, base.row_total, cutoffs)
    assert by_person(basis, outcome).loc[["G", "H"], "grade"].tolist() == ["良好", "良好"]
    # Of the six: A 优秀, B C D E 良好, F 不合格 (of all eight: 1, 6, 0, 0, 1).
    shares = whatif.grade_shares(outcome, counted=whatif.mix_people(basis))
    assert shares["headcount"].tolist() == [6]
    assert shares[FIVE].iloc[0].tolist() == [16.7, 66.7, 0.0, 0.0, 16.7]
    assert whatif.grade_shares(outcome)["headcount"].tolist() == [8]


def test_without_statuses_everyone_is_in_the_mix(small, basis):
    base = whatif.simulate(basis, small)
    assert np.array_equal(whatif.mix_totals(basis, base.row_total), base.total, equal_nan=True)
    assert np.array_equal(whatif.mix_rows(basis, base.row_grade, -1), base.row_grade)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(5000, 10000), min_size=1, max_size=60),
    st.lists(st.integers(0, 10), min_size=2, max_size=6).filter(lambda s: sum(s) > 0),
)
def test_forced_cutoffs_never_split_ties_and_come_closest(hundredths, shares):
    totals = np.array(hundredths) / 100
    cutoffs = whatif.forced_cutoffs(totals, shares)
    assert np.all(np.diff(cutoffs) < 0)
    wanted = len(totals) * np.cumsum(shares)[:-1] / sum(shares)
    achievable = np.r_[0, [(totals >= t).sum() for t in np.unique(totals)]]
    for k, cutoff in enumerate(cutoffs):
        reached = (totals >= cutoff).sum()
        assert abs(reached - wanted[k]) <= np.abs(achievable - wanted[k]).min() + 1e-9
        # equal totals are on one side of every minimum
        assert not ((totals >= cutoff) & np.isin(totals, totals[totals < cutoff])).any()


# ------------------------------------------------------------------ bonus pool


def test_budget_scales_amounts_to_the_pool_exactly_when_it_can():
    grades = np.array([0, 0, 1, 1, 1, 4])  # 2 优秀, 3 良好, 1 不合格
    fit = whatif.fit_amounts(grades, [1000, 500, 0, 0, -500], 9000)
    assert fit.amounts == (3000, 1500, 0, 0, -1500)
    assert (fit.total, fit.remainder) == (9000, 0)


def test_budget_rounds_down_to_the_yuan_and_never_exceeds_the_pool():
    grades = np.array([0, 0, 1, 1, 1, 4])
    fit = whatif.fit_amounts(grades, [1000, 500, 0, 0, -500], 7000)
    # k = 7000 / 3000: 2333.33 → 2333, 1166.67 → 1166, −1166.67 → −1167; total 6997. One yuan
    # more on 优秀 or 良好 (k = 2.334) would pay 7002.
    assert fit.amounts == (2333, 1166, 0, 0, -1167)
    assert (fit.total, fit.remainder) == (6997, 3)


def test_budget_finds_the_largest_total_that_fits_with_a_negative_amount():
    # 2026-10 of the demo: 41 优秀, 128 良好, 78 合格, 31 及格, 22 不合格. Going up from
    # k = 54321 / 94000 stops at 577 / 288 / −289 (54,163) because the next step pays more than
    # the pool, but a larger k rounds 不合格 one yuan further down: 578 × 41 + 289 × 128
    # − 290 × 22 = 23,698 + 36,992 − 6,380 = 54,310, which fits.
    grades = np.repeat(np.arange(5), [41, 128, 78, 31, 22])
    fit = whatif.fit_amounts(grades, [1000, 500, 0, 0, -500], 54321)
    assert fit.amounts == (578, 289, 0, 0, -290)
    assert (fit.total, fit.remainder) == (54310, 11)


def _largest_fitting_total(counts: list[int], amounts: list[int], pool: int) -> int:
    """Brute force: the money at every factor k where some rounded amount steps and in every
    gap between two such k (its midpoint), exactly; the largest total that fits. Rounding down
    takes less than a yuan per person, so the money at k lies in (k·S − N, k·S] (S the money at
    k = 1 unrounded, N the people paid something): only k within N / S of pool / S can matter."""
    used = [(n, Fraction(a)) for n, a in zip(counts, amounts, strict=True) if n and a]
    scale, people = sum(n * a for n, a in used), sum(n for n, _ in used)
    low, top = max(Fraction(0), (pool - people) / scale), (pool + people) / scale
    steps = {low}
    for _, a in used:
        first, last = math.floor(low * abs(a)), math.floor(top * abs(a))
        steps |= {Fraction(m) / abs(a) for m in range(first, last + 1)}
    steps = sorted(steps)
    trials = steps + [(x + y) / 2 for x, y in itertools.pairwise(steps)]
    paid = (sum(n * math.floor(k * a) for n, a in used) for k in trials)
    return max(p for p in paid if p <= pool)


def _one_factor_pays(amounts, paid) -> bool:
    """Some factor k ≥ 0 rounds every amount down to the paid one: floor(k × a) = paid."""
    low, high = Fraction(0), None
    for a, p in zip(amounts, paid, strict=True):
        a = Fraction(a)
        if a > 0:
            low, high = max(low, p / a), min(x for x in (high, (p + 1) / a) if x is not None)
        elif a < 0:
            low = max(low, (p + 1) / a)
            high = min(x for x in (high, p / a) if x is not None)
        elif p != 0:
            return False
    return (
        high is None
        or low < high
        or (
            low == high
            and all(math.floor(low * Fraction(a)) == p for a, p in zip(amounts, paid, strict=True))
        )
    )


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 12), st.integers(-40, 60)), min_size=1, max_size=5).filter(
        lambda g: sum(n * a for n, a in g) > 0
    ),
    st.integers(0, 40),
    st.integers(0, 200),
)
def test_budget_pays_the_largest_total_that_fits(grades, multiple, extra):
    counts, amounts = [n for n, _ in grades], [a for _, a in grades]
    pool = multiple * sum(n * a for n, a in grades) + extra
    fit = whatif.fit_amounts(np.repeat(np.arange(len(counts)), counts), amounts, pool)
    assert fit.total == sum(n * p for n, p in zip(counts, fit.amounts, strict=True))
    assert fit.total == _largest_fitting_total(counts, amounts, pool)
    assert fit.remainder == pool - fit.total >= 0
    assert _one_factor_pays(amounts, fit.amounts)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(0, 150), min_size=5, max_size=5),
    st.integers(1, 200_000),
)
def test_budget_pays_the_largest_total_that_fits_with_the_default_amounts(counts, pool):
    amounts = [1000, 500, 0, 0, -500]
    if 1000 * counts[0] + 500 * counts[1] - 500 * counts[4] <= 0:
        return
    fit = whatif.fit_amounts(np.repeat(np.arange(5), counts), amounts, pool)
    assert fit.total == _largest_fitting_total(counts, amounts, pool)
    assert _one_factor_pays(amounts, fit.amounts)


@pytest.mark.parametrize(
    ("pool", "cutoff", "total"),
    [
        (3500, 85, 3500),  # A, G, B, C in 优秀
        (3000, 90, 2500),  # room for 3: the two 88s stay together, so only A and G
        (2000, 100, 2000),  # room for 1: A alone
    ],
)
def test_budget_solves_the_top_cutoff(small, basis, pool, cutoff, total):
    base = whatif.simulate(basis, small)
    fit = whatif.fit_top_cutoff(base.row_total, [90, 80, 70, 60], [1000, 500, 0, 0, -500], pool)
    assert (fit.top_cutoff, fit.total, fit.remainder) == (cutoff, total, pool - total)


def test_budget_top_cutoff_refuses_a_pool_too_small(small, basis):
    base = whatif.simulate(basis, small)
    with pytest.raises(ValueError, match="too small"):
        whatif.fit_top_cutoff(base.row_total, [90, 80, 70, 60], [1000, 500, 0, 0, -500], 1000)


def test_budget_solves_the_performance_pay_base():
    data = copy.deepcopy(SMALL_SCHEME)
    data["money"] = {"mode": "performance_pay", "base": 1000}
    scheme = parse_scheme(data)
    totals = np.array([80.0, 90.0, 70.0])  # base × 2.4 in all
    codes = whatif.grade_codes(totals, whatif.scheme_cutoffs(scheme))
    assert whatif.fit_base(totals, codes, scheme, 3000).base == 1250
    fit = whatif.fit_base(totals, codes, scheme, 3001)
    assert (fit.base, fit.total, fit.remainder) == (1250, 3000, 1)


# ------------------------------------------------------------------ sensitivity


def test_sweeping_the_top_cutoff(small, basis):
    base = whatif.simulate(basis, small)
    sweep = whatif.cutoff_sweep(base.total, [90, 80, 70, 60], 0, FIVE)
    wide = sweep.pivot(index="cutoff", columns="grade", values="share")[FIVE]
    assert np.allclose(wide.sum(axis=1), 100)
    assert wide.loc[90.0].tolist() == [25.0, 37.5, 12.5, 0.0, 25.0]  # the baseline
    assert wide.loc[80.0].tolist() == [62.5, 0.0, 12.5, 0.0, 25.0]  # 良好 emptied
    assert wide.index.min() == 80 and wide.index.max() == 100  # from the next minimum to 100


def test_points_to_the_next_grade(small, basis):
    near = whatif.near_boundary(basis, whatif.simulate(basis, small), within=5)
    assert near[["employee_id", "next_grade", "points_needed"]].values.tolist() == [
        ["B", "优秀", 2.0],
        ["C", "优秀", 2.0],
        ["E", "及格", 2.0],
        ["D", "良好", 4.0],
    ]


# ------------------------------------------------------------------ scheme edits and words


def test_edits_are_described_in_words(scheme):
    data = scheme_edit.with_cutoffs(scheme.raw, scheme, [85, 80, 70, 60])
    data = scheme_edit.with_category_weights(data, {"quality": 40, "skill": 30, "attitude": 30})
    scenario = parse_scheme(data)
    words = [c.text("zh") for c in scheme_edit.differences(scheme, scenario)]
    assert words == ["优秀 最低分: 90 → 85", "工作质量 权重: 50 → 40", "服务态度 权重: 20 → 30"]


def test_invalid_edits_are_refused_with_reasons(scheme):
    data = scheme_edit.with_cutoffs(scheme.raw, scheme, [85, 88, 70, 60])
    data = scheme_edit.with_category_weights(data, {"quality": 40, "skill": 30, "attitude": 20})
    with pytest.raises(SchemeError) as refused:
        parse_scheme(data)
    text = "\n".join(refused.value.problems)
    assert "category weights add up to 90%, not 100%" in text
    assert "must go down from the best grade to the worst" in text


def test_role_weights_keep_only_what_the_role_changes(scheme):
    role = scheme.roles[0]  # 客服专员
    weights = dict(role.kpi_weights, first_contact_resolution=30, upheld_complaints=40)
    data = scheme_edit.with_kpi_weights(
        scheme.raw, weights, role.name, scheme.default_plan.kpi_weights
    )
    entry = next(r for r in data["roles"] if r["name"] == role.name)
    assert entry["kpi_weights"] == {
        "fault_days": 0,
        "rework_rate": 0,
        "first_contact_resolution": 30,
        "upheld_complaints": 40,
        "on_time_rate": 30,
    }
    assert parse_scheme(data).roles[0].kpi_weights["upheld_complaints"] == 40


def test_rules_read_as_the_published_standard(scheme):
    assert describe.rule_text(scheme.kpi("fault_days"), "en").startswith(
        "0–2 days → 5 points; 2–4 days → 4 points;"
    )
    assert describe.rule_text(scheme.kpi("fault_days"), "zh").startswith("0–2天 → 5 分;")
    assert describe.rule_text(scheme.kpi("satisfaction"), "zh").endswith("低于 70% → 0 分(不合格)")
    assert describe.rule_text(scheme.kpi("upheld_complaints"), "zh") == (
        "从 100 分起,每次扣 20 分,最低 0 分"
    )
    table = describe.kpi_table(scheme)
    assert table["share"].sum() == pytest.approx(100)


def test_toml_round_trip_keeps_the_scheme(scheme):
    text = scheme_edit.to_toml(scheme.raw, "header line")
    assert text.startswith("# header line\n")
    again = scheme_edit.from_toml(text, "copy")
    assert scheme_edit.differences(scheme, again) == []
    assert again.kpi("fault_days").bands[-1].upto == np.inf


# ------------------------------------------------------------------ versions and scenarios


def test_adopting_a_scenario_makes_a_new_version_and_keeps_results_reproducible(tmp_path, scheme):
    store = Store(demo_store(tmp_path))
    facts_q3 = store.facts(list(parse_period("2026-Q3").months))
    before = score_period(facts_q3, scheme, "2026-Q3")
    assert scheme_versions.active_scheme(store, scheme) is scheme
    scenario = parse_scheme(scheme_edit.with_cutoffs(scheme.raw, scheme, [85, 80, 70, 60]))
    version_before = store.version()

    adopted = scheme_versions.adopt(store, scheme, scenario, "优秀 85")
    assert adopted.version == 2 and store.version() > version_before
    kept = scheme_versions.versions(store, scheme)
    assert kept["version"].tolist() == [2, 1]
    assert kept["active"].tolist() == [True, False]
    active = scheme_versions.active_scheme(store, scheme)
    assert (active.version, active.grades[0].min) == (2, 85)
    # The earlier version is kept and scores the period exactly as before.
    first = scheme_versions.scheme_version(store, scheme, 1)
    pd.testing.assert_frame_equal(score_period(facts_q3, first, "2026-Q3"), before)
    after = score_period(facts_q3, active, "2026-Q3")
    assert (after["grade"] == "优秀").sum() > (before["grade"] == "优秀").sum()

    third = scheme_versions.adopt(
        store, scheme, scheme_versions.scheme_version(store, scheme, 1), "back"
    )
    assert third.version == 3 and third.grades[0].min == 90
    with pytest.raises(StoreError, match="already has version 3"):
        store.add_scheme_version(scheme.id, 3, "x", "late")


def test_scenarios_are_saved_reopened_replaced_and_deleted(tmp_path, scheme):
    store = Store(tmp_path / "store.duckdb")
    text = scheme_edit.to_toml(scheme_edit.with_cutoffs(scheme.raw, scheme, [85, 80, 70, 60]))
    assert store.save_scenario(scheme.id, "优秀85", 1, text, {"mode": "manual"}) is True
    assert store.save_scenario(scheme.id, "优秀85", 1, text, {"mode": "forced"}) is False
    assert store.scenarios(scheme.id)["name"].tolist() == ["优秀85"]
    saved = store.scenario(scheme.id, "优秀85")
    assert saved["settings"] == {"mode": "forced"}
    assert scheme_edit.from_toml(saved["toml"], "优秀85").grades[0].min == 85
    assert store.scenario("other", "优秀85") is None
    store.delete_scenario(scheme.id, "优秀85")
    assert store.scenarios(scheme.id).empty


def test_transitions_with_twelve_grades():
    """Grade positions stay wide enough for a from × to table of many grades."""
    names = [f"G{i}" for i in range(12)]
    levels = [{"name": n, "min": 100 - 5 * (i + 1)} for i, n in enumerate(names[:-1])]
    data = copy.deepcopy(SMALL_SCHEME)
    data["grades"] = {"levels": [*levels, {"name": names[-1]}]}
    data["money"] = {"mode": "grade_amount", "amounts": dict.fromkeys(names, 0)}
    scheme = parse_scheme(data, source="twelve grades")
    basis = whatif.prepare(facts(PEOPLE), scheme, "2026-10")
    base = whatif.simulate(basis, scheme)
    lower = [c - 3 for c in whatif.scheme_cutoffs(scheme)]
    matrix = whatif.transitions(base, whatif.regrade(basis, scheme, base.row_total, lower))
    assert matrix.shape == (12, 12)
    assert matrix.to_numpy().sum() == len(PEOPLE)
    assert matrix.loc["G1", "G0"] == 1  # G's 94: G1 (90–95), with cutoffs 3 lower G0 (≥ 92)
    assert matrix.loc["G2", "G1"] == 2  # B's and C's 88: G2 (85–90), then G1 (≥ 87)


def test_the_fast_path_scores_shrunk_rates_and_rescaled_ratings_as_score_period(tmp_path):
    import copy

    from engine.schemes.scheme import parse_scheme

    raw = copy.deepcopy(load_scheme().raw)
    for kpi in raw["kpis"]:
        if kpi["id"] == "satisfaction":
            kpi["score_shrunk"] = True
        if kpi["id"] == "manager_rating":
            kpi["rescale_by_rater"] = True
    scheme = parse_scheme(raw, source="adjusting")
    stored = Store(demo_store(tmp_path)).facts(["2026-10"])
    full = score_period(stored, scheme, "2026-10").set_index("employee_id")
    plain = score_period(stored, load_scheme(), "2026-10").set_index("employee_id")
    assert (full["total"] != plain["total"]).sum() > 10  # the options change totals
    basis = whatif.prepare(stored, scheme, "2026-10")
    fast = by_person(basis, whatif.simulate(basis, scheme))
    assert (fast["total"] == full.loc[fast.index, "total"]).all()
