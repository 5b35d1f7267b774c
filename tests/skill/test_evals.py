"""The Skill's evals: the task evals pass against the fake upstream, and both eval files are well formed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import CLI, ROOT

EVALS = ROOT / "skill" / "evals"
REQUIRED = {
    "doctor-smoke",
    "generate-transparent-png",
    "force-codex-provider",
    "edit-with-reference-image",
    "size-rejection",
    "edit-replace-background-with-flag",
}


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict:
    proc = subprocess.run(
        [sys.executable, str(EVALS / "run.py"), "--json", "--cli", CLI],
        capture_output=True,
        text=True,
        timeout=240,
    )
    try:
        data = json.loads(proc.stdout)
    except ValueError:
        pytest.fail(f"runner printed no JSON report (exit {proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    data["exit_code"] = proc.returncode
    return data


@pytest.mark.slow
@pytest.mark.parametrize("eval_id", sorted(REQUIRED))
def test_task_eval_passes_against_the_fake(report: dict, eval_id: str) -> None:
    result = next(r for r in report["results"] if r["id"] == eval_id)
    assert result["passed"], json.dumps(result, indent=2)


@pytest.mark.slow
def test_runner_exit_status_and_cleanup(report: dict) -> None:
    assert report["exit_code"] == 0 and report["ok"] is True
    assert report["engine_stopped"] is True
    assert report["upstream"].startswith("fake http://127.0.0.1:")


def test_runner_fails_on_a_failing_eval(tmp_path: Path) -> None:
    bad = {
        "evals": [
            {
                "id": "wrong-exit",
                "steps": [{"command": "gpt-image-2-skill --json models list", "assertions": [{"exit_code": 5}]}],
            }
        ]
    }
    path = tmp_path / "evals.json"
    path.write_text(json.dumps(bad))
    proc = subprocess.run(
        [sys.executable, str(EVALS / "run.py"), "--evals", str(path), "--cli", CLI],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1
    assert "FAIL wrong-exit: step 1: exit 0, want 5" in proc.stdout


def test_task_evals_cover_the_issue() -> None:
    data = json.loads((EVALS / "evals.json").read_text(encoding="utf-8"))
    ids = {e["id"] for e in data["evals"]}
    assert ids >= REQUIRED
    for case in data["evals"]:
        assert case["steps"], case["id"]
        for step in case["steps"]:
            assert step["command"].startswith("gpt-image-2-skill ") and step["assertions"]


def test_trigger_evals_are_balanced_and_bilingual() -> None:
    queries = json.loads((EVALS / "trigger-eval.json").read_text(encoding="utf-8"))["queries"]
    assert len(queries) >= 20
    positives = [q for q in queries if q["should_trigger"]]
    assert len(positives) * 2 == len(queries)
    for group in (positives, [q for q in queries if not q["should_trigger"]]):
        langs = {q["lang"] for q in group}
        assert langs == {"en", "zh"}
    assert len({q["query"] for q in queries}) == len(queries)


def test_bundle_holds_the_references(tmp_path: Path) -> None:
    import zipfile

    out = tmp_path / "skill.zip"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "skill" / "scripts" / "bundle.py"), "--out", str(out)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    names = set(zipfile.ZipFile(out).namelist())
    for needed in (
        "SKILL.md",
        "references/troubleshooting.md",
        "references/transparent-profiles.md",
        "scripts/gpt_image_2_skill.py",
        "scripts/selftest.py",
        "evals/evals.json",
        "evals/run.py",
    ):
        assert f"gpt-image-2-skill/{needed}" in names
