"""Measured load: K simulated managers sign in, open pages and change the sidebar's filters for a
bounded time against one or two dashboard processes, on the demo data or on a generated store.

Run from the repository root:

    .venv/bin/python bench/load.py                                   # demo, K = 1 5 10 25
    .venv/bin/python bench/load.py --rows demo 100000 --processes 1 2 --db duckdb postgresql
    .venv/bin/python bench/load.py --clients 1 5 --seconds 30 --repeat 3 --think 0

Each simulated manager is a client of Streamlit's own websocket protocol (what the browser
speaks, without drawing anything): it connects to /_stcore/stream, asks for a script run
(BackMsg rerun_script with the page and the widget values, as the frontend sends them) and
reads the ForwardMsgs until script_finished. A page time is from sending the rerun to receiving
script_finished: the server's whole work for that click (entry script, sidebar, page), not the
browser's drawing. A manager signs in through the sign-in form's widgets (user name, password,
the form's submit button: the argon2 check and the rerun that follows), then repeats: open one
of the pages the manager may open, or change a filter (period, department, team, role), waiting
--think seconds between clicks (0: the next click as soon as the page is there, the hardest
load). Managers arrive 0.2 s apart at the start of a run, each with an account of their own, and
are spread round-robin over the processes, as sticky sessions do.

Every run starts fresh servers (one warm-up visitor opens every page first, as earlier managers
would have), samples each server's resident memory (VmRSS) every 0.5 s, and prints pages served,
errors (an exception or an error box on a page, a lost connection, a page over 120 s), p50 / p95
page time, the sign-in time, the dashboard processes' CPU seconds per script run (a steadier
figure than wall time on a shared machine; PostgreSQL's own processes not counted), the peak
memory of each process and the machine's load average before / after. With --repeat N each
figure is the median of N runs with its range. Memory per session is the slope of the peak
memory over K (least squares), per process.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.run import load_average, machine_facts
from engine import paths
from tests.browser import wait_healthy

PASSWORD = "load-test-password"
PAGE_TIMEOUT = 120.0
STAGGER = 0.2  # seconds between two managers' arrivals at the start of a run
SIDEBAR = 1  # a delta path's first entry: 0 the main area, 1 the sidebar
FILTER_LABELS = ("考核期间", "部门", "班组", "岗位")
SIGN_IN_LABELS = ("用户名", "密码")


class ProtocolError(Exception):
    """The server answered something a browser would not have accepted."""


@dataclass
class Widget:
    """A widget of the last run: its id, kind, label and options (formatted, as sent back)."""

    id: str
    kind: str
    label: str
    options: list[str] = field(default_factory=list)
    in_sidebar: bool = False
    submitter: bool = False


@dataclass
class RunResult:
    """One script run as a browser would have seen it."""

    seconds: float
    widgets: list[Widget]
    pages: dict[str, str]  # page name (url path) → page script hash, from the navigation
    errors: list[str]
    titles: list[str]  # the headings' and markdown's text


def _widget(element, in_sidebar: bool) -> Widget | None:
    kind = element.WhichOneof("type")
    if kind in ("selectbox", "multiselect", "radio"):
        proto = getattr(element, kind)
        return Widget(proto.id, kind, proto.label, list(proto.options), in_sidebar)
    if kind == "text_input":
        return Widget(element.text_input.id, kind, element.text_input.label, [], in_sidebar)
    if kind == "button":
        button = element.button
        return Widget(button.id, kind, button.label, [], in_sidebar, button.is_form_submitter)
    return None


class Client:
    """One browser tab, as Streamlit's websocket protocol sees it."""

    def __init__(self, base: str):
        self.url = base.replace("http://", "ws://") + "/_stcore/stream"
        self.ws = None
        self.page_hash = ""
        self.states: dict[str, object] = {}  # widget id → WidgetState the browser holds
        self.last: RunResult | None = None

    async def connect(self) -> None:
        from websockets.asyncio.client import connect

        self.ws = await connect(
            self.url,
            subprotocols=["streamlit"],
            max_size=None,
            open_timeout=PAGE_TIMEOUT,
            # A browser sends no websocket pings; a busy server would be dropped for a late pong.
            ping_interval=None,
        )

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()

    async def run(
        self, page_hash: str | None = None, triggers: dict[str, object] = ()
    ) -> RunResult:
        """Ask for a script run (a page opened or a widget changed) and read until it ends."""
        from streamlit.proto.BackMsg_pb2 import BackMsg
        from streamlit.proto.ClientState_pb2 import ClientState
        from streamlit.proto.WidgetStates_pb2 import WidgetStates

        if page_hash is not None:
            self.page_hash = page_hash
        states = [*self.states.values(), *dict(triggers).values()]
        message = BackMsg(
            rerun_script=ClientState(
                query_string="",
                page_script_hash=self.page_hash,
                widget_states=WidgetStates(widgets=states),
            )
        )
        started = time.perf_counter()
        await self.ws.send(message.SerializeToString())
        result = await asyncio.wait_for(self._read_run(started), PAGE_TIMEOUT)
        self.last = result
        known = {w.id for w in result.widgets}
        self.states = {k: v for k, v in self.states.items() if k in known}
        return result

    async def _read_run(self, started: float) -> RunResult:
        from streamlit.proto.Alert_pb2 import Alert
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        widgets: list[Widget] = []
        errors: list[str] = []
        titles: list[str] = []
        pages: dict[str, str] = {}
        while True:
            data = await self.ws.recv()
            if isinstance(data, str):
                raise ProtocolError(f"a text frame: {data[:80]!r}")
            msg = ForwardMsg()
            msg.ParseFromString(data)
            kind = msg.WhichOneof("type")
            if kind == "new_session":
                widgets, errors, titles = [], [], []
                if msg.new_session.page_script_hash:
                    self.page_hash = msg.new_session.page_script_hash
            elif kind == "navigation":
                pages = {p.url_pathname: p.page_script_hash for p in msg.navigation.app_pages}
            elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
                element = msg.delta.new_element
                path = list(msg.metadata.delta_path)
                found = _widget(element, bool(path) and path[0] == SIDEBAR)
                if found is not None:
                    widgets.append(found)
                what = element.WhichOneof("type")
                if what == "exception":
                    errors.append(f"{element.exception.type}: {element.exception.message[:200]}")
                elif what == "alert" and element.alert.format == Alert.ERROR:
                    errors.append(f"error box: {element.alert.body[:200]}")
                elif what in ("heading", "markdown"):
                    titles.append(getattr(element, what).body)
            elif kind == "page_not_found":
                errors.append(f"page not found: {msg.page_not_found.page_name}")
            elif kind == "script_finished":
                status = msg.script_finished
                if status == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                    continue  # st.rerun(): the server starts the next run itself
                if status == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
                    errors.append("script compile error")
                seconds = time.perf_counter() - started
                return RunResult(seconds, widgets, pages, errors, titles)

    def widget(self, label: str, sidebar: bool | None = None) -> Widget:
        for found in self.last.widgets if self.last else []:
            if found.label == label and (sidebar is None or found.in_sidebar == sidebar):
                return found
        raise ProtocolError(f"no widget {label!r} in the last run")

    def set_value(self, widget: Widget, value: str | list[str]) -> None:
        """What the frontend keeps for a widget the user changed, sent with every rerun."""
        from streamlit.proto.Common_pb2 import StringArray
        from streamlit.proto.WidgetStates_pb2 import WidgetState

        if isinstance(value, list):
            state = WidgetState(id=widget.id, string_array_value=StringArray(data=value))
        else:
            state = WidgetState(id=widget.id, string_value=value)
        self.states[widget.id] = state

    async def sign_in(self, username: str, password: str) -> RunResult:
        """Fill the sign-in form and press its submit button (one rerun, as the browser does
        for a form: every field's value and the button's trigger at once)."""
        from streamlit.proto.WidgetStates_pb2 import WidgetState

        self.set_value(self.widget(SIGN_IN_LABELS[0]), username)
        self.set_value(self.widget(SIGN_IN_LABELS[1]), password)
        submit = next((w for w in self.last.widgets if w.submitter), None)
        if submit is None:
            raise ProtocolError("the sign-in form has no submit button")
        trigger = {submit.id: WidgetState(id=submit.id, trigger_value=True)}
        result = await self.run(triggers=trigger)
        if not result.pages or any(w.label == SIGN_IN_LABELS[1] for w in result.widgets):
            raise ProtocolError(f"sign-in refused: {result.errors or result.titles}")
        return result


