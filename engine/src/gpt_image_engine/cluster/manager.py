"""The JobManager of a cluster engine: the same job model, with the queue in PostgreSQL.

What changes against the embedded manager:
- `submit` records the job as before and inserts it into `job_queue` with its stored request
  (`spec`); the job runs on whichever engine claims it first. A job whose request cannot travel
  (a per-call API key, which never touches the database, or inputs only this engine holds) is
  pinned to the accepting engine.
- One queue thread per engine claims jobs while this engine has free slots (`max_parallel`, the
  lanes' rules) and the cluster is under its cap, beats every second (lease 5 s), and sweeps
  the leases of engines that died: their jobs end `failed` with `interrupted_reason` and a
  recoverability class; nothing is ever re-sent on its own.
- `watch` of a job running elsewhere follows its rows in `job_events`, woken by NOTIFY.
- `cancel` works from any engine: a queued job ends at once; a running one is told through
  NOTIFY (and the next heartbeat, should the notice be missed).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from gpt_image_engine import __version__
from gpt_image_engine.cluster.hub import Hub
from gpt_image_engine.cluster.queue import Queue
from gpt_image_engine.cluster.schema import migrate
from gpt_image_engine.errors import AppError
from gpt_image_engine.jobs.manager import TERMINAL_TYPES, JobManager, LiveJob, Outcome, Work
from gpt_image_engine.jobs.recovery import describe
from gpt_image_engine.security.redaction import redact, redact_url
from gpt_image_engine.store.history import HistoryStore

log = logging.getLogger("gpt_image_engine.cluster")

# What `job_queue.method` says the stored bytes are: the job folder's spec.json.
SPEC_FILE = "spec.json"
SPEC_FORMAT = "spec.json/v1"
LEASE_SECONDS = 5.0
BEAT_SECONDS = 1.0


def _env_float(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, "") or default)
    except ValueError:
        return default


def _stored_spec(job_dir: Path) -> bytes | None:
    """The job's `spec.json` as written by `prepare`; None (the job stays here) without one."""
    try:
        return (job_dir / SPEC_FILE).read_bytes()
    except OSError:
        return None


class ClusterLiveJob(LiveJob):
    """A job this engine accepted or claimed; cancel goes through the shared queue."""

    manager: ClusterJobManager

    def cancel(self) -> bool:
        return self.manager.cancel(self.job_id)

    def wake(self) -> None:
        super().wake()
        self.manager.hub.wake(self.job_id)  # watchers here wait on the hub, not on `cond`


