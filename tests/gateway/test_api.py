"""The HTTP API against a real engine and the fake upstream: generate, follow by SSE,
download, history paging/search, edit uploads, transparent tools, config, delete."""

from __future__ import annotations

import hashlib
import io
import json
import re

from flask.testing import FlaskClient

from tests.gateway.conftest import follow
from tests.gateway.support import Stack, chroma_png, png_bytes


def start_generate(http: FlaskClient, **fields: object) -> str:
    body = {"prompt": "a red fox", "size": "1024x1024", **fields}
    reply = http.post("/api/images/generate", json=body)
    assert reply.status_code == 202, reply.json
    data = reply.json
    assert data["queued"] is True and data["events"][0]["type"] == "job.queued"
    assert reply.headers["Location"] == f"/api/jobs/{data['job_id']}"
    return str(data["job_id"])


def test_generate_follow_and_download(http: FlaskClient) -> None:
    job_id = start_generate(http, partial_images=2)
    events = follow(http, job_id)
    seqs = [int(m["id"]) for m in events]
    assert seqs == sorted(seqs) and seqs[0] == 1 and len(set(seqs)) == len(seqs)
    assert [m["data"]["seq"] for m in events] == seqs
    types = [m["data"]["type"] for m in events]
    assert types[0] == "job.queued" and "partial_image" in types
    last = events[-1]["data"]
    assert last["terminal"] is True and last["status"] == "completed"
    outputs = [a for a in last["artifacts"] if a["role"] == "output"]
    assert outputs and "artifact_id" not in outputs[0]  # the page never sees engine file ids

    image = http.get(f"/api/jobs/{job_id}/outputs/0")
    assert image.status_code == 200 and image.mimetype == "image/png"
    assert hashlib.sha256(image.data).hexdigest() == outputs[0]["sha256"]
    assert "inline" in image.headers["Content-Disposition"]
    assert http.get(f"/api/jobs/{job_id}/outputs/0?download=1").headers["Content-Disposition"].startswith("attachment")
    assert http.get(f"/api/jobs/{job_id}/partials/1").status_code == 200
    missing = http.get(f"/api/jobs/{job_id}/outputs/7")
    assert missing.status_code == 404 and missing.json["error"]["code"] == "artifact_not_found"


def test_sse_replays_after_last_event_id(http: FlaskClient) -> None:
    job_id = start_generate(http)
    full = follow(http, job_id)
    tail = follow(http, job_id, after=2)
    assert [int(m["id"]) for m in tail] == [int(m["id"]) for m in full if int(m["id"]) > 2]
    assert tail[-1]["data"]["terminal"] is True
    assert http.get(f"/api/jobs/{job_id}/events?after=-1").status_code == 400
    assert http.get(f"/api/jobs/{job_id}/events", headers={"Last-Event-ID": "x"}).status_code == 400


def test_job_detail_list_search_status_and_cursor(http: FlaskClient) -> None:
    ids = [start_generate(http, prompt=f"zebra number {i}") for i in range(3)]
    for job_id in ids:
        follow(http, job_id)
    detail = http.get(f"/api/jobs/{ids[0]}").json
    assert detail["job"]["id"] == ids[0] and detail["events"][0]["type"] == "job.queued"
    assert any(a["role"] == "output" for a in detail["artifacts"])

    page = http.get("/api/jobs?q=zebra&limit=2").json
    assert page["total"] == 3 and len(page["jobs"]) == 2 and page["has_more"] is True
    rest = http.get(f"/api/jobs?q=zebra&limit=2&cursor={page['next_cursor']}").json
    assert len(rest["jobs"]) == 1 and rest["has_more"] is False
    assert {j["id"] for j in page["jobs"] + rest["jobs"]} == set(ids)
    assert http.get("/api/jobs?query=zebra").json["total"] == 3
    assert http.get("/api/jobs?q=zebra&status=failed").json["total"] == 0
    assert http.get("/api/jobs?q=zebra&status=completed").json["total"] == 3
    assert http.get("/api/jobs?status=bogus").status_code == 400
    assert http.get("/api/jobs?limit=0").status_code == 400


def test_delete_and_unknown_job(http: FlaskClient) -> None:
    job_id = start_generate(http)
    follow(http, job_id)
    reply = http.delete(f"/api/jobs/{job_id}")
    assert reply.status_code == 200 and reply.json["deleted"] >= 1 and reply.json["job_id"] == job_id
    for path in (f"/api/jobs/{job_id}", f"/api/jobs/{job_id}/outputs/0", f"/api/jobs/{job_id}/events"):
        gone = http.get(path)
        assert gone.status_code == 404, path
        assert gone.json["error"]["code"] == "history_not_found"


def test_path_traversal_in_ids_is_refused(http: FlaskClient) -> None:
    for path in (
        "/api/jobs/..%2F..%2Fetc%2Fpasswd",
        "/api/jobs/../../etc/passwd/outputs/0",
        "/api/jobs/%2e%2e/outputs/0",
        "/api/jobs/..",
        "/api/jobs/a..b/outputs/0",
        "/api/jobs/job%00x",
    ):
        reply = http.get(path)
        assert reply.status_code in (400, 404), path
        assert set(reply.json["error"]) >= {"code", "message"}
    for path in ("/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/..%2f..%2fetc%2fpasswd"):
        reply = http.get(path)
        assert b"root:" not in reply.data  # at most the page itself, never a file outside web/


