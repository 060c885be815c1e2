"""Scored months kept in the store: equal to a fresh scoring, scored once, and scored again
exactly when one of their inputs changed (issue 19)."""

from __future__ import annotations

import copy
import dataclasses

import pandas as pd
import pytest

from engine.cycle import results
from engine.cycle.config import CYCLE_ENV, cycle_path
from engine.cycle.results import lock_snapshot, month_rows, monthly_rows, score_months
from engine.demo.aftersales import demo_frames
from engine.intake.parse import parse_cells
from engine.schemes import versions as scheme_versions
from engine.schemes.scheme import parse_scheme
from engine.store import Store, StoreError
from tests.apptest import demo_store

MONTHS = ["2026-08", "2026-09", "2026-10"]


@pytest.fixture
def demo(tmp_path) -> Store:
    return Store(demo_store(tmp_path))


@pytest.fixture
def scored(monkeypatch) -> list[str]:
    """The months scored afresh (not taken from the kept rows), in the order scored."""
    done: list[str] = []
    real = results.score_months

    def counting(store, scheme, months, facts=None):
        done.extend(months)
        return real(store, scheme, months, facts)

    monkeypatch.setattr(results, "score_months", counting)
    return done


def parsed_month(scheme, month: str, change: float, tag: str):
    """The demo month as a checked file, every manager rating moved by `change`."""
    frame = demo_frames()[month]
    frame = frame.assign(manager_rating=(frame["manager_rating"] + change).clip(upper=100))
    text = frame.astype(str).replace({"<NA>": "", "nan": "", "NaT": ""})
    cells = pd.concat([text.columns.to_frame().T, text], ignore_index=True)
    cells = cells.set_axis(range(cells.shape[1]), axis=1)
    parsed = parse_cells(cells, scheme, f"{month}.csv", tag.encode(), "utf-8", month)
    assert parsed.ok, parsed.problems.head()
    return parsed


def test_kept_rows_equal_a_fresh_scoring_of_each_month(demo, scheme, scored):
    first = month_rows(demo, scheme, MONTHS)
    assert scored == MONTHS
    again = month_rows(demo, scheme, MONTHS)
    assert scored == MONTHS  # read back, not scored again
    pd.testing.assert_frame_equal(again, first)
    for month in MONTHS:
        fresh = score_months(demo, scheme, [month])
        kept = month_rows(demo, scheme, [month])
        pd.testing.assert_frame_equal(kept, fresh)
    kept = demo.kept_months()
    assert kept["period"].tolist() == MONTHS
    assert set(kept["scheme_digest"]) == {scheme.digest}


def test_the_year_from_kept_months_equals_scoring_it_at_once(demo, scheme):
    months = demo.periods()
    month_rows(demo, scheme, months[:5])  # some kept before, the rest scored on demand
    joined = monthly_rows(demo, scheme)
    fresh = score_months(demo, scheme, months)
    pd.testing.assert_frame_equal(joined, fresh, check_categorical=False)


def test_reimport_scores_again_only_that_month(demo, scheme, scored):
    original = month_rows(demo, scheme, MONTHS)
    before = demo.kept_months().set_index("period")
    result = demo.import_file(parsed_month(scheme, "2026-09", -10, "lower"), replace=True)
    scored.clear()
    rows = month_rows(demo, scheme, MONTHS)
    assert scored == ["2026-09"]
    after = demo.kept_months().set_index("period")
    assert (
        after.loc["2026-09", "import_id"] == result.import_id != before.loc["2026-09", "import_id"]
    )
    for month in ("2026-08", "2026-10"):
        assert after.loc[month, "scored_at"] == before.loc[month, "scored_at"]
    september = rows[rows["period"].eq("2026-09")].reset_index(drop=True)
    pd.testing.assert_frame_equal(september, score_months(demo, scheme, ["2026-09"]))
    was = original[original["period"].eq("2026-09")]
    assert september["total"].mean() < was["total"].mean()  # scored from the new file


def test_restoring_the_earlier_file_gives_its_scores_again(demo, scheme, scored):
    original = month_rows(demo, scheme, ["2026-09"])
    old_import = demo.active_import("2026-09")["import_id"]
    demo.import_file(parsed_month(scheme, "2026-09", -10, "lower"), replace=True)
    lowered = month_rows(demo, scheme, ["2026-09"])
    assert lowered["total"].mean() < original["total"].mean()
    demo.restore(int(old_import))
    scored.clear()
    restored = month_rows(demo, scheme, ["2026-09"])
    assert scored == ["2026-09"]  # the kept rows were of the replaced import
    pd.testing.assert_frame_equal(restored, original)


