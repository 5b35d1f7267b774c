"""jobs/recovery: each recoverability class from real history rows and real job folders.

Rows are written through the history store (as the engine writes them; SQLite and PostgreSQL),
evidence is files in the job folder (a spooled `raw_response.json`, outputs) or the in-memory
reserve, and events are the ones the row's job recorded.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gpt_image_engine.jobs import reserve
from gpt_image_engine.jobs.recovery import describe, stamp_interrupted
from gpt_image_engine.store.history import HistoryStore, new_job_id


class Jobs:
    def __init__(self, history: HistoryStore, root: Path) -> None:
        self.history = history
        self.root = root
        root.mkdir(exist_ok=True)

    def make(
        self,
        status: str,
        *,
        sent: bool = False,
        error: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> str:
        job_id = new_job_id()
        (self.root / job_id).mkdir()
        self.history.create_job(job_id, "images generate", "fake", status="queued", metadata={"n": 1}, fetch=False)
        self.history.append_event(job_id, "local", "job.queued", {"status": "queued"})
        if sent:
            self.history.append_event(job_id, "progress", "request.started", {"status": "running"})
        self.history.update_job(job_id, status=status, error=error, metadata_patch=metadata, fetch=False)
        return job_id

    def describe(self, job_id: str) -> dict[str, Any]:
        job = self.history.get_job(job_id)
        return describe(job, self.root / job_id, self.history.events(job_id))


@pytest.fixture
def jobs(history: HistoryStore, tmp_path: Path) -> Jobs:
    return Jobs(history, tmp_path / "jobs")


def action_ids(report: dict[str, Any]) -> tuple[str | None, list[str]]:
    primary = report["primary_action"]
    return (primary["id"] if primary else None, [a["id"] for a in report["secondary_actions"]])


def test_completed_and_in_progress_offer_nothing(jobs: Jobs) -> None:
    done = jobs.describe(jobs.make("completed", sent=True))
    running = jobs.describe(jobs.make("running", sent=True))
    assert (done["recoverability"], action_ids(done)) == ("completed", (None, []))
    assert (running["recoverability"], action_ids(running)) == ("in_progress", (None, []))


def test_spooled_response_without_outputs_continues_without_a_provider_call(jobs: Jobs) -> None:
    job_id = jobs.make("failed", sent=True, error={"code": "storage_full", "message": "full"})
    raw = jobs.root / job_id / "raw_response.json"
    raw.write_bytes(b'{"data": []}')
    report = jobs.describe(job_id)
    assert report["recoverability"] == "recoverable.local_response_cached"
    assert action_ids(report) == ("continue_save", ["resubmit"])
    assert report["primary_action"]["billable"] is False
    assert report["secondary_actions"][0]["billable"] is True
    assert report["evidence"]["raw_response_present"] is True
    assert report["evidence"]["raw_response_bytes"] == raw.stat().st_size
    assert report["evidence"]["request_dispatched"] is True


def test_response_held_in_memory_counts_as_cached(jobs: Jobs) -> None:
    job_id = jobs.make("failed", sent=True, error={"code": "storage_full", "message": "full"})
    assert reserve.keep(job_id, [b"png bytes"])
    try:
        report = jobs.describe(job_id)
    finally:
        reserve.drop(job_id)
    assert report["recoverability"] == "recoverable.local_response_cached"
    assert report["evidence"]["response_in_memory"] is True
    assert report["evidence"]["raw_response_bytes"] == 0
    assert jobs.describe(job_id)["recoverability"] != "recoverable.local_response_cached"


def test_never_dispatched_is_safe_to_resubmit(jobs: Jobs) -> None:
    report = jobs.describe(jobs.make("failed", error={"code": "invalid_argument", "message": "bad"}))
    assert report["recoverability"] == "recoverable.never_dispatched"
    assert action_ids(report) == ("resubmit", [])
    assert report["evidence"]["request_dispatched"] is False


def test_a_broken_2xx_body_may_have_been_billed(jobs: Jobs) -> None:
    error = {"code": "invalid_response", "message": "cut", "detail": {"remote_accepted": True}}
    report = jobs.describe(jobs.make("failed", sent=True, error=error))
    assert report["recoverability"] == "ambiguous.remote_maybe_accepted"
    assert action_ids(report) == (None, ["resubmit"])
    assert "already have been accepted" in report["secondary_actions"][0]["warning"]


def test_a_4xx_is_terminal_and_a_5xx_is_not(jobs: Jobs) -> None:
    rejected = {"code": "http_error", "message": "no", "detail": {"status": 400}}
    server = {"code": "http_error", "message": "down", "detail": {"status": 503}}
    assert jobs.describe(jobs.make("failed", sent=True, error=rejected))["recoverability"] == (
        "terminal.provider_rejected"
    )
    other = jobs.describe(jobs.make("failed", sent=True, error=server))
    assert other["recoverability"] == "terminal.local_recovery_unavailable"
    assert action_ids(other) == (None, ["resubmit"])


def test_cancelled_before_and_after_sending(jobs: Jobs) -> None:
    early = jobs.describe(jobs.make("cancelled"))
    late = jobs.describe(jobs.make("cancelled", sent=True))
    assert early["recoverability"] == late["recoverability"] == "terminal.user_cancelled"
    assert action_ids(early) == action_ids(late) == (None, ["resubmit"])


def test_interrupted_after_sending_is_ambiguous(jobs: Jobs) -> None:
    job_id = jobs.make("failed", sent=True, metadata={"interrupted_reason": "engine_stopped"})
    report = jobs.describe(job_id)
    assert report["recoverability"] == "ambiguous.remote_maybe_accepted"
    assert report["evidence"]["interrupted_reason"] == "engine_stopped"


def test_outputs_on_disk_with_a_failed_upload_offer_reupload(jobs: Jobs, history: HistoryStore) -> None:
    job_id = jobs.make("completed", sent=True)
    out = jobs.root / job_id / "image-1.png"
    out.write_bytes(b"png")
    history.update_job(job_id, metadata_patch={"output": {"files": [{"path": str(out)}]}}, fetch=False)
    history.upsert_upload(
        {"job_id": job_id, "output_index": 0, "target": "s3", "target_type": "s3", "status": "failed"}
    )
    report = jobs.describe(job_id)
    assert report["recoverability"] == "recoverable.upload_failed"
    assert action_ids(report) == ("reupload", [])
    assert report["evidence"]["outputs_present"] == report["evidence"]["outputs_expected"] == 1
    out.unlink()  # the evidence is the file on disk, not the row
    assert jobs.describe(job_id)["recoverability"] == "completed"


def test_stamp_interrupted_records_each_class_on_its_row(jobs: Jobs, history: HistoryStore) -> None:
    unsent = jobs.make("running")
    sent = jobs.make("running", sent=True)
    marked = history.mark_interrupted("engine_stopped")
    assert sorted(marked) == sorted([unsent, sent])
    stamp_interrupted(history, jobs.root, [*marked, "job-gone"])  # an unknown id is skipped
    assert history.get_job(unsent)["metadata"]["recoverability"] == "recoverable.never_dispatched"
    assert history.get_job(sent)["metadata"]["recoverability"] == "ambiguous.remote_maybe_accepted"
