"""The web app's settings screens that this gateway serves: paths, logging, and the log viewer.

`PUT /api/paths` and `PUT /api/logging` replace one section of config.json and answer
the whole config (as the upstream); `GET /api/logs` reads the engine's JSON-lines log,
which the engine redacts as it writes. (Notifications, storage and proxy have their
own blueprint.)
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request

from gpt_image_gateway.api import engine
from gpt_image_gateway.forms import fields
from gpt_image_gateway.openapi import choices, json_body, operation, query
from gpt_image_protocol.errors import AppError
from gpt_image_protocol.jsonshape import to_value

bp = Blueprint("app_settings", __name__, url_prefix="/api")
LOG_LEVELS = ("debug", "info", "warn", "warning", "error")
MAX_LOGS = 5000


def _section(name: str) -> Any:
    return jsonify(engine().config_call("UpdateConfigSection", section=name, value=to_value(fields())))


@bp.put("/paths")
@operation(
    "Save the paths settings (app_data_dir, result_library_dir, default_export_dir,"
    " legacy_shared_codex_dir); answers the whole config.",
    tags="settings",
    body=json_body({"app_data_dir": {"type": "object"}, "result_library_dir": {"type": "object"}}),
)
def put_paths() -> Any:
    return _section("paths")


@bp.put("/logging")
@operation(
    "Save the logging settings ({debug}); takes effect at once; answers the whole config.",
    tags="settings",
    body=json_body({"debug": {"type": "boolean"}}),
)
def put_logging() -> Any:
    return _section("logging")


@bp.get("/logs")
@operation(
    "The newest engine log records (redacted), oldest first: {entries, logs_dir}.",
    tags="settings",
    parameters=[
        query("limit", {"type": "integer", "minimum": 1, "maximum": MAX_LOGS}),
        query("level", choices(LOG_LEVELS)),
    ],
)
def get_logs() -> Any:
    raw = (request.args.get("limit") or "500").strip()
    try:
        limit = int(raw)
    except ValueError:
        raise AppError("invalid_argument", "limit must be an integer.", {"field": "limit"}) from None
    level = (request.args.get("level") or "").strip().lower()
    if level and level not in LOG_LEVELS:
        raise AppError("invalid_argument", f"level must be one of {', '.join(LOG_LEVELS)}.", {"field": "level"})
    return jsonify(engine().read_logs(max(1, min(MAX_LOGS, limit)), level))
