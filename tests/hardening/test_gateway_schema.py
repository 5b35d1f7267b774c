"""Issue 9 (3): schemathesis against the gateway's own OpenAPI document.

The document is loaded from the app's `/api/openapi.json` (the gateway built by
`create_app` around a real engine and the fake upstream, driven in-process over WSGI),
and every operation gets a bounded number of generated requests, valid and invalid.
Whatever comes in, the gateway must:

* never answer 5xx, except 503 `engine_unavailable`;
* answer every error (4xx/5xx) with the one JSON shape `{"error": {"code", "message",
  "detail"?}}`, `code` a registered error code and `message` a non-empty string.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from gpt_image_protocol.codes import REGISTRY
from tests.gateway.support import api_operations

pytestmark = pytest.mark.slow

MAX_EXAMPLES = 15
# Operations that would reach outside loopback with generated URLs (a provider test probes
# the provider's api_base), or change what the rest of the run depends on.
EXCLUDED = {
    ("POST", "/api/providers/{name}/test"),
    # Settings that the rest of the run depends on (a random proxy, storage target or webhook)
    # and tests that would send to generated URLs; covered by tests/outputs and tests/gateway.
    ("PUT", "/api/storage"),
    ("POST", "/api/storage/{name}/test"),
    ("PUT", "/api/notifications"),
    ("POST", "/api/notifications/test"),
    ("PUT", "/api/proxy"),
}


@pytest.fixture(scope="module")
def gateway_schema(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from gpt_image_gateway.app import create_app
    from gpt_image_gateway.client import EngineClient
    from gpt_image_gateway.settings import Settings
    from gpt_image_protocol.address import parse_address
    from tests.gateway.support import engine_stack, wait_for

    with engine_stack(tmp_path_factory.mktemp("schema")) as stack:
        client = EngineClient(parse_address(stack.address))
        app = create_app(client, Settings(sse_heartbeat_s=0.2))
        http = app.test_client()
        started = http.post("/api/images/generate", json={"prompt": "a real job for the fuzzer"})
        assert started.status_code == 202, started.get_data(as_text=True)
        job_id = started.json["job_id"]
        wait_for(lambda: http.get(f"/api/jobs/{job_id}").json["job"]["status"] == "completed")
        try:
            yield schemathesis.openapi.from_wsgi("/api/openapi.json", app), job_id
        finally:
            client.close()


def assert_gateway_contract(status: int, content_type: str, body: bytes, where: str) -> None:
    if status >= 500:
        assert status == 503, f"{where}: {status} {body[:300]!r}"
    if status < 400:
        return
    assert content_type.split(";")[0].strip() == "application/json", f"{where}: {status} {content_type} {body[:200]!r}"
    payload = json.loads(body)
    assert isinstance(payload, dict) and set(payload) == {"error"}, f"{where}: {payload}"
    err = payload["error"]
    assert isinstance(err, dict) and {"code", "message"} <= set(err) <= {"code", "message", "detail"}, f"{where}: {err}"
    assert err["code"] in REGISTRY and isinstance(err["message"], str) and err["message"], f"{where}: {err}"
    if status >= 500:
        assert err["code"] == "engine_unavailable", f"{where}: {err}"


def _content_type(response: Any) -> str:
    value = response.headers.get("Content-Type") or response.headers.get("content-type") or ""
    return value[0] if isinstance(value, list) else str(value)


def _fuzz(operation: Any, mode: GenerationMode, real_job: str, calls: list[int], failures: list[str]) -> None:
    """Up to MAX_EXAMPLES generated requests of one mode; contract breaches go to `failures`."""

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        # Half the job routes' cases aim at a real, completed job rather than a random id
        # (never DELETE: the job must outlive this module).
        if "job_id" in (case.path_parameters or {}) and case.method.upper() != "DELETE" and len(calls) % 2:
            case.path_parameters["job_id"] = real_job
        response = case.call()
        calls.append(response.status_code)
        where = f"{mode.value} {case.method} {case.formatted_path} {case.query or ''} {str(case.body)[:120]}"
        try:
            assert_gateway_contract(response.status_code, _content_type(response), response.content, where)
        except (AssertionError, ValueError) as exc:
            failures.append(str(exc))

    try:
        run()
    except Unsatisfiable:
        # Nothing in this operation can be made invalid (no parameters, or only free-form
        # strings): only the positive cases apply.
        assert mode is GenerationMode.NEGATIVE


@pytest.mark.parametrize(("method", "path"), sorted(k for k in api_operations() if (k[0].upper(), k[1]) not in EXCLUDED))
def test_gateway_against_its_openapi(gateway_schema: Any, method: str, path: str) -> None:
    schema, real_job = gateway_schema
    failures: list[str] = []
    calls: list[int] = []
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        _fuzz(schema[path][method], mode, real_job, calls, failures)
    assert calls, "no request was generated"
    assert failures == [], "\n".join(failures[:5])


def test_the_contract_check_itself() -> None:
    """The checker refuses what it should (so a green run means something)."""
    ok = json.dumps({"error": {"code": "invalid_argument", "message": "m"}}).encode()
    assert_gateway_contract(400, "application/json", ok, "ok")
    assert_gateway_contract(503, "application/json", json.dumps({"error": {"code": "engine_unavailable", "message": "m"}}).encode(), "ok")  # fmt: skip
    for status, ctype, body in [
        (500, "application/json", ok),
        (503, "application/json", ok),
        (400, "text/html", b"<h1>Bad</h1>"),
        (404, "application/json", b'{"message": "x"}'),
        (400, "application/json", b'{"error": {"code": "invalid_argument", "message": "", "x": 1}}'),
        (400, "application/json", b'{"error": {"code": "not_a_registered_code", "message": "m"}}'),
    ]:
        with pytest.raises(AssertionError):
            assert_gateway_contract(status, ctype, body, "bad")

