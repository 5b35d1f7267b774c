"""Issue 15 end to end: the real CLI configures storage, notifications and the proxy on a real
engine process; a real job (fake OpenAI upstream on 127.0.0.1) uploads to SeaweedFS, WsgiDAV,
asyncssh SFTP, an HTTP endpoint and a folder, notifies a webhook and an SMTP server, survives a
target outage and is re-uploaded; provider calls and doctor probes go through real proxies."""

from __future__ import annotations

import email
import email.policy
import json
import sqlite3
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import EngineProc, base_env
from tests.outputs.servers import HttpSink, Proxies, SeaweedS3, Sftp, Smtp, WebDav


@pytest.fixture
def engine(home: Path, s3_server: SeaweedS3) -> Iterator[EngineProc]:
    proc = EngineProc(
        home=home,
        env=base_env(home),
        socket=Path(tempfile.mkdtemp(prefix="gi2-")) / "e.sock",
        extra_env={
            "GPT_IMAGE_2_ALLOW_PRIVATE_TARGETS": "1",
            "GPT_IMAGE_2_STORAGE_TIMEOUT_SECONDS": "3",
            "S3_KEY": s3_server.access_key,
            "S3_SECRET": s3_server.secret_key,
            "HOOK_TOKEN": "Bearer hook-token-abc",
        },
    )
    proc.start()
    try:
        yield proc
    finally:
        proc.stop()


def ok(result: Any) -> dict[str, Any]:
    assert result.returncode == 0, result.stdout + result.stderr
    return dict(result.json)


def openai_env(engine: EngineProc, fake: Any) -> dict[str, str]:
    return engine.client_env(OPENAI_API_KEY="sk-test-outputs", OPENAI_BASE_URL=fake.openai_base)


def events(engine: EngineProc, job_id: str) -> list[tuple[str, dict[str, Any]]]:
    conn = sqlite3.connect(engine.shared_dir / "history.sqlite")
    try:
        rows = conn.execute("SELECT event_type, data FROM job_events WHERE job_id = ? ORDER BY seq", (job_id,))
        return [(r[0], json.loads(r[1])) for r in rows]
    finally:
        conn.close()


def wait_for_event(engine: EngineProc, job_id: str, kind: str) -> dict[str, Any]:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        for event_type, data in events(engine, job_id):
            if event_type == kind:
                return data
        time.sleep(0.1)
    raise AssertionError(f"no {kind} event for {job_id}")


def add_http_target(engine: EngineProc, url: str) -> None:
    """The http target "up", an archive, whose answer carries the public URL at /data/url."""
    args = ["--set", f"url={url}", "--set", "public_url_json_pointer=/data/url", "--archive"]
    ok(engine.cli("storage", "add", "up", "--type", "http", *args))


def generate(engine: EngineProc, fake: Any, tmp_path: Path, name: str) -> dict[str, Any]:
    return ok(engine.cli("images", "generate", "--prompt", name, "--out", str(tmp_path / f"{name}.png"),
                         env=openai_env(engine, fake)))  # fmt: skip


