"""Codex (ChatGPT) auth state: reading auth.json, JWT claims, inspection, persistence and refresh.

Owns everything the upstream does with `$CODEX_HOME/auth.json` (§4.3): tokens live under
`tokens` or at the root; the account id comes from `tokens.account_id` or the access
token's `https://api.openai.com/auth.chatgpt_account_id` claim (no signature check).
Rewrites are atomic and private and keep every unknown field. A refresh runs under a
process-wide lock and first re-reads the persisted tokens, so concurrent jobs (or the
Codex CLI) that already rotated the single-use refresh token are adopted, not stampeded.
A config-defined codex provider persists refreshed tokens back into its credentials.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from gpt_image_engine.errors import AppError
from gpt_image_engine.providers.base import (
    CODEX_CLIENT_ID,
    DEFAULT_TOKEN_URL,
    ResolvedProvider,
)
from gpt_image_engine.security import urlguard
from gpt_image_engine.store.atomic import atomic_write_json

TOKEN_URL_ENV = "GPT_IMAGE_2_CODEX_TOKEN_URL"
REFRESH_TIMEOUT_SECONDS = 60.0
AUTH_CLAIM = "https://api.openai.com/auth"
PROFILE_CLAIM = "https://api.openai.com/profile"

# auth_file: tokens live in auth.json; config_provider: in a config entry's credentials;
# session: only in memory (nothing to re-read or persist).
PERSIST_AUTH_FILE = "auth_file"
PERSIST_CONFIG = "config_provider"
PERSIST_SESSION = "session"

_REFRESH_LOCK = threading.Lock()


@dataclass
class AuthState:
    """Codex credentials for one command, plus where they came from and go back to."""

    auth_path: Path
    auth_json: dict[str, Any]
    access_token: str
    refresh_token: str | None
    account_id: str
    persistence: str = PERSIST_AUTH_FILE
    provider_name: str | None = None
    credential_sources: dict[str, Any] = field(default_factory=dict)
    env: Mapping[str, str] | None = None
    refreshed: bool = False
    # The token endpoint's JSON reply (or a reuse marker) from the last refresh; secrets inside.
    last_refresh_payload: dict[str, Any] | None = None

    @property
    def id_token(self) -> str | None:
        value = token_container(self.auth_json).get("id_token")
        return value if isinstance(value, str) else None


# --- auth.json reading and JWT claims


def read_auth_json(path: Path) -> dict[str, Any]:
    """Read and parse auth.json; coded errors for missing, unreadable, non-JSON or non-object."""
    path = Path(path)
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise AppError("auth_missing", f"Auth file not found: {path}", {"auth_file": str(path)}) from None
    except (OSError, ValueError) as exc:  # ValueError: undecodable text or a NUL in the path
        raise AppError(
            "auth_read_failed",
            f"Unable to read auth file: {path}",
            {"auth_file": str(path), "error": str(exc)},
        ) from None
    try:
        parsed = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise AppError(
            "auth_invalid_json",
            f"Invalid JSON in auth file: {path}",
            {"auth_file": str(path), "error": str(exc)},
        ) from None
    if not isinstance(parsed, dict):
        raise AppError(
            "auth_invalid_shape",
            "auth.json must contain a JSON object.",
            {"auth_file": str(path)},
        )
    return parsed


def token_container(auth_json: dict[str, Any]) -> dict[str, Any]:
    """The object holding the tokens: `tokens` when it is an object, else the root (same reference)."""
    tokens = auth_json.get("tokens")
    return tokens if isinstance(tokens, dict) else auth_json


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def jwt_claims(token: str) -> dict[str, Any]:
    """Decode a JWT's payload (base64url, falling back to standard base64) without verifying it."""
    parts = token.split(".")
    if len(parts) < 2:
        raise AppError("invalid_jwt", "Invalid JWT format.")
    segment = parts[1]
    padded = segment + "=" * (-len(segment) % 4)
    decoded: bytes | None = None
    for decoder in (base64.urlsafe_b64decode, base64.b64decode):
        try:
            decoded = decoder(padded)
            break
        except (binascii.Error, ValueError):
            continue
    if decoded is None:
        raise AppError("invalid_jwt", "Unable to decode JWT payload.")
    try:
        claims = json.loads(decoded)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise AppError("invalid_jwt", "Unable to decode JWT payload.") from None
    if not isinstance(claims, dict):
        raise AppError("invalid_jwt", "Decoded JWT payload is not a JSON object.")
    return claims


