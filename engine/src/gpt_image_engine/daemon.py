"""`gpt-image-2-engine`: serve, status and stop the engine daemon.

`serve` binds the Unix socket (0600) at `$CODEX_HOME/gpt-image-2-skill/engine.sock`
unless --socket says otherwise (or --no-socket), and with `--listen HOST:PORT`
a TCP listener beside it: that one always needs `--token-file`, and TLS
(`--tls-cert/--tls-key`, `--tls-client-ca` for mTLS) unless the host is
loopback and `--insecure-no-tls` is given. It writes a pid file (the bare PID; details in engine.json beside it) and a JSON-lines log, marks
jobs a previous process left unfinished as failed (`engine_restarted`), and
on SIGTERM/SIGINT or a Shutdown call stops gracefully: it refuses new work,
lets running jobs finish within the grace period and records the rest as
interrupted.
"""

from __future__ import annotations

import argparse
import gc
import json
import logging
import os
import signal
import stat
import sys
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gpt_image_engine import __version__
from gpt_image_engine.errors import AppError
from gpt_image_engine.jobs.recovery import stamp_interrupted
from gpt_image_engine.store.atomic import sweep_temp_files
from gpt_image_engine.store.paths import EnginePaths
from gpt_image_protocol.address import EngineAddress
from gpt_image_protocol.channel import open_channel
from gpt_image_protocol.health import is_serving

if TYPE_CHECKING:
    from gpt_image_engine.state import Engine

log = logging.getLogger("gpt_image_engine.daemon")


# sockaddr_un.sun_path holds 108 bytes on Linux, one of them the terminating NUL.
UNIX_PATH_MAX = 107


def _socket_answers(path: Path) -> bool:
    if not path.exists():
        return False
    channel = open_channel(EngineAddress("unix", str(path)))
    try:
        return is_serving(channel, timeout=1.0)
    finally:
        channel.close()


@dataclass(frozen=True)
class TcpOptions:
    """What `--listen` and its companions asked for."""

    listen: list[str] = field(default_factory=list)
    token_file: Path | None = None
    tls_cert: Path | None = None
    tls_key: Path | None = None
    tls_client_ca: Path | None = None
    insecure_no_tls: bool = False
    max_connection_age: float = 30 * 60.0
    max_connection_age_grace: float = 15 * 60.0
    health_listen: str | None = None


# glibc raises its mmap threshold each time a big mmapped block is freed (up to 32 MiB), after
# which a job's 10-50 MB response buffers come from per-thread heap arenas that fragment and are
# never given back: 64 jobs of 4K images left a 2-job engine at ~1 GB. A fixed threshold keeps
# such buffers mmapped, so freeing one returns it to the OS; 1 MiB gRPC chunks stay below it.
_MMAP_THRESHOLD = 4 * 1024 * 1024
_M_MMAP_THRESHOLD = -3  # mallopt parameter number (malloc.h)


def _pin_mmap_threshold() -> None:
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD)
    except (OSError, AttributeError):  # not glibc (musl, ...): nothing to tune
        pass


def _fail(err: Any) -> int:
    print(json.dumps({"ok": False, "error": err.to_envelope()}), file=sys.stderr)
    return 1


def _split_listen(value: str) -> tuple[str, int]:
    from gpt_image_engine.security.auth import split_listen

    return split_listen(value)


def _tcp_plan(tcp: TcpOptions) -> tuple[str | None, list[tuple[str, int]], Any]:
    """Validate the TCP flags before anything is opened: (token, [(host, port)], tls files)."""
    from gpt_image_engine.security.auth import check_listener, load_token, split_listen, token_file_is_private
    from gpt_image_engine.server import TlsFiles

    if not tcp.listen:
        if tcp.tls_cert or tcp.tls_key or tcp.tls_client_ca or tcp.insecure_no_tls:
            log.warning("TCP flags given without --listen; they have no effect")
        return None, [], None
    if bool(tcp.tls_cert) != bool(tcp.tls_key):
        raise AppError("invalid_argument", "--tls-cert and --tls-key go together.")
    if tcp.tls_client_ca and not tcp.tls_cert:
        raise AppError("invalid_argument", "--tls-client-ca needs --tls-cert and --tls-key.")
    if tcp.insecure_no_tls and tcp.tls_cert:
        raise AppError("invalid_argument", "--insecure-no-tls and --tls-cert exclude each other.")
    token = load_token(tcp.token_file) if tcp.token_file else None
    if tcp.token_file and not token_file_is_private(tcp.token_file):
        log.warning("the token file is readable by other users", extra={"data": {"path": str(tcp.token_file)}})
    listeners = [split_listen(value) for value in tcp.listen]
    for host, _ in listeners:
        check_listener(host, has_token=bool(token), has_tls=bool(tcp.tls_cert), insecure_no_tls=tcp.insecure_no_tls)
    tls = TlsFiles(tcp.tls_cert, tcp.tls_key, tcp.tls_client_ca) if tcp.tls_cert and tcp.tls_key else None
    return token, listeners, tls


