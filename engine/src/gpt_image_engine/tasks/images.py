"""The work of `images generate` and `images edit` inside a job.

`plan_images` runs before a job exists (bad input never becomes a job): the input images
are read, the provider selected and its capabilities checked against the options. Inside
the job: the request summary is spooled to the job folder, the provider runs (retries
wrap it from outside), outputs are written atomically and `output_saved` is emitted; the
payload mirrors the upstream's success envelope.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, fields, replace
from pathlib import Path
from typing import Any

from gpt_image_engine.errors import AppError
from gpt_image_engine.jobs import reserve
from gpt_image_engine.jobs.manager import LiveJob, Outcome
from gpt_image_engine.providers.base import ImageJob, ResolvedProvider, RetryPolicy
from gpt_image_engine.providers.capabilities import check_options
from gpt_image_engine.providers.registry import run_image_job
from gpt_image_engine.providers.selection import select_provider
from gpt_image_engine.state import Engine
from gpt_image_engine.store.artifacts import publish_written
from gpt_image_engine.store.atomic import atomic_write_json
from gpt_image_engine.store.diskspace import ensure_room, storage_error
from gpt_image_engine.tasks.inputs import input_image, keep_input
from gpt_image_engine.tasks.outputs import output_object, save_file, save_images
from gpt_image_engine.tasks.plan import Plan
from gpt_image_engine.tasks.specs import EditSpec, GenerateSpec, ImageOptions, Spec


def image_job(operation: str, image: ImageOptions) -> ImageJob:
    """The provider-level job for a spec's image options (inputs are added by the caller).
    Two types on purpose: the spec is what was asked (frozen, stored), the job what a
    provider is handed (it gains inputs and per-operation overrides)."""
    return ImageJob(operation=operation, **{name: getattr(image, name) for name in _SHARED})


_SHARED = tuple(f.name for f in fields(ImageOptions) if f.name in {g.name for g in fields(ImageJob)})


def plan_images(engine: Engine, spec: GenerateSpec | EditSpec) -> Plan:
    job = image_job(spec.OPERATION, spec.image)
    keep: Callable[[str, Path], Spec] | None = None
    if isinstance(spec, EditSpec):
        job.input_fidelity = spec.input_fidelity
        job.refs = [input_image(engine, src, i + 1, "image") for i, src in enumerate(spec.refs)]
        if spec.mask is not None:
            job.mask = input_image(engine, spec.mask, 1, "mask")
        edit = spec

        def keep_inputs(job_id: str, job_dir: Path) -> Spec:
            refs = tuple(keep_input(job_id, job_dir, f"ref-{i}", ref) for i, ref in enumerate(job.refs))
            mask = keep_input(job_id, job_dir, "mask", job.mask) if job.mask is not None else None
            return replace(edit, refs=refs, mask=mask)

        keep = keep_inputs

    policy = spec.retry.policy()
    resolved = select_provider(spec.call, engine.paths, engine.env)
    check_options(resolved, job)
    summary = request_summary(job)
    metadata: dict[str, Any] = {"request": summary, "provider_selection": resolved.selection_payload()}
    if spec.image.client_out:
        metadata["client_out"] = spec.image.client_out
    return Plan(
        spec=spec,
        command=spec.COMMAND,
        provider=resolved.name,
        metadata=metadata,
        work=lambda live: run_images(engine, live, resolved, job, policy, summary),
        keep_inputs=keep,
    )


def request_summary(job: ImageJob) -> dict[str, Any]:
    summary = {k: v for k, v in asdict(job).items() if k not in ("refs", "mask") and v not in (None, "")}
    summary["ref_image_count"] = len(job.refs)
    summary["mask_present"] = job.mask is not None
    return summary


def run_images(
    engine: Engine,
    live: LiveJob,
    resolved: ResolvedProvider,
    job: ImageJob,
    policy: RetryPolicy,
    summary: dict[str, Any] | None = None,
) -> Outcome:
    partials: list[Any] = []

    def keep_partial(index: int, data: bytes) -> None:
        partials.append(save_file(live.job_dir, f"partial-{index + 1}.png", data, "partial", index))

    live.partial_hook = keep_partial
    ensure_room(live.job_dir)  # just before dispatch too: the job may have waited in the queue
    meta_path = live.job_dir / "request_meta.json"
    try:
        # A summary (the upstream's recovery file): recovery reads spec.json and the spooled
        # response, so this one is written atomically but not synced to disk.
        atomic_write_json(
            meta_path,
            {"operation": job.operation, "provider": resolved.name, "request": summary or request_summary(job)},
            durable=False,
        )
    except OSError as exc:
        raise storage_error(exc, meta_path) from exc
    publish_written(meta_path, background=True)  # travels during the provider call, not after it
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
        resolved.output_label,
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
