"""Cluster mode: several engines as interchangeable replicas over one PostgreSQL database.

On only when the PostgreSQL history store is selected (`GPT_IMAGE_2_DATABASE_URL`); the
embedded SQLite mode never imports this package.

    submit (any engine) --INSERT job_queue (state queued, stored spec)--> NOTIFY job_queue
    claimer (every engine) --UPDATE ... WHERE job_id = (SELECT ... FOR UPDATE SKIP LOCKED)--> running
    heartbeat (1 s) --lease_until = now() + 5 s--   sweeper (every engine) --expired lease--> failed
    job_events INSERT --trigger: NOTIFY job_events 'job_id seq'--> every engine's hub --> watchers
    cancel (any engine) --cancel_requested + NOTIFY job_cancel--> the engine running it stops it

`schema` holds the versioned migrations, `queue` the SQL of claiming, leases and cancel,
`hub` the one LISTEN connection per engine, `specs` the rebuilding of runnable work from a
stored request, and `manager` the JobManager that ties them to the engine's job model.
"""
