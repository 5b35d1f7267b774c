"""The job manager: records, queues and runs jobs, and fans their events out.

Every piece of work is a job. `submit` records the job (`queued`) in history
before anything else, queues it on a bounded worker pool, and returns a
`LiveJob`. Each event a job emits is redacted, persisted to `job_events`
(per-job seq) and appended to the job's in-memory log, which any number of
watchers follow (`watch`). The terminal event carries the payload, the error
and the artifact list, and is persisted like every other event, so a client
that connects late — even after a restart — replays the whole story.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

from gpt_image_engine.errors import AppError
from gpt_image_engine.jobs.context import CancelEvent, progress_data
from gpt_image_engine.jobs.eta import Key, RunTimes, eta_key
from gpt_image_engine.jobs.recovery import stamp_interrupted
from gpt_image_engine.jobs.spool import spool_chunks
from gpt_image_engine.jobs.workers import Workers
from gpt_image_engine.security.redaction import redact
from gpt_image_engine.store.artifacts import publish_job_dir
from gpt_image_engine.store.diskspace import ensure_room, storage_error
from gpt_image_engine.store.history import HistoryStore, new_job_id

log = logging.getLogger("gpt_image_engine.jobs")

TERMINAL_TYPES = {
    "completed": "job.completed",
    "partial_failed": "job.partial_failed",
    "failed": "job.failed",
    "cancelled": "job.cancelled",
}


@dataclass
class Artifact:
    """A file a job produced, kept under the job folder."""

    path: Path
    role: str = "output"  # output | partial | source | report
    index: int = 0
    mime: str = "application/octet-stream"
    sha256: str = ""
    size: int = 0

    def ref(self, job_id: str) -> dict[str, Any]:
        return {
            "artifact_id": f"{job_id}/{self.path.name}",
            "name": self.path.name,
            "mime_type": self.mime,
            "size_bytes": self.size,
            "sha256": self.sha256,
            "index": self.index,
            "role": self.role,
        }


@dataclass
class Outcome:
    """What a job's work returns on success."""

    payload: dict[str, Any]
    artifacts: list[Artifact] = field(default_factory=list)
    output_path: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    status: str = "completed"
    provider: str | None = None


Work = Callable[["LiveJob"], Outcome]


class LiveJob:
    """A job this engine process is running or has run; also its JobContext and the
    `ProviderContext` its provider calls report through."""

    def __init__(self, manager: JobManager, job_id: str, job_dir: Path, command: str) -> None:
        self.manager = manager
        self.job_id = job_id
        self.job_dir = job_dir
        self.command = command
        self.cancel_event = CancelEvent()
        self.status = "queued"
        self.events: list[dict[str, Any]] = []
        self.cond = threading.Condition()
        self.started = False
        self.partial_hook: Callable[[int, bytes], None] | None = None
        # The config.json this job's call used (--config), for its uploads and notifications.
        self.config_file: Path | None = None
        self._pending_partial: dict[str, Any] | None = None
        self.eta_key: Key | None = None
        self.run_started: float | None = None
        # Monotonic marks of where the job's time went (claimed, started, running, worked,
        # published, recorded): the terminal log line gives the gaps in ms.
        self.marks: dict[str, float] = {}

    def mark(self, name: str) -> None:
        self.marks[name] = time.monotonic()

    def timings(self) -> dict[str, int]:
        """Milliseconds between consecutive marks, named by the later one (`worked`: from
        `running` to the end of the work)."""
        steps = sorted(self.marks.items(), key=lambda item: item[1])
        return {name: round((at - prev) * 1000) for (_, prev), (name, at) in zip(steps, steps[1:], strict=False)}

    # --- JobContext surface
    def emit(self, kind: str, type_: str, data: dict[str, Any]) -> int:
        record = self._persist(kind, type_, data)
        self._publish(record)
        return int(record["seq"])

    def _persist(self, kind: str, type_: str, data: dict[str, Any]) -> dict[str, Any]:
        """Redact and store one event (inside the caller's history batch, if any); not yet shown to watchers."""
        clean = redact(data)
        if type_ == "partial_image" and self._pending_partial is not None:
            # The preview is already on disk: tell watchers where to fetch it.
            clean["artifact"], self._pending_partial = self._pending_partial, None
        seq, created_at = self.manager.history.append_event(self.job_id, kind, type_, clean)
        return {"seq": seq, "kind": kind, "type": type_, "data": clean, "created_at": created_at}

    def _publish(self, record: dict[str, Any]) -> None:
        with self.cond:
            self.events.append(record)
            self.cond.notify_all()

    def progress(
        self, provider: str, phase: str, status: str, message: str, percent: int | None = None, **extra: Any
    ) -> int:
        return self.emit("progress", phase, progress_data(provider, phase, status, message, percent, **extra))

    def check_cancelled(self) -> None:
        if self.cancel_event.is_set():
            raise AppError("job_cancelled", "The job was cancelled.")

    def on_partial_image(self, index: int, data: bytes) -> None:
        if self.partial_hook is not None:
            self.partial_hook(index, data)
            path = self.job_dir / f"partial-{index + 1}.png"
            if path.is_file():
                self._pending_partial = Artifact(
                    path=path, role="partial", index=index, mime="image/png", size=len(data)
                ).ref(self.job_id)

    def spool(self, chunks: Iterable[bytes]) -> Path | bytes | None:
        """A provider response into the job folder as it arrives (`jobs.spool`)."""

        def received() -> Iterator[bytes]:
            yield from chunks
            self.mark("responded")

        try:
            return spool_chunks(self.job_dir, received())
        finally:
            self.mark("spooled")

    def wake(self) -> None:
        """Wake this job's watchers (one whose `stop` was just set leaves at once)."""
        with self.cond:
            self.cond.notify_all()

    # --- state
    @property
    def finished(self) -> bool:
        return self.status in TERMINAL_TYPES

    def cancel(self) -> bool:
        """Ask the job to stop. A queued job ends at once; a running one at its next check."""
        if self.finished:
            return False
        self.cancel_event.set()
        with self.cond:
            not_started = not self.started
            if not_started:
                self.started = True  # the worker will skip it
        if not_started:
            self.manager._dequeue(self)
            self.manager._finish(
                self, "cancelled", error=AppError("job_cancelled", "The job was cancelled before it started.")
            )
        return True


