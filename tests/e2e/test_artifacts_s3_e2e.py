"""Engines whose artifacts live in a real SeaweedFS bucket (GPT_IMAGE_2_ARTIFACTS_URL).

The real CLI generates through the loopback fake upstream on engine A; the output, the
spooled provider response and the stored request land whole in the bucket; engine B (its own
CODEX_HOME, the same bucket) streams the output back by id, also from an offset, after A's
working folder is gone. A missing bucket or refused keys stop an engine at start with a coded,
secret-free error; `doctor` shows the store.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ENGINE, EngineProc, base_env


def s3_vars(server: Any, url: str) -> dict[str, str]:
    return dict(server.engine_env(url))


def make_engine(root: Path, name: str, extra: dict[str, str]) -> EngineProc:
    home = root / name
    home.mkdir()
    proc = EngineProc(home=home, env=base_env(home), socket=Path(tempfile.mkdtemp(prefix="gi2-")) / "e.sock")
    proc.extra_env = extra
    return proc


@pytest.fixture
def pair(s3_server: Any, s3_url: str, tmp_path: Path) -> Iterator[tuple[EngineProc, EngineProc]]:
    engines = [make_engine(tmp_path, name, s3_vars(s3_server, s3_url)) for name in ("a", "b")]
    try:
        for proc in engines:
            proc.start()
        yield engines[0], engines[1]
    finally:
        for proc in engines:
            proc.stop()


def download(engine: EngineProc, artifact_id: str, offset: int = 0) -> tuple[bytes, Any, int]:
    """(bytes, ref, messages) of a DownloadArtifact stream from `engine`."""
    from gpt_image.v1 import artifacts_pb2, artifacts_pb2_grpc
    from gpt_image_protocol.address import parse_address
    from gpt_image_protocol.channel import open_channel

    channel = open_channel(parse_address(engine.address))
    try:
        stub = artifacts_pb2_grpc.ArtifactsServiceStub(channel)
        chunks = list(
            stub.DownloadArtifact(artifacts_pb2.DownloadArtifactRequest(artifact_id=artifact_id, offset=offset))
        )
    finally:
        channel.close()
    assert chunks[0].offset == offset
    return b"".join(c.data for c in chunks), chunks[0].ref, len(chunks)


def test_generate_into_the_bucket_and_download_from_another_engine(
    pair: tuple[EngineProc, EngineProc], s3_server: Any, s3_url: str, fake_upstream: Any, tmp_path: Path
) -> None:
    a, b = pair
    out = tmp_path / "out" / "apple"
    env = a.client_env(OPENAI_API_KEY="sk-test-s3", OPENAI_BASE_URL=fake_upstream.openai_base)
    r = a.cli("images", "generate", "--prompt", "an apple", "--out", str(out), env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    saved = Path(r.json["output"]["path"]).read_bytes()
    job_id = r.json["history"]["job_id"]

    prefix = s3_url.split("/", 3)[3] + "/"
    listed = s3_server.client().list_objects_v2(Bucket=s3_server.bucket, Prefix=f"{prefix}jobs/{job_id}/")
    names = {item["Key"].rsplit("/", 1)[-1]: item["Size"] for item in listed.get("Contents", [])}
    assert {"out.png", "raw_response.json", "spec.json"} <= set(names)  # the stored spec too: retry anywhere
    assert names["out.png"] == len(saved)
    head = s3_server.client().head_object(Bucket=s3_server.bucket, Key=f"{prefix}jobs/{job_id}/out.png")
    assert head["Metadata"]["sha256"] == hashlib.sha256(saved).hexdigest()

    shutil.rmtree(a.shared_dir / "jobs" / job_id)  # the store is the bucket, not A's working folder
    data, ref, _ = download(b, f"{job_id}/out.png")
    assert data == saved and ref.sha256 == hashlib.sha256(saved).hexdigest() and ref.size_bytes == len(saved)
    tail, _, _ = download(a, f"{job_id}/out.png", offset=100)
    assert tail == saved[100:]
    assert not (b.shared_dir / "jobs" / job_id).exists()  # a download streams; it fills no folder

    missing = subprocess.run([*_grpc_download_cmd(b, f"{job_id}/nope.png")], capture_output=True, text=True, timeout=60)
    assert "artifact_not_found" in missing.stdout + missing.stderr

    doctor = a.cli("doctor", "--json", env=env)
    store = json.loads(doctor.stdout)["artifact_store"]
    assert store["kind"] == "s3" and store["bucket"] == s3_server.bucket and store["reachable"] is True
    assert store["endpoint"] == s3_server.endpoint
    assert s3_server.secret_key not in doctor.stdout + doctor.stderr
    logs = (a.shared_dir / "logs" / "engine.log").read_text() + (a.home / "engine-stderr.log").read_text()
    assert s3_server.secret_key not in logs


def _grpc_download_cmd(engine: EngineProc, artifact_id: str) -> list[str]:
    """The CLI has no download-by-id command: a tiny client process asks the engine instead."""
    import sys

    code = (
        "import sys\n"
        "from gpt_image.v1 import artifacts_pb2, artifacts_pb2_grpc\n"
        "from gpt_image_protocol.address import parse_address\n"
        "from gpt_image_protocol.channel import open_channel\n"
        "from gpt_image_protocol.rpc_errors import from_rpc_error\n"
        "import grpc\n"
        f"stub = artifacts_pb2_grpc.ArtifactsServiceStub(open_channel(parse_address({engine.address!r})))\n"
        "try:\n"
        f"    list(stub.DownloadArtifact(artifacts_pb2.DownloadArtifactRequest(artifact_id={artifact_id!r})))\n"
        "except grpc.RpcError as exc:\n"
        "    print(from_rpc_error(exc).code)\n"
    )
    return [sys.executable, "-c", code]


@pytest.mark.parametrize("problem", ["missing_bucket", "wrong_secret"])
def test_an_engine_with_a_bad_bucket_does_not_start(problem: str, s3_server: Any, s3_url: str, tmp_path: Path) -> None:
    extra = s3_vars(s3_server, s3_url)
    if problem == "missing_bucket":
        extra["GPT_IMAGE_2_ARTIFACTS_URL"] = "s3://no-such-bucket/x"
    else:
        extra["AWS_SECRET_ACCESS_KEY"] = "a-wrong-secret-1234567890"
    home = tmp_path / "home"
    home.mkdir()
    env = {**base_env(home), **extra}
    sock = Path(tempfile.mkdtemp(prefix="gi2-")) / "e.sock"
    proc = subprocess.run([ENGINE, "serve", "--socket", str(sock)], env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    error = json.loads(proc.stderr.strip().splitlines()[-1])["error"]
    assert error["code"] == "artifact_store_unavailable"
    assert error["detail"]["endpoint"] == s3_server.endpoint
    reason = "bucket does not exist" if problem == "missing_bucket" else "refused the credentials"
    assert reason in error["message"]
    assert extra["AWS_SECRET_ACCESS_KEY"] not in proc.stdout + proc.stderr
    assert not sock.exists()


def test_a_bucket_lost_mid_run_fails_the_job_coded(fake_upstream: Any, tmp_path: Path) -> None:
    """Its own SeaweedFS, stopped under a running engine: the next job fails with
    artifact_store_unavailable (not completed with outputs the bucket never got), secret-free."""
    from tests.s3server import SeaweedS3

    server = SeaweedS3(tmp_path / "weed").start()
    engine = make_engine(tmp_path, "a", s3_vars(server, f"s3://{server.bucket}/lost"))
    try:
        engine.start()
        server.stop()
        env = engine.client_env(OPENAI_API_KEY="sk-test-lost", OPENAI_BASE_URL=fake_upstream.openai_base)
        r = engine.cli("images", "generate", "--prompt", "a pear", "--out", str(tmp_path / "pear"), env=env)
        assert r.returncode != 0
        error = json.loads(r.stdout)["error"]
        assert error["code"] == "artifact_store_unavailable", error
        assert "could not be reached" in error["message"]
        assert server.secret_key not in r.stdout + r.stderr
        assert not (tmp_path / "pear.png").exists()
    finally:
        engine.stop()
        server.stop()


def test_continue_save_on_another_engine_from_the_bucket(
    s3_server: Any, s3_url: str, pg_url: str, fake_upstream: Any, tmp_path: Path
) -> None:
    """A's response is spooled (and published) and A dies before decoding it; A's machine and its
    working folder are gone. B, on the same database and bucket, rebuilds the output from the
    spooled response in the bucket: no provider call."""
    import signal
    import time

    shared = {**s3_vars(s3_server, s3_url), "GPT_IMAGE_2_DATABASE_URL": pg_url}
    a = make_engine(tmp_path, "a", {**shared, "GPT_IMAGE_2_ENGINE_ID": "engine-a"})
    b = make_engine(tmp_path, "b", {**shared, "GPT_IMAGE_2_ENGINE_ID": "engine-b"})
    prefix = s3_url.split("/", 3)[3] + "/"
    try:
        a.extra_env["GPT_IMAGE_2_TEST_PAUSE_AFTER_SPOOL"] = "30"
        a.start(timeout=60)
        env = a.client_env(OPENAI_API_KEY="sk-test-s3", OPENAI_BASE_URL=fake_upstream.openai_base)
        r = a.cli("images", "generate", "--prompt", "a plum", "--out", str(tmp_path / "plum"), "--detach", env=env)
        assert r.returncode == 0, r.stdout + r.stderr
        job_id = r.json["job_id"]
        key = f"{prefix}jobs/{job_id}/raw_response.json"
        deadline = time.monotonic() + 30
        while not s3_server.client().list_objects_v2(Bucket=s3_server.bucket, Prefix=key).get("Contents"):
            assert time.monotonic() < deadline, "the spooled response never reached the bucket"
            time.sleep(0.05)
        a.stop(signal.SIGKILL)
        a.extra_env.pop("GPT_IMAGE_2_TEST_PAUSE_AFTER_SPOOL")
        a.start(timeout=60)  # marks its own unfinished job interrupted, then goes away with its disk
        a.stop()
        shutil.rmtree(a.shared_dir / "jobs")
        calls = len(fake_upstream.requests)

        b.start(timeout=60)
        recovery = b.cli("jobs", "recovery", job_id).json
        assert recovery["primary_action"]["id"] == "continue_save", recovery
        out = tmp_path / "saved"
        r = b.cli("jobs", "resume", job_id, "--action", "continue_save", "--out", str(out))
        assert r.returncode == 0, r.stdout + r.stderr
        assert r.json["provider_calls"] == 0 and len(fake_upstream.requests) == calls
        assert (tmp_path / "saved.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        new_job = r.json["history"]["job_id"]
        assert s3_server.client().head_object(Bucket=s3_server.bucket, Key=f"{prefix}jobs/{new_job}/out.png")
    finally:
        a.stop()
        b.stop()
