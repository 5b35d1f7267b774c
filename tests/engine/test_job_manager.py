"""JobManager in-process: a real history store (history.sqlite, then PostgreSQL), real threads,
and work functions the tests write (the `Work` seam every servicer hands the manager).

Covers submit (recorded `queued` before the work runs), lanes and `max_parallel`, the local
lane's own slot, cancelling queued and running jobs, failures, retiring finished jobs from
memory (watch then replays history), and shutdown.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from gpt_image_engine.errors import AppError
from gpt_image_engine.jobs.manager import TERMINAL_TYPES, Artifact, JobManager, LiveJob, Outcome
from gpt_image_engine.store.history import HistoryStore

DEADLINE = 10.0


@pytest.fixture
def manager(history: HistoryStore, tmp_path: Path) -> JobManager:
    (tmp_path / "jobs").mkdir()  # the engine makes it at start-up
    return JobManager(history, tmp_path / "jobs", max_parallel=2)


def wait_until(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + DEADLINE
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


def wait_finished(job: LiveJob) -> None:
    wait_until(lambda: job.finished, f"{job.job_id} to finish")


class Gate:
    """Work that blocks until released, recording the order in which jobs started."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.started: list[str] = []
        self._lock = threading.Lock()

    def work(self, label: str) -> Callable[[LiveJob], Outcome]:
        def run(job: LiveJob) -> Outcome:
            with self._lock:
                self.started.append(label)
            assert self.release.wait(DEADLINE)
            return Outcome(payload={"label": label})

        return run


def running_and_queued(manager: JobManager, gate: Gate) -> tuple[LiveJob, LiveJob]:
    """With one slot: a job that holds it (blocked on `gate`) and one waiting behind it."""
    manager.max_parallel = 1
    running = manager.submit("images generate", "fake", {}, gate.work("first"))
    wait_until(lambda: gate.started == ["first"], "the first job to start")
    return running, manager.submit("images generate", "fake", {}, gate.work("second"))


def test_submit_records_queued_before_work_and_completes(manager: JobManager, history: HistoryStore) -> None:
    seen: dict[str, Any] = {}

    def work(job: LiveJob) -> Outcome:
        seen["row_status"] = history.get_job(job.job_id)["status"]
        seen["types"] = [e["type"] for e in history.events(job.job_id)]
        out = job.job_dir / "image-1.png"
        out.write_bytes(b"\x89PNG fake")
        job.progress("fake", "request.started", "running", "Sending the request.", 10)
        return Outcome(
            payload={"output": {"path": str(out)}},
            artifacts=[Artifact(path=out, mime="image/png", size=out.stat().st_size)],
            output_path=str(out),
            metadata={"n": 1},
            provider="fake",
        )

    job = manager.submit("images generate", "fake", {"prompt": "a red disc"}, work)
    assert job.job_dir.is_dir()
    wait_finished(job)

    assert seen["types"] == ["job.queued", "job.running"]
    assert seen["row_status"] == "running"
    row = history.get_job(job.job_id)
    assert row["status"] == "completed"
    assert row["output_path"].endswith("image-1.png")
    assert row["metadata"]["artifacts"][0]["artifact_id"] == f"{job.job_id}/image-1.png"
    events = list(manager.watch(job.job_id))
    assert [e["type"] for e in events] == ["job.queued", "job.running", "request.started", "job.completed"]
    assert [e["seq"] for e in events] == [1, 2, 3, 4]
    terminal = events[-1]["data"]
    assert terminal["status"] == "completed"
    assert terminal["output"] == {"path": row["output_path"]}
    assert terminal["artifacts"][0]["role"] == "output"
    assert [e["type"] for e in history.events(job.job_id)] == [e["type"] for e in events]
    # after_seq skips what a reconnecting watcher already has.
    assert [e["seq"] for e in manager.watch(job.job_id, after_seq=2)] == [3, 4]


def test_a_job_without_room_for_its_files_is_refused_with_a_failed_row(history: HistoryStore, tmp_path: Path) -> None:
    manager = JobManager(history, tmp_path / "missing-jobs-dir")
    ran: list[str] = []
    with pytest.raises(AppError) as refused:
        manager.submit("images generate", "fake", {"prompt": "x"}, lambda job: ran.append("ran") or Outcome({}))
    job_id = refused.value.detail["job_id"]
    row = history.get_job(job_id)
    assert row["status"] == "failed"
    assert row["error"]["code"] == refused.value.code
    assert [e["type"] for e in history.events(job_id)] == ["job.failed"]
    assert ran == []