def test_an_adjustment_scores_again_only_its_month(demo, scheme, scored):
    month_rows(demo, scheme, MONTHS)
    employee = month_rows(demo, scheme, ["2026-10"])["employee_id"].iloc[0]
    rows = pd.DataFrame(
        [{"employee_id": employee, "points": 3.0, "reason": "客户表扬", "approved_by": "boss"}]
    )
    demo.save_adjustments("2026-10", rows, "adjustment_saved", "test")
    scored.clear()
    after = month_rows(demo, scheme, MONTHS)
    assert scored == ["2026-10"]
    person = after[after["period"].eq("2026-10") & after["employee_id"].eq(employee)].iloc[0]
    assert person["adjustment"] == 3.0
    assert person["total"] == pytest.approx(person["computed_total"] + 3.0)


def test_a_proposal_waiting_for_approval_keeps_the_rows(demo, scheme, scored):
    month_rows(demo, scheme, ["2026-10"])
    employee = month_rows(demo, scheme, ["2026-10"])["employee_id"].iloc[0]
    rows = pd.DataFrame([{"employee_id": employee, "points": 3.0, "reason": "客户表扬"}])
    demo.save_adjustments("2026-10", rows, "adjustment_proposed", "test")
    scored.clear()
    month_rows(demo, scheme, ["2026-10"])
    assert scored == []  # a proposal counts only once approved


def test_a_new_scheme_version_scores_every_month_on_demand(demo, scheme, scored):
    month_rows(demo, scheme, MONTHS)
    raw = copy.deepcopy(scheme.raw)
    raw["money"]["amounts"]["优秀"] = 2000
    adopted = scheme_versions.adopt(demo, scheme, parse_scheme(raw, source="v2"), "优秀 2000")
    scored.clear()
    rows = month_rows(demo, adopted, MONTHS)
    assert scored == MONTHS
    assert set(rows["scheme_version"]) == {f"{scheme.id} v{adopted.version}"}
    assert rows.loc[rows["grade"].eq("优秀"), "bonus"].eq(2000).all()
    scored.clear()
    month_rows(demo, scheme, MONTHS)  # the earlier version's rows are still kept
    assert scored == []


def test_a_changed_status_rule_scores_again(demo, scheme, scored, tmp_path, monkeypatch):
    month_rows(demo, scheme, MONTHS)
    text = cycle_path().read_text(encoding="utf-8")
    changed = tmp_path / "cycle.toml"
    changed.write_text(text.replace('name_en = "left"', 'name_en = "left"\ngraded = false'))
    monkeypatch.setenv(CYCLE_ENV, str(changed))
    scored.clear()
    month_rows(demo, scheme, MONTHS)
    assert scored == MONTHS


def test_a_scheme_without_digest_is_never_kept(demo, scheme, scored):
    unsaved = dataclasses.replace(scheme, digest="")
    month_rows(demo, unsaved, ["2026-10"])
    month_rows(demo, unsaved, ["2026-10"])
    assert scored == ["2026-10", "2026-10"]
    assert demo.kept_months().empty


def test_importing_a_month_keeps_it(tmp_path, scheme):
    store = Store(tmp_path / "new.duckdb")
    result = store.import_file(parsed_month(scheme, "2026-10", 0, "x"))
    results.keep_month(store, scheme, result.period)
    kept = store.kept_months()
    assert kept["period"].tolist() == ["2026-10"]
    assert kept["import_id"].tolist() == [result.import_id]


def test_locking_keeps_the_kept_rows_final(demo, scheme, scored):
    kept = month_rows(demo, scheme, ["2026-10"])
    scored.clear()
    scheme_id, label, table = lock_snapshot(demo, scheme, "2026-10")
    assert (scheme_id, label) == (scheme.id, f"{scheme.id} v{scheme.version}")
    assert scored == []  # the snapshot is the kept rows, not a second scoring
    pd.testing.assert_frame_equal(table, kept)


