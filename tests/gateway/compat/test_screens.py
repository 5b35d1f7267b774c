"""The upstream web app (HTTP mode), screen by screen, against a real gpt-image-2-web + engine +
fake upstream: its recorded calls (app_calls.json) replayed as Chromium sends them, and its
answers read as the app reads them."""

from __future__ import annotations

import json
import os
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest

from tests.fakeupstream.server import EDITS_PATH, GENERATIONS_PATH, Fault
from tests.gateway.compat.conftest import TOKEN
from tests.gateway.compat.replay import ApiRequestError, App, file_url
from tests.gateway.compat.screens import PNG, TERMINAL, merged_jobs, poll_job
from tests.gateway.support import GatewayProc, Stack, png_bytes


def upload(name: str, data: bytes) -> dict[str, Any]:
    """shared.ts fileToUpload: {name, bytes: Array.from(new Uint8Array(buffer))}."""
    return {"name": name, "bytes": list(data)}


def no_server_paths(value: Any, stack: Stack) -> None:
    text = json.dumps(value)
    assert str(stack.engine.shared_dir) not in text, text[:400]


def test_generate_screen_runs_to_completion_and_the_image_loads(app: App, stack: Stack) -> None:
    assert app.json("session.status") == {"auth_required": False, "authorized": True}
    config = app.json("config.get")
    # The app enables Generate only when it sees providers: the config object at top level.
    assert config["default_provider"] == "fake" and config["version"] == 1
    assert {"fake", "openai", "codex"} <= set(config["providers"])
    assert config["providers"]["fake"]["edit_region_mode"] == "native-mask"
    assert (
        config["providers"]["openai"]["builtin"] is True
        and config["providers"]["openai"]["edit_region_mode"] == "native-mask"
    )
    assert config["providers"]["codex"]["builtin"] is True and config["providers"]["codex"]["supports_n"] is False
    assert all(isinstance(config[k], dict) for k in ("notifications", "storage", "paths", "proxy", "logging"))
    assert "sk-test" not in json.dumps(config)

    started = app.json("images.generate", prompt="a red fox, compat generate", provider="fake")
    job_id = started["job_id"]
    assert started["queued"] is True and started["job"]["id"] == job_id
    assert started["events"][0]["type"] == "job.queued" and started["queue"]["max_parallel"] >= 1
    job, events = poll_job(app, job_id)
    assert job["status"] == "completed", job
    assert [e["seq"] for e in events] == sorted({e["seq"] for e in events})
    assert events[-1]["kind"] == "local" and events[-1]["type"] == "job.completed"  # closes subscribeJobEvents
    assert any(e["type"] == "output_saved" for e in events)

    url = job["outputs"][0]["path"]
    assert url == f"/api/jobs/{job_id}/outputs/0" and job["output_path"] == url
    image = app.image(file_url(url))  # fileUrl passes /api/ paths through: the <img> asks for it directly
    assert image.status == 200 and image.body.startswith(PNG) and image.headers["content-type"] == "image/png"
    no_server_paths([started["job"], job, events], stack)

    gallery = {j["id"]: j for j in merged_jobs(app)}
    assert gallery[job_id]["status"] == "completed"
    assert gallery[job_id]["outputs"][0]["path"] == url
    assert job_id not in [j["id"] for j in app.json("jobs.active")["jobs"]]
    queue = app.json("queue.status")
    assert {"max_parallel", "running", "queued", "queued_job_ids"} <= set(queue)


