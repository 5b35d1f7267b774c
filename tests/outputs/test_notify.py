"""Webhooks and email delivered to real servers on 127.0.0.1 (an HTTP sink, aiosmtpd plain,
STARTTLS with AUTH, implicit TLS); the payload carries no local path; private targets are blocked."""

from __future__ import annotations

import json
from typing import Any

import pytest

from gpt_image_engine.errors import AppError
from gpt_image_engine.outputs import notify
from tests.outputs.servers import HttpSink, Smtp


def job(status: str = "completed", **over: Any) -> dict[str, Any]:
    base = {
        "id": "job-42",
        "command": "images edit",
        "provider": "openai",
        "status": status,
        "created_at": "1",
        "updated_at": "2",
        "output_path": "/home/someone/.codex/jobs/job-42/out.png",
        "outputs": [
            {
                "index": 0,
                "path": "/home/someone/.codex/jobs/job-42/out.png",
                "bytes": 10,
                "uploads": [
                    {
                        "output_index": 0, "target": "cloud", "target_type": "s3", "status": "completed",
                        "url": "https://cdn.example.test/a.png", "bytes": 10, "attempts": 1, "updated_at": "3",
                        "metadata": {"role": "primary", "placement": "archive", "key": "job-42/1-out.png",
                                     "manifest": {"source_path": "/home/someone/secret/out.png"}},
                    }
                ],
            }
        ],
        "metadata": {"prompt": "a fox", "size": "1024x1024", "n": 1, "api_key": "sk-nope", "out": "/home/x"},
        "error": None,
    }  # fmt: skip
    base.update(over)
    return base


def hook(sink: HttpSink, **over: Any) -> dict[str, Any]:
    h = {
        "id": "team",
        "name": "Team",
        "enabled": True,
        "url": sink.url("/hook?sig=query-secret"),
        "method": "put",
        "headers": {
            "X-Token": {"source": "file", "value": "hook-header-secret"},
            " ": {"source": "file", "value": "x"},
        },
        "timeout_seconds": 5,
    }
    h.update(over)
    return h


def test_webhook_delivers_the_public_payload(sink: HttpSink) -> None:
    config = {"enabled": True, "on_completed": True, "webhooks": [hook(sink)]}
    deliveries = notify.deliver(config, job("partial_failed"), {}, True)
    assert deliveries == [
        {"channel": "webhook", "name": "Team", "ok": True, "message": "Webhook delivered with HTTP 200."}
    ]
    request = sink.requests[-1]
    assert request.method == "PUT" and request.headers["X-Token"] == "hook-header-secret"
    body = json.loads(request.body)
    assert body["event"] == "job.partial_failed" and body["title"] == "编辑部分完成"
    assert body["summary"] == "openai · 1024x1024 · 1 张图片 · Some outputs failed."
    assert body["job"]["output_path"] is None
    assert body["job"]["metadata"] == {"prompt": "a fox", "size": "1024x1024", "n": 1}
    upload = body["job"]["storage"]["uploads"][0]
    assert upload["url"] == "https://cdn.example.test/a.png" and upload["placement"] == "archive"
    assert "/home/" not in request.body.decode() and "sk-nope" not in request.body.decode()


def test_status_rules_and_disabled_channels(sink: HttpSink) -> None:
    config = {"enabled": True, "on_failed": False, "webhooks": [hook(sink), hook(sink, id="off", enabled=False)]}
    assert notify.deliver(config, job("failed"), {}, True) == []
    assert len(notify.deliver(config, job("cancelled"), {}, True)) == 1
    assert notify.deliver({**config, "enabled": False}, job("completed"), {}, True) == []


def test_webhook_to_loopback_is_blocked_without_the_allowance(sink: HttpSink) -> None:
    before = len(sink.requests)
    deliveries = notify.deliver({"webhooks": [hook(sink)]}, job(), {}, False)
    assert deliveries[0]["ok"] is False and deliveries[0]["code"] == "notification_webhook_blocked"
    assert len(sink.requests) == before


def test_webhook_non_2xx_is_a_failed_delivery(sink: HttpSink) -> None:
    sink.status = 502
    deliveries = notify.deliver({"webhooks": [hook(sink)]}, job(), {}, True)
    assert deliveries[0] == {
        "channel": "webhook",
        "name": "Team",
        "ok": False,
        "message": "Webhook returned HTTP 502.",
        "code": "notification_webhook_failed",
    }


def email(smtp: Smtp, port: int, tls: str, **over: Any) -> dict[str, Any]:
    cfg = {
        "enabled": True,
        "smtp_host": "127.0.0.1",
        "smtp_port": port,
        "tls": tls,
        "from": "bot@example.test",
        "to": ["ops@example.test", "me@example.test"],
        "timeout_seconds": 5,
    }
    cfg.update(over)
    return cfg


@pytest.mark.parametrize("mode", ["none", "start-tls", "smtps"])
def test_email_in_every_tls_mode(smtp_server: Smtp, mode: str) -> None:
    port = {"none": smtp_server.plain_port, "start-tls": smtp_server.starttls_port, "smtps": smtp_server.smtps_port}[
        mode
    ]
    extra: dict[str, Any] = {}
    if mode == "start-tls":
        extra = {"username": smtp_server.username, "password": {"source": "env", "env": "SMTP_PASS"}}
    env = {"GPT_IMAGE_2_SMTP_CA_FILE": str(smtp_server.cert), "SMTP_PASS": smtp_server.password}
    before = len(smtp_server.inbox.messages)
    deliveries = notify.deliver({"email": email(smtp_server, port, mode, **extra)}, job(), env, True)
    assert deliveries == [{"channel": "email", "name": "smtp", "ok": True, "message": "Email sent to 2 recipient(s)."}]
    message = smtp_server.inbox.messages[before]
    assert message["to"] == ["ops@example.test", "me@example.test"]
    assert message["tls"] is (mode != "none")
    assert message["auth"] is (mode == "start-tls")
    assert "GPT Image 2" in message["data"] and "job-42" in message["data"]


def test_email_wrong_password_and_untrusted_certificate(smtp_server: Smtp) -> None:
    bad = email(
        smtp_server,
        smtp_server.starttls_port,
        "start-tls",
        username=smtp_server.username,
        password={"source": "file", "value": "wrong-smtp-pass"},
    )
    env = {"GPT_IMAGE_2_SMTP_CA_FILE": str(smtp_server.cert)}
    [failed] = notify.deliver({"email": bad}, job(), env, True)
    assert failed["ok"] is False and failed["code"] == "notification_email_failed"
    assert "wrong-smtp-pass" not in json.dumps(failed)
    [untrusted] = notify.deliver({"email": email(smtp_server, smtp_server.smtps_port, "smtps")}, job(), {}, True)
    assert untrusted["code"] == "notification_email_failed"


def test_email_needs_host_sender_and_recipient(smtp_server: Smtp) -> None:
    for field, value in (("smtp_host", " "), ("from", ""), ("to", [])):
        with pytest.raises(AppError) as caught:
            notify.send_email(email(smtp_server, 25, "none", **{field: value}), job(), {}, True)
        assert caught.value.code == "notification_email_invalid"
        assert caught.value.detail == {"field": field}