def test_a_job_uploads_everywhere_and_notifies(
    engine: EngineProc,
    fake_upstream: Any,
    tmp_path: Path,
    s3_server: SeaweedS3,
    webdav_server: WebDav,
    sftp_server: Sftp,
    smtp_server: Smtp,
    sink: HttpSink,
) -> None:
    ok(
        engine.cli(
            "storage",
            "add",
            "cloud",
            "--type",
            "s3",
            "--set",
            "bucket=images",
            "--set",
            f"endpoint={s3_server.endpoint}",
            "--set",
            "prefix=e2e",
            "--set",
            "public_base_url=https://cdn.example.test",
            "--secret-env",
            "access_key_id=S3_KEY",
            "--secret-env",
            "secret_access_key=S3_SECRET",
            "--archive",
        )
    )
    ok(
        engine.cli(
            "storage",
            "add",
            "dav",
            "--type",
            "webdav",
            "--set",
            f"url={webdav_server.url}/e2e",
            "--set",
            f"username={webdav_server.username}",
            "--secret",
            "password=-",
            "--archive",
            input=webdav_server.password + "\n",
        )
    )
    ok(
        engine.cli(
            "storage",
            "add",
            "box",
            "--type",
            "sftp",
            "--set",
            "host=127.0.0.1",
            "--set",
            f"port={sftp_server.port}",
            "--set",
            f"host_key_sha256={sftp_server.fingerprint}",
            "--set",
            f"username={sftp_server.username}",
            "--set",
            "remote_dir=/e2e",
            "--secret",
            f"password={sftp_server.password}",
            "--archive",
        )
    )
    add_http_target(engine, sink.url("/upload"))
    listed = ok(
        engine.cli("storage", "add", "disk", "--type", "local", "--set", f"directory={tmp_path / 'lib'}", "--archive")
    )
    config_text = json.dumps(listed)
    assert webdav_server.password not in config_text and sftp_server.password not in config_text
    assert listed["config"]["storage"]["pipeline"]["archives"] == ["cloud", "dav", "box", "up", "disk"]
    ok(
        engine.cli(
            "notify",
            "add-webhook",
            "--id",
            "team",
            "--name",
            "Team",
            "--url",
            sink.url("/hook"),
            "--header-env",
            "X-Token=HOOK_TOKEN",
        )
    )
    ok(engine.cli("notify", "set-email", "--host", "127.0.0.1", "--port", str(smtp_server.plain_port),
                  "--tls", "none", "--from", "bot@example.test", "--to", "ops@example.test"))  # fmt: skip
    for name in ("cloud", "dav", "box", "up", "disk"):
        tested = ok(engine.cli("storage", "test", name))
        assert tested["ok"] is True and tested["target"] == name

    mails_before = len(smtp_server.inbox.messages)
    payload = generate(engine, fake_upstream, tmp_path, "fox")
    job_id = payload["history"]["job_id"]
    assert payload["storage"]["status"] == "completed"

    job = ok(engine.cli("history", "show", job_id))["job"]
    assert job["status"] == "completed" and job["storage_status"] == "completed"
    uploads = {u["target"]: u for u in job["outputs"][0]["uploads"]}
    assert sorted(uploads) == ["box", "cloud", "dav", "disk", "up"]
    assert all(u["status"] == "completed" and u["attempts"] == 1 for u in uploads.values())
    key = f"{job_id}/1-out.png"
    assert uploads["cloud"]["url"] == f"https://cdn.example.test/e2e/{key}"
    assert uploads["up"]["url"].startswith("https://cdn.example.test/files/")
    data = (tmp_path / "fox.png").read_bytes()
    assert s3_server.client().get_object(Bucket="images", Key=f"e2e/{key}")["Body"].read() == data
    assert (webdav_server.root / "e2e" / key).read_bytes() == data
    assert (sftp_server.root / "e2e" / key).read_bytes() == data
    assert (tmp_path / "lib" / key).read_bytes() == data

    types = [t for t, _ in events(engine, job_id)]
    assert types.index("job.storage") < types.index("job.completed")
    storage_event = dict(events(engine, job_id))["job.storage"]
    assert storage_event["status"] == "completed" and len(storage_event["uploads"]) == 5
    assert str(tmp_path) not in json.dumps(storage_event)  # no local path in the event

    delivered = wait_for_event(engine, job_id, "job.notifications")
    assert [(d["channel"], d["ok"]) for d in delivered["deliveries"]] == [("email", True), ("webhook", True)]
    hook = json.loads(next(r for r in sink.requests if r.path == "/hook").body)
    assert hook["event"] == "job.completed" and hook["job"]["id"] == job_id
    assert next(r for r in sink.requests if r.path == "/hook").headers["X-Token"] == "Bearer hook-token-abc"
    assert len(hook["job"]["storage"]["uploads"]) == 5 and str(tmp_path) not in json.dumps(hook)
    mail = email.message_from_string(smtp_server.inbox.messages[mails_before]["data"], policy=email.policy.default)
    assert mail["Subject"] == "GPT Image 2 · 生成完成"
    body = mail.get_content()
    assert f"任务 ID：{job_id}" in body and uploads["cloud"]["url"] in body

    tested = ok(engine.cli("notify", "test", "--channel", "webhook:team"))
    assert tested["deliveries"][0]["ok"] is True


