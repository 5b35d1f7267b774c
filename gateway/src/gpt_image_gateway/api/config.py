"""Configuration, providers and credentials: ConfigService and SecretsService over HTTP.

`GET /api/config` and every provider write answer the web app's view of the config
(the upstream's shape: the redacted config at top level, built-ins included).
Credential routes report status only; the gateway never sends a stored secret back
(the upstream's reveal route returns it in plaintext; the app copes with status).
"""

from __future__ import annotations

import time
from typing import Any

from flask import Blueprint, jsonify

from gpt_image_gateway.api import engine
from gpt_image_gateway.forms import fields, flag, text
from gpt_image_gateway.openapi import choices, json_body, operation
from gpt_image_protocol.errors import AppError
from gpt_image_protocol.jsonshape import to_object

bp = Blueprint("config", __name__, url_prefix="/api")
PROVIDER_TYPES = ("openai", "openai-compatible", "codex")
SECRET_SOURCES = ("file", "env", "keychain")
EDIT_REGION_MODES = ("native-mask", "reference-hint", "none")


def _name(value: str) -> str:
    if not value.strip() or any(c.isspace() for c in value) or len(value) > 128:
        raise AppError("provider_invalid_name", "Provider names are non-empty and have no slash or whitespace.")
    return value


def web_config() -> Any:
    return engine().config_call("InspectConfig", web_view=True)


@bp.get("/config")
@operation(
    "The redacted configuration at top level (the upstream web app's shape): providers with"
    " edit_region_mode and the built-in openai/codex entries, notifications, storage, paths, proxy, logging.",
    tags="config",
)
def show_config() -> Any:
    return jsonify(web_config())


@bp.get("/config-paths")
@operation("Where the engine keeps config, history and jobs.", tags="config")
def config_paths() -> Any:
    """The engine's paths plus the names the upstream web app shows (one data folder holds all)."""
    paths = engine().config_call("GetConfigPaths")
    data_dir, jobs_dir = paths.get("config_dir"), paths.get("jobs_dir")
    for key, value in (
        ("app_data_dir", data_dir),
        ("result_library_dir", jobs_dir),
        ("default_export_dir", jobs_dir),
        ("default_export_dirs", {"result_library": jobs_dir}),
        ("storage_fallback_dir", f"{data_dir}/storage/fallback"),
        ("legacy_codex_config_dir", data_dir),
        ("legacy_jobs_dir", jobs_dir),
    ):
        paths.setdefault(key, value)
    return jsonify(paths)


@bp.get("/providers")
@operation("Configured providers (redacted) and the default.", tags="providers")
def list_providers() -> Any:
    return jsonify(engine().config_call("ListProviders"))


@bp.post("/providers/default")
@operation(
    "Set the default provider; answers the whole config.",
    tags="providers",
    body=json_body({"name": {"type": "string"}}),
)
def set_default() -> Any:
    name = text(fields(), "name")
    if not name:
        raise AppError("invalid_argument", "name is required.", {"field": "name"})
    engine().config_call("SetDefaultProvider", name=_name(name))
    return jsonify(web_config())


