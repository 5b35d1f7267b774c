"""Codex provider against the real fake upstream: body and headers, SSE echo and progress,
the one-refresh-on-401 rule with auth.json rewritten 0600, unsupported options, retries."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import httpx
import pytest

from gpt_image_engine.errors import AppError
from gpt_image_engine.jobs.context import RecordingContext
from gpt_image_engine.providers.base import CodexSettings, ImageJob, ResolvedProvider, RetryPolicy
from gpt_image_engine.providers.codex import CAPABILITIES, CodexProvider
from gpt_image_engine.providers.openai import USER_AGENT
from gpt_image_engine.providers.registry import run_image_job, run_raw_request
from gpt_image_engine.providers.sources import image_from_bytes, sniff_mime, to_data_url
from tests.fakeupstream import FakeUpstream, Fault, draw_png
from tests.fakeupstream.server import CODEX_PATH, DEFAULT_ACCOUNT_ID, TOKEN_PATH


def progress(ctx: RecordingContext, phase: str) -> list[dict[str, Any]]:
    return [e["data"] for e in ctx.events if e["kind"] == "progress" and e["type"] == phase]


def phases(ctx: RecordingContext) -> list[str]:
    return [e["type"] for e in ctx.events]


def test_generate_body_headers_and_events(
    fake: FakeUpstream, codex_resolved: ResolvedProvider, http: httpx.Client, ctx: RecordingContext, policy: RetryPolicy
) -> None:
    job = ImageJob("generate", "a lighthouse", size="1024x1024", quality="high", output_format="png", compression=80)
    out = run_image_job(codex_resolved, job, ctx, policy, http)

    (rec,) = fake.requests_to(CODEX_PATH)
    assert rec.json == {
        "model": "gpt-5.4",
        "instructions": "You are a concise assistant.",
        "store": False,
        "stream": True,
        "input": [{"role": "user", "content": [{"type": "input_text", "text": "a lighthouse"}]}],
        "tools": [
            {
                "type": "image_generation", "background": "auto", "action": "generate", "size": "1024x1024",
                "quality": "high", "output_format": "png", "output_compression": 80,
            }
        ],
    }  # fmt: skip
    assert rec.headers["authorization"] == f"Bearer {fake.access_token}"
    assert rec.headers["chatgpt-account-id"] == DEFAULT_ACCOUNT_ID
    assert rec.headers["accept"] == "text/event-stream" and rec.headers["originator"] == "codex_desktop"
    assert rec.headers["user-agent"] == USER_AGENT

    assert len(out.images) == 1 and sniff_mime(out.images[0]) == "image/png"
    assert phases(ctx) == [
        "request.started", "request_started",
        "response.created", "response_created",
        "response.output_item.done", "output_item_done",
        "response.completed", "response_completed",
        "done", "request_completed",
    ]  # fmt: skip
    assert [e["kind"] for e in ctx.events if e["type"].startswith("response.")] == ["sse"] * 3
    assert [p["percent"] for p in (progress(ctx, "response_created") + progress(ctx, "output_item_done"))] == [15, 85]
    assert progress(ctx, "response_completed")[0]["percent"] == 95
    assert progress(ctx, "request_completed")[0] == {
        "provider": "codex", "phase": "request_completed", "status": "running",
        "message": "Codex image request completed.", "percent": 97,
        "response_id": out.response["response_id"], "image_count": 1,
    }  # fmt: skip
    item_event = next(e for e in ctx.events if e["type"] == "response.output_item.done")
    assert item_event["data"]["item"]["result"]["_omitted"] == "base64"
    assert out.response["item_ids"] and out.response["revised_prompts"] == ["Revised: a lighthouse"]
    assert out.response["model"] == "gpt-5.4" and out.response["status"] == "completed"
    assert out.request["delegated_image_model"] == "gpt-image-2" and out.request["format"] == "png"
    assert out.auth == {
        "source": "auth.json", "auth_file": str(codex_resolved.settings.auth_file), "account_id": DEFAULT_ACCOUNT_ID, "refreshed": False
    }  # fmt: skip
    dumped = json.dumps(ctx.events)
    assert fake.access_token not in dumped and fake.refresh_token not in dumped


def test_edit_with_two_refs(
    fake: FakeUpstream, codex_resolved: ResolvedProvider, http: httpx.Client, ctx: RecordingContext, policy: RetryPolicy
) -> None:
    refs = [image_from_bytes(draw_png(index=0), "a.png"), image_from_bytes(draw_png(index=1), "b.png")]
    refs[1].url = "https://example.com/ref.png"  # http refs pass through to Codex unchanged
    job = ImageJob("edit", "combine", refs=refs, instructions="Be brief.")
    out = run_image_job(codex_resolved, job, ctx, policy, http)
    (rec,) = fake.requests_to(CODEX_PATH)
    content = rec.json["input"][0]["content"]
    assert content == [
        {"type": "input_image", "image_url": to_data_url(refs[0])},
        {"type": "input_image", "image_url": "https://example.com/ref.png"},
        {"type": "input_text", "text": "combine"},
    ]
    assert rec.json["tools"][0]["action"] == "edit" and rec.json["instructions"] == "Be brief."
    assert out.request["ref_image_count"] == 2 and len(out.images) == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [("mask", "MASK"), ("moderation", "low"), ("input_fidelity", "high"), ("n", 2)],
)
def test_unsupported_options_fail_before_network(
    fake: FakeUpstream, codex_resolved: ResolvedProvider, http: httpx.Client, ctx: RecordingContext, policy: RetryPolicy,
    field: str, value: Any,
) -> None:  # fmt: skip
    job = ImageJob("edit", "x", refs=[image_from_bytes(draw_png(), "a.png")])
    setattr(job, field, image_from_bytes(draw_png(), "m.png") if value == "MASK" else value)
    with pytest.raises(AppError) as info:  # one attempt on the provider itself (no batching of n)
        CodexProvider(codex_resolved, http).run_image(job, ctx, policy.request_timeout_seconds)
    assert info.value.code == "unsupported_option"
    assert fake.requests == [] and ctx.events == []


def test_401_refreshes_once_and_rewrites_auth_json(
    fake: FakeUpstream, codex_resolved: ResolvedProvider, auth_file: Path, http: httpx.Client, ctx: RecordingContext,
    policy: RetryPolicy,
) -> None:  # fmt: skip
    original = json.loads(auth_file.read_text())
    fake.revoke_access_token()  # the token in auth.json is now stale
    out = run_image_job(codex_resolved, ImageJob("generate", "x"), ctx, policy, http)

    assert fake.token_calls == 1 and len(fake.requests_to(TOKEN_PATH)) == 1
    token_body = fake.requests_to(TOKEN_PATH)[0].json
    assert token_body["grant_type"] == "refresh_token" and token_body["refresh_token"] == "fake-refresh-0"
    assert [r.status for r in fake.requests_to(CODEX_PATH)] == [401, 200]
    assert out.retry_count == 0 and out.auth["refreshed"] is True
    assert progress(ctx, "retry_scheduled") == []
    order = phases(ctx)
    assert order[:6] == [
        "request.started", "request_started", "auth_refresh_started", "auth.refresh.completed",
        "auth_refresh_completed", "request.started",
    ]  # fmt: skip
    assert progress(ctx, "auth_refresh_started")[0]["endpoint"] == fake.token_url
    assert progress(ctx, "auth_refresh_started")[0]["percent"] == 2
    assert progress(ctx, "auth_refresh_completed")[0]["percent"] == 4

    saved = json.loads(auth_file.read_text())
    assert stat.S_IMODE(auth_file.stat().st_mode) == 0o600
    assert saved["tokens"]["access_token"] == fake.access_token
    assert saved["tokens"]["refresh_token"] == fake.refresh_token != "fake-refresh-0"
    assert saved["auth_mode"] == original["auth_mode"] and "OPENAI_API_KEY" in saved  # unknown fields kept
    assert saved["last_refresh"] != original["last_refresh"]
    dumped = json.dumps(ctx.events)
    assert fake.access_token not in dumped and fake.refresh_token not in dumped


def test_second_401_is_http_error_without_second_refresh(
    fake: FakeUpstream, codex_resolved: ResolvedProvider, http: httpx.Client, ctx: RecordingContext, policy: RetryPolicy
) -> None:
    fake.revoke_access_token()
    fake.faults(Fault.unauthorized(path=CODEX_PATH))  # the re-send is refused too
    fake.faults(Fault.unauthorized(path=CODEX_PATH))
    with pytest.raises(AppError) as info:
        run_image_job(codex_resolved, ImageJob("generate", "x"), ctx, policy, http)
    assert info.value.code == "http_error" and info.value.status_code == 401
    assert fake.token_calls == 1


def test_rejected_refresh_is_not_retried(
    fake: FakeUpstream, codex_resolved: ResolvedProvider, http: httpx.Client, ctx: RecordingContext, policy: RetryPolicy
) -> None:
    fake.revoke_access_token()
    fake.faults(Fault.fail(500, path=TOKEN_PATH))
    with pytest.raises(AppError) as info:
        run_image_job(codex_resolved, ImageJob("generate", "x"), ctx, policy, http)
    assert info.value.code == "http_error" and info.value.status_code == 500
    assert fake.token_calls == 0 and len(fake.requests_to(CODEX_PATH)) == 1


def test_cut_stream_is_not_resent(
    fake: FakeUpstream, codex_resolved: ResolvedProvider, http: httpx.Client, ctx: RecordingContext, policy: RetryPolicy
) -> None:
    fake.faults(Fault.cut_stream(path=CODEX_PATH))
    with pytest.raises(AppError) as info:
        run_image_job(codex_resolved, ImageJob("generate", "x"), ctx, policy, http)
    assert info.value.code == "request_failed" and info.value.detail["remote_accepted"] is True
    assert len(fake.requests_to(CODEX_PATH)) == 1 and progress(ctx, "retry_scheduled") == []


def test_two_500s_then_success(
    fake: FakeUpstream, codex_resolved: ResolvedProvider, http: httpx.Client, ctx: RecordingContext, policy: RetryPolicy
) -> None:
    fake.faults(Fault.fail(500, times=2, path=CODEX_PATH))
    out = run_image_job(codex_resolved, ImageJob("generate", "x"), ctx, policy, http)
    assert out.retry_count == 2 and len(progress(ctx, "retry_scheduled")) == 2


def test_no_image_is_missing_image_result(
    fake: FakeUpstream, codex_resolved: ResolvedProvider, http: httpx.Client, ctx: RecordingContext, policy: RetryPolicy
) -> None:
    fake.faults(Fault.no_image(path=CODEX_PATH))
    with pytest.raises(AppError) as info:
        run_image_job(codex_resolved, ImageJob("generate", "x"), ctx, policy, http)
    assert info.value.code == "missing_image_result"
    assert len(fake.requests_to(CODEX_PATH)) == 1


def test_session_tokens_without_auth_file(
    fake: FakeUpstream, codex_resolved: ResolvedProvider, http: httpx.Client, ctx: RecordingContext, policy: RetryPolicy
) -> None:
    codex_resolved.settings.auth_file = None
    codex_resolved.settings.access_token = fake.access_token
    codex_resolved.settings.refresh_token = fake.refresh_token
    fake.revoke_access_token()
    out = run_image_job(codex_resolved, ImageJob("generate", "x"), ctx, policy, http)
    assert out.auth["source"] == "session" and out.auth["refreshed"] is True and fake.token_calls == 1


def test_batched_n_runs_parallel_single_requests(
    fake: FakeUpstream, codex_resolved: ResolvedProvider, http: httpx.Client, ctx: RecordingContext, policy: RetryPolicy
) -> None:
    out = run_image_job(codex_resolved, ImageJob("generate", "x", n=3), ctx, policy, http)
    assert len(fake.requests_to(CODEX_PATH)) == 3 and len(out.images) == 3
    assert out.request == {"operation": "generate", "provider": "codex", "n": 3, "batch_mode": "parallel-single-output"}
    assert out.response == {"image_count": 3, "batch_request_count": 3}


def test_run_raw_responses(
    fake: FakeUpstream, codex_resolved: ResolvedProvider, http: httpx.Client, ctx: RecordingContext, policy: RetryPolicy
) -> None:
    body = {"model": "gpt-5.4", "stream": True, "input": "hi", "tools": [{"type": "image_generation"}]}
    out = run_raw_request(codex_resolved, body, "responses", ctx, policy, True, http)
    assert fake.requests_to(CODEX_PATH)[0].json == body
    assert out.request == {"operation": "responses"} and len(out.images) == 1
    assert out.raw["output_items"][0]["result"]["_omitted"] == "base64"
    with pytest.raises(AppError) as info:
        run_raw_request(codex_resolved, body, "generate", ctx, policy, True, http)
    assert info.value.code == "unsupported_option"


def test_config_provider_refresh_persists_into_config(
    fake: FakeUpstream, http: httpx.Client, ctx: RecordingContext, policy: RetryPolicy, tmp_path: Path
) -> None:
    stale, refresh = fake.access_token, fake.refresh_token
    fake.revoke_access_token()
    entry = {
        "type": "codex",
        "endpoint": fake.codex_endpoint,
        "credentials": {
            "access_token": {"source": "file", "value": stale},
            "refresh_token": {"source": "file", "value": refresh},
        },
    }
    config_file = tmp_path / "config.json"
    config_file.write_text(json.dumps({"version": 1, "providers": {"mycodex": entry}}))
    resolved = ResolvedProvider(
        name="mycodex", kind="codex", requested="mycodex", reason="explicit_config_provider", model="gpt-5.4",
        capabilities=CAPABILITIES, auth_source="config", config_file=config_file, config_entry=entry,
        settings=CodexSettings(
            endpoint=fake.codex_endpoint, access_token=stale, refresh_token=refresh, token_url=fake.token_url
        ),
    )  # fmt: skip
    out = run_image_job(resolved, ImageJob("generate", "x"), ctx, policy, http)
    assert out.auth == {"source": "config", "auth_file": None, "account_id": DEFAULT_ACCOUNT_ID, "refreshed": True}
    creds = json.loads(config_file.read_text())["providers"]["mycodex"]["credentials"]
    assert creds["access_token"]["value"] == fake.access_token
    assert creds["refresh_token"]["value"] == fake.refresh_token
    assert stat.S_IMODE(config_file.stat().st_mode) == 0o600
