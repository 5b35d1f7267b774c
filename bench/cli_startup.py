"""CLI start-up cost (issue 16): a warm `gpt-image-2-skill --json doctor` against
`python -c "import grpc"`, the floor any gRPC client pays.

A real engine runs on a temporary socket with the provider endpoints pointed at the
loopback fake upstream (so `doctor`'s reachability probes stay on this machine).
After warm-up runs (bytecode cached, engine warm), the two commands alternate N
times; the figures are the ratios of medians (the goal is <= 1.5) of wall time and
of the client process's CPU time (user + system), the steadier of the two on a busy
machine (the engine's few milliseconds of work show only in the wall time).

    .venv/bin/python bench/cli_startup.py [--runs 15]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gpt_image_protocol.address import parse_address  # noqa: E402
from gpt_image_protocol.channel import open_channel  # noqa: E402
from gpt_image_protocol.health import wait_for_serving  # noqa: E402
from tests.fakeupstream.server import FakeUpstream  # noqa: E402

BIN = Path(sys.executable).parent


def timed(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the child: user + system)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"{argv} failed ({proc.returncode}): {proc.stderr.decode()[-400:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    ns = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="gi2-bench-"))
    # Warm means cached bytecode: a PYTHONDONTWRITEBYTECODE in the caller would make every run compile.
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("OPENAI_", "GPT_IMAGE_2_")) and k != "PYTHONDONTWRITEBYTECODE"
    }
    env.update(CODEX_HOME=str(home / "codex"), HOME=str(home), GPT_IMAGE_2_ALLOW_PRIVATE_URLS="1")
    sock = home / "e.sock"
    fake = FakeUpstream().start()
    engine = subprocess.Popen(
        [str(BIN / "gpt-image-2-engine"), "serve", "--socket", str(sock)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        channel = open_channel(parse_address(f"unix://{sock}"))
        if not wait_for_serving(channel, timeout=30):
            raise SystemExit("engine did not start")
        channel.close()
        client_env = dict(env)
        client_env.update(
            GPT_IMAGE_2_ENGINE=f"unix://{sock}",
            GPT_IMAGE_2_NO_AUTOSTART="1",
            OPENAI_API_KEY="sk-bench",
            OPENAI_BASE_URL=fake.openai_base,
        )
        doctor = [str(BIN / "gpt-image-2-skill"), "--json", "--endpoint", fake.codex_endpoint, "doctor"]
        grpc_only = [sys.executable, "-c", "import grpc"]
        for _ in range(3):  # warm: bytecode, page cache, engine code paths
            timed(doctor, client_env)
            timed(grpc_only, client_env)
        base: list[tuple[float, float]] = []
        cli: list[tuple[float, float]] = []
        for _ in range(ns.runs):
            base.append(timed(grpc_only, client_env))
            cli.append(timed(doctor, client_env))
        wall_b, wall_c = (statistics.median(w for w, _ in runs) for runs in (base, cli))
        cpu_b, cpu_c = (statistics.median(c for _, c in runs) for runs in (base, cli))
        print(
            f"cli start-up ({ns.runs} alternating runs, medians): --json doctor {wall_c * 1000:.0f} ms wall / "
            f"{cpu_c * 1000:.0f} ms CPU vs import grpc {wall_b * 1000:.0f} ms wall / {cpu_b * 1000:.0f} ms CPU: "
            f"ratio {wall_c / wall_b:.2f} wall, {cpu_c / cpu_b:.2f} CPU (goal <= 1.50)"
        )
    finally:
        engine.terminate()
        engine.wait(timeout=30)
        fake.stop()


if __name__ == "__main__":
    main()
