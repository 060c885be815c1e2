"""Page render time (server side, AppTest), cold and warm, on the demo data and on generated
stores of ~100,000 and ~1,000,000 employee-months; importing a month until every page is ready.

Run from the repository root:

    .venv/bin/python bench/pages.py                       # demo and ~100,000 rows
    .venv/bin/python bench/pages.py --sizes 1000000       # ~1,000,000 rows (builds it: minutes)
    .venv/bin/python bench/pages.py --sizes 1000000 --months 12   # one year of 83,334 staff
    .venv/bin/python bench/pages.py --sizes demo --repeat 5
    .venv/bin/python bench/pages.py --pages overview,kpis,employee --no-extras   # pages only
    .venv/bin/python bench/pages.py --pages insights,my_results --no-extras

`my_results` (我的绩效) is opened by an employee account signed in (the first person of the
newest month), the other pages by the administrator; it needs published months, so timing it
publishes every month of the store that none is published in (submit → calibrate → approve →
publish as the administrator, never locked: the scores stay as they are), the employee having
accepted every month but the newest.

"Cold" is a page's first open after a restart or a change of the store (every cache empty, the
months' scored rows kept in the store as an import leaves them); "warm" is the next visitor's
open of the same page. Each figure is the median of `--repeat` runs with its range, and the
machine's load average (1 min) before and after: the machine is shared, so read them together.
The large stores come from bench/stores.py's generator: `--months` months (default 120, ten
years: 1,000,000 rows are 8,334 staff, the shape issue 19 measured) of ceil(rows / months) staff.
AppTest scans the installed packages for components on every run (0.2–0.7 s); a server does it
once when it starts, so the bench scans once too (tests/apptest.py), and figures are the pages'.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import tests.apptest  # noqa: F401  (AppTest as the server runs pages: one package scan, navigation)
from bench.run import load_average, machine_facts
from bench.stores import GroupData, build_group_store
from engine import paths
from engine.cycle.results import keep_month
from engine.intake.parse import parse_file
from engine.schemes.scheme import Scheme, load_scheme
from engine.store import Store

PAGES = [
    "overview",
    "ranking",
    "distribution",
    "kpis",
    "employee",
    "whatif",
    "rules",
    "scheme",
    "imports",
    "calibration",
    "audit",
    "insights",
    "targets",
    "appeals",
    "my_results",
]
# Pages an employee account opens (their own results); every other page is the administrator's.
EMPLOYEE_PAGES = {"my_results"}


def generated_store(target: Path, rows: int, months: int, scheme: Scheme, folder: Path) -> int:
    """A store of `rows` employee-months over `months` months (bench/stores.py's generator),
    imported month by month through the same checks as a user's file (each month kept scored,
    as an import does)."""
    build_group_store(str(target), GroupData(rows, months, scheme), folder)
    return len(Store(target).facts())


def next_month_file(store: Store, folder: Path) -> tuple[Path, str]:
    """The newest month's rows again as the month after it, as a CSV to import."""
    newest = store.periods()[-1]
    following = str(pd.Period(newest, freq="M") + 1)
    facts = store.facts([newest])
    keep = [c for c in facts.columns if c not in ("import_id", "source_row", "period")]
    csv = folder / f"{following}.csv"
    facts[keep].to_csv(csv, index=False)
    return csv, following


def clear_caches() -> None:
    """What a restart or a change of the store does to the process's caches."""
    import streamlit as st

    st.cache_data.clear()
    st.cache_resource.clear()


def clocked(action: Callable[[], object]) -> tuple[float, float]:
    """Wall seconds and this process's CPU seconds (all threads: the script's and DuckDB's) of
    one action. On a shared machine the CPU time is the steadier figure."""
    wall, cpu = time.perf_counter(), time.process_time()
    action()
    return time.perf_counter() - wall, time.process_time() - cpu


def entry_for(page: str) -> Path:
    """The entry script with `page` as its landing page, beside app.py (page paths are relative
    to it): AppTest's switch_page runs only the page's own script, while the server runs the
    entry script, the sidebar and the page on every view, so that is what is timed."""
    text = (paths.ROOT / "app.py").read_text(encoding="utf-8")
    changed = text.replace("default=i == 0", f'default=path == "pages/{page}.py"')
    assert changed != text, "app.py no longer marks its landing page with default=i == 0"
    file = paths.ROOT / f".bench_entry_{page}.py"
    file.write_text(changed, encoding="utf-8")
    return file


def open_page(page: str, cold: bool = False) -> tuple[float, float]:
    """A visitor opening the page (a new session: entry script, sidebar and page); `cold`
    empties the caches first, as a restart or a change of the store does. An employee's page
    is opened by the employee account of `employee_accounts` (signed in)."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(entry_for(page)), default_timeout=600)
    if page in EMPLOYEE_PAGES:
        at.session_state["access"] = EMPLOYEE["access"]
        at.session_state["last_seen"] = time.time()
    if cold:
        clear_caches()
    timing = clocked(at.run)
    assert not at.exception, (page, at.exception)
    assert at.main.title, (page, "did not open")
    assert page not in EMPLOYEE_PAGES or at.main.expander, (page, "shows no published month")
    return timing


def entry_run(**state) -> tuple[float, float]:
    """A whole run of the entry script (sidebar and the landing page, the overview), with
    sidebar values preset: what every widget change in the sidebar costs."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(paths.ROOT / "app.py"), default_timeout=600)
    for key, value in state.items():
        at.session_state[key] = value
    timing = clocked(at.run)
    assert not at.exception, at.exception
    return timing


