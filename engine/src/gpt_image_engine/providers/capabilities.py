"""Checking what a job asks against what the resolved provider declares it can do.

Callers never test a provider's kind: each option that only some providers take maps to
one `Capabilities` flag, and a job that asks for it on a provider without it is
`unsupported_option` before any network call (the messages are the upstream's).
"""

from __future__ import annotations

from typing import Any

from gpt_image_engine.errors import AppError
from gpt_image_engine.providers.base import DEFAULT_INSTRUCTIONS, ImageJob, ResolvedProvider


def _unsupported(message: str, detail: Any = None) -> AppError:
    return AppError("unsupported_option", message, detail)


def check_options(resolved: ResolvedProvider, job: ImageJob) -> None:
    """Provider-specific flags on a provider without them are `unsupported_option`."""
    caps = resolved.capabilities
    if job.moderation and not caps.moderation:
        raise _unsupported("--moderation is supported by the openai provider.")
    if job.input_fidelity and not caps.input_fidelity:
        raise _unsupported("--input-fidelity is supported by the openai provider.")
    if job.partial_images and not caps.partial_previews:
        raise _unsupported("--partial-images is supported by OpenAI-kind providers.")
    if job.instructions and job.instructions != DEFAULT_INSTRUCTIONS and not caps.instructions:
        raise _unsupported("--instructions is supported by the codex provider.")
    if job.background == "transparent" and not caps.transparent_background:
        raise _unsupported(
            "--background transparent is not supported by this provider (try `transparent generate`).",
            {"provider": resolved.name},
        )
    if job.mask is not None and not caps.masks:
        raise _unsupported(
            "--mask requires a provider with native-mask region editing.",
            {"provider": resolved.name, "edit_region_mode": resolved.edit_region_mode},
        )


def check_request_operation(resolved: ResolvedProvider, operation: str) -> None:
    """`request create --request-operation` must be one the provider speaks."""
    caps = resolved.capabilities
    if operation not in caps.request_operations:
        raise _unsupported(
            f"{caps.label} request create uses --request-operation {' or '.join(caps.request_operations)}."
        )
