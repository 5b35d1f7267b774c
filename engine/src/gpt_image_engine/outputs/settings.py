"""The `storage`, `notifications` and `proxy` sections of config.json: shape, validation, saving.

Shapes are the upstream's (§7.1, §9.3, §9.4, §9.6). Validation raises the upstream's codes
(`storage_target_*`, `storage_origin_*`, `storage_archive*_missing`, `notification_*`,
`proxy_url_invalid`) with `{target, field}` details. Saving keeps secrets the client did not
resend: an empty file credential keeps the stored one (matched by target and field, webhook id
and header name, or the email password), a keychain credential that carries a `value` is
written to the OS keyring and stored as a reference, and an unchanged redacted proxy URL gets
its stored credentials back when scheme, host and port match.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from gpt_image_engine.errors import AppError
from gpt_image_engine.store import secrets as sec

TARGET_TYPES = ("local", "s3", "webdav", "http", "sftp", "baidu_netdisk", "pan123_open")
# Fields of each type that hold a CredentialRef.
SECRET_FIELDS: dict[str, tuple[str, ...]] = {
    "s3": ("access_key_id", "secret_access_key", "session_token"),
    "webdav": ("password",),
    "sftp": ("password", "private_key"),
    "baidu_netdisk": ("secret_key", "access_token", "refresh_token"),
    "pan123_open": ("client_secret", "access_token"),
    "local": (),
    "http": (),
}
PIPELINE_MODES = ("local_only", "mirror", "cloud_primary", "cloud_archive_only")
ORIGIN_CAPABLE = ("local", "s3", "webdav", "sftp")
HTTP_METHODS = ("POST", "PUT", "PATCH")
PROXY_MODES = ("system", "none", "custom")
PROXY_SCHEMES = ("http", "https", "socks5", "socks5h")
EMAIL_TLS = ("start-tls", "smtps", "none")
_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _target_error(name: str, field: str, code: str, message: str, **extra: Any) -> AppError:
    return AppError(code, message, {"target": name, "field": field, **extra})


def credential_present(ref: Any) -> bool:
    """True when a CredentialRef names a value (the upstream's `credential_has_reference`)."""
    if not isinstance(ref, dict):
        return False
    source = ref.get("source")
    if source == "file":
        return isinstance(ref.get("value"), str) and bool(ref["value"].strip())
    if source == "env":
        return isinstance(ref.get("env"), str) and bool(ref["env"].strip())
    if source == "keychain":
        return isinstance(ref.get("account"), str) and bool(ref["account"].strip())
    return False


def _is_http_url(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        parts = urlsplit(value.strip())
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


# --- storage


def validate_target(name: str, target: Any) -> dict[str, Any]:
    """One storage target, checked as the upstream's `validate_for_save`; returns a clean copy."""
    if not name or not name.strip() or "/" in name or any(ch.isspace() for ch in name):
        raise AppError("storage_config_invalid", "Storage target names are non-empty tokens.", {"target": name})
    if not isinstance(target, dict):
        raise AppError("storage_config_invalid", f"Storage target {name!r} must be an object.", {"target": name})
    kind = target.get("type")
    if kind not in TARGET_TYPES:
        raise AppError(
            "storage_target_type_invalid",
            f"Storage target {name!r} has an unknown type: {kind!r}.",
            {"target": name, "type": kind, "allowed": list(TARGET_TYPES)},
        )
    t = copy.deepcopy(target)

    def text(field: str) -> str:
        value = t.get(field)
        return value.strip() if isinstance(value, str) else ""

    if kind == "local":
        if not text("directory"):
            raise _target_error(
                name, "directory", "storage_target_directory_missing", "Local storage target requires a directory."
            )
    elif kind == "s3":
        if not text("bucket"):
            raise _target_error(name, "bucket", "storage_target_bucket_missing", "S3 storage target requires a bucket.")
        if not credential_present(t.get("access_key_id")):
            raise _target_error(
                name,
                "access_key_id",
                "storage_target_access_key_missing",
                "S3 storage target requires an access key id.",
            )
        if not credential_present(t.get("secret_access_key")):
            raise _target_error(
                name,
                "secret_access_key",
                "storage_target_secret_key_missing",
                "S3 storage target requires a secret access key.",
            )
        if t.get("endpoint") and not _is_http_url(str(t["endpoint"]).replace("{bucket}", "bucket")):
            raise _target_error(
                name, "endpoint", "storage_target_s3_endpoint_invalid", "S3 endpoint must be an http or https URL."
            )
    elif kind in ("webdav", "http"):
        if not _is_http_url(t.get("url")):
            raise _target_error(
                name,
                "url",
                "storage_target_webdav_url_invalid" if kind == "webdav" else "storage_target_http_url_invalid",
                f"{'WebDAV' if kind == 'webdav' else 'HTTP'} storage target requires a valid http or https URL.",
            )
        if kind == "http":
            method = (text("method") or "POST").upper()
            if method not in HTTP_METHODS:
                raise _target_error(
                    name,
                    "method",
                    "storage_target_http_method_invalid",
                    "HTTP storage target method must be POST, PUT or PATCH.",
                )
            t["method"] = method
            t.setdefault("headers", {})
            _check_headers(t["headers"], lambda f: _target_error(name, f, "storage_config_invalid", "Bad header."))
    elif kind == "sftp":
        _validate_sftp(name, t, text)
    elif kind == "baidu_netdisk":
        _validate_baidu(name, t, text)
    else:
        _validate_pan123(name, t, text)
    return t


def _validate_sftp(name: str, t: dict[str, Any], text: Any) -> None:
    if not text("host"):
        raise _target_error(name, "host", "storage_target_sftp_host_missing", "SFTP storage target requires a host.")
    if not text("host_key_sha256"):
        raise _target_error(
            name,
            "host_key_sha256",
            "storage_target_sftp_host_key_missing",
            "SFTP storage target requires a host key fingerprint.",
        )
    if not text("username"):
        raise _target_error(
            name, "username", "storage_target_sftp_username_missing", "SFTP storage target requires a username."
        )
    remote = text("remote_dir")
    parts = PurePosixPath(remote).parts if remote else ()
    if not remote or remote == "." or any(p in ("..", ".") for p in parts) or "\\" in remote:
        raise _target_error(
            name,
            "remote_dir",
            "storage_target_sftp_remote_dir_invalid",
            "SFTP storage target requires a stable remote directory without . or .. components.",
        )
    port = t.get("port", 22)
    if not isinstance(port, int) or isinstance(port, bool) or not 1 <= port <= 65535:
        raise _target_error(name, "port", "storage_config_invalid", "SFTP port must be 1-65535.")
    t["port"] = port
    if not credential_present(t.get("password")) and not credential_present(t.get("private_key")):
        raise _target_error(
            name, "sftp_auth", "storage_target_sftp_auth_missing", "SFTP storage target requires a password or key."
        )


def _validate_baidu(name: str, t: dict[str, Any], text: Any) -> None:
    if not text("app_name"):
        raise _target_error(
            name, "app_name", "storage_target_baidu_app_name_missing", "Baidu Netdisk requires an app directory name."
        )
    mode = t.get("auth_mode") or ("personal" if t.get("access_token") else "oauth")
    if mode == "personal":
        if not credential_present(t.get("access_token")):
            raise _target_error(
                name,
                "access_token",
                "storage_target_baidu_access_token_missing",
                "Baidu Netdisk personal auth requires an access token.",
            )
        return
    if not text("app_key"):
        raise _target_error(
            name, "app_key", "storage_target_baidu_app_key_missing", "Baidu Netdisk OAuth auth requires an app key."
        )
    for field, code in (
        ("secret_key", "storage_target_baidu_secret_key_missing"),
        ("refresh_token", "storage_target_baidu_refresh_token_missing"),
    ):
        if not credential_present(t.get(field)):
            raise _target_error(name, field, code, f"Baidu Netdisk OAuth auth requires {field.replace('_', ' ')}.")


def _validate_pan123(name: str, t: dict[str, Any], text: Any) -> None:
    mode = t.get("auth_mode") or ("access_token" if t.get("access_token") else "client")
    if mode == "access_token":
        if not credential_present(t.get("access_token")):
            raise _target_error(
                name,
                "access_token",
                "storage_target_pan123_access_token_missing",
                "123 Pan access-token auth requires an access token.",
            )
        return
    if not text("client_id"):
        raise _target_error(
            name, "client_id", "storage_target_pan123_client_id_missing", "123 Pan client auth requires a client id."
        )
    if not credential_present(t.get("client_secret")):
        raise _target_error(
            name,
            "client_secret",
            "storage_target_pan123_client_secret_missing",
            "123 Pan client auth requires a client secret.",
        )


def _names(value: Any, field: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise AppError("storage_config_invalid", f"storage.{field} must be a list of target names.", {"field": field})
    return list(dict.fromkeys(v.strip() for v in value if v.strip()))


def effective_pipeline(storage: Mapping[str, Any]) -> dict[str, Any]:
    """The upstream's `effective_pipeline`: `pipeline` when present, else the legacy lists mapped
    (both empty: local_only; one list: cloud_archive_only; both + always: mirror; both +
    on_failure: archive-only with both; both + never: the default list only), then the managed
    policy applied."""
    raw = storage.get("pipeline")
    if isinstance(raw, dict):
        pipeline = {
            "mode": raw.get("mode") or "local_only",
            "origin": (raw.get("origin") or "").strip() or None,
            "archives": _names(raw.get("archives"), "pipeline.archives"),
        }
    else:
        primary = _names(storage.get("default_targets"), "default_targets")
        fallback = _names(storage.get("fallback_targets"), "fallback_targets")
        policy = storage.get("fallback_policy") or "on_failure"
        if not primary and not fallback:
            pipeline = {"mode": "local_only", "origin": None, "archives": []}
        else:
            if primary and fallback:
                merged = primary if policy == "never" else list(dict.fromkeys(primary + fallback))
            else:
                merged = primary or fallback
            mode = "mirror" if policy == "always" and primary and fallback else "cloud_archive_only"
            pipeline = {"mode": mode, "origin": None, "archives": merged}
    policy_cfg = _dict(storage.get("policy"))
    if policy_cfg.get("managed") and not policy_cfg.get("allow_user_overrides"):
        allowed = [m for m in policy_cfg.get("allowed_modes") or [] if m in PIPELINE_MODES]
        if allowed and pipeline["mode"] not in allowed:
            pipeline["mode"] = allowed[0]
        locked = (policy_cfg.get("locked_origin") or "").strip()
        if locked:
            pipeline["mode"], pipeline["origin"] = "cloud_primary", locked
        if policy_cfg.get("locked_archives"):
            pipeline["archives"] = _names(policy_cfg["locked_archives"], "policy.locked_archives")
    archives: list[str] = list(pipeline["archives"] or [])
    if pipeline["mode"] != "cloud_primary":
        pipeline["origin"] = None
    pipeline["archives"] = [a for a in archives if a != pipeline["origin"]]
    return pipeline


def validate_storage(storage: Any) -> dict[str, Any]:
    """The whole `storage` section: targets, pipeline, concurrency. Returns a clean copy."""
    if not isinstance(storage, dict):
        raise AppError("storage_config_invalid", "storage must be an object.")
    out = copy.deepcopy(storage)
    targets = out.get("targets") or {}
    if not isinstance(targets, dict):
        raise AppError("storage_config_invalid", "storage.targets must be an object.", {"field": "targets"})
    out["targets"] = {name: validate_target(name, t) for name, t in targets.items()}
    for field in ("default_targets", "fallback_targets"):
        out[field] = _names(out.get(field), field)
    if out.get("fallback_policy", "on_failure") not in ("never", "on_failure", "always"):
        raise AppError("storage_config_invalid", "fallback_policy is never, on_failure or always.")
    for field, default in (("upload_concurrency", 4), ("target_concurrency", 2)):
        value = out.get(field, default)
        if not isinstance(value, int) or isinstance(value, bool):
            raise AppError("storage_config_invalid", f"storage.{field} must be an integer.", {"field": field})
        out[field] = max(1, min(32, value))
    raw = out.get("pipeline")
    if raw is not None and (not isinstance(raw, dict) or raw.get("mode") not in PIPELINE_MODES):
        raise AppError(
            "storage_config_invalid",
            "storage.pipeline.mode is local_only, mirror, cloud_primary or cloud_archive_only.",
            {"field": "pipeline.mode", "allowed": list(PIPELINE_MODES)},
        )
    pipeline = effective_pipeline(out)
    if pipeline["mode"] == "cloud_primary":
        origin = pipeline["origin"]
        if not origin:
            raise AppError("storage_origin_missing", "Cloud-primary storage requires an Origin target.")
        if origin not in out["targets"]:
            raise AppError(
                "storage_origin_missing", "Cloud-primary Origin target is not configured.", {"origin": origin}
            )
        if out["targets"][origin]["type"] not in ORIGIN_CAPABLE:
            raise AppError(
                "storage_origin_readback_unsupported",
                "Cloud-primary Origin must support implemented readback.",
                {"origin": origin},
            )
    if pipeline["mode"] in ("mirror", "cloud_archive_only") and not pipeline["archives"]:
        raise AppError("storage_archives_missing", "This storage pipeline requires at least one Archive target.")
    for archive in pipeline["archives"]:
        if archive not in out["targets"]:
            raise AppError("storage_archive_missing", "Storage Archive target is not configured.", {"archive": archive})
    return out


# --- notifications


def _check_headers(headers: Any, fail: Any) -> None:
    if not isinstance(headers, dict):
        raise fail("headers")
    for key, ref in headers.items():
        if not isinstance(key, str) or (key.strip() and not _TOKEN.match(key.strip())):
            raise fail(f"headers.{key}")
        if not isinstance(ref, dict) or ref.get("source") not in ("file", "env", "keychain"):
            raise fail(f"headers.{key}")


def validate_webhook(hook: Any) -> dict[str, Any]:
    def bad(field: str, message: str = "") -> AppError:
        return AppError(
            "notification_webhook_invalid",
            message or f"Webhook {field} is invalid.",
            {"webhook": hook.get("id") if isinstance(hook, dict) else None, "field": field},
        )

    if not isinstance(hook, dict):
        raise AppError("notification_config_invalid", "Each webhook must be an object.")
    if not isinstance(hook.get("id"), str) or not hook["id"].strip():
        raise bad("id", "A webhook needs an id.")
    if not _is_http_url(hook.get("url")):
        raise bad("url", "Webhook URL must be an http or https URL with a host.")
    out = copy.deepcopy(hook)
    method = str(out.get("method") or "POST").strip().upper()
    if not _TOKEN.match(method):
        raise bad("method", "Webhook method is not an HTTP method.")
    out["method"] = method
    out.setdefault("name", "")
    out.setdefault("enabled", True)
    out.setdefault("headers", {})
    _check_headers(out["headers"], bad)
    timeout = out.get("timeout_seconds", 10)
    if not isinstance(timeout, (int, float)) or isinstance(timeout, bool):
        raise bad("timeout_seconds")
    out["timeout_seconds"] = max(1, int(timeout))
    return out


def validate_email(email: Any, *, strict: bool) -> dict[str, Any]:
    """The email channel; `strict` (enabled, or a test) needs host, sender and a recipient."""
    if not isinstance(email, dict):
        raise AppError("notification_config_invalid", "notifications.email must be an object.")
    out = copy.deepcopy(email)
    out.setdefault("enabled", False)
    out.setdefault("smtp_host", "")
    out.setdefault("smtp_port", 587)
    out.setdefault("tls", "start-tls")
    out.setdefault("from", "")
    out.setdefault("to", [])
    out.setdefault("timeout_seconds", 10)
    if out["tls"] not in EMAIL_TLS:
        raise AppError("notification_email_invalid", "Email tls is start-tls, smtps or none.", {"field": "tls"})
    if not isinstance(out["to"], list) or not all(isinstance(r, str) for r in out["to"]):
        raise AppError("notification_email_invalid", "Email `to` must be a list of addresses.", {"field": "to"})
    port = out["smtp_port"]
    if not isinstance(port, int) or isinstance(port, bool) or not 1 <= port <= 65535:
        raise AppError("notification_email_invalid", "Email smtp_port must be 1-65535.", {"field": "smtp_port"})
    if strict:
        for field, ok in (
            ("smtp_host", bool(str(out["smtp_host"]).strip())),
            ("from", "@" in str(out["from"])),
            ("to", any("@" in r for r in out["to"])),
        ):
            if not ok:
                raise AppError(
                    "notification_email_invalid",
                    "Email notifications need an SMTP host, a sender and at least one recipient.",
                    {"field": field},
                )
    return out


def validate_notifications(notifications: Any) -> dict[str, Any]:
    if not isinstance(notifications, dict):
        raise AppError("notification_config_invalid", "notifications must be an object.")
    out = copy.deepcopy(notifications)
    for key in ("enabled", "on_completed", "on_failed", "on_cancelled"):
        out.setdefault(key, True)
        if not isinstance(out[key], bool):
            raise AppError("notification_config_invalid", f"notifications.{key} must be true or false.")
    out.setdefault("toast", {"enabled": True})
    out.setdefault("system", {"enabled": False, "mode": "auto"})
    email = out.get("email") or {}
    out["email"] = validate_email(email, strict=bool(isinstance(email, dict) and email.get("enabled")))
    hooks = out.get("webhooks") or []
    if not isinstance(hooks, list):
        raise AppError("notification_config_invalid", "notifications.webhooks must be a list.")
    out["webhooks"] = [validate_webhook(h) for h in hooks]
    ids = [h["id"] for h in out["webhooks"]]
    if len(set(ids)) != len(ids):
        raise AppError("notification_webhook_invalid", "Webhook ids must be unique.", {"field": "id"})
    return out


def default_notifications() -> dict[str, Any]:
    return validate_notifications({})


# --- proxy


def validate_proxy_url(url: Any) -> str:
    """A custom proxy URL: http, https, socks5 or socks5h with a host; credentials a full pair."""
    if not isinstance(url, str) or not url.strip():
        raise AppError("proxy_url_invalid", "Custom proxy mode requires a proxy URL.", {"field": "url"})
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        raise AppError("proxy_url_invalid", "Proxy URL is invalid.", {"field": "url"}) from None
    if parts.scheme.lower() not in PROXY_SCHEMES or not parts.hostname:
        raise AppError(
            "proxy_url_invalid",
            "Proxy URL must be http, https, socks5 or socks5h with a host.",
            {"field": "url", "allowed": list(PROXY_SCHEMES)},
        )
    if (parts.username is not None or parts.password is not None) and not (parts.username and parts.password):
        raise AppError(
            "proxy_url_invalid", "Proxy credentials must be a complete user:password pair.", {"field": "url"}
        )
    return url.strip()


def validate_proxy(proxy: Any) -> dict[str, Any]:
    if not isinstance(proxy, dict):
        raise AppError("proxy_url_invalid", "proxy must be an object with a mode.")
    mode = proxy.get("mode") or "system"
    if mode not in PROXY_MODES:
        raise AppError(
            "proxy_url_invalid",
            "Proxy mode is system, none or custom.",
            {"field": "mode", "allowed": list(PROXY_MODES)},
        )
    no_proxy = proxy.get("no_proxy") or []
    if not isinstance(no_proxy, list) or not all(isinstance(h, str) for h in no_proxy):
        raise AppError("proxy_url_invalid", "proxy.no_proxy must be a list of hosts.", {"field": "no_proxy"})
    out: dict[str, Any] = {"mode": mode, "no_proxy": [h.strip() for h in no_proxy if h.strip()]}
    if mode == "custom":
        out["url"] = validate_proxy_url(proxy.get("url"))
    elif proxy.get("url"):
        out["url"] = proxy["url"]
    return out


def restore_proxy_credentials(new: dict[str, Any], old: Any) -> dict[str, Any]:
    """A redacted URL sent back unchanged gets the stored credentials again (same scheme/host/port)."""
    url, old_url = new.get("url"), old.get("url") if isinstance(old, dict) else None
    if not isinstance(url, str) or not isinstance(old_url, str):
        return new
    try:
        a, b = urlsplit(url), urlsplit(old_url)
        same = (a.scheme, a.hostname, a.port) == (b.scheme, b.hostname, b.port)
    except ValueError:
        return new
    if same and a.username is None and b.username:
        netloc = f"{b.username}:{b.password or ''}@{a.netloc}"
        new = {**new, "url": urlunsplit((a.scheme, netloc, a.path, a.query, a.fragment))}
    return new


# --- secrets kept on save


def merge_secret(new: Any, old: Any, keychain_account: str) -> Any:
    """One CredentialRef on save: an empty file value keeps the old ref, so does a keychain ref
    with neither value nor account; a keychain ref carrying a value writes it to the keyring
    (default account `keychain_account`) and drops the value."""
    if not isinstance(new, dict):
        return new
    source = new.get("source")
    if source == "file" and not (isinstance(new.get("value"), str) and new["value"]):
        return copy.deepcopy(old) if isinstance(old, dict) else new
    if source == "keychain":
        if not new.get("value") and not new.get("account") and isinstance(old, dict) and old.get("source") == source:
            return copy.deepcopy(old)  # the stored entry, whatever its account
        ref = {"source": "keychain", "service": new.get("service") or sec.SERVICE}
        ref["account"] = new.get("account") or keychain_account
        value = new.get("value")
        if isinstance(value, str) and value:
            sec.keyring_set(ref["service"], ref["account"], value)
        return ref
    return new


def merge_storage_secrets(new: dict[str, Any], old: Any) -> dict[str, Any]:
    old_targets = _dict(_dict(old).get("targets"))
    for name, target in (new.get("targets") or {}).items():
        before = _dict(old_targets.get(name))
        same_type = before.get("type") == target.get("type")
        for field in SECRET_FIELDS.get(str(target.get("type")), ()):
            if field in target:
                target[field] = merge_secret(
                    target[field], before.get(field) if same_type else None, f"storage/{name}/{field}"
                )
        if isinstance(target.get("headers"), dict):
            old_headers = _dict(before.get("headers")) if same_type else {}
            for header, ref in list(target["headers"].items()):
                target["headers"][header] = merge_secret(ref, old_headers.get(header), f"storage/{name}/{header}")
    return new


def merge_notification_secrets(new: dict[str, Any], old: Any) -> dict[str, Any]:
    old = _dict(old)
    old_email = _dict(old.get("email"))
    email = new.get("email") or {}
    if "password" in email:
        email["password"] = merge_secret(email["password"], old_email.get("password"), "notifications/email/password")
    old_hooks = {h.get("id"): h for h in old.get("webhooks") or [] if isinstance(h, dict)}
    for hook in new.get("webhooks") or []:
        before = old_hooks.get(hook["id"]) or {}
        old_headers = _dict(before.get("headers"))
        for header, ref in list(hook.get("headers", {}).items()):
            hook["headers"][header] = merge_secret(
                ref, old_headers.get(header), f"notifications/webhooks/{hook['id']}/{header}"
            )
    return new
