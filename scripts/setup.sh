#!/usr/bin/env bash
# Create .venv (if missing) and install the pinned requirements; install the Debian packages the
# dashboard needs (a CJK font embedded in PDF statements) and, with --test, what the tests need
# (Chromium, poppler-utils for pdftotext / pdftoppm, a PostgreSQL server for the PostgreSQL
# store). Safe to run again: it only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
if [[ ! -x .venv/bin/python ]]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -r requirements.txt

missing=()
[[ -e /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc ]] || missing+=(fonts-noto-cjk)
if [[ "${1:-}" == "--test" || "${1:-}" == "--browser" ]]; then
  command -v chromium >/dev/null 2>&1 || missing+=(chromium fonts-noto-color-emoji)
  command -v pdftoppm >/dev/null 2>&1 || missing+=(poppler-utils)
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
fi
if ((${#missing[@]})); then
  SUDO=""
  if [[ "$(id -u)" != "0" ]]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
