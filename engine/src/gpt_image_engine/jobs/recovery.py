"""What can be done for a job that did not complete: its recoverability class,
the actions on offer and the evidence on disk (the upstream's recovery design).

Classes: `recoverable.local_response_cached` (a whole raw response is spooled:
`continue_save` rebuilds the outputs with no provider call),
`recoverable.never_dispatched` (no request left the engine: `resubmit` is safe),
`ambiguous.remote_maybe_accepted` (a request was sent, no answer kept: a
`resubmit` may pay twice), `terminal.provider_rejected` (a 4xx),
`terminal.user_cancelled`, `terminal.local_recovery_unavailable`, and
`recoverable.upload_failed` (every output is on disk but a storage upload failed:
`reupload` sends what is missing, with no provider call).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gpt_image_engine.jobs import reserve
from gpt_image_engine.jobs.spool import spooled_responses
from gpt_image_engine.store.history import HistoryStore

_MAYBE_ACCEPTED = "The last request may already have been accepted by the provider; generating again calls it again."
_SENT_TYPES = {"request_started", "request.started", "multipart_prepared"}


def _action(action_id: str, label: str, billable: bool, warning: str | None = None) -> dict[str, Any]:
    action: dict[str, Any] = {"id": action_id, "label": label, "billable": billable}
    if warning:
        action["warning"] = warning
    return action


def describe(job: dict[str, Any], job_dir: Path, events: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    status = job.get("status")
    metadata = job.get("metadata") or {}
    raw_files = spooled_responses(job_dir) if job_dir.is_dir() else []
    in_memory = reserve.has(str(job.get("id")))
    outputs = [f for f in (metadata.get("output") or {}).get("files") or [] if Path(str(f.get("path"))).is_file()]
    sent = any(e.get("type") in _SENT_TYPES for e in (events or []))
    error = job.get("error") or metadata.get("error") or {}
    evidence = {
        "raw_response_present": bool(raw_files) or in_memory,
        "response_in_memory": in_memory,
        "raw_response_bytes": sum(p.stat().st_size for p in raw_files),
        "outputs_present": len(outputs),
        "outputs_expected": int(metadata.get("n") or (metadata.get("request") or {}).get("n") or 1),
        "request_dispatched": sent,
        "interrupted_reason": metadata.get("interrupted_reason"),
    }
    resubmit = _action("resubmit", "Generate again", True, "This calls the provider again.")
    primary: dict[str, Any] | None = None
    secondary: list[dict[str, Any]] = []
    if (
        outputs
        and job.get("storage_status") in ("failed", "partial_failed")
        and len(outputs) >= int(evidence["outputs_expected"] or 1)
    ):
        recoverability = "recoverable.upload_failed"
        primary = _action("reupload", "Upload again", False)
    elif status == "completed":
        recoverability = "completed"
    elif status in ("queued", "running"):
        recoverability = "in_progress"
    elif (raw_files or in_memory) and not outputs:
        recoverability = "recoverable.local_response_cached"
        primary = _action("continue_save", "Finish from the cached response", False)
        secondary = [resubmit]
    elif isinstance(error.get("detail"), dict) and error["detail"].get("remote_accepted"):
        # The provider answered 2xx and the body broke (cut, malformed): it may have billed.
        recoverability = "ambiguous.remote_maybe_accepted"
        secondary = [_action("resubmit", "Generate again", True, _MAYBE_ACCEPTED)]
    elif status in ("cancelled", "canceled") and not sent:
        recoverability = "terminal.user_cancelled"
        secondary = [resubmit]
    elif not sent:
        recoverability = "recoverable.never_dispatched"
        primary = _action("resubmit", "Send the request", True)
    elif (
        error.get("code") == "http_error"
        and 400
        <= int((error.get("detail") or {}).get("status", 0) if isinstance(error.get("detail"), dict) else 0)
        < 500
    ):
        recoverability = "terminal.provider_rejected"
    elif metadata.get("interrupted_reason"):
        recoverability = "ambiguous.remote_maybe_accepted"
        secondary = [_action("resubmit", "Generate again", True, _MAYBE_ACCEPTED)]
    elif status in ("cancelled", "canceled"):
        recoverability = "terminal.user_cancelled"
        secondary = [resubmit]
    else:
        recoverability = "terminal.local_recovery_unavailable"
        secondary = [resubmit]
    return {
        "job_id": job.get("id"),
        "status": status,
        "recoverability": recoverability,
        "primary_action": primary,
        "secondary_actions": secondary,
        "evidence": evidence,
    }


def stamp_interrupted(history: HistoryStore, jobs_dir: Path, job_ids: list[str]) -> None:
    """Record each interrupted job's recoverability class on its row (`metadata.recoverability`),
    as the upstream does at start-up, so listings show it without a recovery call."""
    for job_id in job_ids:
        try:
            job = history.get_job(job_id)
            klass = describe(job, jobs_dir / job_id, history.events(job_id))["recoverability"]
            history.update_job(job_id, metadata_patch={"recoverability": klass}, fetch=False)
        except Exception:  # noqa: BLE001 - best effort: the recovery call computes it anyway
            continue