def load() -> float:
    return float(load_average()[0])


def summary(samples: list[tuple[float, float]]) -> str:
    walls, cpus = [w for w, _ in samples], [c for _, c in samples]
    return (
        f"{statistics.median(walls):5.2f} ({min(walls):.2f}–{max(walls):.2f}) "
        f"cpu {statistics.median(cpus):5.2f}"
    )


def spread(values: list[float]) -> str:
    """Median (range) of a few runs."""
    return f"{statistics.median(values):.2f} ({min(values):.2f}–{max(values):.2f})"


def measure(action: Callable[[], tuple[float, float]], repeat: int):
    before = load()
    samples = [action() for _ in range(repeat)]
    return samples, before, load()


EMPLOYEE: dict = {}  # the signed-in employee of EMPLOYEE_PAGES: access and accounts file


def employee_accounts(db: Path, scheme: Scheme, folder: Path) -> None:
    """An accounts file with an employee account for the first person of the newest month (and
    an administrator), and every month published when none is, so 我的绩效 has months to show."""
    from engine.accounts import Access, add_user
    from engine.cycle import appeals
    from engine.cycle.close import make_move
    from engine.cycle.config import load_cycle
    from engine.cycle.publication import published_months

    store = Store(db, user="bench")
    admin = Access("bench", "admin")
    if published_months(store.month_states(), store.events()).empty:
        for month in store.periods():
            for action in ("submit", "calibrate", "approve", "publish"):
                make_move(store, load_cycle(), admin, scheme, action, month)
    person = str(store.facts([store.periods()[-1]])["employee_id"].iloc[0])
    employee = Access(person, "employee", (), person)
    # The person accepted every month but the newest (its window to answer still open): the
    # page draws one answer form, as a month-end visit does.
    answered = set(store.acknowledgements()["period"])
    for month in store.periods()[:-1]:
        if month not in answered:
            appeals.acknowledge(store, scheme, employee, month, person)
    accounts = folder / f"{db.stem}-accounts.toml"  # each store's own people
    if not accounts.exists() or f"[users.{person}]" not in accounts.read_text(encoding="utf-8"):
        add_user("bench", "bench-password", "admin", file=accounts)
        add_user(person, "employee-password", "employee", employee_id=person, file=accounts)
    EMPLOYEE.update(access=employee, accounts=str(accounts))


def as_signed_in(page: str, action: Callable[[], tuple[float, float]]) -> tuple[float, float]:
    """Run an action with the accounts file of the employee's page (sign-in on) for that page;
    the other pages run without accounts, as before."""
    if page not in EMPLOYEE_PAGES:
        return action()
    before = os.environ.get("ASSESS_ACCOUNTS")
    os.environ["ASSESS_ACCOUNTS"] = EMPLOYEE["accounts"]
    try:
        return action()
    finally:
        if before is None:
            os.environ.pop("ASSESS_ACCOUNTS", None)
        else:
            os.environ["ASSESS_ACCOUNTS"] = before


def time_pages(db: Path, repeat: int, pages: list[str]) -> list[tuple[str, str, str, str]]:
    """Each page cold (caches cleared first) and warm, `repeat` runs each."""
    os.environ[paths.DB_ENV] = str(db)
    clear_caches()
    rows = []
    for page in pages:
        cold_samples, load_before, _ = measure(
            lambda p=page: as_signed_in(p, lambda: open_page(p, cold=True)), repeat
        )
        warm_samples, _, load_after = measure(
            lambda p=page: as_signed_in(p, lambda: open_page(p)), repeat
        )
        rows.append(
            (
                page,
                summary(cold_samples),
                summary(warm_samples),
                f"{load_before:.1f} / {load_after:.1f}",
            )
        )
        print(f"  {page:<13}{rows[-1][1]:>32}{rows[-1][2]:>32}   {rows[-1][3]}", flush=True)
    return rows


