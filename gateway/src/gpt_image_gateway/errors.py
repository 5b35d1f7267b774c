"""One error shape for every failure: `{"error": {"code", "message", "detail"?}}`.

The HTTP status comes from the code's gRPC status in the shared registry, with a
few HTTP-specific refinements (an unreachable engine is 503, a failing upstream
provider is 502, a still-running job is 409, an oversized body is 413).

Errors that come from the gRPC transport rather than from the engine's own code
(no engine at the address, a deadline, a bare status) carry gRPC's text, e.g.
`failed to connect to all addresses; last error: ... unix:/...`: `public()` gives
them plain words and moves the raw text to the log, so it never reaches a page.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, jsonify
from werkzeug.exceptions import HTTPException

from gpt_image_protocol.codes import grpc_status_name
from gpt_image_protocol.errors import AppError

_BY_GRPC = {
    "INVALID_ARGUMENT": 400,
    "FAILED_PRECONDITION": 400,
    "OUT_OF_RANGE": 400,
    "NOT_FOUND": 404,
    "ALREADY_EXISTS": 409,
    "ABORTED": 409,
    "CANCELLED": 409,
    "PERMISSION_DENIED": 403,
    "UNAUTHENTICATED": 401,
    "RESOURCE_EXHAUSTED": 413,
    "UNIMPLEMENTED": 405,
    "UNAVAILABLE": 502,
    "DEADLINE_EXCEEDED": 504,
    "INTERNAL": 500,
}
_BY_CODE = {
    "engine_unavailable": 503,
    "engine_start_failed": 503,
    # The browser is signed in; it is the gateway's own hop to the engine that is misconfigured.
    "engine_unauthenticated": 502,
    "engine_incompatible": 502,
    "job_running": 409,
    "job_cancelled": 409,
    "job_interrupted": 409,
    "payload_too_large": 413,
    "too_many_attempts": 429,
    "too_many_followers": 429,
    "gateway_busy": 503,
    "route_not_found": 404,
    "method_not_allowed": 405,
}
_HTTP_CODES = {
    400: "invalid_argument",
    401: "unauthenticated",
    403: "cross_site_request",
    404: "route_not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
}


_LOG = logging.getLogger("gpt_image_gateway.errors")
# Plain words for the errors the transport makes up (the engine's own errors keep their message).
_TRANSPORT_WORDS = {
    "engine_unavailable": "The image engine is not running or cannot be reached.",
    "engine_unauthenticated": "The gateway could not sign in to the image engine.",
}


def public(err: AppError) -> AppError:
    """`err` as the page may see it: transport failures in plain words, raw gRPC text only in the log."""
    grpc_detail = isinstance(err.detail, dict) and "grpc_status" in err.detail
    if err.code in _TRANSPORT_WORDS and err.message != _TRANSPORT_WORDS[err.code]:
        _LOG.warning("%s: %s", err.code, err.message)
        keep = (
            {k: v for k, v in (err.detail or {}).items() if k in ("address", "engine")}
            if isinstance(err.detail, dict)
            else {}
        )
        return AppError(err.code, _TRANSPORT_WORDS[err.code], keep or None, status_code=err.status_code)
    if err.code == "internal_error" and grpc_detail:
        _LOG.warning("internal_error from the engine transport: %s (%s)", err.message, err.detail)
        return AppError(err.code, "The image engine failed unexpectedly.", None, status_code=err.status_code)
    return err


def http_status(code: str) -> int:
    return _BY_CODE.get(code) or _BY_GRPC.get(grpc_status_name(code), 500)


def error_response(err: AppError) -> Any:
    err = public(err)
    status = err.status_code or http_status(err.code)
    response = jsonify({"error": err.to_envelope()})
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="gpt-image-2"'
    retry = err.detail.get("retry_after_s") if isinstance(err.detail, dict) else None
    if isinstance(retry, int) and status in (429, 503):
        response.headers["Retry-After"] = str(retry)
    return response


def install(app: Flask) -> None:
    @app.errorhandler(AppError)
    def coded(err: AppError) -> Any:
        return error_response(err)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Any:
        status = exc.code or 500
        code = _HTTP_CODES.get(status, "internal_error" if status >= 500 else "invalid_argument")
        message = {
            404: "No such route.",
            405: "This route does not take that method.",
            413: "The request body is over the size cap.",
        }.get(status, exc.description or exc.name)
        response = error_response(AppError(code, message, status_code=status))
        if status == 405 and exc.get_response().headers.get("Allow"):
            response.headers["Allow"] = exc.get_response().headers["Allow"]
        return response

    @app.errorhandler(Exception)
    def crash(exc: Exception) -> Any:
        app.logger.exception("unhandled gateway error")
        return error_response(AppError("internal_error", "Unexpected gateway error."))