def test_edit_screen_with_byte_array_reference_and_mask(app: App, stack: Stack) -> None:
    ref = png_bytes(64, 64, (10, 200, 10))
    mask = png_bytes(64, 64, (0, 0, 0, 0), "RGBA")
    before = len(stack.upstream.requests_to(EDITS_PATH))
    started = app.json(
        "images.edit",
        prompt="make it blue, compat edit",
        provider="fake",
        edit_mode="region",
        edit_region_mode="native-mask",
        refs=[upload("photo.png", ref)],
        mask=upload("mask.png", mask),
    )
    job, _ = poll_job(app, started["job_id"])
    assert job["status"] == "completed", job
    sent = stack.upstream.requests_to(EDITS_PATH)[before]
    images = [p for p in sent.files if p.name in ("image[]", "image")]
    masks = [p for p in sent.files if p.name == "mask"]
    assert [p.data for p in images] == [ref] and [p.data for p in masks] == [mask]

    detail = app.json("jobs.get", job_id=job["id"])["job"]
    assert detail["reference_images"] == [{"index": 0, "path": f"/api/jobs/{job['id']}/refs/0"}]
    # The history list rows carry them too (the history screen's reference strip reads the row).
    listed = {j["id"]: j for j in merged_jobs(app)}
    assert listed[job["id"]]["reference_images"] == detail["reference_images"]
    # ... and the request fields the upstream's edit rows carry (the history row's region badge).
    for row in (listed[job["id"]], detail):
        assert row["metadata"]["edit_region_mode"] == "native-mask" and row["metadata"]["ref_count"] == 1
    shown = app.image(file_url(detail["reference_images"][0]["path"]))
    assert shown.status == 200 and shown.body == ref
    assert app.image(file_url(detail["outputs"][0]["path"])).body.startswith(PNG)
    no_server_paths(detail, stack)


def test_edit_with_a_selection_hint_on_a_reference_hint_provider(app: App, stack: Stack) -> None:
    """reference-hint: the hint goes up as one more reference and the mask stays home (as upstream)."""
    config = app.json("providers.add", name="hinty", api_base=stack.upstream.openai_base, api_key="sk-test")
    assert config["providers"]["hinty"]["edit_region_mode"] == "reference-hint"
    app.json("providers.default", name="fake")
    ref, hint = png_bytes(48, 48, (200, 10, 10)), png_bytes(48, 48, (255, 255, 255))
    before = len(stack.upstream.requests_to(EDITS_PATH))
    started = app.json(
        "images.edit",
        prompt="soft region, compat edit",
        provider="hinty",
        edit_mode="region",
        edit_region_mode="reference-hint",
        refs=[upload("a.png", ref)],
        mask=upload("mask.png", png_bytes(48, 48, (0, 0, 0, 0), "RGBA")),
        selection_hint=upload("selection-hint.png", hint),
    )
    job, _ = poll_job(app, started["job_id"])
    assert job["status"] == "completed", job
    sent = stack.upstream.requests_to(EDITS_PATH)[before]
    assert [p.data for p in sent.files if p.name in ("image[]", "image")] == [ref, hint]
    assert not [p for p in sent.files if p.name == "mask"]
    app.json("providers.delete", name="hinty")


def test_history_screen_pages_and_merges_the_active_jobs(app: App, stack: Stack) -> None:
    ids = [app.json("images.generate", prompt=f"history {i}", provider="fake")["job_id"] for i in range(3)]
    for job_id in ids:
        assert poll_job(app, job_id)[0]["status"] == "completed"

    held = Fault.hold(path=GENERATIONS_PATH)  # until the list has shown it unfinished (a timed delay could end first)
    stack.upstream.faults(held)
    slow = app.json("images.generate", prompt="history slow", provider="fake")["job_id"]
    seen: list[str] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # subscribeJobUpdates: the merged list, polled
        row = {j["id"]: j for j in merged_jobs(app)}.get(slow)
        status = row["status"] if row else None
        if row and status not in TERMINAL:  # the row the screens read while it runs: its request
            meta = row["metadata"]
            assert (meta["prompt"], meta["size"], meta["n"], meta["format"]) == (
                "history slow",
                "1024x1024",
                1,
                "png",
            ), meta
        if status and (not seen or seen[-1] != status):
            seen.append(status)
        if status == "running":
            held.release()
        if status in TERMINAL:
            break
        time.sleep(0.1)
    assert seen[-1] == "completed" and set(seen[:-1]) <= {"queued", "running"} and len(seen) >= 2, seen
    stack.upstream.clear_faults()
    assert slow not in [j["id"] for j in app.json("jobs.active")["jobs"]]

    first = app.json("jobs.page", limit=2, cursor_qs="")
    assert len(first["jobs"]) == 2 and first["has_more"] is True and first["next_cursor"]
    second = app.json("jobs.page", limit=2, cursor_qs="&cursor=" + first["next_cursor"])
    assert second["total"] == first["total"] >= 4
    page_ids = [j["id"] for j in first["jobs"] + second["jobs"]]
    assert len(set(page_ids)) == 4 and page_ids[0] == slow and page_ids[1:4] == ids[::-1]
    assert all(j["outputs"][0]["path"].startswith("/api/jobs/") for j in first["jobs"] + second["jobs"])

    deleted = app.json("jobs.delete", job_id=ids[0])
    assert deleted["ok"] is True and deleted["deleted"] >= 1
    with pytest.raises(ApiRequestError) as gone:
        app.json("jobs.get", job_id=ids[0])
    assert gone.value.status == 404 and gone.value.code == "history_not_found"


