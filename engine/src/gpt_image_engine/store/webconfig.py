"""The web app's view of config.json and the writes its settings screens make.

The upstream's React app (HTTP mode) reads the redacted config at top level with
`edit_region_mode` per provider, the built-in `openai` and `codex` entries it
synthesises when absent, and every settings section (notifications, storage,
paths, proxy, logging) filled with defaults. Its provider save sends the
upstream's ProviderInput: a credentials map where an empty (or still redacted)
file value keeps the stored secret, and `allow_overwrite` guarding existing
names. Settings sections this engine has no feature for yet are stored as sent
and round-trip untouched.
"""

from __future__ import annotations

import copy
import logging
import os
from collections.abc import Mapping
from typing import Any

from gpt_image_engine.call import Call
from gpt_image_engine.errors import AppError
from gpt_image_engine.security import keyenv
from gpt_image_engine.store import config as cfgstore
from gpt_image_engine.store.paths import EnginePaths

SECTIONS = ("paths", "logging")


def _default_sections() -> dict[str, Any]:
    """Each settings section as the upstream's serde defaults answer it."""
    return {
        "notifications": {
            "enabled": True,
            "on_completed": True,
            "on_failed": True,
            "on_cancelled": True,
            "toast": {"enabled": True},
            "system": {"enabled": False, "mode": "auto"},
            "email": {
                "enabled": False,
                "smtp_host": "",
                "smtp_port": 587,
                "tls": "start-tls",
                "username": None,
                "password": None,
                "from": "",
                "to": [],
                "timeout_seconds": 10,
            },
            "webhooks": [],
        },
        "storage": {
            "targets": {},
            "pipeline": None,
            "default_targets": [],
            "fallback_targets": [],
            "fallback_policy": "on_failure",
            "upload_concurrency": 4,
            "target_concurrency": 2,
            "policy": {
                "managed": False,
                "allow_user_overrides": False,
                "allowed_modes": [],
                "locked_origin": None,
                "locked_archives": [],
                "message": None,
            },
        },
        "paths": {
            "app_data_dir": {"mode": "default", "path": None},
            "result_library_dir": {"mode": "default", "path": None},
            "default_export_dir": {"mode": "result_library", "path": None},
            "legacy_shared_codex_dir": {"path": "~/.codex/gpt-image-2-skill", "enabled_for_read": True},
        },
        "proxy": {"mode": "system", "url": None, "no_proxy": []},
        "logging": {"debug": False},
    }


