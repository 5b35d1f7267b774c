"""OutputsService: thin wrappers over outputs.operations (storage, notifications, proxy)."""

from __future__ import annotations

from typing import Any

import grpc

from gpt_image.v1 import config_pb2, outputs_pb2, outputs_pb2_grpc
from gpt_image_engine.call import call_from_proto
from gpt_image_engine.errors import AppError
from gpt_image_engine.outputs import operations as ops
from gpt_image_engine.servicers.common import coded_unary
from gpt_image_engine.state import Engine
from gpt_image_protocol.jsonshape import fill_value, optional_value, with_result


def _result(payload: object) -> config_pb2.ConfigResult:
    return with_result(config_pb2.ConfigResult(), payload)  # type: ignore[no-any-return]


def _body(request: Any, field: str, code: str, what: str) -> Any:
    """A request's settings document; a request without one is refused with the section's code."""
    if not request.HasField(field):
        raise AppError(code, f"The {what} settings are missing from the request.", {"field": field})
    return optional_value(request, field)


def _ref(message: outputs_pb2.CredentialRef) -> dict[str, Any]:
    ref: dict[str, Any] = {"source": message.source or "file"}
    for field in ("value", "env", "service", "account"):
        if getattr(message, field):
            ref[field] = getattr(message, field)
    return ref


def _webhook(message: outputs_pb2.Webhook) -> dict[str, Any]:
    hook: dict[str, Any] = {
        "id": message.id,
        "name": message.name,
        "enabled": message.enabled,
        "url": message.url,
        "method": message.method or "POST",
        "headers": {k: _ref(v) for k, v in message.headers.items()},
    }
    if message.HasField("timeout_seconds"):
        hook["timeout_seconds"] = message.timeout_seconds
    return hook


def _email(message: outputs_pb2.EmailSettings) -> dict[str, Any]:
    email: dict[str, Any] = {
        "enabled": message.enabled,
        "smtp_host": message.smtp_host,
        "smtp_port": message.smtp_port or 587,
        "tls": message.tls or "start-tls",
        "username": message.username or None,
        "from": getattr(message, "from"),
        "to": list(message.to),
    }
    if message.HasField("password"):
        email["password"] = _ref(message.password)
    if message.HasField("timeout_seconds"):
        email["timeout_seconds"] = message.timeout_seconds
    return email


