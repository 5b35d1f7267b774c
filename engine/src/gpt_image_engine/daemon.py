"""`gpt-image-2-engine`: serve, status and stop the engine daemon.

`serve` binds the Unix socket (0600) at `$CODEX_HOME/gpt-image-2-skill/engine.sock`
unless --socket says otherwise, writes a pid file and a JSON-lines log, marks
jobs a previous process left unfinished as failed (`engine_restarted`), and
on SIGTERM/SIGINT or a Shutdown call stops gracefully: it refuses new work,
lets running jobs finish within the grace period and records the rest as
interrupted.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import time
from pathlib import Path

from gpt_image_engine import __version__
from gpt_image_engine.store.paths import EnginePaths
from gpt_image_protocol.address import EngineAddress
from gpt_image_protocol.channel import open_channel
from gpt_image_protocol.health import is_serving

log = logging.getLogger("gpt_image_engine.daemon")


def _socket_answers(path: Path) -> bool:
    if not path.exists():
        return False
    channel = open_channel(EngineAddress("unix", str(path)))
    try:
        return is_serving(channel, timeout=1.0)
    finally:
        channel.close()


def serve(socket_path: Path, max_parallel: int, grace: float) -> int:
    from gpt_image_engine.errors import AppError
    from gpt_image_engine.logsetup import setup_logging
    from gpt_image_engine.server import EngineServer
    from gpt_image_engine.state import Engine

    os.umask(0o077)  # everything the engine writes is private to its user
    paths = EnginePaths.from_env()
    paths.shared_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    setup_logging(paths.log_file)
    if _socket_answers(socket_path):
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
    if socket_path.exists() or socket_path.is_symlink():
        socket_path.unlink()  # stale socket from a killed engine
    try:
        engine = Engine.open(paths, max_parallel=max_parallel)
    except AppError as err:
        print(json.dumps({"ok": False, "error": err.to_envelope()}), file=sys.stderr)
        return 1
    interrupted = engine.history.mark_interrupted("engine_restarted")
    if interrupted:
        log.warning("marked %d unfinished jobs as failed", len(interrupted), extra={"data": {"job_ids": interrupted}})
    server = EngineServer(engine)
    server.bind_unix(socket_path)
    server.set_serving(True)
    pid_file = paths.pid_file if socket_path == paths.socket_path else socket_path.with_suffix(".pid")
    pid_file.write_text(json.dumps({"pid": os.getpid(), "socket": str(socket_path), "version": __version__}) + "\n")
    pid_file.chmod(0o600)
    log.info("engine serving", extra={"data": {"socket": str(socket_path), "pid": os.getpid(), "version": __version__}})

    def on_signal(signum: int, frame: object) -> None:
        engine.stop_requested.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        while not engine.stop_requested.wait(0.5):
            pass
    finally:
        log.info("engine stopping")
        server.set_serving(False)
        leftover = engine.jobs.shutdown(grace)
        if leftover:
            log.warning("jobs interrupted by shutdown", extra={"data": {"job_ids": leftover}})
        server.stop(grace=2.0)
        engine.close()
        for path in (pid_file, socket_path):
            try:
                path.unlink()
            except FileNotFoundError:
                pass
        log.info("engine stopped")
    return 0


def _read_pid(pid_file: Path) -> int | None:
    try:
        return int(json.loads(pid_file.read_text())["pid"])
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
    ns = parser.parse_args(argv)
    paths = EnginePaths.from_env()
    socket_path = (ns.socket or paths.socket_path).expanduser().absolute()
    pid_file = paths.pid_file if socket_path == paths.socket_path else socket_path.with_suffix(".pid")
    if ns.command == "serve":
        return serve(socket_path, max(1, min(32, ns.max_parallel)), ns.grace)
    if ns.command == "status":
        return status(socket_path, pid_file)
    return stop(socket_path, pid_file)


if __name__ == "__main__":
    sys.exit(main())