def web_view(cfg: Mapping[str, Any], env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The config the web app reads: redacted, with edit modes, built-ins and every section."""
    env = os.environ if env is None else env
    out = cfgstore.redact_config(cfg, env)
    providers: dict[str, Any] = out["providers"]
    for name, entry in (cfg.get("providers") or {}).items():
        mode = entry.get("edit_region_mode") if isinstance(entry, dict) else None
        if mode and name in providers:
            providers[name]["edit_region_mode"] = mode
    providers.setdefault(
        "codex",
        {
            "type": "codex",
            "model": "gpt-5.4",
            "supports_n": False,
            "credentials": {},
            "builtin": True,
            "edit_region_mode": "reference-hint",
        },
    )
    providers.setdefault(
        "openai",
        {
            "type": "openai-compatible",
            "api_base": keyenv.BUILTIN_OPENAI_API_BASE,
            "model": "gpt-image-2",
            "supports_n": True,
            "credentials": {
                "api_key": {
                    "source": "env",
                    "env": keyenv.BUILTIN_OPENAI_KEY_ENV,
                    "present": bool((env.get(keyenv.BUILTIN_OPENAI_KEY_ENV) or "").strip()),
                }
            },
            "builtin": True,
            "edit_region_mode": "native-mask",
        },
    )
    for section, default in _default_sections().items():
        if not isinstance(out.get(section), dict):
            out[section] = default
    out.pop("queue", None)  # ours: the queue screen reads /api/queue
    return out


def inspect_web(paths: EnginePaths, call: Call, env: Mapping[str, str] | None = None) -> dict[str, Any]:
    return web_view(cfgstore.load_config(paths.config_for(call.config_file)), env)


# --- provider save


def _invalid(message: str, detail: dict[str, Any] | None = None) -> AppError:
    return AppError("invalid_provider_config", message, detail or {})


def _text(body: Mapping[str, Any], key: str) -> str | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise _invalid(f"{key} must be a string.", {"field": key})
    return value.strip() or None


def _credential(provider: str, secret: str, given: Any, existing: Any, env: Mapping[str, str] | None) -> dict[str, Any]:
    """One CredentialInput -> the stored CredentialRef, keeping secrets the app did not resend."""
    from gpt_image_engine.store import secrets as sec

    if not isinstance(given, dict):
        raise _invalid(f"credentials.{secret} must be an object.", {"credential": secret})
    source = given.get("source")
    old = existing if isinstance(existing, dict) else {}
    if source == "file":
        value = given.get("value")
        # Empty, absent or the redacted marker the app read back: keep what is stored.
        if not isinstance(value, str) or value == "":
            if old.get("source") == "file" and isinstance(old.get("value"), str):
                return {"source": "file", "value": old["value"]}
            return {"source": "file", "value": ""}
        return {"source": "file", "value": value}
    if source == "env":
        var = given.get("env")
        if not isinstance(var, str) or not var.strip():
            raise AppError(
                "secret_env_missing", f"credentials.{secret} with source env needs `env`.", {"credential": secret}
            )
        return {"source": "env", "env": var.strip()}
    if source == "keychain":
        service = given.get("service") or (old.get("service") if old.get("source") == "keychain" else None)
        account = given.get("account") or (old.get("account") if old.get("source") == "keychain" else None)
        service = str(service or sec.SERVICE)
        account = str(account or sec.default_account(provider, secret))
        value = given.get("value")
        if isinstance(value, str) and value:
            sec.keyring_set(service, account, value)
        return {"source": "keychain", "service": service, "account": account}
    raise AppError(
        "secret_source_unsupported",
        f"credentials.{secret}: source must be file, env or keychain.",
        {"credential": secret, "source": source},
    )


def upsert_provider(
    paths: EnginePaths, call: Call, name: str, body: Any, env: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """`PUT /api/providers/{name}` as the upstream: create, or replace only with allow_overwrite."""
    name = (name or "").strip()
    cfgstore.validate_provider_name(name)
    if not isinstance(body, dict):
        raise AppError("invalid_body_json", "The provider must be a JSON object.")
    config_file = paths.config_for(call.config_file)
    cfg = cfgstore.load_config(config_file)
    allow_overwrite = body.get("allow_overwrite") is True
    if name == "auto" or (not allow_overwrite and (name in ("openai", "codex") or name in cfg["providers"])):
        raise AppError(
            "provider_exists",
            f"Provider {name!r} already exists; send allow_overwrite: true to replace it."
            if name != "auto"
            else "`auto` is reserved and cannot be configured.",
            {"provider": name},
        )
    provider_type = _text(body, "type") or cfgstore.DEFAULT_PROVIDER_TYPE
    if provider_type not in ("openai", "openai-compatible", "codex"):
        raise AppError(
            "provider_kind_unsupported",
            f"Unsupported provider type: {provider_type}",
            {"provider": name, "type": provider_type},
        )
    existing = cfg["providers"].get(name) or {}
    old_creds = existing.get("credentials") or {}
    creds_in = body.get("credentials") or {}
    if not isinstance(creds_in, dict):
        raise _invalid("credentials must be an object.", {"field": "credentials"})
    creds = {
        str(secret): _credential(name, str(secret), given, old_creds.get(secret), env)
        for secret, given in creds_in.items()
    }
    entry: dict[str, Any] = {"type": provider_type, "credentials": creds}
    for key in ("api_base", "endpoint", "model"):
        value = _text(body, key)
        if value is not None:
            entry[key] = value
    supports_n = body.get("supports_n")
    if supports_n is not None:
        if not isinstance(supports_n, bool):
            raise _invalid("supports_n must be true or false.", {"field": "supports_n"})
        entry["supports_n"] = supports_n
    mode = _text(body, "edit_region_mode")
    if mode is not None:
        entry["edit_region_mode"] = cfgstore.normalize_edit_region_mode(mode)
    proxy = body.get("proxy")
    if proxy is not None:
        if not isinstance(proxy, dict):
            raise _invalid("proxy must be an object.", {"field": "proxy"})
        entry["proxy"] = _restore_proxy_url(proxy, existing.get("proxy"))
    cfg["providers"][name] = entry
    if body.get("set_default") is True or not cfg.get("default_provider"):
        cfg["default_provider"] = name
    cfgstore.save_config(config_file, cfg)
    return web_view(cfg, env)


def _restore_proxy_url(proxy: dict[str, Any], old: Any) -> dict[str, Any]:
    """A proxy URL read back without its credentials, saved unchanged, keeps the stored ones."""
    proxy = copy.deepcopy(proxy)
    if (
        isinstance(old, dict)
        and isinstance(old.get("url"), str)
        and proxy.get("url") == cfgstore._strip_url_credentials(old["url"])
    ):
        proxy["url"] = old["url"]
    return proxy


# --- settings sections

_PATH_KEYS = ("app_data_dir", "result_library_dir", "default_export_dir", "legacy_shared_codex_dir")


def _check_paths(value: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(value) - set(_PATH_KEYS))
    if unknown:
        raise AppError("config_section_invalid", f"Unknown paths keys: {', '.join(unknown)}.", {"keys": unknown})
    for key in _PATH_KEYS:
        item = value.get(key)
        if item is not None and not isinstance(item, dict):
            raise AppError("config_section_invalid", f"paths.{key} must be an object.", {"field": key})
    app_data = value.get("app_data_dir") or {}
    if app_data.get("mode") == "custom":
        # As upstream: the data folder is where config.json itself lives; it cannot move under a running engine.
        raise AppError(
            "config_section_invalid",
            "The app data folder cannot be changed from the web; set GPT_IMAGE_2_DATA_DIR / CODEX_HOME instead.",
            {"field": "app_data_dir"},
        )
    for key in ("result_library_dir", "default_export_dir"):
        item = value.get(key) or {}
        path = item.get("path")
        if item.get("mode") == "custom" and (not isinstance(path, str) or not os.path.isabs(path) or "\x00" in path):
            raise AppError(
                "config_section_invalid", f"paths.{key} in custom mode needs an absolute path.", {"field": key}
            )
    return value


def _check_logging(value: dict[str, Any]) -> dict[str, Any]:
    debug = value.get("debug", False)
    if not isinstance(debug, bool):
        raise AppError("config_section_invalid", "logging.debug must be true or false.", {"field": "debug"})
    return {**value, "debug": debug}


def update_section(
    paths: EnginePaths, call: Call, section: str, value: Any, env: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Replace `paths` or `logging` in config.json (atomically); answers the web view."""
    if section not in SECTIONS:
        raise AppError("config_section_invalid", f"section must be one of {', '.join(SECTIONS)}.", {"section": section})
    if not isinstance(value, dict):
        raise AppError("config_section_invalid", f"{section} must be a JSON object.", {"section": section})
    value = _check_paths(value) if section == "paths" else _check_logging(value)
    config_file = paths.config_for(call.config_file)
    cfg = cfgstore.load_config(config_file)
    cfg[section] = value
    cfgstore.save_config(config_file, cfg)
    if section == "logging":
        apply_logging(value)
    return web_view(cfg, env)


def apply_logging(value: Any) -> None:
    """Turn debug records on or off in the running engine (no restart)."""
    debug = isinstance(value, dict) and value.get("debug") is True
    logging.getLogger().setLevel(logging.DEBUG if debug else logging.INFO)
