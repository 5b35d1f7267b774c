"""Payload builders for `doctor`, `auth inspect` and `config test-provider` (§2.2).

Each reads config and credentials through selection and the store, probes endpoints through
`probe`, and returns the upstream payload without `command`. `doctor` and `test_provider`
report failure inside the payload (`ok` = the selected endpoint is reachable); `auth_inspect`
raises when an explicitly requested built-in provider is not ready.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gpt_image_engine import __version__
from gpt_image_engine.call import Call
from gpt_image_engine.errors import AppError
from gpt_image_engine.providers.base import DEFAULT_CODEX_MODEL, DEFAULT_OPENAI_MODEL, ResolvedProvider, RetryPolicy
from gpt_image_engine.providers.selection import (
    OPENAI_API_KEY_ENV,
    codex_auth_file,
    codex_endpoint,
    codex_inspect,
    codex_not_ready,
    entry_url,
    openai_api_base,
    openai_inspect,
    resolve_config_entry,
    select_provider,
)
from gpt_image_engine.security.redaction import redact
from gpt_image_engine.store import config as config_store
from gpt_image_engine.store.paths import EnginePaths
from gpt_image_engine.system.probe import probe_many


def _selected_endpoint(resolved: ResolvedProvider) -> str:
    return resolved.url


def _selection_error(requested: str, exc: AppError) -> dict[str, Any]:
    return {
        "requested": requested,
        "resolved": None,
        "reason": None,
        "error": {"code": exc.code, "message": exc.message, "detail": redact(exc.detail)},
    }


def _retry_policy() -> dict[str, Any]:
    policy = RetryPolicy()
    return {"max_retries": policy.max_retries, "base_delay_seconds": int(policy.base_delay_seconds)}


def _proxy_plan(global_proxy: Any, entry: Any) -> dict[str, Any]:
    """The proxy probes use: the provider's own, else the global one; a broken setting probes as `system`
    (the error shows when a job runs)."""
    from gpt_image_engine.outputs.proxy import effective_proxy

    try:
        return effective_proxy(global_proxy, entry.get("proxy") if isinstance(entry, dict) else None)
    except AppError:
        return {"mode": "system"}


def doctor(paths: EnginePaths, call: Call, env: Mapping[str, str]) -> dict[str, Any]:
    """`doctor`: selection, per-provider auth and reachability, defaults, retry policy."""
    config_file = paths.config_for(call.config_file)
    try:
        cfg = config_store.load_config(config_file)
        configured: Any = config_store.redact_providers(cfg, env)
    except AppError:
        cfg, configured = config_store.default_config(), {}
    selected: str | None = None
    try:
        resolved = select_provider(call, paths, env)
        selection: dict[str, Any] = {**resolved.selection_payload(), "error": None}
        selected = _selected_endpoint(resolved)
    except AppError as exc:
        selection = _selection_error(call.requested_provider, exc)
    api_base = openai_api_base(call, env)
    endpoint = codex_endpoint(call)
    proxy_plan = _proxy_plan(cfg.get("proxy"), resolved.config_entry if selected else None)
    probes = probe_many([api_base, endpoint] + ([selected] if selected else []), env=env, proxy=proxy_plan)
    return {
        "ok": bool(selected and probes[selected].get("reachable")),
        "version": __version__,
        "provider_selection": selection,
        "providers": {
            "openai": {"auth": openai_inspect(call, env), "endpoint": probes[api_base]},
            "codex": {"auth": codex_inspect(call, env), "endpoint": probes[endpoint]},
            "configured": configured,
        },
        "defaults": {
            "provider": "auto",
            "config_file": str(config_file),
            "default_provider": cfg.get("default_provider"),
            "openai_model": DEFAULT_OPENAI_MODEL,
            "codex_model": DEFAULT_CODEX_MODEL,
            "codex_endpoint": endpoint,
            "openai_api_base": api_base,
        },
        "retry_policy": _retry_policy(),
    }


def auth_inspect(paths: EnginePaths, call: Call, env: Mapping[str, str]) -> dict[str, Any]:
    """`auth inspect`: both built-in inspects plus redacted configured providers."""
    requested = call.requested_provider
    openai = openai_inspect(call, env)
    codex = codex_inspect(call, env)
    if requested == "openai" and not openai["ready"]:
        raise AppError(
            "api_key_missing",
            f"Missing {OPENAI_API_KEY_ENV}.",
            {"provider": "openai", "env_var": OPENAI_API_KEY_ENV},
        )
    if requested == "codex" and not codex["ready"]:
        raise codex_not_ready(codex_auth_file(call, env), codex)
    cfg = config_store.load_config(paths.config_for(call.config_file))
    return {
        "requested_provider": requested,
        "providers": {"openai": openai, "codex": codex, "configured": config_store.redact_providers(cfg, env)},
    }


def test_provider(paths: EnginePaths, call: Call, name: str, env: Mapping[str, str]) -> dict[str, Any]:
    """`config test-provider NAME`: resolve the configured entry and probe its endpoint."""
    config_file = paths.config_for(call.config_file)
    cfg = config_store.load_config(config_file)
    entry = cfg["providers"].get(name)
    if not isinstance(entry, dict):
        raise AppError(
            "provider_unknown",
            f"Unknown provider: {name}",
            {"provider": name, "config_file": str(config_file)},
        )
    try:
        resolved = resolve_config_entry(name, entry, "explicit_config_provider", call, env, config_file)
        selection: dict[str, Any] = {**resolved.selection_payload(), "error": None}
        target = _selected_endpoint(resolved)
    except AppError as exc:
        selection = _selection_error(name, exc)
        target = entry_url(call, entry)
    probe = probe_many([target], env=env, proxy=_proxy_plan(cfg.get("proxy"), entry))[target]
    return {"ok": bool(probe.get("reachable")), "provider_selection": selection, "endpoint": probe}


test_provider.__test__ = False  # type: ignore[attr-defined]  # not a pytest test despite the name
