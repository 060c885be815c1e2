"""Work split over threads and blocks gives exactly the answers of one pass, one step at a time.

Small inputs never use threads (engine.scoring.parallel.SMALL), so these tests lower the threshold
and the block size to make a modest table take the parallel paths."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from engine.intake.parse import parse_file
from engine.schemes.scheme import load_scheme
from engine.scoring import parallel
from engine.scoring import score as scoring

ROWS = 6_000


@pytest.fixture(scope="module")
def scheme():
    return load_scheme()


def random_facts(scheme, rows: int = ROWS, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    roles = [p.name for p in scheme.roles] + ["其他岗位", None]
    frame = pd.DataFrame(
        {
            "period": rng.choice(["2026-09", "2026-10", "2026-11"], rows),
            "employee_id": [f"E{i:05d}" for i in range(rows)],
            "name": "n",
            "department": rng.choice(["售后服务部", "客服部", "技术支持部", ""], rows),
            "team": rng.choice(["一组", "二组", "三组", None], rows),
            "role": rng.choice(np.array(roles, dtype=object), rows),
        }
    )
    for kpi in scheme.kpis:
        low, high = kpi.valid_range
        values = np.round(rng.uniform(low, min(high, low + 130.0), rows), 1)
        values[rng.random(rows) < 0.04] = np.nan
        frame[kpi.id] = values
    return frame


@pytest.fixture
def in_parallel(monkeypatch):
    def switch(on: bool) -> None:
        monkeypatch.setattr(parallel, "SMALL", 0 if on else 10**12)
        monkeypatch.setattr(parallel, "CORES", 2 if on else 1)
        monkeypatch.setattr(scoring, "BLOCK_ROWS", 512 if on else 1 << 16)

    return switch


def test_score_table_in_blocks_on_threads_equals_one_pass(scheme, in_parallel):
    facts = random_facts(scheme)
    in_parallel(False)
    alone = scoring.score_table(facts, scheme)
    in_parallel(True)
    split = scoring.score_table(facts, scheme)
    pd.testing.assert_frame_equal(split, alone)
    assert alone["total"].notna().sum() > ROWS * 0.9
    assert alone["rank"].max() > 1000  # ranks per period over thousands of rows


def test_parse_file_on_threads_equals_one_pass(scheme, in_parallel):
    facts = random_facts(scheme).drop(columns="period")
    text = facts.astype(object).where(facts.notna(), "").astype(str)
    # Problems in several columns and rows, so their order after joining is tested too.
    for row, column, cell in [
        (5, "satisfaction", "abc"),
        (5, "fault_days", "-1"),
        (900, "employee_id", "E00001"),
        (3000, "manager_rating", "x"),
    ]:
        text.loc[row, column] = cell
    data = text.to_csv(index=False).encode("utf-8")
    in_parallel(False)
    alone = parse_file(data, scheme, file_name="2026-10.csv")
    in_parallel(True)
    split = parse_file(data, scheme, file_name="2026-10.csv")
    assert len(alone.problems) >= 5
    pd.testing.assert_frame_equal(split.problems, alone.problems)
    pd.testing.assert_frame_equal(split.facts, alone.facts)
    assert split.sha256 == alone.sha256
