"""gRPC channels to the engine: Unix socket (default) or TCP with TLS and a bearer token.

Client settings come from arguments, else the environment:

    GPT_IMAGE_2_ENGINE_TOKEN       bearer token (or GPT_IMAGE_2_ENGINE_TOKEN_FILE: a file holding it)
    GPT_IMAGE_2_ENGINE_CA_FILE     PEM roots that signed the engine's certificate (turns TLS on)
    GPT_IMAGE_2_ENGINE_TLS         1 = TLS with the system roots, 0 = plaintext (loopback only)
    GPT_IMAGE_2_ENGINE_CLIENT_CERT / _CLIENT_KEY   client certificate for an mTLS engine
    GPT_IMAGE_2_ENGINE_TLS_NAME    the name to verify in the engine's certificate, when it differs

TCP to a non-loopback host uses TLS unless told otherwise. A list of engines or
a `dns:///` name gets gRPC's `round_robin` policy (clients that address jobs use
`routing.EngineRouter`: one channel per engine instead). Keepalive pings keep long
WatchJob streams alive across idle NATs and load balancers; they are spaced no
tighter than the engine's `min_recv_ping_interval` so it never answers
"too many pings". Large messages never rely on raised limits: artifacts stream
in chunks.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc

from gpt_image_protocol.address import EngineAddress
from gpt_image_protocol.errors import AppError

CHUNK_SIZE = 1024 * 1024  # artifact chunk size; well under gRPC's 4 MiB default
TOKEN_METADATA_KEY = "authorization"
# Set by the web gateway on every engine call: the engine then applies the rules for remote
# callers (e.g. which environment variables may be named as key sources) even on the Unix socket.
VIA_METADATA_KEY = "x-gpt-image-2-via"
ROUND_ROBIN_CONFIG = json.dumps({"loadBalancingConfig": [{"round_robin": {}}]})

# Client keepalive: ping every 30 s while a call is open, give up after 10 s without an ack.
CLIENT_KEEPALIVE_OPTIONS: list[tuple[str, Any]] = [
    ("grpc.keepalive_time_ms", 30_000),
    ("grpc.keepalive_timeout_ms", 10_000),
    ("grpc.keepalive_permit_without_calls", 0),
    ("grpc.http2.max_pings_without_data", 0),
]

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


@dataclass(frozen=True)
class ClientSettings:
    """How a client reaches one engine address (never printed with the token)."""

    token: str | None = field(default=None, repr=False)
    token_source: str | None = None  # "argument" | "env" | "file:<path>"
    ca_file: str | None = None
    tls: bool = False
    client_cert: str | None = None
    client_key: str | None = None
    tls_name: str | None = None
    via: str | None = None  # "gateway": sent as x-gpt-image-2-via on every call

    def describe(self, address: EngineAddress) -> dict[str, Any]:
        """What `engine status` shows: transport, TLS and auth, without secrets."""
        if address.kind == "unix":
            return {"transport": "unix", "tls": False, "auth": "socket-permissions"}
        tls: dict[str, Any] | bool = False
        if self.tls:
            tls = {"roots": self.ca_file or "system", "mtls": bool(self.client_cert)}
            if self.tls_name:
                tls["server_name"] = self.tls_name
        return {
            "transport": "tcp",
            "engines": address.members,
            "load_balancing": "round_robin" if address.is_multi else None,
            "tls": tls,
            "auth": {"token": bool(self.token), "source": self.token_source} if self.token else "none",
        }


def _read_secret_file(path: str, what: str) -> str:
    try:
        value = Path(os.path.expanduser(path)).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise AppError(
            "engine_credentials_invalid", f"Cannot read the {what} file {path}: {exc}", {"path": path}
        ) from exc
    if not value:
        raise AppError("engine_credentials_invalid", f"The {what} file {path} is empty.", {"path": path})
    return value


def client_settings(
    address: EngineAddress,
    *,
    token: str | None = None,
    token_file: str | None = None,
    ca_file: str | None = None,
    tls: bool | None = None,
    env: Mapping[str, str] | None = None,
) -> ClientSettings:
    """Resolve token, TLS roots and client certificate: arguments first, then the environment."""
    if address.kind == "unix":
        return ClientSettings()  # the socket's 0600 mode is the authentication
    source_env: Mapping[str, str] = os.environ if env is None else env

    def get(name: str) -> str | None:
        return (source_env.get(name) or "").strip() or None

    token_source: str | None = "argument" if token else None
    if not token and token_file:
        token, token_source = _read_secret_file(token_file, "engine token"), f"file:{token_file}"
    if not token and get("GPT_IMAGE_2_ENGINE_TOKEN"):
        token, token_source = get("GPT_IMAGE_2_ENGINE_TOKEN"), "env"
    if not token and get("GPT_IMAGE_2_ENGINE_TOKEN_FILE"):
        path = get("GPT_IMAGE_2_ENGINE_TOKEN_FILE") or ""
        token, token_source = _read_secret_file(path, "engine token"), f"file:{path}"
    ca_file = ca_file or get("GPT_IMAGE_2_ENGINE_CA_FILE") or get("GPT_IMAGE_2_ENGINE_CA")
    if ca_file and not Path(os.path.expanduser(ca_file)).is_file():
        raise AppError("engine_credentials_invalid", f"The engine CA file does not exist: {ca_file}", {"path": ca_file})
    tls_env = (get("GPT_IMAGE_2_ENGINE_TLS") or "").lower()
    if tls is None:
        if ca_file or tls_env in _TRUE:
            tls = True
        elif tls_env in _FALSE:
            tls = False
        else:
            tls = not address.is_loopback  # off this machine: TLS unless explicitly refused
    cert, key = get("GPT_IMAGE_2_ENGINE_CLIENT_CERT"), get("GPT_IMAGE_2_ENGINE_CLIENT_KEY")
    if bool(cert) != bool(key):
        raise AppError(
            "engine_credentials_invalid",
            "GPT_IMAGE_2_ENGINE_CLIENT_CERT and GPT_IMAGE_2_ENGINE_CLIENT_KEY go together.",
        )
    return ClientSettings(
        token=token,
        token_source=token_source,
        ca_file=ca_file,
        tls=bool(tls),
        client_cert=cert,
        client_key=key,
        tls_name=get("GPT_IMAGE_2_ENGINE_TLS_NAME"),
    )


class _TokenAuth(grpc.AuthMetadataPlugin):
    def __init__(self, token: str) -> None:
        self._token = token

    def __call__(self, context: grpc.AuthMetadataContext, callback: grpc.AuthMetadataPluginCallback) -> None:
        callback(((TOKEN_METADATA_KEY, f"Bearer {self._token}"),), None)


class _MetadataInterceptor(
    grpc.UnaryUnaryClientInterceptor,  # type: ignore[misc]
    grpc.UnaryStreamClientInterceptor,  # type: ignore[misc]
    grpc.StreamUnaryClientInterceptor,  # type: ignore[misc]
    grpc.StreamStreamClientInterceptor,  # type: ignore[misc]
):
    """Adds fixed metadata to every call: the bearer token on plaintext channels (loopback TCP
    without TLS only) and the gateway's via mark."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self._pairs = pairs

    def _details(self, details):  # type: ignore[no-untyped-def]
        metadata = [*(details.metadata or []), *self._pairs]
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


