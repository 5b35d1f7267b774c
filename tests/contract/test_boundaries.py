"""The rooms stay apart: clients never import the engine, numpy or Pillow; domain code never imports grpc;
no import cycles between sibling modules (import-linter's contracts in `.importlinter`)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def imports_of(folder: Path) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in folder.rglob("*.py"):
        tree = ast.parse(path.read_text(), filename=str(path))
        names: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module.split(".")[0])
        found[str(path.relative_to(ROOT))] = names
    return found


@pytest.mark.parametrize("folder", ["cli/src", "gateway/src", "protos/src/gpt_image_protocol"])
def test_clients_do_not_import_engine_or_image_libraries(folder: str) -> None:
    banned = {"gpt_image_engine", "numpy", "PIL"}
    leaks = {path: sorted(names & banned) for path, names in imports_of(ROOT / folder).items() if names & banned}
    assert not leaks, leaks


@pytest.mark.parametrize("room", ["providers", "transparent", "store", "security", "jobs", "tasks", "system"])
def test_domain_code_does_not_import_grpc(room: str) -> None:
    folder = ROOT / "engine" / "src" / "gpt_image_engine" / room
    if not folder.exists():
        pytest.skip(f"{room} not present")
    leaks = {path: sorted(n) for path, n in imports_of(folder).items() if n & {"grpc", "grpc_status", "grpc_health"}}
    assert not leaks, leaks


def test_clients_run_with_numpy_and_pillow_blocked() -> None:
    """Import every CLI and gateway module with numpy/PIL made unimportable."""
    code = (
        "import sys, pkgutil, importlib\n"
        "sys.modules['numpy'] = None; sys.modules['PIL'] = None\n"
        "import gpt_image_cli, gpt_image_gateway\n"
        "for pkg in (gpt_image_cli, gpt_image_gateway):\n"
        "    for m in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + '.'):\n"
        "        importlib.import_module(m.name)\n"
        "assert 'gpt_image_engine' not in sys.modules\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


@pytest.mark.slow
def test_client_distributions_install_without_numpy_or_pillow(tmp_path: Path) -> None:
    """A fresh venv with only protocol + CLI + gateway: no numpy/Pillow gets pulled in."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "-c", str(ROOT / "constraints.txt")]
    subprocess.run([*pip, str(ROOT / "protos"), str(ROOT / "cli"), str(ROOT / "gateway")], check=True, timeout=600)
    listed = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "list", "--format=freeze"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.lower()
    assert "numpy" not in listed and "pillow" not in listed, listed
    check = subprocess.run(
        [str(venv / "bin" / "gpt-image-2-skill"), "--json", "config", "path", "--engine", "unix:///nonexistent/e.sock"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    # No engine there: a coded envelope, never a traceback.
    assert check.stdout.lstrip().startswith("{"), check.stderr
    subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import gpt_image_gateway.app, gpt_image_gateway.serve"], check=True
    )


def test_import_contracts_hold() -> None:
    """`lint-imports` (as `make check` runs it): among other things, store/config.py and
    store/secrets.py no longer import each other (both build on store/credentials.py)."""
    lint = Path(sys.executable).parent / "lint-imports"
    out = subprocess.run([str(lint), "--no-cache", "--no-logo"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "0 broken" in out.stdout
