"""Two periods side by side: hand-computed grade mix, KPI means, ranks, moves and honest axes."""

from __future__ import annotations

import pytest

from engine.analysis.compare import (
    department_rank,
    grade_mix,
    kpi_means,
    move_counts,
    people_moves,
    score_axis,
)
from engine.scoring.periods import is_partial, months_held
from engine.scoring.score import score_table
from tests.conftest import facts

# Small scheme (see tests/test_breakdown.py): E1 94 优秀, E2 82 良好, E3 52 不合格 in Q3;
# in Q4 E1 falls to 82 (days 5, complaints 0, csat 85), E2 stays, E3 leaves, E5 joins with 94.
Q3 = [
    {"employee_id": "E1", "department": "D1", "days": 1, "complaints": 1, "csat": 95},
    {"employee_id": "E2", "department": "D1", "days": 5, "complaints": 0, "csat": 85},
    {"employee_id": "E3", "department": "D1", "days": 9, "complaints": 2, "csat": 75},
    {"employee_id": "E9", "department": "D2", "days": 1, "complaints": 0, "csat": 95},
]
Q4 = [
    {"employee_id": "E1", "department": "D1", "days": 5, "complaints": 0, "csat": 85},
    {"employee_id": "E2", "department": "D1", "days": 5, "complaints": 0, "csat": 85},
    {"employee_id": "E5", "department": "D1", "days": 1, "complaints": 1, "csat": 95},
    {"employee_id": "E9", "department": "D2", "days": 9, "complaints": 2, "csat": 75},
]


@pytest.fixture
def periods(small_scheme):
    a = score_table(facts(Q3, "2026-09"), small_scheme)
    b = score_table(facts(Q4, "2026-10"), small_scheme)
    return a, b


def test_months_held_and_partial_periods():
    held = ["2026-07", "2026-08", "2026-09", "2026-10"]
    assert months_held("2026-Q4", held) == ("2026-10",)
    assert is_partial("2026-Q4", held) and not is_partial("2026-Q3", held)
    assert months_held("2026-H2", held) == ("2026-07", "2026-08", "2026-09", "2026-10")
    assert is_partial("2026", held) and not is_partial("2026-10", held)


def test_grade_mix_of_one_department_in_two_periods(periods, small_scheme):
    a, b = (t[t["department"] == "D1"] for t in periods)
    mix = grade_mix(a, b, small_scheme).set_index("grade")
    assert mix.loc["优秀", ["count_a", "count_b"]].tolist() == [1, 1]
    assert mix.loc["良好", ["count_a", "count_b"]].tolist() == [1, 2]
    assert mix.loc["不合格", ["count_a", "count_b"]].tolist() == [1, 0]
    assert mix.loc["良好", "share_a"] == pytest.approx(100 / 3)
    assert mix.loc["良好", "change"] == pytest.approx(200 / 3 - 100 / 3)
    assert mix["count_a"].sum() == 3


def test_kpi_means_and_their_change(periods, small_scheme):
    a, b = (t[t["department"] == "D1"] for t in periods)
    means = kpi_means(a, b, small_scheme).set_index("kpi")
    # days scores: Q3 100, 60, 20 → 60; Q4 60, 60, 100 → 73.33
    assert means.loc["days", ["mean_a", "mean_b"]].tolist() == pytest.approx([60.0, 220 / 3])
    # csat: Q3 100, 85, 70 → 85; Q4 85, 85, 100 → 90
    assert means.loc["csat", "change"] == pytest.approx(5.0)


def test_department_rank_among_departments(periods):
    a, b = periods
    # Q3: D1 (94 + 82 + 52) / 3 = 76, D2 100 → D1 2nd of 2; Q4: D1 86, D2 52 → 1st.
    assert department_rank(a, "D1") == (76.0, 2.0, 2)
    assert department_rank(b, "D1") == (86.0, 1.0, 2)
    assert department_rank(b, "nobody")[1] != department_rank(b, "nobody")[1]  # NaN


def test_who_moved(periods, small_scheme):
    a, b = (t[t["department"] == "D1"] for t in periods)
    moves = people_moves(a, b, small_scheme).set_index("employee_id")
    assert moves.loc["E1", ["total_a", "total_b", "change", "move"]].tolist() == [
        94.0,
        82.0,
        -12.0,
        "down",
    ]
    assert moves.loc["E2", "move"] == "same"
    assert moves.loc["E3", "move"] == "left" and moves.loc["E5", "move"] == "joined"
    assert list(moves.index[:1]) == ["E1"]  # grade changes first
    assert move_counts(moves.reset_index()) == {
        "up": 0,
        "down": 1,
        "same": 1,
        "joined": 1,
        "left": 1,
    }


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([80.0, 80.5], [70.25, 90.25]),  # 0.5 points shown inside a 20-point span
        ([5.0, 6.0], [0.0, 20.0]),  # kept above 0
        ([99.0, 99.5], [80.0, 100.0]),  # kept below 100
        ([20.0, 80.0], [14.0, 86.0]),  # wide data: 10 % margin each side
        ([], [0.0, 100.0]),
    ],
)
def test_score_axis_never_turns_half_a_point_into_a_cliff(values, expected):
    assert score_axis(values) == pytest.approx(expected)
