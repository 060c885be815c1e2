"""bench/pages.py on a small generated store: it builds the store over the months asked for,
times every page cold and warm (我的绩效 signed in as an employee), the sidebar and what-if
actions and the next month's import; timings are the bench's business, not the test's."""

from __future__ import annotations

import os
import subprocess
import sys

from engine import paths
from engine.store import Store
from tests.language import page_files


def test_the_page_bench_times_every_page_of_a_generated_store(tmp_path):
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    env.pop(paths.DB_ENV, None)
    command = [sys.executable, "bench/pages.py", "--sizes", "600", "--months", "6"]
    command += ["--repeat", "1", "--keep", str(tmp_path)]
    done = subprocess.run(
        command, cwd=paths.ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    assert "600: 600 employee-months built" in out
    assert Store(tmp_path / "pages-600-6m.duckdb").periods()[-1] == "2026-10"
    timed = {line.split()[0] for line in out.splitlines() if line.startswith("  ")}
    assert set(page_files()) <= timed  # every page the app lists, my_results included
    assert "what-if: save a scenario" in out
    assert "every page ready" in out
    assert not list(paths.ROOT.glob(".bench_entry_*.py"))  # its entry copies are removed