class ClusterJobManager(JobManager):
    job_class = ClusterLiveJob
    shared = True

    def __init__(
        self,
        history: HistoryStore,
        jobs_dir: Path,
        database_url: str,
        max_parallel: int = 2,
        cluster_max_parallel: int = 0,
        lease_seconds: float | None = None,
        shared_files: bool = True,
        engine_id: str | None = None,
        job_folder: Callable[[str], Path] | None = None,
    ) -> None:
        super().__init__(history, jobs_dir, max_parallel=max_parallel)
        if job_folder is not None:  # the artifact store's view of a job's files (a bucket's too)
            self.job_folder = job_folder
        # A fixed name (GPT_IMAGE_2_ENGINE_ID, e.g. a pod's) lets a restarted engine end its own
        # unfinished jobs at once, as a single engine does; without one each run is a new engine.
        self.engine_id = engine_id or f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self.lease_seconds = lease_seconds or _env_float("GPT_IMAGE_2_CLUSTER_LEASE_SECONDS", LEASE_SECONDS)
        self.beat_seconds = min(BEAT_SECONDS, self.lease_seconds / 3)
        self.cluster_max_parallel = cluster_max_parallel
        self.database_url = database_url
        self.queue = Queue(database_url, self.engine_id, self.lease_seconds)
        with self.queue.rpc.tx() as conn:  # unreachable: cluster_queue_failed, the URL redacted
            migrate(conn)
        if engine_id:
            self._wait_for_previous_run()
        self.queue.register(socket.gethostname(), os.getpid(), max_parallel, __version__)
        # Jobs accepted here, with when: the closure (no rebuild when we claim them ourselves).
        self._work: dict[str, tuple[Work, float]] = {}
        self._wakeup = threading.Event()
        self._abandoned: set[str] = set()
        self._sweeps = 0
        self.shared_files = shared_files  # artifacts in a bucket: any engine can run any job
        self._stopping = threading.Event()
        self.hub = Hub(database_url, on_cancel=self._remote_cancel, on_queued=self._wakeup.set)
        self.hub.start()
        self._loop = threading.Thread(target=self._queue_loop, name="cluster-queue", daemon=True)
        self._loop.start()

    def _wait_for_previous_run(self) -> None:
        """With a fixed name: wait until the last engine of that name has stopped beating (a
        kill -9 a moment ago), refuse to start beside a live one, then end its unfinished jobs."""
        deadline = time.monotonic() + 2 * self.lease_seconds
        while self.queue.engine_alive(self.engine_id):
            if time.monotonic() > deadline:
                raise AppError(
                    "invalid_argument",
                    f"Another live engine uses GPT_IMAGE_2_ENGINE_ID={self.engine_id}; give each engine its own.",
                    {"engine_id": self.engine_id},
                )
            time.sleep(self.beat_seconds)
        for job_id in self.queue.take_own():
            if not self._interrupt(job_id, self.engine_id, "engine_restarted"):
                self.queue.reopen(job_id)

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
        if not self._accepting:
            raise AppError("engine_unavailable", "The engine is shutting down.")
        job = self._record_job(command, provider, metadata, prepare)
        # Another engine can run it only if it can read its inputs and write its outputs where
        # every engine sees them (a bucket) and the call carries no key of its own.
        body = _stored_spec(job.job_dir) if portable and self.shared_files else None
        # Before the row is claimable: the claiming engine's events follow this one.
        job.emit("local", "job.queued", {"status": "queued", "engine_id": self.engine_id})
        with self._lock:
            self._work[job.job_id] = (work, time.monotonic())
        try:
            self.queue.enqueue(job.job_id, self.lane_for(provider, lane), SPEC_FORMAT, body, pinned=body is None)
        except AppError as err:
            with self._lock:
                self._work.pop(job.job_id, None)
            JobManager._finish(self, job, "failed", error=err)
            raise
        self._wakeup.set()
        return job

    # --- the queue loop: claim, beat, sweep
    def _dispatch(self) -> None:
        self._wakeup.set()

    def _queue_loop(self) -> None:
        """Claim while there are free slots; every beat renew this engine's leases and sweep the
        expired ones of others. Sweeping waits until this engine has reached the database for a
        whole lease (at start, and after losing it): after an outage every lease looks expired,
        and each live engine must get the chance to renew its own before anyone sweeps them."""
        next_beat = 0.0
        healthy_since: float | None = time.monotonic()
        while not self._stopping.is_set():
            self._wakeup.wait(self.beat_seconds / 2)
            self._wakeup.clear()
            try:
                if self._accepting:
                    self._claim_while_free()
                if time.monotonic() >= next_beat:
                    next_beat = time.monotonic() + self.beat_seconds
                    self._beat()
                    healthy_since = healthy_since or time.monotonic()
                    if time.monotonic() - healthy_since >= self.lease_seconds:
                        self._sweep()
            except AppError as err:
                healthy_since = None
                log.warning("cluster queue loop: %s", err.message, extra={"data": redact(err.to_envelope())})
                self._stopping.wait(self.beat_seconds)
            except Exception:
                log.exception("cluster queue loop failed")
                self._stopping.wait(self.beat_seconds)

    def _claim_while_free(self) -> None:
        while self._accepting and not self._stopping.is_set():
            with self._lock:
                local_ok = self._can_start(self.LOCAL_LANE)
                provider_ok = self._can_start("provider:any")
            claimed = self.queue.claim(local_ok, provider_ok, self.cluster_max_parallel)
            if claimed is None:
                return
            self._start_claimed(claimed.job_id, claimed.lane, claimed.method, claimed.spec)

    def _start_claimed(self, job_id: str, lane: str, method: str, spec: bytes | None) -> None:
        claimed_at = time.monotonic()
        with self._lock:
            accepted = self._work.pop(job_id, None)
            job = self._live.get(job_id)
            self._running[job_id] = lane
        if job is None:  # accepted by another engine: rebuild it from its stored request
            try:
                row = self.history.get_job(job_id)
                job = ClusterLiveJob(self, job_id, self.jobs_dir / job_id, str(row.get("command") or ""))
                job.job_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
                with self._lock:
                    self._live[job_id] = job
            except (AppError, OSError) as exc:
                log.exception("cannot take job %s", job_id)
                with self._lock:
                    self._running.pop(job_id, None)
                err = exc if isinstance(exc, AppError) else AppError("internal_error", str(exc))
                self._record_failure(job_id, err)
                self.queue.finish(job_id)
                return
        job.marks["claimed"] = claimed_at
        work = accepted[0] if accepted is not None else self._rebuild(method, spec)
        threading.Thread(target=self._run, args=(job, work), name=f"job-{job_id[-8:]}", daemon=True).start()

    def _rebuild(self, method: str, spec: bytes | None) -> Work:
        if self.rebuild is None or spec is None or method != SPEC_FORMAT:

            def refuse(live: LiveJob) -> Outcome:
                raise AppError(
                    "invalid_argument",
                    f"This engine cannot run a job stored as {method or 'nothing'}.",
                    {"format": method, "supported": SPEC_FORMAT},
                )

            return refuse
        try:
            return self.rebuild(spec)
        except AppError as err:  # e.g. no provider configured on this engine: the job fails coded

            def fail(live: LiveJob, err: AppError = err) -> Outcome:
                raise err

            return fail

    def _beat(self) -> None:
        with self._lock:
            mine = list(self._running)
            settled = time.monotonic() - 10  # an entry younger than this may not be committed yet
            accepted = [job_id for job_id, (_, at) in self._work.items() if at < settled]
        if accepted:  # closures of jobs another engine took (or that ended) are not needed any more
            waiting = self.queue.still_queued(accepted)
            with self._lock:
                for job_id in accepted:
                    if job_id not in waiting:
                        self._work.pop(job_id, None)
        cancelled, lost = self.queue.heartbeat(mine)
        for job_id in cancelled:
            self._remote_cancel(job_id)
        for job_id in lost:
            log.warning("lost the lease of job %s", job_id)

    def _sweep(self) -> None:
        self._sweeps += 1
        if self._sweeps % 300 == 1:  # about every five minutes: closed rows older than a day go
            self.queue.prune()
        for job_id, engine_id in self.queue.orphans():
            self._interrupt(job_id, engine_id, "engine_lost")
        for job_id, engine_id, what in self.queue.take_expired():
            if not self._interrupt(job_id, engine_id, what):
                try:
                    self.queue.reopen(job_id)  # recorded by a later sweep, never lost
                except AppError:
                    log.exception("could not put job %s back for the next sweep", job_id)

    def _interrupt(self, job_id: str, engine_id: str | None, what: str) -> bool:
        """Record a job whose engine is gone: failed, `interrupted_reason`, recoverability.
        False when it could not be recorded (the caller puts it back for the next sweep)."""
        error = {
            "code": "job_interrupted",
            "message": "The engine running this job stopped before it finished.",
            "detail": {"reason": what, "engine_id": engine_id},
        }
        try:
            job = self.history.get_job(job_id)
            if job.get("status") in TERMINAL_TYPES:
                return True  # it finished as its lease ran out
            meta = {**(job.get("metadata") or {}), "interrupted_reason": what, "interrupted_engine": engine_id}
            seen = {**job, "status": "failed", "metadata": meta, "error": error}
            events = self.history.events(job_id)
            try:  # the evidence (a spooled response) is where the dead engine published it: the store
                folder = self.job_folder(job_id)
            except Exception:  # noqa: BLE001 - the store is down: classify from the events alone
                log.warning("no job files for %s; classifying it from its events", job_id, exc_info=True)
                folder = self.jobs_dir / job_id
            klass = describe(seen, folder, events)["recoverability"]
            with self.history.batch():  # the status and its terminal event: one transaction
                self.history.update_job(
                    job_id,
                    status="failed",
                    metadata_patch={
                        "interrupted_reason": what,
                        "interrupted_engine": engine_id,
                        "recoverability": klass,
                    },
                    error=error,
                    fetch=False,
                )
                self.history.append_event(
                    job_id,
                    "local",
                    "job.failed",
                    {"status": "failed", "job_id": job_id, "error": error, "recoverability": klass},
                )
        except Exception:  # noqa: BLE001 - a database hiccup: the row goes back, a later sweep records it
            log.exception("could not record the interruption of job %s", job_id)
            return False
        log.warning(
            "job interrupted: its engine is gone",
            extra={"data": {"job_id": job_id, "engine_id": engine_id, "reason": what, "recoverability": klass}},
        )
        return True

    def _record_failure(self, job_id: str, err: AppError) -> None:
        envelope = redact(err.to_envelope())
        try:
            with self.history.batch():
                self.history.update_job(job_id, status="failed", error=envelope, fetch=False)
                self.history.append_event(
                    job_id, "local", "job.failed", {"status": "failed", "job_id": job_id, "error": envelope}
                )
        except AppError:
            log.exception("could not record the failure of job %s", job_id)

    # --- finishing
    def _finish(
        self, job: LiveJob, status: str, *, outcome: Outcome | None = None, error: AppError | None = None
    ) -> None:
        """Record the end, then close the lease, in that order: an engine killed in between leaves
        a terminal row whose lease the sweeper finds and leaves as it is (never a closed lease over
        a row still `running`, which nobody would ever end)."""
        with self._lock:
            abandoned = job.job_id in self._abandoned
        if abandoned:  # the engine stopped past its grace period: recorded as interrupted instead
            return
        try:
            ours = self.queue.renew(job.job_id)
        except AppError as err:
            log.warning("could not check the lease of job %s: %s", job.job_id, err.message)
            ours = True  # the database is away: record what we know; the sweeper checks the row
        if not ours:
            # Swept as interrupted while we still ran it (this engine stalled past its lease):
            # the row already says failed with its recoverability; do not write a second end.
            job.status = "failed"
            with self._lock:
                self._running.pop(job.job_id, None)
            job.wake()
            log.warning("job %s finished after its lease was lost; its files are kept", job.job_id)
            return
        super()._finish(job, status, outcome=outcome, error=error)
        try:
            self.queue.finish(job.job_id)
        except AppError as err:  # the lease then runs out; the sweeper sees the terminal row
            log.warning("could not close the lease of job %s: %s", job.job_id, err.message)

    # --- cancel
    def cancel(self, job_id: str) -> bool:
        state = self.queue.request_cancel(job_id)
        if state is None:
            self.history.get_job(job_id)  # history_not_found for unknown ids
            return False
        if state == "queued":
            job = self.live(job_id) or ClusterLiveJob(self, job_id, self.jobs_dir / job_id, "")
            with self._lock:
                self._work.pop(job_id, None)
            job.cancel_event.set()
            with job.cond:
                job.started = True
            JobManager._finish(
                self, job, "cancelled", error=AppError("job_cancelled", "The job was cancelled before it started.")
            )
            return True
        self._remote_cancel(job_id)  # it may be ours
        return True

    def _remote_cancel(self, job_id: str) -> None:
        job = self.live(job_id)
        if job is not None and not job.finished:
            job.cancel_event.set()
            job.wake()

    # --- watching
    def watch(
        self, job_id: str, after_seq: int = 0, stop: threading.Event | None = None, poll: float = 0.5
    ) -> Iterator[dict[str, Any]]:
        """Every event of the job after `after_seq` from `job_events`, then each new one as its
        NOTIFY arrives, until the terminal event: the same for a job running here or elsewhere."""
        self.history.get_job(job_id)  # history_not_found
        sub = self.hub.subscribe(job_id)
        wait = min(poll, 2.0)
        try:
            last = after_seq
            while True:
                for record in self.history.events(job_id, last):
                    last = int(record["seq"])
                    yield record
                    if record["type"] in TERMINAL_TYPES.values():
                        return
                if stop is not None and stop.is_set():
                    return
                if not sub.wait(wait) and self.history.get_job(job_id).get("status") in TERMINAL_TYPES:
                    # Ended with no terminal event (a row from before events were kept): what is there is all.
                    yield from self.history.events(job_id, last)
                    return
        finally:
            self.hub.unsubscribe(job_id, sub)

    # --- queries
    def queue_status(self) -> dict[str, Any]:
        status = super().queue_status()
        try:
            counts = self.queue.counts()
        except AppError:
            return status
        status.update(
            queued=len(counts["queued"]),
            queued_job_ids=counts["queued"],
        )
        return status

    def cluster_info(self) -> dict[str, Any] | None:
        info: dict[str, Any] = {
            "engine_id": self.engine_id,
            "database": redact_url(self.database_url),
            "lease_seconds": self.lease_seconds,
            "max_parallel": self.max_parallel,
            "cluster_max_parallel": self.cluster_max_parallel or None,
            # Without a shared bucket each job runs on the engine that accepted it.
            "jobs_travel": self.shared_files,
        }
        try:
            info["peers"] = self.queue.peers()
            info["queue"] = {k: len(v) for k, v in self.queue.counts().items()}
            info["ok"] = True
        except AppError as err:
            info["ok"] = False
            info["error"] = redact(err.to_envelope())
        return info

    # --- lifecycle
    def shutdown(self, grace_seconds: float) -> list[str]:
        """Stop claiming; let running jobs finish within the grace period; record the rest as
        interrupted (only this engine's jobs: the others keep running on their engines)."""
        self._accepting = False
        deadline = time.monotonic() + grace_seconds
        with self._lock:
            waiting = [job_id for job_id in self._work]
        for job_id in waiting:  # accepted here, not claimed by anyone yet: they still may be
            try:
                if self.queue.request_cancel(job_id) == "queued":
                    job = self.live(job_id)
                    if job is not None:
                        JobManager._finish(
                            self, job, "cancelled", error=AppError("job_cancelled", "The engine is shutting down.")
                        )
            except AppError:
                pass
        while self._running and time.monotonic() < deadline:
            time.sleep(0.05)
        with self._lock:
            leftover = list(self._running)
        with self._lock:
            self._abandoned.update(leftover)  # their threads end without recording anything
        for job_id in leftover:
            job = self.live(job_id)
            if job is not None:
                job.cancel_event.set()
        self._stopping.set()
        self._loop.join(timeout=3)
        for job_id in leftover:
            if self._interrupt(job_id, self.engine_id, "engine_stopped"):
                try:
                    self.queue.finish(job_id)
                except AppError:
                    continue  # its lease runs out; the sweeper finds the row already ended
        try:
            self.queue.unregister()
        except AppError:
            pass
        self.hub.stop()
        self.queue.close()
        return leftover