def _read_pem(path: str, what: str) -> bytes:
    try:
        return Path(os.path.expanduser(path)).read_bytes()
    except OSError as exc:
        raise AppError("engine_credentials_invalid", f"Cannot read the {what} {path}: {exc}", {"path": path}) from exc


def channel_options(address: EngineAddress, settings: ClientSettings | None = None) -> list[tuple[str, Any]]:
    """The channel arguments for `address`: proxy off; keepalive, balancing and TLS name for TCP."""
    options: list[tuple[str, Any]] = [("grpc.enable_http_proxy", 0)]
    if address.kind == "unix":
        return options
    options += CLIENT_KEEPALIVE_OPTIONS
    if address.is_multi:
        options += [("grpc.lb_policy_name", "round_robin"), ("grpc.service_config", ROUND_ROBIN_CONFIG)]
    name = settings.tls_name if settings else None
    if settings is not None and settings.tls and (name or address.is_multi):
        # A list target has no single host name: verify the certificate against one.
        server_name = name or address.authority
        options += [("grpc.ssl_target_name_override", server_name), ("grpc.default_authority", server_name)]
    return options


def open_channel(
    address: EngineAddress,
    *,
    token: str | None = None,
    token_file: str | None = None,
    ca_file: str | None = None,
    tls: bool | None = None,
    settings: ClientSettings | None = None,
) -> grpc.Channel:
    """A channel to `address` with the token, TLS and keepalive its settings call for."""
    if settings is None:
        settings = client_settings(address, token=token, token_file=token_file, ca_file=ca_file, tls=tls)
    options = channel_options(address, settings)
    pairs = [(VIA_METADATA_KEY, settings.via)] if settings.via else []
    if address.kind == "unix":
        channel = grpc.insecure_channel(address.grpc_target, options=options)
    elif settings.tls:
        roots = _read_pem(settings.ca_file, "engine CA file") if settings.ca_file else None
        cert = _read_pem(settings.client_cert, "client certificate") if settings.client_cert else None
        key = _read_pem(settings.client_key, "client key") if settings.client_key else None
        creds = grpc.ssl_channel_credentials(root_certificates=roots, private_key=key, certificate_chain=cert)
        if settings.token:
            creds = grpc.composite_channel_credentials(
                creds, grpc.metadata_call_credentials(_TokenAuth(settings.token))
            )
        channel = grpc.secure_channel(address.grpc_target, creds, options=options)
    else:
        channel = grpc.insecure_channel(address.grpc_target, options=options)
        if settings.token:
            pairs.append((TOKEN_METADATA_KEY, f"Bearer {settings.token}"))
    return grpc.intercept_channel(channel, _MetadataInterceptor(pairs)) if pairs else channel


