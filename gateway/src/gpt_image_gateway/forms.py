"""Reading request bodies into contract messages: option fields from JSON or
multipart forms (OpenAI's field names), and uploaded files streamed to the
engine as artifacts after a magic-byte check (the gateway never decodes images)."""

from __future__ import annotations

import os
from typing import Any

from flask import request
from werkzeug.datastructures import FileStorage

from gpt_image.v1 import common_pb2, images_pb2, transparent_pb2
from gpt_image_gateway.client import EngineClient
from gpt_image_protocol import validation
from gpt_image_protocol.errors import AppError
from gpt_image_protocol.jsonshape import METHODS, PROFILES

_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"BM", "image/bmp"),
)


def sniff_image(head: bytes) -> str | None:
    for magic, mime in _MAGIC:
        if head.startswith(magic):
            return mime
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def fields() -> dict[str, Any]:
    """Option fields from a JSON object body or a form (multipart or urlencoded)."""
    if request.is_json:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            raise AppError("invalid_body_json", "The request body must be a JSON object.")
        return body
    return {k: v for k, v in request.form.items()}


def optional_fields() -> dict[str, Any]:
    """Like `fields`, but an empty body (no JSON at all) is an empty object."""
    if not request.get_data(cache=True) and not request.form:
        return {}
    return fields()


def text(body: dict[str, Any], *names: str) -> str:
    for name in names:
        value = body.get(name)
        if value is not None and value != "":
            return str(value).strip()
    return ""


def integer(body: dict[str, Any], name: str, low: int, high: int, *aliases: str) -> int | None:
    raw = text(body, name, *aliases)
    if not raw:
        return None
    try:
        value = int(raw)
    except ValueError:
        raise AppError("invalid_argument", f"{name} must be an integer.", {"field": name}) from None
    if not low <= value <= high:
        raise AppError("invalid_argument", f"{name} must be between {low} and {high}.", {"field": name})
    return value


def number(body: dict[str, Any], name: str) -> float | None:
    raw = text(body, name)
    if not raw:
        return None
    try:
        return float(raw)
    except ValueError:
        raise AppError("invalid_argument", f"{name} must be a number.", {"field": name}) from None


def flag(body: dict[str, Any], name: str) -> bool:
    value = body.get(name)
    if isinstance(value, bool):
        return value
    return str(value or "").strip().lower() in ("1", "true", "yes", "on")


def choice(body: dict[str, Any], name: str, allowed: tuple[str, ...], *aliases: str) -> str:
    value = text(body, name, *aliases).lower()
    if value and value not in allowed:
        raise AppError(
            "invalid_argument", f"{name} must be one of {', '.join(allowed)}.", {"field": name, "value": value}
        )
    return value


def call_options(body: dict[str, Any]) -> common_pb2.CallOptions:
    return common_pb2.CallOptions(provider=text(body, "provider"))


def image_options(body: dict[str, Any], *, prompt_required: bool = True) -> images_pb2.ImageOptions:
    prompt = text(body, "prompt")
    if prompt_required and not prompt:
        raise AppError("invalid_argument", "Prompt is required.", {"field": "prompt"})
    size = text(body, "size")
    if size:
        try:
            size = validation.parse_size(size)
        except AppError as err:
            raise AppError("invalid_argument", err.message, {"field": "size"}) from None
    opts = images_pb2.ImageOptions(
        prompt=prompt,
        model=text(body, "model"),
        instructions=text(body, "instructions"),
        background=choice(body, "background", validation.BACKGROUNDS),
        size=size,
        quality=choice(body, "quality", validation.QUALITIES),
        format=choice(body, "format", validation.FORMATS, "output_format"),
        moderation=choice(body, "moderation", validation.MODERATIONS),
        partial_images=integer(body, "partial_images", 0, 3) or 0,
    )
    compression = integer(body, "compression", 0, 100, "output_compression")
    if compression is not None:
        opts.compression = compression
    n = integer(body, "n", 1, 10)
    if n is not None:
        opts.n = n
    return opts


def enum_word(body: dict[str, Any], name: str, numbers: dict[str, Any]) -> Any:
    """A method or profile word as its enum number (empty: unspecified); a word the contract does
    not name is refused as the engine refuses it."""
    value = text(body, name)
    if value and value not in numbers:
        raise AppError("invalid_command", f"--{name} must be one of {', '.join(numbers)}.")
    return numbers.get(value, 0)


def transparent_options(body: dict[str, Any]) -> transparent_pb2.TransparentOptions:
    opts = transparent_pb2.TransparentOptions(
        transparent_method=enum_word(body, "method", METHODS),
        transparent_profile=enum_word(body, "profile", PROFILES),
        material=text(body, "material"),
        matte_color=text(body, "matte_color"),
        strict=flag(body, "strict"),
    )
    for name in ("threshold", "softness", "spill_suppression"):
        value = number(body, name)
        if value is not None:
            setattr(opts, name, value)
    return opts


def files(*names: str) -> list[FileStorage]:
    found: list[FileStorage] = []
    for name in names:
        found.extend(f for f in request.files.getlist(name) if f and f.filename is not None)
    return found


def upload(client: EngineClient, item: FileStorage, role: str = "image") -> common_pb2.ImageSource:
    """Check the bytes look like an image, stream them to the engine, return the source."""
    stream = item.stream
    head = stream.read(16)
    mime = sniff_image(head)
    name = os.path.basename(item.filename or f"{role}.png") or f"{role}.png"
    if mime is None:
        raise AppError(
            "ref_image_invalid",
            f"The {role} upload {name!r} is not a PNG, JPEG, WEBP, GIF or BMP image.",
            {"field": role, "name": name},
        )
    stream.seek(0, os.SEEK_END)
    size = stream.tell()
    stream.seek(0)
    ref = client.upload(name, mime, stream, size)
    return common_pb2.ImageSource(artifact_id=ref.artifact_id)
