"""The Codex provider: the ChatGPT-account Responses API over SSE with the image_generation tool (§4.2).

Body and headers are the upstream's; every SSE event is echoed (redacted) as an event
of kind `sse` and the interesting ones are translated to progress (§3.3). On HTTP 401
the job refreshes the OAuth token exactly once (`codex_auth.refresh_access_token`,
which re-reads the persisted tokens under a lock and writes auth.json back 0600) and
re-sends at once; that re-send is not a retry. A second 401 is a plain `http_error`.
Mask, moderation, input fidelity and n != 1 are `unsupported_option`, before any network.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import httpx

from gpt_image_engine.errors import AppError
from gpt_image_engine.providers import codex_auth
from gpt_image_engine.providers.base import (
    DEFAULT_INSTRUCTIONS,
    REFERENCE_HINT,
    Capabilities,
    CodexSettings,
    ImageJob,
    ProviderContext,
    ProviderOutput,
    ResolvedProvider,
)
from gpt_image_engine.providers.openai import USER_AGENT, decode_base64_text
from gpt_image_engine.providers.retry import after_acceptance, http_error
from gpt_image_engine.providers.sources import to_data_url
from gpt_image_engine.providers.sse import event_data
from gpt_image_engine.providers.transport import send_cancellable
from gpt_image_engine.security import urlguard
from gpt_image_engine.security.redaction import redact

PROVIDER = "codex"
DELEGATED_IMAGE_MODEL = "gpt-image-2"

# What the Codex image_generation tool takes: one image per request (the registry batches
# `n`), references as hints, no mask, moderation, input fidelity or partial previews.
CAPABILITIES = Capabilities(
    label="Codex",
    native_n=False,
    edit_region_mode=REFERENCE_HINT,
    partial_previews=False,
    moderation=False,
    input_fidelity=False,
    instructions=True,
    transparent_background=True,
    request_operations=("responses",),
    payload_kind="codex",
    output_label=PROVIDER,
)


class _Stream:
    """What one SSE exchange produced."""

    def __init__(self) -> None:
        self.meta: dict[str, Any] = {}
        self.items: dict[str, dict[str, Any]] = {}
        self.order: list[str] = []
        self.error: Any = None
        self.completed = False

    def merge_item(self, item: dict[str, Any]) -> None:
        item_id = str(item.get("id") or f"item-{len(self.order)}")
        if item_id not in self.items:
            self.order.append(item_id)
            self.items[item_id] = {}
        self.items[item_id].update(item)

    def image_items(self) -> list[dict[str, Any]]:
        return [
            self.items[i]
            for i in self.order
            if self.items[i].get("type") == "image_generation_call" and isinstance(self.items[i].get("result"), str)
        ]

    def images(self) -> list[bytes]:
        # Decoded in place (no ASCII copy of each ~16 MB 4K `result` string).
        return [decode_base64_text(item["result"]) for item in self.image_items()]


class CodexProvider:
    """`Provider` for kind "codex"."""

    event_name = PROVIDER

    def __init__(self, resolved: ResolvedProvider, http: httpx.Client) -> None:
        if not isinstance(resolved.settings, CodexSettings):
            raise AppError(
                "provider_kind_unsupported",
                f"Provider {resolved.name} has no Codex settings.",
                {"provider": resolved.name, "kind": resolved.kind},
            )
        self.resolved = resolved
        self.settings = resolved.settings
        self.http = http
        # One instance serves one job: its attempts run in one thread (a batch child's in its
        # own), which reads the auth state once and refreshes the token at most once on 401.
        self._local = threading.local()

    # --- public surface (each call is one attempt; the registry retries)

    def check(self, job: ImageJob) -> None:
        self.check_supported(job)

    def run_image(self, job: ImageJob, ctx: ProviderContext, timeout: float) -> ProviderOutput:
        self.check_supported(job)
        state = self._auth_state()
        model = job.model or self.resolved.model
        body = self._body(job, model)
        stream = self._run(body, state, ctx, timeout)
        images = stream.images()
        if not images:
            raise AppError("missing_image_result", "The response did not include an image_generation_call result.")
        items = stream.image_items()
        response = {
            "response_id": stream.meta.get("id"),
            "model": stream.meta.get("model"),
            "service_tier": stream.meta.get("service_tier"),
            "status": stream.meta.get("status"),
            "image_count": len(images),
            "item_ids": [item.get("id") for item in items],
            "revised_prompts": [
                item["revised_prompt"] for item in items if isinstance(item.get("revised_prompt"), str)
            ],
        }
        return ProviderOutput(
            images=images,
            request=self._request_payload(job, model),
            response=response,
            auth=self._auth_payload(state),
        )

    def run_raw(
        self, body: dict[str, Any], operation: str, ctx: ProviderContext, timeout: float, expect_image: bool
    ) -> ProviderOutput:
        """`request create --request-operation responses`: send the body verbatim."""
        if operation != "responses":
            raise AppError(
                "unsupported_option",
                f"--request-operation {operation} is not supported by the codex provider (use responses).",
                {"provider": self.resolved.name, "operation": operation},
            )
        state = self._auth_state()
        stream = self._run(body, state, ctx, timeout)
        images = stream.images()
        if expect_image and not images:
            raise AppError("missing_image_result", "The response did not include an image_generation_call result.")
        output_items = [redact(stream.items[i]) for i in stream.order]
        return ProviderOutput(
            images=images,
            request={"operation": "responses"},
            response={
                "response_id": stream.meta.get("id"),
                "model": stream.meta.get("model"),
                "service_tier": stream.meta.get("service_tier"),
                "status": stream.meta.get("status"),
                "error": redact(stream.error),
            },
            auth={k: v for k, v in self._auth_payload(state).items() if k != "account_id"},
            raw={"output_items": output_items},
        )

    def check_supported(self, job: ImageJob) -> None:
        """Reject options the Codex image tool does not take (before any network)."""
        for flag, value in (
            ("--mask", job.mask),
            ("--moderation", job.moderation),
            ("--input-fidelity", job.input_fidelity),
        ):
            if value is not None:
                raise AppError(
                    "unsupported_option",
                    f"{flag} is not supported by the codex provider.",
                    {"provider": self.resolved.name, "option": flag},
                )
        if job.n not in (None, 1):
            raise AppError(
                "unsupported_option",
                "--n is not supported by the codex provider (batching runs single requests).",
                {"provider": self.resolved.name, "option": "--n"},
            )

    # --- auth

    def _auth_state(self) -> codex_auth.AuthState:
        state: codex_auth.AuthState | None = getattr(self._local, "state", None)
        if state is None:
            state = self._local.state = self._load_auth_state()
        return state

    def _load_auth_state(self) -> codex_auth.AuthState:
        r, c = self.resolved, self.settings
        if c.auth_file is not None:
            return codex_auth.load_auth_state(c.auth_file)
        if c.access_token:
            account_id = codex_auth.resolve_account_id(c.access_token, c.account_id)
            from_config = r.config_entry is not None and r.config_file is not None
            creds = (r.config_entry or {}).get("credentials")
            return codex_auth.AuthState(
                auth_path=Path(r.config_file) if r.config_file is not None else Path(),
                auth_json={
                    "tokens": {
                        "access_token": c.access_token,
                        "refresh_token": c.refresh_token,
                        "account_id": account_id,
                    }
                },
                access_token=c.access_token,
                refresh_token=c.refresh_token,
                account_id=account_id,
                persistence=codex_auth.PERSIST_CONFIG if from_config else codex_auth.PERSIST_SESSION,
                provider_name=r.name,
                credential_sources=dict(creds) if isinstance(creds, dict) else {},
            )
        return codex_auth.auth_state_for(r)

    def _auth_payload(self, state: codex_auth.AuthState) -> dict[str, Any]:
        file_based = state.persistence == codex_auth.PERSIST_AUTH_FILE
        return {
            "source": "auth.json"
            if file_based
            else ("config" if state.persistence == codex_auth.PERSIST_CONFIG else "session"),
            "auth_file": str(state.auth_path) if file_based else None,
            "account_id": state.account_id,
            "refreshed": state.refreshed,
        }

    def _refresh(self, state: codex_auth.AuthState, ctx: ProviderContext) -> None:
        token_url = self.settings.token_url
        ctx.progress(
            PROVIDER, "auth_refresh_started", "running", "Refreshing the Codex access token.", 2, endpoint=token_url
        )
        try:
            codex_auth.refresh_access_token(state, token_url, codex_auth.REFRESH_TIMEOUT_SECONDS, self.http)
        except AppError as err:
            err.retryable = False  # type: ignore[attr-defined]  # refresh errors abort the job (§4.3)
            raise
        ctx.emit("local", "auth.refresh.completed", redact(dict(state.last_refresh_payload or {})))
        ctx.progress(PROVIDER, "auth_refresh_completed", "running", "Codex access token refreshed.", 4)

    def secrets(self) -> list[str | None]:
        """The tokens in use (a refresh rotates them) and the configured ones."""
        state: codex_auth.AuthState | None = getattr(self._local, "state", None)
        found: list[str | None] = []
        if state is not None:
            tokens = codex_auth.token_container(state.auth_json) if isinstance(state.auth_json, dict) else {}
            found += [
                state.access_token,
                state.refresh_token,
                *(v for k, v in tokens.items() if isinstance(v, str) and k.endswith("_token")),
            ]
        return found + self.settings.secrets()

    # --- request

    def _body(self, job: ImageJob, model: str) -> dict[str, Any]:
        content: list[dict[str, Any]] = [
            {"type": "input_image", "image_url": ref.url or to_data_url(ref)} for ref in job.refs
        ]
        content.append({"type": "input_text", "text": job.prompt})
        tool: dict[str, Any] = {
            "type": "image_generation",
            "background": job.background,
            "action": "edit" if job.operation == "edit" else "generate",
        }
        for key, value in (
            ("size", job.size),
            ("quality", job.quality),
            ("output_format", job.output_format),
            ("output_compression", job.compression),
        ):
            if value is not None:
                tool[key] = value
        return {
            "model": model,
            "instructions": job.instructions or DEFAULT_INSTRUCTIONS,
            "store": False,
            "stream": True,
            "input": [{"role": "user", "content": content}],
            "tools": [tool],
        }

    def _headers(self, state: codex_auth.AuthState) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {state.access_token}",
            "ChatGPT-Account-ID": state.account_id,
            "Content-Type": "application/json",
            "Accept": "text/event-stream",
            "originator": "codex_desktop",
            "User-Agent": USER_AGENT,
        }

    def _run(self, body: dict[str, Any], state: codex_auth.AuthState, ctx: ProviderContext, timeout: float) -> _Stream:
        """One attempt (with at most one token refresh per job on 401, not counted as a retry)."""
        urlguard.check_url_shape(self.settings.endpoint, "Codex endpoint")
        encoded = json.dumps(body).encode("utf-8")
        response = self._send(encoded, state, ctx, timeout)
        try:
            if response.status_code == 401 and not getattr(self._local, "refreshed", False):
                self._local.refreshed = True
                response.read()
                response.close()
                self._refresh(state, ctx)
                response = self._send(encoded, state, ctx, timeout)
            if not 200 <= response.status_code < 300:
                raise http_error(response, response.read().decode("utf-8", "replace"))
        except httpx.HTTPError as exc:
            response.close()
            raise AppError(
                "request_failed", "The Codex event stream failed.", {"error": f"{type(exc).__name__}: {exc}"}
            ) from None
        except BaseException:
            response.close()
            raise
        # The provider accepted the request: whatever breaks from here is never resent.
        try:
            return self._read_stream(response, ctx)
        except httpx.HTTPError as exc:
            raise after_acceptance(
                AppError("request_failed", "The Codex event stream failed.", {"error": f"{type(exc).__name__}: {exc}"})
            ) from None
        except AppError as err:
            raise after_acceptance(err) from None
        finally:
            response.close()

    def _send(
        self, encoded: bytes, state: codex_auth.AuthState, ctx: ProviderContext, timeout: float
    ) -> httpx.Response:
        endpoint = self.settings.endpoint
        ctx.emit("local", "request.started", {"provider": PROVIDER, "endpoint": endpoint})
        ctx.progress(PROVIDER, "request_started", "running", "Codex image request sent.", 0, endpoint=endpoint)
        request = self.http.build_request(
            "POST", endpoint, content=encoded, headers=self._headers(state), timeout=timeout
        )
        try:
            return send_cancellable(self.http, request, ctx)
        except httpx.HTTPError as exc:
            raise AppError(
                "network_error", "The Codex request failed.", {"error": f"{type(exc).__name__}: {exc}"}
            ) from None

    # --- SSE

    def _read_stream(self, response: httpx.Response, ctx: ProviderContext) -> _Stream:
        stream = _Stream()
        for data in event_data(response, "The Codex backend"):
            payload = data.strip()
            if payload == "[DONE]":
                ctx.emit("sse", "done", {"raw": "[DONE]"})
                stream.completed = True
                continue
            try:
                event = json.loads(payload)
            except json.JSONDecodeError as exc:
                raise AppError("request_failed", "The Codex stream sent malformed JSON.", {"error": str(exc)}) from None
            if not isinstance(event, dict):
                continue
            raw_kind = event.get("type")
            kind = raw_kind if isinstance(raw_kind, str) else "unknown"
            ctx.emit("sse", kind, redact(event))
            self._track(stream, kind, event, ctx)
        images = stream.image_items()
        if stream.error is not None and not images:
            error = stream.error if isinstance(stream.error, dict) else {}
            if error.get("code") or error.get("message"):
                message = f"{error.get('code') or 'error'}: {error.get('message') or ''}".strip()
            else:
                message = "Image generation failed without structured error details."
            raise AppError("request_failed", message, redact(stream.error))
        if not stream.completed and not images:
            raise AppError("request_failed", "The Codex stream ended before the response completed.")
        ctx.progress(
            PROVIDER,
            "request_completed",
            "running",
            "Codex image request completed.",
            97,
            response_id=stream.meta.get("id"),
            image_count=len(images),
        )
        return stream

    def _track(self, stream: _Stream, kind: str, event: dict[str, Any], ctx: ProviderContext) -> None:
        raw_response = event.get("response")
        response: dict[str, Any] = raw_response if isinstance(raw_response, dict) else {}
        if response:
            stream.meta.update({k: v for k, v in response.items() if k != "output"})
        if kind == "response.created":
            ctx.progress(
                PROVIDER, "response_created", "running", "Codex response created.", 15,
                response_id=stream.meta.get("id"), model=stream.meta.get("model"),
            )  # fmt: skip
        elif kind == "response.output_item.done":
            raw_item = event.get("item")
            item: dict[str, Any] = raw_item if isinstance(raw_item, dict) else {}
            stream.merge_item(item)
            ctx.progress(
                PROVIDER, "output_item_done", "running", "Codex output item finished.", 85,
                item_id=item.get("id"), item_type=item.get("type"), item_status=item.get("status"),
                image_count=len(stream.image_items()),
            )  # fmt: skip
        elif kind == "error":
            stream.error = event.get("error", event)
            ctx.progress(
                PROVIDER, "request_failed", "failed", "Codex reported an error.", None, error=redact(stream.error)
            )
        elif kind == "response.failed":
            for item in response.get("output") or []:
                if isinstance(item, dict):
                    stream.merge_item(item)
            stream.error = response.get("error") or stream.error or {}
            ctx.progress(
                PROVIDER, "request_failed", "failed", "Codex response failed.", None,
                response_id=stream.meta.get("id"), error=redact(stream.error),
            )  # fmt: skip
        elif kind == "response.completed":
            stream.completed = True
            ctx.progress(
                PROVIDER, "response_completed", "running", "Codex response completed.", 95,
                response_id=stream.meta.get("id"), image_count=len(stream.image_items()),
            )  # fmt: skip

    # --- payloads

    def _request_payload(self, job: ImageJob, model: str) -> dict[str, Any]:
        request: dict[str, Any] = {
            "operation": job.operation,
            "provider": PROVIDER,
            "model": model,
            "delegated_image_model": DELEGATED_IMAGE_MODEL,
            "background": job.background,
            "ref_image_count": len(job.refs),
        }
        for key, value in (
            ("size", job.size),
            ("quality", job.quality),
            ("format", job.output_format),
            ("compression", job.compression),
        ):
            if value is not None:
                request[key] = value
        return request