@bp.put("/providers/<name>")
@operation(
    "Add or replace a provider; answers the whole config. With the upstream's `credentials`"
    " map an empty secret keeps the stored one and an existing name needs allow_overwrite (else 400"
    " provider_exists); the flat fields (api_key, ...) create or replace.",
    tags="providers",
    body=json_body(
        {
            "type": choices(PROVIDER_TYPES),
            "api_base": {"type": "string"},
            "endpoint": {"type": "string"},
            "model": {"type": "string"},
            "api_key": {"type": "string"},
            "api_key_env": {"type": "string"},
            "account_id": {"type": "string"},
            "supports_n": {"type": "boolean"},
            "edit_region_mode": choices(EDIT_REGION_MODES),
            "set_default": {"type": "boolean"},
            "credentials": {"type": "object"},
            "proxy": {"type": "object"},
            "allow_overwrite": {"type": "boolean"},
        }
    ),
)
def put_provider(name: str) -> Any:
    """The upstream app's ProviderInput (`credentials` map, `allow_overwrite`) goes to UpsertProvider:
    an empty secret keeps the stored one, an existing name needs allow_overwrite. Our page's flat
    form (`api_key`, `api_key_env`, ...) still creates or replaces through AddProvider."""
    body = fields()
    if isinstance(body.get("credentials"), dict) or "allow_overwrite" in body:
        return jsonify(engine().config_call("UpsertProvider", name=_name(name), provider=to_object(body)))
    request: dict[str, Any] = {
        "name": _name(name),
        "type": text(body, "type"),
        "api_base": text(body, "api_base"),
        "endpoint": text(body, "endpoint"),
        "model": text(body, "model"),
        "api_key": text(body, "api_key"),
        "api_key_env": text(body, "api_key_env"),
        "account_id": text(body, "account_id"),
        "edit_region_mode": text(body, "edit_region_mode"),
        "set_default": flag(body, "set_default"),
    }
    if "supports_n" in body and body["supports_n"] not in (None, ""):
        request["supports_n"] = flag(body, "supports_n")
    engine().config_call("AddProvider", **request)
    return jsonify(web_config())


@bp.delete("/providers/<name>")
@operation("Remove a provider; answers the whole config.", tags="providers")
def delete_provider(name: str) -> Any:
    engine().config_call("RemoveProvider", name=_name(name))
    return jsonify(web_config())


@bp.post("/providers/<name>/test")
@operation(
    "Check a provider's connection: {ok, latency_ms, message, detail} (a failed probe is ok: false).",
    tags="providers",
)
def test_provider(name: str) -> Any:
    """`{ok, latency_ms, message, detail}` as upstream: a failing probe is a 200 with ok false."""
    name = _name(name)  # a malformed name is the request's fault: 400, not a verdict
    started = time.monotonic()
    try:
        detail = engine().config_call("TestProvider", name=name)
    except AppError as err:
        if err.code.startswith("engine_"):
            raise  # the gateway's own hop failed: not a verdict on the provider
        detail = {"ok": False, "error": err.to_envelope()}
    latency_ms = round((time.monotonic() - started) * 1000)
    ok = bool(isinstance(detail, dict) and detail.get("ok"))
    return jsonify({"ok": ok, "latency_ms": latency_ms, "message": _test_message(detail, ok), "detail": detail})


def _test_message(detail: Any, ok: bool) -> str:
    if ok:
        return "Connection OK"
    if isinstance(detail, dict):
        for source in (detail.get("error"), (detail.get("provider_selection") or {}).get("error")):
            if isinstance(source, dict) and source.get("message"):
                return str(source["message"])
        endpoint = detail.get("endpoint")
        if isinstance(endpoint, dict) and endpoint.get("error"):
            return str(endpoint["error"])
    return "Connection failed"


@bp.get("/providers/<name>/credentials/<credential>")
@operation("A credential's status (source, presence); never the secret itself.", tags="providers")
def credential_status(name: str, credential: str) -> Any:
    return jsonify(engine().secrets_call("GetSecret", provider=_name(name), name=credential, status_only=True))


@bp.put("/providers/<name>/credentials/<credential>")
@operation(
    "Store a credential (file, env or keychain).",
    tags="providers",
    body=json_body(
        {
            "source": choices(SECRET_SOURCES),
            "value": {"type": "string"},
            "env": {"type": "string"},
            "account": {"type": "string"},
        }
    ),
)
def set_credential(name: str, credential: str) -> Any:
    body = fields()
    return jsonify(
        engine().secrets_call(
            "SetSecret",
            provider=_name(name),
            name=credential,
            source=text(body, "source"),
            value=text(body, "value"),
            env=text(body, "env"),
            account=text(body, "account"),
        )
    )


@bp.delete("/providers/<name>/credentials/<credential>")
@operation("Delete a credential.", tags="providers")
def delete_credential(name: str, credential: str) -> Any:
    return jsonify(engine().secrets_call("DeleteSecret", provider=_name(name), name=credential))
