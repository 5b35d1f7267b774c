"""Issue 18 part 4: dual extraction trusts an exact pair, however translucent, and refuses real
misregistration (shifted, scaled, different subjects). Pairs come from bench/dual_corpus.py."""

import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "bench"))

import dual_corpus  # noqa: E402

from gpt_image_engine.errors import AppError  # noqa: E402
from gpt_image_engine.transparent.dual import extract_dual  # noqa: E402

CORPUS = list(dual_corpus.pairs(160))


def _case(name):
    return next(c for c in CORPUS if c[0] == name)


@pytest.mark.parametrize("name", [c[0] for c in CORPUS if c[1] == "exact"])
def test_exact_pairs_extract_near_the_8bit_floor(name):
    _, _, dark, light, alpha = _case(name)
    out, report, _ = extract_dual(dark, light)
    assert report["dual_alignment"]["passed"]
    assert report["dual_alignment"]["inconsistent_ratio"] <= 0.01
    floor = 3.0 if "q75" in name else 1.5  # 4:2:0 chroma at 1-px hair strands costs a little
    assert np.abs(out[..., 3] / 255.0 - alpha).mean() * 255 < floor


def test_smooth_glow_quantisation_contours_are_not_a_shift():
    # The repro: a smooth glow on exact 0/255 plates used to read as shifted by a few px,
    # because 8-bit contours of the two images sit at different radii.
    size = 256
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    a = 0.85 * np.exp(-((np.hypot(xx - 128, yy - 128) / (size * 0.42) * 2.2) ** 2))
    pair = []
    for bg in (0.0, 255.0):
        img = np.full((size, size, 4), 255, np.uint8)
        img[..., :3] = np.floor(a[..., None] * np.array([140, 140, 150]) + (1 - a[..., None]) * bg + 0.5)
        pair.append(img)
    out, report, _ = extract_dual(*pair)
    assert report["dual_alignment"]["shift_px"] == {"x": 0, "y": 0} and report["dual_alignment"]["scale"] == 1.0
    assert np.abs(out[..., 3] / 255.0 - a).mean() * 255 <= 1.0  # the alpha <= 5 tail is zeroed


@pytest.mark.parametrize(
    "name",
    [
        "product shift 2px",
        "product shift 8px",
        "product scale 1.02",
        "product vs glass",
        "glass shift 3,2px",
        "hair scale 0.97",
        "hair shift 2px",
        "smoke vs glass",
        "smoke shift 2px",
        "smoke shift 3,2px",
        "smoke scale 0.97",  # (a 2 % enlargement moves a 160 px smoke under a pixel: see below at 512)
    ],
)
def test_misregistered_pairs_are_refused(name):
    _, truth, dark, light, _ = _case(name)
    assert truth == "misregistered"
    with pytest.raises(AppError) as exc:
        extract_dual(dark, light)
    assert exc.value.code == "transparent_input_mismatch"
    assert not exc.value.detail["dual_alignment"]["passed"]


def _smoke_drift_refused(size: int, dx: int, scale: float, seed: int) -> tuple[dict, np.ndarray, np.random.Generator]:
    """A smoke pair whose light image shows the subject moved by dx and scaled: must be refused;
    returns the drift it read, the dark image and the generator (for an exact partner)."""
    fg, a = dual_corpus.subject("smoke", size)
    rng = np.random.default_rng(seed)
    dark, _ = dual_corpus._plate_pair(fg, a, (0.0, 255.0), 1.0, rng)
    f2, a2 = dual_corpus._warp(fg, a, dx, 0, scale)
    _, light = dual_corpus._plate_pair(f2, a2, (0.0, 255.0), 1.0, rng)
    with pytest.raises(AppError) as exc:
        extract_dual(dark, light)
    return exc.value.detail["dual_alignment"]["foreground_drift"], dark, rng


@pytest.mark.parametrize("size", [256, 1024])
def test_a_shifted_grey_smoke_pair_is_read_from_its_foreground(size):
    # A grey subject shifted between the plates still composites consistently pixel by pixel; the
    # foreground it implies carries the alpha gradient, and the regression recovers the shift.
    drift, dark, rng = _smoke_drift_refused(size, 2, 1.0, 3)
    assert drift["drifted"]
    assert abs(abs(drift["shift_px"][0]) - 2.0) < 0.6 and abs(drift["shift_px"][1]) < 0.5, drift
    # The exact pair from the same subject: no drift.
    fg, a = dual_corpus.subject("smoke", size)
    _, light = dual_corpus._plate_pair(fg, a, (0.0, 255.0), 1.0, rng)
    _, report, _ = extract_dual(dark, light)
    drift = report["dual_alignment"]["foreground_drift"]
    assert not drift["drifted"] and max(abs(v) for v in drift["shift_px"]) < 0.3, drift


def test_a_slightly_rescaled_smoke_pair_is_refused_at_working_size():
    drift, _, _ = _smoke_drift_refused(512, 0, 1.02, 4)
    assert drift["drifted"] and drift["scale_px"] < -0.75, drift
