"""What the app does between calls: poll a job the way subscribeJobEvents does, and build the
gallery list the way listJobs does (the first page merged with the active jobs by id)."""

from __future__ import annotations

import time
from typing import Any

from tests.gateway.compat.replay import App

TERMINAL = {"completed", "partial_failed", "failed", "cancelled", "canceled"}
PNG = b"\x89PNG\r\n\x1a\n"


def poll_job(app: App, job_id: str, timeout: float = 60.0, interval: float = 0.1) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """getJob until the job is terminal (the app polls every 1.2 s; faster here); events deduplicated by seq."""
    seen: dict[int, dict[str, Any]] = {}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        payload = app.json("jobs.get", job_id=job_id)
        for event in payload.get("events") or []:
            seen.setdefault(int(event["seq"]), event)
        if payload["job"]["status"] in TERMINAL:
            return payload["job"], [seen[k] for k in sorted(seen)]
        time.sleep(interval)
    raise AssertionError(f"job {job_id} did not finish")


def merged_jobs(app: App) -> list[dict[str, Any]]:
    """listJobs: Promise.all([listJobsPage({limit: 100}), listActiveJobs()]) then mergeJobsById(active first)."""
    page = app.json("jobs.page", limit=100, cursor_qs="")
    active = app.json("jobs.active")
    out: dict[str, dict[str, Any]] = {}
    for job in [*active["jobs"], *page["jobs"]]:
        out.setdefault(job["id"], job)
    return list(out.values())
