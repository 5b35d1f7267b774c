"""Every operation's payload from a real run travels as its typed message (results.proto), never
as the open fallback, and shows as exactly the JSON the engine recorded (key order, int vs
float, null vs absent).

One engine and the loopback fake upstream run the variants the golden capture
(`test_golden.py`) does not: Codex generate and raw request, a batched `--n 2`, a raw request
whose image is not saved, transparent generate and extract with the dual method, a job whose
outputs went to storage targets (one down), its `reupload` and a `continue_save` after a crash.
For each job the terminal record in history goes through the engine's conversion
(`to_job_event`), the wire and `jsonshape.result_of`; the job row through `job_message`/`job_dict`.
Nothing here is a hand-written expectation: the recorded payload is the expectation.
"""

from __future__ import annotations

import json
import signal
import sqlite3
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gpt_image.v1 import common_pb2, jobs_pb2, results_pb2
from gpt_image_engine.jobs.manager import TERMINAL_TYPES
from gpt_image_engine.servicers.common import to_job_event
from gpt_image_protocol import jsonshape, typedjson
from gpt_image_protocol.address import parse_address
from gpt_image_protocol.channel import open_channel
from gpt_image_protocol.stubs import EngineStubs
from gpt_image_protocol.validation import dumps_finite
from tests.conftest import EngineProc, base_env
from tests.gateway.support import chroma_png, png_bytes
from tests.outputs.servers import HttpSink


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EngineProc]:
    home = tmp_path_factory.mktemp("typed-home")
    proc = EngineProc(
        home=home,
        env=base_env(home),
        socket=Path(tempfile.mkdtemp(prefix="gi2-")) / "e.sock",
        extra_env={"GPT_IMAGE_2_ALLOW_PRIVATE_TARGETS": "1", "GPT_IMAGE_2_STORAGE_TIMEOUT_SECONDS": "3"},
    )
    proc.start()
    try:
        yield proc
    finally:
        proc.stop()


def text(value: Any) -> str:
    return dumps_finite(value, ensure_ascii=False)


def terminal(engine: EngineProc, job_id: str) -> tuple[str, dict[str, Any], common_pb2.JobEvent]:
    """(command, the terminal record as history holds it, its JobEvent as a client receives it)."""
    with sqlite3.connect(engine.shared_dir / "history.sqlite") as conn:
        command = conn.execute("SELECT command FROM jobs WHERE id = ?", (job_id,)).fetchone()[0]
        terminal_types = tuple(TERMINAL_TYPES.values())
        seq, kind, type_, data, created = conn.execute(
            "SELECT seq, kind, event_type, data, created_at FROM job_events WHERE job_id = ? AND event_type IN "
            f"({', '.join('?' for _ in terminal_types)}) ORDER BY seq DESC LIMIT 1",
            (job_id, *terminal_types),
        ).fetchone()
    record = {"seq": seq, "kind": kind, "type": type_, "data": json.loads(data), "created_at": created}
    event = to_job_event(job_id, record, command)
    return command, record, common_pb2.JobEvent.FromString(event.SerializeToString())


def family(engine: EngineProc, job_id: str, event_type: str) -> common_pb2.JobEvent:
    """The job's first `event_type` event as a client receives it, checked to show the recorded data."""
    deadline = time.monotonic() + 20
    while True:
        with sqlite3.connect(engine.shared_dir / "history.sqlite") as conn:
            row = conn.execute(
                "SELECT seq, kind, data, created_at FROM job_events WHERE job_id = ? AND event_type = ? ORDER BY seq",
                (job_id, event_type),
            ).fetchone()
        if row is not None or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert row is not None, f"no {event_type} event"
    record = {"seq": row[0], "kind": row[1], "type": event_type, "data": json.loads(row[2]), "created_at": row[3]}
    event = common_pb2.JobEvent.FromString(to_job_event(job_id, record).SerializeToString())
    assert text(jsonshape.event_data(event)) == text(record["data"])
    return event


