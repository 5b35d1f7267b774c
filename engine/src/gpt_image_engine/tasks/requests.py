"""The work of `request create`: send a caller-built body verbatim, optionally keep the images.

`plan_request` selects the provider (before any job) and checks that it takes the request
operation; the job sends the body once (retries wrap the provider from outside)."""

from __future__ import annotations

from typing import Any

from gpt_image_engine.jobs.manager import LiveJob, Outcome
from gpt_image_engine.providers.base import ResolvedProvider, RetryPolicy
from gpt_image_engine.providers.capabilities import check_request_operation
from gpt_image_engine.providers.registry import run_raw_request
from gpt_image_engine.providers.selection import select_for_request
from gpt_image_engine.providers.sources import sniff_extension
from gpt_image_engine.state import Engine
from gpt_image_engine.tasks.outputs import output_object, save_images
from gpt_image_engine.tasks.plan import Plan
from gpt_image_engine.tasks.specs import RequestSpec


def plan_request(engine: Engine, spec: RequestSpec) -> Plan:
    operation = spec.request_operation
    policy = spec.retry.policy()
    resolved = select_for_request(spec.call, operation, engine.paths, engine.env)
    check_request_operation(resolved, operation)
    return Plan(
        spec=spec,
        command=spec.COMMAND,
        provider=resolved.name,
        metadata={
            "operation": operation,
            "body_file": spec.body_file,
            "provider_selection": resolved.selection_payload(),
        },
        work=lambda live: run_request(
            engine, live, resolved, spec.body, operation, policy, spec.expect_image, spec.save_images, spec.body_file
        ),
    )


def run_request(
    engine: Engine,
    live: LiveJob,
    resolved: ResolvedProvider,
    body: dict[str, Any],
    operation: str,
    policy: RetryPolicy,
    expect_image: bool,
    save: bool,
    body_file: str,
) -> Outcome:
    result = run_raw_request(resolved, body, operation, live, policy, expect_image, engine.http_for(resolved))
    artifacts = []
    image_output: Any = None
    if result.images and save:
        artifacts = save_images(live.job_dir, result.images)
        image_output = output_object(artifacts)
        live.progress(
            resolved.name,
            "output_saved",
            "completed",
            "Output saved.",
            100,
            file_count=len(artifacts),
            output=image_output,
        )
    elif result.images:
        image_output = {
            "available": True,
            "count": len(result.images),
            "suggested_extension": sniff_extension(result.images[0]),
        }
    request = dict(result.request)
    request.setdefault("operation", operation)
    request["body_file"] = body_file
    payload: dict[str, Any] = {
        "provider": resolved.name,
        "provider_selection": resolved.selection_payload(),
        "request": request,
        "response": result.response,
    }
    if "output_items" in (result.raw or {}):
        payload["output_items"] = result.raw["output_items"]
    payload["image_output"] = image_output
    payload["history"] = {"job_id": live.job_id}
    payload["retry"] = {"count": result.retry_count, "max_retries": policy.max_retries}
    payload["auth"] = result.auth
    payload["events"] = {"count": len(live.events) + 1}
    return Outcome(
        payload=payload,
        artifacts=artifacts,
        output_path=str(artifacts[0].path) if artifacts else None,
        metadata={
            "operation": operation,
            "provider_selection": resolved.selection_payload(),
            "image_output": image_output,
        },
        provider=resolved.name,
    )
