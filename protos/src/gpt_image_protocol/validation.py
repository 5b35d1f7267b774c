"""Flag validation rules shared by every client and the engine (upstream §5).

Pure functions raising `AppError("invalid_command", ...)` with the upstream's
messages, so a bad request fails the same way whether the CLI, the gateway
or the engine catches it first.
"""

from __future__ import annotations

import json
import math
from typing import Any

from gpt_image_protocol.errors import AppError

MAX_EDGE = 3840
MIN_PIXELS = 655_360
MAX_PIXELS = 8_294_400
MAX_ASPECT = 3.0
MAX_REF_IMAGES = 16
MAX_PROMPT_CHARS = 32_000  # the provider's own limit for gpt-image prompts

QUALITIES = ("auto", "low", "medium", "high")
FORMATS = ("png", "jpeg", "webp")
BACKGROUNDS = ("auto", "transparent", "opaque")
MODERATIONS = ("auto", "low")
INPUT_FIDELITIES = ("high", "low")
# Transparent PNGs (proto enums TransparentMethod / TransparentProfile carry the same words;
# tests/contract/test_golden.py holds the two equal). soft3d is accepted for soft-3d.
METHODS = ("auto", "chroma", "dual")
PROFILES = ("generic", "icon", "product", "sticker", "seal", "translucent", "glow", "shadow", "effect")
MATERIALS = ("standard", "soft-3d", "soft3d", "flat-icon", "sticker", "glow")


def smallest_size_like(width: int, height: int) -> str:
    """The smallest valid `WxH` with (about) the shape of `width`x`height`, for a too-small size."""
    ratio = min(max(width / height, 1 / MAX_ASPECT), MAX_ASPECT)
    h = 16
    while True:
        w = max(16, round(h * ratio / 16) * 16)
        if w * h >= MIN_PIXELS and max(w, h) / min(w, h) <= MAX_ASPECT:
            return f"{w}x{h}"
        h += 16


def too_small_message(width: int, height: int) -> str:
    return (
        f"Image size supports at least {MIN_PIXELS} total pixels. "
        f"The smallest valid size of that shape is {smallest_size_like(width, height)}."
    )


def parse_size(value: str) -> str:
    """Normalise `--size`: auto, 2K, 4K or WIDTHxHEIGHT within the upstream limits."""
    text = value.strip().lower()
    if text == "auto":
        return "auto"
    if text == "2k":
        return "2048x2048"
    if text == "4k":
        return "3840x2160"
    width_text, sep, height_text = text.partition("x")
    if not sep or not (
        width_text.isascii() and width_text.isdigit() and height_text.isascii() and height_text.isdigit()
    ):
        raise AppError("invalid_command", "Image size must be auto, 2K, 4K, or WIDTHxHEIGHT.")
    width, height = int(width_text), int(height_text)
    if width <= 0 or height <= 0:
        raise AppError("invalid_command", "Image size must use positive width and height values.")
    if width % 16 or height % 16:
        raise AppError("invalid_command", "Image size width and height must be multiples of 16.")
    if max(width, height) > MAX_EDGE:
        raise AppError("invalid_command", f"Image size supports a maximum edge of {MAX_EDGE}px.")
    pixels = width * height
    if pixels < MIN_PIXELS:
        raise AppError("invalid_command", too_small_message(width, height))
    if pixels > MAX_PIXELS:
        raise AppError("invalid_command", f"Image size supports up to {MAX_PIXELS} total pixels.")
    if max(width, height) / min(width, height) > MAX_ASPECT:
        raise AppError("invalid_command", "Image size supports a maximum aspect ratio of 3:1.")
    return f"{width}x{height}"


def check_choice(flag: str, value: str | None, allowed: tuple[str, ...]) -> str | None:
    if value is None or value == "":
        return None
    if value not in allowed:
        raise AppError("invalid_command", f"Invalid value {value!r} for {flag}: choose from {', '.join(allowed)}.")
    return value


