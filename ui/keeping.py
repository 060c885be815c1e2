"""Every month scored and kept under a scheme version just adopted, in the background (issue 19):
while it runs, every page of this dashboard process shows the progress and waits for it (before
it opens the store for its run), instead of scoring the same months beside the background work.

One run per store and scheme digest in this process. A run that fails, or makes no progress for
STALL_SECONDS, is no longer waited for: the page says so and the months it did not keep are
scored when first read, as before (the details go to the server's log)."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field

import streamlit as st

from engine.cycle.results import keep_every_month
from engine.schemes.scheme import Scheme
from engine.store import Store
from ui.i18n import tr

POLL_SECONDS = 0.5
STALL_SECONDS = 120.0  # no month kept for this long: stop waiting (a stuck lock, a lost server)
log = logging.getLogger(__name__)


@dataclass
class Run:
    """One background keeping: the version, months kept of how many, and how it ended."""

    version: int
    done: int = 0
    total: int = 0
    error: str = ""
    finished: threading.Event = field(default_factory=threading.Event)
    moved: float = field(default_factory=time.monotonic)  # when it last kept a part

    def stalled(self) -> bool:
        return time.monotonic() - self.moved > STALL_SECONDS


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
        run.done, run.total, run.moved = done, total, time.monotonic()

    def work() -> None:
        try:
            keep_every_month(store, scheme, told)
        except Exception as exc:  # a background thread: whatever stops it is told, not lost
            run.error = str(exc) or type(exc).__name__
            log.warning("keeping %s v%s stopped: %s", scheme.id, scheme.version, run.error)
        finally:
            run.finished.set()

    threading.Thread(target=work, name=f"keep {scheme.id} v{scheme.version}", daemon=True).start()
    return run


def current(db_file: str, scheme: Scheme | None = None) -> Run | None:
    """A run keeping the store's months (under this version; any version when None) that is
    under way and moving."""
    for (file, digest), run in list(_runs.items()):
        if file != str(db_file) or (scheme is not None and digest != (scheme.digest or "")):
            continue
        if not run.finished.is_set() and not run.stalled():
            return run
    return None


def wait(db_file: str, scheme: Scheme) -> None:
    """Return once no run is keeping the store's months under this version, or it stalled (a
    cached read of every month calls it: the months are then read, not scored a second time)."""
    while (run := current(db_file, scheme)) is not None:
        run.finished.wait(POLL_SECONDS)


def wait_drawn(db_file: str) -> None:
    """While the store's months are being kept under a version just adopted, show the progress,
    then go on to the page (which reads them); say so when the run stopped short."""
    run = current(db_file)
    if run is None:
        return
    holder = st.empty()
    while current(db_file) is run:
        share = min(run.done / run.total, 1.0) if run.total else 0.0
        holder.progress(
            share,
            text=tr(
                f"正在按新采用的 v{run.version} 计算各月结果:{run.done}/{run.total} 个月…",
                f"Scoring every month under the version just adopted (v{run.version}): "
                f"{run.done}/{run.total} months…",
            ),
        )
        run.finished.wait(POLL_SECONDS)
    holder.empty()
    if run.error or not run.finished.is_set():
        st.warning(
            tr(
                "后台计算未完成,其余月份将在打开时计算。",
                "The background scoring stopped short; the other months are scored when opened.",
            )
        )
