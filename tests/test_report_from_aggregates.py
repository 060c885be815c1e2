"""The monthly report pack draws its trend from the database's kept rows and its flags from the
rules' own columns (issue 19): the same PDF text as from every month's whole table, without
reading it, from the command line and from the overview page (which reuses the rules report
the rules page keeps)."""

from __future__ import annotations

import re
import time
from dataclasses import replace

import pandas as pd
import pytest

import ui.data
import ui.page
from engine.accounts import LOCAL_ACCESS, Access, scoped
from engine.cli import main
from engine.cycle import printing
from engine.cycle.printing import report_appeals, report_history, rules_flags
from engine.cycle.results import lock_snapshot, monthly_rows, period_table
from engine.output.report import ReportData, period_flags, report_pdf, scope_label, trend
from engine.rules.evaluate import evaluate, load_rules
from engine.schemes.scheme import load_scheme
from engine.scoring.periods import parse_period, previous
from engine.store import Store
from tests.apptest import demo_store, open_page
from tests.test_rules_table import old_with_inputs
from tests.test_statement import pages_text

MANAGER = Access("wang", "manager", ("客服部",))
VIEWER = Access("zhao", "viewer")
ADMIN = Access("admin.zhou", "admin")
STAMP = "2026-11-30 12:00"


def old_flags(store: Store, scheme, months, access: Access) -> pd.DataFrame:
    """rules_flags as it was: the rules over every month's whole table with every fact."""
    rules = load_rules(scheme)
    table, _ = old_with_inputs(monthly_rows(store, scheme), store.facts(), rules)
    return period_flags(scoped(evaluate(table, rules, months[-1]).events, access), months)


def pack(
    store: Store, period: str, access: Access, departments: list[str], old: bool, scope: str = ""
) -> bytes:
    """The report pack as `engine report` makes it, the old way (every month's whole table) or
    the new one (kept rows' aggregates and the rules' columns)."""
    scheme = load_scheme()
    chosen = parse_period(period)
    table = scoped(period_table(store, scheme, chosen), access)
    before = scoped(period_table(store, scheme, previous(chosen).label), access)
    if old:
        history = scoped(monthly_rows(store, scheme), access)
        flags = old_flags(store, scheme, chosen.months, access)
    else:
        history = report_history(store, scheme, chosen.months[-1], access, departments)
        flags = rules_flags(store, scheme, chosen.months, access)[0]
    if departments:
        table, before = (t[t["department"].isin(departments)] for t in (table, before))
        if old:
            history = history[history["department"].isin(departments)]
    data = ReportData(
        period=period,
        previous=previous(chosen).label,
        scope=scope or "scope",
        scheme=scheme,
        table=table,
        before=before,
        history=history,
        flags=period_flags(flags, chosen.months, departments),
        appeals=report_appeals(store, period, table),
    )
    pd.testing.assert_frame_equal(
        trend(data), trend(replace_history(data, store, access, departments)), check_exact=True
    )
    return report_pdf(data, STAMP)


def replace_history(data: ReportData, store: Store, access: Access, departments) -> ReportData:
    """The same pack with the trend drawn from every month's whole table."""
    history = scoped(monthly_rows(store, load_scheme()), access)
    if departments:
        history = history[history["department"].isin(departments)]
    return replace(data, history=history)


@pytest.mark.parametrize(
    "period,access,departments",
    [
        ("2026-10", LOCAL_ACCESS, []),
        ("2026-10", MANAGER, []),
        ("2026-Q3", LOCAL_ACCESS, ["售后服务部"]),
        ("2026-06", VIEWER, ["客服部", "质检部"]),
    ],
    ids=["company", "manager", "quarter-department", "viewer-earlier"],
)
def test_the_report_pack_from_aggregates_reads_as_from_every_row(
    demo_target, period, access, departments
):
    store = Store(demo_target)
    scheme = load_scheme()
    month = store.periods()[-4]  # locked: its kept snapshot, one point lower, is what counts
    scheme_id, label, locked = lock_snapshot(store, scheme, month)
    moved = locked.assign(total=locked["total"] - 1.0)
    store.move_month(month, {"": "locked"}, "month_locked", "test", (scheme_id, label, moved))
    old = pages_text(pack(store, period, access, departments, old=True))
    new = pages_text(pack(store, period, access, departments, old=False))
    assert new == old
    assert "八、规则提醒" in "\n".join(new)


@pytest.fixture
def every_month_refused(monkeypatch):
    """Every month's whole scored table, or every fact of every month, fails the caller."""
    rows, facts = printing.monthly_rows, Store.facts

    def some_months(store, scheme, months=None, *args, **kwargs):
        if months is None and not kwargs.get("columns"):
            raise AssertionError("every month's whole scored table was read")
        return rows(store, scheme, months, *args, **kwargs)

    def some_facts(self, periods=None, columns=None):
        if periods is None and columns is None:
            raise AssertionError("every fact of every month was read")
        return facts(self, periods, columns)

    monkeypatch.setattr(printing, "monthly_rows", some_months)
    monkeypatch.setattr(Store, "facts", some_facts)
    monkeypatch.setattr(ui.data, "monthly", lambda *a, **k: some_months(None, None))
    monkeypatch.setattr(ui.data, "_monthly", lambda *a, **k: some_months(None, None))


def test_the_report_command_reads_no_whole_month_table(tmp_path, every_month_refused, capsys):
    db = demo_store(tmp_path)
    out = tmp_path / "pack.pdf"
    code = main(["report", "--db", str(db), "--period", "2026-10", "--out", str(out)])
    assert code == 0, capsys.readouterr().err
    text = "\n".join(pages_text(out.read_bytes()))
    assert "月度绩效报告" in text and "八、规则提醒" in text


@pytest.mark.parametrize("access", [ADMIN, MANAGER], ids=["admin", "manager"])
def test_the_overview_pack_reuses_the_rules_report_and_reads_no_whole_table(
    signed_store_file, every_month_refused, monkeypatch, access
):
    evaluated = []
    monkeypatch.setattr(ui.data, "evaluate", lambda *a: evaluated.append(1) or evaluate(*a))
    documents = {}
    original = ui.page.deferred_file

    def keep(make, file_name, detail, key):
        documents[key] = make
        return original(make, file_name, detail, key)

    monkeypatch.setattr(ui.page, "deferred_file", keep)
    signed_in = {"access": access, "last_seen": time.time()}
    rules_page = open_page("rules", **signed_in)
    assert not rules_page.exception, rules_page.exception
    assert evaluated == [1]
    at = open_page(**signed_in)
    assert not at.exception, at.exception
    made = documents["report_pack"]()
    assert evaluated == [1]  # the flags came from the rules report the rules page made
    monkeypatch.undo()  # the old way reads every fact again
    scope = scope_label([] if access.all_departments else list(access.departments))
    expected = pack(Store(signed_store_file), "2026-10", access, [], old=True, scope=scope)
    stamp = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d")
    assert [stamp.sub(STAMP, page) for page in pages_text(made)] == pages_text(expected)
