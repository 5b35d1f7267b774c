"""One registry of error codes: every code the code base raises is registered,
and every registered code can be raised somewhere (no dead entries)."""

from __future__ import annotations

import ast
from pathlib import Path

from gpt_image_protocol.codes import REGISTRY

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [
    ROOT / "protos" / "src" / "gpt_image_protocol",
    ROOT / "engine" / "src" / "gpt_image_engine",
    ROOT / "cli" / "src" / "gpt_image_cli",
    ROOT / "gateway" / "src" / "gpt_image_gateway",
    ROOT / "skill" / "scripts",
]
CODES_FILE = ROOT / "protos" / "src" / "gpt_image_protocol" / "codes.py"


def _files() -> list[Path]:
    return [p for folder in SOURCES if folder.exists() for p in folder.rglob("*.py") if p != CODES_FILE]


def raised_codes() -> dict[str, list[str]]:
    """First-argument literals of AppError(...) calls (and `code=` keywords)."""
    found: dict[str, list[str]] = {}
    for path in _files():
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
            if name != "AppError":
                continue
            args = [a for a in node.args[:1]] + [k.value for k in node.keywords if k.arg == "code"]
            for arg in args:
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    found.setdefault(arg.value, []).append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def literal_strings() -> set[str]:
    strings: set[str] = set()
    for path in _files():
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                strings.add(node.value)
    return strings


def test_every_raised_code_is_registered() -> None:
    unknown = {code: where for code, where in raised_codes().items() if code not in REGISTRY}
    assert not unknown, unknown


def test_every_registered_code_is_reachable() -> None:
    """A registered code must appear in the code base outside the registry (raised directly,
    or passed through a helper such as `_invalid(path, message, code)`)."""
    strings = literal_strings()
    dead = sorted(code for code in REGISTRY if code not in strings)
    assert not dead, f"registered but never raised: {dead}"


def test_registry_entries_are_well_formed() -> None:
    import grpc

    for code, entry in REGISTRY.items():
        assert code == entry.name and code.islower() and " " not in code
        assert hasattr(grpc.StatusCode, entry.grpc_status), code
        assert entry.meaning.endswith("."), code
