"""Engine-side overhead of one `images generate` (issue 3).

Runs against the loopback fake upstream and a real engine process, and prints,
per path, p50/p95 wall time over N runs:
  upstream alone   a direct HTTP POST to the fake (what the provider itself costs)
  engine (gRPC)    GenerateImage stream to the terminal event + chunked download of the output
  CLI process      the real `gpt-image-2-skill images generate` (process start included)
Engine overhead = engine (gRPC) - upstream alone.

    .venv/bin/python bench/generate_overhead.py [--runs 40]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gpt_image.v1 import artifacts_pb2, artifacts_pb2_grpc, common_pb2, images_pb2, images_pb2_grpc  # noqa: E402
from gpt_image_protocol import jsonshape  # noqa: E402
from gpt_image_protocol.address import parse_address  # noqa: E402
from gpt_image_protocol.channel import open_channel  # noqa: E402
from gpt_image_protocol.health import wait_for_serving  # noqa: E402
from tests.fakeupstream.server import FakeUpstream  # noqa: E402

BIN = Path(sys.executable).parent


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=40)
    ns = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="gi2-bench-"))
    env = {k: v for k, v in os.environ.items() if k not in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "GPT_IMAGE_2_ENGINE")}
    env.update(CODEX_HOME=str(home / "codex"), HOME=str(home), GPT_IMAGE_2_ALLOW_PRIVATE_URLS="1")
    sock = home / "e.sock"
    fake = FakeUpstream(default_size=(1024, 1024)).start()
    engine = subprocess.Popen(
        [str(BIN / "gpt-image-2-engine"), "serve", "--socket", str(sock)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        channel = open_channel(parse_address(f"unix://{sock}"))
        if not wait_for_serving(channel, timeout=15):
            raise SystemExit("engine did not start")
        images = images_pb2_grpc.ImagesServiceStub(channel)
        artifacts = artifacts_pb2_grpc.ArtifactsServiceStub(channel)
        body = {"model": "gpt-image-2", "prompt": "bench", "background": "auto", "size": "1024x1024"}
        http = httpx.Client()

        def upstream() -> None:
            r = http.post(
                f"{fake.openai_base}/images/generations", json=body, headers={"Authorization": "Bearer sk-bench"}
            )
            r.raise_for_status()
            r.json()

        def via_engine() -> None:
            request = images_pb2.GenerateImageRequest(
                options=common_pb2.CallOptions(env_openai_api_key="sk-bench", env_openai_base_url=fake.openai_base),
                image=images_pb2.ImageOptions(prompt="bench", size="1024x1024"),
            )
            final = None
            for event in images.GenerateImage(request, timeout=60):
                if event.terminal:
                    final = event
            assert final is not None and jsonshape.state(final) == "completed", final
            for ref in final.artifacts:
                size = 0
                for chunk in artifacts.DownloadArtifact(
                    artifacts_pb2.DownloadArtifactRequest(artifact_id=ref.artifact_id)
                ):
                    size += len(chunk.data)
                assert size == ref.size_bytes

        cli_env = dict(
            env, GPT_IMAGE_2_ENGINE=f"unix://{sock}", OPENAI_API_KEY="sk-bench", OPENAI_BASE_URL=fake.openai_base
        )
        out = home / "out.png"

        def via_cli() -> None:
            subprocess.run(
                [
                    str(BIN / "gpt-image-2-skill"),
                    "images",
                    "generate",
                    "--prompt",
                    "bench",
                    "--size",
                    "1024x1024",
                    "--out",
                    str(out),
                    "--json",
                ],
                env=cli_env,
                check=True,
                capture_output=True,
            )

        rows = []
        for name, fn, runs in (
            ("upstream alone", upstream, ns.runs),
            ("engine (gRPC)", via_engine, ns.runs),
            ("CLI process", via_cli, max(10, ns.runs // 4)),
        ):
            for _ in range(3):
                fn()
            times = []
            for _ in range(runs):
                t0 = time.perf_counter()
                fn()
                times.append((time.perf_counter() - t0) * 1000)
            rows.append((name, runs, statistics.median(times), pct(times, 0.95)))
        print(f"{'path':<16} {'runs':>5} {'p50 ms':>9} {'p95 ms':>9}")
        for name, runs, p50, p95 in rows:
            print(f"{name:<16} {runs:>5} {p50:>9.2f} {p95:>9.2f}")
        print(f"engine-side overhead (p50): {rows[1][2] - rows[0][2]:.2f} ms per generate (1024x1024 PNG, Unix socket)")
        channel.close()
    finally:
        engine.terminate()
        engine.wait(timeout=30)
        fake.stop()


if __name__ == "__main__":
    main()
