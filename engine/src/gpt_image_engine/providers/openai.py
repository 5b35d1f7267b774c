"""The OpenAI images provider (OpenAI and every OpenAI-compatible base URL), upstream §4.1.

Generate is a JSON `POST {base}/images/generations`; edit is a multipart
`POST {base}/images/edits` with text fields, one `image[]` part per reference (in order)
and a `mask` part. With `job.partial_images > 0` the request streams (`stream: true`):
each partial image reaches `ctx.on_partial_image(index, data)` (the job keeps it as a preview)
and a `partial_image` progress event (index and size, never the bytes). Results are
`b64_json` or a `url` downloaded through the URL guard (the configured API host itself
is trusted). Events follow §3.2; the job runner emits `output_saved`.
"""

from __future__ import annotations

import binascii
import json
import mmap
import re
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from gpt_image_engine import __version__
from gpt_image_engine.errors import AppError
from gpt_image_engine.providers.base import (
    NATIVE_MASK,
    Capabilities,
    ImageJob,
    InputImage,
    OpenAISettings,
    ProviderContext,
    ProviderOutput,
    ResolvedProvider,
)
from gpt_image_engine.providers.retry import after_acceptance, http_error, network_error
from gpt_image_engine.providers.sources import image_from_url
from gpt_image_engine.providers.sse import event_data
from gpt_image_engine.providers.transport import send_cancellable
from gpt_image_engine.security import urlguard

USER_AGENT = f"gpt-image-2-skill/{__version__} local-cli"
PROVIDER = "openai"
ENV_VAR = "OPENAI_API_KEY"
_PARTIAL_TYPES = ("image_generation.partial_image", "image_edit.partial_image")
_COMPLETED_TYPES = ("image_generation.completed", "image_edit.completed")

# What the OpenAI images API takes (an OpenAI-compatible config entry may say it lacks
# native `n` or masks: `supports_n`, `edit_region_mode`).
CAPABILITIES = Capabilities(
    label="OpenAI",
    native_n=True,
    edit_region_mode=NATIVE_MASK,
    partial_previews=True,
    moderation=True,
    input_fidelity=True,
    instructions=False,
    transparent_background=True,
    request_operations=("generate", "edit"),
    payload_kind="openai-compatible",
)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class _Result:
    """What one attempt brought back."""

    def __init__(self, payload: dict[str, Any], images: list[bytes]) -> None:
        self.payload = payload
        self.images = images


