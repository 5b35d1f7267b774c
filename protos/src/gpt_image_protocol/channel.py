"""gRPC channels to the engine: Unix socket (default) or TCP with optional TLS and a bearer token.

Tokens come from GPT_IMAGE_2_ENGINE_TOKEN; TLS roots from GPT_IMAGE_2_ENGINE_CA
(a PEM file). Large messages never rely on raised limits: artifacts stream in chunks.
"""

from __future__ import annotations

import os
from pathlib import Path

import grpc

from gpt_image_protocol.address import EngineAddress

CHUNK_SIZE = 1024 * 1024  # artifact chunk size; well under gRPC's 4 MiB default


class _TokenAuth(grpc.AuthMetadataPlugin):
    def __init__(self, token: str) -> None:
        self._token = token

    def __call__(self, context: grpc.AuthMetadataContext, callback: grpc.AuthMetadataPluginCallback) -> None:
        callback((("authorization", f"Bearer {self._token}"),), None)


class _TokenInterceptor(grpc.UnaryUnaryClientInterceptor, grpc.UnaryStreamClientInterceptor, grpc.StreamUnaryClientInterceptor, grpc.StreamStreamClientInterceptor):  # type: ignore[misc]
    """Adds the bearer token on insecure channels (loopback TCP without TLS)."""

    def __init__(self, token: str) -> None:
        self._token = token

    def _details(self, details):  # type: ignore[no-untyped-def]
        metadata = list(details.metadata or [])
        metadata.append(("authorization", f"Bearer {self._token}"))
        return details._replace(metadata=metadata) if hasattr(details, "_replace") else _Details(details, metadata)

    def intercept_unary_unary(self, continuation, details, request):  # type: ignore[no-untyped-def]
        return continuation(self._details(details), request)

    def intercept_unary_stream(self, continuation, details, request):  # type: ignore[no-untyped-def]
        return continuation(self._details(details), request)

    def intercept_stream_unary(self, continuation, details, request_iterator):  # type: ignore[no-untyped-def]
        return continuation(self._details(details), request_iterator)

    def intercept_stream_stream(self, continuation, details, request_iterator):  # type: ignore[no-untyped-def]
        return continuation(self._details(details), request_iterator)


class _Details(grpc.ClientCallDetails):  # type: ignore[misc]
    def __init__(self, base: grpc.ClientCallDetails, metadata: list[tuple[str, str]]) -> None:
        self.method = base.method
        self.timeout = base.timeout
        self.metadata = metadata
        self.credentials = base.credentials
        self.wait_for_ready = getattr(base, "wait_for_ready", None)
        self.compression = getattr(base, "compression", None)


def open_channel(
    address: EngineAddress,
    *,
    token: str | None = None,
    ca_file: str | None = None,
    tls: bool | None = None,
) -> grpc.Channel:
    token = token if token is not None else os.environ.get("GPT_IMAGE_2_ENGINE_TOKEN", "").strip() or None
    ca_file = ca_file if ca_file is not None else os.environ.get("GPT_IMAGE_2_ENGINE_CA", "").strip() or None
    options = [("grpc.enable_http_proxy", 0)]
    if address.kind == "unix":
        channel = grpc.insecure_channel(address.grpc_target, options=options)
    else:
        use_tls = tls if tls is not None else bool(ca_file) or os.environ.get("GPT_IMAGE_2_ENGINE_TLS", "") in {"1", "true", "yes"}
        if use_tls:
            roots = Path(ca_file).read_bytes() if ca_file else None
            creds = grpc.ssl_channel_credentials(root_certificates=roots)
            if token:
                creds = grpc.composite_channel_credentials(creds, grpc.metadata_call_credentials(_TokenAuth(token)))
            return grpc.secure_channel(address.grpc_target, creds, options=options)
        channel = grpc.insecure_channel(address.grpc_target, options=options)
    if token:
        channel = grpc.intercept_channel(channel, _TokenInterceptor(token))
    return channel
