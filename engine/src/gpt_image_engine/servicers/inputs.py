"""Turning request messages into domain values: call options, retry policy,
image options and input images (uploaded artifacts or URLs)."""

from __future__ import annotations

from typing import Any

from gpt_image.v1 import common_pb2, images_pb2
from gpt_image_engine.errors import AppError
from gpt_image_engine.providers.base import DEFAULT_INSTRUCTIONS, ImageJob, InputImage, ResolvedProvider, RetryPolicy
from gpt_image_engine.providers.sources import image_from_bytes, image_from_url
from gpt_image_engine.state import Engine
from gpt_image_protocol import validation


def retry_policy(options: common_pb2.RetryOptions | None) -> RetryPolicy:
    policy = RetryPolicy()
    if options is None:
        return policy
    if options.HasField("retries"):
        if not 0 <= options.retries <= 10:
            raise AppError("invalid_argument", "--retries must be between 0 and 10.")
        policy.max_retries = options.retries
    if options.HasField("retry_delay_seconds"):
        if not 0 <= options.retry_delay_seconds <= 300:
            raise AppError("invalid_argument", "--retry-delay-seconds must be between 0 and 300.")
        policy.base_delay_seconds = options.retry_delay_seconds
    if options.HasField("request_timeout_seconds"):
        if not 0 < options.request_timeout_seconds <= 3600:
            raise AppError("invalid_argument", "--request-timeout-seconds must be between 0 and 3600.")
        policy.request_timeout_seconds = options.request_timeout_seconds
    return policy


def image_job(operation: str, opts: images_pb2.ImageOptions) -> ImageJob:
    prompt = opts.prompt.strip()
    if not prompt:
        raise AppError("invalid_command", "--prompt is required and must not be empty.")
    validation.check_prompt("--prompt", opts.prompt)
    validation.check_prompt("--instructions", opts.instructions)
    size = validation.parse_size(opts.size) if opts.size else None
    job = ImageJob(
        operation=operation,
        prompt=opts.prompt,
        model=opts.model or None,
        instructions=opts.instructions or None,
        background=validation.check_choice("--background", opts.background, validation.BACKGROUNDS) or "auto",
        size=size,
        quality=validation.check_choice("--quality", opts.quality, validation.QUALITIES),
        output_format=validation.check_choice("--format", opts.format, validation.FORMATS),
        compression=validation.check_range("--compression", opts.compression, 0, 100)
        if opts.HasField("compression")
        else None,
        n=validation.check_range("--n", opts.n, 1, 10) if opts.HasField("n") else None,
        moderation=validation.check_choice("--moderation", opts.moderation, validation.MODERATIONS),
        partial_images=opts.partial_images,
    )
    if not 0 <= job.partial_images <= 3:
        raise AppError("invalid_command", "--partial-images must be between 0 and 3.")
    return job


def check_provider_options(resolved: ResolvedProvider, job: ImageJob) -> None:
    """Provider-specific flags on the wrong provider are `unsupported_option`, before any network call."""

    def unsupported(message: str, detail: Any = None) -> AppError:
        return AppError("unsupported_option", message, detail)

    if resolved.kind == "codex":
        if job.moderation:
            raise unsupported("--moderation is supported by the openai provider.")
        if job.input_fidelity:
            raise unsupported("--input-fidelity is supported by the openai provider.")
        if job.partial_images:
            raise unsupported("--partial-images is supported by OpenAI-kind providers.")
    elif job.instructions and job.instructions != DEFAULT_INSTRUCTIONS:
        raise unsupported("--instructions is supported by the codex provider.")
    if job.mask is not None and resolved.edit_region_mode != "native-mask":
        raise unsupported(
            "--mask requires a provider with native-mask region editing.",
            {"provider": resolved.name, "edit_region_mode": resolved.edit_region_mode},
        )


def input_image(engine: Engine, source: common_pb2.ImageSource, index: int, role: str) -> InputImage:
    kind = source.WhichOneof("source")
    if kind == "artifact_id":
        try:
            stored = engine.artifacts.describe(source.artifact_id)
        except AppError as err:
            raise AppError("ref_image_missing", f"The uploaded {role} was not found.", err.detail) from err
        return image_from_bytes(engine.artifacts.read(source.artifact_id), stored.name)
    if kind == "url":
        return image_from_url(source.url, index=index, role=role)
    raise AppError("ref_image_invalid", f"The {role} has no source.")