class OpenAIProvider:
    """`Provider` for kind "openai". Holds no state between jobs besides the HTTP client."""

    event_name = PROVIDER

    def __init__(self, resolved: ResolvedProvider, http: httpx.Client) -> None:
        if not isinstance(resolved.settings, OpenAISettings):
            raise AppError(
                "provider_kind_unsupported",
                f"Provider {resolved.name} has no OpenAI settings.",
                {"provider": resolved.name, "kind": resolved.kind},
            )
        self.resolved = resolved
        self.settings = resolved.settings
        self.http = http

    # --- public surface (each call is one attempt; the registry retries)

    def check(self, job: ImageJob) -> None:
        self._api_key()
        urlguard.check_url_shape(self.settings.api_base, "OpenAI base URL")

    def secrets(self) -> list[str | None]:
        return self.settings.secrets()

    def run_image(self, job: ImageJob, ctx: ProviderContext, timeout: float) -> ProviderOutput:
        key = self._api_key()
        urlguard.check_url_shape(self.settings.api_base, "OpenAI base URL")
        model = job.model or self.resolved.model
        stream = job.partial_images > 0
        if job.operation == "edit":
            if not job.refs:
                raise AppError("missing_image_result", "An edit needs at least one reference image.")
            fields = self._edit_fields(job, model, stream)
            files = [("image[]", (ref.name, ref.data, ref.mime)) for ref in job.refs]
            if job.mask is not None:
                files.append(("mask", (job.mask.name, job.mask.data, job.mask.mime)))
            result = self._attempt_edit(fields, files, key, ctx, timeout)
        elif job.operation == "generate":
            result = self._attempt_generate(self._generate_body(job, model, stream), key, ctx, timeout)
        else:
            raise AppError("invalid_operation", f"Unsupported OpenAI operation: {job.operation}")
        if not result.images:
            raise AppError("missing_image_result", "The response did not include an image.")
        return ProviderOutput(
            images=result.images,
            request=self._request_payload(job, model),
            response=self._response_payload(result),
            auth=self.auth_payload(),
            raw=None,
        )

    def run_raw(
        self, body: dict[str, Any], operation: str, ctx: ProviderContext, timeout: float, expect_image: bool
    ) -> ProviderOutput:
        """`request create`: send a caller-built generate body verbatim, or an edit body as multipart."""
        key = self._api_key()
        urlguard.check_url_shape(self.settings.api_base, "OpenAI base URL")
        if operation == "generate":
            result = self._attempt_generate(body, key, ctx, timeout)
        elif operation == "edit":
            fields, files = _raw_edit_parts(body)
            result = self._attempt_edit(fields, files, key, ctx, timeout)
        else:
            raise AppError(
                "unsupported_option",
                f"--request-operation {operation} is not supported by OpenAI providers (use generate or edit).",
                {"provider": self.resolved.name, "operation": operation},
            )
        if expect_image and not result.images:
            raise AppError("missing_image_result", "The response did not include an image.")
        response = self._response_payload(result)
        response.pop("image_count", None)
        return ProviderOutput(
            images=result.images,
            request={"operation": operation, "model": body.get("model")},
            response=response,
            auth=self.auth_payload(),
            raw={k: v for k, v in result.payload.items() if k != "_revised_prompts"},
        )

    def auth_payload(self) -> dict[str, Any]:
        return {"source": self.resolved.auth_source, "env_var": ENV_VAR, "refreshed": False}

    # --- bodies

    def _api_key(self) -> str:
        if not self.settings.api_key:
            raise AppError(
                "api_key_missing",
                "No OpenAI API key: pass --api-key, configure the provider, or set OPENAI_API_KEY.",
                {"provider": PROVIDER, "env_var": ENV_VAR},
            )
        return self.settings.api_key

    def _endpoint(self, operation: str) -> str:
        suffix = "/images/edits" if operation == "edit" else "/images/generations"
        # The path grows; a query in the base (`?api-version=`, `?api-key=`) stays a query.
        parts = urlsplit(self.settings.api_base)
        return urlunsplit(parts._replace(path=parts.path.rstrip("/") + suffix))

    @staticmethod
    def _generate_body(job: ImageJob, model: str, stream: bool) -> dict[str, Any]:
        body: dict[str, Any] = {"model": model, "prompt": job.prompt, "background": job.background}
        for key, value in (
            ("size", job.size),
            ("quality", job.quality),
            ("output_format", job.output_format),
            ("output_compression", job.compression),
            ("n", job.n),
            ("moderation", job.moderation),
        ):
            if value is not None:
                body[key] = value
        if stream:
            body["stream"] = True
            body["partial_images"] = job.partial_images
        return body

    @staticmethod
    def _edit_fields(job: ImageJob, model: str, stream: bool) -> dict[str, str]:
        fields: dict[str, str] = {}
        for key, value in (
            ("model", model),
            ("prompt", job.prompt),
            ("size", job.size),
            ("quality", job.quality),
            ("background", job.background),
            ("output_format", job.output_format),
            ("output_compression", job.compression),
            ("n", job.n),
            ("moderation", job.moderation),
            ("input_fidelity", job.input_fidelity),
        ):
            if value is not None:
                fields[key] = _text(value)
        if stream:
            fields["stream"] = "true"
            fields["partial_images"] = str(job.partial_images)
        return fields

    def _headers(self, key: str, json_body: bool) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {key}", "User-Agent": USER_AGENT}
        if json_body:
            headers["Content-Type"] = "application/json"
            headers["Accept"] = "application/json"
        return headers

    # --- attempts (events repeat for each attempt, as upstream)

    def _attempt_generate(self, body: dict[str, Any], key: str, ctx: ProviderContext, timeout: float) -> _Result:
        endpoint = self._endpoint("generate")
        ctx.emit("local", "request.started", {"provider": PROVIDER, "endpoint": endpoint})
        ctx.progress(PROVIDER, "request_started", "running", "OpenAI image request sent.", 0, endpoint=endpoint)
        request = self.http.build_request(
            "POST",
            endpoint,
            content=json.dumps(body).encode("utf-8"),
            headers=self._headers(key, True),
            timeout=timeout,
        )
        return self._exchange(request, ctx, timeout)

    def _attempt_edit(
        self,
        fields: dict[str, str],
        files: list[tuple[str, tuple[str, bytes, str]]],
        key: str,
        ctx: ProviderContext,
        timeout: float,
    ) -> _Result:
        endpoint = self._endpoint("edit")
        ctx.emit("local", "request.started", {"provider": PROVIDER, "endpoint": endpoint, "transport": "multipart"})
        ctx.progress(
            PROVIDER,
            "request_started",
            "running",
            "OpenAI multipart image edit request started.",
            0,
            endpoint=endpoint,
            transport="multipart",
        )
        request = self.http.build_request(
            "POST",
            endpoint,
            data=fields,
            files=files,
            headers=self._headers(key, False),
            timeout=timeout,
        )
        ctx.progress(
            PROVIDER,
            "multipart_prepared",
            "running",
            "Multipart image edit request prepared.",
            10,
            transport="multipart",
        )
        return self._exchange(request, ctx, timeout)

    def _exchange(self, request: httpx.Request, ctx: ProviderContext, timeout: float) -> _Result:
        try:
            response = send_cancellable(self.http, request, ctx)
        except httpx.HTTPError as exc:
            raise network_error(exc, "The OpenAI request failed.") from None
        try:
            if not 200 <= response.status_code < 300:
                try:
                    text = response.read().decode("utf-8", "replace")
                except httpx.HTTPError as exc:
                    raise network_error(exc, "The OpenAI response could not be read.") from None
                raise http_error(response, text)
            # From here the provider has accepted the request: whatever breaks is never resent.
            try:
                result = self._read_accepted(response, ctx, timeout)
            except httpx.HTTPError as exc:
                raise after_acceptance(network_error(exc, "The OpenAI response could not be read.")) from None
            except AppError as err:
                raise after_acceptance(err) from None
        finally:
            response.close()
        ctx.progress(
            PROVIDER,
            "request_completed",
            "running",
            "OpenAI image request completed.",
            95,
            created=result.payload.get("created"),
            image_count=len(result.images),
        )
        return result

    def _read_accepted(self, response: httpx.Response, ctx: ProviderContext, timeout: float) -> _Result:
        if response.headers.get("content-type", "").startswith("text/event-stream"):
            result = self._read_stream(response, ctx)
            ctx.spool(_response_json_chunks(result))
            return result
        # The body goes straight to the spool as it arrives and is parsed from there:
        # a 4K image's ~16 MB of JSON is never held (let alone copied) in memory.
        spooled = ctx.spool(response.iter_bytes())
        if spooled is None:
            return self._read_json(response.read(), timeout)
        if isinstance(spooled, bytes):  # the disk filled up: the body was kept in memory
            return self._read_json(spooled, timeout)
        try:
            return self._read_json_file(spooled, timeout)
        except AppError as err:
            if err.code == "invalid_json_response":
                # Kept as evidence, but not as a cached response `continue_save` could use.
                spooled.replace(spooled.with_suffix(".invalid"))
            raise

    # --- response parsing

    def _read_json_file(self, path: Path, timeout: float) -> _Result:
        with open(path, "rb") as fh:
            if not fh.seek(0, 2):
                return self._read_json(b"", timeout)
            body = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        try:
            return self._read_json(body, timeout)
        finally:
            body.close()

    def _read_json(self, raw: bytes | mmap.mmap, timeout: float) -> _Result:
        """Parse a JSON response. Each plain `b64_json` string is lifted out before the parse
        (`_lift_base64`) and decoded straight from `raw` when its item is reached, so no copy of
        it is ever made as text; the payload keeps only a summary of it."""
        skeleton, lifted = _lift_base64(raw)
        try:
            payload = json.loads(skeleton)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            error = str(exc)
            if lifted:  # report the error as the whole body would have
                try:
                    json.loads(bytes(raw))
                except (json.JSONDecodeError, UnicodeDecodeError) as whole:
                    error = str(whole)
            raise AppError(
                "invalid_json_response", "The OpenAI response is not valid JSON.", {"error": error}
            ) from None
        del skeleton
        if not isinstance(payload, dict):
            raise AppError("invalid_json_response", "The OpenAI response is not a JSON object.")
        images: list[bytes] = []
        revised: list[str] = []
        for item in payload.get("data") or []:
            if not isinstance(item, dict):
                continue
            if isinstance(item.get("revised_prompt"), str):
                revised.append(item["revised_prompt"])
            b64 = item.get("b64_json")
            if isinstance(b64, str) and b64:
                span = lifted.get(b64)
                images.append(_decode_span(raw, *span) if span is not None else decode_base64_text(b64))
                item["b64_json"] = {"_omitted": "base64", "base64_chars": span[1] - span[0] if span else len(b64)}
                del b64
            elif isinstance(item.get("url"), str) and item["url"]:
                images.append(self._download(item["url"], timeout))
        payload["_revised_prompts"] = revised
        return _Result(payload, images)

    def _download(self, url: str, timeout: float) -> bytes:
        trusted = {urlguard.trusted_host_key(self.settings.api_base)}
        data, _mime = urlguard.fetch_image_url(url, timeout=timeout, trusted_hosts=trusted)
        return data

    def _read_stream(self, response: httpx.Response, ctx: ProviderContext) -> _Result:
        images: list[bytes] = []
        final: dict[str, Any] = {}
        for event in _sse_events(response):
            kind = event.get("type")
            if kind in _PARTIAL_TYPES:
                data = decode_base64_text(str(event.pop("b64_json", None) or ""))
                index = int(event.get("partial_image_index") or 0)
                ctx.on_partial_image(index, data)
                ctx.progress(
                    PROVIDER,
                    "partial_image",
                    "running",
                    f"Partial image {index} received.",
                    None,
                    partial_image_index=index,
                    bytes=len(data),
                )
            elif kind in _COMPLETED_TYPES:
                images.append(decode_base64_text(str(event.pop("b64_json", None) or "")))
                final = event
            elif kind == "error" or (kind is None and "error" in event):
                raw_error = event.get("error")
                error: dict[str, Any] = raw_error if isinstance(raw_error, dict) else event
                raise AppError(
                    "request_failed",
                    f"{error.get('code') or 'error'}: {error.get('message') or 'The image stream reported an error.'}",
                    error,
                )
        if not images:
            raise AppError("request_failed", "The image stream ended before the final image arrived.")
        payload: dict[str, Any] = {
            "created": final.get("created_at"),
            "background": final.get("background"),
            "output_format": final.get("output_format"),
            "quality": final.get("quality"),
            "size": final.get("size"),
            "usage": final.get("usage"),
            "_revised_prompts": [],
        }
        return _Result(payload, images)

    # --- payloads

    def _request_payload(self, job: ImageJob, model: str) -> dict[str, Any]:
        request: dict[str, Any] = {
            "operation": job.operation,
            "provider": PROVIDER,
            "model": model,
            "background": job.background,
            "ref_image_count": len(job.refs),
        }
        for key, value in (
            ("size", job.size),
            ("quality", job.quality),
            ("format", job.output_format),
            ("compression", job.compression),
            ("n", job.n),
            ("moderation", job.moderation),
        ):
            if value is not None:
                request[key] = value
        if job.operation == "edit":
            request["mask_present"] = job.mask is not None
            if job.input_fidelity is not None:
                request["input_fidelity"] = job.input_fidelity
        if job.partial_images:
            request["partial_images"] = job.partial_images
        return request

    @staticmethod
    def _response_payload(result: _Result) -> dict[str, Any]:
        p = result.payload
        return {
            "created": p.get("created"),
            "background": p.get("background"),
            "output_format": p.get("output_format"),
            "quality": p.get("quality"),
            "size": p.get("size"),
            "usage": p.get("usage"),
            "image_count": len(result.images),
            "revised_prompts": list(p.get("_revised_prompts") or []),
        }


