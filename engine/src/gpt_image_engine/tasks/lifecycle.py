"""What can be done to a job once it has ended: `jobs retry`, `jobs resume --action …` and
`jobs delete`.

Retry and `resubmit` plan the job's stored spec again with the new call's options;
`fill_missing` does the same asking only for the images the job lacks; `continue_save` and
`reupload` are local jobs on their own specs; `discard` only records. Each returns a
`Resumed`: a new job to follow, or the event records that tell what was done.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gpt_image_engine.call import Call
from gpt_image_engine.errors import AppError
from gpt_image_engine.jobs.manager import LiveJob
from gpt_image_engine.jobs.recovery import describe
from gpt_image_engine.state import Engine
from gpt_image_engine.tasks.recovery import discard
from gpt_image_engine.tasks.run import rerun, start, stored_spec
from gpt_image_engine.tasks.specs import ContinueSaveSpec, ReuploadSpec, Spec, VerifySpec

# Reads the spec of a job recorded before specs were stored (from its kept request message).
Legacy = Callable[[Path], Spec]


@dataclass
class Resumed:
    """A new job to follow (`live`; `detachable` False when its command never detaches), or
    the records of what was done without one."""

    live: LiveJob | None = None
    records: list[dict[str, Any]] = field(default_factory=list)
    detachable: bool = True


def retry(engine: Engine, job_id: str, call: Call, legacy: Legacy, n: int | None = None) -> Resumed:
    """A new job from the old one's stored spec, run with `call`'s options."""
    spec = stored_spec(engine, job_id) or legacy(engine.artifacts.job_dir(job_id))
    return Resumed(live=rerun(engine, spec, call, n), detachable=not isinstance(spec, VerifySpec))


def resume(engine: Engine, job_id: str, action: str, call: Call, legacy: Legacy) -> Resumed:
    """A recovery action the job's descriptor offers (`jobs recovery`), or `discard`; the
    upstream's `fill_missing` and `reupload` whatever the descriptor says."""
    job = engine.history.get_job(job_id)
    descriptor = describe(job, engine.artifacts.job_dir(job_id), engine.history.events(job_id))
    if action in ("fill_missing", "reupload"):
        return _fill_or_reupload(engine, job, descriptor, action, call, legacy)
    primary = descriptor.get("primary_action")
    allowed = [str(primary["id"])] if isinstance(primary, dict) else []
    allowed += [a["id"] for a in descriptor.get("secondary_actions") or []]
    allowed.append("discard")
    if action not in allowed:
        raise AppError(
            "invalid_argument",
            f"Recovery action {action!r} is not available for this job.",
            {"available": allowed, "recoverability": descriptor.get("recoverability")},
        )
    if action == "resubmit":
        return retry(engine, job_id, call, legacy)
    if action == "discard":
        discard(engine, job_id)
        return Resumed(records=engine.history.events(job_id)[-1:])
    return Resumed(live=start(engine, ContinueSaveSpec(source_job_id=job_id)))


def _fill_or_reupload(
    engine: Engine, job: dict[str, Any], descriptor: dict[str, Any], action: str, call: Call, legacy: Legacy
) -> Resumed:
    """The upstream's two batch/storage actions, offered whatever the descriptor says (as upstream).

    fill_missing: a new job that generates only the outputs the old one lacks (billable).
    reupload: when storage ran for the job, its outputs are uploaded again (a local job);
    with no storage configured it records `job.storage` with status `not_configured`, as the
    upstream does with no targets.
    """
    job_id = str(job["id"])
    if job.get("status") in ("queued", "running", "uploading"):
        raise AppError("job_running", "The job is still running.", {"job_id": job_id})
    if action == "fill_missing":
        evidence = descriptor.get("evidence") or {}
        missing = int(evidence.get("outputs_expected") or 1) - int(evidence.get("outputs_present") or 0)
        if missing <= 0:
            raise AppError(
                "recovery_nothing_missing",
                "This job has no missing images to fill in.",
                {"job_id": job_id, "outputs_present": evidence.get("outputs_present")},
            )
        return retry(engine, job_id, call, legacy, n=missing)
    if not job.get("outputs"):
        raise AppError(
            "recovery_nothing_to_reupload", "This job has no local outputs to upload again.", {"job_id": job_id}
        )
    status = str(job.get("storage_status") or "not_configured")
    if status != "not_configured":
        # Storage ran for this job: upload the outputs again (a local job, no provider call).
        return Resumed(live=start(engine, ReuploadSpec(source_job_id=job_id)))
    engine.history.append_event(job_id, "local", "job.storage", {"status": status, "job_id": job_id})
    return Resumed(records=engine.history.events(job_id)[-1:])


def delete(engine: Engine, job_id: str) -> int:
    """Forget a job that is not running: its history row and its folder (rows deleted)."""
    live = engine.jobs.live(job_id)
    if live is not None and not live.finished:
        raise AppError("job_running", "The job is still running; cancel it first.", {"job_id": job_id})
    deleted = engine.history.delete_job(job_id)
    engine.artifacts.delete_job(job_id)  # the job folder, or its objects in the bucket
    return deleted
