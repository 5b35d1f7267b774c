"""Plate artifacts that are not subject: a key lit above full scale (clipped at 255 in the picture)
and the correlated patches a JPEG's blocks leave on the plate."""

import io

import numpy as np
from PIL import Image

from gpt_image_engine.transparent.chroma import extract_chroma, resolve_settings
from gpt_image_engine.transparent.imageio import decode_image


def _square_on(plate: np.ndarray, a: np.ndarray, colour=(200, 60, 50), seed: int = 2) -> np.ndarray:
    rng = np.random.default_rng(seed)
    comp = a[..., None] * np.array(colour, np.float32) + (1 - a[..., None]) * plate
    comp += rng.normal(0, 2.0, comp.shape)
    rgba = np.full(a.shape + (4,), 255, np.uint8)
    rgba[..., :3] = np.clip(np.floor(comp + 0.5), 0, 255)
    return rgba


def test_a_key_lit_above_full_scale_leaves_no_faint_alpha_on_the_plate():
    # A vignetted plate whose centre is lit past 255: the border ring is below full scale, so the
    # fitted field runs to ~270 in the middle, where the picture shows 255.
    h = w = 192
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    r2 = ((xx - w / 2) / (w / 2)) ** 2 + ((yy - h / 2) / (h / 2)) ** 2
    plate = np.zeros((h, w, 3), np.float32)
    plate[..., 1] = 272 - 30 * r2
    plate[..., 0] = 10
    plate[..., 2] = 8
    a = np.zeros((h, w), np.float32)
    a[20:60, 20:60] = 1.0
    shadow = np.clip(1 - np.hypot(xx - 140, yy - 140) / 30, 0, 1) * 0.3
    rgba = _square_on(plate, np.maximum(a, shadow), colour=(10, 10, 10))
    out, report = extract_chroma(rgba, None, resolve_settings(profile="shadow"))
    assert report["key_model"]["kind"] == "quadratic"
    # The clipped centre is plate (the unclipped field left ~940 faint pixels, up to 24, here).
    assert int(np.count_nonzero(out[70:110, 70:110, 3])) == 0
    # A faint shadow measured against the real key keeps its alpha.
    core = shadow > 0.2
    assert abs(float(out[..., 3][core].mean()) / 255 - float(shadow[core].mean())) < 0.05


def test_faint_jpeg_patches_on_the_plate_are_cleared_for_solid_subjects():
    h = w = 256
    rng = np.random.default_rng(7)
    plate = np.zeros((h, w, 3), np.float32)
    plate[..., 1] = 240
    plate[..., 0] = 12
    plate[..., 2] = 10
    plate += rng.normal(0, 3.0, (h // 8, w // 8, 3)).repeat(8, 0).repeat(8, 1)  # blocky, like a codec's
    a = np.zeros((h, w), np.float32)
    a[80:176, 80:176] = 1.0
    rgba = _square_on(plate, a)
    buf = io.BytesIO()
    Image.fromarray(rgba[..., :3]).save(buf, "JPEG", quality=75, subsampling=2)
    src = decode_image(buf.getvalue())
    solid, _ = extract_chroma(src, None, resolve_settings(profile="product"))
    soft, _ = extract_chroma(src, None, resolve_settings(profile="effect"))
    far = np.ones((h, w), bool)
    far[70:186, 70:186] = False
    assert int(np.count_nonzero(solid[..., 3][far])) <= int(np.count_nonzero(soft[..., 3][far])) // 4 + 2
    assert (solid[100:156, 100:156, 3] == 255).all()
