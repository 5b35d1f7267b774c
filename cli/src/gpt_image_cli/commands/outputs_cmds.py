"""`storage list|add|remove|test|pipeline|set`, `notify list|add-webhook|remove-webhook|set-email|test`
and `proxy show|set`: where outputs go, who hears about a job, and the provider proxy.

Secrets are given as references (`--secret-env FIELD=VAR`), stored in the keyring
(`--secret-keychain FIELD=-` reads the value from stdin), or as file values (`--secret FIELD=-`
reads stdin; a literal value works but lands in shell history). The engine never returns them.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from gpt_image.v1 import outputs_pb2
from gpt_image_cli.commands._common import payload_of
from gpt_image_cli.context import state
from gpt_image_protocol.errors import AppError
from gpt_image_protocol.jsonshape import optional_value, to_object

TARGET_TYPES = ["local", "s3", "webdav", "http", "sftp", "baidu_netdisk", "pan123_open"]
MODES = ["local_only", "mirror", "cloud_primary", "cloud_archive_only"]


def _pairs(values: tuple[str, ...], flag: str) -> list[tuple[str, str]]:
    out = []
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise AppError("invalid_argument", f"{flag} takes FIELD=VALUE (got {item!r}).", {"flag": flag})
        out.append((key.strip(), value))
    return out


def _stdin_once(value: str, used: list[bool]) -> str:
    if value != "-":
        return value
    if used:
        raise AppError("invalid_argument", "Only one secret can be read from stdin per command.")
    used.append(True)
    return sys.stdin.readline().rstrip("\r\n")


def _secret_refs(secret: tuple[str, ...], secret_env: tuple[str, ...], keychain: tuple[str, ...]) -> dict[str, Any]:
    used: list[bool] = []
    refs: dict[str, Any] = {}
    for key, value in _pairs(secret, "--secret"):
        refs[key] = {"source": "file", "value": _stdin_once(value, used)}
    for key, value in _pairs(secret_env, "--secret-env"):
        refs[key] = {"source": "env", "env": value}
    for key, value in _pairs(keychain, "--secret-keychain"):
        refs[key] = {"source": "keychain", "value": _stdin_once(value, used)}
    return refs


def _document(text: str, what: str) -> dict[str, Any]:
    """A settings document given as JSON text: an object, else `storage_config_invalid`."""
    try:
        value = json.loads(text)
    except ValueError:
        raise AppError("storage_config_invalid", f"{what} is not valid JSON.") from None
    if not isinstance(value, dict):
        raise AppError("storage_config_invalid", f"{what} must be a JSON object.")
    return value


def _value(text: str) -> Any:
    if text.isdigit():
        return int(text)
    if text in ("true", "false"):
        return text == "true"
    return text


# --- storage


@click.group("storage")
def storage() -> None:
    """Storage targets that receive every finished output (local, s3, webdav, http, sftp)."""


@storage.command("list")
def storage_list() -> None:
    """Targets, the effective pipeline and whether private addresses are allowed (redacted)."""
    st = state()
    reply = st.engine().outputs.GetOutputSettings(outputs_pb2.GetOutputSettingsRequest(options=st.call_options()))
    payload = payload_of(reply)
    st.done(
        "storage list", {k: payload.get(k) for k in ("config_file", "storage", "pipeline", "private_targets_allowed")}
    )


@storage.command("add")
@click.argument("name")
@click.option("--type", "type_", type=click.Choice(TARGET_TYPES), help="Target type (or give --json).")
@click.option("--set", "fields", multiple=True, help="FIELD=VALUE, e.g. bucket=images, endpoint=https://..., port=22.")
@click.option("--secret", multiple=True, help="FIELD=VALUE as a file credential; VALUE - reads stdin.")
@click.option("--secret-env", multiple=True, help="FIELD=VAR: read from the engine's environment.")
@click.option("--secret-keychain", multiple=True, help="FIELD=VALUE stored in the OS keyring; - reads stdin.")
@click.option("--header", "headers", multiple=True, help="http targets: NAME=VAR header from the environment.")
@click.option("--json", "target_json", default="", help="The whole target as JSON (the upstream's shape).")
@click.option("--archive", is_flag=True, help="Also upload every job to it (adds it to the pipeline's archives).")
def storage_add(
    name: str,
    type_: str | None,
    fields: tuple[str, ...],
    secret: tuple[str, ...],
    secret_env: tuple[str, ...],
    secret_keychain: tuple[str, ...],
    headers: tuple[str, ...],
    target_json: str,
    archive: bool,
) -> None:
    """Add or replace the storage target NAME."""
    target: dict[str, Any] = {}
    if target_json:
        try:
            target = json.loads(target_json)
        except ValueError:
            raise AppError("storage_config_invalid", "--json is not valid JSON.") from None
    if type_:
        target["type"] = type_
    for key, value in _pairs(fields, "--set"):
        target[key] = _value(value)
    target.update(_secret_refs(secret, secret_env, secret_keychain))
    for key, var in _pairs(headers, "--header"):
        target.setdefault("headers", {})[key] = {"source": "env", "env": var}
    st = state()
    reply = st.engine().outputs.AddStorageTarget(
        outputs_pb2.AddStorageTargetRequest(
            options=st.call_options(), name=name, target=to_object(target), archive=archive
        )
    )
    st.done("storage add", payload_of(reply))


@storage.command("remove")
@click.argument("name")
def storage_remove(name: str) -> None:
    """Remove the target NAME and every mention of it in the pipeline."""
    st = state()
    reply = st.engine().outputs.RemoveStorageTarget(
        outputs_pb2.RemoveStorageTargetRequest(options=st.call_options(), name=name)
    )
    st.done("storage remove", payload_of(reply))


@storage.command("test")
@click.argument("name")
def storage_test(name: str) -> None:
    """Upload a 1x1 PNG to NAME; ok=false (exit 1) with the error code when it fails."""
    st = state()
    reply = st.engine().outputs.TestStorageTarget(
        outputs_pb2.TestStorageTargetRequest(options=st.call_options(), name=name)
    )
    payload: dict[str, Any] = {
        "ok": reply.ok,
        "target": reply.target,
        "target_type": reply.target_type,
        "message": reply.message,
        "unsupported": reply.unsupported,
        "local_only": reply.local_only,
        "detail": optional_value(reply, "detail"),
    }
    if reply.HasField("latency_ms"):
        payload["latency_ms"] = reply.latency_ms
    if not reply.ok:
        raise AppError(reply.code or "internal_error", reply.message, payload)
    st.done("storage test", payload)


@storage.command("pipeline")
@click.option("--mode", type=click.Choice(MODES), required=True)
@click.option("--origin", default="", help="cloud_primary: the target that is the origin.")
@click.option("--archive", "archives", multiple=True, help="An archive target (repeat).")
def storage_pipeline(mode: str, origin: str, archives: tuple[str, ...]) -> None:
    """Choose where outputs go: local_only, mirror, cloud_primary or cloud_archive_only."""
    st = state()
    reply = st.engine().outputs.SetStoragePipeline(
        outputs_pb2.SetStoragePipelineRequest(
            options=st.call_options(), mode=mode, origin=origin, archives=list(archives)
        )
    )
    st.done("storage pipeline", payload_of(reply))


@storage.command("set")
@click.argument("source", type=click.File("r"))
def storage_set(source: Any) -> None:
    """Replace the whole storage section with the JSON in SOURCE (a file, or - for stdin)."""
    st = state()
    reply = st.engine().outputs.PutStorage(
        outputs_pb2.PutStorageRequest(options=st.call_options(), storage=to_object(_document(source.read(), "storage")))
    )
    st.done("storage set", payload_of(reply))


# --- notifications


@click.group("notify")
def notify() -> None:
    """Job notifications: webhooks and email."""


@notify.command("list")
def notify_list() -> None:
    """The notification settings (redacted)."""
    st = state()
    reply = st.engine().outputs.GetOutputSettings(outputs_pb2.GetOutputSettingsRequest(options=st.call_options()))
    payload = payload_of(reply)
    st.done("notify list", {"config_file": payload.get("config_file"), "notifications": payload.get("notifications")})


def _ref(value: dict[str, Any]) -> outputs_pb2.CredentialRef:
    return outputs_pb2.CredentialRef(**{k: v for k, v in value.items() if isinstance(v, str)})


@notify.command("add-webhook")
@click.option("--id", "hook_id", required=True)
@click.option("--url", required=True)
@click.option("--name", default="")
@click.option("--method", default="POST", show_default=True)
@click.option("--header", "headers", multiple=True, help="NAME=VALUE (file credential; - reads stdin).")
@click.option("--header-env", multiple=True, help="NAME=VAR from the engine's environment.")
@click.option("--timeout", type=int, default=10, show_default=True, help="Seconds (at least 1).")
@click.option("--disabled", is_flag=True)
def notify_add_webhook(
    hook_id: str,
    url: str,
    name: str,
    method: str,
    headers: tuple[str, ...],
    header_env: tuple[str, ...],
    timeout: int,
    disabled: bool,
) -> None:
    """Add or replace a webhook (JSON body, the upstream's payload, no local paths)."""
    refs = _secret_refs(headers, header_env, ())
    st = state()
    hook = outputs_pb2.Webhook(
        id=hook_id,
        name=name,
        enabled=not disabled,
        url=url,
        method=method,
        headers={k: _ref(v) for k, v in refs.items()},
        timeout_seconds=timeout,
    )
    reply = st.engine().outputs.AddWebhook(outputs_pb2.AddWebhookRequest(options=st.call_options(), webhook=hook))
    st.done("notify add-webhook", payload_of(reply))


@notify.command("remove-webhook")
@click.argument("hook_id")
def notify_remove_webhook(hook_id: str) -> None:
    st = state()
    reply = st.engine().outputs.RemoveWebhook(outputs_pb2.RemoveWebhookRequest(options=st.call_options(), id=hook_id))
    st.done("notify remove-webhook", payload_of(reply))


@notify.command("set-email")
@click.option("--host", required=True, help="SMTP host.")
@click.option("--port", type=int, default=587, show_default=True)
@click.option("--tls", type=click.Choice(["start-tls", "smtps", "none"]), default="start-tls", show_default=True)
@click.option("--from", "sender", required=True)
@click.option("--to", "recipients", multiple=True, required=True, help="A recipient (repeat).")
@click.option("--username", default="")
@click.option("--password", default="", help="File credential; - reads stdin.")
@click.option("--password-env", default="", help="Read the password from this engine environment variable.")
@click.option("--timeout", type=int, default=10, show_default=True)
@click.option("--disabled", is_flag=True)
def notify_set_email(
    host: str,
    port: int,
    tls: str,
    sender: str,
    recipients: tuple[str, ...],
    username: str,
    password: str,
    password_env: str,
    timeout: int,
    disabled: bool,
) -> None:
    """Configure email notifications (SMTP with implicit TLS, STARTTLS or none)."""
    email = outputs_pb2.EmailSettings(
        enabled=not disabled,
        smtp_host=host,
        smtp_port=port,
        tls=tls,
        username=username,
        to=list(recipients),
        timeout_seconds=timeout,
    )
    setattr(email, "from", sender)  # `from` is a Python keyword
    if password_env:
        email.password.CopyFrom(outputs_pb2.CredentialRef(source="env", env=password_env))
    elif password:
        email.password.CopyFrom(outputs_pb2.CredentialRef(source="file", value=_stdin_once(password, [])))
    st = state()
    reply = st.engine().outputs.SetEmail(outputs_pb2.SetEmailRequest(options=st.call_options(), email=email))
    st.done("notify set-email", payload_of(reply))


@notify.command("test")
@click.option(
    "--status",
    type=click.Choice(["completed", "partial_failed", "failed", "cancelled"]),
    default="completed",
    show_default=True,
)
@click.option("--channel", default="", help="email or webhook:<id> (default: every enabled channel).")
def notify_test(status: str, channel: str) -> None:
    """Send a sample job's notification; exit 1 unless every delivery succeeded."""
    st = state()
    reply = st.engine().outputs.TestNotifications(
        outputs_pb2.TestNotificationsRequest(options=st.call_options(), status=status, channel=channel)
    )
    deliveries = [
        {"channel": d.channel, "name": d.name, "ok": d.ok, "message": d.message, **({"code": d.code} if d.code else {})}
        for d in reply.deliveries
    ]
    payload = {"ok": reply.ok, "reason": reply.reason or None, "deliveries": deliveries}
    failed = [d for d in deliveries if not d["ok"]]
    if failed:
        raise AppError(str(failed[0].get("code") or "notification_webhook_failed"), failed[0]["message"], payload)
    st.done("notify test", payload)


# --- proxy


@click.group("proxy")
def proxy() -> None:
    """The proxy for provider calls, token refresh, result downloads and doctor (not storage or webhooks)."""


@proxy.command("show")
def proxy_show() -> None:
    st = state()
    reply = st.engine().outputs.GetOutputSettings(outputs_pb2.GetOutputSettingsRequest(options=st.call_options()))
    payload = payload_of(reply)
    st.done("proxy show", {"config_file": payload.get("config_file"), "proxy": payload.get("proxy")})


@proxy.command("set")
@click.option("--mode", type=click.Choice(["system", "none", "custom"]), required=True)
@click.option("--url", default="", help="custom: http://, https://, socks5:// or socks5h:// (user:pass@ allowed).")
@click.option("--no-proxy", "no_proxy", multiple=True, help="A host that goes direct (repeat).")
@click.option("--for-provider", "provider", default="", help="Set this configured provider's proxy instead.")
def proxy_set(mode: str, url: str, no_proxy: tuple[str, ...], provider: str) -> None:
    """Set the global proxy (or one provider's with --for-provider)."""
    st = state()
    reply = st.engine().outputs.SetProxy(
        outputs_pb2.SetProxyRequest(
            options=st.call_options(), mode=mode, url=url, no_proxy=list(no_proxy), provider=provider
        )
    )
    st.done("proxy set", payload_of(reply))


COMMANDS = [storage, notify, proxy]
