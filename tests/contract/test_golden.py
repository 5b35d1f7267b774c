"""Typed messages -> the exact JSON texts users saw before the contract was typed.

`golden/golden.json` was captured by `golden/capture.py` from a real run on the last commit
with JSON-in-string fields (real engine, fake upstream, real CLI and gateway app): per job the
event records as history holds them, the CLI's stdout/stderr, the gateway's SSE body and job
JSON; per unary call the engine's payload and the CLI's envelope. Here the same records go
through today's engine code into typed messages (`to_job_event`, `fill_job`, `with_result`) and
through the one mapping (`gpt_image_protocol.jsonshape`, `events`) into text, which must be the
captured text byte for byte (the gateway's `jsonify` answers sort their keys, so those compare as
sorted JSON, which still tells 1 from 1.0 and true from 1).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from gpt_image.v1 import common_pb2, config_pb2, jobs_pb2, json_pb2, results_pb2, system_pb2
from gpt_image_cli import wire
from gpt_image_cli.envelope import dumps as envelope_text
from gpt_image_cli.envelope import error_body, success_body
from gpt_image_engine.servicers.common import to_job_event
from gpt_image_gateway.sse import event_json, sse_message
from gpt_image_gateway.webpaths import rewrite, rewrite_value, with_refs
from gpt_image_protocol import jsonshape, validation
from gpt_image_protocol.errors import AppError
from gpt_image_protocol.events import event_line

GOLDEN = json.loads((Path(__file__).parent / "golden" / "golden.json").read_text())
JOBS = {job["name"]: job for job in GOLDEN["jobs"]}


def events_of(job: dict[str, Any]) -> list[common_pb2.JobEvent]:
    """The job's records as the engine streams them, through the wire (serialize + parse)."""
    out = []
    for record in job["records"]:
        event = to_job_event(job["job_id"], record, job["command"])
        out.append(common_pb2.JobEvent.FromString(event.SerializeToString()))
    return out