def test_history_lists_the_jobs_a_stopped_engine_left(app: App, stack: Stack) -> None:
    """/api/jobs/interrupted: failed rows carrying interrupted_reason, as recovery descriptors."""
    job_id = "job-1700000000000000000-4242"
    meta = {"prompt": "left behind", "interrupted_reason": "engine_restarted", "error": {"code": "job_interrupted"}}
    with sqlite3.connect(stack.engine.shared_dir / "history.sqlite") as conn:
        conn.execute(
            "INSERT INTO jobs (id, command, provider, status, output_path, created_at, metadata) "
            "VALUES (?, 'images generate', 'fake', 'failed', NULL, '1700000000', ?)",
            (job_id, json.dumps(meta)),
        )
    listed = app.json("jobs.interrupted")["jobs"]
    assert [d["job_id"] for d in listed] == [job_id]
    assert listed[0]["evidence"]["interrupted_reason"] == "engine_restarted"
    assert listed[0]["recoverability"] == "recoverable.never_dispatched"
    assert app.json("jobs.delete", job_id=job_id)["ok"] is True


def test_providers_screen_add_edit_without_the_secret_default_test_delete(app: App, stack: Stack) -> None:
    name = "compat-api"
    added = app.json("providers.add", name=name, api_base=stack.upstream.openai_base, api_key="sk-compat-1")
    assert added["default_provider"] == name
    cred = added["providers"][name]["credentials"]["api_key"]
    assert cred["source"] == "file" and cred["present"] is True
    assert "sk-compat-1" not in json.dumps(added)

    with pytest.raises(ApiRequestError) as taken:  # the dialog's add mode sends allow_overwrite: false
        app.json("providers.add", name=name, api_base=stack.upstream.openai_base, api_key="sk-other")
    assert taken.value.status == 400 and taken.value.code == "provider_exists"

    edited = app.json("providers.edit", name=name, api_base=stack.upstream.openai_base, model="gpt-image-2-edited")
    entry = edited["providers"][name]
    assert entry["model"] == "gpt-image-2-edited" and entry["supports_n"] is True
    assert entry["edit_region_mode"] == "native-mask" and entry["credentials"]["api_key"]["present"] is True
    assert edited["default_provider"] == name  # set_default: false keeps the default as it was

    before = len(stack.upstream.requests_to(GENERATIONS_PATH))
    job, _ = poll_job(app, app.json("images.generate", prompt="key kept", provider=name)["job_id"])
    assert job["status"] == "completed", job
    sent = stack.upstream.requests_to(GENERATIONS_PATH)[before]
    assert sent.headers["authorization"] == "Bearer sk-compat-1"  # the stored key survived the edit
    assert sent.json["model"] == "gpt-image-2-edited"

    tested = app.json("providers.test", name=name)
    assert tested["ok"] is True and isinstance(tested["latency_ms"], int) and tested["latency_ms"] >= 0
    assert isinstance(tested["message"], str) and tested["message"]
    unknown = app.json("providers.test", name="no-such-provider")
    assert unknown["ok"] is False and "no-such-provider" in unknown["message"]

    back = app.json("providers.default", name="fake")
    assert back["default_provider"] == "fake" and name in back["providers"]
    after = app.json("providers.delete", name=name)
    assert name not in after["providers"] and {"fake", "openai", "codex"} <= set(after["providers"])
    assert after["default_provider"] == "fake"


