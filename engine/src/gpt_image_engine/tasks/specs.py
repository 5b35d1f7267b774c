"""One typed, stored spec per operation: what a job was asked to do, validated once.

A servicer turns a request message into one of these (every check of the user's input runs
in `__post_init__`, with the coded errors the commands have always given); the use case in
`tasks/` plans and runs it; `to_dict()` is what the job folder keeps (`spec.json`), so
`jobs retry`, `resume --action resubmit|fill_missing` and another engine of a cluster rebuild
the same work from it (`tasks.run.plan`). A stored spec never holds a secret: the call's keys
are dropped and its URLs lose userinfo and query values (a re-run takes the new call's
options anyway). Input images are `ImageSource`s: an artifact id (an upload, or the copy kept
in the job folder) or a URL, never bytes.

    GenerateSpec, EditSpec             images generate | edit
    RequestSpec                        request create
    ExtractSpec, VerifySpec            transparent extract | verify
    TransparentGenerateSpec            transparent generate
    ContinueSaveSpec, ReuploadSpec     jobs resume --action continue_save | reupload
"""

from __future__ import annotations

import dataclasses
import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from gpt_image_engine.call import Call
from gpt_image_engine.errors import AppError
from gpt_image_engine.providers.base import RetryPolicy
from gpt_image_engine.security.redaction import redact_url
from gpt_image_engine.store.artifacts import publish_written
from gpt_image_engine.store.atomic import atomic_write_bytes
from gpt_image_protocol import validation

SPEC_VERSION = 1
SPEC_FILE = "spec.json"

PROFILES = validation.PROFILES
MATERIALS = validation.MATERIALS
EXTRACT_METHODS = validation.METHODS
REQUEST_OPERATIONS = ("responses", "generate", "edit")

T = TypeVar("T")
S = TypeVar("S", bound="Spec")


def _set(obj: Any, name: str, value: Any) -> None:
    object.__setattr__(obj, name, value)  # normalising a frozen dataclass in __post_init__


# --- parts shared by several specs


_CALL_SECRETS = ("api_key", "env_openai_api_key")
_CALL_URLS = ("openai_api_base", "endpoint", "env_openai_base_url")


def call_to_dict(call: Call) -> dict[str, Any]:
    """The call as stored: no keys, URLs without userinfo or query values."""
    out: dict[str, Any] = {}
    for f in fields(call):
        value = getattr(call, f.name)
        if value is None or f.name in _CALL_SECRETS:
            continue
        out[f.name] = redact_url(value) if f.name in _CALL_URLS else value
    return out


def call_from_dict(data: Mapping[str, Any] | None) -> Call:
    known = {f.name for f in fields(Call)} - set(_CALL_SECRETS)
    return Call(**{k: v for k, v in (data or {}).items() if k in known and isinstance(v, str)})


@dataclass(frozen=True)
class RetrySettings:
    """`--retries`, `--retry-delay-seconds`, `--request-timeout-seconds` as given (None: default)."""

    retries: int | None = None
    retry_delay_seconds: float | None = None
    request_timeout_seconds: float | None = None

    def __post_init__(self) -> None:
        if self.retries is not None and not 0 <= self.retries <= 10:
            raise AppError("invalid_argument", "--retries must be between 0 and 10.")
        if self.retry_delay_seconds is not None and not 0 <= self.retry_delay_seconds <= 300:
            raise AppError("invalid_argument", "--retry-delay-seconds must be between 0 and 300.")
        if self.request_timeout_seconds is not None and not 0 < self.request_timeout_seconds <= 3600:
            raise AppError("invalid_argument", "--request-timeout-seconds must be between 0 and 3600.")

    def policy(self) -> RetryPolicy:
        policy = RetryPolicy()
        if self.retries is not None:
            policy.max_retries = self.retries
        if self.retry_delay_seconds is not None:
            policy.base_delay_seconds = self.retry_delay_seconds
        if self.request_timeout_seconds is not None:
            policy.request_timeout_seconds = self.request_timeout_seconds
        return policy


@dataclass(frozen=True)
class ImageSource:
    """An input image: an artifact id (`u-…/name` upload or `<job>/<file>` kept copy) or a URL."""

    artifact_id: str | None = None
    url: str | None = None

    def __post_init__(self) -> None:
        if self.artifact_id and self.url:
            raise AppError("ref_image_invalid", "An image source is either an uploaded artifact or a URL, not both.")

    @property
    def empty(self) -> bool:
        return not self.artifact_id and not self.url