def check_range(flag: str, value: int | None, low: int, high: int) -> int | None:
    if value is None:
        return None
    if not low <= value <= high:
        raise AppError("invalid_command", f"{flag} must be between {low} and {high}, got {value}.")
    return value


def check_ref_count(count: int) -> None:
    if count > MAX_REF_IMAGES:
        raise AppError(
            "ref_image_too_many",
            f"At most {MAX_REF_IMAGES} reference images are supported.",
            {"max": MAX_REF_IMAGES, "actual": count},
        )


def check_prompt(flag: str, text: str | None) -> None:
    """Prompts (and instructions) are capped at the provider's 32,000 characters."""
    if text is not None and len(text) > MAX_PROMPT_CHARS:
        raise AppError(
            "invalid_argument",
            f"{flag} is {len(text)} characters long; the limit is {MAX_PROMPT_CHARS}.",
            {"flag": flag, "chars": len(text), "max_chars": MAX_PROMPT_CHARS},
        )


def check_finite(flag: str, value: float | None) -> float | None:
    """NaN and +/-Infinity are refused: they compare false with every bound and break JSON."""
    if value is not None and not math.isfinite(value):
        raise AppError(
            "invalid_argument", f"{flag} must be a finite number, got {value!r}.", {"flag": flag, "value": str(value)}
        )
    return value


def refuse_non_finite(message: Any, path: str = "") -> None:
    """Walk a protobuf message: any float/double field (repeated and nested too) holding NaN
    or Infinity is `invalid_argument`, named by its field path."""
    list_fields = getattr(message, "ListFields", None)
    if list_fields is None:
        return
    for field, value in list_fields():
        name = f"{path}.{field.name}" if path else field.name
        if field.type in (field.TYPE_FLOAT, field.TYPE_DOUBLE):
            for item in value if is_repeated_field(field) else (value,):
                check_finite(name, item)
        elif field.type == field.TYPE_MESSAGE:
            if getattr(field, "message_type", None) is not None and field.message_type.GetOptions().map_entry:
                for item in value.values():
                    if isinstance(item, float):
                        check_finite(name, item)
                    else:
                        refuse_non_finite(item, name)
            else:
                for item in value if is_repeated_field(field) else (value,):
                    refuse_non_finite(item, name)


def is_repeated_field(field: Any) -> bool:
    """True for a repeated protobuf field (old and new protobuf spell it differently)."""
    repeated = getattr(field, "is_repeated", None)
    if repeated is not None:
        return bool(repeated)
    return bool(field.label == field.LABEL_REPEATED)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed: numbers must be finite")


def loads_finite(text: str | bytes) -> Any:
    """`json.loads` that refuses NaN, Infinity and -Infinity (ValueError, like any bad JSON)."""
    return json.loads(text, parse_constant=_no_constant)


def finite_only(value: Any) -> Any:
    """A copy of a JSON-like value with every NaN/Infinity replaced by None (for printing a
    row stored before non-finite numbers were refused: JSON has no NaN)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite_only(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite_only(v) for v in value]
    return value


def dumps_finite(value: Any, **kwargs: Any) -> str:
    """`json.dumps` whose output is always valid JSON (non-finite numbers become null)."""
    try:
        return json.dumps(value, allow_nan=False, **kwargs)
    except ValueError:
        return json.dumps(finite_only(value), **kwargs)


def check_base_url(flag: str, value: str, code: str = "invalid_command") -> str:
    """An API base or endpoint must be an absolute http(s) URL with a host (`notaurl` is refused)."""
    from urllib.parse import urlsplit

    text = value.strip()
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError for a malformed port
    except ValueError:
        parts = None
    if parts is None or parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise AppError(
            code,
            f"{flag} must be an http(s) URL such as https://api.example.com/v1, not {value!r}.",
            {"flag": flag, "value": value},
        )
    return text
