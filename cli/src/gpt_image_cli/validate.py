"""Client-side validation that runs before any RPC, with the upstream's rules and messages.

`parse_size` is a Click type so a bad `--size` is a usage error
(`invalid_command`, exit 2), exactly as the upstream's value parser.
Reference images are checked for count (`ref_image_too_many`) and, when
local, for existence (`ref_image_missing`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import click

from gpt_image_protocol.errors import AppError
from gpt_image_protocol.validation import check_finite


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
        raise ValueError("Image size supports at least 655360 total pixels.")
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


def classify_image(text: str, *, what: str = "Reference image") -> ImageInput:
    """Local path / file:// -> path (must exist); http(s):// and data: -> url."""
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
        raise AppError("ref_image_missing", f"{what} not found: {path}", {"path": str(path)})
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
