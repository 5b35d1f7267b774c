"""A private PostgreSQL cluster for the tests: Debian's server binaries, a temporary folder, a
random port on 127.0.0.1, started and stopped by the suite.

`initdb` refuses to run as root (the suite runs as root here and in CI), so the cluster belongs to
an unprivileged system user: `postgres` (which Debian's package creates) or `nobody`, and the
server commands run through `runuser`. The folder is made for that user; nothing else on the
machine is touched. Connections from the tests use a role with a random password (scram on TCP),
so the URLs they hand to the engine carry a real secret to keep out of logs.

Fixtures (re-exported by tests/conftest.py):
- `postgres_cluster` (session): the running cluster;
- `pg_url` (function): a URL to a new, empty database of its own.

`make test` installs the `postgresql` package when the binaries are missing (`postgres-deps`).
"""

from __future__ import annotations

import contextlib
import glob
import itertools
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

_counter = itertools.count()


def pg_bin(name: str) -> str:
    """A PostgreSQL server binary: on PATH, else the newest under /usr/lib/postgresql/*/bin."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(
        glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda p: int(Path(p).parts[-3].split(".")[0])
    )
    if not candidates:
        raise RuntimeError(
            f"PostgreSQL's {name} was not found: run `make postgres-deps` (or `make test`), which installs "
            "Debian's postgresql package."
        )
    return candidates[-1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class PostgresCluster:
    """One running server; `url(dbname)` for the test role, `admin_url` for the superuser."""

    root: Path
    port: int
    user: str = "gi2test"
    password: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    os_user: str | None = None
    _proc_user: list[str] = field(default_factory=list)
    _options: str = ""

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def socket_dir(self) -> Path:
        return self.root / "sock"

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql://{self.user}:{self.password}@127.0.0.1:{self.port}/{dbname}"

    def _run(self, *argv: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*self._proc_user, *argv], capture_output=True, text=True, timeout=timeout, check=True, cwd=self.root
        )

    def start(self) -> None:
        if os.geteuid() == 0:
            self.os_user = next((u for u in ("postgres", "nobody") if _user_exists(u)), None)
            if self.os_user is None:
                raise RuntimeError("no unprivileged user (postgres or nobody) to own the test cluster")
            self._proc_user = ["runuser", "-u", self.os_user, "--"]
            uid, gid = pwd.getpwnam(self.os_user).pw_uid, pwd.getpwnam(self.os_user).pw_gid
            os.chown(self.root, uid, gid)
        self.root.chmod(0o700)
        self.socket_dir.mkdir()
        if self.os_user:
            os.chown(self.socket_dir, pwd.getpwnam(self.os_user).pw_uid, pwd.getpwnam(self.os_user).pw_gid)
        # The superuser is the OS user (trust on the socket only); the tests' role logs in by password.
        self._run(
            pg_bin("initdb"), "-D", str(self.data), "--auth-local=trust", "--auth-host=scram-sha-256",
            "--encoding=UTF8", "--locale=C.UTF-8", "-U", "cluster_admin", "--no-sync",
        )  # fmt: skip
        options = (
            f"-c listen_addresses=127.0.0.1 -c port={self.port} -c unix_socket_directories={self.socket_dir} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c shared_buffers=64MB "
            "-c max_connections=100 -c log_min_messages=warning"
        )
        self._options = options
        self._pg_start()
        self.admin_sql(f"CREATE ROLE {self.user} LOGIN CREATEDB PASSWORD '{self.password}'")

    def admin_sql(self, sql: str, dbname: str = "postgres") -> str:
        """Run SQL as the cluster's superuser over the private socket (psql, as the owning user)."""
        out = self._run(
            pg_bin("psql"), "-h", str(self.socket_dir), "-p", str(self.port), "-U", "cluster_admin", "-d", dbname,
            "-v", "ON_ERROR_STOP=1", "-qAt", "-c", sql,
        )  # fmt: skip
        return out.stdout.strip()

    def create_database(self, prefix: str = "t") -> str:
        name = f"{prefix}_{os.getpid()}_{next(_counter)}"
        self.admin_sql(f"CREATE DATABASE {name} OWNER {self.user}")
        return name

    def drop_database(self, name: str) -> None:
        self.admin_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def stop(self, mode: str = "fast") -> None:
        if self.data.exists():
            with contextlib.suppress(subprocess.SubprocessError):
                self._run(pg_bin("pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def _pg_start(self) -> None:
        # -l: the server must not hold our stdout pipe, or waiting for pg_ctl never ends.
        self._run(pg_bin("pg_ctl"), "-D", str(self.data), "-o", self._options, "-l", str(self.root / "server.log"),
                  "-w", "-t", "60", "start")  # fmt: skip

    def restart(self) -> None:
        """Stop (dropping every connection) and start the same server again on the same port. A fast
        stop, not an immediate one: the test cluster runs without fsync or synchronous commit, so a
        crash would lose what the tests just wrote."""
        self._run(pg_bin("pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "-t", "60", "stop")
        self._pg_start()


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


@contextlib.contextmanager
def running_cluster() -> Iterator[PostgresCluster]:
    root = Path(tempfile.mkdtemp(prefix="gi2pg-"))
    cluster = PostgresCluster(root=root, port=_free_port())
    try:
        for attempt in range(3):
            try:
                cluster.start()
                break
            except subprocess.CalledProcessError as exc:  # a port taken in between: pick another
                log = root / "server.log"
                if attempt == 2 or "could not bind" not in (log.read_text() if log.exists() else ""):
                    raise RuntimeError(f"PostgreSQL did not start: {exc.stderr or exc.stdout}") from exc
                cluster.stop()
                shutil.rmtree(cluster.data, ignore_errors=True)
                shutil.rmtree(cluster.socket_dir, ignore_errors=True)
                cluster.port = _free_port()
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PostgresCluster]:
    """One private PostgreSQL server for the whole session (one per xdist worker)."""
    with running_cluster() as cluster:
        yield cluster


@pytest.fixture
def pg_url(postgres_cluster: PostgresCluster) -> Iterator[str]:
    """A URL to a new, empty database owned by the test role; dropped afterwards."""
    name = postgres_cluster.create_database()
    yield postgres_cluster.url(name)
    postgres_cluster.drop_database(name)


def wait_for_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port}")
