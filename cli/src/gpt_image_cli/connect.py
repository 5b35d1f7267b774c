"""Reaching the engine: address resolution, stubs, and autostart of the daemon.

The address comes from --engine, GPT_IMAGE_2_ENGINE, or the default socket
`$CODEX_HOME/gpt-image-2-skill/engine.sock`. Only for the default socket, and
only when no engine answers, is `gpt-image-2-engine serve` spawned (detached,
without the caller's OPENAI_API_KEY / OPENAI_BASE_URL) and awaited until its
health check says SERVING. GPT_IMAGE_2_NO_AUTOSTART=1 turns that off.

A TCP engine is reached with the token and TLS settings of
`gpt_image_protocol.channel.client_settings`; one GetVersion call up front
checks the token and the contract version, so a wrong token or an
incompatible engine fails before any work starts. Given several engines
(`h1:p,h2:p` or `dns:///name:p`) that share one history database and one artifact bucket
(GetVersion says `stores.shared`), the CLI opens one channel that gRPC balances with
`round_robin`, and any engine answers any call. Engines with their own stores need more:
one CLI invocation pins itself to one engine:
for new work, one picked at random among those whose health check answers (an
upload, the job and the download must all reach the same engine, and the
random pick spreads invocations across the engines); for a command that names
an existing job (`connect_job`), the engine that owns it, found by asking every
engine's GetJob in parallel (`gpt_image_protocol.routing.EngineRouter`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import grpc

from gpt_image_protocol.address import EngineAddress, resolve_address
from gpt_image_protocol.channel import ClientSettings, check_contract, client_settings, open_channel
from gpt_image_protocol.codes import is_registered
from gpt_image_protocol.errors import AppError

if TYPE_CHECKING:
    from gpt_image.v1 import (
        artifacts_pb2_grpc,
        config_pb2_grpc,
        images_pb2_grpc,
        jobs_pb2_grpc,
        outputs_pb2_grpc,
        requests_pb2_grpc,
        system_pb2_grpc,
        transparent_pb2_grpc,
    )
    from gpt_image_protocol.routing import EngineRouter

AUTOSTART_TIMEOUT_S = 5.0
# Never handed to an autostarted daemon: they are per-call credentials.
_CALL_ONLY_ENV = ("OPENAI_API_KEY", "OPENAI_BASE_URL")


@dataclass
class Engine:
    """A channel to one engine plus its service stubs."""

    address: EngineAddress
    channel: grpc.Channel
    started_pid: int | None = None
    requested: EngineAddress | None = None  # the list or dns name this engine was picked from
    settings: ClientSettings | None = None
    router: EngineRouter | None = None  # channels to every engine of a list or dns address
    _stubs: dict[str, Any] = field(default_factory=dict)

    def version(self, timeout: float = 10.0) -> dict[str, Any]:
        """The engine's GetVersion payload (raises grpc.RpcError, e.g. unauthenticated)."""
        import json

        from gpt_image_cli.wire import system_call

        value = json.loads(system_call(self.channel, "GetVersion", {}, timeout=timeout) or "{}")
        return value if isinstance(value, dict) else {}

    def _stub(self, name: str, stub: str, module: str | None = None) -> Any:
        """The stub `stub` of `gpt_image.v1.<module or name>_pb2_grpc`, imported on first use (start-up)."""
        if name not in self._stubs:
            import importlib

            grpc_module = importlib.import_module(f"gpt_image.v1.{module or name}_pb2_grpc")
            self._stubs[name] = getattr(grpc_module, stub)(self.channel)
        return self._stubs[name]

    @property
    def system(self) -> system_pb2_grpc.SystemServiceStub:
        return self._stub("system", "SystemServiceStub")

    @property
    def config(self) -> config_pb2_grpc.ConfigServiceStub:
        return self._stub("config", "ConfigServiceStub")

    @property
    def secrets(self) -> config_pb2_grpc.SecretsServiceStub:
        return self._stub("secrets", "SecretsServiceStub", "config")

    @property
    def outputs(self) -> outputs_pb2_grpc.OutputsServiceStub:
        return self._stub("outputs", "OutputsServiceStub")

    @property
    def images(self) -> images_pb2_grpc.ImagesServiceStub:
        return self._stub("images", "ImagesServiceStub")

    @property
    def transparent(self) -> transparent_pb2_grpc.TransparentServiceStub:
        return self._stub("transparent", "TransparentServiceStub")

    @property
    def requests(self) -> requests_pb2_grpc.RequestsServiceStub:
        return self._stub("requests", "RequestsServiceStub")

    @property
    def jobs(self) -> jobs_pb2_grpc.JobsServiceStub:
        return self._stub("jobs", "JobsServiceStub")

    @property
    def artifacts(self) -> artifacts_pb2_grpc.ArtifactsServiceStub:
        return self._stub("artifacts", "ArtifactsServiceStub")

    def close(self) -> None:
        if self.router is not None:
            self.router.close()  # owns this engine's channel too
        else:
            self.channel.close()


