"""Gateway settings from the environment (the upstream's names) and the bind policy.

`GPT_IMAGE_2_WEB_HOST` (127.0.0.1), `GPT_IMAGE_2_WEB_PORT` (8787), `GPT_IMAGE_2_WEB_TOKEN` (at least
32 characters), `GPT_IMAGE_2_WEB_ALLOWED_HOSTS` (the Host allow-list, always enforced),
`GPT_IMAGE_2_WEB_TRUSTED_PROXIES` (addresses whose X-Forwarded-For/-Proto are believed),
`GPT_IMAGE_2_WEB_ALLOW_UNAUTHENTICATED`, `GPT_IMAGE_2_WEB_DIST` (the page's folder),
`GPT_IMAGE_2_WEB_THREADS`, `GPT_IMAGE_2_WEB_SSE_MAX` / `GPT_IMAGE_2_WEB_SSE_PER_CLIENT` (event-stream
caps), `GPT_IMAGE_2_WEB_CHANNEL_TIMEOUT` (seconds a silent connection is kept) and
`GPT_IMAGE_2_KEY_ENV_ALLOWLIST` (engine variables a browser may name as a key source; the engine
applies its own copy too); the engine address comes from `--engine` / `GPT_IMAGE_2_ENGINE` with the
token/TLS variables of the CLI.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from gpt_image_protocol.errors import AppError

DEFAULT_ALLOWED_HOSTS = ("localhost", "127.0.0.1", "::1")
IMAGE_BODY_CAP = 64 * 1024 * 1024
DEFAULT_BODY_CAP = 2 * 1024 * 1024
SESSION_BODY_CAP = 4 * 1024
MIN_TOKEN_LENGTH = 32
DEFAULT_THREADS = 256
DEFAULT_SSE_PER_CLIENT = 64
DEFAULT_CHANNEL_TIMEOUT = 30
SESSION_TTL_S = 14 * 24 * 3600
SESSION_IDLE_S = 3 * 24 * 3600  # a weekend away keeps the session; a forgotten browser does not
UPLOAD_FILE_CAP = 50 * 1024 * 1024  # one image sent as a JSON byte array (the upstream app's edit)
TRUTHY = {"1", "true", "yes"}

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def default_static_dir() -> Path:
    """The page: `GPT_IMAGE_2_WEB_DIST`, else web/ packaged beside the code, else the checkout's web/."""
    packaged = Path(__file__).resolve().parent / "web"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[3] / "web"


def _names(value: str | None, lower: bool = True) -> list[str]:
    return [(n.strip().lower() if lower else n.strip()) for n in (value or "").split(",") if n.strip()]


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise AppError("invalid_argument", f"{name} must be an integer.", {"setting": name}) from None


def parse_networks(values: list[str]) -> tuple[Network, ...]:
    """IP addresses or CIDR blocks (`10.0.0.0/8`); a bad one is `invalid_argument`."""
    out = []
    for value in values:
        try:
            out.append(ipaddress.ip_network(value.strip().strip("[]"), strict=False))
        except ValueError:
            raise AppError(
                "invalid_argument", f"Not an IP address or network: {value}", {"setting": "trusted proxies"}
            ) from None
    return tuple(out)


