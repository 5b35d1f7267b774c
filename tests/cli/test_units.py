"""Pure pieces of the CLI: envelopes, output naming, atomic saves, event rendering,
following a job stream, and the autostart environment."""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from gpt_image.v1 import artifacts_pb2, common_pb2
from gpt_image_cli.connect import daemon_env
from gpt_image_cli.context import CliState
from gpt_image_cli.envelope import success_body
from gpt_image_cli.globalflags import GlobalFlags
from gpt_image_cli.jobstream import follow
from gpt_image_cli.render import EventRenderer
from gpt_image_cli.transfer import output_paths, save_artifacts, save_outputs
from gpt_image_protocol import jsonshape
from gpt_image_protocol.errors import AppError


def ref(
    role: str = "output", index: int = 0, mime: str = "image/png", name: str = "out.png", data: bytes = b""
) -> common_pb2.ArtifactRef:
    return common_pb2.ArtifactRef(
        artifact_id=f"a-{role}-{index}",
        name=name,
        mime_type=mime,
        artifact_role=jsonshape.ROLES[role],
        index=index,
        size_bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )


def test_success_envelope_payload_ok_wins() -> None:
    assert success_body("doctor", {"ok": False, "x": 1}) == {"ok": False, "command": "doctor", "x": 1}
    assert success_body("config path", {"config_file": "c"}) == {
        "ok": True,
        "command": "config path",
        "config_file": "c",
    }


def test_output_naming_single_and_many(tmp_path: Path) -> None:
    assert output_paths(tmp_path / "a.png", [ref()]) == [tmp_path / "a.png"]
    assert output_paths(tmp_path / "a", [ref(mime="image/jpeg")]) == [tmp_path / "a.jpg"]
    assert output_paths(tmp_path / "a", [ref(mime="", name="x.webp")]) == [tmp_path / "a.webp"]
    assert output_paths(tmp_path / "a", [ref(mime="", name="x")]) == [tmp_path / "a.bin"]
    many = [ref(index=0), ref(index=1)]
    assert output_paths(tmp_path / "a.png", many) == [tmp_path / "a-1.png", tmp_path / "a-2.png"]
    assert output_paths(tmp_path / "a", many) == [tmp_path / "a-1.png", tmp_path / "a-2.png"]


class FakeArtifacts:
    """Stands in for the artifacts stub: serves bytes in chunks."""

    def __init__(self, blobs: dict[str, bytes], fail_on: str | None = None) -> None:
        self.blobs = blobs
        self.fail_on = fail_on

    def DownloadArtifact(self, request: artifacts_pb2.DownloadArtifactRequest) -> Iterator[artifacts_pb2.ArtifactChunk]:  # noqa: N802
        data = self.blobs[request.artifact_id]
        for offset in range(0, len(data), 3):
            if self.fail_on == request.artifact_id and offset > 0:
                raise AppError("artifact_not_found", "gone")
            yield artifacts_pb2.ArtifactChunk(data=data[offset : offset + 3], offset=offset)


def test_save_outputs_writes_atomically_with_output_object(tmp_path: Path) -> None:
    blobs = {"a-output-0": b"first-image", "a-output-1": b"second-image!"}
    refs = [ref(index=0, data=blobs["a-output-0"]), ref(index=1, data=blobs["a-output-1"])]
    engine: Any = SimpleNamespace(artifacts=FakeArtifacts(blobs))
    output = save_outputs(engine, refs, tmp_path / "sub" / "img.png")
    assert output is not None
    assert output["path"] is None
    assert output["bytes"] == len(b"first-image") + len(b"second-image!")
    assert [f["index"] for f in output["files"]] == [0, 1]
    assert (tmp_path / "sub" / "img-1.png").read_bytes() == b"first-image"
    assert (tmp_path / "sub" / "img-2.png").read_bytes() == b"second-image!"
    assert sorted(p.name for p in (tmp_path / "sub").iterdir()) == ["img-1.png", "img-2.png"]


def test_failed_download_leaves_no_file(tmp_path: Path) -> None:
    blobs = {"a-output-0": b"first-image", "a-output-1": b"second-image!"}
    refs = [ref(index=0, data=blobs["a-output-0"]), ref(index=1, data=blobs["a-output-1"])]
    engine: Any = SimpleNamespace(artifacts=FakeArtifacts(blobs, fail_on="a-output-1"))
    with pytest.raises(AppError):
        save_artifacts(engine, refs, [tmp_path / "x-1.png", tmp_path / "x-2.png"])
    assert list(tmp_path.iterdir()) == []


def test_sha_mismatch_is_rejected(tmp_path: Path) -> None:
    bad = ref(data=b"expected")
    engine: Any = SimpleNamespace(artifacts=FakeArtifacts({"a-output-0": b"tampered"}))
    with pytest.raises(AppError) as err:
        save_artifacts(engine, [bad], [tmp_path / "o.png"])
    assert err.value.code == "artifact_invalid"
    assert list(tmp_path.iterdir()) == []


