"""Issue 5 end to end: history paging and search, cancel, late watchers, crash recovery without
paying twice, queue limits and fairness, bad input. Real CLI, real engine process, loopback fake."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CLI, CliResult
from tests.engine.test_history import UPSTREAM_DDL
from tests.fakeupstream.server import Fault, draw_png

GEN = "/v1/images/generations"


def openai_env(engine: Any, fake: Any) -> dict[str, str]:
    return engine.client_env(OPENAI_API_KEY="sk-test-jobs", OPENAI_BASE_URL=fake.openai_base)


def detach(engine: Any, fake: Any, tmp_path: Path, prompt: str) -> str:
    r = engine.cli(
        "images", "generate", "--prompt", prompt, "--out", str(tmp_path / f"{prompt}.png"), "--detach",
        env=openai_env(engine, fake),
    )  # fmt: skip
    assert r.returncode == 0, r.stdout + r.stderr
    return str(r.json["job_id"])


def show(engine: Any, job_id: str, *extra: str) -> dict[str, Any]:
    r = engine.cli("history", "show", job_id, *extra)
    assert r.returncode == 0, r.stdout
    return dict(r.json)


def wait_for(predicate: Any, timeout: float = 30.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def event_types(engine: Any, job_id: str) -> list[str]:
    conn = sqlite3.connect(engine.shared_dir / "history.sqlite")
    try:
        return [r[0] for r in conn.execute("SELECT event_type FROM job_events WHERE job_id = ? ORDER BY seq", (job_id,))]
    finally:
        conn.close()


def seed(path: Path, count: int) -> None:
    """Write `count` finished jobs straight through the engine's History class (engine stopped)."""
    from gpt_image_engine.store.history import History

    h = History(path)
    conn = sqlite3.connect(path)
    with conn:
        conn.executemany(
            "INSERT INTO jobs (id, command, provider, status, output_path, created_at, metadata) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    f"job-{1_700_000_000_000_000_000 + i}-7", "images generate", "openai",
                    "failed" if i % 10 == 0 else "completed", None, str(1_700_000_000 + i // 4),
                    json.dumps({"prompt": f"picture {i} of a " + ("lighthouse" if i % 100 == 7 else "meadow")}),
                )
                for i in range(count)
            ],
        )  # fmt: skip
    conn.close()
    h.close()


def test_1200_jobs_page_with_stable_cursors_total_and_search(engine: Any, tmp_path: Path) -> None:
    engine.stop()
    seed(engine.shared_dir / "history.sqlite", 1200)
    engine.start()
    seen: list[str] = []
    cursors: list[str] = []
    cursor = ""
    while True:
        args = ["history", "list", "--limit", "200"] + (["--cursor", cursor] if cursor else [])
        page = engine.cli(*args).json
        assert page["ok"] and page["total"] == 1200
        seen += [j["id"] for j in page["jobs"]]
        if not page["has_more"]:
            assert page["next_cursor"] is None
            break
        cursor = page["next_cursor"]
        cursors.append(cursor)
    assert len(seen) == 1200 and len(set(seen)) == 1200
    assert seen == sorted(seen, reverse=True)  # created_at DESC, id DESC (ids grow with time here)
    # A cursor is stable: the same page again, even after a newer job was recorded.
    png = tmp_path / "v.png"
    png.write_bytes(draw_png(16, 16, 0))
    assert engine.cli("transparent", "verify", "--input", str(png)).returncode == 0
    again = engine.cli("history", "list", "--limit", "200", "--cursor", cursors[2]).json
    assert [j["id"] for j in again["jobs"]] == seen[600:800] and again["total"] == 1201
    # Search by a prompt word (trigram index), with an exact total; a status filter narrows it.
    found = engine.cli("history", "list", "--query", "LightHouse", "--limit", "5").json
    assert found["total"] == 12 and len(found["jobs"]) == 5 and found["has_more"]
    assert all("lighthouse" in j["metadata"]["prompt"] for j in found["jobs"])
    assert engine.cli("history", "list", "--query", "lighthouse", "--status", "failed").json["total"] == 0
    assert engine.cli("history", "list", "--status", "failed").json["total"] == 120
    assert engine.cli("history", "list", "--query", "no-such-word").json["total"] == 0
    bad = engine.cli("history", "list", "--cursor", "%%%")
    assert bad.returncode == 1 and bad.json["error"]["code"] == "invalid_argument"


