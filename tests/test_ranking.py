"""Rankings and distribution figures on small hand-built scored tables, expectations by hand."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from engine.analysis.ranking import (
    against_target_mix,
    arrowed,
    bin_width,
    bottom,
    ends,
    grade_counts,
    grade_labels,
    grade_shares,
    group_means,
    group_ranking,
    histogram,
    matching,
    page,
    page_count,
    person_ranking,
    quartiles,
    top,
)
from engine.schemes.scheme import GradeLevel, Scheme
from engine.scoring.score import finish


def scored(rows: list[tuple], period: str = "2026-10", scheme: Scheme | None = None):
    """A scored table from (employee_id, name, department, team, total) rows, graded and ranked
    under the given scheme by the engine's own finish step."""
    frame = pd.DataFrame(rows, columns=["employee_id", "name", "department", "team", "total"])
    frame.insert(0, "period", period)
    frame["role"] = "服务工程师"
    return finish(frame, scheme)


@pytest.fixture
def now(scheme):
    # A: 95 优秀, 85 良好, 70 合格 → mean 83.33; B: 88 良好, 60 及格 → 74; C: 50 不合格.
    rows = [
        ("E1", "王刚", "A", "A1", 95.0),
        ("E2", "李红", "A", "A1", 85.0),
        ("E3", "张伟", "A", "A2", 70.0),
        ("E4", "王芳", "B", "B1", 88.0),
        ("E5", "刘洋", "B", "B1", 60.0),
        ("E6", "陈静", "C", "C1", 50.0),
    ]
    return scored(rows, scheme=scheme)


@pytest.fixture
def then(scheme):
    # A: 80, 80 → 80 (2nd); B: 90 → 90 (1st); C had no one; E6 is new.
    rows = [
        ("E1", "王刚", "A", "A1", 80.0),
        ("E2", "李红", "A", "A1", 80.0),
        ("E4", "王芳", "B", "B1", 90.0),
    ]
    return scored(rows, period="2026-09", scheme=scheme)


def with_grades(scheme: Scheme, *levels: tuple[str, float | None]) -> Scheme:
    return dataclasses.replace(scheme, grades=tuple(GradeLevel(n, n, m) for n, m in levels))


# ------------------------------------------------------------------ groups


def test_group_means_give_headcount_mean_and_rank(now):
    out = group_means(now, ["department"]).set_index("department")
    assert out["headcount"].to_dict() == {"A": 3, "B": 2, "C": 1}
    assert out["mean_total"].to_dict() == {"A": 83.33, "B": 74.0, "C": 50.0}
    assert out["group_rank"].tolist() == [1, 2, 3]


def test_groups_with_the_same_mean_share_the_best_rank(scheme):
    table = scored(
        [("E1", "a", "A", "T", 80.0), ("E2", "b", "B", "T", 80.0), ("E3", "c", "C", "T", 70.0)],
        scheme=scheme,
    )
    assert group_means(table, ["department"])["group_rank"].tolist() == [1, 1, 3]


def test_grade_counts_and_shares_per_group(now, scheme):
    counts = grade_counts(now, scheme, ["department"]).set_index("department")
    assert counts.columns.tolist() == ["优秀", "良好", "合格", "及格", "不合格"]
    assert counts.loc["A"].tolist() == [1, 1, 1, 0, 0]
    assert counts.loc["B"].tolist() == [0, 1, 0, 1, 0]
    shares = grade_shares(now, scheme, ["department"]).set_index("department")
    assert shares.loc["A"].tolist() == [33.3, 33.3, 33.3, 0.0, 0.0]
    assert shares.loc["B"].tolist() == [0.0, 50.0, 0.0, 50.0, 0.0]
    assert shares.loc["C"].tolist() == [0.0, 0.0, 0.0, 0.0, 100.0]


def test_group_ranking_compares_with_the_previous_period(now, then, scheme):
    out = group_ranking(now, then, scheme, ["department"]).set_index("department")
    assert out.index.tolist() == ["A", "B", "C"]
    assert out.loc["A", "previous_mean"] == 80.0
    assert out.loc["A", "change"] == 3.33
    assert out.loc["B", "change"] == -16.0
    # A was 2nd and is 1st (up one); B was 1st and is 2nd; C had no one before.
    assert out.loc["A", "rank_change"] == 1
    assert out.loc["B", "rank_change"] == -1
    assert pd.isna(out.loc["C", "rank_change"]) and np.isnan(out.loc["C", "change"])
    assert out["headcount"].sum() == len(now)