def time_interactions(db: Path, repeat: int) -> list[tuple[str, str, str]]:
    """Issue 16 item 9 on a store: a sidebar pick (the whole entry run with a department
    chosen, warm), the what-if page's first control change and saving a scenario."""
    os.environ[paths.DB_ENV] = str(db)
    department = sorted(Store(db).departments(Store(db).periods()[-1]))[0]
    out = []

    def whatif(save: bool) -> tuple[float, float]:
        from streamlit.testing.v1 import AppTest

        at = AppTest.from_file(str(entry_for("whatif")), default_timeout=600)
        at.run()
        assert not at.exception, at.exception
        cut = next(n for n in at.number_input if str(n.key).endswith("_cut_0"))
        if not save:
            return clocked(lambda: cut.set_value(85).run())
        cut.set_value(85).run()
        name = next(t for t in at.text_input if str(t.key).endswith("_name"))
        name.input(f"bench {time.perf_counter_ns()}").run()
        timing = clocked(lambda: at.button(key="wi_save").click().run())
        assert not at.exception, at.exception
        return timing

    for name, action in (
        ("entry run, no filter (warm)", entry_run),
        ("entry run, a department picked (warm)", lambda: entry_run(departments=[department])),
        ("what-if: change a cutoff (warm)", lambda: whatif(False)),
        ("what-if: save a scenario", lambda: whatif(True)),
    ):
        action()  # warm
        samples, before, after = measure(action, repeat)
        out.append((name, summary(samples), f"{before:.1f} / {after:.1f}"))
        print(f"  {name:<40}{out[-1][1]:>32}   {out[-1][2]}", flush=True)
    return out


def import_then_ready(db: Path, scheme: Scheme, folder: Path) -> tuple[float, float, float, float]:
    """Import the next month (parse, store, keep its scores) and open every page once: the
    time until everything is ready after a month-end import, on a copy of the store."""
    os.environ[paths.DB_ENV] = str(db)
    store = Store(db)
    csv, month = next_month_file(store, folder)
    before = load()
    start, cpu = time.perf_counter(), time.process_time()
    parsed = parse_file(csv, scheme, period=month)
    assert parsed.ok, parsed.problems.head()
    store.import_file(parsed)
    keep_month(store, scheme, month)
    imported = time.perf_counter() - start
    clear_caches()
    for page in PAGES:
        if page not in EMPLOYEE_PAGES or EMPLOYEE:  # the employee's page once they are set up
            as_signed_in(page, lambda p=page: open_page(p))
    return imported, time.perf_counter() - start, time.process_time() - cpu, before


def prepare(db: Path, scheme: Scheme) -> float | None:
    """Every month's kept rows held in columns (what an import leaves; a store built by an
    earlier version converts once, here, not in the first cold page). Seconds, or None when
    this version keeps no columns."""
    from engine.cycle import results

    if not hasattr(results, "kept_keys"):
        return None
    started = time.perf_counter()
    results.kept_keys(Store(db), scheme)
    return time.perf_counter() - started


def remove_entries() -> None:
    for file in paths.ROOT.glob(".bench_entry_*.py"):
        file.unlink()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        default="demo,100000",
        help="comma-separated: demo and/or employee-month counts (default demo,100000)",
    )
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--months", type=int, default=120, help="months of a generated store (default 120)"
    )
    parser.add_argument("--keep", type=Path, help="folder to keep the built stores in, reused")
    parser.add_argument(
        "--pages", default=",".join(PAGES), help="comma-separated pages to time (default all)"
    )
    parser.add_argument(
        "--no-extras",
        action="store_true",
        help="time the pages only (not the sidebar, what-if actions and the next month's import)",
    )
    args = parser.parse_args()
    os.environ.setdefault("ASSESS_ACCOUNTS", "/nonexistent/accounts.toml")
    print("\n".join(machine_facts()))
    scheme = load_scheme()
    with tempfile.TemporaryDirectory() as temporary:
        folder = args.keep or Path(temporary)
        folder.mkdir(parents=True, exist_ok=True)
        for size in args.sizes.split(","):
            name = "demo" if size == "demo" else f"{size}-{args.months}m"
            db = folder / f"pages-{name}.duckdb"
            if not db.exists():
                started = time.perf_counter()
                if size == "demo":
                    from engine.cli import import_demo

                    import_demo(Store(db), scheme)
                    rows = len(Store(db).facts())
                else:
                    rows = generated_store(db, int(size), args.months, scheme, folder)
                print(
                    f"\n{size}: {rows:,} employee-months built in "
                    f"{time.perf_counter() - started:.1f} s"
                )
            prepared = prepare(db, scheme)
            if EMPLOYEE_PAGES & set(args.pages.split(",")):
                employee_accounts(db, scheme, folder)
            rows = len(Store(db).facts())
            if prepared is not None:
                print(
                    f"kept rows put into columns (once, a store made before them): {prepared:.1f} s"
                )
            print(f"\n{size} ({rows:,} employee-months): seconds of server time, median (range)")
            print(
                f"  {'page':<13}{'cold: wall (range) cpu':>32}{'warm: wall (range) cpu':>32}"
                "   load before / after"
            )
            time_pages(db, args.repeat, args.pages.split(","))
            if args.no_extras:
                continue
            time_interactions(db, args.repeat)
            copy = folder / f"pages-{size}-import.duckdb"
            runs = []
            for _ in range(args.repeat):  # each on a fresh copy of the store
                copy.write_bytes(db.read_bytes())
                runs.append(import_then_ready(copy, scheme, folder))
                copy.unlink()
            imported, ready, cpu, before = (spread([run[i] for run in runs]) for i in range(4))
            print(
                f"  import the next month: {imported} s; every page ready {ready} s "
                f"(cpu {cpu}) after the import began (load {before} / {load():.2f})"
            )
    remove_entries()


if __name__ == "__main__":
    main()