def _response_json_chunks(result: _Result) -> Iterator[bytes]:
    """A streamed result in the shape of a plain JSON response, for the spool: the bytes of
    `json.dumps({...payload, "data": [{"b64_json": ...}]})`, base64 encoded piecewise."""
    body = {k: v for k, v in result.payload.items() if not k.startswith("_")}
    head = json.dumps(body)[:-1]
    yield (head + (", " if body else "") + '"data": [').encode()
    step = 3 * 256 * 1024  # whole base64 quanta: the pieces join into one valid encoding
    for i, image in enumerate(result.images):
        yield b'{"b64_json": "' if i == 0 else b', {"b64_json": "'
        with memoryview(image) as view:
            for offset in range(0, len(image), step):
                yield binascii.b2a_base64(view[offset : offset + step], newline=False)
        yield b'"}'
    yield b"]}"


# A plain (no escapes, ASCII, non-empty) `"b64_json": "..."` string value, lifted before parsing.
# Hand-written on purpose: bench/b64_lift.py (a 4K response, 16 MB of JSON, 5 alternated runs)
# measured this lift at 61 ms CPU and +26.6 MB peak RSS, and ijson's yajl2_c streaming parser at
# 608 ms (64 KiB reads, its default), 91 ms (1 MiB) or 63 ms but +38.4 MB (8 MiB): a streaming
# decoder still builds the whole base64 string, which the lift never does.
_B64_KEY = re.compile(rb'"b64_json"[ \t\r\n]*:[ \t\r\n]*"')
_NOT_PLAIN = re.compile(rb"[\x00-\x1f\\\x80-\xff]")
_WHITESPACE = b" \t\r\n\x0b\x0c"


