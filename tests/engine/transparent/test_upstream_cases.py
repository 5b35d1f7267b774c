"""The upstream's eleven transparent test cases (reference section 7), rebuilt."""

import numpy as np
import pytest
from transparent_helpers import canvas, png_bytes

from gpt_image_engine.transparent.chroma import extract_chroma, resolve_settings
from gpt_image_engine.transparent.dual import extract_dual
from gpt_image_engine.transparent.pipeline import extract, verify_png
from gpt_image_engine.transparent.verify import verify_rgba


def test_chroma_extraction_creates_real_alpha():
    src = canvas(64, 64, (0, 255, 0))
    src[18:46, 18:46, :3] = (220, 20, 20)
    out, report = extract_chroma(src, (0, 255, 0), resolve_settings())
    v = verify_rgba(out, "generic", (0, 255, 0))
    assert v["passed"] and v["alpha_min"] == 0 and v["alpha_max"] == 255 and v["matte_residue_checked"]
    assert v["transparent_pixels"] == 3312 and v["opaque_pixels"] == 784 and v["component_count"] == 1
    assert tuple(out[30, 30]) == (220, 20, 20, 255)
    assert report["matte_color"] == "#00ff00" and report["matte_color_source"] == "provided"


def test_chroma_spill_suppression_reduces_green_edge():
    src = canvas(64, 64, (0, 255, 0))
    src[16:48, 16:48, :3] = (20, 230, 40)
    weak, _ = extract_chroma(src, (0, 255, 0), resolve_settings(spill_suppression=0.0, material="glow"))
    strong, _ = extract_chroma(src, (0, 255, 0), resolve_settings(spill_suppression=1.0, material="glow"))
    rw = verify_rgba(weak, "icon", (0, 255, 0))["matte_residue_score"]
    rs = verify_rgba(strong, "icon", (0, 255, 0))["matte_residue_score"]
    assert rs <= rw


def test_chroma_extraction_auto_samples_near_matte():
    src = canvas(64, 64, (240, 8, 224))
    src[18:46, 18:46, :3] = (230, 180, 40)
    out, report = extract_chroma(src, None, resolve_settings())
    assert report["matte_color"] == "#f008e0" and report["matte_color_source"] == "auto-sampled"
    assert verify_rgba(out, "icon", (240, 8, 224))["passed"]
    # Better than upstream: the opaque interior keeps its colour (upstream gives (202,180,40)).
    assert tuple(out[30, 30]) == (230, 180, 40, 255)


def test_material_preset_can_be_overridden_per_field():
    s = resolve_settings("soft-3d", threshold=35)
    assert (s.threshold, s.softness, s.spill_suppression, s.material) == (35.0, 40.0, 0.20, "soft-3d")
    assert resolve_settings("soft3d").material == "soft-3d"


def test_verification_reports_when_matte_residue_was_not_checked():
    img = canvas(64, 64, (0, 0, 0, 0))
    img[18:46, 18:46] = (220, 20, 20, 255)
    img[18, 18:46, 3] = img[45, 18:46, 3] = img[18:46, 18, 3] = img[18:46, 45, 3] = 128
    v = verify_rgba(img, "icon")
    assert v["passed"] and not v["matte_residue_checked"]
    assert any("matte residue was not checked" in w for w in v["warnings"])
    assert v["partial_pixels"] == 108 and v["opaque_pixels"] == 676 and v["quality_score"] == 1.0


def test_seal_profile_allows_deliberate_multi_component_marks():
    img = canvas(80, 80, (0, 0, 0, 0))
    img[18:62, 18:30] = (200, 20, 20, 255)
    img[18:62, 50:62] = (200, 20, 20, 255)
    icon = verify_rgba(img, "icon")
    assert not icon["passed"] and "too_many_stray_pixels" in icon["failure_reasons"]
    seal = verify_rgba(img, "seal")
    assert seal["passed"] and seal["component_count"] == 2
    assert icon["quality_score"] == pytest.approx(0.525) and seal["quality_score"] == pytest.approx(0.875)
    assert seal["residue_score"] == pytest.approx(0.825)


