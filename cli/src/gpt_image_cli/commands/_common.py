"""Small helpers shared by command modules: the payloads of unary results."""

from __future__ import annotations

from typing import Any


def payload_of(reply: Any, field: str = "result") -> dict[str, Any]:
    """A unary reply's payload (its JsonObject `field`): a non-object is wrapped, unset is {}."""
    from gpt_image_protocol.jsonshape import payload  # protobuf's runtime: not for doctor/auth/models

    return payload(reply, field)
