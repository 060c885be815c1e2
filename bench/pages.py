"""Page render time (server side, AppTest) on the demo data and on ~100,000 employee-months.

Run from the repository root:

    .venv/bin/python bench/pages.py              # demo store and ~100,000 rows
    .venv/bin/python bench/pages.py --copies 3   # a smaller large store, for a quick check

Each page is opened once to warm the caches (as a user's first visit does), then timed over
`--repeat` runs; the median is printed next to the targets of issue 4 (1 s on the demo data,
3 s on 100,000 employee-months), with each page's ratio to the overview (the landing page).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine import paths
from engine.demo.aftersales import demo_frames
from engine.intake.parse import parse_cells
from engine.schemes.scheme import load_scheme
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
]


def large_store(target: Path, copies: int) -> int:
    """A store holding the 12 demo months, each employee copied `copies` times with new ids."""
    scheme = load_scheme()
    store = Store(target)
    rows = 0
    for month, frame in demo_frames().items():
        copies_of_month = [
            frame.assign(
                employee_id=frame["employee_id"] + f"-{i:02d}", department=frame["department"]
            )
            for i in range(copies)
        ]
        big = (
            pd.concat(copies_of_month, ignore_index=True)
            .astype(str)
            .replace({"<NA>": "", "nan": "", "NaT": ""})
        )
        cells = pd.concat([big.columns.to_frame().T, big], ignore_index=True)
        parsed = parse_cells(
            cells.set_axis(range(cells.shape[1]), axis=1),
            scheme,
            f"{month}.csv",
            f"{month}-{copies}".encode(),
            "utf-8",
            month,
        )
        assert parsed.ok, parsed.problems.head()
        store.import_file(parsed)
        rows += parsed.rows
    return rows


def time_pages(db: Path, repeat: int) -> dict[str, float]:
    from streamlit.testing.v1 import AppTest

    os.environ[paths.DB_ENV] = str(db)
    timings = {}
    for page in PAGES:
        samples = []
        for attempt in range(repeat + 1):
            at = AppTest.from_file(str(paths.ROOT / "app.py"), default_timeout=120)
            at.run()
            start = time.perf_counter()
            at.switch_page(f"pages/{page}.py").run()
            elapsed = time.perf_counter() - start
            assert not at.exception, (page, at.exception)
            if attempt:  # the first run warms the caches
                samples.append(elapsed)
        timings[page] = statistics.median(samples)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=27, help="copies of each demo employee")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    os.environ.setdefault("ASSESS_ACCOUNTS", "/nonexistent/accounts.toml")
    with tempfile.TemporaryDirectory() as folder:
        demo_db = Path(folder) / "demo.duckdb"
        from engine.cli import import_demo

        import_demo(Store(demo_db), load_scheme())
        started = time.perf_counter()
        big_db = Path(folder) / "large.duckdb"
        rows = large_store(big_db, args.copies)
        print(
            f"large store: {rows:,} employee-months built in {time.perf_counter() - started:.1f} s"
        )
        demo = time_pages(demo_db, args.repeat)
        large = time_pages(big_db, args.repeat)
    base_demo, base_large = demo["overview"], large["overview"]
    print(
        f"\n{'page':<24}{'demo (s)':>10}{'÷ overview':>11}{'target':>8}"
        f"{f'{rows:,} rows (s)':>20}{'÷ overview':>11}{'target':>8}"
    )
    for page in demo:
        print(
            f"{page:<24}{demo[page]:>10.3f}{demo[page] / base_demo:>11.2f}{'1.0':>8}"
            f"{large[page]:>20.3f}{large[page] / base_large:>11.2f}{'3.0':>8}"
        )


if __name__ == "__main__":
    main()