@dataclass
class Sample:
    """One click: what it was and how long the page took."""

    action: str
    seconds: float
    errors: list[str]


async def manager(
    base: str,
    username: str,
    seed: int,
    until: float,
    think: float,
    out: list[Sample],
    only: list[str] | None = None,
) -> None:
    """One manager: opens the dashboard, signs in, then opens pages and changes filters until
    `until` (a click under way when the time is up is finished and counted)."""
    rng = random.Random(seed)
    client = Client(base)
    try:
        await asyncio.sleep(seed * STAGGER)  # managers arrive one after another, not all at once
        await client.connect()
        first = await client.run("")
        out.append(Sample("open", first.seconds, first.errors))
        signed = await client.sign_in(username, PASSWORD)
        out.append(Sample("sign-in", signed.seconds, signed.errors))
        pages = {n: h for n, h in signed.pages.items() if only is None or n in only}
        if not pages:
            raise ProtocolError(f"none of the pages {only} is open to {username}")
        while time.monotonic() < until:
            if think:
                await asyncio.sleep(rng.uniform(0.5, 1.5) * think)
            action, run = await click(client, rng, pages)
            out.append(Sample(action, run.seconds, run.errors))
    except Exception as exc:  # refused, timed out, a closed connection: the manager gives up
        out.append(Sample("failed", float("nan"), [f"{type(exc).__name__}: {exc}"]))
    finally:
        await client.close()