def _check_profile(profile: str) -> None:
    if profile not in PROFILES:
        raise AppError("invalid_command", f"--profile must be one of {', '.join(PROFILES)}.")


@dataclass(frozen=True)
class ImageOptions:
    """The image flags of `images generate|edit` and `transparent generate`, checked and normalised."""

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
    partial_images: int = 0
    client_out: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.prompt, str) or not self.prompt.strip():
            raise AppError("invalid_command", "--prompt is required and must not be empty.")
        validation.check_prompt("--prompt", self.prompt)
        validation.check_prompt("--instructions", self.instructions)
        _set(self, "size", validation.parse_size(self.size) if self.size else None)
        _set(
            self,
            "background",
            validation.check_choice("--background", self.background, validation.BACKGROUNDS) or "auto",
        )
        validation.check_choice("--quality", self.quality, validation.QUALITIES)
        validation.check_choice("--format", self.output_format, validation.FORMATS)
        validation.check_range("--compression", self.compression, 0, 100)
        validation.check_range("--n", self.n, 1, 10)
        validation.check_choice("--moderation", self.moderation, validation.MODERATIONS)
        if not 0 <= self.partial_images <= 3:
            raise AppError("invalid_command", "--partial-images must be between 0 and 3.")
        for name in ("model", "instructions", "quality", "output_format", "moderation", "client_out"):
            if getattr(self, name) == "":
                _set(self, name, None)


@dataclass(frozen=True)
class TransparentOptions:
    """`--method --profile --material --matte-color --strict --threshold --softness --spill-suppression`."""

    method: str = "auto"
    profile: str = "generic"
    material: str | None = None
    matte_color: str | None = None
    strict: bool = False
    threshold: float | None = None
    softness: float | None = None
    spill_suppression: float | None = None

    def __post_init__(self) -> None:
        _set(self, "method", self.method or "auto")
        _set(self, "profile", self.profile or "generic")
        _set(self, "material", self.material or None)
        _set(self, "matte_color", self.matte_color or None)
        if self.method not in EXTRACT_METHODS:
            raise AppError("invalid_command", "--method must be auto, chroma or dual.")
        _check_profile(self.profile)
        if self.material and self.material not in MATERIALS:
            raise AppError("invalid_command", f"--material must be one of {', '.join(MATERIALS)}.")
        if self.spill_suppression is not None and not 0 <= self.spill_suppression <= 1:
            raise AppError("invalid_command", "--spill-suppression must be between 0 and 1.")

    def extract_options(self) -> dict[str, Any]:
        """The keyword arguments of `transparent.pipeline.extract` (tuning values only when given)."""
        options: dict[str, Any] = {
            "method": self.method,
            "profile": self.profile,
            "material": self.material,
            "matte_color": self.matte_color,
            "strict": self.strict,
        }
        for name in ("threshold", "softness", "spill_suppression"):
            if getattr(self, name) is not None:
                options[name] = getattr(self, name)
        return options


# --- the specs


@dataclass(frozen=True)
class Spec:
    """Base of every operation's spec: its name, and the (de)serialisation every spec shares."""

    OPERATION: ClassVar[str] = ""
    COMMAND: ClassVar[str] = ""

    def to_dict(self) -> dict[str, Any]:
        """The stored form: JSON data with `version` and `operation`, no secrets, no None values."""
        out: dict[str, Any] = {"version": SPEC_VERSION, "operation": self.OPERATION}
        out.update(_plain(self))
        return out

    @classmethod
    def from_dict(cls: type[S], data: Mapping[str, Any]) -> S:
        """The spec stored as `data`, validated again; on a subclass it must be that operation's."""
        spec = from_dict(data)
        if not isinstance(spec, cls):
            raise AppError(
                "invalid_argument",
                f"The stored spec is a {spec.OPERATION} spec, not {cls.OPERATION or 'a spec'}.",
                {"operation": spec.OPERATION},
            )
        return spec


@functools.cache
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls))


