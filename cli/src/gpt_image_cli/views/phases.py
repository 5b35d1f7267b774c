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


# Events whose words need nothing from the event's data ({who} is the provider's name).
_WORDS = {
    "job.running": "Starting…",
    "request.started": "Sending to {who}…",
    "request_started": "Sending to {who}…",
    "multipart_prepared": "Uploading reference images to {who}…",
    "response_created": "{who} is drawing…",
    "auth_refresh_started": "Refreshing the Codex login…",
    "auth_refresh_completed": "Codex login refreshed",
    "output_item_done": "Receiving image…",
    "response_completed": "Receiving image…",
    "request_completed": "Receiving image…",
    "source_saved": "Removing background…",
    "verify_started": "Checking transparency…",
    "verify_completed": "Transparency checked",
    "output_saved": "Saving image…",
    "recovery_started": "Recovering the saved response…",
    "request_failed": "{who} reported an error",
    "job.completed": "Done",
    "job.cancelled": "Cancelled",
    "job.canceled": "Cancelled",
    "job.partial_failed": "Finished with some images failed",
}


def phase_words(record: dict[str, Any]) -> str:
    """One short sentence for an event record."""
    type_ = str(record.get("type", ""))
    data = as_dict(record.get("data"))
    if type_ in _WORDS:
        return _WORDS[type_].format(who=provider_name(data.get("provider")))
    if type_ == "job.queued":
        position = data.get("position")
        return f"Queued (position {position})…" if position else "Queued…"
    if type_ == "partial_image":
        index = data.get("partial_image_index")
        number: Any = index + 1 if isinstance(index, int) else "?"
        return f"Partial preview {number} received"
    if type_ == "retry_scheduled":
        reason = data.get("reason") or ""
        return f"Retrying in {data.get('delay_seconds')}s (retry {data.get('retry_number')}): {reason}".rstrip(": ")
    if type_ == "job.failed":
        error = as_dict(data.get("error"))
        return f"Failed: {error.get('message') or error.get('code') or ''}".rstrip(": ")
    message = data.get("message")
    return str(message) if message else type_.replace("_", " ").replace(".", " ")
