"""The transparent pipeline's API for the engine's job runner: extract, verify, prompt helpers.

Everything here works on bytes and returns plain dicts shaped like the upstream's JSON payloads
(reference sections 1.3-1.5 and 6.10), minus what the engine adds itself (ok, command, output
paths, history). No grpc, no files: the caller moves artifacts.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from gpt_image_engine.errors import AppError
from gpt_image_engine.transparent.chroma import extract_chroma, resolve_settings
from gpt_image_engine.transparent.color import parse_matte_color, parse_matte_color_or_auto, to_hex
from gpt_image_engine.transparent.dual import extract_dual
from gpt_image_engine.transparent.imageio import decode_image_info, encode_png
from gpt_image_engine.transparent.sourcecheck import check_source
from gpt_image_engine.transparent.subsampling import jpeg_chroma_subsampled, restore_chroma
from gpt_image_engine.transparent.verify import PROFILES, verify_rgba

Progress = Callable[[str, int, str], None]
METHODS = ("auto", "chroma", "dual")
DEFAULT_MATTE_HEX = "#00ff00"
SETUP_TEMPLATE = (
    "Extraction setup: render exactly one isolated asset, centered with a clear margin, on a perfectly flat "
    "uniform matte background of pure {matte_hex}. Do not use gradients, texture, vignette, shadows, reflections, "
    "contact shadows, scenery, props, labels, frames, or background-colored details. Keep the full subject visible "
    "and separated from the matte."
)


@dataclass
class ExtractResult:
    png: bytes
    payload: dict[str, Any]
    verification: dict[str, Any]
    width: int
    height: int
    warnings: list[str] = field(default_factory=list)


def _resolve_method(method: str, has_input: bool, has_dark: bool, has_light: bool) -> str:
    if method not in METHODS:
        raise AppError("invalid_argument", "Method must be auto, chroma or dual.", {"value": method})
    if method == "auto":
        if has_dark or has_light:
            if not (has_dark and has_light):
                raise AppError("invalid_argument", "Dual extraction needs both --dark-image and --light-image.")
            return "dual"
        if has_input:
            return "chroma"
        raise AppError("invalid_argument", "transparent extract needs --input or a --dark-image/--light-image pair.")
    if method == "chroma":
        if not has_input:
            raise AppError("invalid_argument", "transparent extract --method chroma requires --input.")
        return "chroma"
    if not has_dark:
        raise AppError("invalid_argument", "transparent extract --method dual requires --dark-image.")
    if not has_light:
        raise AppError("invalid_argument", "transparent extract --method dual requires --light-image.")
    return "dual"


def _check_profile(profile: str) -> None:
    if profile not in PROFILES:
        raise AppError("invalid_argument", f"Profile must be one of {', '.join(PROFILES)}.", {"value": profile})


def extract(
    input_png: bytes | None,
    dark_png: bytes | None,
    light_png: bytes | None,
    *,
    method: str = "auto",
    profile: str = "generic",
    material: str | None = None,
    matte_color: str | None = None,
    threshold: float | None = None,
    softness: float | None = None,
    spill_suppression: float | None = None,
    strict: bool = False,
    progress: Progress | None = None,
) -> ExtractResult:
    """Extract a transparent PNG (chroma from `input_png`, or dual from the dark/light pair),
    then verify it with `profile`. `strict` turns a failed gate into transparent_verification_failed."""
    resolved = _resolve_method(method, input_png is not None, dark_png is not None, light_png is not None)
    _check_profile(profile)
    report_progress = progress or (lambda stage, pct, msg: None)
    warnings: list[str] = []
    if resolved == "chroma":
        settings = resolve_settings(material, threshold, softness, spill_suppression, profile=profile)
        matte = parse_matte_color_or_auto(matte_color)
        report_progress("decode", 5, "decoding source")
        assert input_png is not None
        rgba, _ = decode_image_info(input_png)
        check_source(rgba)  # a painted checkerboard or a frame-filling subject is refused, not guessed
        subsampled = jpeg_chroma_subsampled(input_png)
        if subsampled:  # 4:2:0 JPEG: colour bleeds across the edge; restore it from the sharp luma
            rgba = restore_chroma(rgba)
        out, extraction = extract_chroma(rgba, matte, settings, progress)
        extraction["key_model"]["chroma_restored"] = subsampled
        del rgba
        expected = parse_matte_color(extraction["matte_color"])
    else:
        # Dual ignores the chroma knobs (as upstream) but still validates them.
        resolve_settings(material, threshold, softness, spill_suppression)
        report_progress("decode", 5, "decoding sources")
        assert dark_png is not None and light_png is not None
        dark, _ = decode_image_info(dark_png)
        light, _ = decode_image_info(light_png)
        report_progress("key", 30, "difference matting")
        out, extraction, warnings = extract_dual(dark, light)
        del dark, light
        expected = None
    report_progress("encode", 80, "encoding PNG")
    png = encode_png(out)
    report_progress("verify", 90, "verifying")
    # Verify the array we encoded (the encoder is lossless and tested to round-trip exactly).
    verification = verify_rgba(out, profile, expected)
    h, w = out.shape[:2]
    payload: dict[str, Any] = {
        "method": resolved,
        "profile": profile,
        "material": material,
        "extraction": extraction,
        "verification": verification,
    }
    if warnings:
        payload["warnings"] = warnings
    if strict and not verification["passed"]:
        raise AppError(
            "transparent_verification_failed", "Transparent PNG verification failed.", {"verification": verification}
        )
    report_progress("done", 100, "extracted")
    return ExtractResult(png=png, payload=payload, verification=verification, width=w, height=h, warnings=warnings)


def verify_png(data: bytes, profile: str = "generic", expected_matte_color: str | None = None) -> dict[str, Any]:
    """The `transparent verify` payload (without ok/command): profile, passed, verification."""
    _check_profile(profile)
    expected = parse_matte_color(expected_matte_color) if expected_matte_color is not None else None
    rgba, info = decode_image_info(data)
    verification = verify_rgba(rgba, profile, expected, info)
    return {"profile": profile, "passed": verification["passed"], "verification": verification}


def matte_prompt(user_prompt: str, matte_hex: str) -> str:
    """The upstream's controlled-matte source prompt: the user prompt, a blank line, the setup."""
    hex_text = to_hex(parse_matte_color(matte_hex))
    return f"{user_prompt}\n\n{SETUP_TEMPLATE.format(matte_hex=hex_text)}"


