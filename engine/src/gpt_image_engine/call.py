"""Per-call options as the domain sees them (mirror of the proto's CallOptions).

Forwarded credentials live here for the duration of one call only.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Call:
    provider: str = "auto"
    api_key: str | None = None  # --api-key (source "flag")
    openai_api_base: str | None = None  # --openai-api-base
    config_file: str | None = None  # --config
    auth_file: str | None = None  # --auth-file
    endpoint: str | None = None  # --endpoint
    env_openai_api_key: str | None = None  # client's OPENAI_API_KEY (source "env")
    env_openai_base_url: str | None = None  # client's OPENAI_BASE_URL

    @property
    def requested_provider(self) -> str:
        value = (self.provider or "").strip()
        return value or "auto"


def call_from_proto(options: object | None) -> Call:
    """Build a Call from a gpt_image.v1.CallOptions message (or None)."""
    if options is None:
        return Call()

    def text(name: str) -> str | None:
        value = getattr(options, name, "") or ""
        value = value.strip()
        return value or None

    return Call(
        provider=text("provider") or "auto",
        api_key=text("api_key"),
        openai_api_base=text("openai_api_base"),
        config_file=text("config_file"),
        auth_file=text("auth_file"),
        endpoint=text("endpoint"),
        env_openai_api_key=text("env_openai_api_key"),
        env_openai_base_url=text("env_openai_base_url"),
    )