def test_team_ranking_groups_by_department_and_team(now, then, scheme):
    out = group_ranking(now, then, scheme, ["department", "team"])
    assert list(zip(out["department"], out["team"], out["mean_total"], strict=True)) == [
        ("A", "A1", 90.0),
        ("B", "B1", 74.0),
        ("A", "A2", 70.0),
        ("C", "C1", 50.0),
    ]
    assert out["group_rank"].tolist() == [1, 2, 3, 4]


def test_group_ranking_without_a_previous_period(now, scheme):
    out = group_ranking(now, now.iloc[0:0], scheme, ["department"])
    assert out["previous_mean"].isna().all() and out["rank_change"].isna().all()


def test_ends_keep_the_best_and_the_worst_groups():
    table = pd.DataFrame({"n": range(10)})
    assert ends(table, 3)["n"].tolist() == [0, 1, 2, 7, 8, 9]
    assert ends(table, 5)["n"].tolist() == list(range(10))
    assert ends(table, 20)["n"].tolist() == list(range(10))


# ------------------------------------------------------------------ people


def test_person_ranking_gives_the_change_in_total_and_rank(now, then):
    out = person_ranking(now, then).set_index("employee_id")
    # E1: 80 → 95, rank 2 (tied with E2) → 1; E4: 90 → 88, rank 1 → 2; E6 is new.
    assert out.loc["E1", "change"] == 15.0 and out.loc["E1", "rank_change"] == 1
    assert out.loc["E4", "change"] == -2.0 and out.loc["E4", "rank_change"] == -1
    assert np.isnan(out.loc["E6", "change"]) and pd.isna(out.loc["E6", "rank_change"])
    assert out["rank"].tolist() == [1, 2, 3, 4, 5, 6]


def test_top_and_bottom_keep_people_tied_with_the_last(scheme):
    table = scored(
        [
            ("E1", "a", "A", "T", 90.0),
            ("E2", "b", "A", "T", 80.0),
            ("E3", "c", "A", "T", 80.0),
            ("E4", "d", "A", "T", 70.0),
        ],
        scheme=scheme,
    )
    assert top(table, 1)["employee_id"].tolist() == ["E1"]
    assert top(table, 2)["employee_id"].tolist() == ["E1", "E2", "E3"]
    assert bottom(table, 1)["employee_id"].tolist() == ["E4"]
    assert bottom(table, 2)["employee_id"].tolist() == ["E4", "E2", "E3"]


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("", ["E1", "E4", "E2", "E3", "E5", "E6"]),
        ("  ", ["E1", "E4", "E2", "E3", "E5", "E6"]),
        ("e4", ["E4"]),
        ("王", ["E1", "E4"]),
        (" 王刚 ", ["E1"]),
        ("(", []),
    ],
)
def test_matching_finds_an_id_or_a_name_part(now, text, found):
    assert sorted(matching(now, text)["employee_id"]) == sorted(found)


@pytest.mark.parametrize(("rows", "pages"), [(0, 1), (1, 1), (500, 1), (501, 2), (1000, 2)])
def test_page_count(rows, pages):
    assert page_count(rows) == pages


def test_pages_cut_the_table_in_order():
    table = pd.DataFrame({"n": range(5)})
    assert page(table, 1, size=2)["n"].tolist() == [0, 1]
    assert page(table, 3, size=2)["n"].tolist() == [4]
    assert page(table, 9, size=2)["n"].tolist() == [4]
    assert page(table, 0, size=2)["n"].tolist() == [0, 1]


@pytest.mark.parametrize(
    ("value", "decimals", "text"),
    [(3, 0, "↑ 3"), (-1.254, 2, "↓ 1.25"), (0, 0, "→ 0"), (np.nan, 2, ""), (pd.NA, 0, "")],
)
def test_arrowed(value, decimals, text):
    assert arrowed(value, decimals) == text


def test_grade_labels_follow_the_language(scheme):
    assert grade_labels(scheme)["优秀"] == "优秀"
    assert grade_labels(scheme, "en")["优秀"] == "Excellent"


# ------------------------------------------------------------------ distribution


