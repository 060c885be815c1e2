"""Work side by side on every core: numpy, pandas and pyarrow release the GIL while they compute,
so plain threads run their column operations in parallel."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

CORES = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
SMALL = 20_000  # rows below which threads cost more than they save
T = TypeVar("T")
R = TypeVar("R")


def side_by_side(work: Callable[[T], R], items: Iterable[T], rows: int = SMALL) -> list[R]:
    """work(item) for every item, in order, on as many threads as the machine has cores; one
    after another when the work is small (`rows`: how many rows each item works through)."""
    items = list(items)
    if len(items) <= 1 or CORES == 1 or rows < SMALL:
        return [work(item) for item in items]
    with ThreadPoolExecutor(max_workers=min(len(items), CORES)) as pool:
        return list(pool.map(work, items))