def _try_claims(token: str | None) -> dict[str, Any] | None:
    if not token:
        return None
    try:
        return jwt_claims(token)
    except AppError:
        return None


def resolve_account_id(access_token: str, account_id: str | None) -> str:
    """Non-empty explicit account id, else the ChatGPT account claim of the access token."""
    if account_id:
        return account_id
    claims = jwt_claims(access_token)
    auth_claim = claims.get(AUTH_CLAIM)
    if not isinstance(auth_claim, dict):
        raise AppError("account_id_missing", "Missing auth claims in access token.")
    claim_id = auth_claim.get("chatgpt_account_id")
    if not isinstance(claim_id, str):
        raise AppError("account_id_missing", "Missing chatgpt_account_id in token claims.")
    return claim_id


# --- loading state


def load_auth_state(path: Path) -> AuthState:
    """Load Codex auth from an auth.json file (persistence `auth_file`)."""
    path = Path(path)
    auth_json = read_auth_json(path)
    tokens = token_container(auth_json)
    access_token = _str_or_none(tokens.get("access_token"))
    if access_token is None:
        raise AppError(
            "access_token_missing",
            f"Missing access_token in {path}",
            {"auth_file": str(path)},
        )
    account_id = resolve_account_id(access_token, _str_or_none(tokens.get("account_id")))
    return AuthState(
        auth_path=path,
        auth_json=auth_json,
        access_token=access_token,
        refresh_token=_str_or_none(tokens.get("refresh_token")),
        account_id=account_id,
    )


def config_auth_state(
    config_path: Path,
    provider_name: str,
    entry: dict[str, Any],
    env: Mapping[str, str] | None = None,
) -> AuthState:
    """Load Codex auth from a config provider's credentials (access_token required)."""
    from gpt_image_engine.store.secrets import resolve_credential

    env = os.environ if env is None else env
    raw_creds = entry.get("credentials")
    creds: dict[str, Any] = raw_creds if isinstance(raw_creds, dict) else {}
    ref = creds.get("access_token")
    if not isinstance(ref, dict):
        raise AppError(
            "credential_missing",
            f"Provider {provider_name} is missing credential access_token.",
            {"provider": provider_name, "credential": "access_token"},
        )
    access_token, _ = resolve_credential(ref, env)

    def optional(name: str) -> str | None:
        item = creds.get(name)
        if not isinstance(item, dict):
            return None
        try:
            return resolve_credential(item, env)[0]
        except AppError:
            return None

    refresh_token = optional("refresh_token")
    account_id = resolve_account_id(access_token, optional("account_id"))
    return AuthState(
        auth_path=Path(config_path),
        auth_json={
            "tokens": {
                "access_token": access_token,
                "refresh_token": refresh_token,
                "account_id": account_id,
            }
        },
        access_token=access_token,
        refresh_token=refresh_token,
        account_id=account_id,
        persistence=PERSIST_CONFIG,
        provider_name=provider_name,
        credential_sources=dict(creds),
        env=env,
    )


def auth_state_for(resolved: ResolvedProvider, env: Mapping[str, str] | None = None) -> AuthState:
    """The AuthState for a codex ResolvedProvider: its config entry's credentials or its auth file."""
    if resolved.config_entry is not None and resolved.config_file is not None:
        return config_auth_state(resolved.config_file, resolved.name, resolved.config_entry, env)
    auth_file = getattr(resolved.settings, "auth_file", None)
    if auth_file is None:
        raise AppError("auth_missing", "No Codex auth file was resolved.")
    return load_auth_state(auth_file)


def token_url_for(config_entry: dict[str, Any] | None, env: Mapping[str, str] | None = None) -> str:
    """Token endpoint: config entry `token_url` > env GPT_IMAGE_2_CODEX_TOKEN_URL > the OpenAI default."""
    env = os.environ if env is None else env
    if config_entry:
        value = config_entry.get("token_url")
        if isinstance(value, str) and value.strip():
            return value.strip()
    value = (env.get(TOKEN_URL_ENV) or "").strip()
    return value or DEFAULT_TOKEN_URL


# --- inspection


def _expiry_details(exp: Any) -> dict[str, Any]:
    if isinstance(exp, (int, float)) and not isinstance(exp, bool):
        exp_i = int(exp)
        now = int(time.time())
        return {
            "expires_at": exp_i,
            "expired": exp_i <= now,
            "seconds_until_expiry": exp_i - now,
        }
    return {"expires_at": None, "expired": None, "seconds_until_expiry": None}


