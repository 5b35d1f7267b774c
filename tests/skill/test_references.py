"""The skill's docs are checked against the real CLI, so they cannot drift (simonw/llm style).

Every `gpt-image-2-skill ...` command line in SKILL.md and references/ must name a real command and
only flags that command's `--help` (or the root's global flags) lists, with valid choice values;
every other `--flag` must exist somewhere in the CLI (or in the skill's own scripts); every
backticked snake_case identifier must be a registered error code, a wrapper code, or a string the
code base actually uses; code tables list registered codes only; troubleshooting.md is exactly what
the registry generates; the profile and failure-reason tables match the verifier.
"""

from __future__ import annotations

import functools
import os
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from gpt_image_protocol.codes import REGISTRY
from tests.conftest import CLI, ROOT

SKILL = ROOT / "skill"
DOCS = [SKILL / "SKILL.md", *sorted((SKILL / "references").glob("*.md"))]
WRAPPER_NAMES = ("scripts/gpt_image_2_skill.py", "skill/scripts/gpt_image_2_skill.py")
SCRIPTS = {  # skill scripts documented with their own flags
    "run.py": SKILL / "evals" / "run.py",
    "selftest.py": SKILL / "scripts" / "selftest.py",
    "bundle.py": SKILL / "scripts" / "bundle.py",
    "gen_troubleshooting.py": SKILL / "scripts" / "gen_troubleshooting.py",
}
SNAKE = re.compile(r"(?<![\w.-])([a-z][a-z0-9]*(?:_[a-z0-9]+)+)(?![\w-])")
FLAG = re.compile(r"(?<![\w-])(--[a-z][a-z0-9-]*|-m|-h)(?![\w-])")

sys.path.insert(0, str(SKILL / "scripts"))
import gen_troubleshooting  # noqa: E402
import gpt_image_2_skill as wrapper  # noqa: E402

# --- the real CLI's help, parsed


@dataclass
class Help:
    path: tuple[str, ...]
    options: dict[str, list[str] | None] = field(default_factory=dict)  # flag -> choices (None: any value)
    takes_value: set[str] = field(default_factory=set)
    commands: list[str] = field(default_factory=list)


def parse_help(path: tuple[str, ...], text: str) -> Help:
    helped = Help(path)
    section = None
    for line in text.splitlines():
        if line.startswith("Options:"):
            section = "options"
            continue
        if line.startswith("Commands:"):
            section = "commands"
            continue
        if section == "commands":
            m = re.match(r"^  ([a-z][a-z0-9-]*)\s", line + " ")
            if m:
                helped.commands.append(m.group(1))
        elif section == "options":
            m = re.match(r"^  (-\w, )?(--[a-z0-9-]+)(?:, (--[a-z0-9-]+))?(?: ([^\s].*?))?(?:\s{2,}|$)", line)
            if not m:
                continue
            names = [n for n in (m.group(1) and m.group(1).rstrip(", "), m.group(2), m.group(3)) if n]
            metavar = (m.group(4) or "").strip()
            choice = re.match(r"^\[([a-z0-9|#-]+)\]$", metavar)
            for name in names:
                helped.options[name] = choice.group(1).split("|") if choice else None
                if metavar:
                    helped.takes_value.add(name)
    return helped


def _help_text(path: tuple[str, ...]) -> str:
    """`gpt-image-2-skill PATH --help`, rendered in-process by the CLI's own Click app (fast);
    `test_in_process_help_is_the_installed_cli` pins it to the installed executable."""
    from click.testing import CliRunner

    from gpt_image_cli.main import cli

    result = CliRunner().invoke(cli, [*path, "--help"], prog_name="gpt-image-2-skill", terminal_width=78)
    assert result.exit_code == 0, (path, result.output)
    return result.output


def load_helps() -> dict[tuple[str, ...], Help]:
    helps: dict[tuple[str, ...], Help] = {}
    frontier: list[tuple[str, ...]] = [()]
    while frontier:
        nxt: list[tuple[str, ...]] = []
        for path in frontier:
            helps[path] = parse_help(path, _help_text(path))
            nxt += [(*path, c) for c in helps[path].commands]
        frontier = nxt
    return helps


@functools.cache
def script_flags() -> frozenset[str]:
    flags: set[str] = set()
    for script in SCRIPTS.values():
        flags |= set(re.findall(r"add_argument\(\s*\"(--[a-z0-9-]+)\"", script.read_text(encoding="utf-8")))
        flags |= set(re.findall(r"\"(--[a-z0-9-]+)\" in argv", script.read_text(encoding="utf-8")))
    return frozenset(flags)


@pytest.fixture(scope="module")
def helps() -> dict[tuple[str, ...], Help]:
    return load_helps()


# --- the docs, parsed


