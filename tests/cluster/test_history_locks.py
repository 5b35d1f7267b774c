"""Two engines writing one job at once never deadlock: a status change with its event (one
transaction, as a claim does) while another engine appends an event to the same job (as a submit,
a cancel or a sweep does). The append's foreign-key check must not wait on the row lock."""

from __future__ import annotations

import threading
import time

from gpt_image_engine.errors import AppError
from gpt_image_engine.store.history.postgres import PostgresHistory


def test_row_update_with_event_beside_an_event_append_does_not_deadlock(pg_url: str) -> None:
    first, second = PostgresHistory(pg_url), PostgresHistory(pg_url)
    errors: list[AppError] = []
    try:
        first.create_job("job-1", "images generate", "openai", fetch=False)
        row_locked = threading.Event()

        def append_elsewhere() -> None:
            row_locked.wait()
            try:
                second.append_event("job-1", "local", "job.queued", {"status": "queued"})
            except AppError as err:
                errors.append(err)

        other = threading.Thread(target=append_elsewhere)
        other.start()
        with first.batch():
            first.update_job("job-1", status="running", fetch=False)
            row_locked.set()
            time.sleep(0.3)  # the other engine now holds the job's append lock and checks the row
            first.append_event("job-1", "local", "job.running", {"status": "running"})
        other.join()
        assert errors == []  # before the fix: a deadlock, one side's write failed
        assert [e["type"] for e in first.events("job-1")] == ["job.queued", "job.running"]
        assert first.get_job("job-1")["status"] == "running"
    finally:
        first.close()
        second.close()
