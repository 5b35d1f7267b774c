"""Which module serves a provider kind, and running one image job on it (incl. §5.5 batching).

`build_provider` maps `ResolvedProvider.kind` to a provider class; a new provider is one
module plus one line in `_KINDS`. `run_image_job` runs a job; when `n > 1` and the
provider has no native `n` (`supports_n` False) it runs `n` single-image requests in
parallel (at most `MAX_PARALLEL` at once), merges the images in order and fails the
whole job on any child's failure (the first by index).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from gpt_image_engine.errors import AppError
from gpt_image_engine.jobs.context import JobContext
from gpt_image_engine.providers.base import ImageJob, Provider, ProviderOutput, ResolvedProvider, RetryPolicy
from gpt_image_engine.providers.codex import CodexProvider
from gpt_image_engine.providers.openai import OpenAIProvider

MAX_PARALLEL = 4
BATCH_MODE = "parallel-single-output"

_KINDS: dict[str, Callable[[ResolvedProvider, httpx.Client], Provider]] = {
    "openai": OpenAIProvider,
    "codex": CodexProvider,
}


def build_provider(resolved: ResolvedProvider, http: httpx.Client) -> Provider:
    """The provider object for a resolved selection."""
    factory = _KINDS.get(resolved.kind)
    if factory is None:
        raise AppError(
            "provider_kind_unsupported",
            f"Unsupported provider kind: {resolved.kind}",
            {"provider": resolved.name, "kind": resolved.kind},
        )
    return factory(resolved, http)


def run_image_job(
    resolved: ResolvedProvider, job: ImageJob, ctx: JobContext, policy: RetryPolicy, http: httpx.Client
) -> ProviderOutput:
    """Run `job` on the resolved provider, batching `n` single requests when it lacks native `n`."""
    provider = build_provider(resolved, http)
    n = job.n or 1
    if n <= 1 or resolved.supports_n:
        return provider.run_image(job, ctx, policy)
    if isinstance(provider, CodexProvider):
        # Validate the options once before fanning out (n itself is what batching provides).
        provider.check_supported(dataclasses.replace(job, n=None))
    return _run_batched(provider, resolved, job, n, ctx, policy)


def _run_batched(
    provider: Provider, resolved: ResolvedProvider, job: ImageJob, n: int, ctx: JobContext, policy: RetryPolicy
) -> ProviderOutput:
    child_job = dataclasses.replace(job, n=None)

    def child(index: int) -> ProviderOutput:
        ctx.check_cancelled()
        return provider.run_image(child_job, ctx, policy)

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