def test_upstream_created_database_opens_and_lists(engine: Any) -> None:
    engine.stop()
    path = engine.shared_dir / "history.sqlite"
    path.unlink(missing_ok=True)
    conn = sqlite3.connect(path)
    conn.executescript(UPSTREAM_DDL)
    conn.execute(
        "INSERT INTO jobs VALUES ('job-1-1', 'images generate', 'openai', 'completed', '/x/out.png', '1700000000', "
        "'{\"prompt\":\"an upstream heron\",\"output\":{\"path\":\"/x/out.png\",\"files\":[{\"index\":0,\"path\":\"/x/out.png\"}]}}', NULL)"
    )
    conn.commit()
    conn.close()
    engine.start()
    listed = engine.cli("history", "list").json
    assert listed["total"] == 1 and listed["jobs"][0]["id"] == "job-1-1"
    assert listed["jobs"][0]["outputs"][0]["path"] == "/x/out.png"
    assert engine.cli("history", "list", "--query", "heron").json["total"] == 1


def test_cancel_a_while_a_and_b_run_leaves_b_completed(engine: Any, fake_upstream: Any, tmp_path: Path) -> None:
    assert engine.cli("queue", "set-parallel", "2").json["max_parallel"] == 2
    # Both calls stay in flight until B is let go (a timed delay ran out under load before the
    # status and cancel CLIs had started: A then completed and `cancelled` was False).
    held = Fault.hold(times=2, path=GEN)
    fake_upstream.faults(held)
    a = detach(engine, fake_upstream, tmp_path, "a")
    b = detach(engine, fake_upstream, tmp_path, "b")
    wait_for(lambda: len(fake_upstream.requests_to(GEN)) == 2, what="both requests in flight")
    status = engine.cli("queue", "status").json
    assert set(status["running_job_ids"]) == {a, b} and status["queued"] == 0
    cancel = engine.cli("jobs", "cancel", a).json
    assert cancel["cancelled"] is True
    assert wait_for(lambda: show(engine, a)["job"]["status"] == "cancelled", what="A cancelled")
    assert show(engine, b)["job"]["status"] == "running"  # B's call is untouched by A's cancel
    held.release()
    watched = engine.cli("jobs", "watch", b, "--out", str(tmp_path / "b-out.png"))
    assert watched.returncode == 0, watched.stdout
    assert Path(watched.json["output"]["path"]).read_bytes()[:4] == b"\x89PNG"
    assert show(engine, a)["job"]["status"] == "cancelled"
    assert show(engine, b)["job"]["status"] == "completed"
    a_watch = engine.cli("jobs", "watch", a)
    assert a_watch.returncode == 1 and a_watch.json["error"]["code"] == "job_cancelled"
    assert engine.cli("jobs", "list", "--active").json["total"] == 0


def test_late_watcher_gets_every_event_once_in_order(engine: Any, fake_upstream: Any, tmp_path: Path) -> None:
    held = Fault.hold(path=GEN)
    fake_upstream.faults(held)
    job = detach(engine, fake_upstream, tmp_path, "late")
    wait_for(lambda: "request_started" in event_types(engine, job), what="events before watching")
    assert len(engine.cli("jobs", "list", "--active").json["jobs"]) == 1
    # The call ends only once the watcher has printed its first (replayed) event: it is attached,
    # so it sees the earlier events from history and the rest live, however slow the machine.
    watch = subprocess.Popen(
        [CLI, "jobs", "watch", job, "--json-events"], env=engine.client_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )  # fmt: skip
    assert watch.stderr is not None and watch.stdout is not None
    lines = []
    for line in watch.stderr:
        if not lines and line.startswith("{"):
            held.release()
        lines.append(line)
    r = CliResult(watch.wait(timeout=120), watch.stdout.read(), "".join(lines))
    assert r.returncode == 0, r.stdout + r.stderr
    seqs = [e["seq"] for e in r.events]
    assert seqs == list(range(1, len(seqs) + 1))
    types = [e["type"] for e in r.events]
    assert types[0] == "job.queued" and types[-1] == "job.completed"
    assert types == event_types(engine, job)
    assert r.json["events"]["count"] == len(seqs)
    # After a given seq: only the rest, still in order.
    tail = engine.cli("jobs", "watch", job, "--after-seq", "3", "--json-events")
    assert [e["seq"] for e in tail.events] == seqs[3:]