def test_target_outage_then_reupload(engine: EngineProc, fake_upstream: Any, tmp_path: Path, sink: HttpSink) -> None:
    ok(engine.cli("notify", "add-webhook", "--id", "team", "--url", sink.url("/hook")))
    down = HttpSink().start()
    port = down.port
    down.stop()  # the upload endpoint is down when the job finishes
    add_http_target(engine, f"http://127.0.0.1:{port}/upload")
    ok(engine.cli("storage", "add", "disk", "--type", "local", "--set", f"directory={tmp_path / 'lib'}",
                  "--archive"))  # fmt: skip
    payload = generate(engine, fake_upstream, tmp_path, "owl")
    job_id = payload["history"]["job_id"]
    job = ok(engine.cli("history", "show", job_id))["job"]
    assert job["status"] == "completed" and job["storage_status"] == "partial_failed"
    failed = next(u for u in job["outputs"][0]["uploads"] if u["target"] == "up")
    assert failed["status"] == "failed" and failed["metadata"]["error_code"] == "storage_http_upload_failed"
    recovery = ok(engine.cli("jobs", "recovery", job_id))
    assert recovery["recoverability"] == "recoverable.upload_failed"
    assert recovery["primary_action"]["id"] == "reupload" and recovery["primary_action"]["billable"] is False

    still_down = engine.cli("jobs", "resume", job_id, "--action", "reupload")
    assert still_down.returncode == 1 and still_down.json["error"]["code"] == "storage_upload_failed"

    back = HttpSink().start(port)
    try:
        calls_before = len(fake_upstream.requests) if hasattr(fake_upstream, "requests") else None
        resumed = ok(engine.cli("jobs", "resume", job_id, "--action", "reupload"))
        assert resumed["storage"]["status"] == "completed" and resumed["provider_calls"] == 0
        assert len(back.requests) == 1  # only the failed upload was sent again
        if calls_before is not None:
            assert len(fake_upstream.requests) == calls_before
    finally:
        back.stop()
    job = ok(engine.cli("history", "show", job_id))["job"]
    assert job["storage_status"] == "completed"
    uploads = {u["target"]: u for u in job["outputs"][0]["uploads"]}
    assert uploads["up"]["attempts"] == 3 and uploads["disk"]["attempts"] == 1
    assert ok(engine.cli("jobs", "recovery", job_id))["recoverability"] == "completed"
    # The job was announced once, when it ended (partial uploads included); reuploads are not.
    wait_for_event(engine, job_id, "job.notifications")
    hooks = [json.loads(r.body) for r in sink.requests if r.path == "/hook"]
    assert [h["job"]["id"] for h in hooks] == [job_id]
    assert hooks[0]["job"]["storage"]["uploads"][0]["status"] in ("completed", "failed")


