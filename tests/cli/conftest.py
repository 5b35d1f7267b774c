"""CLI unit-test helpers: a CliRunner aimed at an engine address where nothing listens,
so any test that gets past validation ends in `engine_unavailable` without a network call."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from gpt_image_cli.main import cli

Invoke = Callable[..., Result]


@pytest.fixture
def nowhere(tmp_path: Path) -> str:
    return f"unix://{tmp_path / 'no-engine.sock'}"


@pytest.fixture
def invoke(nowhere: str, monkeypatch: pytest.MonkeyPatch) -> Invoke:
    monkeypatch.setenv("GPT_IMAGE_2_ENGINE", nowhere)
    monkeypatch.setenv("GPT_IMAGE_2_NO_AUTOSTART", "1")
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    runner = CliRunner()

    def run(*args: str, input: str | None = None) -> Result:
        return runner.invoke(cli, list(args), input=input, catch_exceptions=False)

    return run


def envelope(result: Result) -> dict[str, Any]:
    """stdout must be exactly one pretty JSON object followed by a newline."""
    assert result.stdout.endswith("}\n"), result.stdout
    body = json.loads(result.stdout)
    assert isinstance(body, dict)
    assert result.stdout == json.dumps(body, indent=2, ensure_ascii=False) + "\n"
    return body
