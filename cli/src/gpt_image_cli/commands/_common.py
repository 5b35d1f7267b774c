"""Small helpers shared by command modules: JSON payloads of unary results."""

from __future__ import annotations

import json
from typing import Any

from gpt_image_protocol.errors import AppError


def payload_of(result_json: str) -> dict[str, Any]:
    """Parse an engine `result_json`; a non-object is wrapped, garbage is an internal error."""
    if not result_json:
        return {}
    try:
        value = json.loads(result_json)
    except ValueError as exc:
        raise AppError("internal_error", "The engine returned a payload that is not JSON.") from exc
    return value if isinstance(value, dict) else {"result": value}