@dataclass
class Settings:
    token: str = ""
    allowed_hosts: frozenset[str] = field(default_factory=lambda: frozenset(DEFAULT_ALLOWED_HOSTS))
    static_dir: Path = field(default_factory=default_static_dir)
    image_body_cap: int = IMAGE_BODY_CAP
    body_cap: int = DEFAULT_BODY_CAP
    session_body_cap: int = SESSION_BODY_CAP
    upload_cap: int = UPLOAD_FILE_CAP
    sse_heartbeat_s: float = 15.0
    threads: int = DEFAULT_THREADS
    sse_max: int = 0  # 0: the thread count less a reserve for every other request
    sse_per_client: int = DEFAULT_SSE_PER_CLIENT
    channel_timeout: int = DEFAULT_CHANNEL_TIMEOUT
    session_ttl_s: int = SESSION_TTL_S
    session_idle_s: int = SESSION_IDLE_S
    trusted_proxies: tuple[Network, ...] = ()
    key_env_allowlist: frozenset[str] = frozenset()

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        hosts = _names(env.get("GPT_IMAGE_2_WEB_ALLOWED_HOSTS"))
        static = (env.get("GPT_IMAGE_2_WEB_DIST") or "").strip()
        return cls(
            token=(env.get("GPT_IMAGE_2_WEB_TOKEN") or "").strip(),
            allowed_hosts=frozenset(hosts) if hosts else frozenset(DEFAULT_ALLOWED_HOSTS),
            static_dir=Path(static) if static else default_static_dir(),
            threads=_int(env, "GPT_IMAGE_2_WEB_THREADS", DEFAULT_THREADS),
            sse_max=_int(env, "GPT_IMAGE_2_WEB_SSE_MAX", 0),
            sse_per_client=_int(env, "GPT_IMAGE_2_WEB_SSE_PER_CLIENT", DEFAULT_SSE_PER_CLIENT),
            channel_timeout=_int(env, "GPT_IMAGE_2_WEB_CHANNEL_TIMEOUT", DEFAULT_CHANNEL_TIMEOUT),
            session_ttl_s=_int(env, "GPT_IMAGE_2_WEB_SESSION_TTL", SESSION_TTL_S),
            session_idle_s=_int(env, "GPT_IMAGE_2_WEB_SESSION_IDLE", SESSION_IDLE_S),
            trusted_proxies=parse_networks(_names(env.get("GPT_IMAGE_2_WEB_TRUSTED_PROXIES"))),
            key_env_allowlist=frozenset(_names(env.get("GPT_IMAGE_2_KEY_ENV_ALLOWLIST"), lower=False)),
        )

    @property
    def own_page(self) -> bool:
        """True when the page folder is this package's own web/ (its strict CSP fits it); False for
        another build served from GPT_IMAGE_2_WEB_DIST or --static-dir, such as the upstream app."""
        return self.static_dir.resolve() == default_static_dir().resolve()

    @property
    def sse_limit(self) -> int:
        """Open event streams in total: below the thread count, so other requests always find a thread."""
        reserve = max(4, self.threads // 8)
        ceiling = max(1, self.threads - reserve)
        return min(self.sse_max, ceiling) if self.sse_max > 0 else ceiling

    def check(self) -> None:
        """Refuse settings the gateway must not start with."""
        if self.token and len(self.token) < MIN_TOKEN_LENGTH:
            raise AppError(
                "web_token_too_short",
                f"GPT_IMAGE_2_WEB_TOKEN has {len(self.token)} characters; use at least {MIN_TOKEN_LENGTH} "
                "(e.g. `openssl rand -hex 32`).",
                {"length": len(self.token), "minimum": MIN_TOKEN_LENGTH},
            )
        for name, value in (("threads", self.threads), ("SSE per client", self.sse_per_client)):
            if value < 1:
                raise AppError("invalid_argument", f"The gateway's {name} must be at least 1.", {"setting": name})
        if self.channel_timeout < 1:
            raise AppError("invalid_argument", "GPT_IMAGE_2_WEB_CHANNEL_TIMEOUT must be at least 1 second.")
        for name, value in (
            ("GPT_IMAGE_2_WEB_SESSION_TTL", self.session_ttl_s),
            ("GPT_IMAGE_2_WEB_SESSION_IDLE", self.session_idle_s),
        ):
            if value < 1:
                raise AppError("invalid_argument", f"{name} must be at least 1 second.", {"setting": name})


def is_loopback(host: str) -> bool:
    """`localhost` or a loopback IP; the wildcard addresses 0.0.0.0 and :: are not."""
    name = host.strip().strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def bind_refusal(host: str, settings: Settings, env: Mapping[str, str] | None = None) -> str | None:
    """Why binding `host` is refused (None when allowed): non-loopback needs a token or the opt-out."""
    env = os.environ if env is None else env
    if is_loopback(host) or settings.token:
        return None
    if (env.get("GPT_IMAGE_2_WEB_ALLOW_UNAUTHENTICATED") or "").strip().lower() in TRUTHY:
        return None
    return (
        f"refusing to bind {host} without GPT_IMAGE_2_WEB_TOKEN; set a token, bind 127.0.0.1, "
        "or set GPT_IMAGE_2_WEB_ALLOW_UNAUTHENTICATED=1 to accept the risk"
    )
