"""Client-side validation that runs before any RPC, with the upstream's rules and messages.

`parse_size` is a Click type so a bad `--size` is a usage error
(`invalid_command`, exit 2), exactly as the upstream's value parser.
Reference images are checked for count (`ref_image_too_many`) and, when
local, for existence (`ref_image_missing`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import click

from gpt_image_protocol.errors import AppError
from gpt_image_protocol.validation import check_base_url, check_finite, too_small_message


class FiniteFloat(click.FloatRange):
    """A float flag (optionally bounded) that refuses NaN and +/-Infinity with
    `invalid_argument`: Click's FloatRange lets NaN through every bound."""

    name = "float"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        number = click.FLOAT.convert(value, param, ctx)
        check_finite(param.opts[0] if param is not None and param.opts else "value", number)
        return super().convert(number, param, ctx)


MAX_EDGE = 3840
MIN_PIXELS = 655_360
MAX_PIXELS = 8_294_400
MAX_ASPECT = 3.0
MAX_REF_IMAGES = 16


def parse_size(text: str) -> str:
    """Normalize a --size value to `auto` or `WxH`; raise ValueError with the upstream message."""
    value = text.strip().lower()
    if value == "auto":
        return "auto"
    if value == "2k":
        return "2048x2048"
    if value == "4k":
        return "3840x2160"
    width_text, sep, height_text = value.partition("x")
    if not sep or not width_text.isdigit() or not height_text.isdigit():
        raise ValueError("Image size must be auto, 2K, 4K, or WIDTHxHEIGHT.")
    width, height = int(width_text), int(height_text)
    if width == 0 or height == 0:
        raise ValueError("Image size must use positive width and height values.")
    if width % 16 or height % 16:
        raise ValueError("Image size must use width and height values that are multiples of 16.")
    if max(width, height) > MAX_EDGE:
        raise ValueError("Image size supports a maximum edge of 3840px.")
    pixels = width * height
    if pixels < MIN_PIXELS:
        raise ValueError(too_small_message(width, height))
    if pixels > MAX_PIXELS:
        raise ValueError("Image size supports up to 8294400 total pixels.")
    if max(width, height) / min(width, height) > MAX_ASPECT:
        raise ValueError("Image size supports a maximum aspect ratio of 3:1.")
    return f"{width}x{height}"


