"""Job notifications: webhooks and email (upstream §9.3).

`deliver(notifications, job, env)` fires when `notifications.enabled` and the job's status
is allowed (completed/partial_failed -> on_completed, failed -> on_failed, cancelled ->
on_cancelled): email first when enabled, then each enabled webhook. Each yields a delivery
`{channel, name, ok, message, code?}`; a failure never raises. The webhook body is the
upstream's public payload: no local path, only whitelisted metadata, errors summarised.
Webhook and SMTP connections are checked and pinned like storage targets; neither uses the
provider proxy.
"""

from __future__ import annotations

import smtplib
import socket
import ssl
from collections.abc import Mapping
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlsplit

import httpx

from gpt_image_engine.errors import AppError
from gpt_image_engine.outputs import settings
from gpt_image_engine.outputs.pinning import Checked, check_host, check_url, pinned_request, safe_url
from gpt_image_engine.outputs.storage import public_upload
from gpt_image_engine.store import secrets as sec

PUBLIC_METADATA = (
    "prompt",
    "size",
    "quality",
    "format",
    "n",
    "edit_mode",
    "edit_region_mode",
    "ref_count",
    "has_mask",
    "selection_hint",
)
_STATUS_FLAG = {
    "completed": "on_completed",
    "partial_failed": "on_completed",
    "failed": "on_failed",
    "cancelled": "on_cancelled",
    "canceled": "on_cancelled",
}


def title(job: Mapping[str, Any]) -> str:
    status = job.get("status")
    if status in ("cancelled", "canceled"):
        return "任务已取消"
    verb = "编辑" if "edit" in str(job.get("command") or "") else "生成"
    return verb + {"completed": "完成", "partial_failed": "部分完成"}.get(str(status), "失败")


def summary(job: Mapping[str, Any]) -> str:
    meta = job.get("metadata") or {}
    parts = [str(job.get("provider") or "auto")]
    if meta.get("size"):
        parts.append(str(meta["size"]))
    count = len(job.get("outputs") or [])
    if count:
        parts.append(f"{count} 张图片")
    if job.get("status") == "partial_failed":
        parts.append("Some outputs failed.")
    elif job.get("status") == "failed":
        parts.append("Job failed.")
    return " · ".join(parts)


def _http_url(value: Any) -> str | None:
    return value if isinstance(value, str) and urlsplit(value).scheme in ("http", "https") else None


def public_payload(job: Mapping[str, Any]) -> dict[str, Any]:
    """The webhook body: the job without local paths, secrets or raw error text."""
    meta = job.get("metadata") or {}
    uploads: list[dict[str, Any]] = []
    outputs = []
    for item in job.get("outputs") or []:
        mine = [public_upload(u) for u in item.get("uploads") or []]
        uploads += mine
        entry: dict[str, Any] = {"index": item.get("index"), "bytes": item.get("bytes"), "uploads": mine}
        if item.get("error"):
            entry["error"] = "Output failed."
        outputs.append(entry)
    origin = [
        u for u in uploads if u.get("placement") == "origin" or (not u.get("placement") and u.get("role") != "fallback")
    ]
    archives = [u for u in uploads if u not in origin]
    status = str(job.get("status"))
    return {
        "event": f"job.{status}",
        "title": title(job),
        "summary": summary(job),
        "job": {
            "id": job.get("id"),
            "command": job.get("command"),
            "provider": job.get("provider"),
            "status": status,
            "created_at": job.get("created_at"),
            "updated_at": job.get("updated_at"),
            "output_path": _http_url(job.get("output_path")),
            "outputs": outputs,
            "storage": {"origin": origin, "archives": archives, "uploads": uploads},
            "metadata": {k: meta[k] for k in PUBLIC_METADATA if k in meta},
            "error": {"message": "Job failed."} if status == "failed" else None,
        },
    }


def send_webhook(hook: Mapping[str, Any], payload: dict[str, Any], env: Mapping[str, str], allow_private: bool) -> str:
    """POST (or the hook's method) the payload; returns the success message or raises."""
    url = str(hook.get("url") or "")
    label = f"Webhook {hook.get('name') or hook.get('id')!r}"
    checked = check_url(
        url,
        allow_private=allow_private,
        blocked_code="notification_webhook_blocked",
        invalid_code="notification_webhook_invalid",
        label=label,
    )
    headers: dict[str, str] = {}
    for name, ref in (hook.get("headers") or {}).items():
        if name.strip() and isinstance(ref, dict):
            value = sec.resolve_credential(ref, env)[0]
            if value.strip():
                headers[name.strip()] = value
    timeout = max(1.0, float(hook.get("timeout_seconds") or 10))
    try:
        with httpx.Client(trust_env=False, follow_redirects=False, timeout=timeout) as client:
            request = pinned_request(
                client, str(hook.get("method") or "POST").upper(), url, checked, headers=headers, json=payload
            )
            response = client.send(request)
    except httpx.HTTPError as exc:
        raise AppError(
            "notification_webhook_failed",
            f"{label} could not be delivered ({type(exc).__name__}).",
            {"url": safe_url(url)},
        ) from None
    if not 200 <= response.status_code < 300:
        raise AppError(
            "notification_webhook_failed",
            f"Webhook returned HTTP {response.status_code}.",
            {"url": safe_url(url), "status": response.status_code},
        )
    return f"Webhook delivered with HTTP {response.status_code}."


