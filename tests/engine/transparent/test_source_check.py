"""Issue 18 part 5: chroma sources that cannot be keyed are refused with a coded error (a painted
checkerboard, a subject that fills the frame); realistic key plates are never refused. Sources
come from bench/source_corpus.py (offset, gradient, vignette, blotches, noise, JPEG q94/q75)."""

import os
import sys

import pytest
from transparent_helpers import png_bytes

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "bench"))

import source_corpus  # noqa: E402

from gpt_image_engine.errors import AppError  # noqa: E402
from gpt_image_engine.transparent.pipeline import extract  # noqa: E402
from gpt_image_engine.transparent.sourcecheck import check_source  # noqa: E402

CORPUS = list(source_corpus.sources(96))


@pytest.mark.parametrize(("name", "expected"), [(c[0], c[1]) for c in CORPUS])
def test_source_check_outcome(name, expected):
    rgba = next(c[2] for c in CORPUS if c[0] == name)
    assert source_corpus.judge(rgba) == expected


def test_key_plate_ring_reports_the_plate():
    rgba = next(c[2] for c in CORPUS if c[0].startswith("magenta plate, subject touch-left"))
    ring = check_source(rgba)
    assert ring["ratio"] >= 0.75 and ring["plate"][0] > 180 and ring["plate"][1] < 60


def test_extract_refuses_a_checkerboard_source_with_advice():
    rgba = next(c[2] for c in CORPUS if c[1] == "transparent_source_checkerboard" and "subject" in c[0])
    with pytest.raises(AppError) as exc:
        extract(png_bytes(rgba), None, None, method="chroma")
    assert exc.value.code == "transparent_source_checkerboard"
    assert "regenerate" in exc.value.message.lower() and "key colour" in exc.value.message


def test_extract_refuses_a_frame_filling_source():
    rgba = next(c[2] for c in CORPUS if c[1] == "transparent_no_key_border")
    with pytest.raises(AppError) as exc:
        extract(png_bytes(rgba), None, None, method="chroma", matte_color="#00ff00")
    assert exc.value.code == "transparent_no_key_border"
    assert exc.value.detail["key_border_ratio"] < exc.value.detail["required"]


def test_extract_keys_a_realistic_plate_with_a_subject_on_one_edge():
    rgba = next(c[2] for c in CORPUS if c[0].startswith("green plate, subject touch-bottom, noise 2.0, q75"))
    result = extract(png_bytes(rgba), None, None, method="chroma")
    assert result.verification["transparent_pixels"] > 0