def _plain(value: Any) -> Any:
    """A spec's value as JSON data: dataclasses as objects without their None fields."""
    if isinstance(value, Call):
        return call_to_dict(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out = {}
        for name in _field_names(type(value)):
            item = getattr(value, name)
            if item is not None:
                out[name] = _plain(item)
        return out
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


@dataclass(frozen=True)
class GenerateSpec(Spec):
    OPERATION: ClassVar[str] = "generate"
    COMMAND: ClassVar[str] = "images generate"

    image: ImageOptions
    call: Call = field(default_factory=Call)
    retry: RetrySettings = field(default_factory=RetrySettings)


@dataclass(frozen=True)
class EditSpec(Spec):
    OPERATION: ClassVar[str] = "edit"
    COMMAND: ClassVar[str] = "images edit"

    image: ImageOptions
    refs: tuple[ImageSource, ...] = ()
    mask: ImageSource | None = None
    input_fidelity: str | None = None
    call: Call = field(default_factory=Call)
    retry: RetrySettings = field(default_factory=RetrySettings)

    def __post_init__(self) -> None:
        if not self.refs:
            raise AppError("invalid_command", "images edit needs at least one --ref-image.")
        validation.check_ref_count(len(self.refs))
        _set(
            self,
            "input_fidelity",
            validation.check_choice("--input-fidelity", self.input_fidelity, validation.INPUT_FIDELITIES),
        )
        if self.mask is not None and self.mask.empty:
            _set(self, "mask", None)


@dataclass(frozen=True)
class RequestSpec(Spec):
    OPERATION: ClassVar[str] = "request"
    COMMAND: ClassVar[str] = "request create"

    body: dict[str, Any]
    request_operation: str = "responses"
    expect_image: bool = False
    save_images: bool = False
    body_file: str = "-"
    call: Call = field(default_factory=Call)
    retry: RetrySettings = field(default_factory=RetrySettings)

    def __post_init__(self) -> None:
        if not isinstance(self.body, dict):
            raise AppError("invalid_body_json", "The request body must be a JSON object.")
        for key in ("prompt", "instructions"):
            if isinstance(self.body.get(key), str):
                validation.check_prompt(key, self.body[key])
        _set(self, "request_operation", self.request_operation or "responses")
        if self.request_operation not in REQUEST_OPERATIONS:
            raise AppError("invalid_command", f"--request-operation must be one of {', '.join(REQUEST_OPERATIONS)}.")
        _set(self, "body_file", self.body_file or "-")


@dataclass(frozen=True)
class ExtractSpec(Spec):
    OPERATION: ClassVar[str] = "transparent_extract"
    COMMAND: ClassVar[str] = "transparent extract"

    input: ImageSource | None = None
    dark_image: ImageSource | None = None
    light_image: ImageSource | None = None
    transparent: TransparentOptions = field(default_factory=TransparentOptions)
    client_out: str = ""

    def __post_init__(self) -> None:
        for name in ("input", "dark_image", "light_image"):
            source = getattr(self, name)
            if source is not None and source.empty:
                _set(self, name, None)


@dataclass(frozen=True)
class VerifySpec(Spec):
    OPERATION: ClassVar[str] = "transparent_verify"
    COMMAND: ClassVar[str] = "transparent verify"

    input: ImageSource | None = None
    profile: str = "generic"
    expected_matte_color: str | None = None
    strict: bool = False

    def __post_init__(self) -> None:
        _set(self, "profile", self.profile or "generic")
        _check_profile(self.profile)
        if self.input is None or self.input.empty:
            raise AppError("invalid_argument", "transparent verify needs --input.")
        _set(self, "expected_matte_color", self.expected_matte_color or None)


@dataclass(frozen=True)
class TransparentGenerateSpec(Spec):
    OPERATION: ClassVar[str] = "transparent_generate"
    COMMAND: ClassVar[str] = "transparent generate"

    image: ImageOptions
    transparent: TransparentOptions = field(default_factory=TransparentOptions)
    source_prompt: str | None = None
    keep_sources: bool = False
    call: Call = field(default_factory=Call)
    retry: RetrySettings = field(default_factory=RetrySettings)

    def __post_init__(self) -> None:
        validation.check_prompt("--source-prompt", self.source_prompt)
        _set(self, "source_prompt", self.source_prompt or None)


@dataclass(frozen=True)
class ContinueSaveSpec(Spec):
    OPERATION: ClassVar[str] = "continue_save"
    COMMAND: ClassVar[str] = "jobs resume"

    source_job_id: str


@dataclass(frozen=True)
class ReuploadSpec(Spec):
    OPERATION: ClassVar[str] = "reupload"
    COMMAND: ClassVar[str] = "jobs resume"

    source_job_id: str


SPEC_TYPES: dict[str, type[Spec]] = {
    cls.OPERATION: cls
    for cls in (
        GenerateSpec,
        EditSpec,
        RequestSpec,
        ExtractSpec,
        VerifySpec,
        TransparentGenerateSpec,
        ContinueSaveSpec,
        ReuploadSpec,
    )
}

# Which nested type each field holds (everything else is a plain JSON value).
_NESTED: dict[str, type] = {
    "image": ImageOptions,
    "retry": RetrySettings,
    "transparent": TransparentOptions,
    "mask": ImageSource,
    "input": ImageSource,
    "dark_image": ImageSource,
    "light_image": ImageSource,
}


def _nested(cls: type[T], data: Any) -> T:
    if not isinstance(data, Mapping):
        raise TypeError(f"{cls.__name__} must be an object")
    names = {f.name for f in fields(cls)}  # type: ignore[arg-type]
    return cls(**{k: v for k, v in data.items() if k in names})


def from_dict(data: Mapping[str, Any]) -> Spec:
    """A spec from its stored form, validated like a new one. A spec of a newer version, an
    unknown operation or a damaged file is `invalid_argument`, saying which."""
    if not isinstance(data, Mapping):
        raise AppError("invalid_argument", "The job's stored spec is not a JSON object.")
    version = data.get("version")
    if version != SPEC_VERSION:
        raise AppError(
            "invalid_argument",
            f"The job's stored spec has version {version!r}; this engine reads version {SPEC_VERSION}.",
            {"version": version, "supported": SPEC_VERSION},
        )
    operation = data.get("operation")
    cls = SPEC_TYPES.get(operation) if isinstance(operation, str) else None
    if cls is None:
        raise AppError("invalid_argument", f"Jobs of operation {operation!r} cannot be run again.")
    kwargs: dict[str, Any] = {}
    try:
        for f in fields(cls):
            if f.name not in data:
                continue
            value = data[f.name]
            if f.name == "call":
                value = call_from_dict(value)
            elif f.name == "refs":
                value = tuple(_nested(ImageSource, v) for v in value)
            elif f.name in _NESTED and value is not None:
                value = _nested(_NESTED[f.name], value)
            kwargs[f.name] = value
        return cls(**kwargs)
    except AppError:
        raise
    except (TypeError, ValueError, AttributeError) as exc:
        raise AppError(
            "invalid_argument", f"The job's stored spec is damaged: {exc}", {"operation": operation}
        ) from None


def with_n(spec: Spec, n: int) -> Spec:
    """The spec asking for `n` images (`fill_missing`); only image specs have an `n`."""
    if not isinstance(spec, GenerateSpec | EditSpec):
        raise AppError("invalid_argument", f"fill_missing works on image jobs, not on {spec.COMMAND}.")
    return replace(spec, image=replace(spec.image, n=n))


def with_call(spec: Spec, call: Call) -> Spec:
    """The spec run with another call's options (a retry uses the retrying caller's)."""
    if not any(f.name == "call" for f in fields(spec)):
        return spec
    return replace(spec, call=call)  # type: ignore[call-arg]  # every spec with a `call` field


# --- the stored file


def save_spec(job_dir: Path, spec: Spec) -> None:
    # Compact: json's C encoder (an indented dump takes the pure-Python path, ~5x the CPU).
    data = json.dumps(spec.to_dict(), ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    atomic_write_bytes(job_dir / SPEC_FILE, data)
    publish_written(job_dir / SPEC_FILE, best_effort=True)  # retry/resubmit from any engine


def load_spec(job_dir: Path) -> Spec | None:
    """The job's stored spec; None when the job has none (it predates stored specs)."""
    try:
        text = (job_dir / SPEC_FILE).read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise AppError(
            "invalid_argument", f"The job's stored spec could not be read: {exc}", {"job_id": job_dir.name}
        ) from None
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise AppError(
            "invalid_argument", f"The job's stored spec is not valid JSON: {exc}", {"job_id": job_dir.name}
        ) from None
    return from_dict(data)
