#!/usr/bin/env bash
# Set up (first time) and run every check: lint, then the whole test suite, browser tests included.
set -euo pipefail
cd "$(dirname "$0")"
scripts/setup.sh --test
.venv/bin/ruff check .
.venv/bin/ruff format --check .
# setup.sh installed PostgreSQL: its half of the store tests must run, not skip (tests/conftest.py).
export ASSESS_TEST_POSTGRES="${ASSESS_TEST_POSTGRES:-required}"
exec .venv/bin/python -m pytest -n 2 "$@"
