"""Plain words for job events: what a person reads instead of `job.queued` or `request_started`.

Pure functions on event records, shared by the live progress and the `history show` card.
"""

from __future__ import annotations

from typing import Any

from gpt_image_cli.views.console import as_dict

_PROVIDER_NAMES = {"openai": "OpenAI", "codex": "Codex", "local": "the engine"}


def provider_name(provider: Any) -> str:
    value = str(provider or "").strip()
    return _PROVIDER_NAMES.get(value, value or "the provider")


def phase_words(record: dict[str, Any]) -> str:
    """One short sentence for an event record."""
    type_ = str(record.get("type", ""))
    data = as_dict(record.get("data"))
    who = provider_name(data.get("provider"))
    if type_ == "job.queued":
        position = data.get("position")
        return f"Queued (position {position})…" if position else "Queued…"
    if type_ == "job.running":
        return "Starting…"
    if type_ in ("request.started", "request_started"):
        return f"Sending to {who}…"
    if type_ == "multipart_prepared":
        return f"Uploading reference images to {who}…"
    if type_ == "response_created":
        return f"{who} is drawing…"
    if type_ == "partial_image":
        index = data.get("partial_image_index")
        number: Any = index + 1 if isinstance(index, int) else "?"
        return f"Partial preview {number} received"
    if type_ == "retry_scheduled":
        delay = data.get("delay_seconds")
        number = data.get("retry_number")
        reason = data.get("reason") or ""
        return f"Retrying in {delay}s (retry {number}): {reason}".rstrip(": ")
    if type_ == "auth_refresh_started":
        return "Refreshing the Codex login…"
    if type_ == "auth_refresh_completed":
        return "Codex login refreshed"
    if type_ in ("output_item_done", "response_completed", "request_completed"):
        return "Receiving image…"
    if type_ == "source_saved":
        return "Removing background…"
    if type_ == "verify_started":
        return "Checking transparency…"
    if type_ == "verify_completed":
        return "Transparency checked"
    if type_ == "output_saved":
        return "Saving image…"
    if type_ == "recovery_started":
        return "Recovering the saved response…"
    if type_ == "request_failed":
        return f"{who} reported an error"
    if type_ == "job.completed":
        return "Done"
    if type_ == "job.failed":
        error = as_dict(data.get("error"))
        return f"Failed: {error.get('message') or error.get('code') or ''}".rstrip(": ")
    if type_ in ("job.cancelled", "job.canceled"):
        return "Cancelled"
    if type_ == "job.partial_failed":
        return "Finished with some images failed"
    message = data.get("message")
    return str(message) if message else type_.replace("_", " ").replace(".", " ")
