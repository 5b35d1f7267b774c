"""The use-case layer in process (`tasks/run.py`): a spec is planned before any job exists,
its job folder holds the spec before the job is queued, a stored spec re-runs with a new
call's options, and a failure while preparing the folder is a recorded, coded refusal."""

from __future__ import annotations

import errno
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from gpt_image_engine.call import Call
from gpt_image_engine.errors import AppError
from gpt_image_engine.jobs.manager import Outcome
from gpt_image_engine.state import Engine
from gpt_image_engine.store.paths import EnginePaths
from gpt_image_engine.tasks import specs
from gpt_image_engine.tasks.run import plan, rerun, start, stored_spec, work_for
from tests.fakeupstream import FakeUpstream

KEY = "sk-run-secret-0123456789"


@pytest.fixture
def engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    monkeypatch.setenv("GPT_IMAGE_2_ALLOW_PRIVATE_URLS", "1")
    env = {"HOME": str(tmp_path), "CODEX_HOME": str(tmp_path / "codex"), "GPT_IMAGE_2_ALLOW_PRIVATE_URLS": "1"}
    eng = Engine.open(EnginePaths.from_env(env), env=env)
    try:
        yield eng
    finally:
        eng.jobs.shutdown(5)
        eng.close()


@pytest.fixture
def fake() -> Iterator[FakeUpstream]:
    with FakeUpstream(api_key=KEY, default_size=(64, 64)) as server:
        yield server


def finish(engine: Engine, job_id: str) -> dict:  # type: ignore[type-arg]
    records = list(engine.jobs.watch(job_id, poll=0.1))
    assert records[-1]["type"].startswith("job."), records[-1]
    return engine.history.get_job(job_id)


def upload_png(engine: Engine) -> str:
    buf = io.BytesIO()
    Image.new("RGBA", (32, 32), (200, 40, 60, 0)).save(buf, format="PNG")
    return engine.artifacts.store_upload("in.png", [buf.getvalue()]).artifact_id


def test_local_spec_runs_and_its_folder_keeps_the_spec(engine: Engine) -> None:
    spec = specs.VerifySpec(input=specs.ImageSource(artifact_id=upload_png(engine)), profile="icon")
    live = start(engine, spec)
    assert specs.load_spec(live.job_dir) == spec  # written before the job was queued
    job = finish(engine, live.job_id)
    assert (job["status"], job["command"], job["provider"]) == ("completed", "transparent verify", "local")
    assert stored_spec(engine, live.job_id) == spec


def test_stored_spec_reruns_with_the_new_call(engine: Engine, fake: FakeUpstream) -> None:
    call = Call(provider="openai", api_key=KEY, openai_api_base=fake.openai_base)
    spec = specs.GenerateSpec(image=specs.ImageOptions(prompt="a kite", n=2), call=call)
    first = start(engine, spec)
    assert finish(engine, first.job_id)["status"] == "completed"
    stored = stored_spec(engine, first.job_id)
    assert stored is not None and stored.call.api_key is None  # type: ignore[attr-defined]
    again = rerun(engine, stored, call, n=1)
    job = finish(engine, again.job_id)
    assert job["status"] == "completed" and len(job["outputs"]) == 1
    bodies = [r.json for r in fake.requests_to("/v1/images/generations")]
    assert [(b["prompt"], b["n"]) for b in bodies] == [("a kite", 2), ("a kite", 1)]


def test_planning_refuses_before_any_job(engine: Engine, fake: FakeUpstream) -> None:
    call = Call(provider="openai", api_key=KEY, openai_api_base=fake.openai_base)
    spec = specs.GenerateSpec(image=specs.ImageOptions(prompt="x", instructions="Be terse."), call=call)
    with pytest.raises(AppError) as info:
        plan(engine, spec)
    assert (info.value.code, info.value.message) == (
        "unsupported_option",
        "--instructions is supported by the codex provider.",
    )
    request = specs.RequestSpec(body={"model": "gpt-5.4"}, request_operation="responses", call=call)
    with pytest.raises(AppError) as info:
        start(engine, request)
    assert info.value.message == "OpenAI request create uses --request-operation generate or edit."
    assert engine.history.list_jobs()["jobs"] == [] and fake.requests == []


def test_work_for_a_stored_spec_is_runnable_work(engine: Engine) -> None:
    spec = specs.VerifySpec(input=specs.ImageSource(artifact_id=upload_png(engine)))
    live = engine.jobs.submit("transparent verify", "local", {}, work_for(engine, spec))
    assert finish(engine, live.job_id)["status"] == "completed"


def test_a_failed_prepare_is_a_recorded_refusal(engine: Engine) -> None:
    def full(job_id: str, job_dir: Path) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(AppError) as info:
        engine.jobs.submit("images generate", "openai", {}, lambda live: Outcome(payload={}), prepare=full)
    assert info.value.code == "storage_full"
    job_id = info.value.detail["job_id"]  # type: ignore[index]
    assert engine.history.get_job(job_id)["status"] == "failed"


def test_preload_builds_the_client_the_first_provider_call_uses(engine: Engine, fake: FakeUpstream) -> None:
    """The engine's start-up preload (before SERVING) leaves the first job nothing to build: the
    provider client for the configured proxy is the one the job's call is handed."""
    from gpt_image_engine.daemon import preload
    from gpt_image_engine.providers.selection import select_provider

    preload(engine)
    warm = list(engine.proxies._clients.values())
    assert len(warm) == 1
    call = Call(provider="openai", api_key=KEY, openai_api_base=fake.openai_base)
    resolved = select_provider(call, engine.paths, engine.env)
    assert engine.http_for(resolved) is warm[0]
    first = start(engine, specs.GenerateSpec(image=specs.ImageOptions(prompt="a kite"), call=call))
    assert finish(engine, first.job_id)["status"] == "completed"
    assert list(engine.proxies._clients.values()) == warm  # no second client was built