def typed(engine: EngineProc, job_id: str) -> Any:
    """The job's typed result, checked to show exactly the recorded payload; and its typed row."""
    command, record, event = terminal(engine, job_id)
    assert "result" in record["data"], record
    member = event.WhichOneof("result")
    assert member == jsonshape.RESULT_FIELDS[command], (member, record["data"]["result"])
    assert text(jsonshape.result_of(event)) == text(record["data"]["result"])
    row = run(engine, "history", "show", job_id)["job"]
    message = jobs_pb2.Job.FromString(jsonshape.job_message(row).SerializeToString())
    assert not message.HasField("verbatim"), row
    assert text(jsonshape.job_dict(message)) == text(row)
    return getattr(event, member), message


def run(engine: EngineProc, *args: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    r = engine.cli(*args, env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    return dict(r.json)


def openai_env(engine: EngineProc, fake: Any) -> dict[str, str]:
    return engine.client_env(OPENAI_API_KEY="sk-test-typed", OPENAI_BASE_URL=fake.openai_base)


def job_of(payload: dict[str, Any]) -> str:
    return str(payload["history"]["job_id"])


def test_codex_generate_and_raw_request(engine: EngineProc, module_upstream: Any, tmp_path: Path) -> None:
    auth = module_upstream.write_auth_json(tmp_path / "auth.json")
    codex = ["--provider", "codex", "--auth-file", str(auth), "--endpoint", module_upstream.codex_endpoint]
    out = run(engine, "images", "generate", "--prompt", "a cat", "--out", str(tmp_path / "c.png"), *codex)
    result, _ = typed(engine, job_of(out))
    assert result.WhichOneof("auth") == "codex_auth" and result.WhichOneof("response") == "codex_response"
    assert result.provider_selection.kind == results_pb2.PROVIDER_KIND_CODEX
    assert result.codex_response.image_count == 1 and result.request.delegated_image_model
    body = tmp_path / "responses.json"
    body.write_text(json.dumps({"model": "gpt-5.4", "input": "a pear", "tools": [{"type": "image_generation"}]}))
    raw = run(engine, "request", "create", "--body-file", str(body), "--request-operation", "responses", *codex)
    request, _ = typed(engine, job_of(raw))
    assert request.WhichOneof("response") == "codex_response" and request.WhichOneof("auth") == "codex_auth"
    assert request.request.operation == "responses"
    ball = run(engine, "transparent", "generate", "--prompt", "a ball", "--out", str(tmp_path / "b.png"), *codex)
    generated, _ = typed(engine, job_of(ball))
    assert generated.WhichOneof("response") == "codex_response" and generated.request.matte_color


def test_batched_generate_and_an_unsaved_raw_image(engine: EngineProc, module_upstream: Any, tmp_path: Path) -> None:
    env = openai_env(engine, module_upstream)
    run(engine, "config", "add-provider", "--name", "nonative", "--type", "openai-compatible", "--api-base",
        module_upstream.openai_base, "--api-key", "sk-typed", "--no-supports-n")  # fmt: skip
    out = run(engine, "images", "generate", "--prompt", "two", "--n", "2", "--provider", "nonative",
              "--out", str(tmp_path / "two.png"), env=env)  # fmt: skip
    result, job = typed(engine, job_of(out))
    assert result.WhichOneof("response") == "batch_response" and not result.HasField("retry")
    assert result.request.batch_mode and len(result.output.files) == 2 and not result.output.HasField("path")
    assert [f.index for f in job.output_files] == [0, 1]
    body = tmp_path / "body.json"
    body.write_text(json.dumps({"model": "gpt-image-2", "prompt": "a pear"}))
    raw = run(engine, "request", "create", "--body-file", str(body), "--request-operation", "generate", env=env)
    request, _ = typed(engine, job_of(raw))
    assert request.WhichOneof("image_output") == "available_images" and request.available_images.count == 1
    assert request.WhichOneof("response") == "openai_response"


def test_dual_transparent_generate_and_extract(engine: EngineProc, module_upstream: Any, tmp_path: Path) -> None:
    env = openai_env(engine, module_upstream)
    out = run(engine, "transparent", "generate", "--prompt", "a ball", "--method", "dual", "--provider", "openai",
              "--out", str(tmp_path / "ball.png"), env=env)  # fmt: skip
    result, _ = typed(engine, job_of(out))
    assert result.WhichOneof("response") is None and result.request.method == results_pb2.TRANSPARENT_METHOD_DUAL
    assert result.extraction.method == results_pb2.TRANSPARENT_METHOD_DUAL
    assert result.extraction.HasField("dual_alignment") and not result.extraction.HasField("key_model")
    (tmp_path / "matte.png").write_bytes(chroma_png())
    extract = run(engine, "transparent", "extract", "--input", str(tmp_path / "matte.png"), "--out",
                  str(tmp_path / "cut.png"))  # fmt: skip
    cut, _ = typed(engine, job_of(extract))
    assert cut.extraction.key_model.kind and cut.verification.HasField("bbox")
    (tmp_path / "dark.png").write_bytes(png_bytes(96, 96, (0, 0, 0)))
    (tmp_path / "light.png").write_bytes(png_bytes(96, 96, (255, 255, 255)))
    pair = run(engine, "transparent", "extract", "--dark-image", str(tmp_path / "dark.png"), "--light-image",
               str(tmp_path / "light.png"), "--out", str(tmp_path / "pair.png"))  # fmt: skip
    dual, _ = typed(engine, job_of(pair))
    assert dual.method == results_pb2.TRANSPARENT_METHOD_DUAL and dual.extraction.HasField("dual_alignment")


def test_storage_report_reupload_and_upload_rows(engine: EngineProc, module_upstream: Any, tmp_path: Path) -> None:
    down = HttpSink().start()
    port = down.port
    down.stop()
    run(engine, "storage", "add", "up", "--type", "http", "--set", f"url=http://127.0.0.1:{port}/upload",
        "--set", "public_url_json_pointer=/data/url", "--archive")  # fmt: skip
    run(engine, "storage", "add", "disk", "--type", "local", "--set", f"directory={tmp_path / 'lib'}", "--archive")
    run(engine, "notify", "add-webhook", "--id", "team", "--url", f"http://127.0.0.1:{port}/hook")
    try:
        out = run(engine, "images", "generate", "--prompt", "owl", "--provider", "openai",
                  "--out", str(tmp_path / "owl.png"), env=openai_env(engine, module_upstream))  # fmt: skip
        job_id = job_of(out)
        result, job = typed(engine, job_id)
        assert result.storage.status == results_pb2.STORAGE_STATUS_PARTIAL_FAILED
        assert job.storage_state == results_pb2.STORAGE_STATUS_PARTIAL_FAILED
        assert {u.target: u.status for u in job.output_files[0].uploads} == {"up": "failed", "disk": "completed"}
        assert {u.target: u.status for u in result.storage.uploads} == {"up": "failed", "disk": "completed"}
        assert next(u for u in result.storage.uploads if u.target == "up").error_code
        storage = family(engine, job_id, "job.storage")
        assert storage.WhichOneof("data") == "storage" and len(storage.storage.uploads) == 2
        notified = family(engine, job_id, "job.notifications")
        assert notified.WhichOneof("data") == "notifications"
        assert [(d.channel, d.ok) for d in notified.notifications.deliveries] == [("webhook", False)]
        back = HttpSink().start(port)
        try:
            resumed = run(engine, "jobs", "resume", job_id, "--action", "reupload")
        finally:
            back.stop()
        assert resumed["resumed_from"] == job_id
        resume, _ = typed(engine, _last_job(engine))
        assert resume.action == "reupload" and resume.storage.status == results_pb2.STORAGE_STATUS_COMPLETED
    finally:
        for name in ("up", "disk"):
            run(engine, "storage", "remove", name)
        run(engine, "notify", "remove-webhook", "team")


def test_continue_save_after_a_crash(engine: EngineProc, module_upstream: Any, tmp_path: Path) -> None:
    engine.stop()
    engine.extra_env["GPT_IMAGE_2_TEST_PAUSE_AFTER_SPOOL"] = "30"
    engine.start()
    r = engine.cli("images", "generate", "--prompt", "spooled", "--provider", "openai", "--out",
                   str(tmp_path / "s.png"), "--detach", env=openai_env(engine, module_upstream))  # fmt: skip
    job_id = str(r.json["job_id"])
    raw = engine.shared_dir / "jobs" / job_id / "raw_response.json"
    deadline = time.monotonic() + 20
    while not raw.is_file():
        assert time.monotonic() < deadline, "no spooled response"
        time.sleep(0.05)
    engine.stop(signal.SIGKILL)
    engine.extra_env.pop("GPT_IMAGE_2_TEST_PAUSE_AFTER_SPOOL")
    engine.start()
    with open_channel(parse_address(engine.address)) as channel:
        reply = EngineStubs(channel).jobs.GetRecovery(jobs_pb2.GetRecoveryRequest(job_id=job_id))
    assert reply.HasField("descriptor") and not reply.HasField("recovery")  # typed, not the fallback
    assert reply.descriptor.primary_action.id == "continue_save"
    shown = {k: v for k, v in run(engine, "jobs", "recovery", job_id).items() if k not in ("ok", "command")}
    assert text(jsonshape.recovery_of(reply)) == text(shown)
    resumed = run(engine, "jobs", "resume", job_id, "--action", "continue_save", "--out", str(tmp_path / "saved"))
    resume, job = typed(engine, job_of(resumed))
    assert resume.action == "continue_save" and resume.provider_calls == 0 and resume.resumed_from == job_id
    assert len(job.output_files) == 1


def _last_job(engine: EngineProc) -> str:
    with sqlite3.connect(engine.shared_dir / "history.sqlite") as conn:
        return str(conn.execute("SELECT id FROM jobs ORDER BY created_at DESC, rowid DESC LIMIT 1").fetchone()[0])


def test_a_payload_that_does_not_fit_travels_whole() -> None:
    """A null where the typed message expects a value (a legacy row): the payload goes to
    `other_result` as it is, and an unknown key after the known ones to `extra`."""
    recorded = {"provider": "openai", "provider_selection": None, "events": {"count": 3}}
    event = common_pb2.JobEvent()
    jsonshape.fill_result(event, recorded, "images generate")
    assert event.WhichOneof("result") == "other_result" and text(jsonshape.result_of(event)) == text(recorded)
    later = {"profile": "generic", "passed": True, "history": {"job_id": "j"}, "new_key": [1, 2.0]}
    verify = results_pb2.TransparentVerifyResult()
    assert typedjson.fill(verify, later) and [m.key for m in verify.extra.members] == ["new_key"]
    assert text(typedjson.to_dict(verify)) == text(later)
    assert not typedjson.fill(results_pb2.TransparentVerifyResult(), {"new_key": 1, "profile": "generic"})


def test_every_result_message_keeps_room_for_open_keys() -> None:
    """The rule the mapping reads from the declarations: every results.proto message ends with its
    `JsonObject extra` (keys are appended after the named ones), and every command has its member."""
    for message in results_pb2.DESCRIPTOR.message_types_by_name.values():
        last = message.fields[-1]
        assert last.name == "extra" and last.message_type.full_name == "gpt_image.v1.JsonObject", message.name
    members = common_pb2.JobEvent.DESCRIPTOR.oneofs_by_name["result"].fields
    assert {jsonshape.RESULT_FIELDS[c] for c in jsonshape.COMMANDS} <= {f.name for f in members}
    for command, member in jsonshape.RESULT_FIELDS.items():
        assert member.replace("_", " ") == command
        assert common_pb2.JobEvent.DESCRIPTOR.fields_by_name[member].message_type.file.name.endswith("results.proto")


GOLDEN = json.loads((Path(__file__).parent / "golden" / "golden.json").read_text())


def _mutations(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    """(path, replacement) for every node of a payload: what a legacy row or a new engine might hold
    instead (null, the other number type, a string, an empty object, a list)."""
    if path:
        yield path, None
        yield path, "text"
        yield path, {}
        yield path, [value]
        if isinstance(value, int) and not isinstance(value, bool):
            yield path, float(value)
        if isinstance(value, float):
            yield path, int(value)
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _mutations(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value[:2]):
            yield from _mutations(item, (*path, i))


def _replaced(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {k: _replaced(v, rest, new) if k == head else v for k, v in value.items()}
    return [_replaced(v, rest, new) if i == head else v for i, v in enumerate(value)]


@pytest.mark.parametrize("name", [j["name"] for j in GOLDEN["jobs"] if "result" in j["records"][-1]["data"]])
def test_no_payload_is_ever_reshaped(name: str) -> None:
    """Every one-node change of a recorded payload (and a key moved first, and an unknown key in the
    middle) still shows exactly as it was, typed where it fits and whole where it does not."""
    job = next(j for j in GOLDEN["jobs"] if j["name"] == name)
    payload = job["records"][-1]["data"]["result"]
    first = next(iter(payload))
    variants = [_replaced(payload, path, new) for path, new in _mutations(payload)]
    variants.append({**{k: v for k, v in payload.items() if k != "history"}, "history": payload["history"]})
    variants.append({first: payload[first], "unnamed": 1, **payload})
    typed_count = 0
    for variant in variants:
        event = common_pb2.JobEvent()
        jsonshape.fill_result(event, variant, job["command"])
        back = jsonshape.result_of(common_pb2.JobEvent.FromString(event.SerializeToString()))
        assert text(back) == text(variant) and list(back) == list(variant)
        typed_count += event.WhichOneof("result") != "other_result"
    assert typed_count  # some one-node changes still fit the typed message (an optional left null, ...)


@pytest.mark.parametrize("name", [j["name"] for j in GOLDEN["jobs"]])
def test_no_job_row_is_ever_reshaped(name: str) -> None:
    """The same for a job row's typed parts (outputs, reference images, storage status, error)."""
    row = next(j for j in GOLDEN["jobs"] if j["name"] == name)["engine_job"]
    parts = {k: row[k] for k in ("outputs", "reference_images", "storage_status", "error")}
    parts["outputs"] = [*parts["outputs"], {"index": 1, "path": "/x/out-2.png", "bytes": 3}]
    parts["reference_images"] = [{"index": 1, "path": "/x/ref-1.png"}]
    parts["error"] = parts["error"] or {"code": "http_error", "message": "HTTP 500", "detail": "body"}
    assert not jsonshape.job_message({**row, **parts}).HasField("verbatim")
    for path, new in _mutations(parts):
        variant = {**row, **_replaced(parts, path, new)}
        shown = jsonshape.job_dict(jobs_pb2.Job.FromString(jsonshape.job_message(variant).SerializeToString()))
        assert text(shown) == text(variant) and list(shown) == list(variant)


def test_config_and_secret_calls_answer_typed(engine: EngineProc, module_upstream: Any) -> None:
    """The config and secret calls of a known shape answer in their typed member, and read back as
    the payload the CLI prints for the same call (made right after, on the same state)."""
    from gpt_image.v1 import config_pb2 as c

    base = module_upstream.openai_base
    with open_channel(parse_address(engine.address)) as channel:
        config, secrets = EngineStubs(channel).config, EngineStubs(channel).secrets
        calls: list[tuple[str, Any, tuple[str, ...] | None]] = [
            ("provider_added", lambda: config.AddProvider(c.AddProviderRequest(
                name="typed", type="openai-compatible", api_base=base, api_key="sk-typed-1")), None),
            ("paths", lambda: config.GetConfigPaths(c.GetConfigPathsRequest()), ("config", "path")),
            ("inspection", lambda: config.InspectConfig(c.InspectConfigRequest()), ("config", "inspect")),
            ("provider_list", lambda: config.ListProviders(c.ListProvidersRequest()), ("config", "list-providers")),
            ("secret_status", lambda: secrets.GetSecret(c.GetSecretRequest(
                provider="typed", name="api_key", status_only=True)), ("secret", "get", "typed", "api_key", "--status")),
            ("secret_value", lambda: secrets.GetSecret(c.GetSecretRequest(provider="typed", name="api_key")),
             ("secret", "get", "typed", "api_key")),
            ("default_provider_set", lambda: config.SetDefaultProvider(c.SetDefaultProviderRequest(name="typed")), None),
            ("stored", lambda: secrets.SetSecret(c.SetSecretRequest(provider="typed", name="extra", value="v-2")), None),
            ("removed", lambda: secrets.DeleteSecret(c.DeleteSecretRequest(provider="typed", name="extra")), None),
            ("provider_removed", lambda: config.RemoveProvider(c.RemoveProviderRequest(name="typed")), None),
        ]  # fmt: skip
        for member, call, cli in calls:
            reply = call()
            assert reply.WhichOneof("typed") == member and not reply.HasField("result"), member
            if cli is not None:
                assert text(jsonshape.payload(reply)) == text(_body(run(engine, *cli))), member


def _body(envelope: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in envelope.items() if k not in ("ok", "command")}
