"""The rules across months read only the columns they use (issue 19): the kept rows' columns the
rules name and the facts of their inputs, not every stored month's whole table and every fact.
The report is the same as the one evaluated over the whole table with every fact, on both demos,
on DuckDB and PostgreSQL."""

from __future__ import annotations

import time
from dataclasses import fields

import numpy as np
import pandas as pd
import pytest

from engine import paths
from engine.accounts import Access, add_user
from engine.cycle.results import lock_snapshot, monthly_rows, rules_table
from engine.demo.dealer_4s import SCHEME_4S, import_demo_4s
from engine.rules.evaluate import RulesReport, columns_read, evaluate, load_rules
from engine.rules.timeline import find_column, with_inputs
from engine.schemes.rules_spec import Input, Rules, _parsed, parse_input
from engine.schemes.scheme import Scheme, load_scheme
from engine.store import Store
from tests.apptest import demo_store, open_page

CUSTOMER_SERVICE = paths.SCHEMES_DIR / "customer_service.toml"


def old_with_inputs(monthly: pd.DataFrame, facts: pd.DataFrame, rules: Rules):
    """with_inputs as it was: every cell parsed, one merge of the text keys per input."""
    table = monthly.copy()
    unreadable = []
    for item in rules.inputs:
        if item.id in table:
            continue
        found = find_column(facts.columns, item)
        if found is None:
            table[item.id] = np.nan
            continue
        value, bad = _parsed(facts[found], item.kind)
        keyed = pd.DataFrame(
            {"period": facts["period"], "employee_id": facts["employee_id"], item.id: value}
        )
        table = table.merge(keyed, on=["period", "employee_id"], how="left")
        if bad.any():
            examples = "、".join(facts.loc[bad, found].astype(str).unique()[:3])
            unreadable.append((item.id, found, int(bad.sum()), examples))
    return table, pd.DataFrame(unreadable, columns=["input", "column", "cells", "examples"])


def old_report(store: Store, scheme: Scheme, as_of: str) -> tuple[RulesReport, pd.DataFrame]:
    """The rules over every month's whole scored table with every stored fact."""
    rules = load_rules(scheme)
    table, unreadable = old_with_inputs(monthly_rows(store, scheme), store.facts(), rules)
    return evaluate(table, rules, as_of), unreadable


def new_report(store: Store, scheme: Scheme, as_of: str) -> tuple[RulesReport, pd.DataFrame]:
    rules = load_rules(scheme)
    table, unreadable = rules_table(store, scheme, rules)
    return evaluate(table, rules, as_of), unreadable


def assert_same(old: tuple[RulesReport, pd.DataFrame], new: tuple[RulesReport, pd.DataFrame]):
    (before, unread_before), (after, unread_after) = old, new
    assert after.as_of == before.as_of
    assert after.notices == before.notices
    filled = 0
    for item in fields(RulesReport):
        frame = getattr(before, item.name)
        if isinstance(frame, pd.DataFrame):
            pd.testing.assert_frame_equal(getattr(after, item.name), frame, check_exact=True)
            filled += len(frame) > 0
    assert filled >= 3  # the demos fire streaks, levels, pay, stars or money rules
    pd.testing.assert_frame_equal(unread_after, unread_before)


def locked_one_month(store: Store, scheme: Scheme) -> None:
    """Lock a month with its snapshot changed, as a month final before a rescoring would be."""
    month = store.periods()[-3]
    scheme_id, label, table = lock_snapshot(store, scheme, month)
    moved = table.assign(total=table["total"] - 1.0)
    store.move_month(month, {"": "locked"}, "month_locked", "test", (scheme_id, label, moved))


@pytest.mark.parametrize("scheme_file", [None, CUSTOMER_SERVICE], ids=["aftersales", "service"])
def test_the_demo_rules_from_their_columns_equal_the_whole_table(demo_target, scheme_file):
    store = Store(demo_target)
    scheme = load_scheme() if scheme_file is None else load_scheme(scheme_file)
    locked_one_month(store, scheme)
    months = store.periods()
    for as_of in (months[-1], months[4]):
        assert_same(old_report(store, scheme, as_of), new_report(store, scheme, as_of))
    table, _ = rules_table(store, scheme, load_rules(scheme))
    assert len(table.columns) < len(monthly_rows(store, scheme, months[-1:]).columns) / 2


def test_the_4s_demo_rules_from_their_columns_equal_the_whole_table(db_target):
    store = Store(db_target)
    import_demo_4s(store)
    scheme = load_scheme(SCHEME_4S)
    months = store.periods()
    for as_of in (months[-1], months[6]):
        assert_same(old_report(store, scheme, as_of), new_report(store, scheme, as_of))


def test_the_columns_read_are_those_the_rules_name_and_what_every_rule_needs():
    scheme = load_scheme(CUSTOMER_SERVICE)
    read = columns_read(load_rules(scheme))
    for column in ("period", "employee_id", "name", "department", "team", "role", "hire_date"):
        assert column in read
    assert {"total", "bonus", "missing_count", "grade", "dept_rank"} <= set(read)
    assert {"upheld_complaints", "first_contact_resolution", "knowledge_test"} <= set(read)
    assert f"score_{scheme.tie_break}" in read  # quarter and year rows rank by it
    assert "score_upheld_complaints" not in read and "cat_quality" not in read


