"""The provider seam: one small interface every provider module implements.

A provider turns an `ImageJob` into image bytes, emitting progress on the job
context and honouring the retry policy. Selection (`providers.selection`)
produces the `ResolvedProvider` a provider is built from. Adding a provider
is one module plus one line in `providers.registry`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from gpt_image_engine.jobs.context import JobContext

DEFAULT_OPENAI_API_BASE = "https://api.openai.com/v1"
DEFAULT_CODEX_ENDPOINT = "https://chatgpt.com/backend-api/codex/responses"
DEFAULT_OPENAI_MODEL = "gpt-image-2"
DEFAULT_CODEX_MODEL = "gpt-5.4"
DEFAULT_INSTRUCTIONS = "You are a concise assistant."
DEFAULT_TOKEN_URL = "https://auth.openai.com/oauth/token"
CODEX_CLIENT_ID = "app_EMoamEEZ73f0CkXaXp7hrann"


@dataclass
class RetryPolicy:
    """Upstream policy: 3 retries, delays 1/2/4 s, 300 s per request."""

    max_retries: int = 3
    base_delay_seconds: float = 1.0
    request_timeout_seconds: float = 300.0
    retry_after_cap_seconds: float = 60.0

    def delay_for(self, retry_number: int) -> float:
        return float(self.base_delay_seconds * (2 ** (retry_number - 1)))


@dataclass
class InputImage:
    """An input image already in the engine: bytes, MIME type and a part name.

    `url` keeps an http(s) URL the user gave, for providers that pass URLs through.
    """

    data: bytes
    mime: str
    name: str
    url: str | None = None


@dataclass
class ImageJob:
    operation: str  # "generate" | "edit"
    prompt: str
    model: str | None = None
    instructions: str | None = None
    background: str = "auto"
    size: str | None = None
    quality: str | None = None
    output_format: str | None = None
    compression: int | None = None
    n: int | None = None
    moderation: str | None = None
    input_fidelity: str | None = None
    refs: list[InputImage] = field(default_factory=list)
    mask: InputImage | None = None
    partial_images: int = 0


@dataclass
class ResolvedProvider:
    """The outcome of provider selection, plus the credentials to call it.

    `kind` is "openai" (OpenAI and every OpenAI-compatible base) or "codex".
    Secrets live only here, never in payloads: `selection_payload()` and
    `auth_payload()` carry labels.
    """

    name: str
    kind: str
    requested: str
    reason: str
    model: str
    supports_n: bool
    edit_region_mode: str
    api_base: str = DEFAULT_OPENAI_API_BASE
    endpoint: str = DEFAULT_CODEX_ENDPOINT
    api_key: str | None = None
    auth_source: str = "missing"  # flag | env | file | env:VAR | keychain:ACC | auth.json | config
    # Codex
    auth_file: Path | None = None
    access_token: str | None = None
    refresh_token: str | None = None
    account_id: str | None = None
    token_url: str = DEFAULT_TOKEN_URL
    config_file: Path | None = None
    config_entry: dict[str, Any] | None = None

    def selection_payload(self) -> dict[str, Any]:
        return {
            "requested": self.requested,
            "resolved": self.name,
            "kind": "codex" if self.kind == "codex" else "openai-compatible",
            "reason": self.reason,
            "supports_n": self.supports_n,
            "edit_region_mode": self.edit_region_mode,
        }


@dataclass
class ProviderOutput:
    images: list[bytes]
    request: dict[str, Any]
    response: dict[str, Any]
    auth: dict[str, Any]
    retry_count: int = 0
    raw: Any = None


class Provider(Protocol):
    def run_image(self, job: ImageJob, ctx: JobContext, retry: RetryPolicy) -> ProviderOutput:
        """Generate or edit (job.operation) and return decoded images."""
        ...

    def run_raw(
        self, body: dict[str, Any], operation: str, ctx: JobContext, retry: RetryPolicy, expect_image: bool
    ) -> ProviderOutput:
        """`request create`: send a caller-built body verbatim."""
        ...
