"""Issue 12 (10), the engine and CLI parts: small things that failed badly.

A 5,000-character job id is `invalid_argument`; `engine serve --socket <a file>` refuses
and leaves the file alone; the CLI's autostart makes the state folder 0700 and passes on
the engine's own start-up error (`history_open_failed` for a corrupt history.sqlite); files
written to `--out` follow the umask; GIF inputs reach the provider as PNG; a garbled Codex
auth.json is `auth_invalid_json`; a job interrupted by a restart carries its
`recoverability` class on its record. (The bomb message is in tests/engine/providers/test_sources.py.)
"""

from __future__ import annotations

import io
import json
import os
import signal
import stat
import subprocess
import tempfile
import time
from pathlib import Path

from PIL import Image

from tests.conftest import CLI, ENGINE, base_env
from tests.fakeupstream.server import EDITS_PATH, GENERATIONS_PATH
from tests.hardening.conftest import open_engine_channel, rpc_code


def test_huge_job_id_is_invalid_argument(shared_engine):  # type: ignore[no-untyped-def]
    from gpt_image.v1 import jobs_pb2, jobs_pb2_grpc

    huge = "job-" + "x" * 5000
    for args in (("history", "show", huge), ("jobs", "recovery", huge), ("jobs", "watch", huge)):
        r = shared_engine.cli(*args)
        assert r.returncode == 1, (args, r.stdout, r.stderr)
        assert json.loads(r.stdout)["error"]["code"] == "invalid_argument", (args, r.stdout[:500])
    channel = open_engine_channel(shared_engine)
    try:
        stub = jobs_pb2_grpc.JobsServiceStub(channel)
        assert rpc_code(lambda: stub.GetJob(jobs_pb2.GetJobRequest(job_id=huge))) == "invalid_argument"
        assert rpc_code(lambda: stub.CancelJob(jobs_pb2.CancelJobRequest(job_id=huge))) == "invalid_argument"
    finally:
        channel.close()


def test_serve_refuses_a_path_that_is_not_a_socket(tmp_path):  # type: ignore[no-untyped-def]
    home = tmp_path / "home"
    home.mkdir()
    precious = tmp_path / "existing.txt"
    precious.write_text("keep me\n")
    r = subprocess.run(
        [ENGINE, "serve", "--socket", str(precious)], env=base_env(home), capture_output=True, text=True, timeout=30
    )
    assert r.returncode == 1
    err = json.loads(r.stderr.strip().splitlines()[-1])["error"]
    assert err["code"] == "invalid_argument" and "not a socket" in err["message"]
    assert precious.read_text() == "keep me\n"


def _autostart_home() -> tuple[Path, dict[str, str]]:
    """A short home (the default socket lives under it) and an env that lets the CLI autostart."""
    home = Path(tempfile.mkdtemp(prefix="gi2-a-")) / "h"
    home.mkdir()
    env = base_env(home)
    env.pop("GPT_IMAGE_2_NO_AUTOSTART", None)
    env.pop("GPT_IMAGE_2_ENGINE", None)
    return home, env


def _stop(home: Path) -> None:
    for pid_file in (home / ".codex" / "gpt-image-2-skill").glob("*.pid"):
        try:
            os.kill(int(pid_file.read_text().strip()), signal.SIGTERM)  # engine.pid holds the bare PID
        except (OSError, ValueError, KeyError):
            pass