def test_facts_of_chosen_columns_equal_those_columns_of_the_full_read(demo):
    every = demo.fact_columns()
    assert {"employee_id", "manager_rating", "晋升级别"} <= set(every)  # table and extras
    full = demo.facts(["2026-09", "2026-10"])
    chosen = demo.facts(["2026-09", "2026-10"], columns=["manager_rating", "晋升级别"])
    expected = full[["import_id", "period", "employee_id", "manager_rating", "晋升级别"]]
    pd.testing.assert_frame_equal(chosen, expected)


def test_the_import_command_keeps_the_month_it_imported(tmp_path, scheme):
    from tests.test_cli import cli

    frame = demo_frames()["2026-10"]
    file = tmp_path / "2026-10.csv"
    frame.to_csv(file, index=False)
    done = cli(tmp_path / "cli.duckdb", "import", file)
    assert done.returncode == 0, done.stderr
    assert "imported 2026-10" in done.stdout
    kept = Store(tmp_path / "cli.duckdb").kept_months()
    assert kept["period"].tolist() == ["2026-10"]
    assert kept["scheme_digest"].tolist() == [scheme.digest]


def test_new_targets_score_again_only_their_month(demo, scheme, scored):
    before = month_rows(demo, scheme, MONTHS)
    october = before[before["period"].eq("2026-10")]
    person = october[october["order_achievement"].notna()].iloc[0]
    aim = pd.DataFrame(
        [
            {
                "scope": "person",
                "employee_id": person["employee_id"],
                "department": "",
                "team": "",
                "kpi": "order_achievement",
                "target": 200.0,  # far above anyone's value: the KPI's score drops
            }
        ]
    )
    demo.replace_targets("2026-10", aim, "目标.csv")
    scored.clear()
    after = month_rows(demo, scheme, MONTHS)
    assert scored == ["2026-10"]
    again = after[after["period"].eq("2026-10") & after["employee_id"].eq(person["employee_id"])]
    assert again["target_order_achievement"].iloc[0] == 200.0
    assert again["score_order_achievement"].iloc[0] < person["score_order_achievement"]


def test_a_version_just_adopted_keeps_every_month_newest_first_telling_its_progress(
    demo, scheme, scored
):
    """Adopting a version: every month is scored under it once, newest first, a part at a
    time with its progress told; then pages only read (nothing is scored again), and the kept
    rows are those of a fresh scoring under the version. A locked month stays as locked."""
    months = demo.periods()
    month_rows(demo, scheme, ["2026-10"])
    demo.move_month(
        months[0], {"": "locked"}, "month_locked", "test", lock_snapshot(demo, scheme, months[0])
    )
    raw = copy.deepcopy(scheme.raw)
    raw["grades"]["target_mix"] = {"优秀": 20, "良好": 30, "合格": 30, "及格": 15, "不合格": 5}
    scheme_versions.adopt(demo, scheme, parse_scheme(raw, source="test"), "more 优秀")
    adopted = scheme_versions.active_scheme(demo, scheme)
    assert adopted.digest != scheme.digest
    scored.clear()
    told: list[tuple[int, int]] = []
    assert results.keep_every_month(demo, adopted, lambda *p: told.append(p), 5) == 11
    newest = sorted(months[1:], reverse=True)  # the locked month left as it was locked
    parts = [sorted(newest[i : i + 5]) for i in (0, 5, 10)]  # newest part first
    assert scored == [month for part in parts for month in part]
    assert told == [(0, 11), (5, 11), (10, 11), (11, 11)]
    assert results.keep_every_month(demo, adopted) == 0  # nothing left to keep
    keys = results.kept_keys(demo, adopted)
    assert len(scored) == 11  # read, not scored again
    assert keys[0][1].startswith("snapshot ") and {d for _, d in keys[1:]} == {adopted.digest}
    pd.testing.assert_frame_equal(
        month_rows(demo, adopted, ["2026-10"]), score_months(demo, adopted, ["2026-10"])
    )


def test_a_part_that_could_not_be_kept_stops_the_keeping_and_says_so(demo, scheme, monkeypatch):
    monkeypatch.setattr(results, "kept_keys", lambda *args: None)  # busy, or read-only meanwhile
    told: list[tuple[int, int]] = []
    with pytest.raises(StoreError, match="could not be kept"):
        results.keep_every_month(demo, scheme, lambda *p: told.append(p))
    assert told == [(0, 12)]
