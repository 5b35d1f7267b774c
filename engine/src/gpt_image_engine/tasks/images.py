"""The work of `images generate` and `images edit` inside a job.

Order of events: provider selection and validation happen in the servicer,
before a job exists (bad input never becomes a job). Inside the job: inputs
are materialised, the request summary is spooled to the job folder, the
provider runs (with retries and progress), outputs are written atomically and
`output_saved` is emitted; the payload mirrors the upstream's success envelope.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from gpt_image_engine.errors import AppError
from gpt_image_engine.jobs import reserve
from gpt_image_engine.jobs.manager import LiveJob, Outcome
from gpt_image_engine.providers.base import ImageJob, ResolvedProvider, RetryPolicy
from gpt_image_engine.providers.registry import run_image_job
from gpt_image_engine.state import Engine
from gpt_image_engine.store.atomic import atomic_write_json
from gpt_image_engine.store.diskspace import ensure_room, storage_error
from gpt_image_engine.tasks.outputs import output_object, save_file, save_images


def request_summary(job: ImageJob) -> dict[str, Any]:
    summary = {k: v for k, v in asdict(job).items() if k not in ("refs", "mask") and v not in (None, "")}
    summary["ref_image_count"] = len(job.refs)
    summary["mask_present"] = job.mask is not None
    return summary


def run_images(
    engine: Engine, live: LiveJob, resolved: ResolvedProvider, job: ImageJob, policy: RetryPolicy
) -> Outcome:
    partials: list[Any] = []

    def keep_partial(index: int, data: bytes) -> None:
        partials.append(save_file(live.job_dir, f"partial-{index + 1}.png", data, "partial", index))

    live.partial_hook = keep_partial
    ensure_room(live.job_dir)  # just before dispatch too: the job may have waited in the queue
    meta_path = live.job_dir / "request_meta.json"
    try:
        atomic_write_json(
            meta_path, {"operation": job.operation, "provider": resolved.name, "request": request_summary(job)}
        )
    except OSError as exc:
        raise storage_error(exc, meta_path) from exc
    result = run_image_job(resolved, job, live, policy, engine.http_for(resolved, live))
    live.check_cancelled()
    try:
        artifacts = save_images(live.job_dir, result.images)
    except AppError as err:
        if err.code in ("storage_full", "jobs_dir_unwritable") and reserve.keep(live.job_id, result.images):
            # Paid for and received: kept until `continue_save` can write it.
            err.detail = {**(err.detail if isinstance(err.detail, dict) else {}), "response_kept": True}
        raise
    result.images = []  # written and hashed: the bytes are not needed while the job finishes
    output = output_object(artifacts)
    live.progress(
        resolved.name if resolved.kind != "codex" else "codex",
        "output_saved",
        "completed",
        "Output saved.",
        100,
        file_count=len(artifacts),
        output=output,
    )
    payload: dict[str, Any] = {
        "provider": resolved.name,
        "provider_selection": resolved.selection_payload(),
    }
    if result.auth:
        payload["auth"] = result.auth
    payload["request"] = result.request
    payload["response"] = result.response
    payload["output"] = output
    payload["history"] = {"job_id": live.job_id}
    if "batch_mode" not in result.request:
        payload["retry"] = {"count": result.retry_count, "max_retries": policy.max_retries}
    payload["events"] = {"count": len(live.events) + 1}
    metadata = {
        "operation": job.operation,
        "prompt": job.prompt,
        "size": job.size,
        "format": job.output_format,
        "quality": job.quality,
        "background": job.background,
        "n": job.n,
        "provider_selection": resolved.selection_payload(),
        "output": output,
    }
    return Outcome(
        payload=payload,
        artifacts=artifacts + partials,
        output_path=output["files"][0]["path"] if output["files"] else None,
        metadata=metadata,
        provider=resolved.name,
    )
