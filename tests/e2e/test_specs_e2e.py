"""Stored specs end to end (issue 19): every job keeps `spec.json` (never a secret), and
`jobs retry` re-runs it for every operation, including the transparent ones the old replay
of request messages could not; jobs recorded before specs are still retried from their kept
request message, and a job with neither is refused with a coded error saying why."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from gpt_image.v1 import images_pb2
from tests.conftest import EngineProc

SECRET = "sk-spec-e2e-secret-0123456789"


@pytest.fixture(scope="module")
def engine(module_engine: EngineProc) -> EngineProc:
    return module_engine


def job_dir(engine: EngineProc, job_id: str) -> Path:
    return engine.shared_dir / "jobs" / job_id


def generate(engine: EngineProc, fake: Any, tmp_path: Path, prompt: str) -> str:
    r = engine.cli(
        "images", "generate", "--prompt", prompt, "--api-key", SECRET, "--out", str(tmp_path / "g.png"),
        env=engine.client_env(OPENAI_BASE_URL=fake.openai_base),
    )  # fmt: skip
    assert r.returncode == 0, r.stdout + r.stderr
    return str(r.json["history"]["job_id"])


def test_generate_keeps_its_spec_without_the_key(engine: EngineProc, module_upstream: Any, tmp_path: Path) -> None:
    job_id = generate(engine, module_upstream, tmp_path, "a kite")
    text = (job_dir(engine, job_id) / "spec.json").read_text()
    assert SECRET not in text
    spec = json.loads(text)
    assert (spec["version"], spec["operation"], spec["image"]["prompt"]) == (1, "generate", "a kite")
    assert not (job_dir(engine, job_id) / "rpc_request.bin").exists()


def test_transparent_extract_is_retried_from_its_spec(engine: EngineProc, tmp_path: Path) -> None:
    yy, xx = np.mgrid[0:128, 0:128]
    img = np.zeros((128, 128, 3), np.uint8)
    img[...] = (0, 255, 0)
    img[np.hypot(yy - 64, xx - 64) < 30] = (200, 40, 60)
    src = tmp_path / "green.png"
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, format="PNG")
    src.write_bytes(buf.getvalue())
    first = engine.cli("transparent", "extract", "--input", str(src), "--out", str(tmp_path / "a.png"))
    assert first.returncode == 0, first.stdout + first.stderr
    job_id = first.json["history"]["job_id"]
    again = engine.cli("jobs", "retry", job_id)
    assert again.returncode == 0, again.stdout + again.stderr
    new_id = again.json["history"]["job_id"]
    assert new_id != job_id
    digest = [hashlib.sha256(Path(r.json["output"]["path"]).read_bytes()).hexdigest() for r in (first, again)]
    assert digest[0] == digest[1]
    assert json.loads((job_dir(engine, new_id) / "spec.json").read_text())["operation"] == "transparent_extract"


def test_jobs_from_before_specs(engine: EngineProc, module_upstream: Any, tmp_path: Path) -> None:
    job_id = generate(engine, module_upstream, tmp_path, "an old job")
    folder = job_dir(engine, job_id)
    (folder / "spec.json").unlink()
    old = images_pb2.GenerateImageRequest()
    old.image.prompt = "an old job"
    (folder / "rpc_request.bin").write_bytes(b"GenerateImage\n" + old.SerializeToString())
    env = engine.client_env(OPENAI_API_KEY=SECRET, OPENAI_BASE_URL=module_upstream.openai_base)
    again = engine.cli("jobs", "retry", job_id, env=env)
    assert again.returncode == 0, again.stdout + again.stderr
    assert module_upstream.requests_to("/v1/images/generations")[-1].json["prompt"] == "an old job"
    (folder / "rpc_request.bin").unlink()
    refused = engine.cli("jobs", "retry", job_id, env=env)
    assert refused.returncode != 0
    assert refused.json["error"]["code"] == "invalid_argument"
    assert refused.json["error"]["message"] == "This job cannot be retried: its request was not kept."