def test_bad_settings_get_coded_errors(engine: EngineProc) -> None:
    for args, code in (
        (["storage", "add", "s3x", "--type", "s3", "--secret-env", "access_key_id=K"], "storage_target_bucket_missing"),
        (["storage", "add", "box", "--type", "sftp", "--set", "host=127.0.0.1", "--set", "username=u",
          "--set", "remote_dir=/x", "--secret", "password=p"], "storage_target_sftp_host_key_missing"),
        (["storage", "add", "w", "--type", "webdav", "--set", "url=ftp://x"], "storage_target_webdav_url_invalid"),
        (["storage", "test", "nothing"], "storage_target_missing"),
        (["notify", "set-email", "--host", "127.0.0.1", "--from", "nobody", "--to", "x@y.z"],
         "notification_email_invalid"),
        (["notify", "add-webhook", "--id", "h", "--url", "gopher://x"], "notification_webhook_invalid"),
        (["proxy", "set", "--mode", "custom", "--url", "ftp://proxy:21"], "proxy_url_invalid"),
        (["proxy", "set", "--mode", "custom"], "proxy_url_invalid"),
    ):  # fmt: skip
        result = engine.cli(*args)
        assert result.returncode == 1, args
        assert result.json["error"]["code"] == code, (args, result.stdout)
    assert not (engine.shared_dir / "config.json").exists()


def test_provider_calls_and_doctor_go_through_the_proxy(
    engine: EngineProc, fake_upstream: Any, tmp_path: Path, proxies: Proxies
) -> None:
    hop = f"-> 127.0.0.1:{fake_upstream.port}"
    ok(engine.cli("proxy", "set", "--mode", "custom", "--url", proxies.socks_url))
    before = proxies.hops().count(hop)
    generate(engine, fake_upstream, tmp_path, "via-socks")
    assert proxies.hops().count(hop) > before

    shown = ok(engine.cli("proxy", "set", "--mode", "custom", "--url", proxies.http_url))
    assert proxies.password not in json.dumps(shown)
    before = proxies.hops().count(hop)
    doctor = engine.cli("doctor", env=openai_env(engine, fake_upstream))
    assert doctor.json["providers"]["openai"]["endpoint"]["proxy"] == "custom"
    assert doctor.json["providers"]["openai"]["endpoint"]["reachable"] is True
    generate(engine, fake_upstream, tmp_path, "via-http")
    assert proxies.hops().count(hop) >= before + 2  # the probe and the provider call

    # A provider's own proxy wins: `none` goes direct even with a global custom proxy.
    ok(engine.cli("config", "add-provider", "--name", "direct", "--api-base", fake_upstream.openai_base,
                  "--api-key", "sk-direct-key"))  # fmt: skip
    ok(engine.cli("proxy", "set", "--mode", "none", "--for-provider", "direct"))
    before = proxies.hops().count(hop)
    ok(engine.cli("--provider", "direct", "images", "generate", "--prompt", "direct", "--out",
                  str(tmp_path / "direct.png")))  # fmt: skip
    assert proxies.hops().count(hop) == before

    ok(engine.cli("proxy", "set", "--mode", "none"))
    generate(engine, fake_upstream, tmp_path, "no-proxy")
    assert proxies.hops().count(hop) == before


def test_a_call_with_its_own_config_file_uses_its_targets(
    engine: EngineProc, fake_upstream: Any, tmp_path: Path
) -> None:
    other = str(tmp_path / "other-config.json")
    ok(engine.cli("--config", other, "storage", "add", "disk", "--type", "local",
                  "--set", f"directory={tmp_path / 'lib'}", "--archive"))  # fmt: skip
    assert not (engine.shared_dir / "config.json").exists()
    payload = ok(engine.cli("--config", other, "images", "generate", "--prompt", "heron",
                            "--out", str(tmp_path / "heron.png"), env=openai_env(engine, fake_upstream)))  # fmt: skip
    job_id = payload["history"]["job_id"]
    assert payload["storage"]["status"] == "completed"
    assert (tmp_path / "lib" / job_id / "1-out.png").read_bytes() == (tmp_path / "heron.png").read_bytes()
    plain = generate(engine, fake_upstream, tmp_path, "plain")  # the engine's own config: local only
    assert "storage" not in plain
    assert ok(engine.cli("history", "show", plain["history"]["job_id"]))["job"]["storage_status"] == "not_configured"