def sorted_text(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


@pytest.mark.parametrize("name", sorted(JOBS))
def test_json_event_lines_are_the_clis(name: str) -> None:
    job = JOBS[name]
    captured = [line for line in job["cli_stderr"].splitlines() if line.startswith("{")]
    assert captured, "the capture ran with --json-events"
    assert [event_line(e) for e in events_of(job)] == captured


@pytest.mark.parametrize("name", sorted(JOBS))
def test_sse_body_is_the_gateways(name: str) -> None:
    job = JOBS[name]
    body = "retry: 2000\n\n" + "".join(sse_message(e) for e in events_of(job))
    assert body == job["gateway_sse"]


@pytest.mark.parametrize("name", sorted(JOBS))
def test_terminal_payload_and_error(name: str) -> None:
    job = JOBS[name]
    terminal = events_of(job)[-1]
    old = job["records"][-1]["data"]
    assert terminal.terminal and jsonshape.state(terminal) == old["status"]
    if "result" in old:
        # The payload the CLI's envelope is built from: the same text as the engine's result JSON.
        assert terminal.WhichOneof("result") == jsonshape.RESULT_FIELDS[job["command"]]
        assert json.dumps(jsonshape.result_of(terminal), ensure_ascii=False) == json.dumps(
            old["result"], ensure_ascii=False
        )
    else:
        err = jsonshape.error_of(terminal)
        assert err is not None
        assert envelope_text(error_body(AppError(err["code"], err["message"], err.get("detail")))) == job["cli_stdout"]
    # The typed families are what the records travel as, not the open fallback, where they fit.
    families = [e.WhichOneof("data") for e in events_of(job)]
    assert families[0] == "lifecycle" and families[-1] == "terminal_data"
    assert all(f != "fields" for e, f in zip(job["records"], families, strict=True) if e["kind"] == "progress")


@pytest.mark.parametrize("name", sorted(JOBS))
def test_job_json_of_the_cli_and_the_gateway(name: str) -> None:
    job = JOBS[name]
    message = jobs_pb2.Job.FromString(jsonshape.job_message(job["engine_job"]).SerializeToString())
    assert not message.HasField("verbatim") and message.HasField("create_time")  # typed, not verbatim
    shown = jsonshape.job_dict(message)
    assert envelope_text(success_body("history show", {"job": shown, "opened": False})) == job["cli_history_show"]
    page = json.loads(job["gateway_job"])
    refs = [a["index"] for a in page["artifacts"] if a["role"] == "ref"]  # input files in the job folder
    assert sorted_text(with_refs(rewrite_value(shown), refs)) == sorted_text(page["job"])
    artifacts = [
        jsonshape.artifact_ref({**a, "artifact_id": f"{job['job_id']}/{a['name']}"}) for a in page["artifacts"]
    ]
    assert [jsonshape.ref_record(a) for a in artifacts] == page["artifacts"]
    assert sorted_text([event_json(e) for e in events_of(job)]) == sorted_text(page["events"])


def test_job_lists_of_the_cli_and_the_gateway() -> None:
    lists = GOLDEN["lists"]
    jobs = [jsonshape.job_message(j) for j in lists["engine_jobs"]]
    cli = json.loads(lists["cli_history_list"])
    payload = {
        "jobs": jsonshape.jobs_list(jobs),
        "next_cursor": cli["next_cursor"],
        "has_more": cli["has_more"],
        "total": cli["total"],
        "history_file": cli["history_file"],
    }
    assert envelope_text(success_body("history list", payload)) == lists["cli_history_list"]
    body = lists["gateway_jobs"]
    page = jobs_pb2.ListJobsResponse(jobs=jobs, total=len(jobs))
    assert body.endswith(f',"jobs":{rewrite(jsonshape.jobs_text(page))}}}')
    engine_page = jobs_pb2.ListJobsResponse()
    jsonshape.add_jobs(engine_page, lists["engine_jobs"])
    assert jsonshape.jobs_list(engine_page.jobs) == jsonshape.jobs_list(jobs)


def test_recovery_descriptor() -> None:
    lists = GOLDEN["lists"]
    reply = jsonshape.fill_recovery(jobs_pb2.GetRecoveryResponse(), lists["recovery"])
    reply = jobs_pb2.GetRecoveryResponse.FromString(reply.SerializeToString())
    assert reply.HasField("descriptor") and not reply.HasField("recovery")  # typed, not the fallback
    shown = jsonshape.recovery_of(reply)
    assert envelope_text(success_body("jobs recovery", shown)) == lists["cli_recovery"]
    assert sorted_text(shown) == sorted_text(json.loads(lists["gateway_recovery"]))


# The typed member each captured call answers in (the engine's servicers name the same).
TYPED = {
    "config_list_providers": (config_pb2.ConfigResult, "provider_list"),
    "config_inspect": (config_pb2.ConfigResult, "inspection"),
    "config_path": (config_pb2.ConfigResult, "paths"),
    "secret_get": (config_pb2.SecretResult, "secret_status"),
}


@pytest.mark.parametrize("call", GOLDEN["unary"], ids=lambda c: c["name"])
def test_unary_payloads(call: dict[str, Any]) -> None:
    command = json.loads(call["cli_stdout"])["command"]
    reply = jsonshape.with_result(config_pb2.ConfigResult(), call["payload"])
    shown = jsonshape.payload(config_pb2.ConfigResult.FromString(reply.SerializeToString()))
    assert envelope_text(success_body(command, shown)) == call["cli_stdout"]
    kind, member = TYPED[call["name"]]
    typed = kind.FromString(jsonshape.with_result(kind(), call["payload"], typed=member).SerializeToString())
    assert typed.WhichOneof("typed") == member and not typed.HasField("result")
    assert envelope_text(success_body(command, jsonshape.payload(typed))) == call["cli_stdout"]
    # The CLI's protobuf-free decoder (doctor, auth inspect, models list) reads the same bytes the same way.
    raw = jsonshape.with_result(system_pb2.SystemResult(), call["payload"]).SerializeToString()
    assert (
        envelope_text(success_body(command, wire.json_object(wire.message_field(raw, 2) or b""))) == call["cli_stdout"]
    )


def test_json_values_keep_what_json_text_tells_apart() -> None:
    value = {
        "int": 3,
        "float": 3.0,
        "neg": -7,
        "big": 2**70,
        "tiny": 5e-324,
        "text": 'é\u2028"',
        "none": None,
        "bools": [True, False],
        "empty": {},
        "nested": [[], {"b": 1, "a": 2}],
        "non_finite": float("nan"),
    }
    raw = jsonshape.to_value(value).SerializeToString()
    back = jsonshape.value(json_pb2.JsonValue.FromString(raw))
    expected = validation.dumps_finite(value, ensure_ascii=False)
    assert validation.dumps_finite(back, ensure_ascii=False) == expected
    assert validation.dumps_finite(wire.json_value(raw), ensure_ascii=False) == expected


def test_a_record_that_does_not_fit_its_family_travels_as_it_is() -> None:
    odd = {
        "seq": 3,
        "kind": "progress",
        "type": "decode",
        "data": {"phase": "decode", "provider": "local"},
        "created_at": "7",
    }
    event = to_job_event("job-1", odd)
    assert event.WhichOneof("data") == "fields"
    assert (
        event_line(event) == '{"seq":3,"kind":"progress","type":"decode","data":{"phase":"decode","provider":"local"}}'
    )
    legacy = {"id": "job-1", "command": "old thing", "created_at": "2026-01-01T00:00:00Z"}
    assert jsonshape.job_dict(jsonshape.job_message(legacy)) == legacy


def test_choices_are_the_enums() -> None:
    assert jsonshape.PROFILE_CHOICES == validation.PROFILES
    assert jsonshape.METHOD_CHOICES == validation.METHODS
    assert jsonshape.PROFILES["translucent"] == results_pb2.TRANSPARENT_PROFILE_TRANSLUCENT
    assert set(jsonshape.RESULT_FIELDS) == set(jsonshape.COMMANDS)
    assert jsonshape.STATE_NAMES[common_pb2.JOB_STATE_PARTIAL_FAILED] == "partial_failed"