def _kill_and_restart(engine: Any, **extra_env: str | None) -> None:
    engine.stop(signal.SIGKILL)
    for key, value in extra_env.items():
        if value is None:
            engine.extra_env.pop(key, None)
        else:
            engine.extra_env[key] = value
    engine.start()


def test_kill9_during_slow_call_fails_job_then_resubmit(engine: Any, fake_upstream: Any, tmp_path: Path) -> None:
    fake_upstream.faults(Fault.slow(20, path=GEN))
    job = detach(engine, fake_upstream, tmp_path, "killed")
    wait_for(lambda: len(fake_upstream.requests_to(GEN)) == 1, what="request in flight")
    _kill_and_restart(engine)
    record = show(engine, job)["job"]
    assert record["status"] == "failed"
    assert record["metadata"]["interrupted_reason"] == "engine_restarted"
    recovery = engine.cli("jobs", "recovery", job).json
    assert recovery["recoverability"] == "ambiguous.remote_maybe_accepted"
    assert [a["id"] for a in recovery["secondary_actions"]] == ["resubmit"]
    fake_upstream.clear_faults()
    resumed = engine.cli(
        "jobs", "resume", job, "--action", "resubmit", "--out", str(tmp_path / "again.png"), env=openai_env(engine, fake_upstream)
    )  # fmt: skip
    assert resumed.returncode == 0, resumed.stdout
    new_id = resumed.json["history"]["job_id"]
    assert new_id != job and show(engine, new_id)["job"]["status"] == "completed"
    assert (tmp_path / "again.png").read_bytes()[:4] == b"\x89PNG"
    # `jobs retry` of the finished job: another new job, streamed like a live one.
    retried = engine.cli("jobs", "retry", new_id, "--json-events", env=openai_env(engine, fake_upstream))
    assert retried.returncode == 0, retried.stdout
    assert retried.json["history"]["job_id"] not in (job, new_id)
    assert retried.events[0]["type"] == "job.queued" and Path(retried.json["output"]["path"]).is_file()


