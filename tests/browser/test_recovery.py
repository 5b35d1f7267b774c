"""The page in a real browser: retry from the history details (a new job that completes),
the recovery section of a failed job (actions with the billable warning, discard), and
the queue indicator with the max_parallel control in Settings."""

from __future__ import annotations

import json
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.fakeupstream.server import Fault
from tests.gateway.support import GatewayProc, Stack

pytestmark = pytest.mark.browser
GEN = "/v1/images/generations"


def call(gateway: GatewayProc, path: str, body: dict[str, Any] | None = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(gateway.url + path, data, {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as reply:
        return json.loads(reply.read())


def finished_job(gateway: GatewayProc, prompt: str) -> dict[str, Any]:
    job_id = call(gateway, "/api/images/generate", {"prompt": prompt, "size": "1024x1024"})["job_id"]
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        job: dict[str, Any] = call(gateway, f"/api/jobs/{job_id}")["job"]
        if job["status"] not in ("queued", "running"):
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish")


def open_details(page: Any, gateway: GatewayProc, query: str, job_id: str) -> None:
    page.goto(gateway.url + "/#history")
    page.wait_for_selector("body[data-ready='1']")
    page.fill("#history-q", query)
    page.locator(f"#gallery[data-query='{query}'] .tile[data-job-id='{job_id}']").click()
    page.wait_for_selector(f"#details[open] #details-body[data-job-id='{job_id}']")


def test_retry_from_history_details(page: Any, gateway: GatewayProc, bstack: Stack, screenshots: Path) -> None:
    original = finished_job(gateway, "a heron to retry")
    assert original["status"] == "completed"
    calls = len(bstack.upstream.requests_to(GEN))
    open_details(page, gateway, "heron", original["id"])
    details = page.inner_text("#details-body")
    assert "null" not in details and "[object" not in details and "Retry sends the same request" in details
    page.click("#retry-job")
    page.wait_for_selector("#details-status[data-new-job]")
    new_id = page.get_attribute("#details-status", "data-new-job")
    assert new_id and new_id != original["id"]
    assert new_id in page.inner_text("#details-status")
    card = page.locator(f"#jobs .job[data-job-id='{new_id}']")
    card.wait_for(state="attached")
    page.wait_for_selector(f"#jobs .job[data-job-id='{new_id}'][data-status='completed']", state="attached")
    page.wait_for_function(
        f"document.querySelector(\"#jobs .job[data-job-id='{new_id}'] img.output\")?.naturalWidth > 0"
    )
    assert "Retry: a heron to retry" in card.locator(".job-title").inner_text()
    assert len(bstack.upstream.requests_to(GEN)) == calls + 1
    job = call(gateway, f"/api/jobs/{new_id}")["job"]
    assert job["status"] == "completed" and job["metadata"]["request"]["prompt"] == "a heron to retry"
    page.keyboard.press("Escape")
    page.wait_for_selector(f"#gallery .tile[data-job-id='{new_id}'][data-status='completed']")  # the gallery picks it up
    assert page.locator(f"#gallery .tile[data-job-id='{original['id']}']").count() == 1
    page.screenshot(path=str(screenshots / "history-retry.png"), full_page=True)


def test_recovery_actions_and_discard(page: Any, gateway: GatewayProc, bstack: Stack, screenshots: Path) -> None:
    bstack.upstream.faults(Fault.fail(503, times=4, retry_after="0", path=GEN))
    try:
        failed = finished_job(gateway, "a failing pelican")
    finally:
        bstack.upstream.clear_faults()
    assert failed["status"] == "failed"
    open_details(page, gateway, "pelican", failed["id"])
    page.wait_for_selector("#recovery[data-recoverability='terminal.local_recovery_unavailable']")
    recovery = page.locator("#recovery")
    assert recovery.locator("button[data-action='resubmit']").is_visible()
    assert "Billable" in recovery.locator(".action", has=page.locator("[data-action='resubmit']")).inner_text()
    assert recovery.locator("button[data-action='discard']").is_visible()
    assert "Request sent to the provider: yes" in recovery.inner_text()
    page.screenshot(path=str(screenshots / "history-recovery.png"))
    assert "null" not in recovery.inner_text() and "[object" not in page.inner_text("#details-body")

    dialogs: list[str] = []

    def accept(dialog: Any) -> None:
        dialogs.append(dialog.message)
        dialog.accept()

    page.once("dialog", accept)
    recovery.locator("button[data-action='discard']").click()
    page.wait_for_function("document.querySelector('#details-status')?.textContent === 'Discarded.'")
    assert dialogs and "Discard" in dialogs[0]
    page.wait_for_selector("#recovery[data-recoverability]")
    assert page.locator("#recovery button[data-action='discard']").count() == 0
    assert "Discarded" in page.inner_text("#recovery")
    assert call(gateway, f"/api/jobs/{failed['id']}")["job"]["metadata"]["discarded_at"]


def test_queue_indicator_and_concurrency_setting(page: Any, gateway: GatewayProc, screenshots: Path) -> None:
    before = call(gateway, "/api/queue")["max_parallel"]
    page.goto(gateway.url + "/#settings")
    page.wait_for_selector(f"#queue-indicator:not(.hidden)[data-max-parallel='{before}']")
    assert "running" in page.inner_text("#queue-indicator") and "queued" in page.inner_text("#queue-indicator")
    form = page.locator("#queue-form")
    form.locator("input[name=max_parallel]").fill("3")
    form.locator("button[type=submit]").click()
    page.wait_for_selector("#queue-indicator[data-max-parallel='3']")
    assert call(gateway, "/api/queue")["max_parallel"] == 3
    page.screenshot(path=str(screenshots / "settings-queue.png"), full_page=True)

    form.locator("input[name=max_parallel]").fill("40")
    form.locator("button[type=submit]").click()
    page.wait_for_function("document.querySelector('#queue-form [data-error]').textContent.includes('invalid_argument')")
    assert call(gateway, "/api/queue")["max_parallel"] == 3
    call(gateway, "/api/queue/concurrency", {"max_parallel": before})
