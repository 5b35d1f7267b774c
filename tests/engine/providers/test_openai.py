"""OpenAI provider against the real fake upstream: bodies, multipart order, events, retries,
streaming partial images, url results and the failure codes."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from gpt_image_engine.errors import AppError
from gpt_image_engine.jobs.context import RecordingContext
from gpt_image_engine.providers.base import ImageJob, ResolvedProvider, RetryPolicy
from gpt_image_engine.providers.openai import USER_AGENT
from gpt_image_engine.providers.registry import run_image_job, run_raw_request
from gpt_image_engine.providers.sources import image_from_bytes, sniff_mime
from tests.fakeupstream import FakeUpstream, Fault, draw_png
from tests.fakeupstream.server import EDITS_PATH, GENERATIONS_PATH

API_KEY = "sk-test-secret-key-0123456789"


def progress(ctx: RecordingContext, phase: str) -> list[dict[str, Any]]:
    return [e["data"] for e in ctx.events if e["kind"] == "progress" and e["type"] == phase]


def phases(ctx: RecordingContext) -> list[str]:
    return [e["type"] for e in ctx.events]


def test_generate_body_headers_events_and_payloads(
    fake: FakeUpstream,
    openai_resolved: ResolvedProvider,
    http: httpx.Client,
    ctx: RecordingContext,
    policy: RetryPolicy,
) -> None:
    job = ImageJob("generate", "a red circle", size="1024x640", quality="low", output_format="png", n=2)
    out = run_image_job(openai_resolved, job, ctx, policy, http)

    assert len(out.images) == 2 and all(sniff_mime(i) == "image/png" for i in out.images)
    (rec,) = fake.requests_to(GENERATIONS_PATH)
    assert list(rec.json) == ["model", "prompt", "background", "size", "quality", "output_format", "n"]
    assert rec.json["background"] == "auto" and rec.json["model"] == "gpt-image-2"
    assert rec.headers["authorization"] == f"Bearer {API_KEY}"
    assert rec.headers["user-agent"] == USER_AGENT
    assert phases(ctx) == ["request.started", "request_started", "request_completed"]
    assert progress(ctx, "request_completed")[0]["percent"] == 95
    assert progress(ctx, "request_completed")[0]["image_count"] == 2
    assert out.request == {
        "operation": "generate", "provider": "openai", "model": "gpt-image-2", "background": "auto",
        "ref_image_count": 0, "size": "1024x640", "quality": "low", "format": "png", "n": 2,
    }  # fmt: skip
    assert out.response["image_count"] == 2 and out.response["size"] == "1024x640"
    assert out.auth == {"source": "env", "env_var": "OPENAI_API_KEY", "refreshed": False}
    assert out.retry_count == 0
    assert API_KEY not in json.dumps(ctx.events) + json.dumps(out.request) + json.dumps(out.response)


def test_edit_multipart_parts_in_order_with_mask(
    fake: FakeUpstream,
    openai_resolved: ResolvedProvider,
    http: httpx.Client,
    ctx: RecordingContext,
    policy: RetryPolicy,
) -> None:
    refs = [image_from_bytes(draw_png(index=0), "first ref.png"), image_from_bytes(draw_png(index=1), "second.png")]
    mask = image_from_bytes(draw_png(index=2), "mask.png")
    job = ImageJob("edit", "make it blue", refs=refs, mask=mask, input_fidelity="high", quality="high")
    out = run_image_job(openai_resolved, job, ctx, policy, http)

    (rec,) = fake.requests_to(EDITS_PATH)
    assert [(p.name, p.filename) for p in rec.files] == [
        ("image[]", "firstref.png"), ("image[]", "second.png"), ("mask", "mask.png")
    ]  # fmt: skip
    assert [p.data for p in rec.files] == [refs[0].data, refs[1].data, mask.data]
    assert rec.fields == {
        "model": "gpt-image-2", "prompt": "make it blue", "quality": "high", "background": "auto", "input_fidelity": "high"
    }  # fmt: skip
    assert phases(ctx) == ["request.started", "request_started", "multipart_prepared", "request_completed"]
    assert progress(ctx, "multipart_prepared")[0]["percent"] == 10
    assert out.request["mask_present"] is True and out.request["ref_image_count"] == 2
    assert len(out.images) == 1


def test_two_500s_then_success(
    fake: FakeUpstream,
    openai_resolved: ResolvedProvider,
    http: httpx.Client,
    ctx: RecordingContext,
    policy: RetryPolicy,
) -> None:
    fake.faults(Fault.fail(500, times=2))
    out = run_image_job(openai_resolved, ImageJob("generate", "x"), ctx, policy, http)
    assert out.retry_count == 2
    retries = progress(ctx, "retry_scheduled")
    assert [r["retry_number"] for r in retries] == [1, 2]
    assert all(r["status_code"] == 500 and "percent" not in r and r["status"] == "running" for r in retries)
    assert [r["delay_seconds"] for r in retries] == [0.05, 0.1]
    assert len(fake.requests_to(GENERATIONS_PATH)) == 3
    assert phases(ctx).count("request_started") == 3


def test_non_retryable_4xx_fails_fast_with_body(
    fake: FakeUpstream,
    openai_resolved: ResolvedProvider,
    http: httpx.Client,
    ctx: RecordingContext,
    policy: RetryPolicy,
) -> None:
    fake.faults(Fault.fail(400, body='{"error": {"message": "bad size"}}'))
    with pytest.raises(AppError) as info:
        run_image_job(openai_resolved, ImageJob("generate", "x"), ctx, policy, http)
    assert info.value.code == "http_error" and info.value.message == "HTTP 400"
    assert info.value.status_code == 400 and "bad size" in info.value.detail
    assert len(fake.requests_to(GENERATIONS_PATH)) == 1


def test_wrong_key_is_http_401(
    fake: FakeUpstream,
    openai_resolved: ResolvedProvider,
    http: httpx.Client,
    ctx: RecordingContext,
    policy: RetryPolicy,
) -> None:
    openai_resolved.settings.api_key = "sk-wrong"
    with pytest.raises(AppError) as info:
        run_image_job(openai_resolved, ImageJob("generate", "x"), ctx, policy, http)
    assert info.value.code == "http_error" and info.value.status_code == 401


def test_missing_key(
    openai_resolved: ResolvedProvider, http: httpx.Client, ctx: RecordingContext, policy: RetryPolicy
) -> None:
    openai_resolved.settings.api_key = None
    with pytest.raises(AppError) as info:
        run_image_job(openai_resolved, ImageJob("generate", "x"), ctx, policy, http)
    assert info.value.code == "api_key_missing"
    assert info.value.detail == {"provider": "openai", "env_var": "OPENAI_API_KEY"}


def test_malformed_json(
    fake: FakeUpstream,
    openai_resolved: ResolvedProvider,
    http: httpx.Client,
    ctx: RecordingContext,
    policy: RetryPolicy,
) -> None:
    fake.faults(Fault.malformed_json())
    with pytest.raises(AppError) as info:
        run_image_job(openai_resolved, ImageJob("generate", "x"), ctx, policy, http)
    assert info.value.code == "invalid_json_response"
    assert len(fake.requests_to(GENERATIONS_PATH)) == 1  # not retried


def test_no_image(
    fake: FakeUpstream,
    openai_resolved: ResolvedProvider,
    http: httpx.Client,
    ctx: RecordingContext,
    policy: RetryPolicy,
) -> None:
    fake.faults(Fault.no_image())
    with pytest.raises(AppError) as info:
        run_image_job(openai_resolved, ImageJob("generate", "x"), ctx, policy, http)
    assert info.value.code == "missing_image_result"


def test_cut_response_is_not_resent(
    fake: FakeUpstream,
    openai_resolved: ResolvedProvider,
    http: httpx.Client,
    ctx: RecordingContext,
    policy: RetryPolicy,
) -> None:
    # A 200 whose body is cut: the provider accepted (and may bill) the request.
    fake.faults(Fault.cut_stream())
    with pytest.raises(AppError) as info:
        run_image_job(openai_resolved, ImageJob("generate", "x"), ctx, policy, http)
    assert info.value.code == "network_error" and info.value.detail["remote_accepted"] is True
    assert len(fake.requests_to(GENERATIONS_PATH)) == 1 and progress(ctx, "retry_scheduled") == []


def test_timeout_is_network_error(
    fake: FakeUpstream, openai_resolved: ResolvedProvider, http: httpx.Client, ctx: RecordingContext
) -> None:
    fake.faults(Fault.slow(1.0))
    quick = RetryPolicy(max_retries=0, request_timeout_seconds=0.2)
    with pytest.raises(AppError) as info:
        run_image_job(openai_resolved, ImageJob("generate", "x"), ctx, quick, http)
    assert info.value.code == "network_error"


def test_streaming_partials_arrive_in_order_before_final(
    fake: FakeUpstream, openai_resolved: ResolvedProvider, http: httpx.Client, tmp_path: Path, policy: RetryPolicy
) -> None:
    seen: list[tuple[str, int]] = []

    class PreviewContext(RecordingContext):
        def on_partial_image(self, index: int, data: bytes) -> None:
            assert sniff_mime(data) == "image/png"
            seen.append(("partial", index))

    ctx = PreviewContext(tmp_path / "job")
    out = run_image_job(openai_resolved, ImageJob("generate", "x", partial_images=3), ctx, policy, http)
    (rec,) = fake.requests_to(GENERATIONS_PATH)
    assert rec.json["stream"] is True and rec.json["partial_images"] == 3
    assert seen == [("partial", 0), ("partial", 1), ("partial", 2)]
    partials = progress(ctx, "partial_image")
    assert [p["partial_image_index"] for p in partials] == [0, 1, 2] and all(p["bytes"] > 0 for p in partials)
    order = phases(ctx)
    assert order.index("request_completed") > max(i for i, t in enumerate(order) if t == "partial_image")
    assert len(out.images) == 1 and out.response["usage"]["total_tokens"] > 0
    assert "b64_json" not in json.dumps(ctx.events)


def test_streaming_edit(
    fake: FakeUpstream,
    openai_resolved: ResolvedProvider,
    http: httpx.Client,
    ctx: RecordingContext,
    policy: RetryPolicy,
) -> None:
    job = ImageJob("edit", "x", refs=[image_from_bytes(draw_png(), "a.png")], partial_images=1)
    out = run_image_job(openai_resolved, job, ctx, policy, http)
    (rec,) = fake.requests_to(EDITS_PATH)
    assert rec.fields["stream"] == "true" and rec.fields["partial_images"] == "1"
    assert len(progress(ctx, "partial_image")) == 1 and len(out.images) == 1


def test_url_results_are_downloaded_from_the_configured_host(
    fake: FakeUpstream, openai_resolved: ResolvedProvider, http: httpx.Client, ctx: RecordingContext, policy: RetryPolicy,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.delenv("GPT_IMAGE_2_ALLOW_PRIVATE_URLS", raising=False)
    fake.result_mode = "url"
    out = run_image_job(openai_resolved, ImageJob("generate", "x"), ctx, policy, http)
    assert sniff_mime(out.images[0]) == "image/png"
    assert any(r.path.startswith("/files/") for r in fake.requests)


def test_big_output(
    fake: FakeUpstream,
    openai_resolved: ResolvedProvider,
    http: httpx.Client,
    ctx: RecordingContext,
    policy: RetryPolicy,
) -> None:
    fake.faults(Fault.big_image(3_000_000))
    out = run_image_job(openai_resolved, ImageJob("generate", "x"), ctx, policy, http)
    assert len(out.images[0]) >= 2_900_000 and sniff_mime(out.images[0]) == "image/png"


def test_run_raw_generate(
    fake: FakeUpstream,
    openai_resolved: ResolvedProvider,
    http: httpx.Client,
    ctx: RecordingContext,
    policy: RetryPolicy,
) -> None:
    body = {"model": "gpt-image-2", "prompt": "raw", "size": "1024x1024", "custom": 1}
    out = run_raw_request(openai_resolved, body, "generate", ctx, policy, True, http)
    assert fake.requests_to(GENERATIONS_PATH)[0].json == body
    assert out.request == {"operation": "generate", "model": "gpt-image-2"} and len(out.images) == 1
    with pytest.raises(AppError) as info:
        run_raw_request(openai_resolved, body, "responses", ctx, policy, True, http)
    assert info.value.code == "unsupported_option"


def test_run_raw_edit_with_data_urls(
    fake: FakeUpstream,
    openai_resolved: ResolvedProvider,
    http: httpx.Client,
    ctx: RecordingContext,
    policy: RetryPolicy,
) -> None:
    import base64

    url = "data:image/png;base64," + base64.b64encode(draw_png()).decode()
    body = {"model": "gpt-image-2", "prompt": "raw", "images": [{"image_url": url}, url], "mask": {"image_url": url}}
    run_raw_request(openai_resolved, body, "edit", ctx, policy, True, http)
    (rec,) = fake.requests_to(EDITS_PATH)
    assert [(p.name, p.filename) for p in rec.files] == [
        ("image[]", "image-1.png"),
        ("image[]", "image-2.png"),
        ("mask", "mask.png"),
    ]


def test_batching_when_provider_lacks_n(
    fake: FakeUpstream,
    openai_resolved: ResolvedProvider,
    http: httpx.Client,
    ctx: RecordingContext,
    policy: RetryPolicy,
) -> None:
    openai_resolved.capabilities = replace(openai_resolved.capabilities, native_n=False)
    out = run_image_job(openai_resolved, ImageJob("generate", "x", n=3), ctx, policy, http)
    reqs = fake.requests_to(GENERATIONS_PATH)
    assert len(reqs) == 3 and all("n" not in r.json for r in reqs)
    assert len(out.images) == 3
    assert out.request == {
        "operation": "generate",
        "provider": "openai",
        "n": 3,
        "batch_mode": "parallel-single-output",
    }
    assert out.response == {"image_count": 3, "batch_request_count": 3}


def test_batching_child_failure_fails_job(
    fake: FakeUpstream,
    openai_resolved: ResolvedProvider,
    http: httpx.Client,
    ctx: RecordingContext,
    policy: RetryPolicy,
) -> None:
    openai_resolved.capabilities = replace(openai_resolved.capabilities, native_n=False)
    fake.faults(Fault.fail(400))
    with pytest.raises(AppError) as info:
        run_image_job(openai_resolved, ImageJob("generate", "x", n=2), ctx, policy, http)
    assert info.value.code == "http_error"
