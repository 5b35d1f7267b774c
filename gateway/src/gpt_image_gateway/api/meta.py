"""Gateway meta routes: health, version and the OpenAPI document."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify

from gpt_image_gateway import __version__
from gpt_image_gateway.api import engine
from gpt_image_gateway.openapi import document_bytes, operation
from gpt_image_protocol.errors import AppError

bp = Blueprint("meta", __name__, url_prefix="/api")


@bp.get("/health")
@operation("Gateway and engine health (503 when no engine answers).", tags="meta")
def health() -> Any:
    if not engine().healthy():
        raise AppError("engine_unavailable", "The engine is not reachable.", {"address": str(engine().address)})
    return jsonify({"ok": True, "engine": {"address": str(engine().address), "serving": True}})


@bp.get("/version")
@operation("Gateway and engine versions.", tags="meta")
def version() -> Any:
    return jsonify({"gateway": __version__, "engine": engine(check=False).version()})


@bp.get("/openapi.json")
@operation("This document, generated from the routes.", tags="meta")
def openapi() -> Any:
    return Response(document_bytes(current_app), mimetype="application/json")
