"""Callers ask a provider's capabilities, never its kind: no provider-kind branch outside
`providers/` (issue 19). The patterns are what such a branch looks like in this codebase:
comparing a resolved provider's `kind`, a provider type or name against "codex"/"openai" in
an `if`, or an isinstance check on a provider class."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ENGINE = ROOT / "engine" / "src" / "gpt_image_engine"

KIND_BRANCH = re.compile(
    r"""\.kind\s*(?:==|!=|\bin\b|\bnot\s+in\b)"""  # resolved.kind == ...
    r"""|\bkind\s*(?:==|!=)\s*["'](?:codex|openai)"""  # kind == "codex"
    r"""|["'](?:codex|openai(?:-compatible)?)["']\s*(?:==|!=)\s*\w"""  # "codex" == kind
    r"""|(?:type|provider_type)["')\]]*\s*(?:==|!=)\s*["'](?:codex|openai)"""  # entry.get("type") == "codex"
    r"""|isinstance\([^)]*\b(?:CodexProvider|OpenAIProvider)\b"""
)


def branches(folder: Path, skip: Path | None = None) -> list[str]:
    found = []
    for path in sorted(folder.rglob("*.py")):
        if skip is not None and skip in path.parents:
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if KIND_BRANCH.search(line.split("#", 1)[0]):
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    return found


def test_no_provider_kind_branch_outside_the_providers_package() -> None:
    assert branches(ENGINE, skip=ENGINE / "providers") == []


def test_the_pattern_finds_the_branches_it_forbids() -> None:
    """The grep is not vacuous: inside `providers/` (where kinds are chosen) it finds some,
    and each shape it must catch is caught."""
    assert branches(ENGINE / "providers")
    for line in (
        'if resolved.kind == "codex":',
        'label = resolved.name if resolved.kind != "codex" else "codex"',
        'if entry.get("type") == "codex":',
        "if isinstance(provider, CodexProvider):",
    ):
        assert KIND_BRANCH.search(line), line
    assert not KIND_BRANCH.search("if caps.masks and job.mask is not None:")