class JobManager:
    """Queue and workers. Jobs wait in one lane per provider ("local" for
    transparent work); free slots go to lanes in turn, so one slow provider
    cannot starve another, and local jobs also get one slot of their own so
    they never wait behind provider calls."""

    LOCAL_LANE = "local"
    KEEP_FINISHED = 256
    job_class: type[LiveJob] = LiveJob
    # True when the queue and history are shared with other engines (cluster mode).
    shared = False

    def __init__(self, history: HistoryStore, jobs_dir: Path, max_parallel: int = 2) -> None:
        self.history = history
        self.jobs_dir = jobs_dir
        self.max_parallel = max_parallel
        self._lock = threading.Lock()
        self._live: dict[str, LiveJob] = {}
        self._lanes: dict[str, deque[tuple[LiveJob, Work]]] = {}
        self._turn: deque[str] = deque()
        self._running: dict[str, str] = {}  # job id -> lane
        self._finished: deque[str] = deque()
        self._accepting = True
        # Threads for jobs' runs and for their after-finish work, reused (`jobs.workers`).
        self._job_threads = Workers("job", keep=8)
        self._notify_threads = Workers("notify", keep=4)
        self.run_times = RunTimes(lambda: history.list_jobs(limit=200, status="completed").get("jobs") or [])
        # Set by the engine: uploads after a job's work succeeded (before the terminal event),
        # and notifications after the terminal event. Both are best-effort and never fail a job.
        self.after_work: Callable[[LiveJob, Outcome], None] | None = None
        self.after_finish: Callable[[LiveJob, str], None] | None = None
        # Whether `after_finish` has anything to do for a job (asked on the job's thread): a
        # job with no notifications configured never wakes a notification thread.
        self.notifies: Callable[[LiveJob], bool] = lambda job: True
        # The work of a stored spec (`spec.json`'s bytes), set by the server: the cluster
        # manager runs jobs other engines accepted with it.
        self.rebuild: Callable[[bytes], Work] | None = None
        # A job's folder with every file the artifact store holds for it (set by the engine:
        # with a bucket, fetched from it), for the evidence of a recoverability class.
        self.job_folder: Callable[[str], Path] = lambda job_id: self.jobs_dir / job_id

    # --- submission
    def submit(
        self,
        command: str,
        provider: str,
        metadata: dict[str, Any],
        work: Work,
        lane: str | None = None,
        prepare: Callable[[str, Path], None] | None = None,
        portable: bool = False,
    ) -> LiveJob:
        """Record and queue a job. `prepare(job_id, job_dir)` fills the new job folder (its
        inputs and stored spec) before the job is recorded; a failure there is the job's
        refusal, recorded as a failed job like a full disk. `portable`: another engine may run
        it from its stored spec (the call carries no per-call secret); only a cluster uses it."""
        if not self._accepting:
            raise AppError("engine_unavailable", "The engine is shutting down.")
        job = self._record_job(command, provider, metadata, prepare)
        lane = self.lane_for(provider, lane)
        with self._lock:
            self._lanes.setdefault(lane, deque()).append((job, work))
            if lane not in self._turn:
                self._turn.append(lane)
            position = sum(len(q) for q in self._lanes.values())
        job.emit("local", "job.queued", {"status": "queued", "position": position})
        self._dispatch()
        return job

    def lane_for(self, provider: str, lane: str | None = None) -> str:
        return lane or (self.LOCAL_LANE if provider == "local" else f"provider:{provider}")

    def _record_job(
        self,
        command: str,
        provider: str,
        metadata: dict[str, Any],
        prepare: Callable[[str, Path], None] | None = None,
    ) -> LiveJob:
        """The job's folder and its `queued` history row, before anything else; a live job."""
        job_id = new_job_id()
        job_dir = self.jobs_dir / job_id
        try:
            ensure_room(self.jobs_dir)  # before dispatch: storage_full / jobs_dir_unwritable
            job_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
            if prepare is not None:
                prepare(job_id, job_dir)
        except OSError as exc:
            self._record_refused(job_id, command, provider, metadata, storage_error(exc, job_dir))
        except AppError as err:
            self._record_refused(job_id, command, provider, metadata, err)
        self.history.create_job(job_id, command, provider, status="queued", metadata=metadata, fetch=False)
        job = self.job_class(self, job_id, job_dir, command)
        job.eta_key = eta_key(command, provider, metadata)
        with self._lock:
            self._live[job_id] = job
        return job

    def _record_refused(
        self, job_id: str, command: str, provider: str, metadata: dict[str, Any], err: AppError
    ) -> NoReturn:
        """A job the engine cannot take (no room for its files) still gets a failed history row."""
        envelope = redact(err.to_envelope())
        try:
            self.history.create_job(
                job_id, command, provider, status="failed", metadata={**metadata, "error": envelope}, fetch=False
            )
            self.history.update_job(job_id, error=envelope, fetch=False)
            self.history.append_event(job_id, "local", "job.failed", {"status": "failed", "error": envelope})
        except AppError:
            log.exception("could not record refused job %s", job_id)
        if err.detail is None or isinstance(err.detail, dict):  # the client learns the recorded job's id
            err.detail = {**(err.detail or {}), "job_id": job_id}
        raise err

    def set_parallel(self, value: int) -> None:
        if not 1 <= value <= 32:
            raise AppError("invalid_argument", "max_parallel must be between 1 and 32.", {"min": 1, "max": 32})
        self.max_parallel = value
        self._dispatch()

    def cluster_info(self) -> dict[str, Any] | None:
        """The shared queue and its engines (doctor); None for an engine on its own."""
        return None

    def queue_status(self) -> dict[str, Any]:
        with self._lock:
            queued = [job.job_id for q in self._lanes.values() for job, _ in q]
            running = list(self._running)
        return {
            "max_parallel": self.max_parallel,
            "running": len(running),
            "queued": len(queued),
            "queued_job_ids": queued,
            "running_job_ids": running,
        }

    def _can_start(self, lane: str) -> bool:
        provider_running = sum(1 for ln in self._running.values() if ln != self.LOCAL_LANE)
        if lane == self.LOCAL_LANE:
            local_running = len(self._running) - provider_running
            return local_running < 1 or len(self._running) < self.max_parallel
        return provider_running < self.max_parallel and len(self._running) < self.max_parallel + 1

    def _dispatch(self) -> None:
        for job, work in self._startable():
            self._job_threads.run(f"job-{job.job_id[-8:]}", self._run, job, work)

    def _startable(self) -> list[tuple[LiveJob, Work]]:
        """Take every queued job a free slot may start now (lanes in turn), marked running."""
        starts: list[tuple[LiveJob, Work]] = []
        with self._lock:
            progressed = True
            while progressed and self._accepting:
                progressed = False
                for _ in range(len(self._turn)):
                    lane = self._turn[0]
                    self._turn.rotate(-1)
                    queue = self._lanes.get(lane)
                    if not queue:
                        continue
                    if self._can_start(lane):
                        job, work = queue.popleft()
                        self._running[job.job_id] = lane
                        starts.append((job, work))
                        progressed = True
                        break
        return starts

    def _run(self, job: LiveJob, work: Work) -> None:
        """Run a job; then, while queued jobs can start, this thread runs the next one itself
        (a hand-off to another thread would cost a wake-up per job) and the rest are dispatched."""
        while True:
            try:
                self._execute(job, work)
            except BaseException:
                with self._lock:
                    self._running.pop(job.job_id, None)
                self._dispatch()
                raise
            with self._lock:
                self._running.pop(job.job_id, None)
            starts = self._startable()
            if not starts:
                self._dispatch()  # a subclass's own way of finding work (the cluster's queue)
                return
            (job, work), rest = starts[0], starts[1:]
            threading.current_thread().name = f"job-{job.job_id[-8:]}"
            for other, other_work in rest:
                self._job_threads.run(f"job-{other.job_id[-8:]}", self._run, other, other_work)

    def _execute(self, job: LiveJob, work: Work) -> None:
        with job.cond:
            if job.started:  # cancelled while queued
                return
            job.started = True
        job.mark("started")
        job.status = "running"
        log.info("job.started", extra={"data": {"job_id": job.job_id, "command": job.command}})
        try:
            running = self._running_data(job)  # may read history (the ETA seed): outside the transaction
            with self.history.batch():  # the status and its event: one transaction
                self.history.update_job(job.job_id, status="running", fetch=False)
                record = job._persist("local", "job.running", running)
            job._publish(record)
            job.mark("running")
            outcome = work(job)
            job.mark("worked")
            job.check_cancelled()
            publish_job_dir(job.job_dir)  # every file whole in a shared bucket before `completed`
            job.mark("published")
            if self.after_work is not None and outcome.status in ("completed", "partial_failed"):
                try:
                    self.after_work(job, outcome)
                except Exception:  # uploads are recorded per target; a bug there keeps the outputs
                    log.exception("storage for job %s failed", job.job_id)
        except AppError as err:
            status = "cancelled" if err.code == "job_cancelled" or job.cancel_event.is_set() else "failed"
            self._finish(job, status, error=err)
            return
        except Exception as exc:  # a bug: record it, never lose the job
            log.exception("job %s crashed", job.job_id)
            self._finish(job, "failed", error=AppError("internal_error", f"Unexpected engine error: {exc}"))
            return
        self._finish(job, outcome.status, outcome=outcome)

    def _running_data(self, job: LiveJob) -> dict[str, Any]:
        """`job.running`, with `eta_seconds` when alike jobs ran recently (the CLI shows time left)."""
        job.run_started = time.monotonic()
        data: dict[str, Any] = {"status": "running"}
        estimate = self.run_times.estimate(job.eta_key) if job.eta_key else None
        if estimate is not None:
            data["eta_seconds"] = round(estimate, 1)
        return data

    def _dequeue(self, job: LiveJob) -> None:
        with self._lock:
            for queue in self._lanes.values():
                for item in list(queue):
                    if item[0] is job:
                        queue.remove(item)

    def _finish(
        self, job: LiveJob, status: str, *, outcome: Outcome | None = None, error: AppError | None = None
    ) -> None:
        artifacts = [a.ref(job.job_id) for a in outcome.artifacts] if outcome else []
        err = error.to_envelope() if error else None
        metadata: dict[str, Any] = dict(outcome.metadata) if outcome else {}
        metadata["artifacts"] = artifacts
        if status == "completed" and job.run_started is not None and job.eta_key is not None:
            seconds = time.monotonic() - job.run_started
            metadata["run_seconds"] = round(seconds, 3)
            self.run_times.record(job.eta_key, seconds)
        data: dict[str, Any] = {"status": status, "job_id": job.job_id, "artifacts": artifacts}
        if outcome is not None:
            data["result"] = outcome.payload
            data["output"] = outcome.payload.get("output")
        if err is not None:
            data["error"] = redact(err)
        # The terminal event is persisted raw (payloads are already secret-free), so
        # `result` keeps its shape for late watchers. The row and the event: one transaction.
        done: tuple[int, str] | None = None
        with self._lock:
            # The slot is free before anyone can read the terminal status (queue status must never
            # count a finished job as running); the next job is dispatched when `_run` returns.
            self._running.pop(job.job_id, None)
        try:
            with self.history.batch():
                self.history.update_job(
                    job.job_id,
                    status=status,
                    provider=outcome.provider if outcome else None,
                    output_path=outcome.output_path if outcome else None,
                    metadata_patch=metadata,
                    error=redact(err) if err else None,
                    fetch=False,
                )
                done = self.history.append_event(job.job_id, "local", TERMINAL_TYPES[status], data)
        except AppError:
            log.exception("could not record the end of job %s", job.job_id)
        if done is None:
            try:
                done = self.history.append_event(job.job_id, "local", TERMINAL_TYPES[status], data)
            except AppError as lost:
                # The history is out of reach (a database gone mid-run): nothing was written, and
                # watchers still hear a coded end, numbered after the last event they saw. The row
                # keeps its last recorded state until the engine marks it interrupted.
                log.error("job %s ended unrecorded: %s", job.job_id, lost.code)
                status, data = "failed", {**data, "status": "failed", "error": redact(lost.to_envelope())}
                done = (job.events[-1]["seq"] + 1 if job.events else 1), str(int(time.time()))
        job.status = status
        job.mark("recorded")
        seq, created_at = done
        with job.cond:
            job.events.append(
                {"seq": seq, "kind": "local", "type": TERMINAL_TYPES[status], "data": data, "created_at": created_at}
            )
            job.cond.notify_all()
        self._retire(job.job_id)
        # One line per finished job for the log viewer (the upstream logs the same types and levels).
        level = {"failed": logging.ERROR, "partial_failed": logging.WARNING}.get(status, logging.INFO)
        summary: dict[str, Any] = {"job_id": job.job_id, "command": job.command, "status": status}
        if err is not None:
            summary["error"] = {"code": err.get("code"), "message": err.get("message")}
        if len(job.marks) > 1:
            summary["ms"] = job.timings()
        log.log(level, TERMINAL_TYPES[status], extra={"data": summary})
        if self.after_finish is not None and self._notifies(job):
            self._notify_threads.run(f"notify-{job.job_id[-8:]}", self._after_finish, job, status)

    def _notifies(self, job: LiveJob) -> bool:
        try:
            return self.notifies(job)
        except Exception:  # an unreadable config: the notification thread reports it as before
            return True

    def _after_finish(self, job: LiveJob, status: str) -> None:
        try:
            if self.after_finish is not None:
                self.after_finish(job, status)
        except Exception:
            log.exception("notifications for job %s failed", job.job_id)

    def _retire(self, job_id: str) -> None:
        """Keep only the most recent finished jobs in memory; older ones are served from history
        (same events, same order), so a long-running engine does not grow without bound."""
        with self._lock:
            self._finished.append(job_id)
            while len(self._finished) > self.KEEP_FINISHED:
                self._live.pop(self._finished.popleft(), None)

    # --- queries
    def live(self, job_id: str) -> LiveJob | None:
        with self._lock:
            return self._live.get(job_id)

    def running_jobs(self) -> list[LiveJob]:
        with self._lock:
            return [j for j in self._live.values() if not j.finished]

    def watch(
        self, job_id: str, after_seq: int = 0, stop: threading.Event | None = None, poll: float = 0.5
    ) -> Iterator[dict[str, Any]]:
        """Every event after `after_seq`, in order, then live ones until the terminal event.

        `stop` is checked at each event and every `poll` seconds; a caller that also wakes the
        job (`LiveJob.wake`) right after setting it can poll rarely (waking 64 idle watchers
        twice a second cost more engine CPU than running their jobs)."""
        job = self.live(job_id)
        if job is None:
            self.history.get_job(job_id)  # raises history_not_found
            for record in self.history.events(job_id, after_seq):
                yield record
            return
        index = 0
        while True:
            with job.cond:
                while index >= len(job.events):
                    if stop is not None and stop.is_set():
                        return
                    job.cond.wait(timeout=poll)
                batch = job.events[index:]
                index = len(job.events)
            for record in batch:
                if record["seq"] > after_seq:
                    yield record
                if record["type"] in TERMINAL_TYPES.values():
                    return

    def cancel(self, job_id: str) -> bool:
        job = self.live(job_id)
        if job is None:
            self.history.get_job(job_id)
            return False
        return job.cancel()

    # --- lifecycle
    def shutdown(self, grace_seconds: float) -> list[str]:
        """Stop taking work; let running jobs finish within the grace period; record the rest."""
        self._accepting = False
        deadline = time.monotonic() + grace_seconds
        for job in self.running_jobs():
            if not job.started:
                job.cancel()
        while self.running_jobs() and time.monotonic() < deadline:
            time.sleep(0.05)
        leftover = []
        for job in self.running_jobs():
            job.cancel_event.set()
            leftover.append(job.job_id)
        if leftover:
            stamp_interrupted(self.history, self.jobs_dir, self.history.mark_interrupted("engine_stopped"))
        return leftover