def _apply_logging_setting(paths: EnginePaths) -> None:
    """config.json `logging.debug` (the web settings' toggle) turns debug records on at start-up."""
    from gpt_image_engine.store.config import load_config
    from gpt_image_engine.store.webconfig import apply_logging

    try:
        apply_logging(load_config(paths.config_file).get("logging"))
    except AppError:
        pass  # a broken config.json is reported by the config calls


def preload(engine: Engine) -> None:
    """What the first job would otherwise build, done before SERVING so that no job pays for it
    (~40 ms of CPU) and it is frozen with the rest of start-up: every use case's module (and
    through them the providers and the HTTP stack) and the provider client for the configured
    proxy (its TLS context alone reads the CA bundle)."""
    from gpt_image_engine.outputs.proxy import effective_proxy
    from gpt_image_engine.store.config import load_config
    from gpt_image_engine.tasks.run import load_use_cases

    load_use_cases()
    try:
        engine.proxies.get(effective_proxy(load_config(engine.paths.config_file).get("proxy")))
    except AppError:
        pass  # an unreadable config or a bad proxy is reported by the call that uses it


def serve(
    socket_path: Path | None,
    max_parallel: int,
    grace: float,
    tcp: TcpOptions | None = None,
    database_url: str | None = None,
) -> int:
    from gpt_image_engine.logsetup import setup_logging
    from gpt_image_engine.server import ConnectionPolicy, EngineServer
    from gpt_image_engine.state import Engine

    tcp = tcp or TcpOptions()
    os.umask(0o077)  # everything the engine writes is private to its user
    _pin_mmap_threshold()
    paths = EnginePaths.from_env()
    if database_url:
        paths = replace(paths, database_url=database_url)
    paths.shared_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    setup_logging(paths.log_file)
    _apply_logging_setting(paths)
    try:
        token, listeners, tls = _tcp_plan(tcp)
        health_target = _split_listen(tcp.health_listen) if tcp.health_listen else None
    except AppError as err:
        return _fail(err)
    if socket_path is None and not listeners:
        # (a health-only listener serves nothing a client can use)
        return _fail(AppError("invalid_argument", "--no-socket needs at least one --listen HOST:PORT."))
    if socket_path is not None and _socket_answers(socket_path):
        print(
            json.dumps(
                {
                    "ok": False,
                    "error": {"code": "engine_unavailable", "message": f"An engine already serves at {socket_path}."},
                }
            ),
            file=sys.stderr,
        )
        return 1
    if socket_path is not None and len(os.fsencode(socket_path)) > UNIX_PATH_MAX:
        return _fail(
            AppError(
                "invalid_argument",
                f"The socket path {socket_path} is {len(os.fsencode(socket_path))} bytes; Unix sockets allow at most "
                f"{UNIX_PATH_MAX}. Use a shorter CODEX_HOME or pass --socket with a shorter path.",
                {"socket": str(socket_path), "limit_bytes": UNIX_PATH_MAX},
            )
        )
    if socket_path is not None and (socket_path.exists() or socket_path.is_symlink()):
        if not (socket_path.is_symlink() or stat.S_ISSOCK(socket_path.stat().st_mode)):
            # A file that is not a socket is someone's data: never delete it.
            return _fail(
                AppError(
                    "invalid_argument",
                    f"--socket {socket_path} exists and is not a socket; it was left untouched. Choose another path.",
                    {"socket": str(socket_path)},
                )
            )
        socket_path.unlink()  # stale socket from a killed engine
    try:
        engine = Engine.open(paths, max_parallel=max_parallel)
    except AppError as err:
        return _fail(err)
    # In a cluster the other engines' jobs are alive: a dead engine's jobs are found by lease expiry.
    interrupted = [] if engine.jobs.shared else engine.history.mark_interrupted("engine_restarted")
    if interrupted:
        stamp_interrupted(engine.history, paths.jobs_dir, interrupted)
        log.warning("marked %d unfinished jobs as failed", len(interrupted), extra={"data": {"job_ids": interrupted}})
    # Temp files are only ever mid-write; with no job running yet, any here are a killed
    # process's leftovers (the finished files beside them are whole: writes rename into place).
    swept = sweep_temp_files(paths.jobs_dir) + sweep_temp_files(paths.uploads_dir, prune_emptied=True)
    if swept:
        log.warning(
            "removed %d temp files left by a previous process",
            len(swept),
            extra={"data": {"paths": [str(p) for p in swept]}},
        )
    policy = ConnectionPolicy(
        max_connection_age=tcp.max_connection_age, max_connection_age_grace=tcp.max_connection_age_grace
    )
    server = EngineServer(engine, token=token, policy=policy)
    bound: list[str] = []
    bound_health: str | None = None
    try:
        for host, port in listeners:
            actual = server.bind_tcp(host, port, tls)
            bound.append(f"[{host}]:{actual}" if ":" in host else f"{host}:{actual}")
        if socket_path is not None:
            server.bind_unix(socket_path, start=False)
        server.start()
        if health_target is not None:
            health_port = server.bind_health(*health_target)
            bound_health = f"{health_target[0]}:{health_port}"
    except (AppError, OSError, RuntimeError) as err:
        server.stop(0)
        engine.close()
        coded = err if isinstance(err, AppError) else AppError("engine_unavailable", f"Cannot listen: {err}")
        return _fail(coded)
    preload(engine)
    # Start-up objects live for the whole process: keep the cyclic GC from re-scanning them per job.
    gc.collect()
    gc.freeze()
    if socket_path is None or socket_path == paths.socket_path:
        pid_file = paths.pid_file
    else:
        pid_file = socket_path.with_suffix(".pid")
    info = {
        "pid": os.getpid(),
        "socket": str(socket_path) if socket_path else None,
        "listen": bound,
        "health_listen": bound_health,
        "tls": tls is not None,
        "mtls": bool(tls and tls.client_ca),
        "version": __version__,
    }
    # engine.pid holds the bare PID (for `kill $(cat engine.pid)`, systemd PIDFile=, pgrep -F);
    # what else a reader may want sits beside it in engine.json.
    info_file = pid_file.with_suffix(".json")
    info_file.write_text(json.dumps(info) + "\n")
    info_file.chmod(0o600)
    pid_file.write_text(f"{os.getpid()}\n")
    pid_file.chmod(0o600)

    def on_signal(signum: int, frame: object) -> None:
        engine.stop_requested.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    # Last: a client that waited for SERVING finds engine.pid and a graceful SIGTERM already there.
    server.set_serving(True)
    log.info("engine serving", extra={"data": info})
    try:
        while not engine.stop_requested.wait(0.5):
            if socket_path is not None and not socket_path.exists():
                # Someone removed our socket (a wiped data or temp folder): no client can reach
                # us any more, so stop instead of lingering as an orphan.
                log.warning("socket removed; stopping", extra={"data": {"socket": str(socket_path)}})
                break
    finally:
        log.info("engine stopping")
        server.set_serving(False)
        leftover = engine.jobs.shutdown(grace)
        if leftover:
            log.warning("jobs interrupted by shutdown", extra={"data": {"job_ids": leftover}})
        server.stop(grace=2.0)
        engine.close()
        for path in (pid_file, info_file, socket_path):
            if path is None:
                continue
            try:
                path.unlink()
            except FileNotFoundError:
                pass
        log.info("engine stopped")
    return 0


