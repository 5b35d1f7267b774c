"""The `secret set|get|delete` operations (§1.6, §2.2): storing, showing and deleting provider secrets.

A secret is kept as a `CredentialRef` on its provider in config.json (`store/config.py`); the
references themselves and the keyring live in `store/credentials.py`, re-exported here for the
callers that reach them as `secrets.<name>`. Secrets leave this module only through the
plaintext form of `secret_get`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from gpt_image_engine.call import Call
from gpt_image_engine.errors import AppError
from gpt_image_engine.security import keyenv
from gpt_image_engine.store import config as config_store
from gpt_image_engine.store.credentials import (
    HEADLESS_HINT,
    SERVICE,
    SOURCES,
    credential_ref,
    default_account,
    keyring_delete,
    keyring_get,
    keyring_present,
    keyring_set,
    provider_credential,
    redact_credential,
    resolve_credential,
)
from gpt_image_engine.store.paths import EnginePaths

__all__ = [
    "HEADLESS_HINT",
    "SERVICE",
    "SOURCES",
    "default_account",
    "keyring_delete",
    "keyring_get",
    "keyring_present",
    "keyring_set",
    "provider_credential",
    "redact_credential",
    "resolve_credential",
    "secret_delete",
    "secret_get",
    "secret_set",
]

# --- secret operations


def _load_provider(config_path: Path, provider: str) -> tuple[dict[str, Any], dict[str, Any]]:
    cfg = config_store.load_config(config_path)
    entry = cfg["providers"].get(provider)
    if not isinstance(entry, dict):
        raise AppError(
            "provider_unknown",
            f"Unknown provider: {provider}",
            {"provider": provider, "config_file": str(config_path)},
        )
    return cfg, entry


def secret_set(
    paths: EnginePaths,
    call: Call,
    provider: str,
    name: str,
    source: str = "file",
    value: str | None = None,
    env_var: str | None = None,
    account: str | None = None,
) -> dict[str, Any]:
    """`secret set`: store a credential for a configured provider. Payload {provider, name, config_file}."""
    config_path = paths.config_for(call.config_file)
    source = (source or "file").strip()
    if source not in SOURCES:
        raise AppError(
            "secret_source_unsupported",
            f"Unsupported secret source: {source}",
            {"source": source, "allowed": list(SOURCES)},
        )
    cfg, entry = _load_provider(config_path, provider)
    if source == "env":
        if not env_var or not env_var.strip():
            raise AppError("secret_env_missing", "--env is required when --source env is used.")
        keyenv.check_write(env_var.strip())
        ref: dict[str, Any] = {"source": "env", "env": env_var.strip()}
    else:
        if value is None:
            raise AppError("secret_read_failed", "No secret value was provided (--value or stdin).")
        value = value.rstrip("\r\n")
        if source == "file":
            ref = {"source": "file", "value": value}
        else:
            acct = (account or "").strip() or default_account(provider, name)
            keyring_set(SERVICE, acct, value)
            ref = {"source": "keychain", "service": SERVICE, "account": acct}
    creds = entry.get("credentials")
    if not isinstance(creds, dict):
        creds = entry["credentials"] = {}
    creds[name] = ref
    config_store.save_config(config_path, cfg)
    return {"provider": provider, "name": name, "config_file": str(config_path)}


def secret_get(
    paths: EnginePaths,
    call: Call,
    provider: str,
    name: str,
    status_only: bool = False,
    env: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """`secret get`: the plaintext value and its source label, or (status_only) the redacted ref + ready."""
    config_path = paths.config_for(call.config_file)
    _, entry = _load_provider(config_path, provider)
    ref = credential_ref(provider, entry, name)
    if status_only:
        try:
            resolve_credential(ref, env)
            ready = True
        except AppError:
            ready = False
        return {
            "provider": provider,
            "name": name,
            "status": redact_credential(ref, env),
            "ready": ready,
        }
    if ref.get("source") == "env":
        keyenv.check_reveal(str(ref.get("env") or ""))
    value, label = resolve_credential(ref, env)
    return {"provider": provider, "name": name, "source": label, "value": value}


def secret_delete(paths: EnginePaths, call: Call, provider: str, name: str) -> dict[str, Any]:
    """`secret delete`: drop the credential (and its keyring entry, errors ignored)."""
    config_path = paths.config_for(call.config_file)
    cfg, entry = _load_provider(config_path, provider)
    creds = entry.get("credentials")
    ref = creds.pop(name, None) if isinstance(creds, dict) else None
    removed = ref is not None
    if isinstance(ref, dict) and ref.get("source") == "keychain":
        with contextlib.suppress(AppError):  # keyring cleanup is best effort
            keyring_delete(
                ref.get("service") or SERVICE,
                ref.get("account") or default_account(provider, name),
            )
    if removed:
        config_store.save_config(config_path, cfg)
    return {"provider": provider, "name": name, "removed": removed}
