"""Failover: `kill -9` of an engine in the middle of two jobs. A surviving engine (its own data
folder; the same PostgreSQL and bucket) notices the expired leases within the lease timeout, marks
both jobs failed with `interrupted_reason` and their recoverability class, re-sends nothing, and
finishes the job whose response was spooled to the bucket with `continue_save` — no provider call."""

from __future__ import annotations

import hashlib
import signal
import time
from pathlib import Path
from typing import Any

import pytest

from tests.cluster.engines import client_env, cluster_engine, job_json, queue_row, statuses, wait_for
from tests.fakeupstream.server import GENERATIONS_PATH, Fault

pytestmark = pytest.mark.slow  # real engines, PostgreSQL and SeaweedFS

LEASE_SECONDS = 5.0


def test_kill_9_mid_job_is_noticed_and_recovered_on_the_survivor(
    tmp_path: Path, pg_url: str, s3_server: Any, s3_url: str, fake_upstream: Any
) -> None:
    bucket = s3_server.engine_env(s3_url)
    # `doomed` sleeps right after spooling a response, so the kill lands between spool and save.
    doomed = cluster_engine(
        tmp_path / "doomed", pg_url, fake_upstream.openai_base, bucket, GPT_IMAGE_2_TEST_PAUSE_AFTER_SPOOL="60"
    )
    survivor = cluster_engine(tmp_path / "survivor", pg_url, fake_upstream.openai_base, bucket)
    doomed.start()
    survivor.start()
    try:
        pinned = client_env(doomed, OPENAI_API_KEY="sk-per-call")  # both jobs run on `doomed`
        fake_upstream.faults(Fault.slow(60.0, path=GENERATIONS_PATH))
        in_flight = doomed.cli(
            "images", "generate", "--prompt", "in flight", "--out", str(tmp_path / "f.png"), "--detach", env=pinned
        ).json["job_id"]
        wait_for(lambda: len(fake_upstream.requests_to(GENERATIONS_PATH)) == 1, 30)
        spooled = doomed.cli(
            "images", "generate", "--prompt", "spooled", "--out", str(tmp_path / "s.png"), "--detach", env=pinned
        ).json["job_id"]
        prefix = s3_url.split("/", 3)[3]
        spool_key = f"{prefix}/jobs/{spooled}/raw_response.json"  # in the bucket, not only on doomed's disk
        s3 = s3_server.client()
        wait_for(lambda: s3.list_objects_v2(Bucket=s3_server.bucket, Prefix=spool_key).get("KeyCount"), 30)
        assert queue_row(pg_url, in_flight)["pid"] == doomed.proc.pid  # type: ignore[union-attr]

        doomed.proc.send_signal(signal.SIGKILL)  # type: ignore[union-attr]
        doomed.proc.wait()  # type: ignore[union-attr]
        killed_at = time.monotonic()
        seen = client_env(survivor)
        wait_for(lambda: set(statuses(pg_url, [in_flight, spooled]).values()) == {"failed"}, 15)
        noticed = time.monotonic() - killed_at
        assert noticed < LEASE_SECONDS + 3, noticed  # lease + a beat or two

        first, second = job_json(survivor, in_flight, seen), job_json(survivor, spooled, seen)
        assert first["metadata"]["interrupted_reason"] == "lease_expired"
        assert first["metadata"]["recoverability"] == "ambiguous.remote_maybe_accepted"  # sent, no answer kept
        assert first["error"]["code"] == "job_interrupted"
        assert second["metadata"]["recoverability"] == "recoverable.local_response_cached"
        recovery = survivor.cli("jobs", "recovery", spooled, env=seen).json
        assert recovery["primary_action"]["id"] == "continue_save"
        assert queue_row(pg_url, in_flight)["state"] == "done"

        out = tmp_path / "saved.png"
        resumed = survivor.cli("jobs", "resume", spooled, "--action", "continue_save", "--out", str(out), env=seen)
        assert resumed.returncode == 0, resumed.stdout + resumed.stderr
        assert resumed.json["provider_calls"] == 0
        new_job = job_json(survivor, resumed.json["history"]["job_id"], seen)
        output = next(a for a in new_job["metadata"]["artifacts"] if a["role"] == "output")
        assert hashlib.sha256(out.read_bytes()).hexdigest() == output["sha256"]
        time.sleep(LEASE_SECONDS / 2)  # nobody re-sends later either
        assert len(fake_upstream.requests_to(GENERATIONS_PATH)) == 2  # one request per job, ever
    finally:
        survivor.stop()
        doomed.stop()


def _outage(cluster: Any, seconds: float) -> None:
    """Stop the database for `seconds` and start it again with the same settings (postmaster.opts)."""
    import shlex

    from tests.servers.postgres import pg_bin

    argv = shlex.split((cluster.data / "postmaster.opts").read_text())
    options = " ".join(shlex.quote(a) for a in argv[1:] if a != "-D" and a != str(cluster.data))
    cluster.stop(mode="immediate")
    time.sleep(seconds)
    log = str(cluster.root / "server.log")  # a log file: the server must not hold our stdout pipe
    cluster._run(pg_bin("pg_ctl"), "-D", str(cluster.data), "-o", options, "-l", log, "-w", "-t", "60", "start")


def test_a_database_outage_longer_than_the_lease_fails_no_live_job(
    tmp_path: Path, pg_url: str, postgres_cluster: Any, s3_server: Any, s3_url: str, fake_upstream: Any
) -> None:
    """Every lease looks expired when the database comes back; the engines renew their own before
    anyone sweeps, so a job still running on a live engine finishes as if nothing happened."""
    bucket = s3_server.engine_env(s3_url)
    runner = cluster_engine(tmp_path / "runner", pg_url, fake_upstream.openai_base, bucket)
    other = cluster_engine(tmp_path / "other", pg_url, fake_upstream.openai_base, bucket)
    runner.start()
    other.start()
    try:
        fake_upstream.faults(Fault.slow(LEASE_SECONDS * 3, path=GENERATIONS_PATH))
        pinned = client_env(runner, OPENAI_API_KEY="sk-per-call")
        out = str(tmp_path / "o.png")
        job_id = runner.cli("images", "generate", "--prompt", "patient", "--out", out, "--detach", env=pinned).json[
            "job_id"
        ]
        wait_for(lambda: len(fake_upstream.requests_to(GENERATIONS_PATH)) == 1, 30)
        _outage(postgres_cluster, LEASE_SECONDS + 2)
        wait_for(lambda: statuses(pg_url, [job_id]).get(job_id) in ("completed", "failed"), 40, 0.2)
        job = job_json(other, job_id)
        assert job["status"] == "completed", job.get("error")
        assert len(fake_upstream.requests_to(GENERATIONS_PATH)) == 1
    finally:
        other.stop()
        runner.stop()