def _lift_base64(raw: bytes | mmap.mmap) -> tuple[bytes, dict[str, tuple[int, int]]]:
    """The body with every plain `b64_json` string value replaced by a unique placeholder, and
    each placeholder's span in `raw`. Only the content of a string token is ever replaced, by
    other valid string content, so the skeleton parses exactly when the body does; a value
    with escapes, control or non-ASCII characters stays in place (parsed as before)."""
    token = "\\u0000b64-" + secrets.token_hex(8) + "-"
    pieces: list[bytes] = []
    lifted: dict[str, tuple[int, int]] = {}
    pos = 0
    search = 0
    while True:
        match = _B64_KEY.search(raw, search)
        if match is None:
            break
        start = match.end()
        end = raw.find(b'"', start)
        if end < 0:
            break
        search = end + 1
        backslashes = 0
        while match.start() - backslashes > 0 and raw[match.start() - backslashes - 1] == 0x5C:
            backslashes += 1
        if backslashes % 2 or end == start or _NOT_PLAIN.search(raw, start, end):
            continue  # an escaped quote (inside a string), empty, or not plain: parse as is
        placeholder = f"{token}{len(lifted)}"
        pieces.append(raw[pos:start])
        pieces.append(placeholder.encode())
        lifted[json.loads(f'"{placeholder}"')] = (start, end)
        pos = end
    if not lifted:
        return (raw if isinstance(raw, bytes) else raw[:]), {}
    pieces.append(raw[pos:])
    return b"".join(pieces), lifted


