"""Retry, recovery, resume and the queue over HTTP, against a real engine and the fake
upstream: `POST /api/jobs/{id}/retry`, `GET /api/jobs/{id}/recovery`,
`POST /api/jobs/{id}/resume`, `GET /api/queue`, `POST /api/queue/concurrency`."""

from __future__ import annotations

import hashlib
from typing import Any

from flask.testing import FlaskClient

from tests.fakeupstream.server import Fault
from tests.gateway.conftest import follow
from tests.gateway.support import Stack, wait_for

GEN = "/v1/images/generations"


def start_generate(http: FlaskClient, prompt: str = "a red fox", **fields: object) -> str:
    reply = http.post("/api/images/generate", json={"prompt": prompt, "size": "1024x1024", **fields})
    assert reply.status_code == 202, reply.json
    return str(reply.json["job_id"])


def finish(http: FlaskClient, job_id: str) -> dict[str, Any]:
    events = follow(http, job_id)
    last: dict[str, Any] = events[-1]["data"]
    assert last["terminal"] is True, events
    return last


def failed_job(http: FlaskClient, stack: Stack, prompt: str) -> str:
    """A generate that fails after the provider answered 503 to every attempt (no backoff wait)."""
    stack.upstream.faults(Fault.fail(503, times=4, retry_after="0", path=GEN))
    try:
        job_id = start_generate(http, prompt)
        assert finish(http, job_id)["status"] == "failed"
    finally:
        stack.upstream.clear_faults()
    return job_id


def test_retry_a_completed_generate_makes_a_new_completed_job(http: FlaskClient, stack: Stack) -> None:
    original = start_generate(http, "a retried otter")
    assert finish(http, original)["status"] == "completed"
    calls = len(stack.upstream.requests_to(GEN))

    reply = http.post(f"/api/jobs/{original}/retry")
    assert reply.status_code == 202, reply.json
    body = reply.json
    new_id = body["job_id"]
    assert new_id != original and body["retried_from"] == original and body["queued"] is True
    assert body["events"][0]["type"] == "job.queued" and body["events"][0]["job_id"] == new_id
    assert reply.headers["Location"] == f"/api/jobs/{new_id}"

    last = finish(http, new_id)
    assert last["status"] == "completed"
    assert len(stack.upstream.requests_to(GEN)) == calls + 1
    detail = http.get(f"/api/jobs/{new_id}").json
    assert detail["job"]["status"] == "completed"
    assert (detail["job"]["metadata"].get("request") or {}).get("prompt") == "a retried otter"
    output = [a for a in last["artifacts"] if a["role"] == "output"][0]
    image = http.get(f"/api/jobs/{new_id}/outputs/0")
    assert image.status_code == 200 and hashlib.sha256(image.data).hexdigest() == output["sha256"]
    # The original is untouched.
    assert http.get(f"/api/jobs/{original}").json["job"]["status"] == "completed"

    # JSON body with a provider choice is accepted too.
    again = http.post(f"/api/jobs/{original}/retry", json={"provider": "fake"})
    assert again.status_code == 202, again.json
    assert finish(http, again.json["job_id"])["status"] == "completed"


def test_retry_bad_input(http: FlaskClient) -> None:
    missing = http.post("/api/jobs/job-nope/retry")
    assert missing.status_code == 404 and missing.json["error"]["code"] == "history_not_found"
    assert http.post("/api/jobs/a..b/retry").status_code == 400
    assert http.post("/api/jobs/job-nope/retry", data="{", content_type="application/json").status_code == 400


def test_retry_with_an_unknown_provider_is_provider_unknown(http: FlaskClient) -> None:
    job_id = start_generate(http, "retry bad provider")
    finish(http, job_id)
    direct = http.post("/api/images/generate", json={"prompt": "x", "provider": "nosuch"})
    assert direct.status_code == 404 and direct.json["error"]["code"] == "provider_unknown"
    unknown = http.post(f"/api/jobs/{job_id}/retry", json={"provider": "nosuch"})
    assert unknown.status_code == 404 and unknown.json["error"]["code"] == "provider_unknown", unknown.json


