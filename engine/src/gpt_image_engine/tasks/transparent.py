"""The work of `transparent extract|verify|generate` inside a job.

The numpy pipeline (`gpt_image_engine.transparent.pipeline`) does the pixels;
this module moves bytes in and out of the job folder, emits progress, and
builds the upstream-shaped payloads.
"""

from __future__ import annotations

from typing import Any

from gpt_image_engine.errors import AppError
from gpt_image_engine.jobs.manager import LiveJob, Outcome
from gpt_image_engine.providers.base import ImageJob, ResolvedProvider, RetryPolicy
from gpt_image_engine.providers.registry import run_image_job
from gpt_image_engine.state import Engine
from gpt_image_engine.tasks.outputs import output_object, save_file


def _progress(live: LiveJob) -> Any:
    def report(phase: str, percent: int, message: str) -> None:
        live.progress("local", phase, "running", message, percent)

    return report


def run_extract(
    live: LiveJob,
    input_png: bytes | None,
    dark_png: bytes | None,
    light_png: bytes | None,
    options: dict[str, Any],
) -> Outcome:
    from gpt_image_engine.transparent.pipeline import extract

    result = extract(input_png, dark_png, light_png, progress=_progress(live), **options)
    artifact = save_file(live.job_dir, "out.png", result.png, "output", 0)
    output = output_object([artifact])
    live.progress("local", "output_saved", "completed", "Transparent PNG saved.", 100, file_count=1, output=output)
    payload = dict(result.payload)
    payload["output"] = output
    payload["history"] = {"job_id": live.job_id}
    payload["events"] = {"count": len(live.events) + 1}
    return Outcome(
        payload=payload,
        artifacts=[artifact],
        output_path=str(artifact.path),
        metadata={
            "method": payload.get("method"),
            "profile": options.get("profile"),
            "material": options.get("material"),
            "output": output,
            "extraction": payload.get("extraction"),
            "verification": result.verification,
        },
        provider="local",
    )


def run_verify(live: LiveJob, data: bytes, profile: str, expected: str | None, strict: bool) -> Outcome:
    from gpt_image_engine.transparent.pipeline import verify_png

    live.progress("local", "verify_started", "running", "Verifying transparency.", 10)
    payload = verify_png(data, profile=profile, expected_matte_color=expected)
    report = payload.get("verification", payload)
    if strict and not report.get("passed", False):
        raise AppError(
            "transparent_verification_failed",
            "Transparent verification failed: " + "; ".join(report.get("failure_reasons") or ["quality gate"]),
            payload,
        )
    live.progress("local", "verify_completed", "completed", "Verification finished.", 100, passed=report.get("passed"))
    payload = dict(payload)
    payload["history"] = {"job_id": live.job_id}
    return Outcome(payload=payload, metadata={"profile": profile, "verification": report}, provider="local")


def run_generate(
    engine: Engine,
    live: LiveJob,
    resolved: ResolvedProvider,
    job: ImageJob,
    policy: RetryPolicy,
    user_prompt: str,
    matte_hex: str,
    options: dict[str, Any],
    keep_sources: bool,
) -> Outcome:
    from gpt_image_engine.transparent.pipeline import extract

    result = run_image_job(resolved, job, live, policy, engine.http)
    live.check_cancelled()
    source = save_file(live.job_dir, "source.png", result.images[0], "source", 0)
    source_output = output_object([source])
    live.progress(
        resolved.name, "source_saved", "completed", "Matte source saved.", 50, file_count=1, output=source_output
    )
    options = dict(options)
    options["matte_color"] = matte_hex
    options["method"] = "chroma"
    options["strict"] = False
    extracted = extract(result.images[0], None, None, progress=_progress(live), **options)
    artifact = save_file(live.job_dir, "out.png", extracted.png, "output", 0)
    output = output_object([artifact])
    verification = extracted.verification
    metadata = {
        "prompt": user_prompt,
        "source_prompt": job.prompt,
        "method": "chroma",
        "profile": options.get("profile"),
        "material": options.get("material"),
        "provider_selection": resolved.selection_payload(),
        "source_output": source_output,
        "output": output,
        "extraction": extracted.payload.get("extraction"),
        "verification": verification,
    }
    if not verification.get("passed", False):
        raise AppError(
            "transparent_verification_failed",
            "Transparent verification failed: " + "; ".join(verification.get("failure_reasons") or ["quality gate"]),
            {"verification": verification, "source_output": source_output},
        )
    live.progress("local", "output_saved", "completed", "Transparent PNG saved.", 100, file_count=1, output=output)
    payload: dict[str, Any] = {
        "provider": resolved.name,
        "provider_selection": resolved.selection_payload(),
        "request": dict(result.request, source_prompt=job.prompt, matte_color=matte_hex),
        "response": result.response,
        "source_output": source_output,
        **{k: v for k, v in extracted.payload.items() if k not in ("output",)},
        "output": output,
        "history": {"job_id": live.job_id},
        "retry": {"count": result.retry_count, "max_retries": policy.max_retries},
        "events": {"count": len(live.events) + 1},
    }
    artifacts = [artifact] + ([source] if keep_sources else [])
    return Outcome(
        payload=payload, artifacts=artifacts, output_path=str(artifact.path), metadata=metadata, provider=resolved.name
    )
