"""Gateway settings from the environment (the upstream's names) and the bind policy.

`GPT_IMAGE_2_WEB_HOST` (127.0.0.1), `GPT_IMAGE_2_WEB_PORT` (8787), `GPT_IMAGE_2_WEB_TOKEN`,
`GPT_IMAGE_2_WEB_ALLOWED_HOSTS`, `GPT_IMAGE_2_WEB_ALLOW_UNAUTHENTICATED`, `GPT_IMAGE_2_WEB_DIST`
(the page's folder), `GPT_IMAGE_2_WEB_THREADS`; the engine address comes from `--engine` /
`GPT_IMAGE_2_ENGINE` with the token/TLS variables of the CLI.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_ALLOWED_HOSTS = ("localhost", "127.0.0.1", "::1")
IMAGE_BODY_CAP = 64 * 1024 * 1024
DEFAULT_BODY_CAP = 2 * 1024 * 1024
UPLOAD_FILE_CAP = 50 * 1024 * 1024  # one image sent as a JSON byte array (the upstream app's edit)
TRUTHY = {"1", "true", "yes"}


def default_static_dir() -> Path:
    """The page: `GPT_IMAGE_2_WEB_DIST`, else web/ packaged beside the code, else the checkout's web/."""
    packaged = Path(__file__).resolve().parent / "web"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[3] / "web"


@dataclass
class Settings:
    token: str = ""
    allowed_hosts: frozenset[str] = field(default_factory=lambda: frozenset(DEFAULT_ALLOWED_HOSTS))
    static_dir: Path = field(default_factory=default_static_dir)
    image_body_cap: int = IMAGE_BODY_CAP
    body_cap: int = DEFAULT_BODY_CAP
    upload_cap: int = UPLOAD_FILE_CAP
    sse_heartbeat_s: float = 15.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        hosts = [h.strip().lower() for h in (env.get("GPT_IMAGE_2_WEB_ALLOWED_HOSTS") or "").split(",") if h.strip()]
        static = (env.get("GPT_IMAGE_2_WEB_DIST") or "").strip()
        return cls(
            token=(env.get("GPT_IMAGE_2_WEB_TOKEN") or "").strip(),
            allowed_hosts=frozenset(hosts) if hosts else frozenset(DEFAULT_ALLOWED_HOSTS),
            static_dir=Path(static) if static else default_static_dir(),
        )


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
