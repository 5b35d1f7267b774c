"""Shared fixtures: a real engine process on a temporary Unix socket, an isolated
CODEX_HOME, a headless file keyring, and a helper to run the real CLI binary.

Everything is real: the engine is started as `gpt-image-2-engine serve`, the CLI
as the installed `gpt-image-2-skill` executable.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

# Tests fork (pexpect's pty.fork, to run the CLI on a terminal) while the test process holds live
# gRPC channels. grpcio 1.80+ then runs its fork handlers in the child, whose poller can meet a
# closed epoll fd and abort (SIGABRT, "epoll_wait error: Bad file descriptor") before the child
# execs: about 1 fork in 100 with channels busy (grpc/grpc#43055). The product never forks with a
# channel open (the CLI starts the engine with subprocess, which runs no fork handlers), so only
# the test process turns gRPC's fork support off, before any channel exists.
os.environ.setdefault("GRPC_ENABLE_FORK_SUPPORT", "false")

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
CLI = str(BIN / "gpt-image-2-skill")
ENGINE = str(BIN / "gpt-image-2-engine")

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# The private PostgreSQL cluster's fixtures, for any test that asks for them.
from tests.servers.postgres import pg_url, postgres_cluster  # noqa: E402,F401

# COLUMNS/LINES: pytest-xdist workers set 80x24, which would override a child pty's own size.
_SCRUB = ("COLUMNS", "LINES", "OPENAI_API_KEY", "OPENAI_BASE_URL", "GPT_IMAGE_2_ENGINE", "GPT_IMAGE_2_CONFIG_FILE", "GPT_IMAGE_2_HISTORY_FILE", "GPT_IMAGE_2_DATABASE_URL", "GPT_IMAGE_2_ARTIFACTS_URL", "CODEX_HOME")


def base_env(home: Path) -> dict[str, str]:
    """An environment isolated in `home`: own CODEX_HOME, HOME and file keyring."""
    env = {k: v for k, v in os.environ.items() if k not in _SCRUB}
    env.update(
        {
            "HOME": str(home),
            "CODEX_HOME": str(home / ".codex"),
            "XDG_DATA_HOME": str(home / ".local" / "share"),
            "XDG_CONFIG_HOME": str(home / ".config"),
            "PYTHON_KEYRING_BACKEND": "keyrings.alt.file.PlaintextKeyring",
            "GPT_IMAGE_2_ALLOW_PRIVATE_URLS": "1",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


@dataclass
class CliResult:
    returncode: int
    stdout: str
    stderr: str

    @property
    def json(self) -> Any:
        return json.loads(self.stdout)

    @property
    def events(self) -> list[dict[str, Any]]:
        out = []
        for line in self.stderr.splitlines():
            line = line.strip()
            if line.startswith("{"):
                out.append(json.loads(line))
        return out


@dataclass
class EngineProc:
    home: Path
    env: dict[str, str]
    socket: Path
    proc: subprocess.Popen[bytes] | None = None
    extra_env: dict[str, str] = field(default_factory=dict)

    @property
    def address(self) -> str:
        return f"unix://{self.socket}"

    @property
    def codex_home(self) -> Path:
        return Path(self.env["CODEX_HOME"])

    @property
    def shared_dir(self) -> Path:
        return self.codex_home / "gpt-image-2-skill"

    def client_env(self, **extra: str) -> dict[str, str]:
        env = dict(self.env)
        env["GPT_IMAGE_2_ENGINE"] = self.address
        env["GPT_IMAGE_2_NO_AUTOSTART"] = "1"
        env.update(extra)
        return env

    def start(self, timeout: float = 15.0) -> None:
        self.socket.parent.mkdir(parents=True, exist_ok=True)
        env = dict(self.env)
        env.update(self.extra_env)
        self.log = open(self.home / "engine-stderr.log", "ab")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [ENGINE, "serve", "--socket", str(self.socket)],
            env=env,
            stdout=self.log,
            stderr=self.log,
        )
        deadline = time.monotonic() + timeout
        from gpt_image_protocol.address import parse_address
        from gpt_image_protocol.channel import open_channel
        from gpt_image_protocol.health import is_serving

        channel = open_channel(parse_address(self.address))
        try:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"engine exited early: {(self.home / 'engine-stderr.log').read_text()[-4000:]}")
                if self.socket.exists() and is_serving(channel, timeout=0.5):
                    return
                time.sleep(0.05)
        finally:
            channel.close()
        raise RuntimeError("engine did not become SERVING in time")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15.0) -> int | None:
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        code = self.proc.returncode
        self.proc = None
        self.log.close()
        return code

    def cli(self, *args: str, input: str | None = None, env: dict[str, str] | None = None, timeout: float = 120) -> CliResult:
        return run_cli(*args, env=env or self.client_env(), input=input, timeout=timeout)


def run_cli(*args: str, env: dict[str, str], input: str | None = None, timeout: float = 120) -> CliResult:
    proc = subprocess.run([CLI, *args], env=env, input=input, capture_output=True, text=True, timeout=timeout)
    return CliResult(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    h = tmp_path / "home"
    h.mkdir()
    return h


@contextmanager
def engine_process(home: Path) -> Iterator[EngineProc]:
    """A started engine with its own CODEX_HOME under `home`, stopped on exit."""
    # Unix socket paths are limited to ~108 bytes; keep the socket short.
    import tempfile

    sockdir = Path(tempfile.mkdtemp(prefix="gi2-"))
    proc = EngineProc(home=home, env=base_env(home), socket=sockdir / "e.sock")
    proc.start()
    try:
        yield proc
    finally:
        proc.stop()


@pytest.fixture
def engine(home: Path) -> Iterator[EngineProc]:
    """A real engine process for one test (isolated CODEX_HOME, temp socket)."""
    with engine_process(home) as proc:
        yield proc


@pytest.fixture
def own_engine(home: Path) -> Iterator[EngineProc]:
    """Like `engine`, for a test in a module that shares one engine as `engine` (a module-scoped
    override over `module_engine`) but changes the engine's config or restarts it."""
    with engine_process(home) as proc:
        yield proc


