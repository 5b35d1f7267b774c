"""Credential references and the OS keyring: resolving and redacting a `CredentialRef`.

Owns the sources of §7.2 (`file`, `env`, `keychain`) and a keyring wrapper that turns every
failure into a coded error: a machine with no usable backend (typical for headless servers) gets
`keychain_error` with a message that says how to fix it, never a traceback. Secrets leave this
module only through `resolve_credential`. It reads no configuration file, so `store/config.py`
(redacted views) and `store/secrets.py` (the `secret` operations, which edit config.json) both
build on it without importing each other.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any

import keyring
import keyring.backends.fail
import keyring.errors

from gpt_image_engine.errors import AppError
from gpt_image_engine.security import keyenv

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


def _keyring_change(change: Callable[[], None], service: str, account: str, code: str, message: str) -> None:
    """Run one keyring write or delete with every failure coded (`code` for a backend error)."""
    if _backend_unusable():
        raise _keychain_error(service, account)
    try:
        change()
    except Exception as exc:  # noqa: BLE001 - backends raise many types (dbus, OSError, ...)
        if _is_no_backend(exc):
            raise _keychain_error(service, account, exc) from None
        raise AppError(
            code,
            message,
            {"service": service, "account": account, "error": f"{type(exc).__name__}: {exc}"},
        ) from None


def keyring_set(service: str, account: str, value: str) -> None:
    _keyring_change(
        lambda: keyring.set_password(service, account, value),
        service,
        account,
        "keychain_write_failed",
        "Unable to write keychain secret.",
    )
    keyenv.note_keychain_write(service, account)


def keyring_delete(service: str, account: str) -> None:
    _keyring_change(
        lambda: keyring.delete_password(service, account),
        service,
        account,
        "keychain_delete_failed",
        "Unable to delete keychain secret.",
    )


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
    return resolve_credential(credential_ref(provider_name, entry, key), env)


def credential_ref(provider_name: str, entry: Mapping[str, Any], key: str) -> dict[str, Any]:
    """The CredentialRef `key` of a config provider entry; credential_missing when it is absent."""
    creds = entry.get("credentials") or {}
    ref = creds.get(key) if isinstance(creds, dict) else None
    if not isinstance(ref, dict):
        raise AppError(
            "credential_missing",
            f"Missing credential: {key}",
            {"provider": provider_name, "credential": key},
        )
    return ref


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
