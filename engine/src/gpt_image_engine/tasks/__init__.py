"""The use cases: one per operation, on a typed, stored spec.

`specs` holds the spec of every operation (validated on construction, stored as the job
folder's `spec.json`); `run` plans a spec (inputs read, provider selected and checked) and
submits or re-runs it; `images`, `requests`, `transparent` and `recovery` plan and do each
operation's work inside its job; `delivery` is what happens to a job's outputs afterwards
(uploads, then notifications); `inputs` and `outputs` move image bytes in and out.
"""
