"""The one mapping between the typed contract and the JSON shapes users see.

The engine fills typed messages (`fill_value`, `fill_event`, `job_message`, `artifact_ref`);
the CLI (envelope on stdout, `--json-events` lines on stderr) and the gateway (HTTP JSON,
SSE) read them back into the upstream's JSON shapes (`value`, `event_record`, `job_dict`,
`result_of`, `error_of`). Both directions live here, so the shapes cannot drift between
surfaces, and `tests/contract/test_golden.py` holds them byte-for-byte to what the
upstream-compatible code printed before the contract was typed.

Exactness rules: a `JsonValue` keeps int vs float, key order and integers of any size
(`jsonvalue`, re-exported here); a typed event family (`ProgressData`, ...) is used only when a
record has exactly that family's keys, in that order, with those types, and otherwise the record
travels as an ordered `JsonObject`, so no record is ever reshaped. Results and a job's typed parts
(results.proto) follow the same rule through `typedjson`: typed when the message shows exactly the
payload, else the payload travels whole (`other_result`, `Job.verbatim`). No `MessageToDict`: values are read
straight from the fields (the engine turns every event into a message; this is its hot path).
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Iterable, Mapping
from typing import Any

from google.protobuf import timestamp_pb2

from gpt_image.v1 import common_pb2, jobs_pb2, results_pb2
from gpt_image_protocol import typedjson
from gpt_image_protocol.jsonvalue import (
    INT64_RANGE,
    document_text,
    fill_object,
    fill_value,
    obj,
    optional_value,
    to_object,
    to_value,
    value,
)

__all__ = ["document_text", "fill_object", "fill_value", "obj", "optional_value", "to_object", "to_value", "value"]


def _names(enum: Any) -> dict[int, str]:
    """{number: wire word} of an enum: JOB_STATE_PARTIAL_FAILED -> "partial_failed"."""
    return typedjson.enum_words(enum.DESCRIPTOR)[0]


STATE_NAMES = _names(common_pb2.JobState)
KIND_NAMES = _names(common_pb2.EventKind)
ROLE_NAMES = _names(common_pb2.ArtifactRole)
COMMAND_NAMES = _names(jobs_pb2.JobCommand)
METHOD_NAMES = _names(results_pb2.TransparentMethod)
PROFILE_NAMES = _names(results_pb2.TransparentProfile)
STORAGE_NAMES = _names(results_pb2.StorageStatus)
# Word -> enum number (typed Any: the generated stubs type each enum field by its own enum).
STATES: dict[str, Any] = {name: number for number, name in STATE_NAMES.items()}
KINDS: dict[str, Any] = {name: number for number, name in KIND_NAMES.items()}
ROLES: dict[str, Any] = {name: number for number, name in ROLE_NAMES.items()}
COMMANDS: dict[str, Any] = {name: number for number, name in COMMAND_NAMES.items()}
METHODS: dict[str, Any] = {name: number for number, name in METHOD_NAMES.items()}
PROFILES: dict[str, Any] = {name: number for number, name in PROFILE_NAMES.items()}
STORAGE: dict[str, Any] = {name: number for number, name in STORAGE_NAMES.items()}
# The choices a user types, in the order help and errors list them.
PROFILE_CHOICES = tuple(PROFILE_NAMES[n] for n in sorted(PROFILE_NAMES))
METHOD_CHOICES = tuple(METHOD_NAMES[n] for n in sorted(METHOD_NAMES))

# The terminal event's result field per job command (one oneof member per operation).
# The member is named for the command ("images generate" -> images_generate); a payload that does
# not fit its member's typed message exactly travels whole as `other_result`.
RESULT_FIELDS = {word: word.replace(" ", "_") for word in COMMAND_NAMES.values()}

# --- timestamps -------------------------------------------------------------------------------


def fill_time(msg: timestamp_pb2.Timestamp, text: Any) -> bool:
    """Set `msg` from history's "Unix seconds as a decimal string"; False when `text` is not one."""
    if isinstance(text, str) and text.isascii() and text.isdigit() and (len(text) == 1 or text[0] != "0"):
        msg.seconds = int(text)
        return True
    return False