def test_autostart_makes_the_state_folder_private():  # type: ignore[no-untyped-def]
    home, env = _autostart_home()
    try:
        r = subprocess.run([CLI, "history", "list"], env=env, capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stdout + r.stderr
        for folder in (home / ".codex", home / ".codex" / "gpt-image-2-skill"):
            assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
    finally:
        _stop(home)


def test_autostart_reports_a_corrupt_history():  # type: ignore[no-untyped-def]
    home, env = _autostart_home()
    shared = home / ".codex" / "gpt-image-2-skill"
    shared.mkdir(parents=True)
    (shared / "history.sqlite").write_bytes(b"this is not a database at all" * 200)
    try:
        r = subprocess.run([CLI, "history", "list"], env=env, capture_output=True, text=True, timeout=60)
    finally:
        _stop(home)
    assert r.returncode == 1
    err = json.loads(r.stdout)["error"]
    assert err["code"] == "history_open_failed", err
    assert str(shared / "history.sqlite") in err["message"] and "Move it aside" in err["message"]


def _openai_env(engine, fake) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return engine.client_env(OPENAI_API_KEY="sk-small-1234", OPENAI_BASE_URL=fake.openai_base)


def test_out_files_follow_the_umask(engine, fake_upstream, tmp_path):  # type: ignore[no-untyped-def]
    out = tmp_path / "img.png"
    proc = subprocess.run(
        [CLI, "images", "generate", "--prompt", "p", "--out", str(out)],
        env=_openai_env(engine, fake_upstream), capture_output=True, text=True, timeout=120,
        preexec_fn=lambda: os.umask(0o022),  # noqa: PLW1509 - the test sets the child's umask
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o644


def test_gif_and_bmp_inputs_reach_the_provider_as_png(engine, fake_upstream, tmp_path):  # type: ignore[no-untyped-def]
    refs = []
    for fmt in ("GIF", "BMP"):
        path = tmp_path / f"ref.{fmt.lower()}"
        Image.new("RGB", (64, 64), (10, 200, 30)).save(path, format=fmt)
        refs += ["--ref-image", str(path)]
    r = engine.cli(
        "images", "edit", "--prompt", "e", *refs, "--out", str(tmp_path / "o.png"), env=_openai_env(engine, fake_upstream)
    )  # fmt: skip
    assert r.returncode == 0, r.stdout + r.stderr
    (sent,) = fake_upstream.requests_to(EDITS_PATH)
    parts = [p for p in sent.parts if p.name == "image[]"]
    assert [p.filename for p in parts] == ["ref.png", "ref.png"]
    for part in parts:
        assert part.data[:8] == b"\x89PNG\r\n\x1a\n"
        with Image.open(io.BytesIO(part.data)) as im:
            assert im.convert("RGB").getpixel((5, 5)) == (10, 200, 30)


def test_garbled_codex_auth_json(engine, tmp_path):  # type: ignore[no-untyped-def]
    auth = tmp_path / "auth.json"
    auth.write_text('{"tokens": {"access_token": "abc"')
    for extra in (("--auth-file", str(auth)),):
        r = engine.cli("--provider", "codex", *extra, "images", "generate", "--prompt", "p", "--out", str(tmp_path / "o.png"))
        assert r.returncode == 1
        assert json.loads(r.stdout)["error"]["code"] == "auth_invalid_json", r.stdout


def test_interrupted_jobs_carry_their_recoverability(engine, fake_upstream, tmp_path):  # type: ignore[no-untyped-def]
    engine.stop()
    engine.extra_env["GPT_IMAGE_2_TEST_PAUSE_AFTER_SPOOL"] = "30"
    engine.start()
    r = engine.cli(
        "images", "generate", "--prompt", "p", "--out", str(tmp_path / "o.png"), "--detach",
        env=_openai_env(engine, fake_upstream),
    )  # fmt: skip
    assert r.returncode == 0, r.stdout + r.stderr
    deadline = time.monotonic() + 20
    while not list((engine.shared_dir / "jobs").rglob("raw_response.json")) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(fake_upstream.requests_to(GENERATIONS_PATH)) == 1
    engine.stop(signal.SIGKILL)
    engine.extra_env.pop("GPT_IMAGE_2_TEST_PAUSE_AFTER_SPOOL")
    engine.start()
    (job,) = json.loads(engine.cli("history", "list", "--status", "failed").stdout)["jobs"]
    assert job["metadata"]["interrupted_reason"] == "engine_restarted"
    assert job["metadata"]["recoverability"] == "recoverable.local_response_cached"


def test_a_socket_path_over_the_unix_limit_is_named_not_a_bind_failure(tmp_path):  # type: ignore[no-untyped-def]
    """A CODEX_HOME deep enough that engine.sock passes the 107-byte Unix limit: the autostarted
    engine refuses with the length and what to do, instead of gRPC's bare "Failed to bind"."""
    from tests.conftest import base_env

    deep = tmp_path / ("d" * 60) / ("e" * 40)
    env = base_env(deep)
    r = subprocess.run([CLI, "--json", "config", "path"], env=env, capture_output=True, text=True, timeout=60)
    body = json.loads(r.stdout)
    assert r.returncode == 1 and body["error"]["code"] == "invalid_argument", r.stdout
    assert "107" in body["error"]["message"] and "CODEX_HOME" in body["error"]["message"]
