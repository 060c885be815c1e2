"""The guide's buckets (20 / 70 / 10) on a scheme's grades, zero shares and ties, computed by
hand."""

from __future__ import annotations

import numpy as np
import pytest

from engine.analysis import whatif

TEN = np.array([95.0, 93.0, 88.0, 85.0, 80.0, 78.0, 75.0, 70.0, 65.0, 50.0])
MIX = [15.0, 35.0, 30.0, 15.0, 5.0]


def test_default_buckets_follow_the_common_guide():
    assert whatif.default_buckets(5) == [0, 0, 1, 1, 2]  # 优秀+良好 / 合格+及格 / 不合格
    assert whatif.default_buckets(4) == [0, 1, 1, 2]
    assert whatif.default_buckets(3) == [0, 1, 2]


def test_a_bucket_share_is_split_in_the_schemes_target_mix():
    shares = whatif.bucket_shares([0, 0, 1, 1, 2], [20, 70, 10], MIX)
    assert shares.tolist() == pytest.approx([6.0, 14.0, 70 * 2 / 3, 70 / 3, 10.0])
    # A mix that gives a bucket's grades nothing splits it equally.
    equal = whatif.bucket_shares([0, 0, 1, 1, 2], [20, 70, 10], [0, 0, 30, 15, 5])
    assert equal.tolist()[:2] == [10.0, 10.0]


def test_mappings_that_cannot_be_used_are_explained():
    assert whatif.bucket_problems([0, 0, 1, 1, 2], 3) == []
    (empty,) = whatif.bucket_problems([0, 0, 2, 2, 2], 3)
    assert empty[0] == "第 2 组没有对应的等级。"
    (order,) = whatif.bucket_problems([0, 2, 1, 1, 2], 3)
    assert order[0].startswith("等级须按从好到差依次归入各组")


def test_twenty_seventy_ten_on_five_grades():
    shares = whatif.bucket_shares([0, 0, 1, 1, 2], [20, 70, 10], MIX)
    cutoffs = whatif.forced_cutoffs(TEN, shares)
    # Cumulative targets 0.6, 2, 6.67, 9 people → 1, 2, 7, 9 at or above the minimums.
    reached = [(c <= TEN).sum() for c in cutoffs]
    assert reached == [1, 2, 7, 9]
    counts = np.diff([0, *reached, len(TEN)])
    people, share = whatif.bucket_achieved(counts, [0, 0, 1, 1, 2], 3)
    assert people.tolist() == [2, 7, 1] and share.tolist() == [20.0, 70.0, 10.0]
    assert whatif.tie_notes(TEN, cutoffs, shares) == []


def test_grades_nobody_reaches_show_no_minimum():
    cutoffs = whatif.forced_cutoffs(TEN, [20, 0, 70, 0, 10])
    counts = np.diff([0, *[(c <= TEN).sum() for c in cutoffs], len(TEN)])
    assert counts.tolist() == [2, 0, 7, 0, 1]
    shown = whatif.meaningful_cutoffs(cutoffs, counts)
    assert shown[1] is None and shown[3] is None
    assert shown[0] == cutoffs[0] and shown[2] == cutoffs[2]


def test_ties_that_keep_a_target_out_of_reach_are_named():
    totals = np.array([90.0, 90.0, 90.0, 80.0, 70.0])
    cutoffs = whatif.forced_cutoffs(totals, [20, 80])
    assert (totals >= cutoffs[0]).sum() == 0  # 1 wanted: 0 is closer than the 3 tied at 90
    (note,) = whatif.tie_notes(totals, cutoffs, [20, 80])
    assert (note.wanted, note.reached) == (1.0, 0)
    assert (note.below_total, note.below_count) == (90.0, 3)
    assert np.isnan(note.above_total)
