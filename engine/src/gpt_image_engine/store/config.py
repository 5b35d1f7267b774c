"""config.json: loading, atomic saving, redaction, and the `config` provider operations.

Owns the file of §7.1 and the named providers of §4.5. A missing file means defaults; a file
that is not valid JSON is reported (`config_invalid_json`) and never overwritten. Writes are
atomic and private (0600). Top-level keys the upstream schema knows are preserved on rewrite;
keys it does not know are dropped, as upstream does. Redacted views never carry a secret.
The operations return the upstream payloads of §2.2 without `ok`/`command`.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import msgspec

from gpt_image_engine.call import Call
from gpt_image_engine.errors import AppError
from gpt_image_engine.security import keyenv
from gpt_image_engine.store.atomic import atomic_write_json
from gpt_image_engine.store.credentials import redact_credential
from gpt_image_engine.store.history.base import display_url
from gpt_image_engine.store.paths import EnginePaths
from gpt_image_protocol.validation import check_base_url

BUILTIN_PROVIDERS = ("auto", "openai", "codex")
# A new entry's model when none is given, by provider type (else gpt-image-2).
DEFAULT_MODELS = {"codex": "gpt-5.4"}
KNOWN_TOP_LEVEL = (
    "version",
    "default_provider",
    "providers",
    "notifications",
    "storage",
    "paths",
    "proxy",
    "logging",
    "queue",
)
PROVIDER_FIELDS = (
    "type",
    "api_base",
    "endpoint",
    "model",
    "credentials",
    "supports_n",
    "edit_region_mode",
    "proxy",
    "token_url",
)
EDIT_REGION_MODES = ("native-mask", "reference-hint", "none")
DEFAULT_PROVIDER_TYPE = "openai-compatible"


def default_config() -> dict[str, Any]:
    return {"version": 1, "default_provider": None, "providers": {}}


# --- file I/O


def _invalid(path: Path, message: str, error: str) -> AppError:
    return AppError(
        "config_invalid_json",
        f"{message} ({path}); the file was left untouched.",
        {"config_file": str(path), "error": error},
    )


class _Provider(msgspec.Struct, kw_only=True):
    """One named provider as the file holds it. Only `credentials` is checked (an object);
    the other fields pass through as written, as the upstream reads them leniently."""

    type: Any = DEFAULT_PROVIDER_TYPE
    api_base: Any = msgspec.UNSET
    endpoint: Any = msgspec.UNSET
    model: Any = msgspec.UNSET
    credentials: dict[str, Any] | None = None
    supports_n: Any = msgspec.UNSET
    edit_region_mode: Any = msgspec.UNSET
    proxy: Any = msgspec.UNSET
    token_url: Any = msgspec.UNSET


class _ConfigFile(msgspec.Struct, kw_only=True):
    """config.json's known top level (fields in `KNOWN_TOP_LEVEL` order); unknown keys are
    dropped, as the upstream does. Sections other than the providers pass through."""

    version: Any = 1
    default_provider: str | None = None
    providers: dict[str, _Provider] | None = None
    notifications: Any = msgspec.UNSET
    storage: Any = msgspec.UNSET
    paths: Any = msgspec.UNSET
    proxy: Any = msgspec.UNSET
    logging: Any = msgspec.UNSET
    queue: Any = msgspec.UNSET


_DECODER = msgspec.json.Decoder(_ConfigFile)


def _rejection(raw: bytes, path: Path, exc: msgspec.ValidationError) -> AppError:
    """Today's message for where msgspec stopped (`... - at `$.providers[...]``). msgspec checks
    while it parses, so a document cut short can fail a check first: malformed JSON is reported
    as such, as before."""
    try:
        whole = msgspec.json.decode(raw)
    except msgspec.DecodeError as bad:
        return _invalid(path, "Config file must be valid JSON", str(bad))
    where = str(exc).rpartition(" - at `")[2].rstrip("`") if " - at `" in str(exc) else "$"
    if where == "$.providers":
        return _invalid(path, "Config `providers` must be an object", "providers is not an object")
    if where == "$.default_provider":
        return _invalid(path, "Config `default_provider` must be a string", "default_provider is not a string")
    if where.startswith("$.providers[...]"):
        # msgspec does not name the key: find the first provider that fails the same check.
        providers = (whole.get("providers") if isinstance(whole, dict) else None) or {}
        for name, entry in providers.items():
            if not isinstance(entry, dict):
                return _invalid(path, f"Provider {name!r} must be an object", "provider entry is not an object")
            if where.endswith(".credentials") and not isinstance(entry.get("credentials", {}), (dict, type(None))):
                return _invalid(
                    path, f"Provider {name!r} credentials must be an object", "credentials is not an object"
                )
    if where == "$" and str(exc).startswith("Expected `object`"):
        return _invalid(path, "Config file must contain a JSON object", "top level is not an object")
    return _invalid(path, "Config file is not valid", str(exc))


def _parse(raw: bytes, path: Path) -> dict[str, Any]:
    """Decode and check config.json in one pass (msgspec), into the plain dict callers use."""
    try:
        parsed = _DECODER.decode(raw)
    except msgspec.ValidationError as exc:
        raise _rejection(raw, path, exc) from None
    except msgspec.DecodeError as exc:
        raise _invalid(path, "Config file must be valid JSON", str(exc)) from None
    cfg: dict[str, Any] = msgspec.to_builtins(parsed)
    if cfg["version"] is None:
        cfg["version"] = 1
    if cfg["providers"] is None:
        cfg["providers"] = {}
    for entry in cfg["providers"].values():
        if entry["credentials"] is None:
            entry["credentials"] = {}
    return cfg


def load_config(path: Path) -> dict[str, Any]:
    """Read config.json; defaults when the file does not exist. Never modifies the file.

    Every job reads it, and no cache is kept: bench/config_load.py measured a parse with
    msgspec below the deep copy the former stat-keyed cache had to hand out."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return default_config()
    except (OSError, ValueError) as exc:  # ValueError: a path with a NUL byte
        raise AppError(
            "config_read_failed",
            f"Unable to read config file: {path}",
            {"config_file": str(path), "error": str(exc)},
        ) from None
    return _parse(raw, path)