@pytest.fixture
def fake_upstream() -> Iterator[Any]:
    """A real HTTP fake of the OpenAI and Codex APIs on 127.0.0.1."""
    from tests.fakeupstream.server import FakeUpstream

    server = FakeUpstream()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def module_upstream() -> Iterator[Any]:
    """One fake upstream for a whole test module (tests clear its faults as they need)."""
    from tests.fakeupstream.server import FakeUpstream

    server = FakeUpstream().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def module_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EngineProc]:
    """One real engine for a whole test module (its own CODEX_HOME and short socket path)."""
    import tempfile

    home = tmp_path_factory.mktemp("module-home")
    proc = EngineProc(home=home, env=base_env(home), socket=Path(tempfile.mkdtemp(prefix="gi2-")) / "e.sock")
    proc.start()
    try:
        yield proc
    finally:
        proc.stop()


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A real SeaweedFS S3 server for the session (storage targets, the engine's artifact bucket)."""
    from tests.s3server import SeaweedS3

    server = SeaweedS3(tmp_path_factory.mktemp("seaweed")).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def s3_url(s3_server: Any) -> str:
    """`s3://<bucket>/<new prefix>` on the session's SeaweedFS: an empty artifact store for one
    test (a prefix, not a bucket: each SeaweedFS bucket takes volumes of its own)."""
    import secrets

    return f"s3://{s3_server.bucket}/t-{secrets.token_hex(6)}"


@pytest.fixture(scope="session", autouse=True)
def _no_stray_engines(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Stop any engine a test autostarted under this session's temp folders (the CLI starts
    daemons by design; tests that do not stop them must not leave them running)."""
    yield
    base = str(tmp_path_factory.getbasetemp())
    for proc_dir in Path("/proc").iterdir():
        if not proc_dir.name.isdigit():
            continue
        try:
            argv = (proc_dir / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        text = [a.decode(errors="replace") for a in argv]
        if any("gpt-image-2-engine" in a for a in text[:2]) and any(a.startswith(base) for a in text):
            try:
                os.kill(int(proc_dir.name), signal.SIGTERM)
            except OSError:
                pass


def _log_tails(values: Any) -> Iterator[tuple[str, Path]]:
    """Log files of the engines and gateways a test used (fixtures by duck type: an engine has
    `home` and `codex_home`, a gateway a `log` path, a stack an `engine`)."""
    for value in values:
        engine = getattr(value, "engine", None)
        if isinstance(engine, EngineProc):
            value = engine
        if isinstance(value, EngineProc):
            yield "engine stderr", value.home / "engine-stderr.log"
            yield "engine log", value.shared_dir / "logs" / "engine.log"
        log = getattr(value, "log", None)
        if isinstance(log, Path):
            yield "gateway log", log


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """A failed test's report carries the last lines of its engine's and gateway's logs: a
    flake in CI (an engine-side 500, a crash) is then diagnosable from the CI output alone."""
    outcome: Any = yield
    report = outcome.get_result()
    if report.when != "call" or not report.failed:
        return
    seen: set[Path] = set()
    for title, path in _log_tails(getattr(item, "funcargs", {}).values()):
        if path in seen or not path.is_file():
            continue
        seen.add(path)
        try:
            tail = path.read_bytes()[-4000:].decode("utf-8", "replace")
        except OSError:
            continue
        report.sections.append((f"{title}: {path}", tail))
