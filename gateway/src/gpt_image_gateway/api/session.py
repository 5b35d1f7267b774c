"""`/api/session`: whether a token is needed, and trading the token for a session cookie.

The cookie holds a random server-side session id (never the token); signing out revokes it.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify

from gpt_image_gateway.forms import fields
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
def show() -> Any:
    return jsonify({"auth_required": bool(settings().token), "authorized": authorized()})


@bp.post("/session")
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
def logout() -> Any:
    response = Response(status=204)
    end_session(response)
    return response
