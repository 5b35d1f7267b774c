"""Each weakness of the upstream (reference section 8) that we claim to beat, as a test."""

import numpy as np
import pytest
from transparent_helpers import canvas

from gpt_image_engine.errors import AppError
from gpt_image_engine.transparent.chroma import extract_chroma, resolve_settings
from gpt_image_engine.transparent.dual import extract_dual
from gpt_image_engine.transparent.verify import verify_rgba

GREEN = np.array([0, 255, 0], np.float32)


def _composite(fg, alpha, bg):
    return np.clip(np.floor(alpha[..., None] * fg + (1 - alpha[..., None]) * bg + 0.5), 0, 255).astype(np.uint8)


def _disc_scene(h=96, w=96, fg=(220, 20, 20), bg=GREEN, r=28.0):
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    alpha = np.clip(r - np.hypot(xx - w / 2 + 0.3, yy - h / 2 + 0.2) + 0.5, 0, 1)  # anti-aliased edge
    src = canvas(h, w, (0, 0, 0))
    src[..., :3] = _composite(np.array(fg, np.float32), alpha, bg)
    return src, alpha


def test_w1_edges_follow_true_coverage_not_a_hard_ramp():
    src, alpha = _disc_scene()
    out, _ = extract_chroma(src, None, resolve_settings())
    edge = (alpha > 0.05) & (alpha < 0.95)
    err = np.abs(out[..., 3][edge] / 255.0 - alpha[edge]).mean()
    assert err < 0.03  # upstream: ~20 % coverage is already opaque


def test_w2_faint_pixels_have_no_garbage_colour():
    src = canvas(64, 64, (0, 255, 0))
    src[20:44, 20:44, :3] = (220, 20, 20)
    src[20:44, 19, :3] = _composite(np.array([220, 20, 20], np.float32), np.full((24,), 0.1, np.float32), GREEN)
    out, _ = extract_chroma(src, None, resolve_settings())
    faint = out[20:44, 19]
    assert (np.abs(faint[:, :3].astype(int) - (220, 20, 20)).max(axis=1) <= 12).all()
    assert (np.abs(faint[:, 3].astype(int) - 26) <= 4).all()


@pytest.mark.parametrize(
    ("matte", "colour"),
    [
        ((255, 0, 255), (230, 180, 40)),
        ((255, 0, 255), (200, 60, 220)),
        ((0, 255, 0), (40, 160, 60)),
        ((0, 255, 0), (120, 200, 90)),
    ],
)
def test_w3_opaque_interior_colours_are_never_recoloured(matte, colour):
    src = canvas(64, 64, matte)
    src[16:48, 16:48, :3] = colour
    out, _ = extract_chroma(src, None, resolve_settings())
    assert tuple(out[32, 32]) == tuple(colour) + (255,)


def test_w4_gradient_and_vignette_backgrounds_key_cleanly():
    h, w = 128, 128
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    g = 255 - 50 * xx / (w - 1) - 20 * ((xx - 64) ** 2 + (yy - 64) ** 2) / 8192
    src = canvas(h, w, (0, 0, 0))
    src[..., 1] = np.clip(g, 0, 255).astype(np.uint8)
    src[44:84, 44:84, :3] = (220, 20, 20)
    out, report = extract_chroma(src, None, resolve_settings())
    assert report["key_model"]["kind"] == "quadratic"
    v = verify_rgba(out, "icon")
    assert v["passed"], v["failure_reasons"]
    assert (out[..., 3][:40] == 0).all()


def test_w5_dark_subject_on_dark_shaded_matte():
    # A shadow (black at 40 %) on green is alpha, not a green subject.
    src = canvas(64, 64, (0, 255, 0))
    src[20:44, 20:44, :3] = (0, 153, 0)
    out, _ = extract_chroma(src, None, resolve_settings(material="glow"))
    a = out[32, 32]
    assert abs(int(a[3]) - 102) <= 3 and max(a[:3]) <= 3


def test_w7_lone_speck_and_lone_hole_are_cleaned():
    src = canvas(64, 64, (0, 255, 0))
    src[20:44, 20:44, :3] = (220, 20, 20)
    src[5, 5, :3] = (60, 200, 40)  # a noise speck in the background
    src[30, 30, :3] = (0, 255, 0)  # a subject pixel that matches the key
    out, _ = extract_chroma(src, None, resolve_settings())
    assert out[5, 5, 3] == 0 and out[30, 30, 3] == 255
    assert verify_rgba(out, "icon")["component_count"] == 1


