"""Server interceptor: the bearer token on every TCP call except grpc.health.v1.

Calls arriving on the Unix socket (peer `unix:`) pass: the socket's 0600 mode
already limits them to the engine's user. Every other call must carry
`authorization: Bearer <token>`; otherwise it ends with UNAUTHENTICATED and an
ErrorInfo whose reason is `engine_unauthenticated`, so clients map it to the
same envelope as any other coded error. Health stays open so load balancers
and Kubernetes `grpc:` probes need no secret. The wrapped handler keeps the
method's streaming shape, so streaming methods are rejected the same way.

`CallerInterceptor` (always installed) tells handlers who is calling: the
engine's own user on the Unix socket, a TCP client, or the web gateway (which
marks its calls with `x-gpt-image-2-via: gateway`); see `security.keyenv`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import grpc

from gpt_image_engine.security import keyenv
from gpt_image_engine.security.auth import TokenCheck
from gpt_image_protocol.channel import VIA_METADATA_KEY
from gpt_image_protocol.errors import AppError
from gpt_image_protocol.rpc_errors import abort

OPEN_PREFIXES = ("/grpc.health.v1.Health/",)


def remote_paths_allowed() -> bool:
    return os.environ.get("GPT_IMAGE_2_ALLOW_REMOTE_PATHS", "").strip().lower() in {"1", "true", "yes"}


def _metadata_value(context: grpc.ServicerContext, key: str) -> str | None:
    for item in context.invocation_metadata() or ():
        if item.key == key:
            value = item.value
            return value.decode("latin-1") if isinstance(value, bytes) else str(value)
    return None


class TokenAuthInterceptor(grpc.ServerInterceptor):  # type: ignore[misc]
    def __init__(self, check: TokenCheck) -> None:
        self._check = check

    def _allowed(self, context: grpc.ServicerContext) -> bool:
        if context.peer().startswith("unix:"):
            return True
        return self._check.allows(_metadata_value(context, "authorization"))

    def _guard(self, behaviour: Callable[..., Any], streaming_response: bool) -> Callable[..., Any]:
        def check_paths(request: Any, context: grpc.ServicerContext) -> None:
            # A remote client must not make the engine read or rewrite files of its choosing on the
            # engine host (--config / --auth-file). The operator can allow it explicitly.
            if context.peer().startswith("unix:") or remote_paths_allowed():
                return
            options = getattr(request, "options", None)
            if options is not None and (options.config_file or options.auth_file):
                abort(
                    context,
                    AppError(
                        "invalid_argument",
                        "--config and --auth-file name files on the engine host and are refused over TCP "
                        "(the engine's operator may allow them with GPT_IMAGE_2_ALLOW_REMOTE_PATHS=1).",
                    ),
                )

        def refuse(context: grpc.ServicerContext) -> None:
            abort(
                context,
                AppError(
                    "engine_unauthenticated",
                    "The engine refused the call: missing or wrong bearer token "
                    "(set GPT_IMAGE_2_ENGINE_TOKEN or --engine-token-file).",
                ),
            )

        if streaming_response:

            def guarded_stream(request: Any, context: grpc.ServicerContext) -> Any:
                if not self._allowed(context):
                    refuse(context)
                check_paths(request, context)
                yield from behaviour(request, context)

            return guarded_stream

        def guarded(request: Any, context: grpc.ServicerContext) -> Any:
            if not self._allowed(context):
                refuse(context)
            check_paths(request, context)
            return behaviour(request, context)

        return guarded

    def intercept_service(
        self, continuation: Callable[[grpc.HandlerCallDetails], grpc.RpcMethodHandler], details: grpc.HandlerCallDetails
    ) -> grpc.RpcMethodHandler | None:
        handler = continuation(details)
        if handler is None or details.method.startswith(OPEN_PREFIXES):
            return handler
        return rewrap(handler, self._guard)


def caller_kind(context: grpc.ServicerContext) -> str | None:
    """None for the engine's own user (Unix socket, not via the gateway), else "gateway" or "tcp"."""
    if (_metadata_value(context, VIA_METADATA_KEY) or "").strip().lower() == "gateway":
        return "gateway"
    return None if context.peer().startswith("unix:") else "tcp"


class CallerInterceptor(grpc.ServerInterceptor):  # type: ignore[misc]
    """Runs every handler with its caller's kind set, for the key-source rules of `security.keyenv`."""

    @staticmethod
    def _wrap(behaviour: Callable[..., Any], streaming_response: bool) -> Callable[..., Any]:
        if streaming_response:

            def stream(request: Any, context: grpc.ServicerContext) -> Any:
                with keyenv.caller(caller_kind(context)):
                    yield from behaviour(request, context)

            return stream

        def unary(request: Any, context: grpc.ServicerContext) -> Any:
            with keyenv.caller(caller_kind(context)):
                return behaviour(request, context)

        return unary

    def intercept_service(
        self, continuation: Callable[[grpc.HandlerCallDetails], grpc.RpcMethodHandler], details: grpc.HandlerCallDetails
    ) -> grpc.RpcMethodHandler | None:
        handler = continuation(details)
        if handler is None or details.method.startswith(OPEN_PREFIXES):
            return handler
        return rewrap(handler, self._wrap)


def rewrap(
    handler: grpc.RpcMethodHandler, wrap: Callable[[Callable[..., Any], bool], Callable[..., Any]]
) -> grpc.RpcMethodHandler:
    """The same method handler with its behaviour wrapped, keeping the streaming shape."""
    rq, rs = handler.request_streaming, handler.response_streaming
    if rq and rs:
        return grpc.stream_stream_rpc_method_handler(
            wrap(handler.stream_stream, True), handler.request_deserializer, handler.response_serializer
        )
    if rq:
        return grpc.stream_unary_rpc_method_handler(
            wrap(handler.stream_unary, False), handler.request_deserializer, handler.response_serializer
        )
    if rs:
        return grpc.unary_stream_rpc_method_handler(
            wrap(handler.unary_stream, True), handler.request_deserializer, handler.response_serializer
        )
    return grpc.unary_unary_rpc_method_handler(
        wrap(handler.unary_unary, False), handler.request_deserializer, handler.response_serializer
    )
