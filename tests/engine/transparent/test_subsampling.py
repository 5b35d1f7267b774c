"""4:2:0 JPEG sources: the header says the chroma is subsampled, and keying restores it from luma first."""

import io
import os
import sys

import numpy as np
import pytest
from PIL import Image

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "bench"))

import transparent_corpus as corpus  # noqa: E402

from gpt_image_engine.transparent import pipeline  # noqa: E402
from gpt_image_engine.transparent.chroma import extract_chroma, resolve_settings  # noqa: E402
from gpt_image_engine.transparent.imageio import decode_image  # noqa: E402
from gpt_image_engine.transparent.subsampling import jpeg_chroma_subsampled, restore_chroma  # noqa: E402


def _jpeg(rgb: np.ndarray, **kw) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, "JPEG", **kw)
    return buf.getvalue()


def _edge_image() -> np.ndarray:
    """A red disc on green, anti-aliased: a hard colour edge at odd pixel phases."""
    yy, xx = np.mgrid[0:64, 0:64].astype(np.float32)
    a = np.clip(20.5 - np.hypot(xx - 31.3, yy - 32.7), 0, 1)[..., None]
    return np.floor(a * np.array([200, 40, 50]) + (1 - a) * np.array([0, 255, 0]) + 0.5).astype(np.uint8)


def test_header_tells_subsampled_jpeg_from_full_chroma_and_other_formats():
    rgb = _edge_image()
    assert jpeg_chroma_subsampled(_jpeg(rgb, quality=75, subsampling=2))  # 4:2:0
    assert jpeg_chroma_subsampled(_jpeg(rgb, quality=90, subsampling=1))  # 4:2:2
    assert not jpeg_chroma_subsampled(_jpeg(rgb, quality=94, subsampling=0))  # 4:4:4
    assert not jpeg_chroma_subsampled(_jpeg(rgb[..., 0], quality=90))  # greyscale: one component
    assert not jpeg_chroma_subsampled(_jpeg(rgb, quality=90, progressive=True, subsampling=0))
    assert jpeg_chroma_subsampled(_jpeg(rgb, quality=90, progressive=True, subsampling=2))
    png = io.BytesIO()
    Image.fromarray(rgb).save(png, "PNG")
    assert not jpeg_chroma_subsampled(png.getvalue())


@pytest.mark.parametrize(
    "data", [b"", b"\xff\xd8", b"\xff\xd8\xff\xc0\x00", b"\xff\xd8\x00\x00\x00\x00", b"\xff\xd8\xff\xda\x00\x02"]
)
def test_header_parser_survives_truncated_and_junk_files(data):
    assert jpeg_chroma_subsampled(data) is False


def test_restoration_brings_the_edge_colours_back_toward_the_original():
    rgb = _edge_image()
    dec = np.asarray(Image.open(io.BytesIO(_jpeg(rgb, quality=95, subsampling=2))).convert("RGBA"))
    fixed = restore_chroma(dec)
    edge = np.abs(rgb.astype(np.float32) - np.array([0, 255, 0])).max(axis=2) > 0
    ring = edge & ~np.all(np.abs(rgb.astype(np.float32) - np.array([200, 40, 50])) < 1, axis=2)
    before = np.abs(dec[..., :3].astype(np.float32) - rgb)[ring].mean()
    after = np.abs(fixed[..., :3].astype(np.float32) - rgb)[ring].mean()
    assert after < 0.6 * before, (before, after)
    assert (fixed[..., 3] == dec[..., 3]).all()
    # A frame with no edges keeps its colour.
    flat = np.full((32, 32, 4), (10, 240, 12, 255), np.uint8)
    assert np.array_equal(restore_chroma(flat), flat)


@pytest.mark.parametrize("kind", ["product", "seal", "flower_on_magenta", "icon"])
def test_subsampled_corpus_cases_key_better_with_restored_chroma(kind):
    i = list(corpus.KINDS).index(kind)
    case = corpus.make_case(kind, 128, 200 + i, "jpeg75-420")
    res = pipeline.extract(case.source, None, None, method="chroma", profile=case.profile)
    assert res.payload["extraction"]["key_model"]["chroma_restored"] is True
    out = np.asarray(Image.open(io.BytesIO(res.png)).convert("RGBA"))
    restored = corpus.metrics(out, case.fg, case.alpha)
    assert restored["scrub"] == 0
    # The same decoded pixels keyed as they come (what the pipeline did before).
    raw, _ = extract_chroma(decode_image(case.source), None, resolve_settings(profile=case.profile))
    plain = corpus.metrics(raw, case.fg, case.alpha)
    # Measured at this size: product 10.3 -> 5.0, seal 40.8 -> 17.7, flower 20.8 -> 16.4, icon 11.8 -> 5.8.
    assert restored["alpha"] <= 0.85 * plain["alpha"], (restored, plain)
    png = corpus.make_case(kind, 128, 200 + i, "png")
    res = pipeline.extract(png.source, None, None, method="chroma", profile=png.profile)
    assert res.payload["extraction"]["key_model"]["chroma_restored"] is False