def test_settings_screen_saves_and_reloads(app: App, stack: Stack, tmp_path: Path) -> None:
    paths_info = app.json("config.paths")
    assert {
        "config_file",
        "history_file",
        "jobs_dir",
        "app_data_dir",
        "result_library_dir",
        "default_export_dirs",
    } <= set(paths_info)
    assert paths_info["result_library_dir"] == paths_info["jobs_dir"]

    # Sections this engine has no feature for yet (issue 15's notifications, storage, proxy) round-trip.
    config_file = Path(paths_info["config_file"])
    stored = json.loads(config_file.read_text())
    stored["notifications"] = {
        "enabled": True,
        "on_completed": True,
        "webhooks": [
            {
                "id": "w1",
                "url": "https://example.com/hook",
                "headers": {"X-Key": {"source": "file", "value": "hook-secret-9"}},
            }
        ],
    }
    stored["storage"] = {"targets": {"local-default": {"type": "local", "directory": str(tmp_path)}}}
    stored["proxy"] = {"mode": "none"}
    tmp = config_file.with_suffix(".compat-tmp")
    tmp.write_text(json.dumps(stored))
    os.replace(tmp, config_file)

    paths = {
        "app_data_dir": {"mode": "default", "path": None},
        "result_library_dir": {"mode": "custom", "path": str(tmp_path / "library")},
        "default_export_dir": {"mode": "result_library", "path": None},
        "legacy_shared_codex_dir": {"path": "~/.codex/gpt-image-2-skill", "enabled_for_read": True},
    }
    saved = app.json("paths.update", paths=paths)
    assert saved["paths"] == paths
    reloaded = app.json("config.get")
    assert reloaded["paths"] == paths
    assert reloaded["proxy"] == {"mode": "none"}
    assert reloaded["storage"]["targets"]["local-default"]["directory"] == str(tmp_path)
    hook = reloaded["notifications"]["webhooks"][0]
    assert hook["url"] == "https://example.com/hook" and hook["headers"]["X-Key"]["present"] is True
    assert "hook-secret-9" not in json.dumps(reloaded)
    assert "hook-secret-9" in config_file.read_text()  # kept on disk, never sent

    with pytest.raises(ApiRequestError) as refused:
        app.json("paths.update", paths={**paths, "app_data_dir": {"mode": "custom", "path": "/elsewhere"}})
    assert refused.value.status == 400 and refused.value.code == "config_section_invalid"
    assert app.json("config.get")["paths"] == paths

    poll_job(app, app.json("images.generate", prompt="a line for the log viewer", provider="fake")["job_id"])
    assert app.json("logging.update", debug=True)["logging"] == {"debug": True}
    assert app.json("config.get")["logging"] == {"debug": True}
    logs = app.json("logs.get", limit=50)
    assert isinstance(logs["logs_dir"], str) and 1 <= len(logs["entries"]) <= 50
    assert all({"ts", "level", "type"} <= set(e) for e in logs["entries"])
    finished = [e for e in logs["entries"] if e["type"] == "job.completed"]
    assert finished and finished[-1]["level"] == "info" and finished[-1]["data"]["job_id"].startswith("job-")
    assert "sk-test" not in json.dumps(logs) and "hook-secret-9" not in json.dumps(logs)
    assert app.json("logging.update", debug=False)["logging"] == {"debug": False}

    for method in ("GET", "POST", "PUT", "DELETE"):
        reply = app._send(method, "/api/no-such-route", {"Content-Type": "application/json"}, b"{}")
        assert reply.status == 404 and reply.json()["error"]["code"] == "route_not_found", (method, reply.status)


def test_login_through_the_token_gate(token_gateway: GatewayProc, stack: Stack) -> None:
    app = App(token_gateway.url)
    assert app.json("session.status") == {"auth_required": True, "authorized": False}
    with pytest.raises(ApiRequestError) as locked:
        app.json("config.get")
    assert locked.value.status == 401
    assert app.call("session.login", token="wrong").status == 401
    assert not app.cookies

    login = app.call("session.login", token=TOKEN)
    assert login.status == 204 and login.body == b""  # login() succeeds on exactly 204
    cookie = login.headers["set-cookie"]
    assert "gpt2_session=" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
    assert app.json("session.status") == {"auth_required": True, "authorized": True}

    assert app.json("config.get")["default_provider"] == "fake"
    job, _ = poll_job(app, app.json("images.generate", prompt="behind the gate", provider="fake")["job_id"])
    assert job["status"] == "completed"
    assert job["id"] not in [j["id"] for j in app.json("jobs.active")["jobs"]]
    assert app.image(job["outputs"][0]["path"]).body.startswith(PNG)  # <img> carries the cookie

    stranger = App(token_gateway.url)
    for call, args in (("jobs.active", {}), ("logs.get", {"limit": 5}), ("jobs.interrupted", {})):
        assert stranger.call(call, **args).status == 401, call
    assert stranger.image(job["outputs"][0]["path"]).status == 401
    assert stranger.call("paths.update", paths={}).status == 401
