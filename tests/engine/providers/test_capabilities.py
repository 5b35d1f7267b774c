"""Providers declare what they can do and make one attempt per call; callers check the
declaration (never the kind) and the registry is the one place retries wrap a provider."""

from __future__ import annotations

from dataclasses import replace

import httpx
import pytest

from gpt_image_engine.errors import AppError
from gpt_image_engine.jobs.context import RecordingContext
from gpt_image_engine.providers import codex, openai
from gpt_image_engine.providers.base import ImageJob, ResolvedProvider, RetryPolicy
from gpt_image_engine.providers.capabilities import check_options, check_request_operation
from gpt_image_engine.providers.openai import OpenAIProvider
from gpt_image_engine.providers.registry import capabilities_for, run_image_job
from gpt_image_engine.providers.sources import image_from_bytes
from tests.fakeupstream import FakeUpstream, Fault, draw_png
from tests.fakeupstream.server import GENERATIONS_PATH


def unsupported(resolved: ResolvedProvider, job: ImageJob) -> str:
    with pytest.raises(AppError) as info:
        check_options(resolved, job)
    assert info.value.code == "unsupported_option"
    return info.value.message


def test_codex_declares_what_its_image_tool_lacks(codex_resolved: ResolvedProvider) -> None:
    assert unsupported(codex_resolved, ImageJob("generate", "x", moderation="low")) == (
        "--moderation is supported by the openai provider."
    )
    assert unsupported(codex_resolved, ImageJob("edit", "x", input_fidelity="high")) == (
        "--input-fidelity is supported by the openai provider."
    )
    assert unsupported(codex_resolved, ImageJob("generate", "x", partial_images=2)) == (
        "--partial-images is supported by OpenAI-kind providers."
    )
    mask = image_from_bytes(draw_png(), "m.png")
    assert unsupported(codex_resolved, ImageJob("edit", "x", mask=mask)).startswith("--mask requires")
    check_options(codex_resolved, ImageJob("generate", "x", instructions="Be terse."))


def test_openai_declares_its_own(openai_resolved: ResolvedProvider) -> None:
    check_options(openai_resolved, ImageJob("edit", "x", moderation="low", input_fidelity="high", partial_images=1))
    assert unsupported(openai_resolved, ImageJob("generate", "x", instructions="Be terse.")) == (
        "--instructions is supported by the codex provider."
    )
    # A compatible base without masks says so in its config entry: the same check refuses.
    no_masks = replace(openai_resolved, capabilities=capabilities_for("openai", "x", edit_region_mode="reference-hint"))
    assert unsupported(no_masks, ImageJob("edit", "x", mask=image_from_bytes(draw_png(), "m.png"))).startswith(
        "--mask requires"
    )


def test_transparent_background_follows_the_declaration(openai_resolved: ResolvedProvider) -> None:
    check_options(openai_resolved, ImageJob("generate", "x", background="transparent"))
    opaque_only = replace(
        openai_resolved, capabilities=replace(openai_resolved.capabilities, transparent_background=False)
    )
    assert unsupported(opaque_only, ImageJob("generate", "x", background="transparent")).startswith(
        "--background transparent is not supported"
    )
    check_options(opaque_only, ImageJob("generate", "x", background="opaque"))


def test_request_operations_follow_the_declaration(
    openai_resolved: ResolvedProvider, codex_resolved: ResolvedProvider
) -> None:
    for resolved, wrong, message in (
        (codex_resolved, "generate", "Codex request create uses --request-operation responses."),
        (openai_resolved, "responses", "OpenAI request create uses --request-operation generate or edit."),
    ):
        check_request_operation(resolved, resolved.capabilities.request_operations[0])
        with pytest.raises(AppError) as info:
            check_request_operation(resolved, wrong)
        assert info.value.message == message


def test_declared_defaults() -> None:
    assert (openai.CAPABILITIES.native_n, openai.CAPABILITIES.masks) == (True, True)
    assert (codex.CAPABILITIES.native_n, codex.CAPABILITIES.masks) == (False, False)
    assert capabilities_for("openai", "x", native_n=False).native_n is False
    with pytest.raises(AppError) as info:
        capabilities_for("dall-e", "x")
    assert info.value.code == "provider_kind_unsupported"


def test_a_provider_call_is_one_attempt_and_the_registry_retries(
    fake: FakeUpstream, openai_resolved: ResolvedProvider, http: httpx.Client, ctx: RecordingContext
) -> None:
    fake.faults(Fault.fail(500), Fault.fail(500))
    with pytest.raises(AppError) as info:
        OpenAIProvider(openai_resolved, http).run_image(ImageJob("generate", "x"), ctx, 10.0)
    assert info.value.status_code == 500
    assert len(fake.requests_to(GENERATIONS_PATH)) == 1
    assert [e for e in ctx.events if e["type"] == "retry_scheduled"] == []
    out = run_image_job(openai_resolved, ImageJob("generate", "x"), ctx, RetryPolicy(base_delay_seconds=0.01), http)
    assert out.retry_count == 1 and len(fake.requests_to(GENERATIONS_PATH)) == 3