def event(seq: int, type_: str, data: dict[str, Any] | None = None, **kw: Any) -> common_pb2.JobEvent:
    kind = jsonshape.KINDS[kw.pop("kind", "progress")]
    if "status" in kw:
        kw["state"] = jsonshape.STATES[kw.pop("status")]
    return common_pb2.JobEvent(
        job_id="job-1", seq=seq, event_kind=kind, type=type_, fields=jsonshape.to_object(data or {}), **kw
    )


def test_jsonl_events_are_compact_records() -> None:
    stream = io.StringIO()
    renderer = EventRenderer(json_events=True, stream=stream)
    renderer(event(1, "request_started", {"percent": 0}))
    renderer(event(2, "request_completed", {"percent": 95}))
    lines = stream.getvalue().splitlines()
    assert [json.loads(line) for line in lines] == [
        {"seq": 1, "kind": "progress", "type": "request_started", "data": {"percent": 0}},
        {"seq": 2, "kind": "progress", "type": "request_completed", "data": {"percent": 95}},
    ]
    assert all(" " not in line for line in lines)
    assert renderer.count == 2


class FakeCall:
    def __init__(self, events: list[common_pb2.JobEvent]) -> None:
        self.events = events
        self.cancelled = False

    def __iter__(self) -> Iterator[common_pb2.JobEvent]:
        return iter(self.events)

    def cancel(self) -> bool:
        self.cancelled = True
        return True


def _state(json_events: bool = False) -> CliState:
    return CliState(GlobalFlags(json=True, json_events=json_events))


def test_follow_success_counts_events() -> None:
    call = FakeCall(
        [
            event(1, "job.queued", kind="local"),
            event(
                2,
                "job.completed",
                kind="local",
                terminal=True,
                status="completed",
                other_result=jsonshape.to_object({"provider": "openai"}),
            ),
        ]
    )
    done = follow(_state(), "images generate", lambda: call)
    assert done is not None
    assert done.payload == {"provider": "openai", "events": {"count": 2}}


def test_follow_error_terminal_raises_coded_error() -> None:
    failed = event(
        2,
        "job.failed",
        kind="local",
        terminal=True,
        status="failed",
        error=common_pb2.Error(code="http_error", message="HTTP 400", detail=jsonshape.to_value("bad")),
    )
    with pytest.raises(AppError) as err:
        follow(_state(), "images generate", lambda: FakeCall([event(1, "job.queued"), failed]))
    assert (err.value.code, err.value.message, err.value.detail) == ("http_error", "HTTP 400", "bad")


def test_follow_stream_without_terminal_is_an_error() -> None:
    with pytest.raises(AppError) as err:
        follow(_state(), "images generate", lambda: FakeCall([event(1, "job.queued")]))
    assert err.value.code == "engine_unavailable"


def test_follow_detach_prints_job_id(capsys: pytest.CaptureFixture[str]) -> None:
    call = FakeCall([event(1, "job.queued", kind="local"), event(2, "job.running")])
    assert follow(_state(), "images generate", lambda: call, detach=True) is None
    assert json.loads(capsys.readouterr().out) == {"ok": True, "command": "images generate", "job_id": "job-1"}
    assert call.cancelled


def test_follow_interrupt_cancels_the_call() -> None:
    class Interrupting(FakeCall):
        def __iter__(self) -> Iterator[common_pb2.JobEvent]:
            yield event(1, "job.queued")
            raise KeyboardInterrupt

    call = Interrupting([])
    with pytest.raises(AppError) as err:
        follow(_state(), "images generate", lambda: call)
    assert err.value.code == "job_cancelled"
    assert call.cancelled


def test_daemon_env_drops_per_call_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-call")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://call")
    monkeypatch.setenv("KEEP_ME", "1")
    env = daemon_env()
    assert "OPENAI_API_KEY" not in env and "OPENAI_BASE_URL" not in env
    assert env["KEEP_ME"] == "1"


def test_call_options_forward_flags_and_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-env")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://base")
    monkeypatch.chdir(tmp_path)
    st = CliState(
        GlobalFlags(
            provider=" codex ", api_key="sk-flag", config="c.json", auth_file="~/auth.json", endpoint="http://e"
        )
    )
    opts = st.call_options()
    assert opts.provider == "codex"
    assert opts.api_key == "sk-flag"
    assert opts.config_file == str(tmp_path / "c.json")
    assert opts.auth_file == str(Path.home() / "auth.json")
    assert (opts.env_openai_api_key, opts.env_openai_base_url, opts.endpoint) == ("sk-env", "http://base", "http://e")


def test_cli_never_imports_engine_numpy_or_pillow() -> None:
    import subprocess
    import sys

    code = "import sys, gpt_image_cli.main; bad = [m for m in ('gpt_image_engine', 'numpy', 'PIL') if m in sys.modules]; print(','.join(bad))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == ""
