"""Trends and a person's months read aggregates computed in the database from the kept scored
rows, equal to the pandas aggregation of a fresh scoring, on DuckDB and PostgreSQL (issue 19
item 2)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from engine.analysis.figures import department_trend
from engine.cycle import results
from engine.cycle.results import kept_keys, lock_snapshot, score_months
from engine.store import Store
from tests.apptest import demo_store


@pytest.fixture
def demo(tmp_path) -> Store:
    return Store(demo_store(tmp_path))


SMALL = pd.DataFrame(
    {
        "employee_id": ["E1", "E2", "E3", "E4"],
        "name": ["甲", "乙", "丙", "丁"],
        "department": ["售后", "售后", "客服", "客服"],
        "team": ["一组", "二组", "一组", "一组"],
        "role": ["技师", "技师", "坐席", "坐席"],
        "total": [90.0, 80.0, 70.0, np.nan],
        "grade": ["优秀", "良好", "合格", None],
        "grade_en": ["Excellent", "Good", "Pass", None],
        "rank": [1, 2, 3, pd.NA],
        "dept_rank": [1, 2, 1, pd.NA],
        "team_rank": [1, 1, 1, pd.NA],
        "bonus": [900.0, 800.0, 700.0, np.nan],
        "missing_count": [0, 0, 1, 9],
    }
)


def small_store(target: str) -> tuple[Store, list[tuple[str, str]]]:
    """Two months of the four people above (the second month every total 10 lower), kept in
    columns under the digest 'd1'; a third month under another digest that must not count."""
    store = Store(target)
    later = SMALL.assign(total=SMALL["total"] - 10)
    store.keep_columns("s", {"2026-01": ("d1", SMALL), "2026-02": ("d1", later)})
    store.keep_columns("s", {"2026-03": ("old", SMALL)})
    return store, [("2026-01", "d1"), ("2026-02", "d1")]


def test_department_means_by_hand(db_target):
    store, keys = small_store(db_target)
    means = store.department_means("s", keys, None)
    # 售后 (90 + 80) / 2 = 85, then 75; 客服 only E3 has a total: 70, then 60.
    assert means["period"].tolist() == ["2026-01", "2026-01", "2026-02", "2026-02"]
    assert means["department"].tolist() == ["售后", "客服", "售后", "客服"]
    assert means["mean_total"].tolist() == pytest.approx([85.0, 70.0, 75.0, 60.0])
    assert means["headcount"].tolist() == [2, 1, 2, 1]
    # A manager of 客服 alone, and a team filter: 一组 of 售后 is E1 only.
    only = store.department_means("s", keys, ("客服",))
    assert only["department"].unique().tolist() == ["客服"]
    team = store.department_means("s", keys, None, teams=("一组",), roles=("技师",))
    assert team["mean_total"].tolist() == pytest.approx([90.0, 80.0])
    assert store.department_means("s", keys, ()).empty  # no department may be seen


def test_grade_counts_and_a_persons_months_by_hand(db_target):
    store, keys = small_store(db_target)
    counts = store.grade_counts("s", keys, None)
    first = counts[counts["period"] == "2026-01"].set_index("grade")["headcount"]
    assert first.to_dict() == {"优秀": 1, "合格": 1, "良好": 1}
    person = store.kept_rows("s", keys, ("E3",))
    assert person["period"].tolist() == ["2026-01", "2026-02"]
    assert person["total"].tolist() == pytest.approx([70.0, 60.0])
    assert person["dept_rank"].tolist() == [1, 1]
    assert person["team_rank"].tolist() == [1, 1]
    assert person["grade_en"].tolist() == ["Pass", "Pass"]
    assert store.kept_rows("s", keys, ("E3",), departments=("售后",)).empty


def test_demo_trend_from_the_database_equals_pandas_on_a_fresh_scoring(demo_target, scheme):
    store = Store(demo_target)
    keys = kept_keys(store, scheme)
    assert [m for m, _ in keys] == store.periods()
    fresh = score_months(store, scheme, store.periods())
    expected = department_trend(fresh).sort_values(["period", "department"], ignore_index=True)
    got = store.department_means(scheme.id, keys, None)
    assert got[["period", "department"]].equals(expected[["period", "department"]])
    np.testing.assert_allclose(got["mean_total"], expected["mean_total"], rtol=1e-12)
    assert got["headcount"].tolist() == expected["headcount"].tolist()
    counts = store.grade_counts(scheme.id, keys, None)
    by_pandas = fresh.dropna(subset=["grade"]).groupby(["period", "grade"]).size()
    assert counts.set_index(["period", "grade"])["headcount"].to_dict() == by_pandas.to_dict()
    someone = fresh["employee_id"].iloc[0]
    person = store.kept_rows(scheme.id, keys, (someone,))
    theirs = fresh[fresh["employee_id"] == someone]
    assert person["period"].tolist() == theirs["period"].tolist()
    np.testing.assert_allclose(person["total"], theirs["total"].astype(float))
    assert person["grade"].tolist() == theirs["grade"].astype(str).tolist()
    assert person["rank"].tolist() == theirs["rank"].astype(int).tolist()
    assert person["team_rank"].tolist() == theirs["team_rank"].astype(int).tolist()


def test_rows_put_into_columns_before_the_team_rank_are_put_in_again_once(
    demo_target, scheme, monkeypatch
):
    """A store whose kept rows went into columns before they held the team rank: the upgrade
    drops them, and the first use puts them in again from the kept Parquet copies (not scored
    again), the team ranks those of a fresh scoring; a later upgrade leaves them be."""
    store = Store(demo_target)
    keys = kept_keys(store, scheme)
    fresh = score_months(store, scheme, store.periods())
    with store._transaction() as con:  # as the release before left it
        con.execute("UPDATE scored_rows SET team_rank = NULL")
        con.execute("DELETE FROM meta WHERE key = 'team_rank_in_columns'")
        con.execute("UPDATE meta SET value = value - 3 WHERE key = 'schema'")
    store = Store(demo_target)
    assert store.kept_rows(scheme.id, keys).empty
    monkeypatch.setattr(results, "score_months", lambda *a, **k: pytest.fail("scored again"))
    assert kept_keys(store, scheme) == keys
    kept = store.kept_rows(scheme.id, keys)
    expected = fresh.sort_values(["period", "employee_id"], ignore_index=True)
    assert kept["employee_id"].tolist() == expected["employee_id"].astype(str).tolist()
    assert kept["team_rank"].tolist() == expected["team_rank"].astype(int).tolist()
    with store._transaction() as con:
        con.execute("UPDATE meta SET value = value - 1 WHERE key = 'schema'")
    assert len(Store(demo_target).kept_rows(scheme.id, keys)) == len(kept)


def test_months_are_scored_once_then_only_aggregated(demo_target, scheme, monkeypatch):
    store = Store(demo_target)
    kept_keys(store, scheme)
    monkeypatch.setattr(results, "score_months", lambda *a, **k: pytest.fail("scored again"))
    monkeypatch.setattr(Store, "kept_scores", lambda *a, **k: pytest.fail("read every row"))
    assert len(kept_keys(store, scheme)) == len(store.periods())


def test_a_locked_month_counts_as_it_was_locked(demo_target, scheme):
    store = Store(demo_target)
    month = store.periods()[-1]
    scheme_id, label, table = lock_snapshot(store, scheme, month)
    moved = table.assign(total=table["total"] - 1.0)  # what was final when it was locked
    store.move_month(month, {"": "locked"}, "month_locked", "test", (scheme_id, label, moved))
    keys = kept_keys(store, scheme)
    assert (month, scheme.digest) not in keys
    got = store.department_means(scheme.id, keys, None)
    got = got[got["period"] == month].reset_index(drop=True)
    expected = department_trend(moved)
    np.testing.assert_allclose(got["mean_total"], expected["mean_total"], rtol=1e-12)


def test_a_scheme_without_digest_falls_back_to_pandas(demo_target, scheme):
    import dataclasses

    assert kept_keys(Store(demo_target), dataclasses.replace(scheme, digest="")) is None


def test_the_control_chart_series_from_the_database_equals_pandas(demo, scheme):
    from engine.insights.control import TOTAL, department_series, total_series

    keys = kept_keys(demo, scheme)
    fresh = score_months(demo, scheme, demo.periods())
    expected = department_series(fresh, scheme, only=(TOTAL,))
    got = total_series(demo.department_means(scheme.id, keys, None))
    pd.testing.assert_frame_equal(
        got.drop(columns="value"), expected.drop(columns="value"), check_dtype=False
    )
    np.testing.assert_allclose(got["value"], expected["value"].astype(float), rtol=1e-12)


@pytest.mark.parametrize("kind", ["month", "quarter", "half", "year"])
def test_period_totals_from_monthly_totals_equal_aggregate_each(demo, scheme, kind):
    from engine.scoring.periods import aggregate_each, totals_each

    fresh = score_months(demo, scheme, demo.periods())
    expected = aggregate_each(fresh, kind, scheme)[["employee_id", "period", "total"]]
    expected = expected.sort_values(["employee_id", "period"], ignore_index=True)
    got = totals_each(fresh[["employee_id", "period", "total"]], kind)
    got = got.sort_values(["employee_id", "period"], ignore_index=True)
    pd.testing.assert_frame_equal(
        got.astype({"employee_id": str, "period": str, "total": float}),
        expected.astype({"employee_id": str, "period": str, "total": float}),
    )


def test_series_sums_are_read_back_only_while_made_from_what_the_month_is_kept_from(db_target):
    store = Store(db_target)
    sums = pd.DataFrame(
        {
            "period": ["2026-01"] * 3,
            "department": ["售后", "客服", None],
            "kpi": ["total", "total", "rework_rate"],
            "mean": [85.0, 70.0, np.nan],
            "hits": [np.nan, np.nan, 3.0],
            "cases": [np.nan, np.nan, 40.0],
            "with_cases": [0, 0, 2],
        }
    )
    keys = [("2026-01", "d1"), ("2026-02", "d1")]
    store.keep_series_sums("s", {("2026-01", "d1"): ("import 7 at noon", sums)})
    found, missing = store.series_sums("s", keys, {"2026-01": "import 7 at noon"})
    assert missing == [("2026-02", "d1")]
    found = found.sort_values("mean", na_position="first", ignore_index=True)
    assert found["department"].tolist()[1:] == ["客服", "售后"] and pd.isna(found["department"][0])
    assert found["mean"].tolist()[1:] == [70.0, 85.0]
    assert found[["hits", "cases", "with_cases"]].iloc[0].tolist() == [3.0, 40.0, 2]
    only, _ = store.series_sums("s", keys, {"2026-01": "import 7 at noon"}, ("售后",))
    assert only["department"].tolist() == ["售后"]  # a manager's: no rows without a department
    # The month kept again from another import: its sums are not read, but made again.
    stale, missing = store.series_sums("s", keys, {"2026-01": "import 8 at one"})
    assert stale.empty and missing == keys
    # Kept again: the new set replaces the old.
    store.keep_series_sums("s", {("2026-01", "d1"): ("import 8 at one", sums.iloc[:1])})
    again, _ = store.series_sums("s", keys, {"2026-01": "import 8 at one"})
    assert again["mean"].tolist() == [85.0]


def test_kept_sources_change_when_a_month_is_kept_again(demo_target):
    from engine.schemes.scheme import load_scheme

    scheme, demo = load_scheme(), Store(demo_target)
    keys = kept_keys(demo, scheme)
    first = demo.kept_sources(scheme.id, keys)
    assert set(first) == {p for p, _ in keys}
    period, key = keys[-1]
    kept = demo.kept_months().set_index(["period", "scheme_digest"]).loc[(period, key)]
    table = demo.kept_tables(scheme.id, [(period, key)])
    demo.keep_scores(
        scheme.id, key, scheme.version, {period: (int(kept["import_id"]), kept["inputs"], table)}
    )
    second = demo.kept_sources(scheme.id, keys)
    assert second[period] != first[period]
    assert {p: s for p, s in second.items() if p != period} == {
        p: s for p, s in first.items() if p != period
    }