async def click(client: Client, rng: random.Random, pages: dict[str, str]):
    """Half the clicks open another page, half change a sidebar filter on the page shown."""
    filters = [w for w in client.last.widgets if w.in_sidebar and w.label in FILTER_LABELS]
    if rng.random() < 0.5 or not filters:
        name = rng.choice(sorted(pages))
        return f"page {name or 'overview'}", await client.run(pages[name])
    widget = rng.choice(filters)
    if widget.kind == "multiselect":
        value = rng.sample(widget.options, k=min(len(widget.options), rng.choice((0, 1, 1))))
        client.set_value(widget, value)
    else:
        client.set_value(widget, rng.choice(widget.options))
    return f"filter {widget.label}", await client.run()


# ------------------------------------------------------------------------------ servers


def rss_mb(pid: int) -> float:
    """Resident memory of a process in MB (0 when it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def cpu_seconds(pid: int) -> float:
    """CPU time a process has used so far (user + system, every thread)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def servers(store: str, count: int, accounts: Path, logs: Path) -> Iterator[list[tuple[str, int]]]:
    """`count` dashboard processes (python -m ui.serve) on one store: [(address, pid)]."""
    env = {
        **os.environ,
        paths.DB_ENV: store,
        "ASSESS_ACCOUNTS": str(accounts),
        "ASSESS_NOTIFY": str(logs / "no-notify.toml"),
    }
    started = []
    try:
        for _ in range(count):
            port = free_port()
            log = open(logs / f"server-{port}.log", "wb")  # noqa: SIM115 (closed with the server)
            command = [
                sys.executable, "-m", "ui.serve", "--server.headless", "true",
                "--server.port", str(port), "--server.address", "127.0.0.1",
                "--browser.gatherUsageStats", "false",
            ]  # fmt: skip
            process = subprocess.Popen(
                command, cwd=paths.ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
            )
            started.append((f"http://127.0.0.1:{port}", process, log))
        for url, process, _ in started:
            wait_healthy(url, process, seconds=90)
        yield [(url, process.pid) for url, process, _ in started]
    finally:
        for _, process, log in started:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
            log.close()


async def warm_up(base: str, username: str) -> None:
    """One visitor opens every page once, so the runs measure a server that has been up."""
    client = Client(base)
    await client.connect()
    try:
        await client.run("")
        signed = await client.sign_in(username, PASSWORD)
        for page_hash in signed.pages.values():
            await client.run(page_hash)
    finally:
        await client.close()


async def sample_memory(pids: list[int], peaks: dict[int, float], stop: asyncio.Event) -> None:
    while not stop.is_set():
        for pid in pids:
            peaks[pid] = max(peaks.get(pid, 0.0), rss_mb(pid))
        with suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.5)


@dataclass
class Measured:
    """One run of K managers for a bounded time."""

    samples: list[Sample]
    seconds: float
    peak_mb: list[float]  # per process
    cpu: float  # CPU seconds the server processes used during the run
    idle_mb: list[float]  # per process, after the warm-up, before the managers
    load_before: float
    load_after: float

    @property
    def clicks(self) -> list[Sample]:
        return [s for s in self.samples if s.action not in ("open", "sign-in", "failed")]

    @property
    def errors(self) -> list[str]:
        return [f"{s.action}: {e}" for s in self.samples for e in s.errors]


