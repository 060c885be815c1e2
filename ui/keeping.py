"""Every month scored and kept under a scheme version just adopted, in the background (issue 19):
the adopter goes on at once, and every page of the dashboard shows the progress and waits for
the months it reads instead of scoring them a second time beside the background work.

One run per store and scheme digest in this process; a run that ends in an error says so, and
the months it did not keep are scored when first read, as before."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import streamlit as st

from engine.cycle.results import keep_every_month
from engine.schemes.scheme import Scheme, SchemeError
from engine.store import Store, StoreError
from ui.i18n import tr

POLL_SECONDS = 0.5


@dataclass
class Run:
    """One background keeping: the version, months kept of how many, and how it ended."""

    version: int
    done: int = 0
    total: int = 0
    error: str = ""
    finished: threading.Event = field(default_factory=threading.Event)


_runs: dict[tuple[str, str], Run] = {}
_runs_guard = threading.Lock()


def start(store: Store, scheme: Scheme) -> Run:
    """Keep every month under `scheme` (the version in use) in a background thread, unless a
    run for the same store and version is under way already."""
    key = (str(store.path), scheme.digest or "")
    with _runs_guard:
        found = _runs.get(key)
        if found is not None and not found.finished.is_set():
            return found
        run = _runs[key] = Run(scheme.version)

    def told(done: int, total: int) -> None:
        run.done, run.total = done, total

    def work() -> None:
        try:
            keep_every_month(store, scheme, told)
        except (StoreError, SchemeError, ValueError, KeyError) as exc:  # kept when first read
            run.error = str(exc)
        finally:
            run.finished.set()

    threading.Thread(target=work, name=f"keep {scheme.id} v{scheme.version}", daemon=True).start()
    return run


def current(db_file: str, scheme: Scheme) -> Run | None:
    """The run keeping the store's months under this version, while it is under way."""
    run = _runs.get((str(db_file), scheme.digest or ""))
    return run if run is not None and not run.finished.is_set() else None


def wait(db_file: str, scheme: Scheme) -> None:
    """Return once no run is keeping the store's months under this version (a cached read of
    every month calls it: the months are then read, not scored a second time)."""
    run = current(db_file, scheme)
    if run is not None:
        run.finished.wait()


def wait_drawn(db_file: str, scheme: Scheme) -> None:
    """While the months are being kept under the version just adopted, say so with the
    progress, then go on to the page (which reads them)."""
    run = current(db_file, scheme)
    if run is None:
        return
    holder = st.empty()
    while not run.finished.wait(POLL_SECONDS):
        share = run.done / run.total if run.total else 0.0
        holder.progress(
            share,
            text=tr(
                f"正在按新采用的 v{run.version} 计算各月结果:{run.done}/{run.total} 个月…",
                f"Scoring every month under the version just adopted (v{run.version}): "
                f"{run.done}/{run.total} months…",
            ),
        )
    holder.empty()
    if run.error:
        st.warning(
            tr(
                "后台计算未完成,其余月份将在打开时计算。",
                "The background scoring stopped; the other months are scored when opened.",
            )
        )
        st.text(run.error)
