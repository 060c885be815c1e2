"""A throw-away PostgreSQL cluster for the tests: started on a free local port, stopped after."""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import psycopg

TEMPLATE = "assess_template"
USER = "assess"


class PgUnavailable(Exception):
    """No PostgreSQL server binaries here, or the cluster would not start."""


def server_bin() -> Path:
    """The newest installed PostgreSQL server's bin folder (Debian's layout)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_major)
    if not found:
        raise PgUnavailable("no /usr/lib/postgresql/*/bin/initdb (install Debian's postgresql)")
    return Path(found[-1]).parent


def _major(path: str) -> int:
    return int(Path(path).parent.parent.name.split(".")[0])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PgCluster:
    """One cluster: `fresh_database()` hands each test its own database."""

    def __init__(self, folder: Path, port: int, as_postgres: bool):
        self.folder, self.port, self.as_postgres = folder, port, as_postgres
        self.counter = itertools.count(1)

    @classmethod
    def start(cls, kept: Path | None = None) -> PgCluster:
        """initdb and start on a free port, as an unprivileged user (postgres refuses root).
        `kept`: a folder the cluster stays in after stop(remove=False) and starts from again
        (a bench's large store, built once), instead of a new temporary one."""
        bindir = server_bin()
        as_postgres = os.geteuid() == 0
        again = kept is not None and (kept / "data" / "PG_VERSION").exists()
        if kept is not None:
            kept.mkdir(parents=True, exist_ok=True)
        folder = kept or Path(tempfile.mkdtemp(prefix="assess-pg-"))
        cluster = cls(folder, free_port(), as_postgres)
        if as_postgres:
            shutil.chown(folder, "postgres")
        try:
            if not again:
                cluster._run(
                    bindir / "initdb", "-D", folder / "data", "-U", USER, "--auth=trust",
                    "-E", "UTF8", "--locale=C.UTF-8",
                )  # fmt: skip
            cluster._start_on_a_free_port(bindir)
        except (OSError, subprocess.CalledProcessError) as exc:
            log = folder / "log"
            tail = log.read_text(errors="replace")[-800:] if log.exists() else ""
            if kept is None:
                shutil.rmtree(folder, ignore_errors=True)
            raise PgUnavailable(f"{exc}: {getattr(exc, 'stderr', '')} {tail}") from exc
        cluster.bindir = bindir
        if not again:
            cluster.prepare_template()
        return cluster

    def _start_on_a_free_port(self, bindir: Path) -> None:
        """pg_ctl start; another test worker may take the port between choosing and starting,
        so a failed start is tried again on a new port."""
        for attempt in range(3):
            options = (
                f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
            )
            try:
                self._run(
                    bindir / "pg_ctl", "-D", self.folder / "data", "-o", options,
                    "-l", self.folder / "log", "-w", "start",
                )  # fmt: skip
                return
            except subprocess.CalledProcessError:
                if attempt == 2:
                    raise
                self.port = free_port()

    def _run(self, *command) -> None:
        args = [str(c) for c in command]
        if self.as_postgres:
            args = ["runuser", "-u", "postgres", "--", *args]
        subprocess.run(args, check=True, capture_output=True, text=True, timeout=120)

    def url(self, database: str) -> str:
        return f"postgresql://{USER}@127.0.0.1:{self.port}/{database}"

    def admin(self, sql: str) -> None:
        with psycopg.connect(self.url("postgres"), autocommit=True) as con:
            con.execute(sql)

    def prepare_template(self) -> None:
        """A database holding the store's empty tables, copied for each test (fast)."""
        from engine.store import Store, backends

        self.admin(f"CREATE DATABASE {TEMPLATE}")
        Store(self.url(TEMPLATE))
        backends.close_idle(self.url(TEMPLATE))  # a template must have nobody connected

    def fresh_database(self, template: str = TEMPLATE) -> str:
        """A new database (a copy of the prepared template, or of `template`) as a store URL."""
        name = f"t{next(self.counter)}"
        self.admin(f"CREATE DATABASE {name} TEMPLATE {template}")
        return self.url(name)

    def demo_database(self) -> str:
        """A new database holding the 12 demo months (imported once per cluster)."""
        if not getattr(self, "demo_ready", False):
            from engine.cli import import_demo
            from engine.schemes.scheme import load_scheme
            from engine.store import Store, backends

            self.admin(f"CREATE DATABASE demo_template TEMPLATE {TEMPLATE}")
            import_demo(Store(self.url("demo_template")), load_scheme())
            backends.close_idle(self.url("demo_template"))
            self.demo_ready = True
        return self.fresh_database("demo_template")

    def database(self, name: str) -> str:
        """The database `name` as a store URL, made from the template when it is not there yet
        (a kept cluster's store is found again)."""
        with psycopg.connect(self.url("postgres"), autocommit=True) as con:
            found = con.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchall()
        if not found:
            self.admin(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}")
        return self.url(name)

    def stop(self, remove: bool = True) -> None:
        """Stop the server; `remove=False` keeps its folder (shut down cleanly) to start again."""
        mode = "immediate" if remove else "fast"
        try:
            self._run(self.bindir / "pg_ctl", "-D", self.folder / "data", "-m", mode, "stop")
        finally:
            if remove:
                shutil.rmtree(self.folder, ignore_errors=True)
