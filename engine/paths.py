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

SAMPLE_4S_DIR = DATA_DIR / "sample_4s"
DEALER_SCHEME = SCHEMES_DIR / "dealer_4s.toml"
DEALER_DB = DATA_DIR / "assessments_4s.duckdb"

DB_ENV = "ASSESS_DB"
SCHEME_ENV = "ASSESS_SCHEME"
DEMO_ENV = "ASSESS_DEMO"
# A store named by one of these is a PostgreSQL database; anything else is a DuckDB file.
DATABASE_URL_PREFIXES = ("postgresql://", "postgres://")


def demo_dataset() -> str:
    """Which bundled dataset the defaults point at: "4s" (ASSESS_DEMO=4s) or "aftersales"."""
    return (
        "4s" if os.environ.get(DEMO_ENV, "").strip().lower() in ("4s", "dealer") else "aftersales"
    )


def db_path(explicit: str | os.PathLike | None = None) -> Path | str:
    """The store file: the explicit path, else $ASSESS_DB, else data/assessments.duckdb (or
    data/assessments_4s.duckdb for the 4S demo); a postgresql:// URL is returned as it is."""
    fallback = DEALER_DB if demo_dataset() == "4s" else DEFAULT_DB
    chosen = explicit or os.environ.get(DB_ENV) or fallback
    if str(chosen).startswith(DATABASE_URL_PREFIXES):
        return str(chosen)
    return Path(chosen).expanduser().resolve()


def scheme_path(explicit: str | os.PathLike | None = None) -> Path:
    """The scheme file: the explicit path, else $ASSESS_SCHEME, else the after-sales scheme (or
    the 4S dealer scheme for the 4S demo)."""
    fallback = DEALER_SCHEME if demo_dataset() == "4s" else DEFAULT_SCHEME
    chosen = explicit or os.environ.get(SCHEME_ENV) or fallback
    return Path(chosen).expanduser().resolve()
