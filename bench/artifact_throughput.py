"""Artifact download throughput: Unix socket vs TCP loopback with TLS (and plaintext TCP) (issue 8).

One engine serves its Unix socket and a TLS + token TCP listener at once (certificates
made here), a second engine serves plaintext loopback TCP (`--insecure-no-tls`), so the
table separates the cost of TCP from the cost of TLS. A 20 MB random artifact is
uploaded once per engine and downloaded `--runs` times per path with the chunked
DownloadArtifact stream (1 MiB chunks), exactly as the CLI and gateway do.

    .venv/bin/python bench/artifact_throughput.py [--mb 20] [--runs 8]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gpt_image.v1 import artifacts_pb2, artifacts_pb2_grpc  # noqa: E402
from gpt_image_protocol.address import parse_address  # noqa: E402
from gpt_image_protocol.channel import CHUNK_SIZE, open_channel  # noqa: E402
from tests.remote.support import TcpEngine, make_pki, short_tmp, write_token  # noqa: E402


def upload(stub: artifacts_pb2_grpc.ArtifactsServiceStub, data: bytes) -> str:
    digest = hashlib.sha256(data).hexdigest()

    def messages():  # type: ignore[no-untyped-def]
        header = artifacts_pb2.ArtifactHeader(name="blob.bin", size_bytes=len(data), sha256=digest)
        yield artifacts_pb2.UploadArtifactRequest(header=header)
        for start in range(0, len(data), CHUNK_SIZE):
            yield artifacts_pb2.UploadArtifactRequest(chunk=data[start : start + CHUNK_SIZE])

    return str(stub.UploadArtifact(messages(), timeout=120).artifact_id)


def download_seconds(stub: artifacts_pb2_grpc.ArtifactsServiceStub, artifact_id: str, size: int) -> float:
    started = time.perf_counter()
    received = 0
    for chunk in stub.DownloadArtifact(artifacts_pb2.DownloadArtifactRequest(artifact_id=artifact_id), timeout=120):
        received += len(chunk.data)
    elapsed = time.perf_counter() - started
    assert received == size, (received, size)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=int, default=20)
    parser.add_argument("--runs", type=int, default=8)
    ns = parser.parse_args()
    work = short_tmp()
    pki = make_pki(work / "pki")
    token_file = work / "token"
    token = write_token(token_file)
    sock = work / "e.sock"
    tls_engine = TcpEngine(home=work / "tls", pki=pki, token_file=token_file, extra_args=["--socket", str(sock)])
    tls_engine.args = lambda: [a for a in TcpEngine.args(tls_engine) if a != "--no-socket"]  # type: ignore[method-assign]
    plain_engine = TcpEngine(home=work / "plain", pki=None, token_file=token_file)
    data = os.urandom(ns.mb * 1024 * 1024)
    tls_engine.start()
    plain_engine.start()
    try:
        paths = {
            "unix socket": open_channel(parse_address(f"unix://{sock}")),
            "tcp loopback, TLS + token": open_channel(
                parse_address(tls_engine.address), ca_file=str(pki.ca), token=token
            ),
            "tcp loopback, plaintext + token": open_channel(
                parse_address(plain_engine.address), token=token, tls=False
            ),
        }
        ids: dict[str, str] = {}
        tls_id = upload(artifacts_pb2_grpc.ArtifactsServiceStub(paths["unix socket"]), data)
        ids["unix socket"] = ids["tcp loopback, TLS + token"] = tls_id
        ids["tcp loopback, plaintext + token"] = upload(
            artifacts_pb2_grpc.ArtifactsServiceStub(paths["tcp loopback, plaintext + token"]), data
        )
        mb = len(data) / 1e6
        print(f"{ns.mb} MiB artifact ({mb:.1f} MB), {ns.runs} downloads per path after one warm-up")
        print(f"{'path':34} {'median MB/s':>12} {'best MB/s':>10} {'median s':>9}")
        for name, channel in paths.items():
            stub = artifacts_pb2_grpc.ArtifactsServiceStub(channel)
            download_seconds(stub, ids[name], len(data))  # warm-up: connection, TLS handshake, page cache
            times = [download_seconds(stub, ids[name], len(data)) for _ in range(ns.runs)]
            median = statistics.median(times)
            print(f"{name:34} {mb / median:12.0f} {mb / min(times):10.0f} {median:9.3f}")
        for channel in paths.values():
            channel.close()
    finally:
        tls_engine.stop()
        plain_engine.stop()


if __name__ == "__main__":
    main()