def test_failures_are_recorded_with_their_code(manager: JobManager, history: HistoryStore) -> None:
    def refused(job: LiveJob) -> Outcome:
        raise AppError("invalid_argument", "No such size.", {"size": "7x7"})

    def crashed(job: LiveJob) -> Outcome:
        raise RuntimeError("boom")

    bad = manager.submit("images generate", "fake", {}, refused)
    bug = manager.submit("images generate", "fake", {}, crashed)
    wait_finished(bad)
    wait_finished(bug)
    assert history.get_job(bad.job_id)["error"]["code"] == "invalid_argument"
    assert history.get_job(bad.job_id)["status"] == "failed"
    crash = history.get_job(bug.job_id)["error"]
    assert crash["code"] == "internal_error"
    assert "boom" in crash["message"]
    assert bad.events[-1]["type"] == TERMINAL_TYPES["failed"]


def test_max_parallel_bounds_provider_jobs_and_set_parallel_frees_a_slot(manager: JobManager) -> None:
    gate = Gate()
    jobs = [manager.submit("images generate", "fake", {}, gate.work(f"j{i}")) for i in range(4)]
    wait_until(lambda: len(gate.started) == 2, "two jobs to start")
    status = manager.queue_status()
    assert (status["running"], status["queued"], status["max_parallel"]) == (2, 2, 2)
    assert status["queued_job_ids"] == [jobs[2].job_id, jobs[3].job_id]
    time.sleep(0.1)
    assert len(gate.started) == 2  # nothing else sneaks in

    manager.set_parallel(3)
    wait_until(lambda: len(gate.started) == 3, "the third job to start")
    with pytest.raises(AppError) as refused:
        manager.set_parallel(0)
    assert refused.value.code == "invalid_argument"
    assert manager.max_parallel == 3

    gate.release.set()
    for job in jobs:
        wait_finished(job)
    assert gate.started == ["j0", "j1", "j2", "j3"]
    assert manager.queue_status()["running"] == 0


def test_lanes_take_turns_so_one_provider_cannot_starve_another(manager: JobManager) -> None:
    manager.max_parallel = 1
    gates = [Gate() for _ in range(4)]
    a1 = manager.submit("images generate", "slow", {}, gates[0].work("a1"))
    wait_until(lambda: gates[0].started == ["a1"], "a1 to start")
    a2 = manager.submit("images generate", "slow", {}, gates[1].work("a2"))
    a3 = manager.submit("images generate", "slow", {}, gates[2].work("a3"))
    b1 = manager.submit("images generate", "other", {}, gates[3].work("b1"))
    order: list[str] = []
    pending = {"a1": (gates[0], a1), "a2": (gates[1], a2), "a3": (gates[2], a3), "b1": (gates[3], b1)}
    # Release whichever job is running, one at a time, and record the order they ran in.
    while pending:
        wait_until(lambda: any(g.started for g, _ in pending.values()), "the next job to start")
        label = next(label for label, (g, _) in pending.items() if g.started)
        gate, job = pending.pop(label)
        order.append(label)
        assert manager.queue_status()["running"] == 1
        gate.release.set()
        wait_finished(job)
    assert order.index("b1") < order.index("a3")
    assert order[0] == "a1"


def test_local_lane_has_its_own_slot(manager: JobManager) -> None:
    manager.max_parallel = 1
    gate = Gate()
    provider_job = manager.submit("images generate", "fake", {}, gate.work("provider"))
    wait_until(lambda: gate.started == ["provider"], "the provider job to start")
    local_job = manager.submit("transparent extract", "local", {}, lambda job: Outcome(payload={"ok": True}))
    wait_finished(local_job)  # while the only provider slot is still busy
    assert not provider_job.finished
    gate.release.set()
    wait_finished(provider_job)


def test_cancel_queued_job_ends_at_once_and_never_runs(manager: JobManager, history: HistoryStore) -> None:
    gate = Gate()
    running, queued = running_and_queued(manager, gate)
    assert manager.cancel(queued.job_id) is True
    assert queued.status == "cancelled"
    assert history.get_job(queued.job_id)["status"] == "cancelled"
    assert history.get_job(queued.job_id)["error"]["code"] == "job_cancelled"
    assert queued.job_id not in manager.queue_status()["queued_job_ids"]
    gate.release.set()
    wait_finished(running)
    time.sleep(0.1)
    assert gate.started == ["first"]
    assert manager.cancel(queued.job_id) is False  # already finished
    assert [e["type"] for e in history.events(queued.job_id)] == ["job.queued", "job.cancelled"]


