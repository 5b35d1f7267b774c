"""Event records: the `{seq, kind, type, data}` shape shared by `--json-events`,
the terminal progress view, the gateway's SSE and the history's event log."""

from __future__ import annotations

import json
from typing import Any

from gpt_image.v1 import common_pb2


def loads_or_empty(text: str) -> Any:
    if not text:
        return {}
    try:
        return json.loads(text)
    except ValueError:
        return {"raw": text}


def event_record(event: common_pb2.JobEvent) -> dict[str, Any]:
    """The upstream's JSONL record for one event."""
    return {"seq": event.seq, "kind": event.kind, "type": event.type, "data": loads_or_empty(event.data_json)}


def error_of(event: common_pb2.JobEvent) -> dict[str, Any] | None:
    if not event.HasField("error") or not event.error.code:
        return None
    body: dict[str, Any] = {"code": event.error.code, "message": event.error.message}
    if event.error.detail_json:
        body["detail"] = loads_or_empty(event.error.detail_json)
    return body