def code_spans(text: str) -> Iterator[tuple[int, str, bool]]:
    """(line number, text, inline) of fenced blocks (with `\\` continuations joined) and inline code."""
    lines = text.splitlines()
    in_fence = False
    pending = ""
    start = 0
    for i, line in enumerate(lines, start=1):
        if line.strip().startswith("```"):
            in_fence = not in_fence
            continue
        if in_fence:
            if not pending:
                start = i
            pending += line.rstrip("\\").strip() + " "
            if not line.rstrip().endswith("\\"):
                yield start, pending.strip(), False
                pending = ""
            continue
        for span in re.findall(r"`([^`]+)`", line):
            yield i, span, True


def command_words(span: str) -> list[str] | None:
    """The words after the CLI name, when the span is a CLI (or wrapper) command line."""
    for name in ("gpt-image-2-skill", *WRAPPER_NAMES):
        idx = span.find(name + " ")
        if idx >= 0 and (idx == 0 or span[idx - 1] in " /"):
            try:
                words = shlex.split(span[idx + len(name) :])
            except ValueError:
                return None
            return [w for w in words if w not in ("\\",)]
    return None


def check_command(words: list[str], helps: dict[tuple[str, ...], Help]) -> list[str]:
    root = helps[()]
    path: tuple[str, ...] = ()
    problems = []
    flags: list[tuple[str, str | None]] = []
    i = 0
    while i < len(words):
        word = words[i]
        if word.startswith("-"):
            name = word.split("=", 1)[0]
            owner = helps.get(path) if name in (helps.get(path) or Help(())).options else root
            value = None
            if name in owner.takes_value and "=" not in word and i + 1 < len(words):
                value = words[i + 1]
                i += 1
            flags.append((name, value))
        elif word in (helps.get(path) or Help(())).commands:
            path = (*path, word)
        elif path and helps[path].commands:
            problems.append(f"unknown command {' '.join((*path, word))!r}")
            return problems
        elif not path:
            problems.append(f"unknown command {word!r}")
            return problems
        i += 1
    if path and helps[path].commands:
        problems.append(f"{' '.join(path)!r} is a group, not a command")
        return problems
    here = helps.get(path, root)
    for name, value in flags:
        allowed = here.options.get(name, root.options.get(name, "missing"))
        if allowed == "missing":
            problems.append(f"{name} is not a flag of {' '.join(('gpt-image-2-skill', *path))!r}")
        elif isinstance(allowed, list) and value and re.fullmatch(r"[a-z0-9|-]+", value):
            bad = [v for v in value.split("|") if v not in allowed]
            if bad:
                problems.append(f"{name} {value}: {bad} not in {allowed}")
    return problems


def doc_problems(docs: list[Path], helps: dict[tuple[str, ...], Help]) -> list[str]:
    """Everything in the docs that the CLI, the registry or the code base does not back."""
    all_flags = {f for h in helps.values() for f in h.options} | script_flags()
    known_ids = set(REGISTRY) | set(wrapper.WRAPPER_ERROR_CODES) | code_identifiers()
    problems = []
    for doc in docs:
        text = doc.read_text(encoding="utf-8")
        rel = doc.relative_to(ROOT)
        for line_no, span, inline in code_spans(text):
            words = command_words(span)
            if words is not None:
                problems += [f"{rel}:{line_no}: {p}  [{span}]" for p in check_command(words, helps)]
            for flag in FLAG.findall(span):
                if flag not in all_flags:
                    problems.append(f"{rel}:{line_no}: {flag} exists in no command's --help  [{span}]")
            # Identifiers are checked in inline code (where prose names codes and fields); fenced
            # JSON examples also show upstream keys such as usage.total_tokens.
            for ident in SNAKE.findall(span) if inline else []:
                if ident not in known_ids:
                    problems.append(f"{rel}:{line_no}: `{ident}` is no registered error code and nothing in the code")
        for line_no, code in code_table_cells(text):
            if code not in REGISTRY and code not in wrapper.WRAPPER_ERROR_CODES:
                problems.append(f"{rel}:{line_no}: error code `{code}` is not in the registry")
    return problems


def code_table_cells(text: str) -> Iterator[tuple[int, str]]:
    """First-column codes of Markdown tables whose header starts with `code`."""
    in_table = False
    for i, line in enumerate(text.splitlines(), start=1):
        cells = [c.strip() for c in line.strip().strip("|").split("|")] if line.startswith("|") else None
        if cells is None:
            in_table = False
            continue
        if cells[0] == "code":
            in_table = True
            continue
        if in_table and not set(cells[0]) <= set("- "):
            for code in re.findall(r"`([a-z0-9_]+)`", cells[0]):
                yield i, code


@functools.cache
def code_identifiers() -> frozenset[str]:
    """String literals, keyword names and module names used by the engine, CLI and protocol."""
    found = {"gpt_image_2_skill"}
    for base in ("engine/src", "cli/src", "protos/src"):
        for path in (ROOT / base).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            found |= set(re.findall(r"[\"']([a-z][a-z0-9]*(?:_[a-z0-9]+)+)[\"']", text))
            found |= set(re.findall(r"\b([a-z][a-z0-9]*(?:_[a-z0-9]+)+)=", text))
            found |= {path.stem, path.parent.name}
    return frozenset(found)