def test_dual_extraction_recovers_semi_transparent_alpha():
    dark = canvas(16, 16, (0, 0, 0))
    light = canvas(16, 16, (255, 255, 255))
    dark[4:12, 4:12, :3] = (100, 20, 10)
    light[4:12, 4:12, :3] = (228, 148, 138)
    out, report, _ = extract_dual(dark, light)
    assert abs(int(out[8, 8, 3]) - 128) <= 2
    v = verify_rgba(out, "translucent")
    assert v["passed"] and v["partial_pixels"] > 0
    assert tuple(out[8, 8]) == (201, 40, 20, 127) and report["dual_alignment"]["score"] == 1.0


def test_verification_rejects_fully_opaque_png():
    res = verify_png(png_bytes(canvas(16, 16, (10, 20, 30))), "generic")
    v = res["verification"]
    assert not res["passed"] and v["transparent_pixels"] == 0
    assert v["failure_reasons"] == ["no_fully_transparent_pixels", "transparent_area_too_small"]
    assert v["alpha_health_score"] == pytest.approx(0.6) and v["quality_score"] == pytest.approx(0.45)


def test_verification_detects_checkerboard_fake_transparency():
    yy, xx = np.mgrid[0:64, 0:64]
    img = canvas(64, 64, (0, 0, 0))
    img[..., :3] = np.where((xx // 8 + yy // 8) % 2 == 0, 238, 196)[..., None]
    v = verify_png(png_bytes(img), "generic")["verification"]
    assert not v["passed"] and v["checkerboard_detected"]
    assert v["failure_reasons"] == ["checkerboard_detected", "no_fully_transparent_pixels", "transparent_area_too_small"]
    assert v["quality_score"] == 0.0 and v["alpha_health_score"] == pytest.approx(0.25)


def test_glow_profile_requires_partial_alpha():
    img = canvas(64, 64, (0, 0, 0, 0))
    img[18:46, 18:46] = (220, 20, 20, 255)
    v = verify_rgba(img, "glow")
    assert v["failure_reasons"] == ["profile_requires_partial_alpha"] and v["quality_score"] == pytest.approx(0.65)


def test_effect_profile_allows_hard_alpha_particles():
    img = canvas(80, 80, (0, 0, 0, 0))
    for cx, cy in ((24, 24), (40, 36), (56, 52)):
        img[cy - 4 : cy + 5, cx - 4 : cx + 5] = (255, 220, 80, 255)
    v = verify_rgba(img, "effect")
    assert v["passed"] and v["partial_pixels"] == 0 and v["component_count"] == 3
    assert v["bbox"] == {"x": 20, "y": 20, "width": 41, "height": 37} and v["edge_margin_px"] == 19


def test_selftest_fixture_and_extract_pipeline_roundtrip():
    img = canvas(8, 8, (0, 0, 0, 0))
    img[2:6, 2:6] = (255, 0, 0, 255)
    assert verify_png(png_bytes(img), "generic")["passed"]
    src = canvas(64, 64, (0, 255, 0))
    src[18:46, 18:46, :3] = (220, 20, 20)
    res = extract(png_bytes(src), None, None, profile="icon")
    assert res.payload["method"] == "chroma" and res.verification["passed"] and (res.width, res.height) == (64, 64)
    assert res.payload["extraction"]["matte_color_source"] == "auto-sampled"
    assert verify_png(res.png, "icon", res.payload["extraction"]["matte_color"])["passed"]


def test_fully_transparent_and_unscrubbed_images():
    empty = canvas(40, 40, (0, 0, 0, 0))
    assert verify_rgba(empty, "generic")["failure_reasons"] == ["empty_subject", "alpha_range_too_low"]
    assert verify_rgba(empty, "seal")["failure_reasons"] == ["empty_subject", "alpha_range_too_low", "profile_requires_opaque_pixels"]
    dirty = canvas(40, 40, (0, 255, 0, 0))
    dirty[10:30, 10:30] = (200, 20, 20, 255)
    v = verify_rgba(dirty, "generic")
    assert v["failure_reasons"] == ["transparent_rgb_not_scrubbed"]
    assert v["alpha_health_score"] == pytest.approx(0.88) and v["quality_score"] == pytest.approx(0.45)
