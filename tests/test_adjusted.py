"""Shrunk rates and rater-rescaled ratings: the estimators by hand, the scheme options that turn
them on, and what scoring does with them."""

from __future__ import annotations

import copy
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.analysis.breakdown import score_statement
from engine.schemes.scheme import SchemeError, parse_scheme
from engine.scoring.adjusted import (
    beta_prior,
    rater_rescaled,
    shrunk_percent,
    shrunk_rate,
    successes,
)
from engine.scoring.score import score_table
from tests.conftest import SMALL_SCHEME, facts


def scheme_with(**csat) -> dict:
    data = copy.deepcopy(SMALL_SCHEME)
    data["kpis"][2].update(csat)
    return data


def problems_of(data: dict) -> list[str]:
    with pytest.raises(SchemeError) as caught:
        parse_scheme(data, source="test")
    return caught.value.problems


# ------------------------------------------------------------------ beta-binomial by hand


def test_method_of_moments_prior_on_four_people_by_hand():
    """2, 4, 6, 8 of 10: pooled rate 20/40 = 0.5; sample variance of the rates 0.2/3 = 0.0667;
    binomial noise 0.5 × 0.5 / 10 = 0.025; between-person variance 0.04167; strength
    0.25 / 0.04167 − 1 = 5. Shrunk 2/10: (2 + 5 × 0.5) / (10 + 5) = 0.30."""
    hits, cases = pd.Series([2.0, 4, 6, 8]), pd.Series([10.0] * 4)
    prior = beta_prior(hits, cases, pd.Series(["D"] * 4))
    assert prior["mean"].tolist() == pytest.approx([0.5] * 4)
    assert prior["strength"].tolist() == pytest.approx([5.0] * 4)
    shrunk = shrunk_rate(hits, cases, prior)
    assert shrunk.tolist() == pytest.approx([0.30, 6.5 / 15, 8.5 / 15, 0.70])


def test_rates_that_differ_no_more_than_chance_all_get_the_pooled_rate():
    """5/10 and 6/10: the rates' variance (0.005) is below the binomial noise (0.02475)."""
    hits, cases = pd.Series([5.0, 6]), pd.Series([10.0, 10])
    prior = beta_prior(hits, cases, pd.Series(["D", "D"]))
    assert np.isinf(prior["strength"]).all()
    assert shrunk_rate(hits, cases, prior).tolist() == pytest.approx([0.55, 0.55])


def test_one_person_alone_in_the_group_keeps_their_rate():
    prior = beta_prior(pd.Series([1.0]), pd.Series([2.0]), pd.Series(["D"]))
    assert prior["strength"].tolist() == [0.0]
    assert shrunk_rate(pd.Series([1.0]), pd.Series([2.0]), prior).tolist() == [0.5]


def test_groups_are_fitted_apart_and_a_row_without_cases_keeps_its_raw_rate():
    rate = pd.Series([20.0, 40, 60, 80, 100, 50])
    cases = pd.Series([10.0, 10, 10, 10, 2, np.nan])
    groups = pd.Series(["D", "D", "D", "D", "E", "E"])
    shrunk = shrunk_percent(rate, cases, groups)
    assert shrunk.tolist() == pytest.approx([30.0, 100 * 6.5 / 15, 100 * 8.5 / 15, 70, 100, 50])


def test_successes_undo_the_rounding_of_the_written_rate():
    assert successes(pd.Series([92.0, 33.3]), pd.Series([25.0, 3])).tolist() == [23.0, 1.0]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.integers(1, 300), st.floats(0, 1)), min_size=2, max_size=30).map(
        lambda rows: [(n, round(n * share)) for n, share in rows]
    )
)
def test_a_shrunk_rate_lies_between_the_raw_rate_and_the_prior(rows):
    cases = pd.Series([float(n) for n, _ in rows])
    hits = pd.Series([float(x) for _, x in rows])
    prior = beta_prior(hits, cases, pd.Series(["D"] * len(rows)))
    shrunk = shrunk_rate(hits, cases, prior)
    raw, mean = hits / cases, prior["mean"]
    low, high = np.minimum(raw, mean), np.maximum(raw, mean)
    assert ((shrunk >= low - 1e-12) & (shrunk <= high + 1e-12)).all()


# ------------------------------------------------------------------ rater rescaling by hand


def test_a_lenient_and_a_harsh_rater_end_on_the_same_scale():
    """A rates 90, 80 (mean 85, sd √50); B rates 70, 60 (mean 65). Everyone in the role: mean
    75, sd √(500/3). A's 90 → 75 + 5 × √(500/3) / √50 = 75 + 5√(10/3) = 84.13, as B's 70."""
    ratings = pd.Series([90.0, 80, 70, 60])
    by = pd.Series(["A", "A", "B", "B"])
    moved = rater_rescaled(ratings, by, pd.Series(["客服专员"] * 4), 0, 100)
    step = 5 * math.sqrt(10 / 3)
    assert moved.tolist() == pytest.approx([75 + step, 75 - step, 75 + step, 75 - step])


def test_rescaling_stays_on_the_scale_keeps_unrated_rows_and_shifts_a_single_rating():
    ratings = pd.Series([5.0, 1, 3, 4])
    by = pd.Series(["A", "B", "B", pd.NA], dtype="string")
    moved = rater_rescaled(ratings, by, pd.Series(["r"] * 4), 0, 5)
    # Peers' mean 13/4 = 3.25; A alone is shifted by 3.25 − 5; B (mean 2, sd √2) is spread to
    # the peers' sd √(8.75/3): 1 → 3.25 − 1 × 1.2076 = 2.04.
    spread = math.sqrt(8.75 / 3) / math.sqrt(2)
    assert moved.tolist() == pytest.approx([3.25, 3.25 - spread, 3.25 + spread, 4.0])


