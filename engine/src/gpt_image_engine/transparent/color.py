"""Matte colours: parsing the upstream's names and hex forms, and the lowercase `#rrggbb` spelling."""

from __future__ import annotations

from collections.abc import Sequence

from gpt_image_engine.errors import AppError

RGB = tuple[int, int, int]

NAMED: dict[str, RGB] = {
    "black": (0, 0, 0),
    "white": (255, 255, 255),
    "green": (0, 255, 0),
    "chroma-green": (0, 255, 0),
    "magenta": (255, 0, 255),
    "cyan": (0, 255, 255),
    "blue": (0, 0, 255),
}
AUTO_WORDS = frozenset({"auto", "sample", "auto-sample", "auto_sample"})
_HEX = frozenset("0123456789abcdef")


def _bad(value: object) -> AppError:
    return AppError("invalid_argument", "Matte color must be a named color or #RRGGBB.", {"value": value})


def parse_matte_color(value: str) -> RGB:
    """A named colour or `#RRGGBB` / `RRGGBB` (trimmed, case-insensitive) -> (r, g, b)."""
    if not isinstance(value, str):
        raise _bad(value)
    text = value.strip().lower()
    if text in NAMED:
        return NAMED[text]
    if text.startswith("#"):
        text = text[1:]
    if len(text) != 6 or not set(text) <= _HEX:
        raise _bad(value)
    return (int(text[0:2], 16), int(text[2:4], 16), int(text[4:6], 16))


def parse_matte_color_or_auto(value: str | None) -> RGB | None:
    """Like `parse_matte_color`, but None and auto/sample/auto-sample/auto_sample mean "sample it"."""
    if value is None:
        return None
    if isinstance(value, str) and value.strip().lower() in AUTO_WORDS:
        return None
    return parse_matte_color(value)


def to_hex(rgb: Sequence[float]) -> str:
    r, g, b = (max(0, min(255, int(round(float(c))))) for c in rgb)
    return f"#{r:02x}{g:02x}{b:02x}"


def is_saturated(rgb: Sequence[float]) -> bool:
    """The upstream's test for a keyable chroma matte (max >= 192 and max - min >= 128)."""
    hi, lo = max(rgb), min(rgb)
    return hi >= 192 and hi - lo >= 128
