"""Issue 4 end to end: transparent extract/verify/generate through the real CLI and engine.

One engine serves the module (`engine`): extract and verify are local, and generate forwards
its key and base URL to the test's own fake upstream."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from PIL import Image

from tests.conftest import EngineProc


@pytest.fixture(scope="module")
def engine(module_engine: EngineProc) -> EngineProc:
    return module_engine


def png_bytes(arr: np.ndarray) -> bytes:
    out = io.BytesIO()
    Image.fromarray(arr).save(out, format="PNG")
    return out.getvalue()


def subject_on(background: tuple[int, int, int], size: int = 256) -> np.ndarray:
    """A soft-edged disc on a flat matte."""
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    r = np.hypot(yy - size / 2, xx - size / 2)
    alpha = np.clip((size * 0.3 - r) / 2.0 + 0.5, 0, 1)[..., None]
    fg = np.array([200, 40, 60], np.float32)
    img = alpha * fg + (1 - alpha) * np.array(background, np.float32)
    return np.round(img).astype(np.uint8)


def test_extract_chroma_then_verify(engine, tmp_path):  # type: ignore[no-untyped-def]
    src = tmp_path / "green.png"
    src.write_bytes(png_bytes(subject_on((0, 255, 0))))
    before = src.read_bytes()
    out = tmp_path / "cut.png"
    r = engine.cli("transparent", "extract", "--input", str(src), "--out", str(out), "--json-events")
    assert r.returncode == 0, r.stdout + r.stderr
    assert src.read_bytes() == before  # inputs are never modified
    rgba = np.asarray(Image.open(out))
    assert rgba.shape[2] == 4 and rgba[0, 0, 3] == 0 and rgba[128, 128, 3] == 255
    assert r.json["verification"]["passed"] is True
    job = engine.cli("history", "show", r.json["history"]["job_id"]).json["job"]
    assert job["provider"] == "local" and job["command"] == "transparent extract"
    v = engine.cli("transparent", "verify", "--input", str(out), "--profile", "icon", "--strict")
    assert v.returncode == 0, v.stdout
    opaque = tmp_path / "opaque.png"
    opaque.write_bytes(png_bytes(subject_on((255, 255, 255))))
    bad = engine.cli("transparent", "verify", "--input", str(opaque), "--strict")
    assert bad.returncode == 1 and bad.json["error"]["code"] == "transparent_verification_failed"


def test_extract_dual_and_mismatch(engine, tmp_path):  # type: ignore[no-untyped-def]
    dark, light = tmp_path / "d.png", tmp_path / "l.png"
    dark.write_bytes(png_bytes(subject_on((0, 0, 0))))
    light.write_bytes(png_bytes(subject_on((255, 255, 255))))
    r = engine.cli(
        "transparent",
        "extract",
        "--dark-image",
        str(dark),
        "--light-image",
        str(light),
        "--out",
        str(tmp_path / "o.png"),
    )
    assert r.returncode == 0, r.stdout
    assert r.json["method"] == "dual"
    small = tmp_path / "small.png"
    small.write_bytes(png_bytes(subject_on((255, 255, 255), size=128)))
    mm = engine.cli(
        "transparent",
        "extract",
        "--dark-image",
        str(dark),
        "--light-image",
        str(small),
        "--out",
        str(tmp_path / "m.png"),
    )
    assert mm.returncode == 1 and mm.json["error"]["code"] == "transparent_input_mismatch"
    assert not (tmp_path / "m.png").exists()


def test_bad_inputs(engine, tmp_path):  # type: ignore[no-untyped-def]
    junk = tmp_path / "junk.png"
    junk.write_text("nope")
    r = engine.cli("transparent", "extract", "--input", str(junk), "--out", str(tmp_path / "x.png"))
    assert r.returncode == 1 and r.json["error"]["code"] == "image_decode_failed"
    src = tmp_path / "g.png"
    src.write_bytes(png_bytes(subject_on((0, 255, 0))))
    r = engine.cli(
        "transparent", "extract", "--input", str(src), "--matte-color", "not-a-colour", "--out", str(tmp_path / "y.png")
    )
    assert r.returncode in (1, 2) and r.json["error"]["code"] in ("invalid_argument", "invalid_command")
    # Fake transparency (a painted checker) and a frame-filling subject are refused, not guessed.
    yy, xx = np.mgrid[0:128, 0:192]
    checker = np.where(((xx // 12 + yy // 12) % 2 == 0)[..., None], 255, 204).astype(np.uint8).repeat(3, axis=2)
    checker[40:90, 60:130] = (200, 40, 60)
    fake = tmp_path / "fake.png"
    fake.write_bytes(png_bytes(checker))
    r = engine.cli("transparent", "extract", "--input", str(fake), "--out", str(tmp_path / "f.png"))
    assert r.returncode == 1 and r.json["error"]["code"] == "transparent_source_checkerboard", r.stdout
    assert "key colour" in r.json["error"]["message"] and not (tmp_path / "f.png").exists()
    rng = np.random.default_rng(3)
    full = tmp_path / "full.png"
    full.write_bytes(png_bytes(rng.integers(0, 255, (8, 8, 3), dtype=np.uint8).repeat(16, 0).repeat(24, 1)))
    r = engine.cli("transparent", "extract", "--input", str(full), "--out", str(tmp_path / "z.png"))
    assert r.returncode == 1 and r.json["error"]["code"] == "transparent_no_key_border", r.stdout


def test_generate_chroma_and_dual_through_the_provider(engine, fake_upstream, tmp_path):  # type: ignore[no-untyped-def]
    env = engine.client_env(OPENAI_API_KEY="sk-t", OPENAI_BASE_URL=fake_upstream.openai_base)
    query = ("history", "list", "--query", "transparent generate")
    before = json.loads(engine.cli(*query).stdout)["total"]
    r = engine.cli(
        "transparent", "generate", "--prompt", "a red ball", "--out", str(tmp_path / "ball"), "--json-events", env=env
    )
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.json["output"]["path"].endswith(".png")
    assert "source_saved" in [e["type"] for e in r.events]
    prompt = fake_upstream.requests_to("/v1/images/generations")[-1].json["prompt"]
    assert "Extraction setup" in prompt and "pure #00ff00" in prompt
    d = engine.cli(
        "transparent",
        "generate",
        "--prompt",
        "a red ball",
        "--method",
        "dual",
        "--keep-sources",
        "--source-out",
        str(tmp_path / "src.png"),
        "--out",
        str(tmp_path / "dual.png"),
        env=env,
    )
    assert d.returncode == 0, d.stdout
    assert d.json["method"] == "dual"
    edit = fake_upstream.requests_to("/v1/images/edits")[-1]
    assert "pure #ffffff" in edit.fields["prompt"]
    rgba = np.asarray(Image.open(tmp_path / "dual.png"))
    assert rgba[0, 0, 3] == 0 and rgba.shape[2] == 4
    history = json.loads(engine.cli(*query).stdout)
    assert history["total"] == before + 2
