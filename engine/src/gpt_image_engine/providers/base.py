"""The provider seam: one small interface every provider module implements.

A provider turns an `ImageJob` into image bytes in one attempt, reporting progress
through the narrow `ProviderContext` it is handed (events, cancellation, partial
previews, the response spool) and never importing the job machinery. Retries wrap it
from outside (`providers.registry`, with the caller's `RetryPolicy`). Selection
(`providers.selection`) produces the `ResolvedProvider` a provider is built from: its
`Capabilities` (what callers may ask of it, instead of checking its kind) and its
provider-specific settings (`OpenAISettings` or `CodexSettings`). Adding a provider is
one module plus one line in `providers.registry`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from gpt_image_engine.security.keyenv import BUILTIN_OPENAI_API_BASE

DEFAULT_OPENAI_API_BASE = BUILTIN_OPENAI_API_BASE
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


NATIVE_MASK = "native-mask"
REFERENCE_HINT = "reference-hint"


@dataclass(frozen=True)
class Capabilities:
    """What a resolved provider can do; callers ask this, never the provider's kind.

    Each provider module declares its defaults; a config entry may narrow or widen
    `native_n` (`supports_n`) and `edit_region_mode`."""

    label: str  # how messages name the kind: "OpenAI", "Codex"
    native_n: bool  # takes `n` in one request (else the registry batches single requests)
    edit_region_mode: str  # native-mask | reference-hint
    partial_previews: bool  # streams partial images (--partial-images)
    moderation: bool  # takes --moderation
    input_fidelity: bool  # takes --input-fidelity
    instructions: bool  # takes --instructions
    transparent_background: bool  # takes --background transparent
    request_operations: tuple[str, ...]  # what `request create --request-operation` it speaks
    payload_kind: str  # `provider_selection.kind`: "openai-compatible", "codex"
    output_label: str | None = None  # the provider `output_saved` names; None: the resolved name

    @property
    def masks(self) -> bool:
        return self.edit_region_mode == NATIVE_MASK


@dataclass
class OpenAISettings:
    """How to reach an OpenAI-kind provider (OpenAI or any compatible base URL)."""

    api_base: str = DEFAULT_OPENAI_API_BASE
    api_key: str | None = None

    @property
    def url(self) -> str:
        return self.api_base

    def secrets(self) -> list[str | None]:
        return [self.api_key]


@dataclass
class CodexSettings:
    """How to reach the Codex responses endpoint: its auth file, or tokens from a config entry."""

    endpoint: str = DEFAULT_CODEX_ENDPOINT
    auth_file: Path | None = None
    access_token: str | None = None
    refresh_token: str | None = None
    account_id: str | None = None
    token_url: str = DEFAULT_TOKEN_URL

    @property
    def url(self) -> str:
        return self.endpoint

    def secrets(self) -> list[str | None]:
        return [self.access_token, self.refresh_token]


@dataclass
class ResolvedProvider:
    """The outcome of provider selection, plus the settings (and credentials) to call it.

    `kind` ("openai" for OpenAI and every OpenAI-compatible base, or "codex") only picks
    the module in `providers.registry`; everyone else reads `capabilities`. Secrets live
    only in `settings`, never in payloads: `selection_payload()` carries labels.
    """

    name: str
    kind: str
    requested: str
    reason: str
    model: str
    capabilities: Capabilities
    settings: OpenAISettings | CodexSettings
    auth_source: str = "missing"  # flag | env | file | env:VAR | keychain:ACC | auth.json | config
    config_file: Path | None = None
    config_entry: dict[str, Any] | None = None

    @property
    def supports_n(self) -> bool:
        return self.capabilities.native_n

    @property
    def edit_region_mode(self) -> str:
        return self.capabilities.edit_region_mode

    @property
    def output_label(self) -> str:
        """The provider name `output_saved` carries (the upstream names Codex by its kind)."""
        return self.capabilities.output_label or self.name

    @property
    def url(self) -> str:
        """The base URL or endpoint this provider's requests go to."""
        return self.settings.url

    def selection_payload(self) -> dict[str, Any]:
        return {
            "requested": self.requested,
            "resolved": self.name,
            "kind": self.capabilities.payload_kind,
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


class ProviderContext(Protocol):
    """All a provider sees of the job it works for (the job manager's `LiveJob` is one)."""

    @property
    def cancel_event(self) -> threading.Event:
        """Set when the job is cancelled (a `CancelEvent` also calls back on cancel)."""
        ...

    def emit(self, kind: str, type_: str, data: dict[str, Any]) -> int:
        """Record one event (redacted, persisted, fanned out). Returns its seq."""
        ...

    def progress(
        self, provider: str, phase: str, status: str, message: str, percent: int | None = None, **extra: Any
    ) -> int:
        """An upstream-shaped progress event (kind "progress", type = phase)."""
        ...

    def check_cancelled(self) -> None:
        """Raise AppError("job_cancelled") once the job has been cancelled."""
        ...

    def on_partial_image(self, index: int, data: bytes) -> None:
        """A streamed partial preview arrived (kept by the job, if it keeps them)."""
        ...

    def spool(self, chunks: Iterable[bytes]) -> Path | bytes | None:
        """Write a response body into the job's keeping as it arrives (consuming `chunks`):
        the file, the bytes when the disk filled up, or None (untouched) when the job keeps
        no responses."""
        ...


class Provider(Protocol):
    """One provider kind. Each call is one attempt (the registry retries from outside)."""

    #: The provider name its own events carry ("openai", "codex").
    event_name: str

    def check(self, job: ImageJob) -> None:
        """Refuse what this provider cannot do with `job`, before any network."""
        ...

    def run_image(self, job: ImageJob, ctx: ProviderContext, timeout: float) -> ProviderOutput:
        """Generate or edit (job.operation) and return decoded images."""
        ...

    def run_raw(
        self, body: dict[str, Any], operation: str, ctx: ProviderContext, timeout: float, expect_image: bool
    ) -> ProviderOutput:
        """`request create`: send a caller-built body verbatim."""
        ...

    def secrets(self) -> list[str | None]:
        """The credentials in use now (a refresh rotates them), to scrub from every error."""
        ...
