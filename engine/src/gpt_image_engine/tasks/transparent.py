"""The work of `transparent extract|verify|generate` inside a job.

The numpy pipeline (`gpt_image_engine.transparent.pipeline`) does the pixels;
this module plans each command before a job exists (inputs read; for generate the
matte colour picked and the prompt rewritten for a flat matte, the provider selected
and checked), moves bytes in and out of the job folder, emits progress, and builds
the upstream-shaped payloads.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from gpt_image_engine.errors import AppError
from gpt_image_engine.jobs.manager import LiveJob, Outcome
from gpt_image_engine.providers.base import ImageJob, InputImage, ResolvedProvider, RetryPolicy
from gpt_image_engine.providers.capabilities import check_options
from gpt_image_engine.providers.registry import run_image_job
from gpt_image_engine.providers.selection import select_provider
from gpt_image_engine.state import Engine
from gpt_image_engine.tasks.images import image_job
from gpt_image_engine.tasks.inputs import input_bytes
from gpt_image_engine.tasks.outputs import output_object, save_file
from gpt_image_engine.tasks.plan import Plan
from gpt_image_engine.tasks.specs import ExtractSpec, TransparentGenerateSpec, VerifySpec


def plan_extract(engine: Engine, spec: ExtractSpec) -> Plan:
    options = spec.transparent.extract_options()
    input_png = input_bytes(engine, spec.input)
    dark = input_bytes(engine, spec.dark_image)
    light = input_bytes(engine, spec.light_image)
    return Plan.local(
        spec,
        {"method": options["method"], "profile": options["profile"], "client_out": spec.client_out},
        lambda live: run_extract(live, input_png, dark, light, options),
    )


def plan_verify(engine: Engine, spec: VerifySpec) -> Plan:
    data = input_bytes(engine, spec.input)
    if data is None:
        raise AppError("invalid_argument", "transparent verify needs --input.")
    return Plan.local(
        spec,
        {"profile": spec.profile},
        lambda live: run_verify(live, data, spec.profile, spec.expected_matte_color, spec.strict),
    )


def plan_generate(engine: Engine, spec: TransparentGenerateSpec) -> Plan:
    """A flat-matte source from the provider, then local extraction. The matte colour is the
    user's or the one least like the prompt's colours; the prompt asks for that flat matte
    (unless `--source-prompt` says exactly what to send)."""
    from gpt_image_engine.transparent.color import parse_matte_color, to_hex
    from gpt_image_engine.transparent.pipeline import choose_matte_color, matte_prompt

    options = spec.transparent.extract_options()
    method = options.pop("method")
    user_prompt = spec.image.prompt
    job = image_job("generate", spec.image)
    matte = options.pop("matte_color") or choose_matte_color(user_prompt)
    matte_hex = to_hex(parse_matte_color(matte))
    job.prompt = spec.source_prompt or matte_prompt(user_prompt, matte_hex)
    job.background = "opaque"
    job.output_format = "png"
    job.n = None
    policy = spec.retry.policy()
    resolved = select_provider(spec.call, engine.paths, engine.env)
    check_options(resolved, job)
    metadata = {"prompt": user_prompt, "profile": options["profile"], "matte_color": matte_hex, "method": method}
    keep_sources = spec.keep_sources
    if method == "dual":
        work = lambda live: run_generate_dual(  # noqa: E731
            engine, live, resolved, job, policy, user_prompt, options, keep_sources
        )
    else:
        work = lambda live: run_generate(  # noqa: E731
            engine, live, resolved, job, policy, user_prompt, matte_hex, options, keep_sources
        )
    return Plan(spec=spec, command=spec.COMMAND, provider=resolved.name, metadata=metadata, work=work)


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

    result = run_image_job(resolved, job, live, policy, engine.http_for(resolved, live))
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


WHITE_PLATE_PROMPT = (
    "Change only the background of this image to a perfectly flat, uniform matte of pure #ffffff. Keep the subject "
    "pixel-for-pixel identical: same position, size, pose, colours, lighting and edges. No shadows, no gradients, "
    "no new details."
)


def run_generate_dual(
    engine: Engine,
    live: LiveJob,
    resolved: ResolvedProvider,
    job: ImageJob,
    policy: RetryPolicy,
    user_prompt: str,
    options: dict[str, Any],
    keep_sources: bool,
) -> Outcome:
    """Beyond the upstream: the subject on pure black, then the provider edits that image to pure
    white; aligned plates give dual (difference) matting, which recovers real partial alpha. When the
    plates do not align, fall back to chroma on the black source with a warning."""
    from gpt_image_engine.transparent.pipeline import extract, matte_prompt

    dark_job = replace(job, prompt=matte_prompt(user_prompt, "#000000"))
    dark = run_image_job(resolved, dark_job, live, policy, engine.http_for(resolved, live))
    live.check_cancelled()
    dark_file = save_file(live.job_dir, "source-dark.png", dark.images[0], "source", 0)
    live.progress(resolved.name, "source_saved", "completed", "Black plate saved.", 35, file_count=1, plate="dark")
    light_job = ImageJob(
        operation="edit",
        prompt=WHITE_PLATE_PROMPT,
        model=job.model,
        instructions=job.instructions,
        background="opaque",
        size=job.size,
        quality=job.quality,
        output_format="png",
        refs=[InputImage(dark.images[0], "image/png", "source-dark.png")],
    )
    light = run_image_job(resolved, light_job, live, policy, engine.http_for(resolved, live))
    live.check_cancelled()
    light_file = save_file(live.job_dir, "source-light.png", light.images[0], "source", 1)
    live.progress(resolved.name, "source_saved", "completed", "White plate saved.", 55, file_count=1, plate="light")
    options = dict(options, strict=False)
    options.pop("matte_color", None)
    warnings: list[str] = []
    try:
        extracted = extract(None, dark.images[0], light.images[0], method="dual", progress=_progress(live), **options)
        method = "dual"
    except AppError as err:
        if err.code != "transparent_input_mismatch":
            raise
        warnings.append(
            f"The black and white plates did not align ({err.message}); fell back to chroma on the black plate."
        )
        live.progress("local", "dual_fallback", "running", warnings[-1], 60)
        extracted = extract(
            dark.images[0], None, None, method="chroma", matte_color="#000000", progress=_progress(live), **options
        )
        method = "chroma"
    artifact = save_file(live.job_dir, "out.png", extracted.png, "output", 0)
    output = output_object([artifact])
    verification = extracted.verification
    source_output = output_object([dark_file, light_file])
    metadata = {
        "prompt": user_prompt,
        "method": method,
        "requested_method": "dual",
        "profile": options.get("profile"),
        "provider_selection": resolved.selection_payload(),
        "source_output": source_output,
        "output": output,
        "extraction": extracted.payload.get("extraction"),
        "verification": verification,
        "warnings": warnings + list(extracted.warnings),
    }
    if not verification.get("passed", False):
        raise AppError(
            "transparent_verification_failed",
            "Transparent verification failed: " + "; ".join(verification.get("failure_reasons") or ["quality gate"]),
            {"verification": verification, "source_output": source_output, "warnings": metadata["warnings"]},
        )
    live.progress("local", "output_saved", "completed", "Transparent PNG saved.", 100, file_count=1, output=output)
    payload: dict[str, Any] = {
        "provider": resolved.name,
        "provider_selection": resolved.selection_payload(),
        "request": dict(dark.request, source_prompt=dark_job.prompt, light_prompt=WHITE_PLATE_PROMPT, method="dual"),
        "source_output": source_output,
        **{k: v for k, v in extracted.payload.items() if k != "output"},
        "method": method,
        "warnings": metadata["warnings"],
        "output": output,
        "history": {"job_id": live.job_id},
        "retry": {"count": dark.retry_count + light.retry_count, "max_retries": policy.max_retries},
        "events": {"count": len(live.events) + 1},
    }
    artifacts = [artifact] + ([dark_file, light_file] if keep_sources else [])
    return Outcome(
        payload=payload, artifacts=artifacts, output_path=str(artifact.path), metadata=metadata, provider=resolved.name
    )
