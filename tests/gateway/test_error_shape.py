"""One error shape on every route (the datasette habit): each documented route is
called with bad input, with the engine up and with it down, and every error body is
exactly `{"error": {"code", "message", "detail"?}}` with the status its code maps to."""

from __future__ import annotations

import io
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from gpt_image_gateway.errors import http_status
from gpt_image_protocol.codes import REGISTRY
from tests.gateway.support import api_operations, png_bytes

ENGINE_FREE = {("get", "/api/session"), ("post", "/api/session"), ("delete", "/api/session"), ("get", "/api/openapi.json")}


ROUTES = api_operations()


def assert_error_shape(reply: Any) -> dict[str, Any]:
    assert reply.mimetype == "application/json", (reply.status_code, reply.get_data(as_text=True)[:200])
    body = reply.json
    assert set(body) == {"error"}, body
    err = body["error"]
    assert set(err) <= {"code", "message", "detail"} and {"code", "message"} <= set(err), err
    assert err["code"] in REGISTRY and isinstance(err["message"], str) and err["message"]
    assert reply.status_code == http_status(err["code"]), (reply.status_code, err)
    return err


def fill(path: str, job_id: str = "job-does-not-exist", name: str = "nosuch") -> str:
    return path.replace("{job_id}", job_id).replace("{index}", "0").replace("{name}", name).replace("{credential}", "api_key")


def valid_request(method: str, path: str) -> dict[str, Any]:
    """Arguments for a request that passes the gateway's own checks."""
    if path == "/api/files":
        return {"query_string": {"path": "/nowhere/jobs/job-1/out.png"}}
    if path in ("/api/images/edit",):
        return {"data": {"prompt": "x", "image[]": (io.BytesIO(png_bytes()), "a.png")}, "content_type": "multipart/form-data"}
    if path.startswith("/api/transparent/") and path != "/api/transparent/generate":
        return {"data": {"image": (io.BytesIO(png_bytes()), "a.png")}, "content_type": "multipart/form-data"}
    if method in ("post", "put"):
        return {"json": {"prompt": "x", "action": "discard", "max_parallel": 2, "name": "fake", "type": "openai-compatible", "api_base": "http://127.0.0.1:9/v1", "value": "v", "token": "t"}}
    return {}


@pytest.mark.parametrize(("method", "path"), sorted(ROUTES))
def test_every_route_answers_503_when_the_engine_is_down(down_app: Flask, method: str, path: str) -> None:
    http = down_app.test_client()
    reply = getattr(http, method)(fill(path), **valid_request(method, path))
    if (method, path) in ENGINE_FREE:
        assert reply.status_code < 400
        return
    err = assert_error_shape(reply)
    assert reply.status_code == 503 and err["code"] == "engine_unavailable", err


@pytest.mark.parametrize(("method", "path"), sorted(ROUTES))
def test_every_route_errors_in_the_one_shape(http: FlaskClient, method: str, path: str) -> None:
    """Bad input for each route: an unknown job/provider, or an empty body."""
    if (method, path) in ENGINE_FREE - {("post", "/api/session")}:
        pytest.skip("never fails without a token configured")
    kwargs: dict[str, Any] = {}
    if method in ("post", "put"):
        kwargs = {"data": "not json", "content_type": "application/json"}
    if path.startswith(("/api/images/", "/api/transparent/")):
        kwargs = {"data": {}, "content_type": "multipart/form-data"}
    if path in ("/api/health", "/api/version", "/api/config", "/api/config-paths", "/api/providers", "/api/session", "/api/queue", "/api/auth", "/api/jobs/active", "/api/jobs/interrupted", "/api/notifications/capabilities"):
        kwargs = {"query_string": {"limit": "x"}} if method == "get" else kwargs
        if method == "get":
            pytest.skip("no input to get wrong")
    if path in ("/api/jobs", "/api/logs"):
        kwargs = {"query_string": {"limit": "nan"}}
    if path == "/api/session":
        pytest.skip("no token configured: any body is accepted")
    reply = getattr(http, method)(fill(path, name="bad%20name"), **kwargs)
    assert reply.status_code >= 400, (method, path, reply.status_code)
    assert_error_shape(reply)


def test_unknown_route_and_wrong_method(http: FlaskClient) -> None:
    err = assert_error_shape(http.get("/api/nope"))
    assert err["code"] == "route_not_found"
    reply = http.put("/api/jobs")
    err = assert_error_shape(reply)
    assert reply.status_code == 405 and err["code"] == "method_not_allowed" and "GET" in reply.headers["Allow"]


def test_status_mapping_of_codes() -> None:
    assert http_status("invalid_argument") == 400
    assert http_status("ref_image_invalid") == 400
    assert http_status("history_not_found") == 404
    assert http_status("engine_unavailable") == 503
    assert http_status("http_error") == 502
    assert http_status("unauthenticated") == 401
    assert http_status("cross_site_request") == 403
    assert http_status("payload_too_large") == 413
    assert http_status("job_running") == 409
    assert http_status("internal_error") == 500
    for code in REGISTRY:
        assert 400 <= http_status(code) <= 599
