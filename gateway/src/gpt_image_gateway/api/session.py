"""`/api/session`: whether a token is needed, and trading the token for a session cookie.

The cookie holds a signed session id and start (never the token) that every gateway with the same
token accepts; signing out records the id as signed out in the engine, for every gateway.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify

from gpt_image_gateway.forms import fields
from gpt_image_gateway.openapi import json_body, operation
from gpt_image_gateway.security import (
    authorized,
    client_id,
    end_session,
    settings,
    start_session,
    throttle,
    token_matches,
)
from gpt_image_protocol.errors import AppError

bp = Blueprint("session", __name__, url_prefix="/api")


@bp.get("/session")
@operation("Whether a token is required and whether this caller has it.", tags="session")
def show() -> Any:
    return jsonify({"auth_required": bool(settings().token), "authorized": authorized()})


@bp.post("/session")
@operation(
    "Trade the token for an HttpOnly SameSite=Strict gpt2_session cookie (204; 401 on a wrong token).",
    tags="session",
    body=json_body({"token": {"type": "string"}}),
    responses={"204": {"description": "Cookie set"}},
)
def login() -> Any:
    token = settings().token
    response = Response(status=204)
    if not token:
        return response
    candidate = str(fields().get("token") or "").strip()
    if not token_matches(candidate, token):
        throttle().failed(client_id())
        raise AppError("unauthenticated", "Invalid access token.")
    start_session(response)
    return response


@bp.delete("/session")
@operation("Clear the session cookie.", tags="session", responses={"204": {"description": "Cleared"}})
def logout() -> Any:
    response = Response(status=204)
    end_session(response)
    return response
