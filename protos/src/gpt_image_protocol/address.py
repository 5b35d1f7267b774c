"""Engine addresses: `unix:///abs/path`, `unix:relative`, `host:port`, `[v6]:port`,
a list `host1:port,host2:port` (several engines), or `dns:///name:port`.

`resolve_address` applies the precedence --engine > GPT_IMAGE_2_ENGINE >
default socket, and tells the caller whether the default was used (only then
may a client autostart a daemon). A list or a `dns:` name is balanced by
gRPC's `round_robin` policy (see `channel.open_channel`); `engines()` splits
such an address into one address per engine for clients that must pin a
sequence of calls (upload, work, download) to the engine that owns a job
(`gpt_image_protocol.routing.EngineRouter` does that routing).
"""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass

from gpt_image_protocol import paths
from gpt_image_protocol.errors import AppError

_LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}


def _split_host_port(value: str) -> tuple[str, str]:
    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdigit() or not (0 < int(port) < 65536):
        raise AppError(
            "invalid_argument",
            f"Engine address must be unix:///path, host:port, host1:port,host2:port or dns:///name:port, got {value!r}.",
        )
    return host.strip("[]"), port


def is_loopback_host(host: str) -> bool:
    """Whether `host` names this machine only (127/8, ::1, localhost)."""
    name = host.strip("[]").lower()
    if name in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _ip_version(host: str) -> int | None:
    try:
        return ipaddress.ip_address(host).version
    except ValueError:
        return None


@dataclass(frozen=True)
class EngineAddress:
    kind: str  # "unix" | "tcp"
    target: str  # socket path, host:port, "h1:p1,h2:p2" or "dns:///name:port"
    is_default: bool = False

    @property
    def is_dns(self) -> bool:
        return self.kind == "tcp" and self.target.startswith("dns:")

    @property
    def members(self) -> list[str]:
        """The `host:port` items of a TCP address (one, several, or the dns name)."""
        if self.kind != "tcp":
            return []
        if self.is_dns:
            return [self.target.split("/", 3)[-1]]
        return [item.strip() for item in self.target.split(",") if item.strip()]

    @property
    def is_multi(self) -> bool:
        """Whether gRPC balances this address over several engines."""
        return self.kind == "tcp" and (self.is_dns or len(self.members) > 1)

    @property
    def hosts(self) -> list[str]:
        return [_split_host_port(m)[0] for m in self.members]

    @property
    def host(self) -> str:
        hosts = self.hosts
        return hosts[0] if hosts else ""

    @property
    def is_loopback(self) -> bool:
        """A Unix socket, or TCP whose every host is a loopback address."""
        if self.kind == "unix":
            return True
        return bool(self.hosts) and all(is_loopback_host(h) for h in self.hosts)

    @property
    def grpc_target(self) -> str:
        if self.kind == "unix":
            return f"unix://{self.target}"
        if self.is_dns or len(self.members) == 1:
            return self.target
        versions = {_ip_version(h) for h in self.hosts}
        if versions == {4}:
            return "ipv4:" + ",".join(self.members)
        if versions == {6}:
            return "ipv6:" + ",".join(
                f"[{h}]:{_split_host_port(m)[1]}" for h, m in zip(self.hosts, self.members, strict=True)
            )
        # Names (or a mix of families): resolve now into one list gRPC can balance.
        resolved = _resolve_all(self.members)
        if all(":" not in ip for ip, _ in resolved):
            return "ipv4:" + ",".join(f"{ip}:{port}" for ip, port in resolved)
        return "ipv6:" + ",".join(f"[{_v6(ip)}]:{port}" for ip, port in resolved)

    @property
    def authority(self) -> str:
        """The name TLS verifies for a list or dns address: its first host."""
        return self.host

    def engines(self) -> list[EngineAddress]:
        """One single-engine address per member (a `dns:` name is resolved now)."""
        if self.kind == "unix" or not self.is_multi:
            return [self]
        if self.is_dns:
            return [EngineAddress("tcp", _join(ip, port)) for ip, port in _resolve_all(self.members)]
        return [EngineAddress("tcp", m) for m in self.members]

    def __str__(self) -> str:
        return f"unix://{self.target}" if self.kind == "unix" else self.target


def _join(host: str, port: str | int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _v6(ip: str) -> str:
    return ip if ":" in ip else f"::ffff:{ip}"


def _resolve_all(members: list[str]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for member in members:
        host, port = _split_host_port(member)
        try:
            infos = socket.getaddrinfo(host, int(port), socket.AF_UNSPEC, socket.SOCK_STREAM)
        except OSError as exc:
            raise AppError("engine_unavailable", f"Could not resolve engine host {host!r}: {exc}") from exc
        for info in infos:
            ip = str(info[4][0])
            if (ip, port) not in out:
                out.append((ip, port))
    return out


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
    if value.startswith("dns:"):
        rest = value[len("dns:") :]
        name = rest.split("/", 3)[-1] if rest.startswith("//") else rest
        _split_host_port(name)
        return EngineAddress("tcp", value if rest.startswith("//") else f"dns:///{name}")
    members = [item.strip() for item in value.split(",") if item.strip()]
    if not members:
        raise AppError("invalid_argument", f"Engine address is empty: {text!r}")
    for member in members:
        _split_host_port(member)
    return EngineAddress("tcp", ",".join(members))


def resolve_address(flag: str | None, env: dict[str, str] | None = None) -> EngineAddress:
    source: Mapping[str, str] = os.environ if env is None else env
    if flag and flag.strip():
        return parse_address(flag)
    from_env = (source.get("GPT_IMAGE_2_ENGINE") or "").strip()
    if from_env:
        return parse_address(from_env)
    return EngineAddress("unix", str(paths.default_socket_path(env)), is_default=True)
