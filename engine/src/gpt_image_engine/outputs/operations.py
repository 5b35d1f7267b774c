"""The operations clients call on these settings: save, add, remove, test (one per RPC).

Every save validates first (nothing is written on a bad input), keeps secrets the client did
not resend, writes config.json atomically and answers the redacted config. Tests run the real
thing: a 1x1 PNG uploaded to a storage target; a sample job notification sent per channel.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from gpt_image_engine.call import Call
from gpt_image_engine.errors import AppError
from gpt_image_engine.outputs import notify, settings
from gpt_image_engine.outputs.pinning import private_targets_allowed
from gpt_image_engine.outputs.storage import StorageRunner
from gpt_image_engine.store.config import load_config, redact_config, save_config, validate_provider_name
from gpt_image_engine.store.history import HistoryStore, now_ts
from gpt_image_engine.store.paths import EnginePaths


def _answer(config_file: Any, cfg: Mapping[str, Any], env: Mapping[str, str], **extra: Any) -> dict[str, Any]:
    return {"config_file": str(config_file), **extra, "config": redact_config(cfg, env)}


def _storage_of(cfg: Mapping[str, Any]) -> dict[str, Any]:
    raw = cfg.get("storage")
    return copy.deepcopy(raw) if isinstance(raw, dict) else {"targets": {}}


def _notifications_of(cfg: Mapping[str, Any]) -> dict[str, Any]:
    raw = cfg.get("notifications")
    return copy.deepcopy(raw) if isinstance(raw, dict) else settings.default_notifications()


def show(paths: EnginePaths, call: Call, env: Mapping[str, str]) -> dict[str, Any]:
    config_file = paths.config_for(call.config_file)
    cfg = load_config(config_file)
    redacted = redact_config(cfg, env)
    storage = _storage_of(cfg)
    return {
        "config_file": str(config_file),
        "storage": redacted.get("storage") or {"targets": {}},
        "pipeline": settings.effective_pipeline(storage),
        "notifications": redacted.get("notifications") or settings.default_notifications(),
        "proxy": redacted.get("proxy") or {"mode": "system", "no_proxy": []},
        "private_targets_allowed": private_targets_allowed(env),
    }


# --- storage


def put_storage(paths: EnginePaths, call: Call, storage: Any, env: Mapping[str, str]) -> dict[str, Any]:
    """Replace the storage section (the upstream's PUT /api/storage); the managed policy stays the server's."""
    config_file = paths.config_for(call.config_file)
    cfg = load_config(config_file)
    old = _storage_of(cfg)
    if not isinstance(storage, dict):
        raise AppError("storage_config_invalid", "storage must be an object.")
    incoming = copy.deepcopy(storage)
    if "policy" in old:
        incoming["policy"] = old["policy"]
    clean = settings.validate_storage(settings.merge_storage_secrets(incoming, old))
    cfg["storage"] = clean
    save_config(config_file, cfg)
    return _answer(config_file, cfg, env)


def add_target(
    paths: EnginePaths, call: Call, name: str, target: Any, env: Mapping[str, str], archive: bool = False
) -> dict[str, Any]:
    config_file = paths.config_for(call.config_file)
    storage = _storage_of(load_config(config_file))
    storage.setdefault("targets", {})[name] = target
    if archive:
        pipeline = settings.effective_pipeline(storage)
        mode = pipeline["mode"] if pipeline["mode"] != "local_only" else "mirror"
        storage["pipeline"] = {
            "mode": mode,
            **({"origin": pipeline["origin"]} if pipeline["origin"] else {}),
            "archives": list(dict.fromkeys([*pipeline["archives"], name])),
        }
    return {"target": name, **put_storage(paths, call, storage, env)}


def remove_target(paths: EnginePaths, call: Call, name: str, env: Mapping[str, str]) -> dict[str, Any]:
    """Remove a target and every mention of it; a pipeline left with no archive becomes local_only."""
    config_file = paths.config_for(call.config_file)
    cfg = load_config(config_file)
    storage = _storage_of(cfg)
    removed = storage.get("targets", {}).pop(name, None) is not None
    for field in ("default_targets", "fallback_targets"):
        storage[field] = [t for t in storage.get(field) or [] if t != name]
    pipeline = storage.get("pipeline")
    if isinstance(pipeline, dict):
        pipeline["archives"] = [t for t in pipeline.get("archives") or [] if t != name]
        if pipeline.get("origin") == name:
            pipeline.pop("origin")
            pipeline["mode"] = "mirror" if pipeline["archives"] else "local_only"
        if pipeline.get("mode") in ("mirror", "cloud_archive_only") and not pipeline["archives"]:
            pipeline["mode"] = "local_only"
    answer = put_storage(paths, call, storage, env)
    return {"target": name, "removed": removed, **answer}


def set_pipeline(
    paths: EnginePaths, call: Call, mode: str, origin: str | None, archives: list[str], env: Mapping[str, str]
) -> dict[str, Any]:
    storage = _storage_of(load_config(paths.config_for(call.config_file)))
    storage["pipeline"] = {"mode": mode, "archives": archives, **({"origin": origin} if origin else {})}
    return put_storage(paths, call, storage, env)


def test_target(
    paths: EnginePaths, call: Call, name: str, target: Any, env: Mapping[str, str], history: HistoryStore
) -> dict[str, Any]:
    config_file = paths.config_for(call.config_file)
    runner = StorageRunner(history, lambda: config_file, env)
    if target is not None and not isinstance(target, dict):
        raise AppError("storage_config_invalid", "target must be an object.")
    return runner.test(name, target, paths.jobs_dir / ".storage-test")


# --- notifications


def put_notifications(paths: EnginePaths, call: Call, notifications: Any, env: Mapping[str, str]) -> dict[str, Any]:
    config_file = paths.config_for(call.config_file)
    cfg = load_config(config_file)
    if not isinstance(notifications, dict):
        raise AppError("notification_config_invalid", "notifications must be an object.")
    merged = settings.merge_notification_secrets(copy.deepcopy(notifications), cfg.get("notifications"))
    cfg["notifications"] = settings.validate_notifications(merged)
    save_config(config_file, cfg)
    return _answer(config_file, cfg, env)


def add_webhook(paths: EnginePaths, call: Call, hook: Any, env: Mapping[str, str]) -> dict[str, Any]:
    cfg = load_config(paths.config_for(call.config_file))
    current = _notifications_of(cfg)
    hook = settings.validate_webhook(hook)
    current["webhooks"] = [h for h in current.get("webhooks") or [] if h.get("id") != hook["id"]] + [hook]
    return {"webhook": hook["id"], **put_notifications(paths, call, current, env)}


def remove_webhook(paths: EnginePaths, call: Call, hook_id: str, env: Mapping[str, str]) -> dict[str, Any]:
    cfg = load_config(paths.config_for(call.config_file))
    current = _notifications_of(cfg)
    before = len(current.get("webhooks") or [])
    current["webhooks"] = [h for h in current.get("webhooks") or [] if h.get("id") != hook_id]
    removed = len(current["webhooks"]) != before
    return {"webhook": hook_id, "removed": removed, **put_notifications(paths, call, current, env)}


def set_email(paths: EnginePaths, call: Call, email: Any, env: Mapping[str, str]) -> dict[str, Any]:
    cfg = load_config(paths.config_for(call.config_file))
    current = _notifications_of(cfg)
    current["email"] = email
    return put_notifications(paths, call, current, env)


def sample_job(status: str) -> dict[str, Any]:
    return {
        "id": "notification-test",
        "command": "images generate",
        "provider": "test",
        "status": status,
        "created_at": now_ts(),
        "updated_at": now_ts(),
        "output_path": None,
        "outputs": [{"index": 0, "bytes": 0, "uploads": []}],
        "metadata": {"prompt": "Notification test", "size": "1024x1024", "n": 1},
        "error": {"message": "Job failed."} if status == "failed" else None,
    }


def test_notifications(
    paths: EnginePaths, call: Call, status: str, channel: str | None, env: Mapping[str, str]
) -> dict[str, Any]:
    """The upstream's POST /notifications/test: `{ok, reason, deliveries}`; `channel` narrows it
    to "email" or "webhook:<id>" (which then runs even when that channel is disabled)."""
    status = status or "completed"
    if status not in ("completed", "partial_failed", "failed", "cancelled"):
        raise AppError("notification_config_invalid", "Test status is completed, partial_failed, failed or cancelled.")
    notifications = _notifications_of(load_config(paths.config_for(call.config_file)))
    if channel is not None:
        known = ["email"] + [f"webhook:{h.get('id')}" for h in notifications.get("webhooks") or []]
        if channel not in known:
            raise AppError("notification_config_invalid", f"No notification channel {channel!r}.", {"channels": known})
        if channel == "email":
            settings.validate_email(notifications.get("email") or {}, strict=True)
    deliveries = notify.deliver(
        notifications, sample_job(status), env, private_targets_allowed(env), force=True, channel=channel
    )
    reason = None
    if not deliveries:
        local = (notifications.get("toast") or {}).get("enabled") or (notifications.get("system") or {}).get("enabled")
        reason = "local_only" if local else "no_eligible_channel"
    return {"ok": bool(deliveries) and all(d["ok"] for d in deliveries), "reason": reason, "deliveries": deliveries}


def capabilities() -> dict[str, Any]:
    return {"system": {"tauri_native": False, "browser": True}, "server": {"email": True, "webhook": True}}


# --- proxy


def put_proxy(
    paths: EnginePaths, call: Call, proxy: Any, env: Mapping[str, str], provider: str | None = None
) -> dict[str, Any]:
    """Set the global proxy, or one provider's (`provider`)."""
    config_file = paths.config_for(call.config_file)
    cfg = load_config(config_file)
    if provider:
        validate_provider_name(provider)
        entry = cfg["providers"].get(provider)
        if entry is None:
            raise AppError("provider_unknown", f"Unknown provider: {provider}", {"provider": provider})
        clean = settings.restore_proxy_credentials(settings.validate_proxy(proxy), entry.get("proxy"))
        entry["proxy"] = clean
    else:
        cfg["proxy"] = settings.restore_proxy_credentials(settings.validate_proxy(proxy), cfg.get("proxy"))
    save_config(config_file, cfg)
    return _answer(config_file, cfg, env, **({"provider": provider} if provider else {}))
