#!/usr/bin/env bash
# Set up (first time) and open the dashboard on the bundled demo data: ./run.sh [streamlit args]
set -euo pipefail
cd "$(dirname "$0")"
scripts/setup.sh
exec .venv/bin/python -m ui.serve --server.headless true "$@"