# ------------------------------------------------------------------ scheme options


def test_scheme_reads_the_insight_options():
    data = scheme_with(denominator=["回访数", "surveys"], min_cases=20, score_shrunk=True)
    kpi = parse_scheme(data).kpi("csat")
    assert kpi.denominator == ("回访数", "surveys") and kpi.min_cases == 20 and kpi.score_shrunk
    plain = parse_scheme(copy.deepcopy(SMALL_SCHEME)).kpi("csat")
    assert plain.denominator == () and plain.min_cases == 30 and not plain.score_shrunk


def test_insight_options_in_the_wrong_place_are_refused_in_words():
    data = copy.deepcopy(SMALL_SCHEME)
    data["kpis"][0].update(denominator="回访数", rater="评分人", rescale_by_rater=True)
    data["kpis"][2].update(score_shrunk=True, min_cases=0)
    found = problems_of(data)
    assert any("denominator (cases column) belongs to a rate in %" in p for p in found)
    assert any("rater column belongs to a rating KPI" in p for p in found)
    assert any("score_shrunk needs a denominator column" in p for p in found)
    assert any("'min_cases' must be a whole number" in p for p in found)


def test_a_cases_column_may_not_take_a_kpi_or_roster_name():
    found = problems_of(scheme_with(denominator="部门"))
    assert any("the denominator column '部门' is already" in p for p in found)


def test_gaming_pairs_must_name_two_kpis_and_directions():
    data = copy.deepcopy(SMALL_SCHEME)
    data["gaming_pairs"] = [
        {"first": "days", "first_moves": "down", "second": "nope", "second_moves": "up"},
        {"first": "days", "first_moves": "sideways", "second": "csat", "second_moves": "down"},
    ]
    found = problems_of(data)
    assert any("names KPI(s) ['nope']" in p for p in found)
    assert any("first_moves must be 'up' or 'down'" in p for p in found)


# ------------------------------------------------------------------ scoring


def csat_rows() -> pd.DataFrame:
    """Four people in one department: 100 % of 2 surveys, then 88, 80, 70 % of 50."""
    return facts(
        [
            {"days": 1, "complaints": 0, "csat": 100.0, "回访数": "2"},
            {"days": 1, "complaints": 0, "csat": 88.0, "回访数": "50"},
            {"days": 1, "complaints": 0, "csat": 80.0, "回访数": "50"},
            {"days": 1, "complaints": 0, "csat": 70.0, "回访数": "50"},
        ]
    )


def test_the_raw_rate_is_scored_unless_the_scheme_asks_for_the_shrunk_one():
    plain = score_table(csat_rows(), parse_scheme(scheme_with(denominator="回访数")))
    assert plain["score_csat"].tolist() == [100, 85, 85, 70]
    assert plain["cases_csat"].tolist() == [2, 50, 50, 50]
    assert "adjusted_csat" not in plain
    shrunk = score_table(
        csat_rows(), parse_scheme(scheme_with(denominator="回访数", score_shrunk=True))
    )
    # 100 % of 2 surveys is pulled to the department's 121/152 = 79.6 %: 合格 (70), not 优秀.
    assert shrunk["csat"].tolist() == [100.0, 88.0, 80.0, 70.0]  # the raw values stay
    assert shrunk["adjusted_csat"].iloc[0] == pytest.approx(79.6, abs=1.0)
    assert shrunk["score_csat"].iloc[0] == 70


def test_the_statement_shows_the_raw_rate_beside_the_shrunk_one_it_scored():
    scheme = parse_scheme(scheme_with(denominator="回访数", score_shrunk=True))
    table = score_table(csat_rows(), scheme)
    rows = score_statement(table.iloc[0], table.iloc[[0]], scheme).set_index("kpi")
    assert rows.loc["csat", "value"] == 100.0
    assert rows.loc["csat", "scored_value"] == pytest.approx(table["adjusted_csat"].iloc[0])
    assert rows.loc["days", "scored_value"] == rows.loc["days", "value"] == 1.0


def test_rescaled_ratings_are_scored_and_kept_beside_the_raw_ones():
    data = copy.deepcopy(SMALL_SCHEME)
    data["kpis"][2] = {
        "id": "rating",
        "category": "a",
        "weight": 100,
        "unit": "points",
        "direction": "higher",
        "method": "rating",
        "scale_min": 0,
        "scale_max": 100,
        "rater": "评分人",
        "rescale_by_rater": True,
    }
    rows = facts(
        [
            {"days": 1, "complaints": 0, "rating": r, "评分人": who}
            for r, who in ((90, "A"), (80, "A"), (70, "B"), (60, "B"))
        ]
    )
    table = score_table(rows, parse_scheme(data))
    step = 5 * math.sqrt(10 / 3)
    assert table["rating"].tolist() == [90, 80, 70, 60]
    assert table["rater_rating"].tolist() == ["A", "A", "B", "B"]
    assert table["score_rating"].tolist() == pytest.approx([75 + step, 75 - step] * 2)


def test_the_published_standard_says_what_is_scored_instead_of_the_raw_value():
    from engine.schemes.describe import kpi_table

    shrunk = parse_scheme(scheme_with(denominator="回访数", score_shrunk=True))
    rule = kpi_table(shrunk).set_index("kpi")["rule"]
    assert rule["csat"].endswith(";按回访数收缩至部门比率后计分(经验贝叶斯)")
    plain = kpi_table(parse_scheme(scheme_with(denominator="回访数"))).set_index("kpi")["rule"]
    assert "收缩" not in plain["csat"]
