"""Issue 12 (4): one request must not break history for everyone.

NaN/Infinity are refused with `invalid_argument` by the CLI (before any RPC) and by the
engine (any float field of any request, so the gateway's requests too) and never stored;
prompts are capped at 32,000 characters; listings page by size so legacy rows with
megabyte prompts (inserted straight into history.sqlite, as an older version could have
written them) still list through the CLI and the gateway, within gRPC's message limit.
"""

from __future__ import annotations

import json
import sqlite3
import time
import uuid
from pathlib import Path

import pytest

from tests.fakeupstream.server import GENERATIONS_PATH, draw_png
from tests.hardening.conftest import gateway_client, open_engine_channel, rpc_code


def total_jobs(engine) -> int:  # type: ignore[no-untyped-def]
    return int(json.loads(engine.cli("history", "list").stdout)["total"])


@pytest.mark.parametrize("value", ["nan", "NaN", "inf", "-Infinity"])
def test_cli_refuses_non_finite_flags(shared_engine, tmp_path, value):  # type: ignore[no-untyped-def]
    src = tmp_path / "in.png"
    src.write_bytes(draw_png(32, 32))
    before = total_jobs(shared_engine)
    for args in (
        ("transparent", "extract", "--input", str(src), "--out", str(tmp_path / "o.png"), "--threshold", value),
        ("transparent", "extract", "--input", str(src), "--out", str(tmp_path / "o.png"), "--softness", value),
        ("images", "generate", "--prompt", "p", "--out", str(tmp_path / "g.png"), "--retry-delay-seconds", value),
    ):
        r = shared_engine.cli(*args)
        assert r.returncode == 1, (args, r.stdout, r.stderr)
        body = json.loads(r.stdout)  # valid JSON: no NaN in it
        assert body["error"]["code"] == "invalid_argument", body
    assert total_jobs(shared_engine) == before


def test_engine_refuses_non_finite_fields_over_grpc(shared_engine, tmp_path):  # type: ignore[no-untyped-def]
    from gpt_image.v1 import images_pb2, images_pb2_grpc, transparent_pb2, transparent_pb2_grpc

    before = total_jobs(shared_engine)
    channel = open_engine_channel(shared_engine)
    try:
        stub = transparent_pb2_grpc.TransparentServiceStub(channel)
        for field in ("threshold", "softness", "spill_suppression"):
            for value in (float("nan"), float("inf"), float("-inf")):
                req = transparent_pb2.ExtractTransparentRequest()
                setattr(req.transparent, field, value)
                assert rpc_code(lambda req=req: stub.ExtractTransparent(req)) == "invalid_argument"
        images = images_pb2_grpc.ImagesServiceStub(channel)
        req = images_pb2.GenerateImageRequest()
        req.image.prompt = "p"
        req.retry.request_timeout_seconds = float("inf")
        assert rpc_code(lambda: images.GenerateImage(req)) == "invalid_argument"
    finally:
        channel.close()
    assert total_jobs(shared_engine) == before


def test_request_body_with_nan_is_refused(shared_engine, tmp_path):  # type: ignore[no-untyped-def]
    body = tmp_path / "body.json"
    body.write_text('{"model": "gpt-image-2", "prompt": "p", "quality_score": NaN}')
    r = shared_engine.cli("request", "create", "--body-file", str(body), "--request-operation", "generate")
    assert r.returncode == 1 and json.loads(r.stdout)["error"]["code"] == "invalid_body_json", r.stdout


def test_prompt_over_32000_characters_is_refused(engine, fake_upstream, tmp_path):  # type: ignore[no-untyped-def]
    env = engine.client_env(OPENAI_API_KEY="sk-finite-1234", OPENAI_BASE_URL=fake_upstream.openai_base)
    r = engine.cli("images", "generate", "--prompt", "x" * 32_001, "--out", str(tmp_path / "o.png"), env=env)
    assert r.returncode == 1
    err = json.loads(r.stdout)["error"]
    assert err["code"] == "invalid_argument" and err["detail"]["max_chars"] == 32_000, err
    assert fake_upstream.requests_to(GENERATIONS_PATH) == []
    ok = engine.cli("images", "generate", "--prompt", "y" * 32_000, "--out", str(tmp_path / "ok.png"), env=env)
    assert ok.returncode == 0, ok.stdout + ok.stderr