def _major_minor(text: str) -> tuple[int, int] | None:
    parts = str(text).strip().lstrip("v").split(".")
    try:
        return int(parts[0]), int(parts[1]) if len(parts) > 1 else 0
    except (ValueError, IndexError):
        return None


def check_contract(engine_info: Mapping[str, Any], client_contract: str | None = None) -> dict[str, Any]:
    """Compare the engine's GetVersion payload with this client's contract version.

    Uses the payload's `contract` when the engine reports one, else its `version`.
    Majors must match; while the major is 0 every minor may break, so minors must
    match too. Returns `{"client": ..., "engine": ..., "compatible": True}`, or
    raises `engine_incompatible` saying which side to upgrade.
    """
    from gpt_image_protocol import __version__ as protocol_version

    mine = client_contract or protocol_version
    theirs = str(engine_info.get("contract") or engine_info.get("version") or "")
    report: dict[str, Any] = {"client": mine, "engine": theirs or None, "compatible": True}
    a, b = _major_minor(mine), _major_minor(theirs)
    if a is None or b is None:
        report["compatible"] = None  # an engine too old to say; let the calls decide
        return report
    if a[0] != b[0] or (a[0] == 0 and a[1] != b[1]):
        newer = "engine" if b > a else "client"
        raise AppError(
            "engine_incompatible",
            f"The engine speaks contract {theirs} but this client speaks {mine}; "
            f"upgrade the {'client' if newer == 'engine' else 'engine'} so both share a "
            f"{'major' if a[0] or b[0] else 'major.minor'} version.",
            {"client_contract": mine, "engine_contract": theirs, "newer": newer},
        )
    return report
