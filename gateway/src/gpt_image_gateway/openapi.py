"""The OpenAPI 3.1 document for `/api`, written by hand from one table (`ROUTES`).

A test compares this table with the app's URL map both ways, so a route cannot be
added, removed or renamed without the document following.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Flask

from gpt_image_gateway import __version__
from gpt_image_protocol import validation

JOB = {"type": "object", "description": "The upstream job JSON (id, command, provider, status, metadata, ...)."}
ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {"code": {"type": "string"}, "message": {"type": "string"}, "detail": {}},
        }
    },
}
STARTED: dict[str, Any] = {
    "type": "object",
    "properties": {
        "job_id": {"type": "string"},
        "job": JOB,
        "events": {"type": "array", "items": {"type": "object"}},
        "queued": {"type": "boolean"},
    },
}
IMAGE_FIELDS = {
    "prompt": {"type": "string"},
    "provider": {"type": "string"},
    "model": {"type": "string"},
    "instructions": {"type": "string"},
    "size": {"type": "string", "description": "auto | 2K | 4K | WIDTHxHEIGHT"},
    "quality": {"type": "string", "enum": list(validation.QUALITIES)},
    "format": {"type": "string", "enum": list(validation.FORMATS)},
    "background": {"type": "string", "enum": list(validation.BACKGROUNDS)},
    "compression": {"type": "integer", "minimum": 0, "maximum": 100},
    "moderation": {"type": "string", "enum": list(validation.MODERATIONS)},
    "n": {"type": "integer", "minimum": 1, "maximum": 10},
    "partial_images": {"type": "integer", "minimum": 0, "maximum": 3},
}
TRANSPARENT_FIELDS = {
    "method": {"type": "string", "enum": list(validation.METHODS)},
    "profile": {"type": "string", "enum": list(validation.PROFILES)},
    "material": {"type": "string", "enum": list(validation.MATERIALS)},
    "matte_color": {"type": "string"},
    "threshold": {"type": "number"},
    "softness": {"type": "number"},
    "spill_suppression": {"type": "number"},
    "strict": {"type": "boolean"},
}
BINARY = {"type": "string", "format": "binary"}
UPLOAD_JSON = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "bytes": {"type": "array", "items": {"type": "integer", "minimum": 0, "maximum": 255}},
    },
}
ACTION = {
    "type": "object",
    "properties": {
        "id": {"type": "string", "enum": ["continue_save", "resubmit", "fill_missing", "reupload", "discard"]},
        "label": {"type": "string"},
        "billable": {"type": "boolean", "description": "true when the action calls the provider (may be charged)"},
        "warning": {"type": "string"},
    },
}
RECOVERY = {
    "type": "object",
    "properties": {
        "job_id": {"type": "string"},
        "status": {"type": "string"},
        "recoverability": {
            "type": "string",
            "description": "completed | in_progress | recoverable.local_response_cached | recoverable.never_dispatched"
            " | ambiguous.remote_maybe_accepted | terminal.provider_rejected | terminal.user_cancelled"
            " | terminal.local_recovery_unavailable",
        },
        "primary_action": {"oneOf": [ACTION, {"type": "null"}]},
        "secondary_actions": {"type": "array", "items": ACTION},
        "evidence": {"type": "object"},
    },
}
QUEUE = {
    "type": "object",
    "properties": {
        "max_parallel": {"type": "integer", "minimum": 1, "maximum": 32},
        "running": {"type": "integer"},
        "queued": {"type": "integer"},
        "running_job_ids": {"type": "array", "items": {"type": "string"}},
        "queued_job_ids": {"type": "array", "items": {"type": "string"}},
    },
}

STARTED["properties"]["queue"] = QUEUE  # the queue right after enqueueing, as the upstream answers


def _json_body(props: dict[str, Any]) -> dict[str, Any]:
    schema = {"type": "object", "properties": props}
    return {"content": {"application/json": {"schema": schema}, "multipart/form-data": {"schema": schema}}}


def _multipart(props: dict[str, Any]) -> dict[str, Any]:
    return {"content": {"multipart/form-data": {"schema": {"type": "object", "properties": props}}}}


def _ok(schema: dict[str, Any] | None = None, media: str = "application/json", status: str = "200") -> dict[str, Any]:
    return {status: {"description": "OK", "content": {media: {"schema": schema or {"type": "object"}}}}}


# (method, path) -> operation
ROUTES: dict[tuple[str, str], dict[str, Any]] = {
    ("get", "/api/health"): {"summary": "Gateway and engine health (503 when no engine answers).", "tags": ["meta"]},
    ("get", "/api/version"): {"summary": "Gateway and engine versions.", "tags": ["meta"]},
    ("get", "/api/openapi.json"): {"summary": "This document.", "tags": ["meta"]},
    ("get", "/api/session"): {
        "summary": "Whether a token is required and whether this caller has it.",
        "tags": ["session"],
    },
    ("post", "/api/session"): {
        "summary": "Trade the token for an HttpOnly SameSite=Strict gpt2_session cookie (204; 401 on a wrong token).",
        "tags": ["session"],
        "requestBody": _json_body({"token": {"type": "string"}}),
        "responses": {"204": {"description": "Cookie set"}},
    },
    ("delete", "/api/session"): {
        "summary": "Clear the session cookie.",
        "tags": ["session"],
        "responses": {"204": {"description": "Cleared"}},
    },
    ("get", "/api/config"): {
        "summary": "The redacted configuration at top level (the upstream web app's shape): providers with"
        " edit_region_mode and the built-in openai/codex entries, notifications, storage, paths, proxy, logging.",
        "tags": ["config"],
    },
    ("get", "/api/config-paths"): {"summary": "Where the engine keeps config, history and jobs.", "tags": ["config"]},
    ("get", "/api/providers"): {"summary": "Configured providers (redacted) and the default.", "tags": ["providers"]},
    ("get", "/api/auth"): {
        "summary": "Where the built-in openai and codex providers find credentials (no secrets).",
        "tags": ["providers"],
    },
    ("post", "/api/providers/default"): {
        "summary": "Set the default provider; answers the whole config.",
        "tags": ["providers"],
        "requestBody": _json_body({"name": {"type": "string"}}),
    },
    ("put", "/api/providers/{name}"): {
        "summary": "Add or replace a provider; answers the whole config. With the upstream's `credentials`"
        " map an empty secret keeps the stored one and an existing name needs allow_overwrite (else 400"
        " provider_exists); the flat fields (api_key, ...) create or replace.",
        "tags": ["providers"],
        "requestBody": _json_body(
            {
                "type": {"type": "string", "enum": ["openai", "openai-compatible", "codex"]},
                "api_base": {"type": "string"},
                "endpoint": {"type": "string"},
                "model": {"type": "string"},
                "api_key": {"type": "string"},
                "api_key_env": {"type": "string"},
                "account_id": {"type": "string"},
                "supports_n": {"type": "boolean"},
                "edit_region_mode": {"type": "string", "enum": ["native-mask", "reference-hint", "none"]},
                "set_default": {"type": "boolean"},
                "credentials": {"type": "object"},
                "proxy": {"type": "object"},
                "allow_overwrite": {"type": "boolean"},
            }
        ),
    },
    ("delete", "/api/providers/{name}"): {
        "summary": "Remove a provider; answers the whole config.",
        "tags": ["providers"],
    },
    ("post", "/api/providers/{name}/test"): {
        "summary": "Check a provider's connection: {ok, latency_ms, message, detail} (a failed probe is ok: false).",
        "tags": ["providers"],
    },
    ("get", "/api/providers/{name}/credentials/{credential}"): {
        "summary": "A credential's status (source, presence); never the secret itself.",
        "tags": ["providers"],
    },
    ("put", "/api/providers/{name}/credentials/{credential}"): {
        "summary": "Store a credential (file, env or keychain).",
        "tags": ["providers"],
        "requestBody": _json_body(
            {
                "source": {"type": "string", "enum": ["file", "env", "keychain"]},
                "value": {"type": "string"},
                "env": {"type": "string"},
                "account": {"type": "string"},
            }
        ),
    },
    ("delete", "/api/providers/{name}/credentials/{credential}"): {
        "summary": "Delete a credential.",
        "tags": ["providers"],
    },
    ("get", "/api/jobs"): {
        "summary": "Page through history, newest first.",
        "tags": ["jobs"],
        "parameters": [
            {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 200}},
            {"name": "cursor", "in": "query", "schema": {"type": "string"}},
            {"name": "status", "in": "query", "schema": {"type": "string"}},
            {"name": "q", "in": "query", "schema": {"type": "string"}, "description": "Search (alias: query)."},
        ],
        "responses": _ok(
            {
                "type": "object",
                "properties": {
                    "history_file": {"type": "string"},
                    "jobs": {"type": "array", "items": JOB},
                    "next_cursor": {"type": ["string", "null"]},
                    "has_more": {"type": "boolean"},
                    "total": {"type": "integer"},
                },
            }
        ),
    },
    ("get", "/api/jobs/active"): {
        "summary": "Queued, running and uploading jobs: {history_file, jobs}.",
        "tags": ["jobs"],
    },
    ("get", "/api/jobs/interrupted"): {
        "summary": "Recovery descriptors of jobs a stopped engine left failed: {jobs: [descriptor]}.",
        "tags": ["jobs"],
    },
    ("get", "/api/files"): {
        "summary": "A job image named by its server path; only <jobs_dir>/<job id>/<image> is served (else 404).",
        "tags": ["files"],
        "parameters": [{"name": "path", "in": "query", "required": True, "schema": {"type": "string"}}],
        "responses": _ok(BINARY, media="image/*"),
    },
    ("get", "/api/logs"): {
        "summary": "The newest engine log records (redacted), oldest first: {entries, logs_dir}.",
        "tags": ["settings"],
        "parameters": [
            {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 5000}},
            {"name": "level", "in": "query", "schema": {"type": "string", "enum": ["debug", "info", "warn", "error"]}},
        ],
    },
    ("put", "/api/paths"): {
        "summary": "Save the paths settings (app_data_dir, result_library_dir, default_export_dir,"
        " legacy_shared_codex_dir); answers the whole config.",
        "tags": ["settings"],
        "requestBody": _json_body({"app_data_dir": {"type": "object"}, "result_library_dir": {"type": "object"}}),
    },
    ("put", "/api/logging"): {
        "summary": "Save the logging settings ({debug}); takes effect at once; answers the whole config.",
        "tags": ["settings"],
        "requestBody": _json_body({"debug": {"type": "boolean"}}),
    },
    ("get", "/api/jobs/{job_id}"): {"summary": "A job with its events and file list.", "tags": ["jobs"]},
    ("delete", "/api/jobs/{job_id}"): {
        "summary": "Delete a finished job and its files (409 while it runs).",
        "tags": ["jobs"],
    },
    ("get", "/api/jobs/{job_id}/events"): {
        "summary": "Server-Sent Events: each message's id is the event seq; replays after Last-Event-ID, then live, ending with the terminal event.",
        "tags": ["jobs"],
        "parameters": [
            {"name": "Last-Event-ID", "in": "header", "schema": {"type": "integer"}},
            {"name": "after", "in": "query", "schema": {"type": "integer"}},
        ],
        "responses": _ok({"type": "string"}, media="text/event-stream"),
    },
    ("get", "/api/jobs/{job_id}/outputs/{index}"): {
        "summary": "Output image `index` (0-based).",
        "tags": ["files"],
        "responses": _ok(BINARY, media="image/*"),
    },
    ("get", "/api/jobs/{job_id}/partials/{index}"): {
        "summary": "Partial preview `index`.",
        "tags": ["files"],
        "responses": _ok(BINARY, media="image/*"),
    },
    ("get", "/api/jobs/{job_id}/sources/{index}"): {
        "summary": "Matte source image `index` (transparent generate).",
        "tags": ["files"],
        "responses": _ok(BINARY, media="image/*"),
    },
    ("get", "/api/jobs/{job_id}/refs/{index}"): {
        "summary": "Reference image `index`, when the engine kept it.",
        "tags": ["files"],
        "responses": _ok(BINARY, media="image/*"),
    },
    ("post", "/api/jobs/{job_id}/cancel"): {"summary": "Cancel a queued or running job.", "tags": ["jobs"]},
    ("post", "/api/jobs/{job_id}/retry"): {
        "summary": "Run a finished job's request again as a new job (same inputs; provider may change); 202 with the new job id.",
        "tags": ["jobs"],
        "requestBody": _json_body({"provider": {"type": "string"}}),
        "responses": _ok(
            {**STARTED, "properties": {**STARTED["properties"], "retried_from": {"type": "string"}}}, status="202"
        ),
    },
    ("get", "/api/jobs/{job_id}/recovery"): {
        "summary": "What can be done for a failed or interrupted job: recoverability, actions (billable or not) and evidence.",
        "tags": ["jobs"],
        "responses": _ok(RECOVERY),
    },
    ("post", "/api/jobs/{job_id}/resume"): {
        "summary": "Carry out a recovery action: continue_save, resubmit or fill_missing start a new job (202);"
        " discard marks the job discarded and reupload records its storage status (200).",
        "tags": ["jobs"],
        "requestBody": _json_body(
            {
                "action": {
                    "type": "string",
                    "enum": ["continue_save", "resubmit", "fill_missing", "reupload", "discard"],
                },
                "provider": {"type": "string"},
            }
        ),
        "responses": {
            **_ok(
                {
                    **STARTED,
                    "properties": {
                        **STARTED["properties"],
                        "resumed_from": {"type": "string"},
                        "action": {"type": "string"},
                    },
                },
                status="202",
            ),
            **_ok(
                {
                    "type": "object",
                    "properties": {"job_id": {"type": "string"}, "action": {"type": "string"}, "job": JOB},
                }
            ),
        },
    },
    ("get", "/api/queue"): {
        "summary": "The engine's queue: max_parallel, running and queued jobs.",
        "tags": ["queue"],
        "responses": _ok(QUEUE),
    },
    ("post", "/api/queue/concurrency"): {
        "summary": "Set how many jobs run at once (max_parallel 1-32; persisted by the engine).",
        "tags": ["queue"],
        "requestBody": _json_body({"max_parallel": {"type": "integer", "minimum": 1, "maximum": 32}}),
        "responses": _ok(QUEUE),
    },
    ("post", "/api/images/generate"): {
        "summary": "Start a generate job; answers 202 with the job id at once.",
        "tags": ["images"],
        "requestBody": _json_body(IMAGE_FIELDS),
        "responses": _ok(STARTED, status="202"),
    },
    ("post", "/api/images/edit"): {
        "summary": "Start an edit job from uploads (multipart: image[] repeated, mask; or the upstream app's JSON:"
        " refs/mask/selection_hint as {name, bytes: [0-255...]}); 64 MiB cap.",
        "tags": ["images"],
        "requestBody": {
            "content": {
                "multipart/form-data": _multipart(
                    {
                        **IMAGE_FIELDS,
                        "image[]": {"type": "array", "items": BINARY},
                        "mask": BINARY,
                        "input_fidelity": {"type": "string", "enum": ["high", "low"]},
                    }
                )["content"]["multipart/form-data"],
                "application/json": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            **IMAGE_FIELDS,
                            "refs": {"type": "array", "items": UPLOAD_JSON},
                            "mask": UPLOAD_JSON,
                            "selection_hint": UPLOAD_JSON,
                            "edit_region_mode": {"type": "string", "enum": ["native-mask", "reference-hint", "none"]},
                            "input_fidelity": {"type": "string", "enum": ["high", "low"]},
                        },
                    }
                },
            }
        },
        "responses": _ok(STARTED, status="202"),
    },
    ("post", "/api/transparent/extract"): {
        "summary": "Start extracting a transparent PNG from an upload (image, or dark_image + light_image).",
        "tags": ["transparent"],
        "requestBody": _multipart({**TRANSPARENT_FIELDS, "image": BINARY, "dark_image": BINARY, "light_image": BINARY}),
        "responses": _ok(STARTED, status="202"),
    },
    ("post", "/api/transparent/verify"): {
        "summary": "Verify a transparent PNG against a profile; answers with the metrics.",
        "tags": ["transparent"],
        "requestBody": _multipart(
            {
                "image": BINARY,
                "profile": {"type": "string"},
                "expected_matte_color": {"type": "string"},
                "strict": {"type": "boolean"},
            }
        ),
    },
    ("post", "/api/transparent/generate"): {
        "summary": "Start a transparent generate job.",
        "tags": ["transparent"],
        "requestBody": _json_body(
            {
                **IMAGE_FIELDS,
                **TRANSPARENT_FIELDS,
                "source_prompt": {"type": "string"},
                "keep_sources": {"type": "boolean"},
                "want_report": {"type": "boolean"},
            }
        ),
        "responses": _ok(STARTED, status="202"),
    },
}


def _merge_blueprint_docs() -> None:
    from gpt_image_gateway.api import outputs

    ROUTES.update(outputs.OPENAPI)


_merge_blueprint_docs()

_PARAM = re.compile(r"<(?:[a-z]+:)?([a-z_]+)>")


def flask_path(rule: str) -> str:
    return _PARAM.sub(r"{\1}", rule)


def api_routes(app: Flask) -> set[tuple[str, str]]:
    """(method, path) of every /api route in the app's URL map."""
    found = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/"):
            continue
        for method in rule.methods or ():
            if method in ("HEAD", "OPTIONS"):
                continue
            found.add((method.lower(), flask_path(rule.rule)))
    return found


def document(app: Flask | None = None) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for (method, path), op in sorted(ROUTES.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        operation = dict(op)
        params = list(operation.get("parameters", []))
        for name in re.findall(r"{([a-z_]+)}", path):
            schema = {"type": "integer", "minimum": 0} if name == "index" else {"type": "string"}
            params.append({"name": name, "in": "path", "required": True, "schema": schema})
        if params:
            operation["parameters"] = params
        responses = dict(operation.get("responses") or _ok())
        responses["default"] = {
            "description": "Error",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        }
        operation["responses"] = responses
        operation["operationId"] = f"{method}_{re.sub(r'[^a-z0-9]+', '_', path[5:].lower()).strip('_')}"
        paths.setdefault(path, {})[method] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": "gpt-image-2 web gateway", "version": __version__},
        "paths": paths,
        "components": {
            "schemas": {"Error": ERROR},
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "cookie": {"type": "apiKey", "in": "cookie", "name": "gpt2_session"},
            },
        },
        "security": [{"bearer": []}, {"cookie": []}, {}],
    }
