"""The layering rules of the code base, checked so they cannot quietly erode."""

from __future__ import annotations

import ast
from pathlib import Path

from engine import paths

ENGINE = paths.ROOT / "engine"


def imported_modules(file: Path) -> set[str]:
    tree = ast.parse(file.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_engine_never_imports_streamlit_or_plotly():
    offenders = [
        f.name for f in ENGINE.glob("*.py") if imported_modules(f) & {"streamlit", "plotly"}
    ]
    assert offenders == []


def test_only_the_store_speaks_sql():
    users = sorted(
        f.name
        for f in paths.ROOT.glob("**/*.py")
        if ".venv" not in f.parts
        and "duckdb" in imported_modules(f)
        and "tests" not in f.parts
        and "bench" not in f.parts
    )
    assert users == ["store.py"]


def test_no_row_wise_apply_or_iterrows_in_the_engine():
    for file in ENGINE.glob("*.py"):
        text = file.read_text(encoding="utf-8")
        assert "iterrows" not in text and "itertuples" not in text, file.name
        assert "axis=1).apply" not in text and "apply(axis=1" not in text, file.name
