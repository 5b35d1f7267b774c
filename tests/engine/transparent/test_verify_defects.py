"""Issue 18 part 3: `transparent verify` sees a key-coloured halo, a fringe of un-keyed colour and
stray specks in the profiles where the upstream gates stray pixels and matte residue (icon,
product, sticker, seal), and still accepts clean solid, glow, smoke, glass and shadow assets.
The corpus (clean and broken assets, three strengths, four key colours) is bench/verify_corpus.py
at a small size; the bench prints the same table at 256 px."""

import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "bench"))

import verify_corpus  # noqa: E402

from gpt_image_engine.transparent.verify import verify_rgba  # noqa: E402

SIZE = 128
TABLE, MISSES = verify_corpus.evaluate(SIZE)
GATED = ("icon", "product", "sticker", "seal")
REASON = {"halo": "matte_halo_detected", "fringe": "edge_fringe_detected", "specks": "stray_specks_detected"}


@pytest.mark.parametrize("with_matte", [True, False], ids=["matte", "bare"])
@pytest.mark.parametrize(
    ("profile", "defect"),
    [(p, d) for p in GATED for d in ("clean", *verify_corpus.DEFECTS)]
    + [(p, "clean") for p in ("translucent", "glow", "shadow", "effect")],
)
def test_confusion_cell_reaches_95_percent(profile, defect, with_matte):
    right, total = TABLE[(profile, defect, with_matte)]
    assert total >= 3
    assert right / total >= 0.95, [m for m in MISSES if m[0][1] == profile and m[0][2] == defect]


@pytest.mark.parametrize("defect", verify_corpus.DEFECTS)
@pytest.mark.parametrize("strength", verify_corpus.STRENGTHS)
def test_each_defect_is_named_in_the_failure_reasons(defect, strength):
    rng = np.random.default_rng(5)
    fg, a = verify_corpus.asset("icon flat", SIZE, rng)
    key = verify_corpus.KEYS["magenta"]
    clean = verify_corpus.finish(fg, a, key, rng)
    assert verify_rgba(clean, "icon")["passed"]
    broken = verify_corpus.inject(clean, defect, strength, key, rng)
    v = verify_rgba(broken, "icon")
    # A ring that is mostly key colour is named a halo, a mix nearer the subject a fringe.
    ring = {"matte_halo_detected", "edge_fringe_detected"}
    named = ring if defect in ("halo", "fringe") else {REASON[defect]}
    assert named & set(v["failure_reasons"]), v["failure_reasons"]
    if defect != "specks":
        assert v["edge_contamination_key"] == "#ff00ff" and v["edge_contamination_ratio"] > 0.25
    else:
        assert v["stray_speck_count"] >= 1
    # Generic and the effect profiles keep the upstream's gates: these defects alone do not fail them.
    assert verify_rgba(broken, "generic")["passed"] and verify_rgba(broken, "effect")["passed"]


def test_strong_halo_is_named_a_halo_and_strong_fringe_a_fringe():
    rng = np.random.default_rng(9)
    fg, a = verify_corpus.asset("sticker", SIZE, rng)
    key = verify_corpus.KEYS["green"]
    clean = verify_corpus.finish(fg, a, key, rng)
    halo = verify_rgba(verify_corpus.inject(clean, "halo", "strong", key, rng), "sticker", key)
    fringe = verify_rgba(verify_corpus.inject(clean, "fringe", "weak", key, rng), "sticker", key)
    assert "matte_halo_detected" in halo["failure_reasons"] and halo["halo_ring_detected"]
    assert "edge_fringe_detected" in fringe["failure_reasons"] and fringe["edge_fringe_detected"]


def test_red_subject_on_magenta_is_not_matte_residue():
    # The upstream counts a red subject's own anti-aliased edge as magenta residue; we charge only
    # the key excess beyond the neighbouring opaque colour.
    yy, xx = np.mgrid[0:96, 0:96].astype(np.float32)
    a = np.clip(30 - np.hypot(xx - 48, yy - 48) + 0.5, 0, 1)
    img = np.zeros((96, 96, 4), np.uint8)
    img[..., :3] = (220, 30, 40)
    img[..., 3] = np.floor(a * 255 + 0.5)
    img[img[..., 3] == 0] = 0
    v = verify_rgba(img, "icon", (255, 0, 255))
    assert v["passed"] and v["matte_residue_score"] < 0.02
    mixed = img.copy()
    edge = (img[..., 3] > 0) & (img[..., 3] < 250)
    mixed[edge, :3] = np.floor(0.5 * img[edge, :3] + 0.5 * np.array([255, 0, 255]) + 0.5).astype(np.uint8)
    assert verify_rgba(mixed, "icon", (255, 0, 255))["matte_residue_score"] > 0.1


def test_existing_fields_stay_and_new_fields_are_added():
    rng = np.random.default_rng(1)
    fg, a = verify_corpus.asset("product shadow", SIZE, rng)
    v = verify_rgba(verify_corpus.finish(fg, a, (0, 255, 0), rng), "product", (0, 255, 0))
    for field in ("halo_score", "matte_residue_score", "stray_pixel_count", "quality_score", "failure_reasons"):
        assert field in v
    for field in ("edge_contamination_ratio", "edge_contamination_key", "stray_speck_count", "stray_speck_pixels"):
        assert field in v
    assert v["passed"], v["failure_reasons"]
