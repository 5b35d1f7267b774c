"""The CLI for a person at a terminal (issue 16), driven through a real pseudo-terminal
(pexpect): every human view, the one-line errors, and progress that keeps moving while a
slow (fake) provider works. One engine and one fake upstream serve the whole module."""

from __future__ import annotations

import re
from pathlib import Path

import pexpect
import pytest

from tests.conftest import CLI, EngineProc
from tests.fakeupstream.server import FakeUpstream, Fault

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
ELAPSED = re.compile(r"0:00:(\d\d)")


@pytest.fixture
def env(module_engine: EngineProc, module_upstream: FakeUpstream) -> dict[str, str]:
    module_upstream.clear_faults()
    return module_engine.client_env(OPENAI_API_KEY="sk-tty-secret", OPENAI_BASE_URL=module_upstream.openai_base)


def run_tty(args: list[str], env: dict[str, str], timeout: float = 60) -> tuple[int, str]:
    """Run the CLI on a pseudo-terminal (stdout and stderr both a TTY); (exit status, text without colours)."""
    child = pexpect.spawn(CLI, args, env=env, dimensions=(50, 220), encoding="utf-8", timeout=timeout)
    child.expect(pexpect.EOF)
    child.wait()  # EOF can come before the exit: close() alone would kill a child still exiting (status None)
    child.close()
    return int(child.exitstatus if child.exitstatus is not None else -1), ANSI.sub("", child.before or "")


def test_generate_progress_moves_during_a_slow_provider(
    env: dict[str, str], module_upstream: FakeUpstream, tmp_path: Path
) -> None:
    held = Fault.hold()  # nothing arrives until the clock has ticked twice, however slow the machine
    module_upstream.faults(held)
    out = tmp_path / "apple.png"
    child = pexpect.spawn(
        CLI,
        ["images", "generate", "--prompt", "a red apple", "--out", str(out)],
        env=env,
        dimensions=(50, 220),
        encoding="utf-8",
        timeout=60,
    )
    child.expect("Sending to OpenAI")
    seen: list[int] = []
    while len(set(seen)) < 3:  # the clock must tick at least twice while nothing arrives from the provider
        child.expect(ELAPSED)
        seen.append(int(child.match.group(1)))
    held.release()
    child.expect(pexpect.EOF)
    child.wait()
    child.close()
    text = ANSI.sub("", child.before or "")
    assert child.exitstatus == 0, text
    assert seen == sorted(seen) and max(seen) >= 2
    assert "Wrote" in text and str(out) in text
    assert out.read_bytes().startswith(b"\x89PNG")
    assert "job.queued" not in text and "{" not in text  # plain words, no event names, no JSON


def test_second_alike_job_shows_an_eta_and_partial_notices(
    env: dict[str, str], module_upstream: FakeUpstream, tmp_path: Path
) -> None:
    args = ["images", "generate", "--prompt", "a pear", "--size", "1024x1024", "--quality", "low"]
    module_upstream.faults(Fault.slow(1.0))
    code, _ = run_tty([*args, "--out", str(tmp_path / "one.png")], env)
    assert code == 0
    module_upstream.faults(Fault.slow(2.0))
    code, text = run_tty([*args, "--out", str(tmp_path / "two.png"), "--partial-images", "1"], env)
    assert code == 0, text
    assert re.search(r"about \d+s left|longer than usual", text), text
    assert "Partial preview 1 received" in text
    assert "Preview" in text and "partial-1.png" in text


def test_doctor_checklist_names_what_is_missing_and_how_to_fix_it(
    module_engine: EngineProc, module_upstream: FakeUpstream
) -> None:
    bare = module_engine.client_env()  # no OPENAI_API_KEY and no Codex login
    code, text = run_tty(["--endpoint", module_upstream.codex_endpoint, "doctor"], bare)
    assert code == 1, text
    assert "OpenAI API key missing" in text and "export OPENAI_API_KEY" in text
    assert "No Codex login" in text and "codex login" in text
    assert "Not ready" in text and "{" not in text

    ready = module_engine.client_env(OPENAI_API_KEY="sk-tty-secret", OPENAI_BASE_URL=module_upstream.openai_base)
    code, text = run_tty(["--endpoint", module_upstream.codex_endpoint, "doctor"], ready)
    assert code == 0, text
    assert "✓ OpenAI API key" in text and "Selected provider: openai" in text and "Ready" in text
    assert "sk-tty-secret" not in text


