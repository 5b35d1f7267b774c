"""Jobs: every piece of work the engine does.

`manager` records, queues (one lane per provider, `max_parallel`), runs and cancels jobs and fans
their events out to watchers; `context` is what a job's work sees of it; `spool` keeps raw
provider responses in the job folder before they are decoded; `reserve` holds decoded images
when the disk is full; `recovery` says what can be done for a job that did not complete;
`eta` estimates time left from recent alike jobs.
"""
