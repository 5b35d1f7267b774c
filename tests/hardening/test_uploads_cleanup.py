"""Issue 12 (9): refused requests leave no uploads behind, and the uploads folder is capped.

Five edits refused by the engine (after the CLI uploaded their reference images) leave the
uploads folder empty at once, not for a day. With a small folder cap the oldest uploads
are swept to make room, and an upload that cannot fit is `storage_full`.
"""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

from tests.conftest import EngineProc
from tests.fakeupstream.server import noise_png
from tests.hardening.conftest import open_engine_channel, rpc_code


def uploads(engine: EngineProc) -> list[Path]:
    folder = engine.shared_dir / "uploads"
    return sorted(p for p in folder.iterdir()) if folder.is_dir() else []


def test_refused_edits_leave_no_uploads(engine, tmp_path):  # type: ignore[no-untyped-def]
    ref = tmp_path / "ref.png"
    ref.write_bytes(noise_png(2_000_000))
    env = engine.client_env(OPENAI_API_KEY="sk-uploads-1234")
    for i in range(5):
        r = engine.cli(
            "--provider", "nosuch", "images", "edit", "--prompt", "e", "--ref-image", str(ref),
            "--out", str(tmp_path / f"o{i}.png"), env=env,
        )  # fmt: skip
        assert r.returncode == 1 and '"provider_unknown"' in r.stdout, r.stdout + r.stderr
    assert uploads(engine) == []


def _upload(channel, data: bytes, name: str = "x.png"):  # type: ignore[no-untyped-def]
    from gpt_image.v1 import artifacts_pb2, artifacts_pb2_grpc

    stub = artifacts_pb2_grpc.ArtifactsServiceStub(channel)

    def parts():  # type: ignore[no-untyped-def]
        yield artifacts_pb2.UploadArtifactRequest(
            header=artifacts_pb2.ArtifactHeader(
                name=name, size_bytes=len(data), sha256=hashlib.sha256(data).hexdigest(), mime_type="image/png"
            )
        )
        for i in range(0, len(data), 256 * 1024):
            yield artifacts_pb2.UploadArtifactRequest(chunk=data[i : i + 256 * 1024])

    return lambda: stub.UploadArtifact(parts())


def test_uploads_folder_is_capped(engine):  # type: ignore[no-untyped-def]
    engine.stop()
    engine.extra_env["GPT_IMAGE_2_MAX_UPLOADS_TOTAL_BYTES"] = "3000000"
    engine.start()
    channel = open_engine_channel(engine)
    try:
        refs = []
        for i in range(3):
            refs.append(_upload(channel, os.urandom(1_200_000), f"u{i}.png")())
            when = time.time() - 100 + i  # ages in upload order, all younger than the day-long TTL
            os.utime(engine.shared_dir / "uploads" / refs[-1].artifact_id.split("/")[0], (when, when))
        kept = {p.name for p in uploads(engine)}
        assert refs[0].artifact_id.split("/")[0] not in kept  # the oldest made room
        assert {r.artifact_id.split("/")[0] for r in refs[1:]} <= kept
        assert sum(f.stat().st_size for f in (engine.shared_dir / "uploads").rglob("*") if f.is_file()) <= 3_000_000
        assert rpc_code(_upload(channel, os.urandom(3_500_000))) == "storage_full"
    finally:
        channel.close()
