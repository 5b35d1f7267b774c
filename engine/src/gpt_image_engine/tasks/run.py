"""The use cases' front door: a spec in, a running job out.

`plan(engine, spec)` checks a spec against the world (provider selection and capabilities,
input images) and returns the job's work; nothing is recorded when it fails. `start` submits
the plan as a job whose folder keeps the inputs and the spec (`spec.json`) before the job is
queued. `rerun` builds a new job from a stored spec (`jobs retry`, `resume --action resubmit`
and `fill_missing`), with the retrying call's options. Any engine that can read a job folder
can `plan` its stored spec: that is all a cluster needs to run work another engine accepted.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gpt_image_engine.call import Call
from gpt_image_engine.errors import AppError
from gpt_image_engine.jobs.manager import LiveJob, Work
from gpt_image_engine.state import Engine
from gpt_image_engine.tasks import specs
from gpt_image_engine.tasks.plan import Plan
from gpt_image_engine.tasks.specs import Spec


def plan(engine: Engine, spec: Spec) -> Plan:
    """The plan for any spec: its operation's planner."""
    planner = _planners().get(type(spec))
    if planner is None:
        raise AppError("invalid_argument", f"No use case runs {type(spec).__name__}.")
    return planner(engine, spec)


@functools.cache
def _planners() -> dict[type[Spec], Callable[[Engine, Any], Plan]]:
    """Built once, on first use (the planners' modules build on this one)."""
    from gpt_image_engine.tasks import delivery, images, recovery, requests, transparent

    return {
        specs.GenerateSpec: images.plan_images,
        specs.EditSpec: images.plan_images,
        specs.RequestSpec: requests.plan_request,
        specs.ExtractSpec: transparent.plan_extract,
        specs.VerifySpec: transparent.plan_verify,
        specs.TransparentGenerateSpec: transparent.plan_generate,
        specs.ContinueSaveSpec: recovery.plan_continue_save,
        specs.ReuploadSpec: delivery.plan_reupload,
    }


def load_use_cases() -> None:
    """Import every use case's module (and through them the providers and the HTTP stack) now:
    the engine does it at start-up, so the first job does not pay ~40 ms of imports."""
    _planners()


def work_for(engine: Engine, spec: Spec) -> Work:
    """The runnable work of a stored spec (for an engine that did not accept the job)."""
    return plan(engine, spec).work


def work_from_stored(engine: Engine, stored: bytes) -> Work:
    """The work of a stored `spec.json` (its bytes), planned on this engine with its own
    provider configuration and secrets: how a cluster engine runs a job another one accepted."""
    try:
        data = json.loads(stored)
    except ValueError as exc:
        raise AppError("invalid_argument", f"The job's stored spec is not valid JSON: {exc}") from None
    return work_for(engine, specs.from_dict(data))


def submit(engine: Engine, p: Plan) -> LiveJob:
    """Submit a plan: inputs and `spec.json` are in the job folder before the job is queued.
    A call with its own API key stays on this engine (the stored spec never holds the key)."""

    def prepare(job_id: str, job_dir: Path) -> None:
        specs.save_spec(job_dir, p.stored_spec(job_id, job_dir))

    call = getattr(p.spec, "call", None)
    portable = not (isinstance(call, Call) and (call.api_key or call.env_openai_api_key))
    return engine.jobs.submit(p.command, p.provider, p.metadata, p.work, prepare=prepare, portable=portable)


def start(engine: Engine, spec: Spec) -> LiveJob:
    return submit(engine, plan(engine, spec))


def stored_spec(engine: Engine, job_id: str) -> Spec | None:
    """The spec a finished job was run from (None: it predates stored specs). A job still
    running is `job_running`; an unknown id `history_not_found`."""
    live = engine.jobs.live(job_id)
    if live is not None and not live.finished:
        raise AppError("job_running", "The job is still running.", {"job_id": job_id})
    engine.history.get_job(job_id)  # history_not_found for unknown ids
    return specs.load_spec(engine.artifacts.job_dir(job_id))


def rerun(engine: Engine, spec: Spec, call: Call, n: int | None = None) -> LiveJob:
    """A new job from a stored spec, run with `call`'s options (and `n` images for fill_missing)."""
    if n is not None:
        spec = specs.with_n(spec, n)
    return start(engine, specs.with_call(spec, call))