def test_kill9_after_spool_continue_save_makes_no_provider_call(
    engine: Any, fake_upstream: Any, tmp_path: Path
) -> None:
    engine.stop()
    engine.extra_env["GPT_IMAGE_2_TEST_PAUSE_AFTER_SPOOL"] = "30"
    engine.start()
    job = detach(engine, fake_upstream, tmp_path, "spooled")
    raw = engine.shared_dir / "jobs" / job / "raw_response.json"
    wait_for(raw.is_file, what="spooled raw response")
    _kill_and_restart(engine, GPT_IMAGE_2_TEST_PAUSE_AFTER_SPOOL=None)
    record = show(engine, job)["job"]
    assert record["status"] == "failed" and record["metadata"]["interrupted_reason"] == "engine_restarted"
    assert record["outputs"] == [] and not (tmp_path / "spooled.png").exists()
    recovery = engine.cli("jobs", "recovery", job).json
    assert recovery["recoverability"] == "recoverable.local_response_cached"
    assert recovery["primary_action"]["id"] == "continue_save" and recovery["primary_action"]["billable"] is False
    calls = len(fake_upstream.requests)
    out = tmp_path / "saved"
    r = engine.cli("jobs", "resume", job, "--action", "continue_save", "--out", str(out))
    assert r.returncode == 0, r.stdout + r.stderr
    assert len(fake_upstream.requests) == calls  # zero further upstream requests
    assert r.json["provider_calls"] == 0 and r.json["resumed_from"] == job
    assert Path(r.json["output"]["path"]) == tmp_path / "saved.png"
    assert (tmp_path / "saved.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    resume_job = show(engine, r.json["history"]["job_id"])["job"]
    assert resume_job["command"] == "jobs resume" and resume_job["status"] == "completed"
    assert show(engine, job)["job"]["metadata"]["resumed_by"] == resume_job["id"]
    discarded = engine.cli("jobs", "resume", job, "--action", "discard")
    assert discarded.returncode == 0 and discarded.json["job"]["metadata"]["discarded_at"]


def test_bad_input_codes_and_persisted_parallel(engine: Any, fake_upstream: Any, tmp_path: Path) -> None:
    for args in (["history", "show", "job-nope"], ["jobs", "watch", "job-nope"], ["jobs", "cancel", "job-nope"],
                 ["jobs", "recovery", "job-nope"], ["history", "delete", "job-nope"], ["jobs", "retry", "job-nope"]):  # fmt: skip
        r = engine.cli(*args)
        assert r.returncode == 1 and r.json["error"]["code"] == "history_not_found", args
    for value in ("0", "33"):
        r = engine.cli("queue", "set-parallel", value)
        assert r.returncode == 1 and r.json["error"]["code"] == "invalid_argument"
    # The engine refuses it too (a client that skips the check).
    from gpt_image.v1 import jobs_pb2, jobs_pb2_grpc
    from gpt_image_protocol.address import parse_address
    from gpt_image_protocol.channel import open_channel
    from gpt_image_protocol.rpc_errors import from_rpc_error

    channel = open_channel(parse_address(engine.address))
    try:
        with pytest.raises(Exception) as err:
            jobs_pb2_grpc.QueueServiceStub(channel).SetParallel(jobs_pb2.SetParallelRequest(max_parallel=0))
        assert from_rpc_error(err.value).code == "invalid_argument"
    finally:
        channel.close()
    # Deleting a running job is refused (held: a timed delay could end before the delete ran).
    held = Fault.hold(path=GEN)
    fake_upstream.faults(held)
    job = detach(engine, fake_upstream, tmp_path, "busy")
    wait_for(lambda: fake_upstream.requests_to(GEN), what="the busy job's call")
    r = engine.cli("history", "delete", job)
    assert r.returncode == 1 and r.json["error"]["code"] == "job_running"
    held.release()
    assert engine.cli("jobs", "watch", job).returncode == 0
    assert engine.cli("history", "delete", job).json["deleted"] >= 1
    assert not (engine.shared_dir / "jobs" / job).exists()
    # max_parallel persists in config.json and survives a restart.
    assert engine.cli("queue", "set-parallel", "5").json["max_parallel"] == 5
    config = json.loads((engine.shared_dir / "config.json").read_text())
    assert config["queue"] == {"max_parallel": 5}
    engine.stop()
    engine.start()
    assert engine.cli("queue", "status").json["max_parallel"] == 5


def test_corrupt_history_is_refused_and_left_untouched(engine: Any) -> None:
    engine.stop()
    path = engine.shared_dir / "history.sqlite"
    for leftover in path.parent.glob("history.sqlite*"):
        leftover.unlink()
    garbage = b"this is not a database\x00" * 100
    path.write_bytes(garbage)
    with pytest.raises(RuntimeError) as err:
        engine.start(timeout=60)  # returns as soon as the engine exits; 10 s ran out under load
    message = str(err.value)
    assert "history_open_failed" in message and str(path) in message
    assert path.read_bytes() == garbage
    engine.proc = None  # it exited on its own


def test_local_work_is_not_starved_by_a_slow_provider(engine: Any, fake_upstream: Any, tmp_path: Path) -> None:
    assert engine.cli("queue", "set-parallel", "1").returncode == 0
    # The provider's only slot stays busy until the end: the verify finishing at all (not a
    # wall-clock bound, which a loaded machine breaks) shows it did not wait for that slot.
    held = Fault.hold(path=GEN)
    fake_upstream.faults(held)
    slow = detach(engine, fake_upstream, tmp_path, "slow")
    wait_for(lambda: len(fake_upstream.requests_to(GEN)) == 1, what="slow request in flight")
    png = tmp_path / "check.png"
    png.write_bytes(draw_png(32, 32, 1))
    verify = engine.cli("transparent", "verify", "--input", str(png), timeout=60)
    assert verify.returncode == 0, verify.stdout
    assert show(engine, slow)["job"]["status"] == "running"  # the verify did not wait for it
    engine.cli("jobs", "cancel", slow)
    held.release()


def test_cli_binary_is_the_installed_one() -> None:
    assert Path(CLI).is_file() and subprocess.run([CLI, "queue", "--help"], capture_output=True).returncode == 0
