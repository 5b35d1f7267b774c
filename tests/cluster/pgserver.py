"""A private PostgreSQL cluster for the cluster tests: `initdb` under a temporary folder, started
with `pg_ctl` as an unprivileged user (initdb refuses root), listening on 127.0.0.1 at a free port
with trust auth for that one role. Debian's `postgresql` package provides the binaries (the
Makefile installs it when they are missing)."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path


def pg_bin(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not candidates:
        raise RuntimeError(f"{name} not found: install PostgreSQL (make pg-deps)")
    return candidates[-1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _runner() -> list[str]:
    """Run PostgreSQL's tools as an unprivileged user when we are root."""
    if os.geteuid() != 0:
        return []
    for user in ("postgres", "nobody"):
        try:
            pwd.getpwnam(user)
        except KeyError:
            continue
        return ["runuser", "-u", user, "--"]
    raise RuntimeError("running as root and no unprivileged user (postgres, nobody) to run initdb")


@dataclass
class PgServer:
    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="gpt-pg-")))
    port: int = 0
    role: str = "gpt"
    proc_started: bool = False

    @property
    def url(self) -> str:
        return f"postgresql://{self.role}@127.0.0.1:{self.port}/postgres"

    def start(self) -> PgServer:
        run = _runner()
        data = self.root / "data"
        self.root.chmod(0o755)
        if run:
            user = run[2]
            shutil.chown(self.root, user=user)
        subprocess.run(
            [*run, pg_bin("initdb"), "-D", str(data), "-A", "trust", "-U", self.role, "-E", "UTF8", "--no-sync"],
            check=True,
            capture_output=True,
        )
        self.port = _free_port()
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root} -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        subprocess.run(
            [*run, pg_bin("pg_ctl"), "-D", str(data), "-o", options, "-l", str(self.root / "pg.log"), "-w", "start"],
            check=True,
            capture_output=True,
        )
        self.proc_started = True
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("PostgreSQL did not start")

    def new_database(self, name: str) -> str:
        """A fresh, empty database on this server; its URL."""
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url.rsplit("/", 1)[0] + f"/{name}"

    def stop(self) -> None:
        if self.proc_started:
            subprocess.run(
                [*_runner(), pg_bin("pg_ctl"), "-D", str(self.root / "data"), "-m", "immediate", "stop"],
                capture_output=True,
            )
            self.proc_started = False
        shutil.rmtree(self.root, ignore_errors=True)
