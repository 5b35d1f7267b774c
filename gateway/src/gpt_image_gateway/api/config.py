"""Configuration, providers and credentials: ConfigService and SecretsService over HTTP.

Credential routes report status only; the gateway never sends a stored secret back.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify

from gpt_image_gateway.api import engine
from gpt_image_gateway.forms import fields, flag, text
from gpt_image_protocol.errors import AppError

bp = Blueprint("config", __name__, url_prefix="/api")


def _name(value: str) -> str:
    if not value.strip() or any(c.isspace() for c in value) or len(value) > 128:
        raise AppError("provider_invalid_name", "Provider names are non-empty and have no slash or whitespace.")
    return value


@bp.get("/config")
def show_config() -> Any:
    return jsonify(engine().config_call("InspectConfig"))


@bp.get("/config-paths")
def config_paths() -> Any:
    return jsonify(engine().config_call("GetConfigPaths"))


@bp.get("/providers")
def list_providers() -> Any:
    return jsonify(engine().config_call("ListProviders"))


@bp.post("/providers/default")
def set_default() -> Any:
    name = text(fields(), "name")
    if not name:
        raise AppError("invalid_argument", "name is required.", {"field": "name"})
    return jsonify(engine().config_call("SetDefaultProvider", name=_name(name)))


@bp.put("/providers/<name>")
def put_provider(name: str) -> Any:
    body = fields()
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
    # The upstream's shape: credentials {api_key: {source: file, value} | {source: env, env}}.
    creds = body.get("credentials")
    if isinstance(creds, dict) and isinstance(creds.get("api_key"), dict):
        cred = creds["api_key"]
        if cred.get("source") == "env" and cred.get("env"):
            request["api_key_env"] = str(cred["env"])
        elif cred.get("value"):
            request["api_key"] = str(cred["value"])
    if "supports_n" in body and body["supports_n"] not in (None, ""):
        request["supports_n"] = flag(body, "supports_n")
    return jsonify(engine().config_call("AddProvider", **request))


@bp.delete("/providers/<name>")
def delete_provider(name: str) -> Any:
    return jsonify(engine().config_call("RemoveProvider", name=_name(name)))


@bp.post("/providers/<name>/test")
def test_provider(name: str) -> Any:
    return jsonify(engine().config_call("TestProvider", name=_name(name)))


@bp.get("/providers/<name>/credentials/<credential>")
def credential_status(name: str, credential: str) -> Any:
    return jsonify(engine().secrets_call("GetSecret", provider=_name(name), name=credential, status_only=True))


@bp.put("/providers/<name>/credentials/<credential>")
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
def delete_credential(name: str, credential: str) -> Any:
    return jsonify(engine().secrets_call("DeleteSecret", provider=_name(name), name=credential))
