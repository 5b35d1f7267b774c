"""Reused job threads (`jobs.workers.Workers`, `JobManager._run`): a finished job's thread runs
the next queued one, idle threads take later calls, a failing call never kills its thread."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from gpt_image_engine.jobs.manager import JobManager, LiveJob, Outcome
from gpt_image_engine.jobs.workers import Workers
from gpt_image_engine.store.history import HistoryStore

DEADLINE = 10.0


def _wait(check, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + DEADLINE
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.005)


def test_idle_threads_are_reused_and_survive_a_failing_call(caplog: pytest.LogCaptureFixture) -> None:
    workers = Workers("t", keep=2)
    seen: list[tuple[int, str]] = []
    done = threading.Event()

    def record() -> None:
        seen.append((threading.get_ident(), threading.current_thread().name))

    def fail() -> None:
        raise RuntimeError("boom")

    workers.run("first", record)
    _wait(lambda: workers.idle == 1, "the first thread to go idle")
    workers.run("second", fail)
    _wait(lambda: workers.idle == 1, "the failing call's thread to go idle")
    workers.run("third", record)
    _wait(lambda: len(seen) == 2, "the third call")
    assert seen[0][0] == seen[1][0]  # one thread ran first, second and third
    assert [name for _, name in seen] == ["first", "third"]
    assert "second failed" in caplog.text and "boom" in caplog.text
    gate = threading.Event()
    workers.run("busy", gate.wait, DEADLINE)  # the idle thread
    workers.run("fourth", lambda: done.set())  # none idle: a second thread
    assert done.wait(DEADLINE)
    gate.set()
    _wait(lambda: workers.idle == 2, "both threads to go idle")
    # No more than `keep` idle threads stay: a third thread, once done, ends.
    gate = threading.Event()
    for name in ("a", "b", "c"):
        workers.run(name, gate.wait, DEADLINE)
    gate.set()
    _wait(lambda: workers.idle == 2, "two idle threads")
    time.sleep(0.05)
    assert workers.idle == 2


def test_queued_jobs_run_on_the_thread_that_finished_before_them(history: HistoryStore, tmp_path: Path) -> None:
    (tmp_path / "jobs").mkdir()
    manager = JobManager(history, tmp_path / "jobs", max_parallel=1)
    release = threading.Event()
    ran: list[tuple[str, int]] = []

    def work(job: LiveJob) -> Outcome:
        ran.append((job.job_id, threading.get_ident()))
        assert threading.current_thread().name == f"job-{job.job_id[-8:]}"
        assert release.wait(DEADLINE)
        return Outcome(payload={"ok": True})

    jobs = [manager.submit("images generate", "fake", {}, work) for _ in range(4)]
    _wait(lambda: len(ran) == 1, "the first job to start")
    release.set()
    for job in jobs:
        _wait(lambda job=job: job.finished, f"{job.job_id} to finish")
    assert [job_id for job_id, _ in ran] == [job.job_id for job in jobs]  # queue order kept
    assert len({ident for _, ident in ran}) == 1  # one thread ran all four, one after another
    assert all(job.status == "completed" for job in jobs)
    assert [e["seq"] for e in history.events(jobs[-1].job_id)] == [1, 2, 3]
    assert manager.queue_status()["running"] == 0
