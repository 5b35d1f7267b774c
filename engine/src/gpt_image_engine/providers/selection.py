"""Provider selection (§4.4): from `--provider`, config.json and available credentials to a ResolvedProvider.

Owns the upstream algorithm and its reasons (`explicit`, `explicit_config_provider`,
`config_default_provider`, `auto_openai_api_key`, `auto_codex_auth`, and for `request create`
`auto_request_responses` / `auto_request_images`), the OpenAI key precedence (flag > config
credential > client-forwarded env > engine env), the built-in endpoints and auth-file location,
and the readiness inspections used by `auth inspect`, `doctor` and `provider_unavailable`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from gpt_image_engine.call import Call
from gpt_image_engine.errors import AppError
from gpt_image_engine.providers.base import (
    DEFAULT_CODEX_ENDPOINT,
    DEFAULT_CODEX_MODEL,
    DEFAULT_OPENAI_API_BASE,
    DEFAULT_OPENAI_MODEL,
    NATIVE_MASK,
    REFERENCE_HINT,
    CodexSettings,
    OpenAISettings,
    ResolvedProvider,
)
from gpt_image_engine.providers.codex_auth import (
    inspect_codex_auth,
    load_auth_state,
    read_auth_json,
    resolve_account_id,
    token_container,
    token_url_for,
)
from gpt_image_engine.providers.registry import capabilities_for
from gpt_image_engine.security import keyenv
from gpt_image_engine.store import config as config_store
from gpt_image_engine.store.paths import EnginePaths
from gpt_image_engine.store.secrets import provider_credential, resolve_credential
from gpt_image_protocol import paths as shared_paths

OPENAI_API_KEY_ENV = keyenv.BUILTIN_OPENAI_KEY_ENV
OPENAI_BASE_URL_ENV = "OPENAI_BASE_URL"
OPENAI_TYPES = ("openai", "openai-compatible")


# --- built-in inputs


def _nonblank(value: str | None) -> str | None:
    return value if value is not None and value.strip() else None


def openai_api_key(call: Call, env: Mapping[str, str]) -> tuple[str | None, str]:
    """The built-in OpenAI key and its source: flag > client-forwarded env > engine env."""
    if _nonblank(call.api_key):
        return call.api_key, "flag"
    if _nonblank(call.env_openai_api_key):
        return call.env_openai_api_key, "env"
    value = env.get(OPENAI_API_KEY_ENV)
    if _nonblank(value):
        return value, "env"
    return None, "missing"


def openai_api_base(call: Call, env: Mapping[str, str]) -> str:
    for value in (
        call.openai_api_base,
        call.env_openai_base_url,
        env.get(OPENAI_BASE_URL_ENV),
    ):
        if _nonblank(value):
            return value.strip()  # type: ignore[union-attr]
    return DEFAULT_OPENAI_API_BASE


def codex_auth_file(call: Call, env: Mapping[str, str]) -> Path:
    if _nonblank(call.auth_file):
        return shared_paths.expand(call.auth_file.strip())  # type: ignore[union-attr]
    return shared_paths.codex_home(dict(env)) / "auth.json"


def codex_endpoint(call: Call, entry: Mapping[str, Any] | None = None, *, provider: str = "") -> str:
    """`--endpoint`, else the entry's, else the default. With `provider` (a Codex provider, whose
    token is the engine's), a remote caller's `--endpoint` must be the configured/default one."""
    configured = (
        str(entry["endpoint"]).strip() if entry and _nonblank(entry.get("endpoint")) else DEFAULT_CODEX_ENDPOINT
    )
    if _nonblank(call.endpoint):
        if provider:
            keyenv.check_chosen_endpoint(call.endpoint, configured, provider)  # type: ignore[arg-type]
        return call.endpoint.strip()  # type: ignore[union-attr]
    return configured


def entry_url(call: Call, entry: Mapping[str, Any]) -> str:
    """Where a config entry's requests would go, even when the entry cannot resolve (`doctor`)."""
    if entry.get("type") == "codex":
        return codex_endpoint(call, entry)
    return str(entry.get("api_base") or DEFAULT_OPENAI_API_BASE)


def openai_inspect(call: Call, env: Mapping[str, str]) -> dict[str, Any]:
    """The OpenAI inspect object (§2.2); never carries the key."""
    key, source = openai_api_key(call, env)
    return {
        "provider": "openai",
        "ready": key is not None,
        "auth_source": source,
        "api_key_present": key is not None,
        "env_var": OPENAI_API_KEY_ENV,
        "default_model": DEFAULT_OPENAI_MODEL,
    }


def codex_inspect(call: Call, env: Mapping[str, str]) -> dict[str, Any]:
    return inspect_codex_auth(codex_auth_file(call, env))