def _insert_legacy_rows(history: Path, prompts: list[str]) -> list[str]:
    ids = []
    conn = sqlite3.connect(history, timeout=30)
    try:
        for i, prompt in enumerate(prompts):
            job_id = f"job-legacy-{uuid.uuid4().hex[:12]}"
            created = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(time.time() + i)) + f".{i:03d}Z"
            meta = {"operation": "generate", "prompt": prompt, "threshold": float("nan")}
            conn.execute(
                "INSERT INTO jobs (id, command, provider, status, output_path, created_at, metadata) "
                "VALUES (?, 'images generate', 'openai', 'failed', NULL, ?, ?)",
                (job_id, created, json.dumps(meta)),
            )
            ids.append(job_id)
        conn.commit()
    finally:
        conn.close()
    return ids


def test_megabyte_legacy_prompts_still_list(engine):  # type: ignore[no-untyped-def]
    huge = ["p" * 1_900_000, "q" * 1_900_000, "é" * 1_900_000]
    ids = _insert_legacy_rows(engine.shared_dir / "history.sqlite", huge)
    r = engine.cli("history", "list")
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    page = json.loads(r.stdout)  # strict JSON: the legacy NaN comes out as null
    listed = {j["id"]: j for j in page["jobs"]}
    assert set(ids) <= set(listed)
    for job_id in ids:
        job = listed[job_id]
        assert job["truncated"]["reason"] == "row_too_large"
        assert len(job["metadata"]["prompt"]) < 3000 and job["metadata"]["threshold"] is None
    http, client = gateway_client(engine)
    try:
        reply = http.get("/api/jobs")
        assert reply.status_code == 200, reply.get_data()[:500]
        assert {j["id"] for j in json.loads(reply.get_data())["jobs"]} >= set(ids)
        one = http.get(f"/api/jobs/{ids[2]}")
        assert one.status_code == 200
        assert "NaN" not in one.get_data(as_text=True)
    finally:
        client.close()
    shown = engine.cli("history", "show", ids[0])
    assert shown.returncode == 0 and len(json.loads(shown.stdout)["job"]["metadata"]["prompt"]) == 1_900_000


def test_listing_pages_by_size(engine):  # type: ignore[no-untyped-def]
    ids = _insert_legacy_rows(engine.shared_dir / "history.sqlite", [f"{i:03d}" + "z" * 200_000 for i in range(15)])
    seen: list[str] = []
    cursor = ""
    pages = 0
    while True:
        r = engine.cli("history", "list", "--limit", "200", *(["--cursor", cursor] if cursor else []))
        assert r.returncode == 0, r.stderr[-2000:]
        page = json.loads(r.stdout)
        pages += 1
        assert len(r.stdout) < 4 * 1024 * 1024
        seen += [j["id"] for j in page["jobs"]]
        if not page["has_more"]:
            break
        cursor = page["next_cursor"]
    assert pages >= 2  # 15 x 200 KB cannot fit one page
    assert sorted(seen) == sorted(ids) and len(seen) == len(set(seen))


def test_gateway_threshold_nan_is_refused_and_leaves_nothing(engine):  # type: ignore[no-untyped-def]
    import io

    before = total_jobs(engine)
    http, client = gateway_client(engine)
    try:
        for value in ("NaN", "Infinity", "-inf"):
            reply = http.post(
                "/api/transparent/extract",
                data={"threshold": value, "image": (io.BytesIO(draw_png(32, 32)), "in.png")},
                content_type="multipart/form-data",
                headers={"Origin": "http://localhost", "Host": "localhost"},
            )
            body = json.loads(reply.get_data())
            assert reply.status_code == 400 and body["error"]["code"] == "invalid_argument", body
    finally:
        client.close()
    assert total_jobs(engine) == before
    uploads = engine.shared_dir / "uploads"
    assert not uploads.is_dir() or list(uploads.iterdir()) == []