def autostart_disabled(env: Mapping[str, str] | None = None) -> bool:
    source: Mapping[str, str] = os.environ if env is None else env
    return (source.get("GPT_IMAGE_2_NO_AUTOSTART") or "").strip().lower() in {"1", "true", "yes", "on"}


def probe(address: EngineAddress, timeout: float = 1.0, settings: ClientSettings | None = None) -> bool:
    """Whether an engine answers SERVING at `address` (fresh channel, no backoff; health needs no token)."""
    if address.kind == "unix" and not Path(address.target).exists():
        return False
    from gpt_image_protocol.health import is_serving

    channel = open_channel(address, settings=settings)
    try:
        return is_serving(channel, timeout=timeout)
    finally:
        channel.close()


def remote_settings(address: EngineAddress, token_file: str | None = None) -> ClientSettings:
    """Token and TLS settings for a TCP address; a dns name is the name its certificate must carry."""
    settings = client_settings(address, token_file=token_file)
    if address.is_dns and settings.tls and not settings.tls_name:
        settings = replace(settings, tls_name=address.host)
    return settings


def _checked(engine: Engine, check: bool) -> Engine:
    if check:
        try:
            check_contract(engine.version())
        except BaseException:
            engine.close()
            raise
    return engine


def pick_engine(address: EngineAddress, settings: ClientSettings) -> EngineAddress:
    """One serving engine of a list or dns address, chosen at random (the others are the fallback)."""
    import random

    members = address.engines()
    random.shuffle(members)
    for member in members:
        if probe(member, timeout=1.0, settings=settings):
            return member
    raise AppError(
        "engine_unavailable",
        f"None of the engines at {address} answered its health check.",
        {"address": str(address), "engines": [str(m) for m in members]},
    )


def shared_cluster(address: EngineAddress, settings: ClientSettings) -> Engine | None:
    """Engines on one shared history and bucket (GetVersion's `stores.shared`): one channel that
    gRPC balances with `round_robin` over all of them, every call to any engine. None when the
    engines keep their own stores (or none answers): then the caller pins and routes by owner."""
    engine = Engine(address=address, channel=open_channel(address, settings=settings), settings=settings)
    try:
        info = engine.version(timeout=5.0)
    except (grpc.RpcError, AppError):
        engine.close()
        return None
    if not (info.get("stores") or {}).get("shared"):
        engine.close()
        return None
    try:
        check_contract(info)
    except BaseException:
        engine.close()
        raise
    return engine


def connect_remote(address: EngineAddress, *, token_file: str | None = None, check: bool = True) -> Engine:
    """A channel to a TCP engine, its token and contract checked. Of several engines: one balanced
    channel when they share their stores, else one engine picked (pinned) among them."""
    settings = remote_settings(address, token_file)
    if not address.is_multi:
        engine = Engine(address=address, channel=open_channel(address, settings=settings), settings=settings)
        return _checked(engine, check)
    shared = shared_cluster(address, settings)
    if shared is not None:
        return shared
    target = pick_engine(address, settings)
    from gpt_image_protocol.routing import EngineRouter

    router = EngineRouter(address, settings)
    engine = Engine(address=target, channel=router.channel(target), requested=address, settings=settings, router=router)
    return _checked(engine, check)


def connect_job(
    engine_flag: str | None, job_id: str, *, autostart: bool = True, token_file: str | None = None
) -> Engine:
    """A channel to the engine that owns `job_id` (of several, the one whose GetJob knows it)."""
    address = resolve_address(engine_flag)
    if address.kind != "tcp" or not address.is_multi:
        return connect(engine_flag, autostart=autostart, token_file=token_file)
    settings = remote_settings(address, token_file)
    shared = shared_cluster(address, settings)
    if shared is not None:  # any engine answers for any job
        return shared
    from gpt_image_protocol.routing import EngineRouter

    router = EngineRouter(address, settings)
    try:
        owner = router.owner(job_id)
    except BaseException:
        router.close()
        raise
    engine = Engine(address=owner, channel=router.channel(owner), requested=address, settings=settings, router=router)
    return _checked(engine, True)