async def measure_once(
    addresses: list[tuple[str, int]],
    users: list[str],
    k: int,
    seconds: float,
    think: float,
    only: list[str] | None = None,
    warm: bool = True,
) -> Measured:
    """K managers spread round-robin over the processes for `seconds` (after signing in);
    `only` limits the pages they open (url names, "" the overview), `warm` visits every page
    once first."""
    for url, _ in addresses if warm else []:
        await warm_up(url, users[0])
    pids = [pid for _, pid in addresses]
    idle = [rss_mb(pid) for pid in pids]
    peaks: dict[int, float] = {}
    stop = asyncio.Event()
    sampler = asyncio.create_task(sample_memory(pids, peaks, stop))
    before = float(load_average()[0])
    cpu = sum(cpu_seconds(pid) for pid in pids)
    started = time.monotonic()
    until = started + seconds
    samples: list[Sample] = []
    await asyncio.gather(
        *(
            manager(
                addresses[i % len(addresses)][0],
                users[i % len(users)],
                i,
                until,
                think,
                samples,
                only,
            )
            for i in range(k)
        )
    )
    elapsed = time.monotonic() - started
    cpu = sum(cpu_seconds(pid) for pid in pids) - cpu
    stop.set()
    await sampler
    return Measured(
        samples, elapsed, [peaks[p] for p in pids], cpu, idle, before, float(load_average()[0])
    )


# ------------------------------------------------------------------------------ stores


def manager_accounts(store: str, accounts: Path, count: int) -> list[str]:
    """`count` manager accounts, each for one department of the newest month in turn: every
    simulated manager signs in as their own user (two sign-ins of one user name at the same
    moment are slowed down by the sign-in throttle, by design)."""
    from engine.accounts import add_user
    from engine.store import Store

    target = Store(store)
    departments = target.departments(target.periods()[-1])
    users = []
    for i in range(count):
        name = f"manager{i + 1:02d}"
        add_user(name, PASSWORD, "manager", [departments[i % len(departments)]], file=accounts)
        users.append(name)
    return users


def build_store(size: str, backend: str, folder: Path, cluster) -> str:
    """The demo months, or `size` generated employee-months (bench/pages.py's builder)."""
    from engine.schemes.scheme import load_scheme
    from engine.store import Store

    scheme = load_scheme()
    kept = folder / f"load-{size}.duckdb"
    if backend == "postgresql":
        target = cluster.fresh_database()
    elif kept.exists():
        return str(kept)
    else:  # built under another name first: a build stopped half-way is never reused
        target = str(folder / f"building-{size}.duckdb")
        Path(target).unlink(missing_ok=True)
    started = time.perf_counter()
    if size == "demo":
        from engine.cli import import_demo

        import_demo(Store(target), scheme)
    else:
        from bench.pages import generated_store

        generated_store(target, int(size), scheme, folder)
    rows = len(Store(target).facts())
    print(f"  store {size} on {backend}: {rows:,} employee-months, built in "
          f"{time.perf_counter() - started:.0f} s", flush=True)  # fmt: skip
    if backend == "postgresql":
        from engine.store import backends

        backends.close_idle(target)
        return target
    Path(target).replace(kept)
    return str(kept)


# ------------------------------------------------------------------------------ report


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    position = q * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def spread(values: list[float], digits: int = 2) -> str:
    """Median and range of the repeats' figures."""
    values = [v for v in values if v == v]
    if not values:
        return "—"
    middle = statistics.median(values)
    if len(values) == 1:
        return f"{middle:.{digits}f}"
    return f"{middle:.{digits}f} ({min(values):.{digits}f}–{max(values):.{digits}f})"


