"""A version just adopted is kept month by month in the background (issue 19): pages show the
progress and wait for it instead of scoring the months beside it; a run that stopped says so."""

from __future__ import annotations

import threading

import ui.data
from engine.schemes.scheme import load_scheme
from engine.store import Store
from tests.apptest import open_page
from ui import keeping


def started(db, scheme, done: int, total: int, error: str = "") -> keeping.Run:
    """A run under way (as `keeping.start` leaves one), ended by the test."""
    run = keeping.Run(scheme.version, done, total, error)
    keeping._runs[(str(db), scheme.digest)] = run
    return run


def test_a_page_waits_for_the_run_then_reads_the_months(store_file, monkeypatch):
    scheme = load_scheme()
    run = started(store_file, scheme, 3, 12)
    read_after_the_run: list[bool] = []
    real = ui.data.kept_keys

    def reading(store, scheme, *args):
        read_after_the_run.append(run.finished.is_set())
        return real(store, scheme, *args)

    monkeypatch.setattr(ui.data, "kept_keys", reading)

    def end() -> None:
        run.done = 12
        run.finished.set()

    threading.Timer(2.0, end).start()
    at = open_page()  # the overview: its trend reads every month
    assert not at.exception and at.main.title and not at.main.warning
    assert read_after_the_run and all(read_after_the_run)
    assert keeping.current(str(store_file), scheme) is None


def test_a_run_that_stopped_says_so_and_the_page_scores_what_it_needs(store_file):
    scheme = load_scheme()
    run = started(store_file, scheme, 5, 12, "the store is busy")
    threading.Timer(0.5, run.finished.set).start()
    at = open_page()  # the landing page, the overview
    assert not at.exception and at.main.title
    assert "后台计算未完成" in at.main.warning[0].value
    assert "the store is busy" not in str(at.main)  # details go to the server's log


def test_one_run_per_store_and_version(store_file):
    store, scheme = Store(store_file), load_scheme()
    first = started(store_file, scheme, 0, 12)
    assert keeping.start(store, scheme) is first  # under way: not started twice
    first.finished.set()
    second = keeping.start(store, scheme)
    assert second is not first and second.finished.wait(60)
    assert second.done == second.total == len(store.periods()) and not second.error
    third = keeping.start(store, scheme)
    assert third.finished.wait(60) and third.total == 0  # every month kept already


def test_a_run_that_stalled_is_not_waited_for(store_file):
    """A run that kept nothing for STALL_SECONDS (a stuck lock, a lost server) no longer holds
    the pages: they draw, and score what they need as before."""
    scheme = load_scheme()
    run = started(store_file, scheme, 2, 12)
    run.moved -= keeping.STALL_SECONDS + 1
    at = open_page()
    assert not at.exception and at.main.title
    assert not run.finished.is_set() and keeping.current(str(store_file)) is None
    run.finished.set()
