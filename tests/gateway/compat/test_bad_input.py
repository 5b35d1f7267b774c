"""Bad input on the routes the upstream app uses: byte arrays that are not bytes, files outside
the job folders, recovery actions with nothing to do, requests from another origin. Each gets a
coded error and keeps nothing."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from gpt_image_gateway.app import create_app
from gpt_image_gateway.client import EngineClient
from gpt_image_gateway.settings import Settings
from tests.fakeupstream.server import GENERATIONS_PATH, Fault
from tests.gateway.compat.replay import ApiRequestError, App
from tests.gateway.compat.screens import PNG, poll_job
from tests.gateway.support import Stack, png_bytes


def uploads(stack: Stack) -> set[str]:
    folder = stack.engine.shared_dir / "uploads"
    return set(os.listdir(folder)) if folder.is_dir() else set()


def edit_body(refs: Any, **extra: Any) -> dict[str, Any]:
    return {"prompt": "bad bytes", "provider": "fake", "size": "1024x1024", "format": "png", "n": 1, "refs": refs, **extra}


GOOD = list(png_bytes(16, 16))


@pytest.mark.parametrize(
    ("refs", "extra", "code"),
    [
        ([{"name": "a.png", "bytes": GOOD[:-1] + [256]}], {}, "upload_bytes_invalid"),
        ([{"name": "a.png", "bytes": GOOD[:-1] + [-1]}], {}, "upload_bytes_invalid"),
        ([{"name": "a.png", "bytes": GOOD[:-1] + [1.5]}], {}, "upload_bytes_invalid"),
        ([{"name": "a.png", "bytes": GOOD[:-1] + [True]}], {}, "upload_bytes_invalid"),
        ([{"name": "a.png", "bytes": GOOD[:-1] + ["7"]}], {}, "upload_bytes_invalid"),
        ([{"name": "a.png", "bytes": GOOD}], {"mask": {"name": "m.png", "bytes": [0, 300]}}, "upload_bytes_invalid"),
        ([{"name": "a.png", "bytes": GOOD}, {"name": "b.png", "bytes": "not a list"}], {}, "invalid_argument"),
        ([{"name": "a.txt", "bytes": list(b"plain text, not an image")}], {}, "ref_image_invalid"),
        ([], {}, "invalid_argument"),
    ],
)
def test_json_edit_refuses_bad_byte_arrays_and_keeps_nothing(
    app: App, stack: Stack, refs: Any, extra: dict[str, Any], code: str
) -> None:
    kept, total = uploads(stack), app.json("jobs.page", limit=1, cursor_qs="")["total"]
    reply = app._send("POST", "/api/images/edit", {"Content-Type": "application/json"}, _json(edit_body(refs, **extra)))
    assert reply.status == 400 and reply.json()["error"]["code"] == code, reply.body[:300]
    assert uploads(stack) == kept  # the good reference before the bad one was not sent either
    assert app.json("jobs.page", limit=1, cursor_qs="")["total"] == total


def _json(body: Any) -> bytes:
    import json

    return json.dumps(body).encode()


@pytest.fixture(scope="module")
def small_cap_app(engine_client: EngineClient) -> Flask:
    return create_app(engine_client, Settings(upload_cap=len(GOOD) + 10))


def test_json_edit_over_the_upload_cap_is_400(small_cap_app: Flask, stack: Stack) -> None:
    kept = uploads(stack)
    big = list(png_bytes(64, 64))
    reply = small_cap_app.test_client().post("/api/images/edit", json=edit_body([{"name": "a.png", "bytes": GOOD}, {"name": "b.png", "bytes": big}]))
    assert reply.status_code == 400 and reply.json["error"]["code"] == "upload_too_large", reply.json
    assert reply.json["error"]["detail"]["limit_bytes"] == len(GOOD) + 10
    assert uploads(stack) == kept


def test_files_serves_job_images_only(app: App, stack: Stack, tmp_path: Path) -> None:
    job, _ = poll_job(app, app.json("images.generate", prompt="files route", provider="fake")["job_id"])
    jobs_dir = app.json("config.paths")["jobs_dir"]
    job_dir = Path(jobs_dir) / job["id"]
    out = next(p.name for p in job_dir.iterdir() if p.name.startswith("out"))
    good = app.call("files.get", path=f"{jobs_dir}/{job['id']}/{out}")
    assert good.status == 200 and good.body.startswith(PNG) and good.headers["content-type"] == "image/png"

    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "out.png").write_bytes(png_bytes())
    linked_job = Path(jobs_dir) / "job-1700000000000000000-666"
    linked_job.symlink_to(outside, target_is_directory=True)
    (job_dir / "leak.png").symlink_to(outside / "out.png")
    try:
        for path in (
            f"{jobs_dir}/{job['id']}/../../config.json",
            f"{jobs_dir}/../history.sqlite",
            "/etc/passwd",
            str(outside / "out.png"),
            f"{jobs_dir}/{job['id']}/{out}\x00.txt",
            f"{jobs_dir}/{job['id']}/request_meta.json",
            f"{jobs_dir}/{linked_job.name}/out.png",
            f"{jobs_dir}/{job['id']}/leak.png",
            f"{jobs_dir}/{job['id']}",
            f"{jobs_dir}//{job['id']}/{out}",
            f"relative/{job['id']}/{out}",
            "",
        ):
            reply = app.call("files.get", path=path)
            assert reply.status == 404, (path, reply.status)
            assert reply.json()["error"]["code"] == "artifact_not_found", path
    finally:
        linked_job.unlink()
        (job_dir / "leak.png").unlink()


def test_resume_fill_missing_and_reupload(app: App, stack: Stack) -> None:
    done, _ = poll_job(app, app.json("images.generate", prompt="resume done", provider="fake")["job_id"])
    with pytest.raises(ApiRequestError) as nothing:
        app.json("jobs.resume", job_id=done["id"], action="fill_missing")
    assert nothing.value.status == 400 and nothing.value.code == "recovery_nothing_missing"
    reup = app.json("jobs.resume", job_id=done["id"], action="reupload")
    assert reup["recovered"] is True and reup["events"][0]["type"] == "job.storage"
    assert reup["events"][0]["data"]["status"] == "not_configured"

    stack.upstream.faults(Fault.fail(400, path=GENERATIONS_PATH))
    failed, _ = poll_job(app, app.json("images.generate", prompt="resume failed", provider="fake")["job_id"])
    assert failed["status"] == "failed"
    # The failed row as the history screen's failed filter lists it: its prompt is on the row.
    rows = {j["id"]: j for j in app.json("jobs.page", limit=50, cursor_qs="&status=failed")["jobs"]}
    assert rows[failed["id"]]["metadata"]["prompt"] == "resume failed"
    with pytest.raises(ApiRequestError) as empty:
        app.json("jobs.resume", job_id=failed["id"], action="reupload")
    assert empty.value.status == 400 and empty.value.code == "recovery_nothing_to_reupload"
    filled = app.json("jobs.resume", job_id=failed["id"], action="fill_missing")
    assert filled["resumed_from"] == failed["id"] and filled["job_id"] != failed["id"]
    job, _ = poll_job(app, filled["job_id"])
    assert job["status"] == "completed" and job["outputs"][0]["path"].startswith("/api/jobs/")
    with pytest.raises(ApiRequestError) as unknown:
        app.json("jobs.resume", job_id=failed["id"], action="teleport")
    assert unknown.value.status == 400


def test_new_routes_keep_the_origin_rules(app: App) -> None:
    for method, path in (("PUT", "/api/paths"), ("PUT", "/api/logging"), ("POST", "/api/images/edit")):
        reply = app._send(method, path, {"Content-Type": "application/json", "Origin": "http://evil.example"}, b"{}")
        assert reply.status == 403 and reply.json()["error"]["code"] == "cross_site_request", (method, path)
    reply = app._send("GET", "/api/jobs/active", {"Host": "evil.example"}, None)
    assert reply.status == 403 and reply.json()["error"]["code"] == "host_not_allowed"
