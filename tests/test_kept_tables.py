"""Some columns of the kept scored rows, or one person's rows, read from the store without
every column of every month (issue 19: the insights page and 我的绩效), on DuckDB and
PostgreSQL."""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine.store import Store
from tests.test_aggregates import SMALL


def kept(target: str) -> Store:
    """January and February of four people under digest 'd1' (February with a KPI column more
    and totals 10 lower), and January again under 'old', which must not be read."""
    store = Store(target)
    january = SMALL.assign(period="2026-01")
    february = SMALL.assign(period="2026-02", total=SMALL["total"] - 10, csat=[1.0, 2, 3, 4])
    store.keep_scores("s", "d1", 1, {"2026-01": (1, "-", january)})
    store.keep_scores("s", "d1", 1, {"2026-02": (2, "-", february)})
    store.keep_scores("s", "old", 1, {"2026-01": (1, "-", january.assign(total=0.0))})
    return store


KEYS = [("2026-01", "d1"), ("2026-02", "d1")]


def test_some_columns_of_every_month(db_target):
    found = kept(db_target).kept_tables("s", KEYS, ["period", "employee_id", "total", "csat"])
    assert list(found.columns) == ["period", "employee_id", "total", "csat"]
    assert found["period"].tolist() == ["2026-01"] * 4 + ["2026-02"] * 4
    assert found["employee_id"].tolist() == ["E1", "E2", "E3", "E4"] * 2
    # January from 'd1', not 'old' (totals 0); February 10 lower; the blank total stays blank.
    np.testing.assert_array_equal(
        found["total"].to_numpy(dtype=float), [90, 80, 70, np.nan, 80, 70, 60, np.nan]
    )
    assert found["csat"].isna().sum() == 4  # January holds no csat column
    assert found["csat"].iloc[4:].tolist() == [1.0, 2.0, 3.0, 4.0]


def test_one_persons_rows_every_column(db_target):
    store = kept(db_target)
    found = store.kept_tables("s", KEYS, employee_id="E3")
    assert found["period"].tolist() == ["2026-01", "2026-02"]
    assert found["employee_id"].tolist() == ["E3", "E3"]
    assert found["total"].tolist() == [70.0, 60.0]
    assert {"name", "grade", "bonus", "missing_count", "csat"} <= set(found.columns)
    assert store.kept_tables("s", KEYS[:1], employee_id="E9").empty
    assert store.kept_tables("s", [], ["period", "total"]).empty


def test_only_the_months_asked_for(db_target):
    found = kept(db_target).kept_tables("s", [("2026-02", "d1")], ["period", "total"])
    assert set(found["period"]) == {"2026-02"}
    pd.testing.assert_series_equal(
        found["total"], (SMALL["total"] - 10).rename("total"), check_index=False
    )