def test_recovery_of_a_failed_job_then_resume_resubmit_and_discard(http: FlaskClient, stack: Stack) -> None:
    job_id = failed_job(http, stack, "a failing heron")
    reply = http.get(f"/api/jobs/{job_id}/recovery")
    assert reply.status_code == 200, reply.json
    recovery = reply.json
    assert recovery["job_id"] == job_id and recovery["status"] == "failed"
    assert recovery["recoverability"] == "terminal.local_recovery_unavailable"
    assert recovery["primary_action"] is None
    actions = {a["id"]: a for a in recovery["secondary_actions"]}
    assert set(actions) == {"resubmit"} and actions["resubmit"]["billable"] is True and actions["resubmit"]["warning"]
    evidence = recovery["evidence"]
    assert evidence["request_dispatched"] is True and evidence["raw_response_present"] is False
    assert evidence["outputs_present"] == 0

    # An action the descriptor does not offer is refused by the engine, with what is on offer.
    refused = http.post(f"/api/jobs/{job_id}/resume", json={"action": "continue_save"})
    assert refused.status_code == 400 and refused.json["error"]["code"] == "invalid_argument"
    assert "resubmit" in refused.json["error"]["detail"]["available"]

    resumed = http.post(f"/api/jobs/{job_id}/resume", json={"action": "resubmit"})
    assert resumed.status_code == 202, resumed.json
    new_id = resumed.json["job_id"]
    assert new_id != job_id and resumed.json["resumed_from"] == job_id and resumed.json["action"] == "resubmit"
    assert finish(http, new_id)["status"] == "completed"

    discarded = http.post(f"/api/jobs/{job_id}/resume", json={"action": "discard"})
    assert discarded.status_code == 200, discarded.json
    body = discarded.json
    assert body["job_id"] == job_id and body["action"] == "discard"
    assert body["job"]["metadata"].get("discarded_at"), body["job"]


def test_resume_discard_from_a_form_body(http: FlaskClient, stack: Stack) -> None:
    job_id = failed_job(http, stack, "a discarded crane")
    reply = http.post(f"/api/jobs/{job_id}/resume", data={"action": "discard"})
    assert reply.status_code == 200, reply.json
    assert reply.json["job"]["metadata"].get("discarded_at")


def test_recovery_and_resume_bad_input(http: FlaskClient) -> None:
    for path in ("/api/jobs/job-nope/recovery",):
        reply = http.get(path)
        assert reply.status_code == 404 and reply.json["error"]["code"] == "history_not_found"
    assert http.get("/api/jobs/a..b/recovery").status_code == 400
    for body in ({}, {"action": "explode"}, {"action": ""}):
        reply = http.post("/api/jobs/job-nope/resume", json=body)
        assert reply.status_code == 400 and reply.json["error"]["code"] == "invalid_argument", body
        assert reply.json["error"]["detail"]["field"] == "action"
    assert http.post("/api/jobs/job-nope/resume").status_code == 400  # no body: no action
    unknown = http.post("/api/jobs/job-nope/resume", json={"action": "discard"})
    assert unknown.status_code == 404 and unknown.json["error"]["code"] == "history_not_found"
    completed = start_generate(http, "a finished swan")
    finish(http, completed)
    recovery = http.get(f"/api/jobs/{completed}/recovery").json
    assert recovery["recoverability"] == "completed" and recovery["primary_action"] is None


def test_queue_get_and_set(http: FlaskClient) -> None:
    queue = http.get("/api/queue")
    assert queue.status_code == 200
    body = queue.json
    assert set(body) == {"max_parallel", "running", "queued", "running_job_ids", "queued_job_ids"}
    assert 1 <= body["max_parallel"] <= 32
    original = body["max_parallel"]

    reply = http.post("/api/queue/concurrency", json={"max_parallel": 7})
    assert reply.status_code == 200 and reply.json["max_parallel"] == 7
    assert http.get("/api/queue").json["max_parallel"] == 7
    assert http.post("/api/queue/concurrency", data={"max_parallel": "32"}).json["max_parallel"] == 32
    assert http.post("/api/queue/concurrency", json={"max_parallel": 1}).json["max_parallel"] == 1

    for bad in ({"max_parallel": 0}, {"max_parallel": 33}, {"max_parallel": -1}, {"max_parallel": "x"}, {"max_parallel": 2.5}, {}):
        reply = http.post("/api/queue/concurrency", json=bad)
        assert reply.status_code == 400, bad
        assert reply.json["error"]["code"] == "invalid_argument" and reply.json["error"]["detail"]["field"] == "max_parallel"
    assert http.post("/api/queue/concurrency", data="nope", content_type="application/json").status_code == 400
    assert http.get("/api/queue").json["max_parallel"] == 1  # refused values changed nothing
    assert http.post("/api/queue/concurrency", json={"max_parallel": original}).json["max_parallel"] == original


def test_queue_shows_running_and_queued_jobs(http: FlaskClient, stack: Stack) -> None:
    original = http.get("/api/queue").json["max_parallel"]
    http.post("/api/queue/concurrency", json={"max_parallel": 1})
    held = Fault.hold(path=GEN)  # the first job runs until the queue was seen (a timed delay could end first)
    stack.upstream.faults(held)
    try:
        first = start_generate(http, "queue first")
        second = start_generate(http, "queue second")
        state = wait_for(lambda: (q := http.get("/api/queue").json)["running"] == 1 and q["queued"] == 1 and q, timeout=30)
        assert state["running_job_ids"] == [first] and state["queued_job_ids"] == [second]
        assert state["max_parallel"] == 1
        held.release()
        assert finish(http, first)["status"] == "completed"
        assert finish(http, second)["status"] == "completed"
        done = http.get("/api/queue").json
        assert done["running"] == 0 and done["queued"] == 0
    finally:
        stack.upstream.clear_faults()
        http.post("/api/queue/concurrency", json={"max_parallel": original})
