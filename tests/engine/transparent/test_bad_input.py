"""Bad input is refused with the registered codes, and inputs are never modified."""

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image
from transparent_helpers import canvas, png_bytes

from gpt_image_engine.errors import AppError
from gpt_image_engine.transparent.color import parse_matte_color, parse_matte_color_or_auto
from gpt_image_engine.transparent.imageio import decode_image, encode_png
from gpt_image_engine.transparent.pipeline import choose_matte_color, extract, matte_prompt, verify_png


def _code(fn, *args, **kwargs) -> str:
    with pytest.raises(AppError) as exc:
        fn(*args, **kwargs)
    return exc.value.code


def test_not_an_image_truncated_and_animated():
    assert _code(decode_image, b"hello, not an image") == "image_decode_failed"
    good = png_bytes(canvas(64, 64, (0, 255, 0)))
    assert _code(decode_image, good[: len(good) // 2]) == "image_decode_failed"
    frames = [Image.new("RGBA", (16, 16), c) for c in ((255, 0, 0, 255), (0, 0, 255, 255))]
    buf = io.BytesIO()
    frames[0].save(buf, "PNG", save_all=True, append_images=frames[1:])
    assert _code(decode_image, buf.getvalue()) == "image_decode_failed"
    gif = io.BytesIO()
    frames[0].save(gif, "GIF")
    assert _code(decode_image, gif.getvalue()) == "image_decode_failed"


def test_pixel_cap_is_checked_from_the_header_before_decoding():
    # A valid header claiming 100000 x 100000 with no pixel data at all.
    ihdr = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 6, 0, 0, 0)
    chunk = struct.pack(">I", len(ihdr)) + b"IHDR" + ihdr + struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    data = b"\x89PNG\r\n\x1a\n" + chunk
    with pytest.raises(AppError) as exc:
        decode_image(data)
    assert exc.value.code == "image_decode_failed" and exc.value.detail["max_pixels"] == 40_000_000
    assert _code(decode_image, png_bytes(canvas(20, 20, (1, 2, 3))), max_pixels=100) == "image_decode_failed"


def test_dual_size_mismatch_and_method_rules():
    a = png_bytes(canvas(16, 16, (0, 0, 0)))
    b = png_bytes(canvas(16, 24, (255, 255, 255)))
    assert _code(extract, None, a, b) == "transparent_input_mismatch"
    assert _code(extract, None, a, None) == "invalid_argument"
    assert _code(extract, None, None, None) == "invalid_argument"
    assert _code(extract, None, None, None, method="chroma") == "invalid_argument"
    assert _code(extract, a, None, None, method="dual") == "invalid_argument"
    assert _code(extract, a, None, None, method="bogus") == "invalid_argument"
    assert _code(extract, a, None, None, profile="bogus") == "invalid_argument"
    assert _code(extract, a, None, None, spill_suppression=1.5) == "invalid_argument"
    assert _code(extract, a, None, None, material="chalk") == "invalid_argument"


@pytest.mark.parametrize("value", ["red", "#12345", "#gg0000", "", "12345678", "auto-ish"])
def test_bad_matte_colour(value):
    assert _code(parse_matte_color, value) == "invalid_argument"
    src = png_bytes(canvas(32, 32, (0, 255, 0)))
    assert _code(extract, src, None, None, matte_color=value) == "invalid_argument"
    assert _code(verify_png, src, "generic", value) == "invalid_argument"


def test_matte_colour_forms():
    assert parse_matte_color(" Magenta ") == (255, 0, 255)
    assert parse_matte_color("chroma-green") == (0, 255, 0)
    assert parse_matte_color("#F008E0") == (240, 8, 224) == parse_matte_color("f008e0")
    for word in ("auto", "sample", "AUTO-SAMPLE", "auto_sample", None):
        assert parse_matte_color_or_auto(word) is None


def test_inputs_are_never_modified():
    src = canvas(64, 64, (0, 255, 0))
    src[18:46, 18:46, :3] = (220, 20, 20)
    data = png_bytes(src)
    before = bytes(data)
    res = extract(data, None, None)
    assert data == before and res.png != data
    arr = decode_image(data)
    copy = arr.copy()
    from gpt_image_engine.transparent.chroma import extract_chroma, resolve_settings

    extract_chroma(arr, None, resolve_settings())
    assert np.array_equal(arr, copy)


def test_strict_failure_carries_the_report():
    src = png_bytes(canvas(64, 64, (0, 255, 0)))  # nothing but matte: empty subject
    with pytest.raises(AppError) as exc:
        extract(src, None, None, profile="icon", strict=True)
    assert exc.value.code == "transparent_verification_failed"
    assert "empty_subject" in exc.value.detail["verification"]["failure_reasons"]


def test_progress_events_and_payload_shape():
    src = canvas(64, 64, (0, 255, 0))
    src[18:46, 18:46, :3] = (220, 20, 20)
    events = []
    res = extract(png_bytes(src), None, None, material="sticker", progress=lambda s, p, m: events.append((s, p)))
    assert events[-1] == ("done", 100) and [p for _, p in events] == sorted(p for _, p in events)
    assert set(res.payload) >= {"method", "profile", "material", "extraction", "verification"}
    ext = res.payload["extraction"]
    for key in ("method", "matte_color", "matte_color_source", "threshold", "softness", "spill_suppression", "material",
                "matte_decontamination_applied", "rgb_scrubbed", "dual_alignment"):
        assert key in ext
    assert ext["material"] == "sticker" and ext["threshold"] == 45.0


def test_png_encoder_round_trips_exactly():
    rng = np.random.default_rng(3)
    for shape in [(1, 1, 4), (7, 13, 4), (700, 300, 4)]:
        arr = rng.integers(0, 256, shape, dtype=np.uint8)
        data = encode_png(arr)
        assert np.array_equal(np.asarray(Image.open(io.BytesIO(data))), arr)


def test_prompt_template_and_matte_choice():
    text = matte_prompt("a red fox", "magenta")
    assert text.startswith("a red fox\n\nExtraction setup: render exactly one isolated asset") and "pure #ff00ff." in text
    assert choose_matte_color("a red fox") == "#00ff00"
    assert choose_matte_color("a green frog on a leaf") == "#ff00ff"
    assert choose_matte_color("green leaves with pink flowers") == "#0000ff"


def test_4k_smoke():
    src = canvas(2160, 3840, (0, 255, 0))
    src[500:1600, 1000:2800, :3] = (200, 60, 40)
    res = extract(png_bytes(src), None, None, profile="product")
    assert res.verification["passed"] and (res.width, res.height) == (3840, 2160)