def _read_pid(pid_file: Path) -> int | None:
    """The PID in `engine.pid` (a bare number; a JSON object from an older engine is read too)."""
    try:
        text = pid_file.read_text().strip()
        return int(text) if text.isdigit() else int(json.loads(text)["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def status(socket_path: Path, pid_file: Path) -> int:
    running = _socket_answers(socket_path)
    print(
        json.dumps(
            {
                "ok": True,
                "running": running,
                "socket": str(socket_path),
                "pid": _read_pid(pid_file) if running else None,
            },
            indent=2,
        )
    )
    return 0


def stop(socket_path: Path, pid_file: Path, timeout: float = 30.0) -> int:
    pid = _read_pid(pid_file)
    if not _socket_answers(socket_path) or pid is None:
        print(json.dumps({"ok": True, "stopped": False, "running": False, "socket": str(socket_path)}, indent=2))
        return 0
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    print(json.dumps({"ok": True, "stopped": True, "pid": pid, "socket": str(socket_path)}, indent=2))
    return 0


def migrate_history(source: Path, url: str) -> int:
    """`migrate-history`: one JSON envelope on stdout (counts per table), or the coded error on stderr."""
    from gpt_image_engine.store.history.migrate import copy_sqlite_to_postgres

    try:
        report = copy_sqlite_to_postgres(source.expanduser(), url)
    except AppError as err:
        return _fail(err)
    print(json.dumps({"ok": True, **report}))
    return 0


def _env_path(name: str) -> Path | None:
    value = (os.environ.get(name) or "").strip()
    return Path(value) if value else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="gpt-image-2-engine", description="The gpt-image-2 engine daemon.")
    parser.add_argument("--version", action="version", version=f"gpt-image-2-engine {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("serve", "status", "stop"):
        p = sub.add_parser(name)
        p.add_argument(
            "--socket",
            type=Path,
            default=None,
            help="Unix socket path (default: $CODEX_HOME/gpt-image-2-skill/engine.sock)",
        )
        if name == "serve":
            p.add_argument(
                "--max-parallel", type=int, default=int(os.environ.get("GPT_IMAGE_2_MAX_PARALLEL", "2") or 2)
            )
            p.add_argument("--grace", type=float, default=30.0, help="Seconds running jobs get on shutdown.")
            p.add_argument("--no-socket", action="store_true", help="Serve on --listen only, without the Unix socket.")
            p.add_argument(
                "--listen",
                action="append",
                default=[],
                metavar="HOST:PORT",
                help="Also listen on TCP (repeatable; needs --token-file, and TLS unless loopback + --insecure-no-tls).",
            )
            p.add_argument(
                "--token-file",
                type=Path,
                default=_env_path("GPT_IMAGE_2_ENGINE_TOKEN_FILE"),
                help="File holding the bearer token TCP clients must send (env GPT_IMAGE_2_ENGINE_TOKEN_FILE).",
            )
            p.add_argument("--tls-cert", type=Path, default=None, help="PEM certificate chain for the TCP listener.")
            p.add_argument("--tls-key", type=Path, default=None, help="PEM private key for --tls-cert.")
            p.add_argument("--tls-client-ca", type=Path, default=None, help="Require client certificates from this CA.")
            p.add_argument("--insecure-no-tls", action="store_true", help="Plaintext TCP (loopback only; for tests).")
            p.add_argument(
                "--health-listen",
                default=None,
                metavar="HOST:PORT",
                help="Plaintext listener for grpc.health.v1 only (for kubelet grpc: probes and load balancers).",
            )
            p.add_argument(
                "--database-url",
                default=None,
                metavar="postgresql://...",
                help="Keep the history in this PostgreSQL database (env GPT_IMAGE_2_DATABASE_URL; default history.sqlite).",
            )
            p.add_argument("--max-connection-age", type=float, default=30 * 60.0, help="Seconds before GOAWAY.")
            p.add_argument(
                "--max-connection-age-grace",
                type=float,
                default=15 * 60.0,
                help="Seconds open streams get after GOAWAY.",
            )
    m = sub.add_parser("migrate-history", help="Copy the SQLite history into an empty PostgreSQL database.")
    m.add_argument("--to", required=True, metavar="postgresql://...", help="The target database (must hold no jobs).")
    m.add_argument(
        "--from",
        dest="source",
        type=Path,
        default=None,
        help="The history.sqlite to copy (default: GPT_IMAGE_2_HISTORY_FILE or the engine's).",
    )
    ns = parser.parse_args(argv)
    paths = EnginePaths.from_env()
    if ns.command == "migrate-history":
        return migrate_history(ns.source or paths.history_file, ns.to)
    socket_path = (ns.socket or paths.socket_path).expanduser().absolute()
    pid_file = paths.pid_file if socket_path == paths.socket_path else socket_path.with_suffix(".pid")
    if ns.command == "serve":
        tcp = TcpOptions(
            listen=list(ns.listen),
            token_file=ns.token_file,
            tls_cert=ns.tls_cert,
            tls_key=ns.tls_key,
            tls_client_ca=ns.tls_client_ca,
            insecure_no_tls=ns.insecure_no_tls,
            max_connection_age=max(1.0, ns.max_connection_age),
            max_connection_age_grace=max(0.0, ns.max_connection_age_grace),
            health_listen=ns.health_listen,
        )
        return serve(
            None if ns.no_socket else socket_path,
            max(1, min(32, ns.max_parallel)),
            ns.grace,
            tcp,
            database_url=(ns.database_url or "").strip() or None,
        )
    if ns.command == "status":
        return status(socket_path, pid_file)
    return stop(socket_path, pid_file)


if __name__ == "__main__":
    sys.exit(main())