def connect(engine_flag: str | None, *, autostart: bool = True, token_file: str | None = None) -> Engine:
    """Open a channel to the engine, starting the daemon if allowed and needed."""
    address = resolve_address(engine_flag)
    if address.kind == "tcp":
        return connect_remote(address, token_file=token_file)
    started_pid: int | None = None
    if address.is_default and autostart and not probe(address):
        if autostart_disabled():
            raise AppError(
                "engine_unavailable",
                f"No engine is running at {address} and autostart is disabled (GPT_IMAGE_2_NO_AUTOSTART=1).",
                {
                    "address": str(address),
                    "hint": "Run `gpt-image-2-skill engine start` or `gpt-image-2-engine serve`.",
                },
            )
        started_pid = start_engine(address)
    return Engine(address=address, channel=open_channel(address), started_pid=started_pid)


def engine_binary() -> str:
    """GPT_IMAGE_2_ENGINE_BIN, else next to this Python, else on PATH."""
    explicit = (os.environ.get("GPT_IMAGE_2_ENGINE_BIN") or "").strip()
    if explicit:
        if not os.access(explicit, os.X_OK):
            raise AppError(
                "engine_start_failed", f"GPT_IMAGE_2_ENGINE_BIN is not an executable: {explicit}", {"binary": explicit}
            )
        return explicit
    beside = Path(sys.executable).parent / "gpt-image-2-engine"
    if os.access(beside, os.X_OK):
        return str(beside)
    import shutil

    found = shutil.which("gpt-image-2-engine")
    if found:
        return found
    raise AppError(
        "engine_start_failed", "The gpt-image-2-engine executable was not found (set GPT_IMAGE_2_ENGINE_BIN)."
    )


def daemon_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in _CALL_ONLY_ENV}


def start_engine(address: EngineAddress, timeout: float = AUTOSTART_TIMEOUT_S) -> int:
    """Spawn a detached `gpt-image-2-engine serve` on `address` and wait for SERVING."""
    if address.kind != "unix":
        raise AppError(
            "engine_start_failed",
            f"Only an engine on a Unix socket can be started from here, not {address}.",
            {"address": str(address)},
        )
    binary = engine_binary()
    _private_dirs(Path(address.target).parent)
    # The engine reports a start-up failure as one JSON line on stderr: keep it to pass on.
    errors = tempfile.TemporaryFile()  # noqa: SIM115 - handed to the child, closed below
    try:
        proc = subprocess.Popen(
            [binary, "serve", "--socket", address.target],
            env=daemon_env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=errors,
            start_new_session=True,
            close_fds=True,
        )
    except OSError as exc:
        errors.close()
        raise AppError("engine_start_failed", f"Could not start the engine: {exc}", {"binary": binary}) from exc
    with errors:
        return _wait_started(address, proc, binary, errors, timeout)


def _private_dirs(folder: Path) -> None:
    """Create `folder` and any missing parents 0700: the engine's state is the user's alone."""
    missing = []
    current = folder
    while not current.exists() and current != current.parent:
        missing.append(current)
        current = current.parent
    for path in reversed(missing):
        try:
            path.mkdir(mode=0o700)
        except FileExistsError:
            continue
        path.chmod(0o700)  # mkdir's mode is filtered by the umask


def _engine_error(errors: IO[bytes]) -> AppError | None:
    """The coded error the engine printed before exiting, if it printed one."""
    errors.seek(0)
    for line in reversed(errors.read()[-65536:].decode("utf-8", "replace").splitlines()):
        try:
            body = json.loads(line)
        except ValueError:
            continue
        err = body.get("error") if isinstance(body, dict) else None
        if isinstance(err, dict) and is_registered(str(err.get("code"))):
            return AppError(str(err["code"]), str(err.get("message") or ""), err.get("detail"))
    return None


def _wait_started(
    address: EngineAddress, proc: subprocess.Popen[bytes], binary: str, errors: IO[bytes], timeout: float
) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if probe(address, timeout=0.5):
            return proc.pid
        if proc.poll() is not None:
            # Another client may have won a start race; its engine counts.
            if probe(address, timeout=0.5):
                return proc.pid
            reported = _engine_error(errors)
            if reported is not None:
                raise reported
            raise AppError(
                "engine_start_failed",
                f"The engine exited with status {proc.returncode} while starting.",
                {"address": str(address), "binary": binary},
            )
        time.sleep(0.05)
    raise AppError(
        "engine_start_failed",
        f"The engine did not become ready within {timeout:g} s.",
        {"address": str(address), "pid": proc.pid},
    )