def _serializable(cfg: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in KNOWN_TOP_LEVEL:
        if key in cfg:
            out[key] = cfg[key]
    out.setdefault("version", 1)
    out.setdefault("default_provider", None)
    providers: dict[str, Any] = {}
    for name, entry in (out.get("providers") or {}).items():
        # Optional provider fields are omitted when null, like upstream's skip_serializing_if.
        providers[name] = {k: entry[k] for k in PROVIDER_FIELDS if k in entry and entry[k] is not None}
        providers[name].setdefault("credentials", {})
    out["providers"] = providers
    return out


def save_config(path: Path, cfg: Mapping[str, Any]) -> None:
    """Write config.json atomically with mode 0600 (pretty JSON + newline).

    For a client over TCP or the gateway, the key-source rules of `security.keyenv` are
    checked against what the file holds now, whichever operation is writing."""
    path = Path(path)
    if keyenv.restricted_caller() is not None:
        try:
            current: Mapping[str, Any] | None = load_config(path)
        except AppError:
            current = None
        keyenv.check_config_write(current, cfg)
    try:
        atomic_write_json(path, _serializable(cfg))
    except (OSError, TypeError, ValueError) as exc:
        raise AppError(
            "config_write_failed",
            f"Unable to write config file: {path}",
            {"config_file": str(path), "error": str(exc)},
        ) from None


def queue_max_parallel(cfg: Mapping[str, Any]) -> int | None:
    """`queue.max_parallel` when it is an integer in 1-32, else None (the engine's default applies)."""
    queue = cfg.get("queue")
    value = queue.get("max_parallel") if isinstance(queue, dict) else None
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 32:
        return value
    return None


def save_queue_max_parallel(path: Path, value: int) -> None:
    """Persist `queue.max_parallel` (read-modify-write; the file is replaced atomically)."""
    cfg = load_config(path)
    queue = cfg.get("queue")
    cfg["queue"] = {**(queue if isinstance(queue, dict) else {}), "max_parallel": int(value)}
    save_config(path, cfg)


# --- redaction


def _strip_url_credentials(url: Any) -> Any:
    if not isinstance(url, str) or "@" not in url:
        return url
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if not parts.username and not parts.password:
        return url
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = host + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def _display_url(url: Any) -> Any:
    """A configured base URL for display: a key in its userinfo or query never shows."""
    from gpt_image_engine.security.redaction import redact_url

    return redact_url(url) if isinstance(url, str) else url


def _redact_proxy(proxy: Any) -> Any:
    if isinstance(proxy, dict) and "url" in proxy:
        proxy = dict(proxy)
        proxy["url"] = _strip_url_credentials(proxy["url"])
    return proxy


def _is_credential_ref(value: Any) -> bool:
    return isinstance(value, dict) and value.get("source") in (
        "file",
        "env",
        "keychain",
    )


def _redact_refs(value: Any, env: Mapping[str, str]) -> Any:
    """Redact every CredentialRef and proxy URL found in a nested section (notifications, storage)."""
    if _is_credential_ref(value):
        return redact_credential(value, env)
    if isinstance(value, dict):
        return {k: (_redact_proxy(v) if k == "proxy" else _redact_refs(v, env)) for k, v in value.items()}
    if isinstance(value, list):
        return [_redact_refs(v, env) for v in value]
    return value


def redact_provider(entry: Mapping[str, Any], env: Mapping[str, str] | None = None) -> dict[str, Any]:
    env = os.environ if env is None else env
    creds = entry.get("credentials") or {}
    return {
        "type": entry.get("type", DEFAULT_PROVIDER_TYPE),
        "api_base": _display_url(entry.get("api_base")),
        "endpoint": _display_url(entry.get("endpoint")),
        "model": entry.get("model"),
        "supports_n": entry.get("supports_n"),
        # How the provider edits a region: clients flag a painted mask before sending it.
        "edit_region_mode": entry.get("edit_region_mode"),
        "credentials": {k: redact_credential(v, env) if isinstance(v, dict) else v for k, v in creds.items()},
        "proxy": _redact_proxy(entry.get("proxy")),
    }


def redact_providers(cfg: Mapping[str, Any], env: Mapping[str, str] | None = None) -> dict[str, Any]:
    return {name: redact_provider(entry, env) for name, entry in (cfg.get("providers") or {}).items()}


def redact_config(cfg: Mapping[str, Any], env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The redacted config (§2.2): provider credentials summarised, keyring probed, no secrets."""
    env = os.environ if env is None else env
    out: dict[str, Any] = {
        "version": cfg.get("version", 1),
        "default_provider": cfg.get("default_provider"),
        "providers": redact_providers(cfg, env),
    }
    for key in ("notifications", "storage", "paths", "logging", "queue"):
        if key in cfg:
            out[key] = _redact_refs(copy.deepcopy(cfg[key]), env)
    if "proxy" in cfg:
        out["proxy"] = _redact_proxy(cfg["proxy"])
    return out


# --- validation helpers


def validate_provider_name(name: str | None) -> str:
    if not name or not name.strip() or any(ch in name for ch in "/\\") or any(ch.isspace() for ch in name):
        raise AppError(
            "provider_invalid_name",
            "Provider name must be a non-empty path-safe token.",
            {"provider": name},
        )
    return name


def normalize_edit_region_mode(value: str) -> str:
    if value in EDIT_REGION_MODES:
        return value
    raise AppError(
        "invalid_provider_config",
        f"Unsupported edit_region_mode: {value}",
        {"allowed": list(EDIT_REGION_MODES)},
    )


# --- operations


def config_paths(paths: EnginePaths, call: Call) -> dict[str, Any]:
    config_file = paths.config_for(call.config_file)
    return {
        "config_dir": str(config_file.parent),
        "config_file": str(config_file),
        "history_file": str(paths.history_file),
        "jobs_dir": str(paths.jobs_dir),
        **({"history_database": display_url(paths.database_url)} if paths.database_url else {}),
    }


def inspect_config(paths: EnginePaths, call: Call, env: Mapping[str, str] | None = None) -> dict[str, Any]:
    config_file = paths.config_for(call.config_file)
    cfg = load_config(config_file)
    return {
        "config_file": str(config_file),
        "exists": config_file.is_file(),
        "config": redact_config(cfg, env),
    }


def list_providers(paths: EnginePaths, call: Call, env: Mapping[str, str] | None = None) -> dict[str, Any]:
    cfg = load_config(paths.config_for(call.config_file))
    return {
        "default_provider": cfg.get("default_provider"),
        "providers": redact_providers(cfg, env),
    }


def set_default_provider(paths: EnginePaths, call: Call, name: str) -> dict[str, Any]:
    config_file = paths.config_for(call.config_file)
    validate_provider_name(name)
    cfg = load_config(config_file)
    if name not in BUILTIN_PROVIDERS and name not in cfg["providers"]:
        valid = [*BUILTIN_PROVIDERS, *sorted(cfg["providers"])]
        raise AppError(
            "provider_unknown",
            f"Unknown provider: {name}. Valid names: {', '.join(valid)}.",
            {"provider": name, "config_file": str(config_file), "valid": valid},
        )
    cfg["default_provider"] = name
    save_config(config_file, cfg)
    return {"default_provider": name, "config_file": str(config_file)}


def add_provider(
    paths: EnginePaths,
    call: Call,
    name: str,
    type: str | None = None,
    api_base: str | None = None,
    endpoint: str | None = None,
    model: str | None = None,
    api_key: str | None = None,
    api_key_env: str | None = None,
    account_id: str | None = None,
    access_token: str | None = None,
    refresh_token: str | None = None,
    supports_n: bool = False,
    no_supports_n: bool = False,
    edit_region_mode: str | None = None,
    set_default: bool = False,
    env: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """`config add-provider`: create or overwrite a named provider (§1.6)."""
    config_file = paths.config_for(call.config_file)
    validate_provider_name(name)
    if supports_n and no_supports_n:
        raise AppError(
            "invalid_provider_config",
            "--supports-n and --no-supports-n cannot be used together.",
        )
    mode = normalize_edit_region_mode(edit_region_mode) if edit_region_mode is not None else None
    for flag, url in (("--api-base", api_base), ("--endpoint", endpoint)):
        if url:
            check_base_url(flag, url, "invalid_provider_config")
    provider_type = (type or "").strip() or DEFAULT_PROVIDER_TYPE
    cfg = load_config(config_file)
    creds: dict[str, Any] = {}
    if api_key is not None:
        creds["api_key"] = {"source": "file", "value": api_key}
    if api_key_env is not None and api_key_env.strip():
        keyenv.check_write(api_key_env.strip())
        creds["api_key"] = {"source": "env", "env": api_key_env.strip()}
    for key, value in (
        ("account_id", account_id),
        ("access_token", access_token),
        ("refresh_token", refresh_token),
    ):
        if value is not None:
            creds[key] = {"source": "file", "value": value}
    entry: dict[str, Any] = {
        "type": provider_type,
        "model": model or DEFAULT_MODELS.get(provider_type, "gpt-image-2"),
        "credentials": creds,
    }
    if api_base:
        entry["api_base"] = api_base
    if endpoint:
        entry["endpoint"] = endpoint
    if supports_n or no_supports_n:
        entry["supports_n"] = bool(supports_n)
    if mode is not None:
        entry["edit_region_mode"] = mode
    cfg["providers"][name] = entry
    if set_default or not cfg.get("default_provider"):
        cfg["default_provider"] = name
    save_config(config_file, cfg)
    return {
        "provider": name,
        "config_file": str(config_file),
        "config": redact_config(cfg, env),
    }


def remove_provider(paths: EnginePaths, call: Call, name: str) -> dict[str, Any]:
    """`config remove-provider`: always succeeds; clears the default when it named this provider."""
    config_file = paths.config_for(call.config_file)
    cfg = load_config(config_file)
    removed = cfg["providers"].pop(name, None) is not None
    changed = removed
    if cfg.get("default_provider") == name:
        cfg["default_provider"] = None
        changed = True
    if changed:
        save_config(config_file, cfg)
    return {"provider": name, "removed": removed}