@pytest.mark.parametrize(
    ("levels", "span", "width"),
    [
        ((("A", 90), ("B", 80), ("C", 60), ("D", None)), 60.0, 2.0),
        ((("A", 95), ("B", 85), ("C", None)), 60.0, 1.0),
        ((("A", 89.5), ("B", None)), 60.0, 0.5),
        ((("A", 87.3), ("B", None)), 15.0, 0.1),
        # 0.1 would be needed, but 60 points / 0.1 is too many bars: fall back to 2.
        ((("A", 87.3), ("B", None)), 60.0, 2.0),
        ((("A", 87.33), ("B", None)), 1.0, 0.01),
        ((("A", 87.333), ("B", None)), 1.0, 2.0),
    ],
)
def test_bin_width_puts_cutoffs_on_bin_edges(scheme, levels, span, width):
    assert bin_width(with_grades(scheme, *levels), span) == width


def test_histogram_bins_are_lower_inclusive_like_the_grades(scheme):
    table = scored(
        [(f"E{i}", "n", "A", "T", t) for i, t in enumerate([59.99, 60.0, 61.99, 62.0, 65.0])],
        scheme=scheme,
    )
    out = histogram(table, scheme)
    assert out["left"].tolist() == [58.0, 60.0, 62.0, 64.0]
    assert out["right"].tolist() == [60.0, 62.0, 64.0, 66.0]
    assert out["count"].tolist() == [1, 2, 1, 1]
    assert out["share"].tolist() == [20.0, 40.0, 20.0, 20.0]
    assert out["grade"].astype(str).tolist() == ["不合格", "及格", "及格", "及格"]


def test_histogram_keeps_a_cutoff_total_in_its_grade_with_fine_bins(scheme):
    fine = with_grades(scheme, ("A", 90.1), ("B", None))
    table = scored([("E1", "n", "A", "T", 90.1), ("E2", "n", "A", "T", 90.0)], scheme=fine)
    out = histogram(table, fine)
    assert out["left"].tolist() == [90.0, 90.1]
    assert out["grade"].astype(str).tolist() == ["B", "A"]


def test_histogram_of_no_totals_is_empty(scheme):
    assert histogram(pd.DataFrame({"total": [np.nan]}), scheme).empty


def test_quartiles_and_whiskers_per_group(scheme):
    # Sorted totals 30, 70, 72, 74, 76, 78: Q1 = 70.5, median 73, Q3 = 75.5 (linear), IQR 5,
    # so the whiskers reach 63 and 83: 30 is an outlier, the whiskers end at 70 and 78.
    totals = [70.0, 72.0, 74.0, 76.0, 78.0, 30.0]
    rows = [(f"E{i}", "n", "A", "T", t) for i, t in enumerate(totals)]
    rows.append(("E9", "n", "B", "T", 80.0))
    out = quartiles(scored(rows, scheme=scheme)).set_index("department")
    assert out.loc["A", ["q1", "median", "q3"]].tolist() == [70.5, 73.0, 75.5]
    assert out.loc["A", ["lowerfence", "upperfence", "outliers"]].tolist() == [70.0, 78.0, 1]
    assert out.loc["A", ["count", "mean", "min", "max"]].tolist() == [6, 66.67, 30.0, 78.0]
    assert out.loc["B", ["q1", "median", "q3", "lowerfence", "upperfence"]].tolist() == [80.0] * 5


def test_actual_mix_against_the_target_mix(scheme):
    # 20 people: 4 优秀 (20%), 6 良好 (30%), 6 合格 (30%), 2 及格 (10%), 2 不合格 (10%)
    # against the scheme's 15 / 35 / 30 / 15 / 5.
    totals = [95.0] * 4 + [85.0] * 6 + [75.0] * 6 + [65.0] * 2 + [40.0] * 2
    table = scored([(f"E{i}", "n", "A", "T", t) for i, t in enumerate(totals)], scheme=scheme)
    out = against_target_mix(table, scheme).set_index("grade")
    assert out.index.tolist() == ["优秀", "良好", "合格", "及格", "不合格"]
    assert out["count"].tolist() == [4, 6, 6, 2, 2]
    assert out["share"].tolist() == [20.0, 30.0, 30.0, 10.0, 10.0]
    assert out["target_share"].tolist() == [15.0, 35.0, 30.0, 15.0, 5.0]
    assert out["difference"].tolist() == [5.0, -5.0, 0.0, -5.0, 5.0]
    assert out["target_count"].tolist() == [3.0, 7.0, 6.0, 3.0, 1.0]
    assert out["excess"].tolist() == [1.0, -1.0, 0.0, -1.0, 1.0]


def test_no_target_mix_gives_an_empty_comparison(now, scheme):
    assert against_target_mix(now, dataclasses.replace(scheme, target_mix={})).empty
