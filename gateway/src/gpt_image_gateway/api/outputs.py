"""Storage, notification and proxy settings over HTTP (the upstream web server's routes):
`PUT /api/storage`, `POST /api/storage/{name}/test`, `PUT /api/notifications`,
`POST /api/notifications/test`, `GET /api/notifications/capabilities`, `PUT /api/proxy`.

Saves answer the redacted config, as the upstream does; secrets never come back.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify

from gpt_image_gateway.api import engine
from gpt_image_gateway.forms import fields, optional_fields, text
from gpt_image_gateway.openapi import CONFIG, choices, json_body, operation
from gpt_image_protocol.errors import AppError
from gpt_image_protocol.jsonshape import optional_value, to_object

bp = Blueprint("outputs", __name__, url_prefix="/api")
FALLBACK_POLICIES = ("never", "on_failure", "always")
NOTIFY_STATUSES = ("completed", "partial_failed", "failed", "cancelled")
PROXY_MODES = ("system", "none", "custom")


def _target_name(name: str) -> str:
    if not name.strip() or any(c.isspace() for c in name) or len(name) > 128:
        raise AppError("storage_config_invalid", "Storage target names are non-empty tokens.", {"target": name[:128]})
    return name


def _config(answer: Any) -> Any:
    return jsonify(answer.get("config", answer) if isinstance(answer, dict) else answer)


@bp.put("/storage")
@operation(
    "Replace the storage settings (targets, pipeline); secrets left empty are kept.",
    tags="settings",
    body=json_body(
        {
            "targets": {"type": "object", "additionalProperties": {"type": "object"}},
            "pipeline": {"type": "object"},
            "default_targets": {"type": "array", "items": {"type": "string"}},
            "fallback_targets": {"type": "array", "items": {"type": "string"}},
            "fallback_policy": choices(FALLBACK_POLICIES),
            "upload_concurrency": {"type": "integer"},
            "target_concurrency": {"type": "integer"},
        },
        form=False,
    ),
    responses=CONFIG,
)
def put_storage() -> Any:
    return _config(engine().outputs_call("PutStorage", storage=to_object(fields())))


@bp.post("/storage/<name>/test")
@operation(
    "Upload a 1x1 PNG to a storage target (saved, or the unsaved `target`).",
    tags="settings",
    body=json_body({"target": {"type": "object"}}, form=False),
)
def test_storage(name: str) -> Any:
    body = optional_fields()
    target = body.get("target")
    if target is not None and not isinstance(target, dict):
        raise AppError("storage_config_invalid", "target must be an object.", {"field": "target"})
    unsaved = {"target": to_object(target)} if target else {}
    reply = engine().outputs_reply("TestStorageTarget", name=_target_name(name), **unsaved)
    result: dict[str, Any] = {
        "ok": reply.ok,
        "target": reply.target,
        "target_type": reply.target_type,
        "message": reply.message,
        "unsupported": reply.unsupported,
        "local_only": reply.local_only,
        "detail": optional_value(reply, "detail"),
    }
    if reply.HasField("latency_ms"):
        result["latency_ms"] = reply.latency_ms
    if reply.code:
        result["code"] = reply.code
    return jsonify(result)


@bp.put("/notifications")
@operation(
    "Replace the notification settings (email, webhooks); secrets left empty are kept.",
    tags="settings",
    body=json_body(
        {
            "enabled": {"type": "boolean"},
            "on_completed": {"type": "boolean"},
            "on_failed": {"type": "boolean"},
            "on_cancelled": {"type": "boolean"},
            "email": {"type": "object"},
            "webhooks": {"type": "array", "items": {"type": "object"}},
        },
        form=False,
    ),
    responses=CONFIG,
)
def put_notifications() -> Any:
    return _config(engine().outputs_call("PutNotifications", notifications=to_object(fields())))


@bp.post("/notifications/test")
@operation(
    "Send a sample job's notification: {ok, reason, deliveries}.",
    tags="settings",
    body=json_body(
        {
            "status": choices(NOTIFY_STATUSES),
            "channel": {"type": "string", "description": "email or webhook:<id>; default every channel."},
        },
        form=False,
    ),
)
def test_notifications() -> Any:
    body = optional_fields()
    reply = engine().outputs_reply(
        "TestNotifications", status=text(body, "status") or "completed", channel=text(body, "channel")
    )
    deliveries = [
        {"channel": d.channel, "name": d.name, "ok": d.ok, "message": d.message, **({"code": d.code} if d.code else {})}
        for d in reply.deliveries
    ]
    return jsonify({"ok": reply.ok, "reason": reply.reason or None, "deliveries": deliveries})


@bp.get("/notifications/capabilities")
@operation("Which notification channels this server can deliver.", tags="settings")
def notification_capabilities() -> Any:
    return jsonify(engine().outputs_call("GetNotificationCapabilities"))


@bp.put("/proxy")
@operation(
    "Set the provider proxy: system, none or custom (http, https, socks5, socks5h).",
    tags="settings",
    body=json_body(
        {
            "mode": choices(PROXY_MODES),
            "url": {"type": "string"},
            "no_proxy": {"type": "array", "items": {"type": "string"}},
        },
        form=False,
    ),
    responses=CONFIG,
)
def put_proxy() -> Any:
    body = fields()
    no_proxy = body.get("no_proxy") or []
    if not isinstance(no_proxy, list) or not all(isinstance(h, str) for h in no_proxy):
        raise AppError("proxy_url_invalid", "no_proxy must be a list of hosts.", {"field": "no_proxy"})
    mode = text(body, "mode") or "system"
    return _config(engine().outputs_call("SetProxy", mode=mode, url=text(body, "url"), no_proxy=no_proxy, provider=""))