def codex_not_ready(auth_file: Path, inspected: Mapping[str, Any]) -> AppError:
    """`access_token_missing` with the next step: no auth.json at all means no Codex login."""
    if not inspected.get("exists"):
        message = f"No Codex login: {auth_file} does not exist. Run `codex login` (or pass --auth-file PATH)."
    else:
        message = f"Missing access_token in {auth_file}. Run `codex login` to sign in again."
    return AppError("access_token_missing", message, {"auth_file": str(auth_file), "hint": "codex login"})


# --- resolution


def _builtin_openai(call: Call, env: Mapping[str, str], requested: str, reason: str) -> ResolvedProvider:
    key, source = openai_api_key(call, env)
    engine_key = key is not None and not _nonblank(call.api_key) and not _nonblank(call.env_openai_api_key)
    if engine_key and (_nonblank(call.openai_api_base) or _nonblank(call.env_openai_base_url)):
        keyenv.check_redirect(OPENAI_API_KEY_ENV)  # the engine's key to a base URL the caller chose
    return ResolvedProvider(
        name="openai",
        kind="openai",
        requested=requested,
        reason=reason,
        model=DEFAULT_OPENAI_MODEL,
        capabilities=capabilities_for("openai", "openai"),
        settings=OpenAISettings(api_base=openai_api_base(call, env), api_key=key),
        auth_source=source,
    )


def _builtin_codex(
    call: Call, env: Mapping[str, str], requested: str, reason: str, config_file: Path
) -> ResolvedProvider:
    auth_file = codex_auth_file(call, env)
    settings = CodexSettings(
        endpoint=codex_endpoint(call, provider="codex"), auth_file=auth_file, token_url=token_url_for(None, env)
    )
    try:
        state = load_auth_state(auth_file)
        settings.access_token = state.access_token
        settings.refresh_token = state.refresh_token
        settings.account_id = state.account_id
    except AppError:
        # Readiness only needs an access token; account-id problems surface when the request runs.
        try:
            tokens = token_container(read_auth_json(auth_file))
            settings.access_token = tokens.get("access_token") if isinstance(tokens.get("access_token"), str) else None
            rt = tokens.get("refresh_token")
            settings.refresh_token = rt if isinstance(rt, str) else None
        except AppError:
            pass
    return ResolvedProvider(
        name="codex",
        kind="codex",
        requested=requested,
        reason=reason,
        model=DEFAULT_CODEX_MODEL,
        capabilities=capabilities_for("codex", "codex"),
        settings=settings,
        auth_source="auth.json",
        config_file=config_file,
    )


def resolve_config_entry(
    name: str,
    entry: Mapping[str, Any],
    reason: str,
    call: Call,
    env: Mapping[str, str],
    config_file: Path,
) -> ResolvedProvider:
    """Resolve a named config provider; the credential it needs must resolve (§4.4)."""
    raw_mode = entry.get("edit_region_mode")
    mode = config_store.normalize_edit_region_mode(raw_mode) if raw_mode is not None else None
    provider_type = entry.get("type") or config_store.DEFAULT_PROVIDER_TYPE
    common: dict[str, Any] = {
        "name": name,
        "requested": name,
        "reason": reason,
        "config_file": config_file,
        "config_entry": dict(entry),
    }
    if provider_type in OPENAI_TYPES:
        if _nonblank(call.api_key):
            key, source = call.api_key, "flag"
        else:
            key, source = provider_credential(name, entry, "api_key", env)
        supports_n = entry.get("supports_n")
        return ResolvedProvider(
            kind="openai",
            model=entry.get("model") or DEFAULT_OPENAI_MODEL,
            # Only the OpenAI API itself is assumed to take `n` and masks; a compatible base says so.
            capabilities=capabilities_for(
                "openai",
                name,
                native_n=bool(supports_n) if supports_n is not None else provider_type == "openai",
                edit_region_mode=mode or (NATIVE_MASK if provider_type == "openai" else REFERENCE_HINT),
            ),
            settings=OpenAISettings(api_base=entry.get("api_base") or DEFAULT_OPENAI_API_BASE, api_key=key),
            auth_source=source,
            **common,
        )
    if provider_type == "codex":
        access, _ = provider_credential(name, entry, "access_token", env)
        creds = entry.get("credentials") or {}

        def optional(key: str) -> str | None:
            ref = creds.get(key)
            if not isinstance(ref, dict):
                return None
            try:
                return resolve_credential(ref, env)[0]
            except AppError:
                return None

        account = optional("account_id")
        # An unresolvable account id surfaces when the Codex provider builds its auth state.
        with contextlib.suppress(AppError):
            account = resolve_account_id(access, account)
        return ResolvedProvider(
            kind="codex",
            model=entry.get("model") or DEFAULT_CODEX_MODEL,
            capabilities=capabilities_for("codex", name, edit_region_mode=mode),
            settings=CodexSettings(
                endpoint=codex_endpoint(call, entry, provider=name),
                access_token=access,
                refresh_token=optional("refresh_token"),
                account_id=account,
                token_url=token_url_for(dict(entry), env),
            ),
            auth_source="config",
            **common,
        )
    raise AppError(
        "provider_kind_unsupported",
        f"Unsupported provider type: {provider_type}",
        {"provider": name, "type": provider_type},
    )