class _PinnedSMTP(smtplib.SMTP):
    """SMTP that connects to the checked address; TLS still verifies the host name."""

    pinned: Checked

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        return socket.create_connection((self.pinned.address, port), timeout)


class _PinnedSMTPS(smtplib.SMTP_SSL):
    pinned: Checked

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        raw = socket.create_connection((self.pinned.address, port), timeout)
        return self.context.wrap_socket(raw, server_hostname=host)


def email_context(env: Mapping[str, str]) -> ssl.SSLContext:
    """Default verification; an operator may add a CA bundle (`GPT_IMAGE_2_SMTP_CA_FILE`)."""
    return ssl.create_default_context(cafile=env.get("GPT_IMAGE_2_SMTP_CA_FILE") or None)


def send_email(email: Mapping[str, Any], job: Mapping[str, Any], env: Mapping[str, str], allow_private: bool) -> str:
    email = settings.validate_email(email, strict=True)
    host, port = str(email["smtp_host"]).strip(), int(email["smtp_port"])
    checked = check_host(
        host, port, allow_private=allow_private, blocked_code="notification_email_failed", label="SMTP server"
    )
    message = EmailMessage()
    message["Subject"] = f"GPT Image 2 · {title(job)}"
    message["From"] = str(email["from"])
    message["To"] = ", ".join(r for r in email["to"] if r.strip())
    outputs = [u.get("url") for item in job.get("outputs") or [] for u in item.get("uploads") or [] if u.get("url")]
    error = (job.get("error") or {}).get("message") if isinstance(job.get("error"), dict) else None
    lines = [
        f"任务：{title(job)}",
        f"状态：{job.get('status')}",
        f"供应商：{job.get('provider')}",
        f"摘要：{summary(job)}" + (f"（{error}）" if error else ""),
        f"输出：{', '.join(outputs) if outputs else len(job.get('outputs') or [])}",
        f"任务 ID：{job.get('id')}",
    ]
    message.set_content("\n".join(lines) + "\n")
    timeout = max(1.0, float(email.get("timeout_seconds") or 10))
    context = email_context(env)
    password = None
    if email.get("username") and isinstance(email.get("password"), dict):
        password = sec.resolve_credential(email["password"], env)[0]
    try:
        client: _PinnedSMTP | _PinnedSMTPS
        if email["tls"] == "smtps":
            client = _PinnedSMTPS(timeout=timeout, context=context)
        else:
            client = _PinnedSMTP(timeout=timeout)
        client.pinned = checked
        client._host = host  # type: ignore[union-attr]  # TLS verifies the name (smtplib sets it only when __init__ connects)
        client.connect(host, port)
        with client:
            if email["tls"] == "start-tls":
                client.starttls(context=context)
            if email.get("username") and password:
                client.login(str(email["username"]), password)
            client.send_message(message)
    except (OSError, ValueError, smtplib.SMTPException) as exc:
        text = str(exc)
        if password:
            text = text.replace(password, "[redacted]")
        raise AppError(
            "notification_email_failed",
            f"Sending the notification email failed ({type(exc).__name__}).",
            {"host": host, "port": port, "error": text[:500]},
        ) from None
    return f"Email sent to {len(email['to'])} recipient(s)."


def _delivery(channel: str, name: str, send: Any) -> dict[str, Any]:
    try:
        return {"channel": channel, "name": name, "ok": True, "message": send()}
    except AppError as err:
        return {"channel": channel, "name": name, "ok": False, "message": err.message, "code": err.code}


def deliver(
    notifications: Any,
    job: Mapping[str, Any],
    env: Mapping[str, str],
    allow_private: bool,
    *,
    force: bool = False,
    channel: str | None = None,
) -> list[dict[str, Any]]:
    """Every delivery for a finished job (or a test: `force`, optionally one `channel`:
    "email" or "webhook:<id>")."""
    if not isinstance(notifications, dict):
        return []
    if not force:
        flag = _STATUS_FLAG.get(str(job.get("status")))
        if not notifications.get("enabled", True) or flag is None or not notifications.get(flag, True):
            return []
    out: list[dict[str, Any]] = []
    email = notifications.get("email")
    if isinstance(email, dict) and (email.get("enabled") or channel == "email") and channel in (None, "email"):
        out.append(_delivery("email", "smtp", lambda: send_email(email, job, env, allow_private)))
    payload: dict[str, Any] | None = None
    for hook in notifications.get("webhooks") or []:
        if not isinstance(hook, dict):
            continue
        wanted = channel == f"webhook:{hook.get('id')}"
        if channel is not None and not wanted:
            continue
        if not hook.get("enabled", True) and not wanted:
            continue
        payload = payload or public_payload(job)
        out.append(
            _delivery(
                "webhook",
                str(hook.get("name") or hook.get("id")),
                lambda h=hook, body=payload: send_webhook(h, body, env, allow_private),
            )
        )
    return out