def slope(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of y over x."""
    if len({x for x, _ in points}) < 2:
        return float("nan")
    mx = statistics.mean(x for x, _ in points)
    my = statistics.mean(y for _, y in points)
    return sum((x - mx) * (y - my) for x, y in points) / sum((x - mx) ** 2 for x, _ in points)


HEADER = (
    f"{'data':<8}{'store':<11}{'proc':>4}{'K':>4}{'pages':>7}{'pages/s':>9}{'err':>5}"
    f"{'p50 s':>20}{'p95 s':>20}{'sign-in p50 s':>20}{'cpu s/run':>10}{'peak MB/proc':>20}"
    f"{'load':>10}"
)


def row(size: str, backend: str, processes: int, k: int, runs: list[Measured]) -> str:
    pages = [len(r.clicks) for r in runs]
    rate = [len(r.clicks) / r.seconds for r in runs]
    p50 = [quantile([s.seconds for s in r.clicks], 0.5) for r in runs]
    p95 = [quantile([s.seconds for s in r.clicks], 0.95) for r in runs]
    sign = [quantile([s.seconds for s in r.samples if s.action == "sign-in"], 0.5) for r in runs]
    peak = [statistics.mean(r.peak_mb) for r in runs]
    errors = sum(len(r.errors) for r in runs)
    served = [len([s for s in r.samples if s.action != "failed"]) for r in runs]
    cpu = [r.cpu / n for r, n in zip(runs, served, strict=True) if n]
    loads = f"{min(r.load_before for r in runs):.1f}/{max(r.load_after for r in runs):.1f}"
    return (
        f"{size:<8}{backend:<11}{processes:>4}{k:>4}{statistics.median(pages):>7.0f}"
        f"{statistics.median(rate):>9.2f}{errors:>5}{spread(p50):>20}{spread(p95):>20}"
        f"{spread(sign):>20}{spread(cpu):>10}{spread(peak, 0):>20}{loads:>10}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 5, 10, 25])
    parser.add_argument("--seconds", type=float, default=45, help="bounded time of each run")
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--rows", nargs="+", default=["demo", "100000"])
    parser.add_argument("--db", nargs="+", default=["duckdb", "postgresql"])
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--think", type=float, default=0.0, help="mean seconds between clicks")
    parser.add_argument(
        "--pages", nargs="+", help="only these pages (url names, e.g. ranking kpis; default all)"
    )
    parser.add_argument("--keep", type=Path, help="folder to keep the built DuckDB stores in")
    args = parser.parse_args()
    # Stopped with kill: still stop the servers and the PostgreSQL cluster (finally blocks).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    print("\n".join(machine_facts()), flush=True)
    print(
        f"{args.seconds:.0f} s per run, think {args.think:g} s, {args.repeat} run(s) per row; "
        "times in seconds, median (range) over runs\n",
        flush=True,
    )
    cluster = None
    if "postgresql" in args.db:
        from tests.pg import PgCluster

        cluster = PgCluster.start()
    memory: dict[tuple, list[tuple[float, float]]] = {}
    try:
        with tempfile.TemporaryDirectory() as temporary:
            folder = args.keep or Path(temporary)
            folder.mkdir(parents=True, exist_ok=True)
            lines = []
            for size in args.rows:
                for backend in args.db:
                    store = build_store(size, backend, folder, cluster)
                    accounts = folder / f"accounts-{size}-{backend}.toml"
                    accounts.unlink(missing_ok=True)
                    users = manager_accounts(store, accounts, max(args.clients))
                    for processes in args.processes:
                        if processes > 1 and backend == "duckdb":
                            continue  # a DuckDB file has one writer process
                        for k in args.clients:
                            runs = []
                            for _ in range(args.repeat):
                                with servers(store, processes, accounts, folder) as addresses:
                                    runs.append(
                                        asyncio.run(
                                            measure_once(
                                                addresses,
                                                users,
                                                k,
                                                args.seconds,
                                                args.think,
                                                args.pages,
                                            )
                                        )
                                    )
                            key = (size, backend, processes)
                            memory.setdefault(key, []).extend(
                                (k / processes, statistics.mean(r.peak_mb)) for r in runs
                            )
                            if not lines:
                                print(HEADER)
                            lines.append(row(size, backend, processes, k, runs))
                            print(lines[-1], flush=True)
                            for message in sorted({e for r in runs for e in r.errors})[:5]:
                                print(f"      error: {message}", flush=True)
            print("\nmemory per session (slope of the peak MB per process over sessions per "
                  "process):")  # fmt: skip
            for (size, backend, processes), points in memory.items():
                print(f"  {size:<8}{backend:<11}{processes} process(es): "
                      f"{slope(points):.1f} MB per session")  # fmt: skip
    finally:
        if cluster is not None:
            cluster.stop()
    print(f"load average at the end: {' '.join(load_average())}")


if __name__ == "__main__":
    main()