def test_inputs_found_once_equal_one_merge_per_input():
    rules = Rules(
        inputs=(
            Input("points", "积分", "Points", ("分",)),
            Input("passed", "通过", "Passed", (), "yes_no"),
            Input("step", "级别", "Step", (), "text"),
            Input("absent", "无", "Absent"),
        )
    )
    monthly = pd.DataFrame(
        {
            "period": ["2026-01", "2026-01", "2026-02", "2026-02"],
            "employee_id": ["E1", "E2", "E1", "E2"],
            "total": [90.0, 80.0, 85.0, np.nan],
        },
        index=[10, 11, 12, 13],
    )
    facts = pd.DataFrame(
        {
            "period": ["2026-01", "2026-01", "2026-02", "2026-02"],
            "employee_id": ["E1", "E2", "E1", "E2"],
            "分": ["12", " 3 ", "x", None],
            "通过": ["是", "否", "maybe", "1"],
            "级别": ["普通", " 星级 ", "", None],
        }
    )
    cases = {
        "same order": facts,
        "other order": facts.iloc[[3, 1, 0, 2]],
        "a fact missing": facts.iloc[[0, 1, 2]],
        "a person twice": pd.concat([facts, facts.iloc[[0]]]),
    }
    for name, given in cases.items():
        new, new_bad = with_inputs(monthly, given, rules)
        old, old_bad = old_with_inputs(monthly, given, rules)
        pd.testing.assert_frame_equal(new, old, check_exact=True, obj=name)
        pd.testing.assert_frame_equal(new_bad, old_bad, obj=name)
    new, _ = with_inputs(monthly, facts, rules)
    assert new["points"].tolist()[:2] == [12.0, 3.0] and np.isnan(new["points"].iloc[2])
    assert new["passed"].tolist()[:2] == [1.0, 0.0] and new["passed"].iloc[3] == 1.0
    assert new["step"].tolist()[:2] == ["普通", "星级"] and new["absent"].isna().all()


@pytest.mark.parametrize("kind", ["number", "yes_no", "text"])
@pytest.mark.parametrize("dtype", [object, "str", "string"])
def test_each_distinct_cell_read_once_reads_as_every_cell(kind, dtype):
    pool = np.array(
        ["1", " 2 ", "3.5分", "", None, "是", "否", "通过", "abc", "1,200", "YES", "n", "✓"],
        dtype=object,
    )
    rng = np.random.default_rng(19)
    for size in (0, 1, 7, 60, 2_000):
        cells = pd.Series(rng.choice(pool, size), index=np.arange(size) * 3 + 5, dtype=dtype)
        for got, expected in zip(parse_input(cells, kind), _parsed(cells, kind), strict=True):
            pd.testing.assert_series_equal(got, expected)


# ------------------------------------------------------------------ the rules page


def refuse_every_month_whole(monkeypatch) -> None:
    """Reading every stored month's whole scored rows, or every fact of every month, fails."""
    kept_scores, facts = Store.kept_scores, Store.facts

    def kept(self, scheme_id, digest, inputs, columns=None):
        if columns is None and len(inputs) == len(self.periods()) > 1:
            raise AssertionError("every month's whole scored rows were read")
        return kept_scores(self, scheme_id, digest, inputs, columns)

    def every_fact(self, periods=None, columns=None):
        if periods is None and columns is None:
            raise AssertionError("every fact of every month was read")
        return facts(self, periods, columns)

    monkeypatch.setattr(Store, "kept_scores", kept)
    monkeypatch.setattr(Store, "facts", every_fact)


def test_the_rules_page_reads_only_the_rules_columns(tmp_path, monkeypatch):
    db = demo_store(tmp_path)
    monkeypatch.setenv(paths.DB_ENV, str(db))
    accounts = tmp_path / "accounts.toml"
    add_user("admin.zhou", "zhou-password", "admin", file=accounts)
    monkeypatch.setenv("ASSESS_ACCOUNTS", str(accounts))
    store = Store(db)
    month = store.periods()[-1]
    expected, _ = old_report(store, load_scheme(), month)
    refuse_every_month_whole(monkeypatch)
    at = open_page("rules", access=Access("admin.zhou", "admin"), last_seen=time.time())
    assert not at.exception, at.exception
    shown = {m.label: m.value for m in at.main.metric}
    events = expected.events[expected.events["period"] == month]
    assert shown["本期提醒"] == str(int((events["action"] == "flag").sum()))
    assert shown["可晋升"] == str(int((expected.ladder["status"] == "eligible").sum()))
    assert int(shown["本期提醒"]) > 0


@pytest.mark.parametrize(
    "categories",
    [["甲", "乙", "丙"], pd.Index(["x", "y"], dtype="str"), [1, 2, 3], []],
    ids=["text", "str", "numbers", "none"],
)
def test_a_category_column_as_text_reads_as_casting_every_cell(categories):
    from ui.data import category_text

    rng = np.random.default_rng(19)
    pool = np.array([*list(categories), None], dtype=object)
    for size in (0, 5, 1_000):
        cells = pd.Categorical(rng.choice(pool, size), categories=categories)
        column = pd.Series(cells, index=np.arange(size) + 4, name="reason")
        expected = column.astype("string").fillna("")
        pd.testing.assert_series_equal(category_text(column), expected)
