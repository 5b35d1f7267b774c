"""The engine's job queue: how many run at once, what runs and what waits."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify

from gpt_image.v1 import jobs_pb2
from gpt_image_gateway.api import engine
from gpt_image_gateway.forms import fields, integer
from gpt_image_gateway.openapi import component, json_body, ok, operation
from gpt_image_protocol.errors import AppError

bp = Blueprint("queue", __name__, url_prefix="/api")
MIN_PARALLEL, MAX_PARALLEL = 1, 32
PARALLEL = {"type": "integer", "minimum": MIN_PARALLEL, "maximum": MAX_PARALLEL}
QUEUE = component(
    "Queue",
    {
        "type": "object",
        "properties": {
            "max_parallel": PARALLEL,
            "running": {"type": "integer"},
            "queued": {"type": "integer"},
            "running_job_ids": {"type": "array", "items": {"type": "string"}},
            "queued_job_ids": {"type": "array", "items": {"type": "string"}},
        },
    },
)


def queue_json(status: jobs_pb2.QueueStatus) -> dict[str, Any]:
    return {
        "max_parallel": status.max_parallel,
        "running": status.running,
        "queued": status.queued,
        "running_job_ids": list(status.running_job_ids),
        "queued_job_ids": list(status.queued_job_ids),
    }


@bp.get("/queue")
@operation("The engine's queue: max_parallel, running and queued jobs.", tags="queue", responses=ok(QUEUE))
def get_queue() -> Any:
    return jsonify(queue_json(engine().get_queue()))


@bp.post("/queue/concurrency")
@operation(
    f"Set how many jobs run at once (max_parallel {MIN_PARALLEL}-{MAX_PARALLEL}; persisted by the engine).",
    tags="queue",
    body=json_body({"max_parallel": PARALLEL}),
    responses=ok(QUEUE),
)
def set_concurrency() -> Any:
    value = integer(fields(), "max_parallel", MIN_PARALLEL, MAX_PARALLEL)
    if value is None:
        raise AppError(
            "invalid_argument",
            f"max_parallel is required ({MIN_PARALLEL}-{MAX_PARALLEL}).",
            {"field": "max_parallel", "min": MIN_PARALLEL, "max": MAX_PARALLEL},
        )
    return jsonify(queue_json(engine().set_parallel(value)))