def _unavailable(call: Call, env: Mapping[str, str], config_file: Path, cfg: Mapping[str, Any]) -> AppError:
    return AppError(
        "provider_unavailable",
        "No usable provider auth was found.",
        {
            "openai": openai_inspect(call, env),
            "codex": codex_inspect(call, env),
            "config_file": str(config_file),
            "configured_providers": list(cfg.get("providers") or {}),
        },
    )


def select_provider(call: Call, paths: EnginePaths, env: Mapping[str, str]) -> ResolvedProvider:
    """`_select` (the upstream's algorithm, §4.4); the result always names the config.json the call
    used, so a job's proxy, uploads and notifications come from the same file."""
    resolved = _select(call, paths, env)
    if resolved.config_file is None:
        resolved.config_file = paths.config_for(call.config_file)
    return resolved


def _select(call: Call, paths: EnginePaths, env: Mapping[str, str]) -> ResolvedProvider:
    """The image-command selection algorithm of §4.4."""
    requested = call.requested_provider
    config_file = paths.config_for(call.config_file)
    cfg = config_store.load_config(config_file)
    providers: dict[str, Any] = cfg.get("providers") or {}

    if requested in ("openai", "codex") and requested in providers:
        return resolve_config_entry(
            requested,
            providers[requested],
            "explicit_config_provider",
            call,
            env,
            config_file,
        )
    if requested == "openai":
        if openai_api_key(call, env)[0] is None:
            raise AppError(
                "api_key_missing",
                f"Missing {OPENAI_API_KEY_ENV}.",
                {"provider": "openai", "env_var": OPENAI_API_KEY_ENV},
            )
        return _builtin_openai(call, env, requested, "explicit")
    if requested == "codex":
        inspected = codex_inspect(call, env)
        if not inspected.get("ready"):
            auth_file = codex_auth_file(call, env)
            if auth_file.exists():
                read_auth_json(auth_file)  # a garbled file says so (auth_invalid_json), as the upstream does
            raise codex_not_ready(auth_file, inspected)
        return _builtin_codex(call, env, requested, "explicit", config_file)
    if requested == "auto":
        default = cfg.get("default_provider")
        if isinstance(default, str) and default in providers:
            return resolve_config_entry(
                default,
                providers[default],
                "config_default_provider",
                call,
                env,
                config_file,
            )
        if openai_api_key(call, env)[0] is not None:
            return _builtin_openai(call, env, "auto", "auto_openai_api_key")
        if codex_inspect(call, env).get("ready"):
            return _builtin_codex(call, env, "auto", "auto_codex_auth", config_file)
        raise _unavailable(call, env, config_file, cfg)
    if requested in providers:
        return resolve_config_entry(
            requested,
            providers[requested],
            "explicit_config_provider",
            call,
            env,
            config_file,
        )
    valid = [*config_store.BUILTIN_PROVIDERS, *sorted(providers)]
    raise AppError(
        "provider_unknown",
        f"Unknown provider: {requested}. Valid names: {', '.join(valid)}.",
        {"config_file": str(config_file), "valid": valid},
    )


def select_for_request(call: Call, operation: str, paths: EnginePaths, env: Mapping[str, str]) -> ResolvedProvider:
    """`request create` selection: explicit as images; auto prefers the config default, then Codex for
    `responses` and OpenAI for `generate`/`edit`, then the image algorithm."""
    if call.requested_provider != "auto":
        return select_provider(call, paths, env)
    config_file = paths.config_for(call.config_file)
    cfg = config_store.load_config(config_file)
    providers: dict[str, Any] = cfg.get("providers") or {}
    default = cfg.get("default_provider")
    if isinstance(default, str) and default in providers:
        return resolve_config_entry(
            default,
            providers[default],
            "config_default_provider",
            call,
            env,
            config_file,
        )
    if operation == "responses" and codex_inspect(call, env).get("ready"):
        return _builtin_codex(call, env, "auto", "auto_request_responses", config_file)
    if operation in ("generate", "edit") and openai_api_key(call, env)[0] is not None:
        return _builtin_openai(call, env, "auto", "auto_request_images")
    return select_provider(call, paths, env)
