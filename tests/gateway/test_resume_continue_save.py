"""`POST /api/jobs/{id}/resume {"action": "continue_save"}` over HTTP: the engine is killed
(-9) after spooling the provider's answer, restarted, and the gateway (which kept running
and reconnected on its own) finishes the job from the cached response with no provider call."""

from __future__ import annotations

import hashlib
import signal

from flask.testing import FlaskClient

from tests.gateway.conftest import follow
from tests.gateway.support import Stack, wait_for

GEN = "/v1/images/generations"
PAUSE = "GPT_IMAGE_2_TEST_PAUSE_AFTER_SPOOL"


def test_continue_save_after_engine_kill(http: FlaskClient, stack: Stack) -> None:
    engine = stack.engine
    engine.stop()
    engine.extra_env[PAUSE] = "30"
    engine.start()
    wait_for(lambda: http.get("/api/health").status_code == 200, timeout=15)

    reply = http.post("/api/images/generate", json={"prompt": "a spooled ibis", "size": "1024x1024"})
    assert reply.status_code == 202, reply.json
    job_id = reply.json["job_id"]
    raw = engine.shared_dir / "jobs" / job_id / "raw_response.json"
    wait_for(raw.is_file, timeout=15)

    engine.stop(signal.SIGKILL)
    down = http.get(f"/api/jobs/{job_id}/recovery")
    assert down.status_code == 503 and down.json["error"]["code"] == "engine_unavailable"
    engine.extra_env.pop(PAUSE, None)
    engine.start()
    wait_for(lambda: http.get(f"/api/jobs/{job_id}/recovery").status_code == 200, timeout=15)

    recovery = http.get(f"/api/jobs/{job_id}/recovery").json
    assert recovery["status"] == "failed"
    assert recovery["recoverability"] == "recoverable.local_response_cached"
    primary = recovery["primary_action"]
    assert primary["id"] == "continue_save" and primary["billable"] is False
    assert [a["id"] for a in recovery["secondary_actions"]] == ["resubmit"]
    assert recovery["evidence"]["raw_response_present"] is True and recovery["evidence"]["raw_response_bytes"] > 0

    calls = len(stack.upstream.requests_to(GEN))
    resumed = http.post(f"/api/jobs/{job_id}/resume", json={"action": "continue_save"})
    assert resumed.status_code == 202, resumed.json
    new_id = resumed.json["job_id"]
    assert new_id != job_id and resumed.json["action"] == "continue_save" and resumed.json["resumed_from"] == job_id
    assert resumed.json["events"][0]["type"] == "job.queued"
    last = follow(http, new_id)[-1]["data"]
    assert last["terminal"] is True and last["status"] == "completed", last
    assert len(stack.upstream.requests_to(GEN)) == calls  # finished from the cached answer: no provider call

    output = [a for a in last["artifacts"] if a["role"] == "output"][0]
    image = http.get(f"/api/jobs/{new_id}/outputs/0")
    assert image.status_code == 200 and hashlib.sha256(image.data).hexdigest() == output["sha256"]
    assert http.get(f"/api/jobs/{job_id}").json["job"]["metadata"]["resumed_by"] == new_id
