"""Which module serves a provider kind, and running work on it: retries and §5.5 batching.

`build_provider` maps `ResolvedProvider.kind` to a provider class and `capabilities_for`
to its declared capabilities; a new provider is one module plus one line in `_KINDS`.
`run_image_job` and `run_raw_request` are the one place retries wrap a provider: each
provider call is a single attempt, and the caller's `RetryPolicy` decides how many
(`providers.retry.with_retries`). When `n > 1` and the provider has no native `n` the
job runs `n` single-image requests in parallel (at most `MAX_PARALLEL` at once, each
with its own retries), merges the images in order and fails the whole job on any
child's failure (the first by index).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from gpt_image_engine.errors import AppError
from gpt_image_engine.providers import codex, openai
from gpt_image_engine.providers.base import (
    Capabilities,
    ImageJob,
    Provider,
    ProviderContext,
    ProviderOutput,
    ResolvedProvider,
    RetryPolicy,
)
from gpt_image_engine.providers.retry import with_retries

MAX_PARALLEL = 4
BATCH_MODE = "parallel-single-output"

_KINDS: dict[str, tuple[Callable[[ResolvedProvider, httpx.Client], Provider], Capabilities]] = {
    "openai": (openai.OpenAIProvider, openai.CAPABILITIES),
    "codex": (codex.CodexProvider, codex.CAPABILITIES),
}


def _unsupported_kind(name: str, kind: str) -> AppError:
    return AppError("provider_kind_unsupported", f"Unsupported provider kind: {kind}", {"provider": name, "kind": kind})


def capabilities_for(
    kind: str, name: str, *, native_n: bool | None = None, edit_region_mode: str | None = None
) -> Capabilities:
    """A kind's declared capabilities, with a config entry's `supports_n` / `edit_region_mode`."""
    if kind not in _KINDS:
        raise _unsupported_kind(name, kind)
    caps = _KINDS[kind][1]
    if native_n is not None:
        caps = dataclasses.replace(caps, native_n=native_n)
    if edit_region_mode is not None:
        caps = dataclasses.replace(caps, edit_region_mode=edit_region_mode)
    return caps


def build_provider(resolved: ResolvedProvider, http: httpx.Client) -> Provider:
    """The provider object for a resolved selection."""
    entry = _KINDS.get(resolved.kind)
    if entry is None:
        raise _unsupported_kind(resolved.name, resolved.kind)
    return entry[0](resolved, http)


def _retried(
    provider: Provider, attempt: Callable[[], ProviderOutput], ctx: ProviderContext, policy: RetryPolicy
) -> ProviderOutput:
    out, retries = with_retries(attempt, policy, ctx, provider.event_name, provider.secrets)
    out.retry_count = retries
    return out


def run_image_job(
    resolved: ResolvedProvider, job: ImageJob, ctx: ProviderContext, policy: RetryPolicy, http: httpx.Client
) -> ProviderOutput:
    """Run `job` on the resolved provider with `policy`'s retries, batching `n` single
    requests when it lacks native `n`."""
    provider = build_provider(resolved, http)
    n = job.n or 1
    timeout = policy.request_timeout_seconds
    if n <= 1 or resolved.supports_n:
        return _retried(provider, lambda: provider.run_image(job, ctx, timeout), ctx, policy)
    # Validate the options once before fanning out (n itself is what batching provides).
    provider.check(dataclasses.replace(job, n=None))
    return _run_batched(provider, resolved, job, n, ctx, policy)


def run_raw_request(
    resolved: ResolvedProvider,
    body: dict[str, Any],
    operation: str,
    ctx: ProviderContext,
    policy: RetryPolicy,
    expect_image: bool,
    http: httpx.Client,
) -> ProviderOutput:
    """`request create` on the resolved provider, with `policy`'s retries."""
    provider = build_provider(resolved, http)
    timeout = policy.request_timeout_seconds
    return _retried(provider, lambda: provider.run_raw(body, operation, ctx, timeout, expect_image), ctx, policy)


def _run_batched(
    provider: Provider, resolved: ResolvedProvider, job: ImageJob, n: int, ctx: ProviderContext, policy: RetryPolicy
) -> ProviderOutput:
    child_job = dataclasses.replace(job, n=None)
    timeout = policy.request_timeout_seconds

    def child(index: int) -> ProviderOutput:
        ctx.check_cancelled()
        return _retried(provider, lambda: provider.run_image(child_job, ctx, timeout), ctx, policy)

    outcomes: list[ProviderOutput | BaseException] = []
    with ThreadPoolExecutor(max_workers=min(MAX_PARALLEL, n), thread_name_prefix="batch") as pool:
        futures = [pool.submit(child, i) for i in range(n)]
        for future in futures:
            try:
                outcomes.append(future.result())
            except BaseException as exc:  # noqa: BLE001 - every child failure is reported below
                outcomes.append(exc)
    for index, outcome in enumerate(outcomes):
        if isinstance(outcome, AppError):
            raise outcome
        if isinstance(outcome, BaseException):
            raise AppError(
                "batch_worker_failed",
                "A parallel batch request failed unexpectedly.",
                {"index": index, "error": f"{type(outcome).__name__}: {outcome}"},
            ) from outcome
    results = [o for o in outcomes if isinstance(o, ProviderOutput)]
    images = [image for result in results for image in result.images]
    request: dict[str, Any] = {"operation": job.operation, "provider": resolved.kind, "n": n, "batch_mode": BATCH_MODE}
    response: dict[str, Any] = {"image_count": len(images), "batch_request_count": n}
    return ProviderOutput(
        images=images,
        request=request,
        response=response,
        auth=results[0].auth if results else {},
        retry_count=sum(r.retry_count for r in results),
        raw={"children": [{"request": r.request, "response": r.response} for r in results]},
    )