# --- tests


def test_docs_match_the_cli_and_the_registry(helps: dict[tuple[str, ...], Help]) -> None:
    problems = doc_problems(DOCS, helps)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path", [(), ("transparent", "verify"), ("images", "edit")])
def test_in_process_help_is_the_installed_cli(path: tuple[str, ...]) -> None:
    env = {**os.environ, "COLUMNS": "80"}  # Click wraps at min(columns, 80) - 2 = 78
    proc = subprocess.run([CLI, *path, "--help"], capture_output=True, text=True, timeout=60, env=env)
    assert proc.returncode == 0
    assert proc.stdout == _help_text(path)


def test_docs_show_commands_at_all(helps: dict[tuple[str, ...], Help]) -> None:
    # The parser must actually see the command lines (a broken parser would pass vacuously).
    seen = set()
    for doc in DOCS:
        for _, span, _inline in code_spans(doc.read_text(encoding="utf-8")):
            words = command_words(span)
            if words:
                seen.add(tuple(w for w in words if w in {c for h in helps.values() for c in h.commands}))
    flat = {" ".join(s) for s in seen}
    for needed in (
        "doctor",
        "auth inspect",
        "images generate",
        "images edit",
        "transparent generate",
        "transparent extract",
        "transparent verify",
        "config add-provider",
        "engine status",
    ):
        assert any(s == needed or s.startswith(needed) for s in flat), needed


def test_removing_a_documented_flag_fails(helps: dict[tuple[str, ...], Help]) -> None:
    doctored = {k: Help(v.path, dict(v.options), set(v.takes_value), list(v.commands)) for k, v in helps.items()}
    del doctored[("transparent", "verify")].options["--strict"]
    problems = doc_problems(DOCS, doctored)
    assert any("--strict is not a flag of 'gpt-image-2-skill transparent verify'" in p for p in problems), problems
    renamed = {k: Help(v.path, dict(v.options), set(v.takes_value), list(v.commands)) for k, v in helps.items()}
    renamed[("images", "edit")].options.pop("--ref-image")
    assert any("--ref-image" in p for p in doc_problems(DOCS, renamed))


def test_unknown_code_and_flag_are_reported(tmp_path: Path, helps: dict[tuple[str, ...], Help]) -> None:
    doc = tmp_path / "bad.md"
    doc.write_text(
        "Run `gpt-image-2-skill --json images generate --prompt x --out y --sparkle` and\n"
        "`gpt-image-2-skill --json transparent verify --input a.png --profile sparkly`.\n\n"
        "| code | next |\n| --- | --- |\n| `image_too_sparkly` | calm down |\n",
        encoding="utf-8",
    )
    target = ROOT / "skill" / "references" / "_tmp_bad.md"
    target.write_text(doc.read_text(encoding="utf-8"), encoding="utf-8")
    try:
        problems = "\n".join(doc_problems([target], helps))
    finally:
        target.unlink()
    assert "--sparkle is not a flag" in problems
    assert "sparkly" in problems and "not in" in problems
    assert "error code `image_too_sparkly` is not in the registry" in problems


def test_troubleshooting_is_generated_from_the_registry() -> None:
    text = (SKILL / "references" / "troubleshooting.md").read_text(encoding="utf-8")
    assert text == gen_troubleshooting.render(), "stale: run .venv/bin/python skill/scripts/gen_troubleshooting.py"
    for name, code in REGISTRY.items():
        assert f"| `{name}` | {code.meaning} |" in text


def test_profiles_and_failure_reasons_match_the_verifier(helps: dict[tuple[str, ...], Help]) -> None:
    doc = (SKILL / "references" / "transparent-profiles.md").read_text(encoding="utf-8")
    profiles = helps[("transparent", "verify")].options["--profile"]
    assert profiles
    documented = re.findall(r"^\| `([a-z]+)` \|", doc.split("## Profiles", 1)[1].split("##", 1)[0], re.M)
    assert sorted(documented) == sorted(profiles)
    source = (ROOT / "engine/src/gpt_image_engine/transparent/verify.py").read_text(encoding="utf-8")
    reasons = set(re.findall(r"reasons\.append\(\"([a-z_]+)\"\)", source))
    table = doc.split("## Failure reasons", 1)[1].split("\n## ", 1)[0]
    first_cells = [row.split("|")[1] for row in table.splitlines() if row.startswith("| `")]
    documented_reasons = set(re.findall(r"`([a-z_]+)`", "".join(first_cells)))
    assert reasons and documented_reasons == reasons


def test_skill_front_matter() -> None:
    text = (SKILL / "SKILL.md").read_text(encoding="utf-8")
    assert text.startswith("---\n")
    front = text.split("---\n", 2)[1]
    assert re.search(r"^name: gpt-image-2-skill$", front, re.M)
    description = front.split("description:", 1)[1]
    for needle in ("transparent", "icon", "sticker", "edit", "透明背景", "生成图片", "OCR", "SVG"):
        assert needle in description, needle