def test_w8_faint_glow_tail_keeps_alpha_and_stays_scrubbed():
    h = w = 96
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    alpha = np.clip(1.0 - np.hypot(xx - 48, yy - 48) / 40.0, 0, 1) ** 2
    src = canvas(h, w, (0, 0, 0))
    src[..., :3] = _composite(np.array([255, 200, 60], np.float32), alpha, GREEN)
    out, _ = extract_chroma(src, None, resolve_settings(material="glow"))
    tail = (alpha > 0.01) & (alpha < 0.03)
    assert (out[..., 3][tail] > 0).mean() > 0.8
    assert verify_rgba(out, "glow")["transparent_rgb_scrubbed"]


def test_w9_dual_with_non_ideal_plates_has_no_haze():
    dark = canvas(32, 32, (12, 12, 12))
    light = canvas(32, 32, (245, 245, 245))
    f, a = np.array([200, 40, 20], np.float32), 0.5
    dark[8:24, 8:24, :3] = np.round(a * f + (1 - a) * 12)
    light[8:24, 8:24, :3] = np.round(a * f + (1 - a) * 245)
    out, _, _ = extract_dual(dark, light)
    assert (out[0:6, :, 3] == 0).all() and abs(int(out[16, 16, 3]) - 128) <= 2
    assert np.abs(out[16, 16, :3].astype(int) - f).max() <= 3


def test_w10_dual_swap_is_fixed_and_misalignment_refused():
    dark = canvas(64, 64, (0, 0, 0))
    light = canvas(64, 64, (255, 255, 255))
    dark[16:48, 16:48, :3] = (200, 40, 20)
    light[16:48, 16:48, :3] = (200, 40, 20)
    out, report, warnings = extract_dual(light, dark)
    assert report["dual_alignment"]["swapped"] and warnings and out[32, 32, 3] == 255 and out[2, 2, 3] == 0
    shifted = canvas(64, 64, (255, 255, 255))
    shifted[22:54, 22:54, :3] = (200, 40, 20)
    with pytest.raises(AppError) as exc:
        extract_dual(dark, shifted)
    assert exc.value.code == "transparent_input_mismatch"


@pytest.mark.parametrize(("cell", "offset"), [(5, (3, 7)), (12, (0, 0)), (24, (11, 5)), (40, (17, 29))])
def test_w11_checkerboard_any_phase_any_size_around_a_subject(cell, offset):
    h, w = 200, 240
    yy, xx = np.mgrid[0:h, 0:w]
    img = canvas(h, w, (0, 0, 0))
    img[..., :3] = np.where(((xx + offset[0]) // cell + (yy + offset[1]) // cell) % 2 == 0, 255, 204)[..., None]
    img[60:140, 80:160, :3] = (220, 40, 30)
    v = verify_rgba(img, "generic")
    assert v["checkerboard_detected"] and "checkerboard_detected" in v["failure_reasons"]


def test_w11_plain_photo_like_image_is_not_a_checkerboard():
    rng = np.random.default_rng(7)
    img = canvas(128, 128, (0, 0, 0))
    img[..., :3] = rng.integers(0, 255, (128, 128, 3), dtype=np.uint8)
    assert not verify_rgba(img, "generic")["checkerboard_detected"]


def test_w13_small_blobs_are_reported_separately():
    img = canvas(80, 80, (0, 0, 0, 0))
    img[20:60, 20:60] = (200, 20, 20, 255)
    img[5, 5] = img[70, 70] = (200, 20, 20, 255)
    v = verify_rgba(img, "icon")
    assert v["small_blob_count"] == 2 and v["small_blob_pixels"] == 2 and v["stray_pixel_count"] == 2


def test_w12_extraction_checks_itself_by_recompositing_over_the_key():
    # The output re-composited over the fitted key must reproduce the source on edge pixels.
    src, _ = _disc_scene()
    _, report = extract_chroma(src, None, resolve_settings())
    assert 0.0 <= report["key_model"]["reconstruction_error"] < 1.0


def test_faint_shadow_keeps_its_own_colour_not_the_subjects():
    # A dark, soft shadow beside a blue subject: faint shadow pixels lie near every
    # key->colour segment; they must un-mix to the shadow's dark colour, not to the subject's blue.
    h = w = 128
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    obj = np.clip(24 - np.hypot(xx - 40, yy - 64) + 0.5, 0, 1)
    shadow = np.clip(1 - np.hypot((xx - 88) / 30, (yy - 64) / 18), 0, 1) * 0.5
    alpha = obj + (1 - obj) * shadow
    fg = obj[..., None] * np.array([60, 110, 200], np.float32) / np.maximum(alpha, 1e-6)[..., None]
    src = canvas(h, w, (0, 0, 0))
    src[..., :3] = _composite(fg, alpha, GREEN)
    out, _ = extract_chroma(src, None, resolve_settings("glow"))
    faint = (shadow > 0.04) & (shadow < 0.3) & (obj == 0) & (out[..., 3] > 5)
    assert faint.sum() > 50
    assert out[..., :3][faint].astype(np.float32).mean() < 12.0  # near black, not blue