def time_text(msg: timestamp_pb2.Timestamp) -> str:
    """The decimal-seconds string history and the JSON shapes use."""
    return str(msg.seconds)


# --- errors and artifacts ---------------------------------------------------------------------


def fill_error(msg: common_pb2.Error, err: Mapping[str, Any]) -> None:
    msg.code = str(err.get("code", "internal_error"))
    msg.message = str(err.get("message", ""))
    if err.get("detail") is not None:
        fill_value(msg.detail, err["detail"])


def error_dict(msg: common_pb2.Error) -> dict[str, Any]:
    """`{code, message, detail?}`: the error shape every surface prints."""
    body: dict[str, Any] = {"code": msg.code, "message": msg.message}
    if msg.HasField("detail"):
        body["detail"] = value(msg.detail)
    return body


def error_of(event: common_pb2.JobEvent) -> dict[str, Any] | None:
    if not event.HasField("error") or not event.error.code:
        return None
    return error_dict(event.error)


def fill_ref(msg: common_pb2.ArtifactRef, ref: Mapping[str, Any]) -> common_pb2.ArtifactRef:
    """An artifact ref from the engine's dict (`role` as its word)."""
    for name in ("artifact_id", "name", "mime_type", "sha256"):
        if ref.get(name):
            setattr(msg, name, ref[name])
    msg.size_bytes = int(ref.get("size_bytes") or 0)
    msg.index = int(ref.get("index") or 0)
    msg.artifact_role = ROLES.get(str(ref.get("role") or ""), 0)
    return msg


def artifact_ref(ref: Mapping[str, Any]) -> common_pb2.ArtifactRef:
    return fill_ref(common_pb2.ArtifactRef(), ref)


def role(ref: common_pb2.ArtifactRef) -> str:
    return ROLE_NAMES.get(ref.artifact_role, "")


def ref_record(ref: common_pb2.ArtifactRef) -> dict[str, Any]:
    """An artifact as the gateway's job JSON and SSE show it (no artifact id)."""
    return {
        "name": ref.name,
        "mime_type": ref.mime_type,
        "size_bytes": ref.size_bytes,
        "sha256": ref.sha256,
        "index": ref.index,
        "role": role(ref),
    }


# --- job events -------------------------------------------------------------------------------

_PROGRESS_HEAD = ("provider", "phase", "status", "message")
_LIFECYCLE_KEYS = (("status",), ("status", "position"), ("status", "eta_seconds"))
_REQUEST_KEYS = (("provider", "endpoint"), ("provider", "endpoint", "transport"))