# Words that suggest the subject itself is (or contains) a given key colour.
_CLASHES: dict[str, tuple[str, ...]] = {
    "#00ff00": (
        "green",
        "leaf",
        "leaves",
        "plant",
        "grass",
        "tree",
        "forest",
        "lime",
        "frog",
        "cactus",
        "emerald",
        "mint",
        "olive",
        "jade",
        "moss",
        "fern",
        "clover",
        "shamrock",
        "lettuce",
        "broccoli",
        "avocado",
        "cucumber",
        "pickle",
        "kiwi",
        "herb",
        "salad",
        "turtle",
        "lizard",
        "dragon",
        "alien",
        "slime",
        "zombie",
    ),
    "#ff00ff": (
        "magenta",
        "pink",
        "purple",
        "violet",
        "lavender",
        "orchid",
        "fuchsia",
        "flamingo",
        "rose",
        "lilac",
        "plum",
        "grape",
        "berry",
        "neon",
        "amethyst",
        "peony",
        "magnolia",
    ),
    "#0000ff": ("blue", "sky", "ocean", "sea", "water", "sapphire", "denim", "navy", "jeans", "whale", "wave", "ice"),
    "#00ffff": ("cyan", "teal", "turquoise", "aqua", "ocean", "water", "ice", "glacier", "lagoon", "mint"),
}
_ORDER = ("#00ff00", "#ff00ff", "#0000ff", "#00ffff")


def choose_matte_color(prompt: str) -> str:
    """A key colour unlikely to clash with the subject: green unless the prompt mentions green
    things, then magenta, blue, cyan; the key with the fewest clashing mentions otherwise."""
    words = re.findall(r"[a-z]+", prompt.lower())
    bag = set(words) | {w[:-1] for w in words if w.endswith("s")}
    hits = {hexv: sum(1 for kw in kws if kw in bag) for hexv, kws in _CLASHES.items()}
    for hexv in _ORDER:
        if hits[hexv] == 0:
            return hexv
    return min(_ORDER, key=lambda h: (hits[h], _ORDER.index(h)))