def test_history_tables_show_prompt_age_and_the_users_output(env: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "mine" / "banana.png"
    code, _ = run_tty(["images", "generate", "--prompt", "a yellow banana", "--out", str(out)], env)
    assert code == 0
    code, text = run_tty(["history", "list", "--query", "banana"], env)
    assert code == 0, text
    for header in ("Job", "Status", "Prompt", "Provider", "Age", "Output"):
        assert header in text
    row = next(line for line in text.splitlines() if "a yellow banana" in line)
    assert "completed" in row and "openai" in row and str(out) in row
    assert "next_cursor" not in text

    job_id = re.search(r"job-[0-9]+-[0-9]+", row)
    assert job_id is not None
    code, card = run_tty(["history", "show", job_id.group(0)], env)
    assert code == 0, card
    assert "Prompt" in card and "a yellow banana" in card and str(out) in card
    assert "Events" in card and "Sending to OpenAI" in card and "Done" in card
    assert "opened: False" not in card


def test_models_auth_providers_and_queue_views(env: dict[str, str], module_upstream: FakeUpstream) -> None:
    code, text = run_tty(["models", "list"], env)
    assert code == 0 and "gpt-image-2" in text and "gpt-5.4" in text and "Model" in text

    code, text = run_tty(
        [
            "config",
            "add-provider",
            "--name",
            "ttyrelay",
            "--api-base",
            module_upstream.openai_base,
            "--api-key",
            "sk-relay-tty",
        ],
        env,
    )
    assert code == 0, text
    code, text = run_tty(["config", "list-providers"], env)
    assert (
        code == 0 and "ttyrelay" in text and module_upstream.openai_base in text and "api_key: file (present)" in text
    )
    assert "sk-relay-tty" not in text

    code, text = run_tty(["config", "test-provider", "ttyrelay"], env)
    assert code == 0 and "Reachable" in text and "Selected provider: ttyrelay" in text, text

    code, text = run_tty(["engine", "status"], env)
    assert code == 0 and "running" in text and "Version" in text and "{" not in text

    code, text = run_tty(["auth", "inspect"], env)
    assert code == 0 and "ready" in text and "env OPENAI_API_KEY" in text and "codex login" in text

    held = Fault.hold()  # running until the queue was shown (a timed delay could end first under load)
    module_upstream.faults(held)
    code, text = run_tty(
        ["images", "generate", "--prompt", "a queued plum", "--out", "/tmp/never-written-plum.png", "--detach"], env
    )
    assert code == 0, text
    code, text = run_tty(["queue", "status"], env)
    held.release()
    assert code == 0, text
    assert "running" in text and "a queued plum" in text and "never-written-plum.png" in text
    run_tty(["config", "remove-provider", "ttyrelay"], env)


def test_errors_are_one_line_with_code_and_hint(env: dict[str, str]) -> None:
    code, text = run_tty(["--provider", "nosuch", "images", "generate", "--prompt", "x", "--out", "/tmp/x.png"], env)
    assert code == 1
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) == 1, text
    assert "[provider_unknown]" in lines[0] and "Valid names: auto, openai, codex" in lines[0]
    assert "--verbose" in lines[0] and "config_file" not in text

    code, text = run_tty(
        ["--verbose", "--provider", "nosuch", "images", "generate", "--prompt", "x", "--out", "/tmp/x.png"], env
    )
    assert code == 1 and "config_file" in text

    code, text = run_tty(["images", "generate", "--prompt", "", "--out", "/tmp/x.png"], env)
    assert code == 2 and "[invalid_command]" in text


def test_a_bare_group_shows_its_help(env: dict[str, str]) -> None:
    code, text = run_tty(["images"], env)
    assert code == 2 and "Usage: gpt-image-2-skill images" in text and "generate" in text and "{" not in text
