"""Event records: the `{seq, kind, type, data}` shape shared by `--json-events`,
the terminal progress view, the gateway's SSE and the history's event log.

The fields come from `jsonshape` (the one typed-message -> JSON mapping); this module
adds the two texts built from them: the CLI's JSON line and the gateway's page record.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gpt_image.v1 import common_pb2
from gpt_image_protocol.jsonshape import (
    created_at,
    error_of,
    event_data,
    event_record,
    kind,
    ref_record,
    result_of,
    state,
)
from gpt_image_protocol.validation import dumps_finite

__all__ = ["error_of", "event_line", "event_record", "page_event"]


def event_line(event: common_pb2.JobEvent) -> str:
    """One `--json-events` line (no newline)."""
    return dumps_finite(event_record(event), ensure_ascii=False, separators=(",", ":"), default=str)


def _same(value: Any) -> Any:
    return value


def page_event(event: common_pb2.JobEvent, paths: Callable[[Any], Any] = _same) -> dict[str, Any]:
    """The web page's view of one event (SSE and job JSON): the JSONL record plus job id, time and
    the terminal fields, artifacts without their ids. `paths` maps the data and result values
    (the gateway turns server paths into its file URLs)."""
    record: dict[str, Any] = {
        "job_id": event.job_id,
        "seq": event.seq,
        "kind": kind(event),
        "type": event.type,
        "data": paths(event_data(event)),
        "created_at": created_at(event),
    }
    if event.terminal:
        record["terminal"] = True
        record["status"] = state(event)
        result = result_of(event)
        if result is not None:
            record["result"] = paths(result)
        err = error_of(event)
        if err:
            record["error"] = err
        record["artifacts"] = [ref_record(a) for a in event.artifacts]
    return record
