"""Helpers for tests in a real browser: a dashboard server on a free port and headless Chromium."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from engine import paths

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SCREENSHOTS = paths.ROOT / "tests" / "screenshots"


def require_chromium() -> None:
    """Skip on a developer machine without Chromium; in CI a missing browser is a failure."""
    if Path(CHROMIUM).exists():
        return
    if os.environ.get("CI") == "true":
        pytest.fail("Chromium is not installed: scripts/setup.sh --test installs it")
    pytest.skip("Chromium is not installed (scripts/setup.sh --test)")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def dashboard(db_file: Path) -> Iterator[str]:
    """Run `streamlit run app.py` on a free port against the given store; yield its address."""
    port = free_port()
    env = {**os.environ, paths.DB_ENV: str(db_file)}
    command = [
        sys.executable,
        "-m",
        "ui.serve",
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
    ]
    server = subprocess.Popen(
        command, cwd=paths.ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    url = f"http://127.0.0.1:{port}"
    try:
        try:
            wait_healthy(url, server)
        except RuntimeError as exc:
            raise RuntimeError(f"dashboard did not start: {server.stderr.read()!r}") from exc
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()


def wait_healthy(url: str, process: subprocess.Popen, seconds: float = 60) -> None:
    """Wait until the dashboard at `url` answers its health check; RuntimeError when its
    process ended or `seconds` passed first."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"dashboard at {url} did not start") from None
            time.sleep(0.3)


def wait_until_drawn(page, timeout_ms: int = 60_000) -> None:
    """Wait until the app has connected and its script has run to the end."""
    page.wait_for_selector('[data-testid="stAppViewContainer"]', timeout=timeout_ms)
    page.wait_for_selector(
        '[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=timeout_ms
    )
    page.wait_for_selector('[data-testid="stStatusWidget"]', state="detached", timeout=timeout_ms)


def error_boxes(page) -> list[str]:
    found = page.query_selector_all(
        '[data-testid="stException"], [data-testid="stAlertContentError"]'
    )
    return [box.inner_text() for box in found]
