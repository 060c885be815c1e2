"""Every file location the product uses, derived from this file's place in the repository."""

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "data"
SCHEMES_DIR = DATA_DIR / "schemes"
GRADE_PRESETS_FILE = SCHEMES_DIR / "grade_presets.toml"
SAMPLE_DIR = DATA_DIR / "sample"
DEFAULT_DB = DATA_DIR / "assessments.duckdb"
DEFAULT_SCHEME = SCHEMES_DIR / "aftersales.toml"

DB_ENV = "ASSESS_DB"
SCHEME_ENV = "ASSESS_SCHEME"


def db_path(explicit: str | os.PathLike | None = None) -> Path:
    """The store file: the explicit path, else $ASSESS_DB, else data/assessments.duckdb."""
    chosen = explicit or os.environ.get(DB_ENV) or DEFAULT_DB
    return Path(chosen).expanduser().resolve()


def scheme_path(explicit: str | os.PathLike | None = None) -> Path:
    """The scheme file: the explicit path, else $ASSESS_SCHEME, else the after-sales scheme."""
    chosen = explicit or os.environ.get(SCHEME_ENV) or DEFAULT_SCHEME
    return Path(chosen).expanduser().resolve()