def _identity(claims: dict[str, Any] | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if not claims:
        return out
    profile = claims.get(PROFILE_CLAIM)
    if isinstance(profile, dict) and isinstance(profile.get("email"), str):
        out["email"] = profile["email"]
    auth_claim = claims.get(AUTH_CLAIM)
    if isinstance(auth_claim, dict):
        if isinstance(auth_claim.get("chatgpt_plan_type"), str):
            out["plan_type"] = auth_claim["chatgpt_plan_type"]
        if isinstance(auth_claim.get("chatgpt_user_id"), str):
            out["chatgpt_user_id"] = auth_claim["chatgpt_user_id"]
    return out


def inspect_codex_auth(path: Path) -> dict[str, Any]:
    """The Codex inspect object (§2.2) for an auth file. Never raises; never includes tokens."""
    path = Path(path)
    result: dict[str, Any] = {
        "auth_file": str(path),
        "auth_source": "config",
        "exists": path.is_file(),
        "provider": "codex",
    }
    if not result["exists"]:
        result.update(
            ready=False,
            parse_ok=False,
            auth_source="missing",
            message="auth.json was not found.",
        )
        return result
    try:
        auth_json = read_auth_json(path)
    except AppError as exc:
        result.update(
            ready=False,
            parse_ok=False,
            message=exc.message,
            error={"code": exc.code, "detail": exc.detail},
        )
        return result
    tokens = token_container(auth_json)
    access_token = _str_or_none(tokens.get("access_token"))
    claims = _try_claims(access_token)
    auth_mode = _str_or_none(auth_json.get("auth_mode")) or _str_or_none(auth_json.get("type"))
    account_id: str | None = None
    if access_token is not None:
        try:
            account_id = resolve_account_id(access_token, _str_or_none(tokens.get("account_id")))
        except AppError:
            account_id = None
    result.update(
        ready=access_token is not None,
        parse_ok=True,
        auth_mode=auth_mode,
        access_token_present=access_token is not None,
        refresh_token_present=isinstance(tokens.get("refresh_token"), str),
        id_token_present=isinstance(tokens.get("id_token"), str),
        account_id=account_id,
        last_refresh=auth_json.get("last_refresh"),
    )
    result.update(_expiry_details(claims.get("exp") if claims else None))
    result.update(_identity(claims))
    return result


# --- persistence


def persist_auth_state(state: AuthState) -> None:
    """Write the state back where it came from (auth.json atomically 0600, or config credentials)."""
    if state.persistence == PERSIST_SESSION:
        return
    if state.persistence == PERSIST_CONFIG:
        _persist_config_credentials(state)
        return
    try:
        atomic_write_json(state.auth_path, state.auth_json)
    except (OSError, TypeError, ValueError) as exc:
        raise AppError(
            "auth_write_failed",
            "Unable to save auth.json.",
            {"auth_file": str(state.auth_path), "error": str(exc)},
        ) from None


def _persist_config_credentials(state: AuthState) -> None:
    """Write refreshed tokens into the provider's credentials, each respecting its source:
    file or absent -> file value in config; keychain -> keyring; env -> left alone."""
    from gpt_image_engine.store import config as config_store
    from gpt_image_engine.store import secrets as secret_store

    cfg = config_store.load_config(state.auth_path)
    providers = cfg.get("providers") or {}
    entry = providers.get(state.provider_name or "")
    if not isinstance(entry, dict):
        raise AppError("provider_unknown", f"Unknown provider: {state.provider_name}")
    creds = entry.setdefault("credentials", {})
    values = {"access_token": state.access_token, "account_id": state.account_id}
    if state.refresh_token is not None:
        values["refresh_token"] = state.refresh_token
    for name, value in values.items():
        ref = state.credential_sources.get(name) or creds.get(name)
        source = ref.get("source") if isinstance(ref, dict) else None
        if source == "env":
            continue
        if source == "keychain" and isinstance(ref, dict):
            account = ref.get("account") or secret_store.default_account(state.provider_name or "", name)
            secret_store.keyring_set(ref.get("service") or secret_store.SERVICE, account, value)
            continue
        creds[name] = {"source": "file", "value": value}
    config_store.save_config(state.auth_path, cfg)


def reload_persisted_tokens(
    state: AuthState,
) -> tuple[str, str | None, str | None] | None:
    """Re-read (access, refresh, account_id) from where the state persists; None for session-only
    state or when the persisted copy cannot be read."""
    if state.persistence == PERSIST_SESSION:
        return None
    if state.persistence == PERSIST_CONFIG:
        try:
            from gpt_image_engine.store import config as config_store

            cfg = config_store.load_config(state.auth_path)
            entry = (cfg.get("providers") or {}).get(state.provider_name or "")
            if not isinstance(entry, dict):
                return None
            fresh = config_auth_state(state.auth_path, state.provider_name or "", entry, state.env)
        except AppError:
            return None
        return fresh.access_token, fresh.refresh_token, fresh.account_id
    try:
        auth_json = read_auth_json(state.auth_path)
    except AppError:
        return None
    tokens = token_container(auth_json)
    access = _str_or_none(tokens.get("access_token"))
    if access is None:
        return None
    return (
        access,
        _str_or_none(tokens.get("refresh_token")),
        _str_or_none(tokens.get("account_id")),
    )


# --- refresh


def refresh_access_token(
    state: AuthState,
    token_url: str = DEFAULT_TOKEN_URL,
    timeout: float = REFRESH_TIMEOUT_SECONDS,
    http_client: httpx.Client | None = None,
) -> AuthState:
    """Refresh the access token (after a 401), persist it, and return the updated state.

    Under the process-wide lock the persisted tokens are re-read first; if the access token on
    disk differs from ours someone already refreshed, so theirs are adopted without a request.
    """
    with _REFRESH_LOCK:
        persisted = reload_persisted_tokens(state)
        if persisted is not None and persisted[0] != state.access_token:
            access, refresh, account = persisted
            tokens = token_container(state.auth_json)
            tokens["access_token"] = access
            if refresh is not None:
                tokens["refresh_token"] = refresh
            if account is not None:
                tokens["account_id"] = account
            state.access_token = access
            state.refresh_token = refresh
            if account:
                state.account_id = account
            else:
                state.account_id = resolve_account_id(access, None)
            state.refreshed = True
            state.last_refresh_payload = {
                "access_token": access,
                "reused_persisted_refresh": True,
            }
            return state
        if persisted is not None and persisted[1] and persisted[1] != state.refresh_token:
            # Same access token but a rotated refresh token on disk: spend the newer one.
            state.refresh_token = persisted[1]
        if not state.refresh_token:
            raise AppError("refresh_token_missing", "Missing refresh_token in auth.json")
        payload = _post_refresh(state.refresh_token, token_url, timeout, http_client)
        _apply_refresh(state, payload)
        persist_auth_state(state)
        return state


def _post_refresh(
    refresh_token: str, token_url: str, timeout: float, http_client: httpx.Client | None
) -> dict[str, Any]:
    body = {
        "client_id": CODEX_CLIENT_ID,
        "grant_type": "refresh_token",
        "refresh_token": refresh_token,
    }
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    owned = http_client is None
    client = http_client or urlguard.pinned_client(timeout=timeout)
    try:
        try:
            response = client.post(token_url, json=body, headers=headers, timeout=timeout)
        except httpx.HTTPError as exc:
            raise AppError("refresh_failed", "Refresh request failed.", {"error": str(exc)}) from None
        if not 200 <= response.status_code < 300:
            text = response.text
            raise AppError(
                "http_error",
                f"HTTP {response.status_code}",
                {"message": "Refresh request failed.", "detail": text},
                status_code=response.status_code,
            )
        try:
            payload = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError, ValueError) as exc:
            raise AppError(
                "refresh_failed",
                "Refresh response was not valid JSON.",
                {"error": str(exc)},
            ) from None
    finally:
        if owned:
            client.close()
    if not isinstance(payload, dict) or not isinstance(payload.get("access_token"), str):
        raise AppError("refresh_failed", "Refresh response did not include access_token.")
    return payload


def _apply_refresh(state: AuthState, payload: dict[str, Any]) -> None:
    tokens = token_container(state.auth_json)
    access = payload["access_token"]
    tokens["access_token"] = access
    refresh = _str_or_none(payload.get("refresh_token"))
    if refresh is not None:
        tokens["refresh_token"] = refresh
        state.refresh_token = refresh
    id_token = _str_or_none(payload.get("id_token"))
    if id_token is not None:
        tokens["id_token"] = id_token
    account = resolve_account_id(access, _str_or_none(tokens.get("account_id")))
    tokens["account_id"] = account
    state.auth_json["last_refresh"] = str(int(time.time()))
    state.access_token = access
    state.account_id = account
    state.refreshed = True
    state.last_refresh_payload = payload
