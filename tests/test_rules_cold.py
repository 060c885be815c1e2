"""The rules page opened cold at group scale (issue 19): the kept months' rule columns are
decoded and joined in Arrow and made one pandas table once, and the same table as month by
month, on both demos, DuckDB and PostgreSQL; months that would join differently fall back;
streak reasons written once per period label read as labelling every period of each run."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from engine.cycle import results
from engine.cycle.results import _same_types, kept_columns, monthly_rows, rules_table
from engine.demo.dealer_4s import SCHEME_4S, import_demo_4s
from engine.rules import streaks
from engine.rules.evaluate import columns_read, evaluate, load_rules
from engine.rules.streaks import LISTED_MONTHS, _texts
from engine.rules.timeline import period_label
from engine.schemes.rules_spec import RUN_WORDS
from engine.schemes.scheme import load_scheme
from engine.store import Store
from tests.test_rules_table import CUSTOMER_SERVICE, assert_same, locked_one_month, old_report


@pytest.mark.parametrize("scheme_file", [None, CUSTOMER_SERVICE], ids=["aftersales", "service"])
def test_the_kept_columns_joined_once_equal_monthly_rows(demo_target, scheme_file):
    store = Store(demo_target)
    scheme = load_scheme() if scheme_file is None else load_scheme(scheme_file)
    locked_one_month(store, scheme)  # one month from its snapshot, the others kept
    columns = columns_read(load_rules(scheme))
    fast = kept_columns(store, scheme, columns)
    assert fast is not None  # every month is kept: the Arrow path is taken
    expected = monthly_rows(store, scheme, columns=columns)
    pd.testing.assert_frame_equal(fast, expected, check_exact=True)
    assert len(fast) > 1000 and fast["period"].nunique() == 12


def test_the_4s_kept_columns_joined_once_equal_monthly_rows(db_target):
    store = Store(db_target)
    import_demo_4s(store)
    scheme = load_scheme(SCHEME_4S)
    columns = columns_read(load_rules(scheme))
    fast = kept_columns(store, scheme, columns)
    assert fast is not None
    pd.testing.assert_frame_equal(fast, monthly_rows(store, scheme, columns=columns))


def test_the_rules_table_reads_the_kept_copies_not_month_by_month(demo_target, monkeypatch):
    store = Store(demo_target)
    scheme = load_scheme()
    expected = old_report(store, scheme, store.periods()[-1])

    def month_by_month(*args, **kwargs):
        raise AssertionError("the months were read one by one")

    monkeypatch.setattr(results, "monthly_rows", month_by_month)
    rules = load_rules(scheme)
    table, unreadable = rules_table(store, scheme, rules)
    assert_same(expected, (evaluate(table, rules, store.periods()[-1]), unreadable))


def test_a_read_only_store_still_gives_the_same_report(demo_target, monkeypatch):
    store = Store(demo_target)
    scheme = load_scheme()
    expected = old_report(store, scheme, store.periods()[-1])
    monkeypatch.setattr(results, "kept_keys", lambda *args: None)  # nothing can be kept
    rules = load_rules(scheme)
    table, unreadable = rules_table(store, scheme, rules)
    assert_same(expected, (evaluate(table, rules, store.periods()[-1]), unreadable))


def month(period: str, grades: list[str], rank: pd.Series) -> pa.Table:
    """A month's kept rows as the store keeps them (pandas → Arrow with pandas' metadata)."""
    frame = pd.DataFrame(
        {
            "period": period,
            "employee_id": [f"E{i}" for i in range(len(grades))],
            "grade": pd.Categorical(grades, categories=["优秀", "合格"], ordered=True),
            "dept_rank": rank,
        }
    )
    return pa.Table.from_pandas(frame, preserve_index=False)


def test_months_that_would_join_differently_are_told_apart():
    ranks = pd.Series([1, 2], dtype="Int64")
    january, february = (
        month("2026-01", ["优秀", "合格"], ranks),
        month("2026-02", ["合格"] * 2, ranks),
    )
    assert _same_types([january, february])
    # February's grades under other categories: concatenating in pandas makes text of them.
    other = pa.Table.from_pandas(
        february.to_pandas().assign(
            grade=lambda f: f["grade"].cat.set_categories(["合格", "优秀"], ordered=True)
        ),
        preserve_index=False,
    )
    assert not _same_types([january, other])
    # February's ranks as plain integers: the same Arrow type, another pandas type.
    plain = pa.Table.from_pandas(
        february.to_pandas().assign(dept_rank=[1, 2]), preserve_index=False
    )
    assert plain.schema.equals(february.schema)
    assert not _same_types([january, plain])
    # A column more: the months do not line up.
    assert not _same_types([january, february.append_column("x", pa.array([1.0, 2.0]))])


def old_describe(rule, first: int, last: int) -> tuple[str, ...]:
    """A run's texts as they were written: every period of the run labelled."""
    labels = [period_label(n, rule.period) for n in range(first, last + 1)]
    count = len(labels)
    if count > LISTED_MONTHS:
        zh, en = f"{labels[0]} 至 {labels[-1]}", f"{labels[0]} to {labels[-1]}"
    else:
        zh, en = "、".join(labels), ", ".join(labels)
    reason_zh, reason_en = f"{rule.name_zh}:{zh}", f"{rule.name_en}: {en}"
    if count > rule.months:
        unit_zh, unit_en = RUN_WORDS[rule.period]
        reason_zh += f"(已连续 {count} {unit_zh})"
        reason_en += f" ({count} {unit_en} running)"
    if rule.action == "reward":
        reason_zh += f",奖励 {rule.amount:g} 元"
        reason_en += f"; reward {rule.amount:g}"
    else:
        reason_zh += f" → {rule.outcome_zh}" if rule.outcome_zh else ""
        reason_en += f" → {rule.outcome_en}" if rule.outcome_en else ""
    return labels[0], labels[-1], zh, reason_zh, reason_en


@pytest.mark.parametrize("kind", ["month", "quarter", "year"])
def test_streak_reasons_read_as_labelling_every_period_of_each_run(kind):
    rng = np.random.default_rng(19)
    for rule in load_rules(load_scheme()).streaks:
        rule = replace(rule, period=kind)
        last = rng.integers(24_200, 24_320, 400)
        first = last - rng.integers(0, 30, 400)  # runs of 1 to 30 periods, short and long
        got = _texts(rule, first, last)
        expected = [old_describe(rule, int(a), int(b)) for a, b in zip(first, last, strict=True)]
        for column, values in zip(streaks.TEXT_COLUMNS, zip(*expected, strict=True), strict=True):
            assert got[streaks.TEXT_COLUMNS.index(column)].tolist() == list(values), column
        assert any(b - a + 1 > LISTED_MONTHS for a, b in zip(first, last, strict=True))