def test_cancel_running_job_stops_at_its_next_check(manager: JobManager, history: HistoryStore) -> None:
    entered = threading.Event()

    def work(job: LiveJob) -> Outcome:
        entered.set()
        while True:
            job.check_cancelled()
            time.sleep(0.01)

    job = manager.submit("images generate", "fake", {}, work)
    assert entered.wait(DEADLINE)
    assert manager.cancel(job.job_id) is True
    wait_finished(job)
    row = history.get_job(job.job_id)
    assert (row["status"], row["error"]["code"]) == ("cancelled", "job_cancelled")
    assert manager.queue_status()["running"] == 0


def test_cancel_unknown_job_is_not_found(manager: JobManager) -> None:
    with pytest.raises(AppError) as missing:
        manager.cancel("job-does-not-exist")
    assert missing.value.code == "history_not_found"


def test_finished_jobs_retire_from_memory_and_replay_from_history(manager: JobManager) -> None:
    manager.KEEP_FINISHED = 2
    jobs = []
    for i in range(4):
        job = manager.submit("images generate", "fake", {}, lambda job, i=i: Outcome(payload={"i": i}))
        wait_finished(job)
        jobs.append(job)
    live_view = [(e["seq"], e["type"]) for e in jobs[0].events]
    assert manager.live(jobs[0].job_id) is None
    assert manager.live(jobs[1].job_id) is None
    assert manager.live(jobs[3].job_id) is jobs[3]
    replay = list(manager.watch(jobs[0].job_id))
    assert [(e["seq"], e["type"]) for e in replay] == live_view
    assert replay[-1]["data"]["result"] == {"i": 0}


def test_secret_keys_in_events_are_redacted_before_they_are_stored(manager: JobManager, history: HistoryStore) -> None:
    def work(job: LiveJob) -> Outcome:
        job.emit("progress", "auth.refreshed", {"api_key": "sk-live-secret", "note": "ok"})
        return Outcome(payload={})

    job = manager.submit("images generate", "fake", {}, work)
    wait_finished(job)
    stored = next(e for e in history.events(job.job_id) if e["type"] == "auth.refreshed")
    assert "sk-live-secret" not in repr(stored)
    assert stored["data"]["note"] == "ok"


def test_shutdown_cancels_queued_records_running_and_refuses_new_work(
    manager: JobManager, history: HistoryStore
) -> None:
    gate = Gate()
    running, queued = running_and_queued(manager, gate)
    try:
        leftover = manager.shutdown(grace_seconds=0.2)
        assert leftover == [running.job_id]
        assert queued.status == "cancelled"
        row = history.get_job(running.job_id)
        assert row["status"] == "failed"
        assert row["error"]["code"] == "job_interrupted"
        assert row["metadata"]["recoverability"] == "recoverable.never_dispatched"
        with pytest.raises(AppError) as refused:
            manager.submit("images generate", "fake", {}, gate.work("late"))
        assert refused.value.code == "engine_unavailable"
    finally:
        gate.release.set()
    wait_finished(running)
    assert running.status == "cancelled"


def test_after_finish_runs_on_a_notification_thread_only_when_the_job_notifies(manager: JobManager) -> None:
    """A job whose config has no notifications never wakes a notification thread; one that has
    them gets after_finish on such a thread, after its terminal event."""
    ran: list[tuple[str, str, str]] = []
    manager.after_finish = lambda job, status: ran.append((job.job_id, status, threading.current_thread().name))
    manager.notifies = lambda job: job.command == "images edit"  # stands for "its config has notifications"

    def work(job: LiveJob) -> Outcome:
        return Outcome(payload={}, provider="fake")

    quiet = manager.submit("images generate", "fake", {}, work)
    loud = manager.submit("images edit", "fake", {}, work)
    wait_finished(quiet)
    wait_finished(loud)
    wait_until(lambda: len(ran) >= 1, "the loud job's notifications")
    time.sleep(0.1)  # a wrongly started notification for the quiet job would have run by now
    assert [(job_id, status) for job_id, status, _ in ran] == [(loud.job_id, "completed")]
    assert ran[0][2].startswith("notify-")
    assert manager._notify_threads.idle == 1  # only the loud job's call ever took a thread