def _is_int(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _progress(data: Mapping[str, Any], msg: common_pb2.ProgressData) -> bool:
    keys = tuple(data)
    if keys[:4] != _PROGRESS_HEAD or not all(isinstance(data[k], str) for k in _PROGRESS_HEAD):
        return False
    status = STATES.get(data["status"])
    if status is None:
        return False
    rest = keys[4:]
    percent: Any = data.get("percent")
    if rest and rest[0] == "percent":
        if not _is_int(percent) or not -(2**31) <= percent < 2**31:
            return False
        rest = rest[1:]
    if "percent" in rest:
        return False
    msg.provider, msg.phase, msg.message = data["provider"], data["phase"], data["message"]
    msg.status = status
    if keys[4:5] == ("percent",):
        msg.percent = percent
    extra = msg.extra.members
    for key in rest:
        fill_value(extra.add(key=key).value, data[key])
    return True


def _lifecycle(data: Mapping[str, Any], msg: common_pb2.LifecycleData) -> bool:
    keys = tuple(data)
    if keys not in _LIFECYCLE_KEYS or not isinstance(data["status"], str) or data["status"] not in STATES:
        return False
    position: Any = data.get("position")
    if "position" in data and not (_is_int(position) and INT64_RANGE[0] <= position <= INT64_RANGE[1]):
        return False
    eta: Any = data.get("eta_seconds")
    if "eta_seconds" in data and not (isinstance(eta, float) and math.isfinite(eta)):
        return False
    msg.status = STATES[data["status"]]
    if "position" in data:
        msg.position = position
    if "eta_seconds" in data:
        msg.eta_seconds = eta
    return True


def _request_started(data: Mapping[str, Any], msg: common_pb2.RequestStartedData) -> bool:
    if tuple(data) not in _REQUEST_KEYS or not all(isinstance(v, str) for v in data.values()):
        return False
    msg.provider, msg.endpoint = data["provider"], data["endpoint"]
    if "transport" in data:
        msg.transport = data["transport"]
    return True


def _terminal(event: common_pb2.JobEvent, data: Mapping[str, Any], msg: common_pb2.TerminalData) -> bool:
    """{status, job_id, output?, error?}, status/job_id/error being the event's own."""
    keys = tuple(data)
    if (
        keys[:2] != ("status", "job_id")
        or data["job_id"] != event.job_id
        or data["status"] != STATE_NAMES.get(event.state)
    ):
        return False
    rest = keys[2:]
    if rest and rest[0] == "output":
        fill_value(msg.output, data["output"])
        rest = rest[1:]
    if rest == ("error",):
        shown = error_dict(event.error)
        if not event.error.code or shown != data["error"] or tuple(shown) != tuple(data["error"]):
            return False
        msg.error_shown = True
    elif rest:
        return False
    return True


# Event types whose data is a typed message shown by typedjson's rule (results.proto).
_TYPED_FAMILIES = {"job.storage": "storage", "job.notifications": "notifications"}


def _typed_family(event: common_pb2.JobEvent, family: str, data: Mapping[str, Any]) -> bool:
    target = getattr(event, family)
    if typedjson.fill(target, data):
        target.SetInParent()
        return True
    return False


def fill_event(
    event: common_pb2.JobEvent, record: Mapping[str, Any], *, terminal: bool, command: str | None = None
) -> common_pb2.JobEvent:
    """Fill a JobEvent from the engine's record `{seq, kind, type, data, created_at}`.

    A terminal record's data carries the payload (`result`), the error and the artifacts: they
    go to the event's own fields (the result into the member of `command`), the rest into its data.
    """
    data: Mapping[str, Any] = record.get("data") or {}
    kind = str(record.get("kind", "local"))
    event.seq = int(record["seq"])
    event.type = str(record.get("type", ""))
    event.event_kind = KINDS.get(kind, 0)
    fill_time(event.create_time, str(record.get("created_at", "")))
    if terminal:
        event.terminal = True
        event.state = STATES.get(str(data.get("status", "")), 0)
        if data.get("result") is not None:
            fill_result(event, data["result"], command)
        if isinstance(data.get("error"), Mapping) and data["error"]:
            fill_error(event.error, data["error"])
        for ref in data.get("artifacts") or []:
            fill_ref(event.artifacts.add(), ref)
        public = {k: v for k, v in data.items() if k not in ("result", "artifacts")}
        if not _terminal(event, public, event.terminal_data):
            event.ClearField("terminal_data")
            fill_object(event.fields, public)
        return event
    if not isinstance(data, Mapping):
        fill_object(event.fields, {})
    elif (
        kind == "progress"
        and _progress(data, event.progress)
        or event.type in ("job.queued", "job.running")
        and _lifecycle(data, event.lifecycle)
        or event.type == "request.started"
        and _request_started(data, event.request_started)
        or event.type in _TYPED_FAMILIES
        and _typed_family(event, _TYPED_FAMILIES[event.type], data)
    ):
        pass
    else:
        for family in ("progress", "lifecycle", "request_started", *_TYPED_FAMILIES.values()):
            event.ClearField(family)  # type: ignore[arg-type]
        fill_object(event.fields, data)
    if isinstance(data, Mapping):
        artifact = data.get("artifact")
        if isinstance(artifact, Mapping) and artifact.get("artifact_id"):
            fill_ref(event.artifacts.add(), artifact)
    return event


def event_data(event: common_pb2.JobEvent) -> dict[str, Any]:
    """The event's `data` object as the upstream's JSON shows it."""
    family = event.WhichOneof("data")
    if family == "fields":
        return obj(event.fields)
    if family == "progress":
        p = event.progress
        out: dict[str, Any] = {
            "provider": p.provider,
            "phase": p.phase,
            "status": STATE_NAMES.get(p.status, ""),
            "message": p.message,
        }
        if p.HasField("percent"):
            out["percent"] = p.percent
        for m in p.extra.members:
            out[m.key] = value(m.value)
        return out
    if family == "lifecycle":
        lc = event.lifecycle
        out = {"status": STATE_NAMES.get(lc.status, "")}
        if lc.HasField("position"):
            out["position"] = lc.position
        if lc.HasField("eta_seconds"):
            out["eta_seconds"] = lc.eta_seconds
        return out
    if family == "request_started":
        rs = event.request_started
        out = {"provider": rs.provider, "endpoint": rs.endpoint}
        if rs.HasField("transport"):
            out["transport"] = rs.transport
        return out
    if family in _TYPED_FAMILIES.values():
        return typedjson.to_dict(getattr(event, str(family)))
    if family == "terminal_data":
        td = event.terminal_data
        out = {"status": STATE_NAMES.get(event.state, ""), "job_id": event.job_id}
        if td.HasField("output"):
            out["output"] = value(td.output)
        if td.error_shown:
            out["error"] = error_dict(event.error)
        return out
    return {}


def kind(event: common_pb2.JobEvent) -> str:
    return KIND_NAMES.get(event.event_kind, "")


def state(event: common_pb2.JobEvent) -> str:
    return STATE_NAMES.get(event.state, "")


def created_at(event: common_pb2.JobEvent) -> str:
    """The event's time as the JSON shapes show it ("" for a record that had none)."""
    return time_text(event.create_time) if event.HasField("create_time") else ""


def has_result(event: common_pb2.JobEvent) -> bool:
    return event.WhichOneof("result") is not None


def fill_result(event: common_pb2.JobEvent, payload: Any, command: str | None) -> None:
    """The terminal payload into the typed member of `command` (`other_result` when the command
    has none or the payload does not fit its message exactly; a non-object as `{"result": v}`)."""
    field = RESULT_FIELDS.get(command or "")
    if field is not None and isinstance(payload, Mapping):
        if typedjson.fill(getattr(event, field), payload):
            getattr(event, field).SetInParent()
            return
        event.ClearField(field)  # type: ignore[arg-type]
    fill_object(event.other_result, payload if isinstance(payload, Mapping) else {"result": payload})
    event.other_result.SetInParent()


def result_of(event: common_pb2.JobEvent) -> dict[str, Any] | None:
    """The terminal payload (the envelope body without ok/command); None when there is none."""
    field = event.WhichOneof("result")
    if field is None:
        return None
    if field == "other_result":
        return obj(event.other_result)
    return typedjson.to_dict(getattr(event, field))


def event_record(event: common_pb2.JobEvent) -> dict[str, Any]:
    """The upstream's JSONL record for one event: `{seq, kind, type, data}`."""
    return {"seq": event.seq, "kind": kind(event), "type": event.type, "data": event_data(event)}


# --- jobs -------------------------------------------------------------------------------------

_JOB_KEYS = (
    "id",
    "command",
    "provider",
    "status",
    "output_path",
    "created_at",
    "updated_at",
    "metadata",
    "outputs",
    "reference_images",
    "storage_status",
    "error",
)


def _typed_job(job: Mapping[str, Any], msg: jobs_pb2.Job) -> bool:
    keys = tuple(job)
    if keys[:12] != _JOB_KEYS or keys[12:] not in ((), ("deleted_at",)):
        return False
    command = COMMANDS.get(job["command"]) if isinstance(job["command"], str) else None
    status = STATES.get(job["status"]) if isinstance(job["status"], str) else None
    if command is None or status is None or not isinstance(job["id"], str):
        return False
    if not all(isinstance(job[k], (str, type(None))) for k in ("provider", "output_path")):
        return False
    if not isinstance(job["outputs"], list):
        return False
    if not (fill_time(msg.create_time, job["created_at"]) and fill_time(msg.update_time, job["updated_at"])):
        return False
    if "deleted_at" in job and not fill_time(msg.delete_time, job["deleted_at"]):
        return False
    msg.id, msg.command, msg.status = job["id"], command, status
    if job["provider"] is not None:
        msg.provider = job["provider"]
    if job["output_path"] is not None:
        msg.output_path = job["output_path"]
    fill_value(msg.metadata, job["metadata"])
    return _typed_parts(job, msg)


def _typed_parts(job: Mapping[str, Any], msg: jobs_pb2.Job) -> bool:
    """outputs, reference_images, storage_status and error as their typed fields (False when
    one does not show exactly as the job has it)."""
    refs, error = job["reference_images"], job["error"]
    storage = STORAGE.get(job["storage_status"]) if isinstance(job["storage_status"], str) else None
    if storage is None or not isinstance(refs, list):
        return False
    if not all(isinstance(x, Mapping) and typedjson.fill(msg.output_files.add(), x) for x in job["outputs"]):
        return False
    if not all(isinstance(x, Mapping) and typedjson.fill(msg.reference_files.add(), x) for x in refs):
        return False
    msg.storage_state = storage
    return error is None or (isinstance(error, Mapping) and typedjson.fill(msg.job_error, error))


def fill_job(msg: jobs_pb2.Job, job: Mapping[str, Any]) -> jobs_pb2.Job:
    """A history job dict as a typed Job (`verbatim` when the row does not fit the fields exactly)."""
    if not _typed_job(job, msg):
        msg.Clear()
        fill_object(msg.verbatim, job)
    return msg


def job_message(job: Mapping[str, Any]) -> jobs_pb2.Job:
    return fill_job(jobs_pb2.Job(), job)


def job_dict(msg: jobs_pb2.Job) -> dict[str, Any]:
    """The upstream's job JSON of a typed Job."""
    if msg.HasField("verbatim"):
        return obj(msg.verbatim)
    job: dict[str, Any] = {
        "id": msg.id,
        "command": COMMAND_NAMES.get(msg.command, ""),
        "provider": msg.provider if msg.HasField("provider") else None,
        "status": STATE_NAMES.get(msg.status, ""),
        "output_path": msg.output_path if msg.HasField("output_path") else None,
        "created_at": time_text(msg.create_time),
        "updated_at": time_text(msg.update_time),
        "metadata": value(msg.metadata),
        "outputs": [typedjson.to_dict(item) for item in msg.output_files],
        "reference_images": [typedjson.to_dict(item) for item in msg.reference_files],
        "storage_status": STORAGE_NAMES.get(msg.storage_state, ""),
        "error": typedjson.to_dict(msg.job_error) if msg.HasField("job_error") else None,
    }
    if msg.HasField("delete_time"):
        job["deleted_at"] = time_text(msg.delete_time)
    return job


def job_or_none(msg: Any, field: str = "job") -> dict[str, Any] | None:
    """`job_dict` of a reply's Job field; None when the reply carries none."""
    return job_dict(getattr(msg, field)) if msg.HasField(field) else None


def jobs_list(jobs: Iterable[jobs_pb2.Job]) -> list[dict[str, Any]]:
    return [job_dict(j) for j in jobs]


# --- unary payloads ---------------------------------------------------------------------------


def with_result(reply: Any, payload: Any, field: str = "result", typed: str | None = None) -> Any:
    """Fill a reply's JsonObject `field` with a command's payload (a non-object as `{"result": v}`,
    the shape the CLI's envelope has always given one); into its `typed` member instead when
    given and the payload fits that message exactly."""
    if typed is not None and isinstance(payload, Mapping):
        if typedjson.fill(getattr(reply, typed), payload):
            getattr(reply, typed).SetInParent()
            return reply
        reply.ClearField(typed)
    target = getattr(reply, field)
    fill_object(target, payload if isinstance(payload, Mapping) else {"result": payload})
    target.SetInParent()
    return reply


def fill_recovery(reply: jobs_pb2.GetRecoveryResponse, descriptor: Mapping[str, Any]) -> jobs_pb2.GetRecoveryResponse:
    """A recovery descriptor as the typed `descriptor` (`recovery`, as it is, when it does not fit)."""
    if typedjson.fill(reply.descriptor, descriptor):
        reply.descriptor.SetInParent()
        return reply
    reply.ClearField("descriptor")
    return with_result(reply, descriptor, "recovery")  # type: ignore[no-any-return]


def recovery_of(reply: jobs_pb2.GetRecoveryResponse) -> dict[str, Any]:
    """The recovery descriptor as `jobs recovery` and the gateway show it."""
    if reply.HasField("descriptor"):
        return typedjson.to_dict(reply.descriptor)
    return payload(reply, "recovery")


def payload(reply: Any, field: str = "result") -> dict[str, Any]:
    """The payload of a unary reply (ConfigResult, SecretResult, SystemResult, ...): its `typed`
    member when one is set, else `field`; {} when unset."""
    if "typed" in reply.DESCRIPTOR.oneofs_by_name:
        member = reply.WhichOneof("typed")
        if member is not None:
            return typedjson.to_dict(getattr(reply, member))
    found = optional_value(reply, field, {})
    return found if isinstance(found, dict) else {"result": found}


# Job lists are polled (the web app, `queue status`) and mostly do not change: the tree
# conversions are memoised on a page's exact text (engine) or exact bytes (clients), then per
# job, so an unchanged page costs one encode and one lookup (what the JSON-string field cost)
# and a changed page converts only its changed jobs. lru_cache is thread-safe (gateway threads).
_JOB_MEMO = 1024
_PAGE_MEMO = 64


@functools.lru_cache(maxsize=_JOB_MEMO)
def _job_bytes(text: str) -> bytes:
    return job_message(json.loads(text)).SerializeToString()


@functools.lru_cache(maxsize=_PAGE_MEMO)
def _page_bytes(text: str) -> bytes:
    page = jobs_pb2.ListJobsResponse()
    for job in json.loads(text):
        page.jobs.add().MergeFromString(_job_bytes(document_text(job)))
    return page.SerializeToString()


def add_jobs(reply: jobs_pb2.ListJobsResponse, jobs: list[Mapping[str, Any]]) -> None:
    """Append a page of history jobs to `reply.jobs` (memoised as above)."""
    reply.MergeFromString(_page_bytes(document_text(jobs)))


def jobs_reply(jobs: list[Mapping[str, Any]], **fields: Any) -> jobs_pb2.ListJobsResponse:
    """A ListJobs reply for a page of history jobs and the page's other `fields`. An unchanged
    page gets the same message object again (gRPC only serializes it): do not change it."""
    return _reply(document_text(jobs), tuple(sorted(fields.items())))


@functools.lru_cache(maxsize=_PAGE_MEMO)
def _reply(text: str, fields: tuple[tuple[str, Any], ...]) -> jobs_pb2.ListJobsResponse:
    reply = jobs_pb2.ListJobsResponse(**dict(fields))
    reply.MergeFromString(_page_bytes(text))
    return reply


@functools.lru_cache(maxsize=_JOB_MEMO)
def _job_text(raw: bytes) -> str:
    return document_text(job_dict(jobs_pb2.Job.FromString(raw)))


@functools.lru_cache(maxsize=_PAGE_MEMO)
def _page_text(raw: bytes) -> str:
    page = jobs_pb2.ListJobsResponse.FromString(raw)
    return "[" + ", ".join(_job_text(job.SerializeToString()) for job in page.jobs) + "]"


def jobs_text(reply: jobs_pb2.ListJobsResponse) -> str:
    """A page's jobs as one JSON array text, as the engine's job lists were written (the
    gateway splices it into its list answers)."""
    return _page_text(reply.SerializeToString())
