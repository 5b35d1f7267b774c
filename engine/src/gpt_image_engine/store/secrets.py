"""Credential references and the OS keyring: resolving, storing and deleting provider secrets.

Owns the `CredentialRef` sources of §7.2 (`file`, `env`, `keychain`) and the `secret set|get|delete`
operations (§1.6, §2.2). Keyring access is wrapped so every failure is a coded error: a machine
with no usable backend (typical for headless servers) gets `keychain_error` with a message that
says how to fix it, never a traceback. Secrets leave this module only through `resolve_credential`
and the plaintext form of `secret_get`.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import keyring
import keyring.backends.fail
import keyring.errors

from gpt_image_engine.call import Call
from gpt_image_engine.errors import AppError
from gpt_image_engine.security import keyenv
from gpt_image_engine.store import config as config_store
from gpt_image_engine.store.paths import EnginePaths

SERVICE = "gpt-image-2-skill"
SOURCES = ("file", "env", "keychain")
HEADLESS_HINT = (
    "No usable OS keyring backend is available (common on headless machines). "
    "Install keyrings.alt and set PYTHON_KEYRING_BACKEND=keyrings.alt.file.PlaintextKeyring "
    "(or another backend) for the engine, or store the secret with --source file or --source env."
)


def default_account(provider: str, name: str) -> str:
    return f"providers/{provider}/{name}"


# --- keyring wrapper


def _backend_unusable() -> bool:
    try:
        backend = keyring.get_keyring()
    except Exception:  # noqa: BLE001 - a broken backend configuration is "unusable"
        return True
    return isinstance(backend, keyring.backends.fail.Keyring)


def _keychain_error(service: str, account: str, exc: BaseException | None = None) -> AppError:
    detail: dict[str, Any] = {
        "service": service,
        "account": account,
        "hint": HEADLESS_HINT,
    }
    if exc is not None:
        detail["error"] = f"{type(exc).__name__}: {exc}"
    return AppError("keychain_error", f"OS keyring unavailable. {HEADLESS_HINT}", detail)


def _is_no_backend(exc: BaseException) -> bool:
    return isinstance(exc, (keyring.errors.NoKeyringError, keyring.errors.InitError))


def keyring_get(service: str, account: str) -> str:
    """Read a keyring secret; keychain_missing when absent, keychain_error when no backend."""
    if _backend_unusable():
        raise _keychain_error(service, account)
    try:
        value = keyring.get_password(service, account)
    except Exception as exc:  # noqa: BLE001 - backends raise many types (dbus, OSError, ...)
        if _is_no_backend(exc):
            raise _keychain_error(service, account, exc) from None
        raise AppError(
            "keychain_error",
            "Unable to read keychain secret.",
            {
                "service": service,
                "account": account,
                "error": f"{type(exc).__name__}: {exc}",
                "hint": HEADLESS_HINT,
            },
        ) from None
    if value is None:
        raise AppError(
            "keychain_missing",
            "Unable to read keychain secret.",
            {"service": service, "account": account},
        )
    return value


def keyring_set(service: str, account: str, value: str) -> None:
    if _backend_unusable():
        raise _keychain_error(service, account)
    try:
        keyring.set_password(service, account, value)
    except Exception as exc:  # noqa: BLE001
        if _is_no_backend(exc):
            raise _keychain_error(service, account, exc) from None
        raise AppError(
            "keychain_write_failed",
            "Unable to write keychain secret.",
            {
                "service": service,
                "account": account,
                "error": f"{type(exc).__name__}: {exc}",
            },
        ) from None


def keyring_delete(service: str, account: str) -> None:
    if _backend_unusable():
        raise _keychain_error(service, account)
    try:
        keyring.delete_password(service, account)
    except Exception as exc:  # noqa: BLE001
        if _is_no_backend(exc):
            raise _keychain_error(service, account, exc) from None
        raise AppError(
            "keychain_delete_failed",
            "Unable to delete keychain secret.",
            {
                "service": service,
                "account": account,
                "error": f"{type(exc).__name__}: {exc}",
            },
        ) from None


def keyring_present(service: str, account: str) -> bool:
    """Whether the keyring holds a value; never raises."""
    try:
        return bool(keyring_get(service, account))
    except AppError:
        return False


# --- credential references


def resolve_credential(ref: Mapping[str, Any], env: Mapping[str, str] | None = None) -> tuple[str, str]:
    """Resolve a CredentialRef to (value, source label): "file", "env:VAR" or "keychain:ACCOUNT"."""
    env = os.environ if env is None else env
    source = ref.get("source")
    if source == "file":
        value = ref.get("value")
        if not isinstance(value, str) or not value.strip():
            raise AppError("credential_missing", "File credential is empty.")
        return value, "file"
    if source == "env":
        var = ref.get("env") or ""
        if var:
            keyenv.check_use(str(var))
        value = env.get(var) if var else None
        if not value or not value.strip():
            raise AppError(
                "credential_missing",
                f"Missing environment credential: {var}",
                {"env": var},
            )
        return value, f"env:{var}"
    if source == "keychain":
        service = ref.get("service") or SERVICE
        account = ref.get("account") or ""
        return keyring_get(service, account), f"keychain:{account}"
    raise AppError(
        "credential_missing",
        f"Unsupported credential source: {source}",
        {"source": source},
    )


def provider_credential(
    provider_name: str,
    entry: Mapping[str, Any],
    key: str,
    env: Mapping[str, str] | None = None,
) -> tuple[str, str]:
    """Resolve the named credential of a config provider; credential_missing when it is absent."""
    creds = entry.get("credentials") or {}
    ref = creds.get(key) if isinstance(creds, dict) else None
    if not isinstance(ref, dict):
        raise AppError(
            "credential_missing",
            f"Missing credential: {key}",
            {"provider": provider_name, "credential": key},
        )
    return resolve_credential(ref, env)


def redact_credential(ref: Mapping[str, Any], env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The redacted form of a CredentialRef (§2.2); probes env and keyring, never raises."""
    env = os.environ if env is None else env
    source = ref.get("source")
    if source == "file":
        value = ref.get("value")
        return {
            "source": "file",
            "present": isinstance(value, str) and value != "",
            "value": {"_omitted": "secret"},
        }
    if source == "env":
        var = ref.get("env")
        value = env.get(var) if isinstance(var, str) and var else None
        return {"source": "env", "env": var, "present": bool(value and value.strip())}
    if source == "keychain":
        service = ref.get("service") or SERVICE
        account = ref.get("account")
        present = isinstance(account, str) and keyring_present(service, account)
        return {
            "source": "keychain",
            "service": service,
            "account": account,
            "present": present,
        }
    return {"source": source, "present": False}


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
    creds = entry.get("credentials") or {}
    ref = creds.get(name) if isinstance(creds, dict) else None
    if not isinstance(ref, dict):
        raise AppError(
            "credential_missing",
            f"Missing credential: {name}",
            {"provider": provider, "credential": name},
        )
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