def _decode_span(raw: bytes | mmap.mmap, start: int, end: int) -> bytes:
    """`_decode_base64` of `raw[start:end]` (plain ASCII), without copying it."""
    while start < end and raw[start] in _WHITESPACE:
        start += 1
    if raw[start : start + 5] == b"data:":
        comma = raw.find(b",", start, end)
        start = end if comma < 0 else comma + 1
    try:
        with memoryview(raw) as whole, whole[start:end] as view:
            return binascii.a2b_base64(view, strict_mode=False)
    except (binascii.Error, ValueError) as exc:
        raise AppError("invalid_base64", "Image base64 could not be decoded.", {"error": str(exc)}) from None


def decode_base64_text(value: str) -> bytes:
    """`sources.decode_base64_image` without its ASCII copy: binascii reads an ASCII str in place."""
    text = value.strip()
    if text.startswith("data:"):
        text = text.partition(",")[2]
    try:
        return binascii.a2b_base64(text, strict_mode=False)
    except (binascii.Error, ValueError) as exc:
        raise AppError("invalid_base64", "Image base64 could not be decoded.", {"error": str(exc)}) from None


def _sse_events(response: httpx.Response) -> Iterator[dict[str, Any]]:
    """JSON objects from the image stream's events (`sse.event_data`); `[DONE]` skipped."""
    for data in event_data(response, "The image provider"):
        text = data.strip()
        if text == "[DONE]":
            continue
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            raise AppError("request_failed", "The image stream sent malformed JSON.", {"error": str(exc)}) from None
        if isinstance(value, dict):
            yield value


def _raw_edit_parts(body: dict[str, Any]) -> tuple[dict[str, str], list[tuple[str, tuple[str, bytes, str]]]]:
    """Turn a `request create` edit body (images as `{image_url}` objects or strings, or one
    `image` string; `mask` likewise) into multipart fields and files."""
    sources: list[str] = []
    images = body.get("images")
    if isinstance(images, list):
        for item in images:
            url = item.get("image_url") if isinstance(item, dict) else item
            if isinstance(url, str) and url:
                sources.append(url)
    elif isinstance(body.get("image"), str):
        sources.append(body["image"])
    if not sources:
        raise AppError("missing_image_result", "The edit body has no images.")
    refs: list[InputImage] = [image_from_url(src, index=i) for i, src in enumerate(sources, start=1)]
    files = [("image[]", (ref.name, ref.data, ref.mime)) for ref in refs]
    mask = body.get("mask")
    mask_url = mask.get("image_url") if isinstance(mask, dict) else mask
    if isinstance(mask_url, str) and mask_url:
        m = image_from_url(mask_url, role="mask")
        files.append(("mask", (m.name, m.data, m.mime)))
    fields: dict[str, str] = {}
    for key, value in body.items():
        if key in ("images", "image", "mask") or value is None or isinstance(value, (dict, list)):
            continue
        fields[key] = _text(value)
    return fields, files
