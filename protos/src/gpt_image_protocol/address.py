"""Engine addresses: `unix:///abs/path`, `unix:relative`, `host:port`, `[v6]:port`.

`resolve_address` applies the precedence --engine > GPT_IMAGE_2_ENGINE >
default socket, and tells the caller whether the default was used (only then
may a client autostart a daemon).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from gpt_image_protocol import paths
from gpt_image_protocol.errors import AppError


@dataclass(frozen=True)
class EngineAddress:
    kind: str  # "unix" | "tcp"
    target: str  # socket path or host:port
    is_default: bool = False

    @property
    def grpc_target(self) -> str:
        return f"unix://{self.target}" if self.kind == "unix" else self.target

    @property
    def host(self) -> str:
        if self.kind != "tcp":
            return ""
        host, _, _ = self.target.rpartition(":")
        return host.strip("[]")

    def __str__(self) -> str:
        return f"unix://{self.target}" if self.kind == "unix" else self.target


def parse_address(text: str) -> EngineAddress:
    value = text.strip()
    if not value:
        raise AppError("invalid_argument", "Engine address is empty.")
    if value.startswith("unix://"):
        path = value[len("unix://") :]
        if not path:
            raise AppError("invalid_argument", f"Engine address has no socket path: {text}")
        return EngineAddress("unix", os.path.abspath(os.path.expanduser(path)))
    if value.startswith("unix:"):
        return EngineAddress("unix", os.path.abspath(os.path.expanduser(value[len("unix:") :])))
    if value.startswith("/"):
        return EngineAddress("unix", value)
    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdigit() or not (0 < int(port) < 65536):
        raise AppError(
            "invalid_argument",
            f"Engine address must be unix:///path or host:port, got {text!r}.",
        )
    return EngineAddress("tcp", value)


def resolve_address(flag: str | None, env: dict[str, str] | None = None) -> EngineAddress:
    env = os.environ if env is None else env  # type: ignore[assignment]
    if flag and flag.strip():
        return parse_address(flag)
    from_env = (env.get("GPT_IMAGE_2_ENGINE") or "").strip()
    if from_env:
        return parse_address(from_env)
    return EngineAddress("unix", str(paths.default_socket_path(env)), is_default=True)
