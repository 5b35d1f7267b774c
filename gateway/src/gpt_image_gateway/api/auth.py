"""`GET /api/auth`: where each built-in provider's credentials were found (InspectAuth).

The page's Settings shows it for the built-in `openai` and `codex` entries (key found
in which variable, Codex sign-in file found or not); it carries no secret, only
sources, presence flags and file paths.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify

from gpt_image_gateway.api import engine
from gpt_image_gateway.openapi import operation

bp = Blueprint("auth", __name__, url_prefix="/api")


@bp.get("/auth")
@operation("Where the built-in openai and codex providers find credentials (no secrets).", tags="providers")
def inspect_auth() -> Any:
    return jsonify(engine().system_call("InspectAuth"))
