"""What happens to a job's outputs after its work: uploads, then notifications; and `reupload`.

`attach(engine)` gives the job manager its two hooks. After the work of a job that completed
or partly completed, the job is marked `uploading`, every output goes to the planned storage
targets and a `job.storage` event records the outcome (before the terminal event, as
upstream); the job stays `completed` whatever the uploads did, and `storage_status` tells.
After the terminal event, notifications fire and a `job.notifications` event records each
delivery. `reupload` is the resume action for `recoverable.upload_failed`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gpt_image_engine.errors import AppError
from gpt_image_engine.jobs.manager import LiveJob, Outcome
from gpt_image_engine.outputs import notify
from gpt_image_engine.outputs.pinning import private_targets_allowed
from gpt_image_engine.outputs.storage import StorageRunner, outputs_of
from gpt_image_engine.outputs.targets import UploadOutput
from gpt_image_engine.state import Engine
from gpt_image_engine.store.config import load_config
from gpt_image_engine.tasks.plan import Plan
from gpt_image_engine.tasks.specs import ReuploadSpec


def runner(engine: Engine, config_file: Path | None = None) -> StorageRunner:
    return StorageRunner(engine.history, lambda: config_file or engine.paths.config_file, engine.env)


def _outputs(outcome: Outcome) -> list[UploadOutput]:
    return [
        UploadOutput(index=a.index, path=a.path, mime=a.mime, sha256=a.sha256, bytes=a.size)
        for a in outcome.artifacts
        if a.role == "output"
    ]


def attach(engine: Engine) -> None:
    def after_work(job: LiveJob, outcome: Outcome) -> None:
        storage = runner(engine, job.config_file)
        outputs = _outputs(outcome)
        extra = [str(t) for t in (outcome.metadata.get("storage_targets") or []) if isinstance(t, str)]
        if not outputs or not storage.planned(extra):
            return  # local only: no `uploading` step, no event
        engine.history.update_job(job.job_id, status="uploading", fetch=False)
        job.status = "uploading"
        result = storage.run(job.job_id, outputs, extra_targets=extra)
        if result is None:
            return
        job.emit("local", "job.storage", result)
        outcome.payload["storage"] = {"status": result["status"], "uploads": result["uploads"]}

    def configured(job: LiveJob) -> dict[str, Any] | None:
        found = load_config(job.config_file or engine.paths.config_file).get("notifications")
        return found if isinstance(found, dict) and found.get("enabled", True) else None

    def after_finish(job: LiveJob, status: str) -> None:
        notifications = configured(job)
        if notifications is None:
            return
        row = engine.history.get_job(job.job_id)
        if (row.get("metadata") or {}).get("action") == "reupload":
            return  # the job itself was announced when it ended; a reupload is bookkeeping
        deliveries = notify.deliver(notifications, row, engine.env, private_targets_allowed(engine.env))
        if deliveries:
            job.emit("local", "job.notifications", {"status": status, "deliveries": deliveries})

    engine.jobs.after_work = after_work
    engine.jobs.after_finish = after_finish
    engine.jobs.notifies = lambda job: configured(job) is not None


def plan_reupload(engine: Engine, spec: ReuploadSpec) -> Plan:
    """A new job that re-sends what did not reach its targets; the source job's upload rows
    (and its `storage_status`) are updated in place."""
    source_id = spec.source_job_id
    outputs = outputs_of(engine.history.get_job(source_id))

    def work(live: LiveJob) -> Outcome:
        live.progress(
            "local", "reupload_started", "running", "Uploading the outputs again.", 10, resumed_from=source_id
        )
        result = runner(engine).run(source_id, outputs, only_unfinished=True)
        if result is None:
            raise AppError(
                "storage_upload_failed", "No storage target is configured for this job any more.", {"job_id": source_id}
            )
        live.emit("local", "job.storage", result)
        engine.history.append_event(source_id, "local", "job.storage", result)
        if result["status"] not in ("completed", "fallback_completed"):
            failed = [u for u in result["uploads"] if u.get("status") != "completed"]
            raise AppError(
                "storage_upload_failed",
                f"{len(failed)} upload(s) still failed.",
                {"job_id": source_id, "storage_status": result["status"], "failed": failed},
            )
        payload = {
            "resumed_from": source_id,
            "action": "reupload",
            "provider_calls": 0,
            "storage": {"status": result["status"], "uploads": result["uploads"]},
        }
        return Outcome(payload=payload, metadata={"resumed_from": source_id, "action": "reupload"}, provider="local")

    return Plan.local(spec, {"resumed_from": source_id, "action": "reupload"}, work)
