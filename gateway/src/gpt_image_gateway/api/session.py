"""`/api/session`: whether a token is needed, and trading the token for an HttpOnly cookie."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request

from gpt_image_gateway.forms import fields
from gpt_image_gateway.security import COOKIE, authorized, settings, token_matches
from gpt_image_protocol.errors import AppError

bp = Blueprint("session", __name__, url_prefix="/api")
MAX_AGE = 14 * 24 * 3600


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
        raise AppError("unauthenticated", "Invalid access token.")
    response.set_cookie(
        COOKIE, candidate, max_age=MAX_AGE, path="/", httponly=True, samesite="Strict", secure=request.is_secure
    )
    return response


@bp.delete("/session")
def logout() -> Any:
    response = Response(status=204)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="Strict")
    return response