class SizeType(click.ParamType):
    """--size: auto, 2K, 4K or WIDTHxHEIGHT within the gpt-image-2 limits."""

    name = "size"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        try:
            return parse_size(str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


SIZE = SizeType()


@dataclass(frozen=True)
class ImageInput:
    """One input image as given: a local file to upload, or a URL the engine fetches."""

    text: str
    path: Path | None = None
    url: str | None = None


def classify_image(text: str, *, what: str = "Reference image", missing: str = "ref_image_missing") -> ImageInput:
    """Local path / file:// -> path (must exist); http(s):// and data: -> url.

    A missing local file is `ref_image_missing` for reference images and masks; the
    transparent commands pass `image_read_failed`, the upstream's code for their inputs."""
    lowered = text.strip().lower()
    if lowered.startswith(("http://", "https://", "data:")):
        return ImageInput(text=text, url=text.strip())
    if lowered.startswith("file://"):
        parsed = urlparse(text.strip())
        if parsed.netloc not in ("", "localhost"):
            raise AppError("ref_image_invalid", f"{what} file URL must point at a local file: {text}", {"ref": text})
        path = Path(unquote(parsed.path))
    else:
        path = Path(text).expanduser()
    if not path.is_file():
        if missing == "image_read_failed":
            raise AppError(
                missing, f"Unable to open image file: {path} (not found).", {"path": str(path), "error": "not found"}
            )
        raise AppError(missing, f"{what} not found: {path}", {"path": str(path)})
    return ImageInput(text=text, path=path)


def check_ref_images(refs: list[str]) -> list[ImageInput]:
    """The upstream order of checks: count first, then each ref."""
    if len(refs) > MAX_REF_IMAGES:
        raise AppError(
            "ref_image_too_many",
            f"At most {MAX_REF_IMAGES} reference images are supported.",
            {"max": MAX_REF_IMAGES, "actual": len(refs)},
        )
    return [classify_image(ref) for ref in refs]


def check_out_dir(out: Path) -> None:
    """Fail before any work when `--out`'s folder cannot be made.

    Like the upstream, missing parent folders are created when the file is written;
    here the nearest existing ancestor is checked up front (a folder we may write in),
    so a paid generation never ends in `output_write_failed`.
    """
    parent = out.expanduser().absolute().parent
    probe = parent
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if probe.is_dir() and os.access(probe, os.W_OK | os.X_OK):
        return
    error = "not a folder" if not probe.is_dir() else f"no permission to write in {probe}"
    raise AppError(
        "output_write_failed",
        f"Unable to create output directory: {parent} ({error}).",
        {"path": str(parent), "error": error},
    )


def _png_has_alpha(data: bytes) -> bool:
    if len(data) < 26:
        return False
    color_type = data[25]
    if color_type in (4, 6):
        return True
    pos = 8  # chunks after the signature: a tRNS before IDAT gives palette/colour-key alpha
    while pos + 8 <= len(data):
        length = int.from_bytes(data[pos : pos + 4], "big")
        kind = data[pos + 4 : pos + 8]
        if kind == b"tRNS":
            return True
        if kind in (b"IDAT", b"IEND"):
            return False
        pos += 12 + length
    return False


def _webp_has_alpha(data: bytes) -> bool:
    chunk = data[12:16]
    if chunk == b"VP8X":
        return len(data) > 20 and bool(data[20] & 0x10)
    if chunk == b"VP8L":
        return len(data) > 24 and bool(data[24] & 0x10)
    return False


def image_has_alpha(head: bytes) -> bool | None:
    """Whether an image's header declares an alpha channel; None for a type we cannot tell."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return _png_has_alpha(head)
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return _webp_has_alpha(head)
    if head.startswith(b"\xff\xd8"):
        return False  # JPEG has no alpha
    return None


def check_mask(item: ImageInput) -> None:
    """A mask marks the area to edit with transparency, so it must carry an alpha channel."""
    head: bytes | None = None
    if item.path is not None:
        try:
            with item.path.open("rb") as handle:
                head = handle.read(1 << 16)
        except OSError as exc:
            raise AppError("ref_image_invalid", f"Unable to read mask image: {item.path}", {"error": str(exc)}) from exc
    elif item.url and item.url.lower().startswith("data:"):
        import base64
        import binascii

        meta, _, payload = item.url.partition(",")
        if ";base64" in meta.lower():
            try:
                head = base64.b64decode(payload[: (1 << 16) // 3 * 4], validate=False)
            except (binascii.Error, ValueError):
                head = None
    if head is None:
        return  # an http(s) mask is fetched by the engine
    if image_has_alpha(head) is False:
        raise AppError(
            "ref_image_invalid",
            f"Mask image has no alpha channel: {item.text}. Use a PNG whose transparent pixels mark the area to edit.",
            {"mask": item.text, "needs": "alpha channel"},
        )


def check_prompt(prompt: str) -> None:
    """An empty --prompt is a usage error (exit 2), caught before the engine is reached."""
    if not prompt.strip():
        raise AppError("invalid_command", "--prompt is required and must not be empty.")


def url_option(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """Click callback: a base URL flag must be an http(s) URL (a usage error otherwise, exit 2)."""
    if value is None or not value.strip():
        return value
    flag = param.opts[0] if param.opts else str(param.name)
    try:
        return check_base_url(flag, value)
    except AppError as exc:
        raise click.BadParameter(exc.message, ctx=ctx, param=param) from None