class OutputsServicer(outputs_pb2_grpc.OutputsServiceServicer):
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @coded_unary
    def GetOutputSettings(
        self, request: outputs_pb2.GetOutputSettingsRequest, context: grpc.ServicerContext
    ) -> config_pb2.ConfigResult:
        return _result(ops.show(self.engine.paths, call_from_proto(request.options), self.engine.env))

    @coded_unary
    def PutStorage(
        self, request: outputs_pb2.PutStorageRequest, context: grpc.ServicerContext
    ) -> config_pb2.ConfigResult:
        storage = _body(request, "storage", "storage_config_invalid", "storage")
        return _result(ops.put_storage(self.engine.paths, call_from_proto(request.options), storage, self.engine.env))

    @coded_unary
    def AddStorageTarget(
        self, request: outputs_pb2.AddStorageTargetRequest, context: grpc.ServicerContext
    ) -> config_pb2.ConfigResult:
        target = _body(request, "target", "storage_config_invalid", "target")
        return _result(
            ops.add_target(
                self.engine.paths,
                call_from_proto(request.options),
                request.name,
                target,
                self.engine.env,
                archive=request.archive,
            )
        )

    @coded_unary
    def RemoveStorageTarget(
        self, request: outputs_pb2.RemoveStorageTargetRequest, context: grpc.ServicerContext
    ) -> config_pb2.ConfigResult:
        return _result(
            ops.remove_target(self.engine.paths, call_from_proto(request.options), request.name, self.engine.env)
        )

    @coded_unary
    def SetStoragePipeline(
        self, request: outputs_pb2.SetStoragePipelineRequest, context: grpc.ServicerContext
    ) -> config_pb2.ConfigResult:
        return _result(
            ops.set_pipeline(
                self.engine.paths,
                call_from_proto(request.options),
                request.mode,
                request.origin or None,
                list(request.archives),
                self.engine.env,
            )
        )

    @coded_unary
    def TestStorageTarget(
        self, request: outputs_pb2.TestStorageTargetRequest, context: grpc.ServicerContext
    ) -> outputs_pb2.StorageTestResult:
        target = optional_value(request, "target")
        out = ops.test_target(
            self.engine.paths,
            call_from_proto(request.options),
            request.name,
            target,
            self.engine.env,
            self.engine.history,
        )
        result = outputs_pb2.StorageTestResult(
            ok=out["ok"],
            target=out["target"],
            target_type=out["target_type"],
            message=out["message"],
            code=out.get("code") or "",
            unsupported=out["unsupported"],
            local_only=out["local_only"],
        )
        if out.get("detail") is not None:
            fill_value(result.detail, out["detail"])
        if "latency_ms" in out:
            result.latency_ms = out["latency_ms"]
        return result

    @coded_unary
    def PutNotifications(
        self, request: outputs_pb2.PutNotificationsRequest, context: grpc.ServicerContext
    ) -> config_pb2.ConfigResult:
        body = _body(request, "notifications", "notification_config_invalid", "notifications")
        return _result(
            ops.put_notifications(self.engine.paths, call_from_proto(request.options), body, self.engine.env)
        )

    @coded_unary
    def AddWebhook(
        self, request: outputs_pb2.AddWebhookRequest, context: grpc.ServicerContext
    ) -> config_pb2.ConfigResult:
        return _result(
            ops.add_webhook(
                self.engine.paths, call_from_proto(request.options), _webhook(request.webhook), self.engine.env
            )
        )

    @coded_unary
    def RemoveWebhook(
        self, request: outputs_pb2.RemoveWebhookRequest, context: grpc.ServicerContext
    ) -> config_pb2.ConfigResult:
        return _result(
            ops.remove_webhook(self.engine.paths, call_from_proto(request.options), request.id, self.engine.env)
        )

    @coded_unary
    def SetEmail(self, request: outputs_pb2.SetEmailRequest, context: grpc.ServicerContext) -> config_pb2.ConfigResult:
        return _result(
            ops.set_email(self.engine.paths, call_from_proto(request.options), _email(request.email), self.engine.env)
        )

    @coded_unary
    def TestNotifications(
        self, request: outputs_pb2.TestNotificationsRequest, context: grpc.ServicerContext
    ) -> outputs_pb2.NotificationTestResult:
        out = ops.test_notifications(
            self.engine.paths,
            call_from_proto(request.options),
            request.status or "completed",
            request.channel or None,
            self.engine.env,
        )
        return outputs_pb2.NotificationTestResult(
            ok=out["ok"],
            reason=out["reason"] or "",
            deliveries=[
                outputs_pb2.NotificationDelivery(
                    channel=d["channel"], name=d["name"], ok=d["ok"], message=d["message"], code=d.get("code") or ""
                )
                for d in out["deliveries"]
            ],
        )

    @coded_unary
    def GetNotificationCapabilities(
        self, request: outputs_pb2.GetNotificationCapabilitiesRequest, context: grpc.ServicerContext
    ) -> config_pb2.ConfigResult:
        return _result(ops.capabilities())

    @coded_unary
    def SetProxy(self, request: outputs_pb2.SetProxyRequest, context: grpc.ServicerContext) -> config_pb2.ConfigResult:
        proxy: dict[str, Any] = {"mode": request.mode or "system", "no_proxy": list(request.no_proxy)}
        if request.url:
            proxy["url"] = request.url
        return _result(
            ops.put_proxy(
                self.engine.paths,
                call_from_proto(request.options),
                proxy,
                self.engine.env,
                provider=request.provider or None,
            )
        )