def test_missing_prompt_and_bad_options(http: FlaskClient) -> None:
    reply = http.post("/api/images/generate", json={"prompt": "  "})
    assert reply.status_code == 400 and reply.json["error"]["code"] == "invalid_argument"
    assert http.post("/api/images/generate", json={"prompt": "x", "size": "512x512"}).status_code == 400
    assert http.post("/api/images/generate", json={"prompt": "x", "quality": "ultra"}).status_code == 400
    assert http.post("/api/images/generate", json={"prompt": "x", "n": "many"}).status_code == 400
    assert http.post("/api/images/generate", data="[1]", content_type="application/json").json["error"]["code"] == "invalid_body_json"


def test_edit_multipart_with_mask(http: FlaskClient, stack: Stack) -> None:
    stack.upstream.reset()
    data = {
        "prompt": "add a hat",
        "size": "1024x1024",
        "input_fidelity": "high",
        "image[]": [(io.BytesIO(png_bytes()), "a.png"), (io.BytesIO(png_bytes(color=(10, 200, 10))), "b.png")],
        "mask": (io.BytesIO(png_bytes(mode="RGBA", color=(0, 0, 0, 0))), "mask.png"),
    }
    reply = http.post("/api/images/edit", data=data, content_type="multipart/form-data")
    assert reply.status_code == 202, reply.json
    events = follow(http, reply.json["job_id"])
    assert events[-1]["data"]["status"] == "completed", events[-1]
    sent = stack.upstream.requests_to("/v1/images/edits")[-1]
    names = [p.name for p in sent.files]
    assert names.count("image[]") == 2 and "mask" in names


def test_edit_refuses_non_images_and_missing_refs(http: FlaskClient) -> None:
    reply = http.post(
        "/api/images/edit",
        data={"prompt": "x", "image[]": (io.BytesIO(b"#!/bin/sh\necho hi\n"), "evil.png")},
        content_type="multipart/form-data",
    )
    assert reply.status_code == 400 and reply.json["error"]["code"] == "ref_image_invalid"
    reply = http.post("/api/images/edit", data={"prompt": "x"}, content_type="multipart/form-data")
    assert reply.status_code == 400 and reply.json["error"]["code"] == "invalid_argument"


def test_transparent_extract_and_verify(http: FlaskClient) -> None:
    reply = http.post(
        "/api/transparent/extract",
        data={"image": (io.BytesIO(chroma_png()), "green.png"), "matte_color": "#00ff00"},
        content_type="multipart/form-data",
    )
    assert reply.status_code == 202, reply.json
    job_id = reply.json["job_id"]
    last = follow(http, job_id)[-1]["data"]
    assert last["status"] == "completed", last
    out = http.get(f"/api/jobs/{job_id}/outputs/0")
    assert out.status_code == 200 and out.data.startswith(b"\x89PNG")

    verify = http.post(
        "/api/transparent/verify",
        data={"image": (io.BytesIO(out.data), "out.png"), "profile": "generic"},
        content_type="multipart/form-data",
    )
    assert verify.status_code == 200, verify.json
    assert verify.json["status"] == "completed" and isinstance(verify.json["result"], dict)


def test_transparent_generate(http: FlaskClient) -> None:
    reply = http.post("/api/transparent/generate", json={"prompt": "a blue gem", "size": "1024x1024"})
    assert reply.status_code == 202, reply.json
    last = follow(http, reply.json["job_id"])[-1]["data"]
    assert last["terminal"] is True and last["status"] in ("completed", "failed")


def test_config_and_providers(http: FlaskClient, stack: Stack) -> None:
    config = http.get("/api/config").json
    assert config["default_provider"] == "fake"  # the upstream web app's shape: the config at top level
    assert "sk-test" not in json.dumps(config)
    assert "providers" in http.get("/api/providers").json
    assert http.get("/api/config-paths").status_code == 200

    put = http.put("/api/providers/second", json={"type": "openai-compatible", "api_base": stack.upstream.openai_base, "api_key": "sk-two"})
    assert put.status_code == 200, put.json
    assert "sk-two" not in put.get_data(as_text=True)
    status = http.get("/api/providers/second/credentials/api_key")
    assert status.status_code == 200 and "sk-two" not in status.get_data(as_text=True)
    assert http.post("/api/providers/default", json={"name": "second"}).json["default_provider"] == "second"
    assert http.post("/api/providers/default", json={"name": "fake"}).status_code == 200
    assert http.delete("/api/providers/second").status_code == 200
    unknown = http.post("/api/providers/default", json={"name": "nope"})
    assert unknown.status_code in (400, 404) and unknown.json["error"]["code"].startswith("provider")


def test_cancel_finished_job(http: FlaskClient) -> None:
    job_id = start_generate(http)
    follow(http, job_id)
    reply = http.post(f"/api/jobs/{job_id}/cancel")
    assert reply.status_code == 200 and reply.json["cancelled"] is False


def test_version_health_and_page(http: FlaskClient) -> None:
    assert http.get("/api/health").json["ok"] is True
    assert "engine" in http.get("/api/version").json
    page = http.get("/")
    assert page.status_code == 200 and b"<html" in page.data.lower()
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]
    assert re.search(rb'type="module"', page.data)
    assert http.get("/history").status_code == 200  # client-side route falls back to the page
    assert http.get("/missing.js").status_code == 404
