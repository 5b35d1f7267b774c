"""Parsing: global flags anywhere, the leaf's own option wins, help, usage errors."""

from __future__ import annotations

import click
import pytest

from gpt_image_cli.globalflags import hoist
from gpt_image_cli.main import cli
from tests.cli.conftest import Invoke, envelope


def _hoist(*args: str) -> list[str]:
    return hoist(cli, click.Context(cli), list(args))


def test_global_flags_after_subcommand_move_to_front() -> None:
    assert _hoist("doctor", "--json", "--provider", "codex") == ["--json", "--provider", "codex", "doctor"]
    assert _hoist("config", "path", "--config=/tmp/c.json") == ["--config=/tmp/c.json", "config", "path"]
    assert _hoist("config", "--json", "inspect") == ["--json", "config", "inspect"]


def test_global_flags_before_subcommand_stay() -> None:
    assert _hoist("--json", "--engine", "unix:///x", "doctor") == ["--json", "--engine", "unix:///x", "doctor"]


def test_leaf_option_of_the_same_name_wins() -> None:
    args = ["config", "add-provider", "--name", "p", "--api-key", "sk-leaf", "--endpoint", "http://e"]
    assert _hoist(*args) == args
    # A global given before the subcommand is still the global.
    assert _hoist("--api-key", "g", "config", "add-provider", "--api-key", "l") == [
        "--api-key",
        "g",
        "config",
        "add-provider",
        "--api-key",
        "l",
    ]


def test_option_values_that_look_like_globals_are_not_hoisted() -> None:
    args = ["images", "generate", "--prompt", "--json", "--out", "o.png"]
    assert _hoist(*args) == args


def test_engine_flag_after_subcommand_takes_effect(invoke: Invoke, tmp_path) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "given.sock"
    result = invoke("doctor", "--engine", f"unix://{target}", "--json")
    body = envelope(result)
    assert result.exit_code == 1
    assert body["ok"] is False
    assert body["error"]["code"] == "engine_unavailable"
    assert str(target) in body["error"]["message"]


@pytest.mark.parametrize(
    "args", [["--help"], ["images", "generate", "--help"], ["config", "add-provider", "--help"], ["doctor", "-h"]]
)
def test_help_exits_zero(invoke: Invoke, args: list[str]) -> None:
    result = invoke(*args)
    assert result.exit_code == 0
    assert "Usage:" in result.stdout


def test_version(invoke: Invoke) -> None:
    result = invoke("--version")
    assert result.exit_code == 0
    assert result.stdout.startswith("gpt-image-2-skill ")


@pytest.mark.parametrize(
    "args",
    [
        ["no-such-command"],
        ["doctor", "--no-such-flag"],
        ["config", "nope"],
        ["images", "generate", "--prompt", "x"],  # --out missing
        ["images", "generate", "--prompt", "x", "--out", "o.png", "--quality", "ultra"],
        [],
    ],
)
def test_usage_errors_are_invalid_command_exit_2(invoke: Invoke, args: list[str]) -> None:
    result = invoke(*args)
    assert result.exit_code == 2
    body = envelope(result)
    assert body["ok"] is False
    assert body["error"]["code"] == "invalid_command"
    assert body["error"]["message"]


def test_unexpected_exception_is_internal_error_without_traceback(
    invoke: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gpt_image_cli.context import CliState

    def boom(self: CliState) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(CliState, "engine", boom)
    result = invoke("doctor")
    assert result.exit_code == 1
    body = envelope(result)
    assert body["error"]["code"] == "internal_error"
    assert "Traceback" not in result.stdout


def test_supports_n_conflict_fails_before_any_rpc(invoke: Invoke) -> None:
    result = invoke("config", "add-provider", "--name", "p", "--supports-n", "--no-supports-n")
    assert result.exit_code == 1
    assert envelope(result)["error"]["code"] == "invalid_provider_config"


def test_request_body_must_be_a_json_object(invoke: Invoke, tmp_path) -> None:  # type: ignore[no-untyped-def]
    body = tmp_path / "body.json"
    body.write_text("[1, 2]")
    result = invoke("request", "create", "--body-file", str(body))
    assert result.exit_code == 1
    assert envelope(result)["error"]["code"] == "invalid_body_json"
    result = invoke("request", "create", "--body-file", "-", input="{not json")
    assert envelope(result)["error"]["code"] == "invalid_body_json"
