"""The gateway's settings routes (upstream shapes) over a real engine: save, test, redaction,
coded errors; this engine has no private-target allowance, so loopback webhooks are blocked."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from tests.gateway.support import Stack, engine_stack
from tests.outputs.servers import HttpSink


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with engine_stack(tmp_path_factory.mktemp("gw-out")) as s:
        yield s


@pytest.fixture(scope="module")
def http(stack: Stack) -> Iterator[FlaskClient]:
    from gpt_image_gateway.app import create_app
    from gpt_image_gateway.client import EngineClient
    from gpt_image_gateway.settings import Settings
    from gpt_image_protocol.address import parse_address

    client = EngineClient(parse_address(stack.address))
    yield create_app(client, Settings()).test_client()
    client.close()


SECRET = "s3-secret-never-shown"


def test_put_storage_redacts_and_keeps_secrets(http: FlaskClient, tmp_path: Path) -> None:
    storage = {
        "targets": {
            "disk": {"type": "local", "directory": str(tmp_path / "lib")},
            "cloud": {
                "type": "s3",
                "bucket": "b",
                "endpoint": "https://s3.example.test",
                "access_key_id": {"source": "file", "value": "AKIAEXAMPLE"},
                "secret_access_key": {"source": "file", "value": SECRET},
            },
        },
        "pipeline": {"mode": "mirror", "archives": ["disk", "cloud"]},
    }
    reply = http.put("/api/storage", json=storage)
    assert reply.status_code == 200, reply.get_data(as_text=True)
    assert SECRET not in reply.get_data(as_text=True)
    shown = reply.json["storage"]["targets"]["cloud"]["secret_access_key"]
    assert shown == {"source": "file", "present": True, "value": {"_omitted": "secret"}}
    # The page sends back what it got (secret omitted): the stored secret survives.
    storage["targets"]["cloud"]["secret_access_key"] = {"source": "file", "value": ""}
    assert http.put("/api/storage", json=storage).json["storage"]["targets"]["cloud"]["secret_access_key"]["present"]
    tested = http.post("/api/storage/disk/test", json={})
    assert tested.status_code == 200 and tested.json["ok"] is True and tested.json["target_type"] == "local"
    assert (tmp_path / "lib" / "storage-test" / "1-gpt-image-2-test.png").is_file()


def test_storage_errors_are_the_upstream_codes(http: FlaskClient) -> None:
    bad = http.put("/api/storage", json={"targets": {"c": {"type": "s3", "bucket": ""}}})
    assert bad.status_code == 400
    assert bad.json["error"]["code"] == "storage_target_bucket_missing"
    assert bad.json["error"]["detail"] == {"target": "c", "field": "bucket"}
    missing = http.post("/api/storage/nothing/test", json={})
    assert missing.status_code == 404 and missing.json["error"]["code"] == "storage_target_missing"
    unsaved = {"target": {"type": "webdav", "url": "http://127.0.0.1:9/dav"}}
    blocked = http.post("/api/storage/dav/test", json=unsaved)
    assert blocked.status_code == 200 and blocked.json["ok"] is False
    assert blocked.json["code"] == "storage_remote_blocked"


def test_notifications_save_test_and_block_private_webhooks(http: FlaskClient) -> None:
    sink = HttpSink().start()
    try:
        body = {
            "enabled": True,
            "webhooks": [
                {
                    "id": "team",
                    "url": sink.url("/hook"),
                    "headers": {"Authorization": {"source": "file", "value": "Bearer hook-secret"}},
                }
            ],
        }
        saved = http.put("/api/notifications", json=body)
        assert saved.status_code == 200 and "hook-secret" not in saved.get_data(as_text=True)
        tested = http.post("/api/notifications/test", json={"status": "failed"})
        assert tested.status_code == 200
        assert tested.json["ok"] is False and tested.json["reason"] is None
        [delivery] = tested.json["deliveries"]
        assert delivery["code"] == "notification_webhook_blocked" and delivery["channel"] == "webhook"
        assert sink.requests == []  # nothing left the engine
    finally:
        sink.stop()
    bad = http.put("/api/notifications", json={"email": {"enabled": True, "smtp_host": "", "to": []}})
    assert bad.status_code == 400 and bad.json["error"]["code"] == "notification_email_invalid"
    caps = http.get("/api/notifications/capabilities").json
    assert caps == {"system": {"tauri_native": False, "browser": True}, "server": {"email": True, "webhook": True}}
    none = http.put("/api/notifications", json={"enabled": True, "webhooks": []})
    assert none.status_code == 200
    assert http.post("/api/notifications/test", json={}).json == {"ok": False, "reason": "local_only", "deliveries": []}


def test_put_proxy(http: FlaskClient) -> None:
    saved = http.put("/api/proxy", json={"mode": "custom", "url": "socks5h://u:proxy-pw@127.0.0.1:1080"})
    assert saved.status_code == 200
    assert saved.json["proxy"]["url"] == "socks5h://127.0.0.1:1080"
    assert "proxy-pw" not in json.dumps(saved.json)
    bad = http.put("/api/proxy", json={"mode": "custom", "url": "ftp://x"})
    assert bad.status_code == 400 and bad.json["error"]["code"] == "proxy_url_invalid"
    assert http.put("/api/proxy", json={"mode": "system"}).json["proxy"] == {"mode": "system", "no_proxy": []}
