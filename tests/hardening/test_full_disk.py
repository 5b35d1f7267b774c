"""Issue 12 (6): a full or read-only jobs folder, for real.

The engine's jobs folder is a small tmpfs mounted for the test (CI runs as root; where
mounting is not allowed the tests skip and say so). A full disk before dispatch is
`storage_full` with no provider call; a response that arrives while the disk fills up is
kept (in memory) and `jobs resume --action continue_save` writes it once space is freed,
still with one provider call in all; a read-only folder is `jobs_dir_unwritable`, with a
history row and no engine path in the message.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import EngineProc
from tests.fakeupstream.server import GENERATIONS_PATH, Fault


def _mount(target: Path, options: str) -> None:
    target.mkdir(parents=True, exist_ok=True)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(target)], capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {r.stderr.strip()}")


@pytest.fixture
def jobs_on_tmpfs(engine: EngineProc, request: pytest.FixtureRequest) -> Iterator[EngineProc]:
    """The engine restarted with its jobs folder on a tmpfs mounted with `request.param` options."""
    options, extra_env = request.param
    engine.stop()
    jobs = engine.shared_dir / "jobs"
    _mount(jobs, options)
    engine.extra_env.update(extra_env)
    try:
        engine.start()
        yield engine
    finally:
        engine.stop()
        subprocess.run(["umount", "-l", str(jobs)], check=False)


def generate(engine: EngineProc, fake, out: Path):  # type: ignore[no-untyped-def]
    env = engine.client_env(OPENAI_API_KEY="sk-full-disk-1234", OPENAI_BASE_URL=fake.openai_base)
    return engine.cli("images", "generate", "--prompt", "p", "--out", str(out), "--retries", "0", env=env)


def failed_jobs(engine: EngineProc) -> list[dict]:  # type: ignore[type-arg]
    return json.loads(engine.cli("history", "list", "--status", "failed").stdout)["jobs"]


@pytest.mark.parametrize("jobs_on_tmpfs", [("size=2m", {})], indirect=True)
def test_too_little_space_is_refused_before_dispatch(jobs_on_tmpfs, fake_upstream, tmp_path):  # type: ignore[no-untyped-def]
    r = generate(jobs_on_tmpfs, fake_upstream, tmp_path / "o.png")
    assert r.returncode == 1
    err = json.loads(r.stdout)["error"]
    assert err["code"] == "storage_full" and err["detail"]["needed_bytes"] == 64 * 1024 * 1024, err
    assert fake_upstream.requests_to(GENERATIONS_PATH) == []
    (row,) = failed_jobs(jobs_on_tmpfs)
    assert row["error"]["code"] == "storage_full"


@pytest.mark.parametrize("jobs_on_tmpfs", [("size=6m", {"GPT_IMAGE_2_MIN_FREE_BYTES": "1048576"})], indirect=True)
def test_a_response_received_on_a_full_disk_is_kept(jobs_on_tmpfs, fake_upstream, tmp_path):  # type: ignore[no-untyped-def]
    engine = jobs_on_tmpfs
    fake_upstream.faults(Fault.big_image(12_000_000))  # ~16 MB of JSON into 6 MB of disk
    r = generate(engine, fake_upstream, tmp_path / "o.png")
    assert r.returncode == 1, r.stdout
    err = json.loads(r.stdout)["error"]
    assert err["code"] == "storage_full" and err["detail"]["response_kept"] is True, err
    assert "No space left" not in r.stdout and str(engine.home) not in err["message"]
    (row,) = failed_jobs(engine)
    recovery = json.loads(engine.cli("jobs", "recovery", row["id"]).stdout)
    recovery = recovery.get("recovery", recovery)
    assert recovery["recoverability"] == "recoverable.local_response_cached", recovery
    assert recovery["primary_action"]["id"] == "continue_save"
    # Free the space (grow the filesystem), then finish without calling the provider again.
    subprocess.run(["mount", "-o", "remount,size=64m", str(engine.shared_dir / "jobs")], check=True)
    out = tmp_path / "resumed.png"
    done = engine.cli("jobs", "resume", row["id"], "--action", "continue_save", "--out", str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and out.stat().st_size > 11_000_000
    assert len(fake_upstream.requests_to(GENERATIONS_PATH)) == 1


@pytest.mark.parametrize("jobs_on_tmpfs", [("ro,size=1m", {})], indirect=True)
def test_a_read_only_jobs_folder_is_coded(jobs_on_tmpfs, fake_upstream, tmp_path):  # type: ignore[no-untyped-def]
    r = generate(jobs_on_tmpfs, fake_upstream, tmp_path / "o.png")
    assert r.returncode == 1
    err = json.loads(r.stdout)["error"]
    assert err["code"] == "jobs_dir_unwritable", err
    assert str(jobs_on_tmpfs.home) not in json.dumps(err)
    assert fake_upstream.requests_to(GENERATIONS_PATH) == []
    (row,) = failed_jobs(jobs_on_tmpfs)
    assert row["error"]["code"] == "jobs_dir_unwritable"
