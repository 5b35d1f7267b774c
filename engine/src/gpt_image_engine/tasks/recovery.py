"""Recovery actions that need no provider call: `continue_save` and `discard`.

`continue_save` takes the images from the in-memory reserve (a response received while
the disk was full) or else from the spooled raw response(s) in the job folder."""

from __future__ import annotations

import json

from gpt_image_engine.errors import AppError
from gpt_image_engine.jobs import reserve
from gpt_image_engine.jobs.manager import LiveJob, Outcome
from gpt_image_engine.jobs.spool import spooled_responses
from gpt_image_engine.providers.sources import decode_base64_image
from gpt_image_engine.state import Engine
from gpt_image_engine.store.history import now_ts
from gpt_image_engine.tasks.outputs import output_object, save_images
from gpt_image_engine.tasks.plan import Plan
from gpt_image_engine.tasks.specs import ContinueSaveSpec


def _images_from_spool(engine: Engine, job_id: str) -> list[bytes]:
    images: list[bytes] = []
    for path in spooled_responses(engine.artifacts.job_dir(job_id)):
        try:
            body = json.loads(path.read_bytes())
        except ValueError:
            continue  # a malformed answer that was retried; the good one follows
        for item in body.get("data") or [] if isinstance(body, dict) else []:
            if isinstance(item, dict) and isinstance(item.get("b64_json"), str):
                images.append(decode_base64_image(item["b64_json"]))
    return images


def plan_continue_save(engine: Engine, spec: ContinueSaveSpec) -> Plan:
    """A new job that rebuilds the outputs of the source job from its spooled response."""
    source_id = spec.source_job_id
    job = engine.history.get_job(source_id)

    def work(live: LiveJob) -> Outcome:
        live.progress(
            "local", "recovery_started", "running", "Decoding the cached provider response.", 10, resumed_from=source_id
        )
        images = reserve.peek(source_id) or _images_from_spool(engine, source_id)
        if not images:
            raise AppError("missing_image_result", "The cached response holds no image.", {"job_id": source_id})
        artifacts = save_images(live.job_dir, images)
        reserve.drop(source_id)
        output = output_object(artifacts)
        live.progress(
            "local", "output_saved", "completed", "Output saved.", 100, file_count=len(artifacts), output=output
        )
        engine.history.update_job(source_id, metadata_patch={"resumed_by": live.job_id, "resumed_at": now_ts()})
        payload = {
            "provider": job.get("provider"),
            "resumed_from": source_id,
            "action": "continue_save",
            "provider_calls": 0,
            "output": output,
            "history": {"job_id": live.job_id},
            "events": {"count": len(live.events) + 1},
        }
        return Outcome(
            payload=payload,
            artifacts=artifacts,
            output_path=output["files"][0]["path"],
            metadata={"resumed_from": source_id, "action": "continue_save", "output": output},
            provider=str(job.get("provider") or "local"),
        )

    return Plan.local(spec, {"resumed_from": source_id, "action": "continue_save"}, work)


def discard(engine: Engine, job_id: str) -> None:
    engine.history.update_job(job_id, metadata_patch={"discarded_at": now_ts()})
    engine.history.append_event(job_id, "local", "job.discarded", {"status": "discarded", "job_id": job_id})
