"""Fixtures for provider tests: a real fake upstream on loopback, an HTTP client, a recording
job context, a fast retry policy and hand-built ResolvedProviders."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from gpt_image_engine.jobs.context import RecordingContext
from gpt_image_engine.providers import codex, openai
from gpt_image_engine.providers.base import CodexSettings, OpenAISettings, ResolvedProvider, RetryPolicy
from tests.fakeupstream import FakeUpstream

API_KEY = "sk-test-secret-key-0123456789"


@pytest.fixture
def fake() -> Iterator[FakeUpstream]:
    with FakeUpstream(api_key=API_KEY, default_size=(64, 64)) as server:
        yield server


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(trust_env=False) as client:
        yield client


@pytest.fixture
def ctx(tmp_path: Path) -> RecordingContext:
    return RecordingContext(tmp_path / "job")


@pytest.fixture
def policy() -> RetryPolicy:
    return RetryPolicy(base_delay_seconds=0.05, request_timeout_seconds=10.0)


@pytest.fixture
def openai_resolved(fake: FakeUpstream) -> ResolvedProvider:
    return ResolvedProvider(
        name="openai",
        kind="openai",
        requested="openai",
        reason="explicit",
        model="gpt-image-2",
        capabilities=openai.CAPABILITIES,
        settings=OpenAISettings(api_base=fake.openai_base, api_key=API_KEY),
        auth_source="env",
    )


@pytest.fixture
def auth_file(fake: FakeUpstream, tmp_path: Path) -> Path:
    return fake.write_auth_json(tmp_path / "codex" / "auth.json")


@pytest.fixture
def codex_resolved(fake: FakeUpstream, auth_file: Path) -> ResolvedProvider:
    return ResolvedProvider(
        name="codex",
        kind="codex",
        requested="codex",
        reason="explicit",
        model="gpt-5.4",
        capabilities=codex.CAPABILITIES,
        settings=CodexSettings(endpoint=fake.codex_endpoint, auth_file=auth_file, token_url=fake.token_url),
        auth_source="auth.json",
    )
