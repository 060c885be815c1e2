"""The layering rules of the code base, checked so they cannot quietly erode."""

from __future__ import annotations

import ast
from pathlib import Path

from engine import paths

ENGINE = paths.ROOT / "engine"
# The packages of engine/, in the order data flows through them: what each may import from the
# others. A package never imports one that comes after it in the flow, so the tree reads like
# the data's path (a file comes in, is stored, scored, analysed, and leaves as a table).
FLOW = {
    "schemes": {"store"},  # scheme versions are kept in the store
    "intake": {"schemes", "scoring"},  # scoring.parallel runs the checks side by side
    "store": {"intake"},  # an import writes a parsed file
    "scoring": {"schemes"},
    "rules": {"schemes", "scoring"},
    "analysis": {"schemes", "scoring"},
    # statistics over scored tables (intervals, control charts, tests); the estimators scoring
    # itself may use (shrunk rates, rescaled ratings) live in scoring.adjusted
    "insights": {"schemes", "scoring", "analysis"},
    # exports round as the scheme rounds totals (precision); printed statements and the
    # report pack lay out the analysis' figures and the rules' flags
    "output": {"schemes", "scoring", "analysis", "rules"},
    "demo": {"schemes", "intake", "store", "output"},
    # telling group robots and mail lists of a month's results: outcomes in the store's audit log
    "notify": {"store"},
    # closing a month: states in the store, adjustments checked like a file, scored and frozen,
    # announced (notify) once a move is recorded; printing a period's statements and report pack
    "cycle": {"schemes", "intake", "store", "scoring", "notify", "output", "analysis", "rules"},
}


def python_files(folder: Path) -> list[Path]:
    return [f for f in folder.rglob("*.py") if ".venv" not in f.parts]


def imported_modules(file: Path, depth: int = 1) -> set[str]:
    """The modules a file imports, cut to their first `depth` dotted parts."""
    tree = ast.parse(file.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            if node.module == "engine":
                names |= {f"engine.{alias.name}" for alias in node.names}
    return {".".join(name.split(".")[:depth]) for name in names}


def test_engine_never_imports_streamlit_or_plotly():
    offenders = [
        str(f.relative_to(ENGINE))
        for f in python_files(ENGINE)
        if imported_modules(f) & {"streamlit", "plotly"}
    ]
    assert offenders == []


def test_only_the_store_package_speaks_sql():
    users = sorted(
        str(f.relative_to(paths.ROOT))
        for f in python_files(paths.ROOT)
        if "duckdb" in imported_modules(f) and not {"tests", "bench"} & set(f.parts)
    )
    assert users and all(u.startswith("engine/store/") for u in users), users


def imported_names(file: Path, module: str) -> set[str]:
    """The names a file imports from one module."""
    tree = ast.parse(file.read_text(encoding="utf-8"))
    return {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module == module
        for alias in node.names
    }


def test_pages_never_open_the_store_and_nobody_names_its_backend():
    """Pages get their store from ui.data and may only catch its errors; nothing outside the
    store package names a backend module."""
    for folder in (paths.ROOT / "pages", paths.ROOT / "ui", ENGINE, paths.ROOT / "tests"):
        for f in python_files(folder):
            if f.is_relative_to(ENGINE / "store"):
                continue
            assert "engine.store.duckdb_store" not in imported_modules(f, depth=3), f
    for f in [*python_files(paths.ROOT / "pages"), paths.ROOT / "app.py"]:
        assert imported_names(f, "engine.store") <= {"StoreError"}, f


def test_engine_packages_follow_the_flow():
    for package, allowed in FLOW.items():
        for f in python_files(ENGINE / package):
            used = {
                name.split(".")[1]
                for name in imported_modules(f, depth=2)
                if name.startswith("engine.") and name.split(".")[1] in FLOW
            }
            assert used - {package} <= allowed, (str(f.relative_to(ENGINE)), used - allowed)


def test_engine_top_level_holds_only_the_shared_modules():
    top = sorted(f.name for f in ENGINE.glob("*.py"))
    assert top == ["__init__.py", "__main__.py", "accounts.py", "cli.py", "paths.py"]
    assert sorted(p.name for p in ENGINE.iterdir() if p.is_dir() and p.name != "__pycache__") == (
        sorted(FLOW)
    )


def test_no_row_wise_apply_or_iterrows_in_the_engine():
    for file in python_files(ENGINE):
        text = file.read_text(encoding="utf-8")
        assert "iterrows" not in text and "itertuples" not in text, file.name
        assert "axis=1).apply" not in text and "apply(axis=1" not in text, file.name
