"""End to end: `images generate|edit`, `jobs watch` and `history` through the real
CLI and engine, against the loopback fake OpenAI upstream.

One engine serves the module (`engine`); each test has its own fake upstream and forwards its
key and base URL with the call, and looks up its own jobs by id (or as the newest one)."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CliResult, EngineProc
from tests.fakeupstream.server import EDITS_PATH, GENERATIONS_PATH, Fault, draw_mask

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def engine(module_engine: EngineProc) -> EngineProc:
    return module_engine


def _env(engine: EngineProc, fake: Any) -> dict[str, str]:
    return engine.client_env(OPENAI_API_KEY="sk-test-e2e", OPENAI_BASE_URL=fake.openai_base)


def _ok(result: CliResult) -> dict[str, Any]:
    assert result.returncode == 0, (result.stdout, result.stderr[-2000:])
    return result.json


def test_generate_writes_out_and_streams_events(engine: EngineProc, fake_upstream: Any, tmp_path: Path) -> None:
    out = tmp_path / "nested" / "cat.png"
    result = engine.cli(
        "--json-events", "images", "generate", "--prompt", "a cat", "--out", str(out), env=_env(engine, fake_upstream)
    )
    body = _ok(result)
    assert body["command"] == "images generate"
    assert out.read_bytes().startswith(PNG)
    assert body["output"] == {
        "path": str(out),
        "bytes": out.stat().st_size,
        "files": [{"index": 0, "path": str(out), "bytes": out.stat().st_size}],
    }
    events = result.events
    assert body["events"]["count"] == len(events) > 0
    assert [e["seq"] for e in events] == sorted(e["seq"] for e in events)
    assert events[0]["type"] == "job.queued"
    assert {"request_started", "request_completed"} <= {e["type"] for e in events}
    assert "sk-test-e2e" not in result.stdout + result.stderr
    assert body["history"]["job_id"]


def test_generate_without_extension_and_several_images(engine: EngineProc, fake_upstream: Any, tmp_path: Path) -> None:
    env = _env(engine, fake_upstream)
    body = _ok(engine.cli("images", "generate", "--prompt", "x", "--out", str(tmp_path / "one"), env=env))
    assert body["output"]["path"] == str(tmp_path / "one.png")
    body = _ok(
        engine.cli("images", "generate", "--prompt", "x", "--out", str(tmp_path / "many.png"), "--n", "2", env=env)
    )
    assert body["output"]["path"] is None
    assert [f["path"] for f in body["output"]["files"]] == [str(tmp_path / "many-1.png"), str(tmp_path / "many-2.png")]
    assert [f["index"] for f in body["output"]["files"]] == [0, 1]
    assert body["output"]["bytes"] == sum(f["bytes"] for f in body["output"]["files"])


def test_edit_uploads_refs_and_mask_in_order(engine: EngineProc, fake_upstream: Any, tmp_path: Path) -> None:
    env = _env(engine, fake_upstream)
    src = tmp_path / "src.png"
    _ok(engine.cli("images", "generate", "--prompt", "x", "--out", str(src), env=env))
    second = tmp_path / "second.png"
    second.write_bytes(src.read_bytes() + b"")
    mask = tmp_path / "mask.png"
    mask.write_bytes(draw_mask(64, 64))
    out = tmp_path / "edited.png"
    body = _ok(
        engine.cli(
            "images",
            "edit",
            "--prompt",
            "y",
            "--out",
            str(out),
            "--ref-image",
            str(src),
            "--ref-image",
            f"file://{second}",
            "--mask",
            str(mask),
            env=env,
        )
    )
    assert body["request"]["ref_image_count"] == 2
    assert out.read_bytes().startswith(PNG)
    sent = fake_upstream.requests_to(EDITS_PATH)[-1]
    names = [p.name for p in sent.files]
    assert names.count("image[]") == 2 and "mask" in names
    assert hashlib.sha256(sent.files[0].data).hexdigest() == hashlib.sha256(src.read_bytes()).hexdigest()


def test_edit_with_a_ref_named_in_another_script(engine: EngineProc, fake_upstream: Any, tmp_path: Path) -> None:
    # The upload keeps an ASCII name the engine resolves again (it answered ref_image_missing).
    ref = tmp_path / "照片 猫.png"
    ref.write_bytes(draw_mask(64, 64))
    out = tmp_path / "edited.png"
    body = _ok(
        engine.cli(
            "images", "edit", "--prompt", "y", "--out", str(out), "--ref-image", str(ref),
            env=_env(engine, fake_upstream),
        )
    )  # fmt: skip
    assert body["request"]["ref_image_count"] == 1
    assert out.read_bytes().startswith(PNG)
    sent = [f for f in fake_upstream.requests_to(EDITS_PATH)[-1].files if f.name.startswith("image")]
    assert [f.data for f in sent] == [ref.read_bytes()]


def test_failed_job_leaves_no_file(engine: EngineProc, fake_upstream: Any, tmp_path: Path) -> None:
    fake_upstream.faults(Fault.fail(400, body='{"error": {"message": "bad prompt"}}', path=GENERATIONS_PATH))
    outdir = tmp_path / "outdir"
    outdir.mkdir()
    out = outdir / "never.png"
    result = engine.cli("images", "generate", "--prompt", "x", "--out", str(out), env=_env(engine, fake_upstream))
    assert result.returncode == 1
    assert result.json["error"]["code"] == "http_error"
    assert not out.exists()
    assert list(outdir.iterdir()) == []


def test_detach_then_watch_and_history(engine: EngineProc, fake_upstream: Any, tmp_path: Path) -> None:
    env = _env(engine, fake_upstream)
    fake_upstream.faults(Fault.slow(1.0, path=GENERATIONS_PATH))
    detached = _ok(
        engine.cli("images", "generate", "--prompt", "x", "--out", str(tmp_path / "d.png"), "--detach", env=env)
    )
    assert set(detached) == {"ok", "command", "job_id"}
    job_id = detached["job_id"]
    watched = _ok(engine.cli("jobs", "watch", job_id, "--out", str(tmp_path / "w.png"), env=env))
    assert watched["command"] == "jobs watch"
    assert (tmp_path / "w.png").read_bytes().startswith(PNG)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        listed = _ok(engine.cli("history", "list", "--limit", "5", env=env))
        if any(j.get("id") == job_id for j in listed["jobs"]):
            break
        time.sleep(0.1)
    assert any(j.get("id") == job_id for j in listed["jobs"])
    assert {"jobs", "next_cursor", "has_more", "total", "history_file"} <= set(listed)
    shown = _ok(engine.cli("history", "show", job_id, env=env))
    assert shown["command"] == "history show" and shown["job"]["id"] == job_id
    opened = _ok(engine.cli("history", "open-output", job_id, env=env))
    assert opened["opened"] is False  # stdout is not a terminal
    assert _ok(engine.cli("history", "delete", job_id, env=env))["deleted"] >= 1


def test_interrupt_cancels_the_job(engine: EngineProc, fake_upstream: Any, tmp_path: Path) -> None:
    import json
    import signal
    import subprocess

    from tests.conftest import CLI

    fake_upstream.faults(Fault.hold(path=GENERATIONS_PATH))  # never answered in time: only the cancel ends it
    out = tmp_path / "cancelled.png"
    proc = subprocess.Popen(
        [CLI, "--json-events", "images", "generate", "--prompt", "x", "--out", str(out)],
        env=_env(engine, fake_upstream),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    assert json.loads(proc.stderr.readline())["type"] == "job.queued"  # the job exists
    time.sleep(0.3)
    proc.send_signal(signal.SIGTERM)
    stdout, _ = proc.communicate(timeout=30)
    assert proc.returncode == 1
    assert json.loads(stdout)["error"]["code"] == "job_cancelled"
    assert not out.exists()
    job_id = _job_id(engine)
    deadline = time.monotonic() + 30
    status = ""
    while time.monotonic() < deadline:
        status = _ok(engine.cli("history", "show", job_id))["job"]["status"]
        if status == "cancelled":
            break
        time.sleep(0.1)
    assert status == "cancelled"


def _job_id(engine: EngineProc) -> str:
    jobs = _ok(engine.cli("history", "list", "--limit", "1"))["jobs"]
    return str(jobs[0]["id"])
