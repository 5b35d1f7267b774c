"""Issue 9 (3), against a real engine: hostile proto messages, image files, oversized
uploads and path-traversal ids. The engine never crashes and always answers coded errors.
"""

from __future__ import annotations

import hashlib
import io
import os
import struct
import zlib
from pathlib import Path
from typing import Any

import grpc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from gpt_image.v1 import (
    artifacts_pb2,
    artifacts_pb2_grpc,
    config_pb2,
    images_pb2,
    jobs_pb2,
    jobs_pb2_grpc,
    requests_pb2,
    system_pb2,
    transparent_pb2,
    websessions_pb2,
)
from gpt_image_protocol.codes import is_registered
from gpt_image_protocol.rpc_errors import from_rpc_error
from tests.fakeupstream.server import EDITS_PATH, draw_png
from tests.hardening.conftest import open_engine_channel

# --- raw and random proto messages into every servicer entry point

_MODULES = (artifacts_pb2, config_pb2, images_pb2, jobs_pb2, requests_pb2, system_pb2, transparent_pb2, websessions_pb2)
_SKIP = {"Shutdown"}  # would stop the engine by design
_METHODS = [
    (service.full_name, method)
    for module in _MODULES
    for service in module.DESCRIPTOR.services_by_name.values()
    for method in service.methods
    if method.name not in _SKIP
]
# Entry points that can reach the network or start provider jobs get only random bytes.
_NO_RANDOM_FIELDS = {"GenerateImage", "EditImage", "CreateRequest", "GenerateTransparent", "TestProvider", "RetryJob", "ResumeJob", "AddProvider"}  # fmt: skip


def _call(channel: grpc.Channel, service: str, method: Any, payload: bytes) -> tuple[str, str]:
    """Send raw bytes to one method; return ("ok", "") or ("error", code)."""
    path = f"/{service}/{method.name}"
    try:
        if method.client_streaming:
            stub = channel.stream_unary(path)
            stub(iter([payload, payload]), timeout=10)
        elif method.server_streaming:
            for _ in channel.unary_stream(path)(payload, timeout=10):
                pass
        else:
            channel.unary_unary(path)(payload, timeout=10)
    except grpc.RpcError as exc:
        code = exc.code()
        if code == grpc.StatusCode.INTERNAL and "deserializ" in (exc.details() or "").lower():
            return "error", "grpc_deserialize"  # refused by the framework before any engine code
        if code == grpc.StatusCode.DEADLINE_EXCEEDED:
            return "error", "deadline"
        return "error", from_rpc_error(exc).code
    return "ok", ""


def _random_message(draw: Any, descriptor: Any, depth: int = 0) -> bytes:
    """A message with random values in random fields, serialized."""
    from google.protobuf import message_factory

    cls = message_factory.GetMessageClass(descriptor)
    msg = cls()
    fd = list(descriptor.fields)
    for field in draw(st.lists(st.sampled_from(fd), max_size=len(fd), unique_by=lambda f: f.name)) if fd else []:
        _fill(draw, msg, field, depth)
    return bytes(msg.SerializeToString())


def _scalar(draw: Any, field: Any) -> Any:
    t = field.type
    if t == field.TYPE_STRING:
        text = st.text(max_size=40)
        return draw(st.one_of(text, st.sampled_from(["../../etc/passwd", "job-../x", "u-/x", "", "/"])))
    if t == field.TYPE_BYTES:
        return draw(st.binary(max_size=64))
    if t == field.TYPE_BOOL:
        return draw(st.booleans())
    if t in (field.TYPE_FLOAT, field.TYPE_DOUBLE):
        return draw(st.floats(allow_nan=True, allow_infinity=True, width=32))
    if t == field.TYPE_ENUM:
        return draw(st.sampled_from([v.number for v in field.enum_type.values] + [99]))
    if t in (field.TYPE_UINT32, field.TYPE_FIXED32):
        return draw(st.integers(0, 2**32 - 1))
    if t in (field.TYPE_UINT64, field.TYPE_FIXED64):
        return draw(st.integers(0, 2**64 - 1))
    if t in (field.TYPE_INT32, field.TYPE_SINT32, field.TYPE_SFIXED32):
        return draw(st.integers(-(2**31), 2**31 - 1))
    return draw(st.integers(-(2**63), 2**63 - 1))


def _fill(draw: Any, msg: Any, field: Any, depth: int) -> None:
    repeated = field.is_repeated if hasattr(field, "is_repeated") else field.label == field.LABEL_REPEATED
    if field.type == field.TYPE_MESSAGE:
        if depth > 2 or field.message_type.GetOptions().map_entry:
            return
        from google.protobuf import message_factory

        sub_cls = message_factory.GetMessageClass(field.message_type)
        count = draw(st.integers(0, 2)) if repeated else 1
        for _ in range(count):
            sub = sub_cls.FromString(_random_message(draw, field.message_type, depth + 1))
            if repeated:
                getattr(msg, field.name).add().CopyFrom(sub)
            else:
                getattr(msg, field.name).CopyFrom(sub)
        return
    if repeated:
        getattr(msg, field.name).extend(_scalar(draw, field) for _ in range(draw(st.integers(0, 3))))
    else:
        setattr(msg, field.name, _scalar(draw, field))


def _assert_coded(outcome: tuple[str, str], what: str) -> None:
    kind, code = outcome
    if kind == "ok":
        return
    assert code in ("grpc_deserialize", "deadline") or (is_registered(code) and code != "internal_error"), (what, code)


def _assert_alive(engine: Any) -> None:
    from gpt_image_protocol.health import is_serving

    assert engine.proc is not None and engine.proc.poll() is None, "engine died"
    channel = open_engine_channel(engine)
    try:
        assert is_serving(channel, timeout=5)
    finally:
        channel.close()


@pytest.mark.slow
def test_random_bytes_into_every_method(shared_engine):  # type: ignore[no-untyped-def]
    channel = open_engine_channel(shared_engine)
    rng = __import__("random").Random(9)
    try:
        for service, method in _METHODS:
            payloads = [b"", b"\xff" * 7, b"\x0a\xff\xff\xff\xff\x0f", bytes(rng.getrandbits(8) for _ in range(64))]
            payloads += [bytes(rng.getrandbits(8) for _ in range(rng.randrange(1, 200))) for _ in range(4)]
            for payload in payloads:
                _assert_coded(_call(channel, service, method, payload), f"{method.name} {payload[:16]!r}")
    finally:
        channel.close()
    _assert_alive(shared_engine)


_FIELD_METHODS = [(s, m) for s, m in _METHODS if m.name not in _NO_RANDOM_FIELDS]


@pytest.mark.slow
@settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.data())
def test_random_fields_into_servicers(shared_engine, data):  # type: ignore[no-untyped-def]
    service, method = data.draw(st.sampled_from(_FIELD_METHODS))
    payload = _random_message(data.draw, method.input_type)
    # Random typed fields are well-formed requests often enough (an AddProvider or SetDefaultProvider
    # with a random name): put config.json back so later tests on this shared engine see its config.
    config = shared_engine.shared_dir / "config.json"
    before = config.read_bytes() if config.exists() else None
    channel = open_engine_channel(shared_engine)
    try:
        _assert_coded(_call(channel, service, method, payload), method.name)
    finally:
        channel.close()
        if before is None:
            config.unlink(missing_ok=True)
        else:
            config.write_bytes(before)
    assert shared_engine.proc.poll() is None


def test_nul_byte_config_path_is_coded(shared_engine):  # type: ignore[no-untyped-def]
    from gpt_image.v1 import common_pb2, config_pb2_grpc

    channel = open_engine_channel(shared_engine)
    try:
        stub = config_pb2_grpc.ConfigServiceStub(channel)
        request = config_pb2.InspectConfigRequest(options=common_pb2.CallOptions(config_file="/tmp/x\x00y"))
        with pytest.raises(grpc.RpcError) as info:
            stub.InspectConfig(request, timeout=10)
        assert from_rpc_error(info.value).code == "config_read_failed"
    finally:
        channel.close()


@pytest.mark.parametrize("text", ["", "-", "--5", "1.5", "x", "9" * 5000])
def test_a_malformed_big_integer_is_invalid_argument(shared_engine, text: str):  # type: ignore[no-untyped-def]
    """A JSON value's big_int_value that is not decimal digits (found by the random-fields test
    above) is bad input, not an engine error."""
    from gpt_image.v1 import config_pb2_grpc, json_pb2

    channel = open_engine_channel(shared_engine)
    try:
        request = config_pb2.UpdateConfigSectionRequest(
            section="logging", value=json_pb2.JsonValue(big_int_value=text)
        )
        with pytest.raises(grpc.RpcError) as info:
            config_pb2_grpc.ConfigServiceStub(channel).UpdateConfigSection(request, timeout=10)
        assert from_rpc_error(info.value).code == "invalid_argument"
    finally:
        channel.close()


def test_nul_byte_auth_file_is_coded() -> None:
    from gpt_image_engine.errors import AppError
    from gpt_image_engine.providers.codex_auth import load_auth_state

    with pytest.raises(AppError) as info:
        load_auth_state(Path("/tmp/a\x00b"))
    assert info.value.code in ("auth_read_failed", "auth_missing")


# --- path traversal in ids


@pytest.mark.parametrize(
    "bad",
    [
        "../../../../etc/passwd", "job-../../x", "job-x/../../../outside", "..", "u-/../x", "/etc/passwd",
        "job-1/../../outside/secret.txt", "u-" + "0" * 32 + "/../../outside/secret.txt", "%2e%2e/%2e%2e/x", "job-\x00",
    ],
)  # fmt: skip
def test_ids_with_dot_dot(shared_engine, bad):  # type: ignore[no-untyped-def]
    outside = shared_engine.home / "outside"
    outside.mkdir(exist_ok=True)
    canary = outside / "secret.txt"
    canary.write_text("do not touch")
    data_dir = shared_engine.shared_dir
    sentinel = data_dir.parent / "sentinel.txt"
    sentinel.write_text("keep")
    channel = open_engine_channel(shared_engine)
    try:
        jobs = jobs_pb2_grpc.JobsServiceStub(channel)
        arts = artifacts_pb2_grpc.ArtifactsServiceStub(channel)
        for call, ok_codes in (
            (lambda: jobs.GetJob(jobs_pb2.GetJobRequest(job_id=bad), timeout=10), {"history_not_found"}),
            (lambda: jobs.DeleteJob(jobs_pb2.DeleteJobRequest(job_id=bad), timeout=10), {"history_not_found"}),
            (lambda: list(arts.DownloadArtifact(artifacts_pb2.DownloadArtifactRequest(artifact_id=bad), timeout=10)), {"artifact_not_found"}),  # fmt: skip
            (lambda: list(arts.DownloadArtifact(artifacts_pb2.DownloadArtifactRequest(artifact_id=f"{bad}/secret.txt"), timeout=10)), {"artifact_not_found"}),  # fmt: skip
        ):
            with pytest.raises(grpc.RpcError) as info:
                call()
            assert from_rpc_error(info.value).code in ok_codes, bad
    finally:
        channel.close()
    assert canary.read_text() == "do not touch" and sentinel.read_text() == "keep"
    assert data_dir.is_dir()


# --- uploads over the cap


def test_upload_over_the_cap_mid_stream(engine):  # type: ignore[no-untyped-def]
    engine.stop()
    engine.extra_env["GPT_IMAGE_2_MAX_UPLOAD_BYTES"] = str(64 * 1024)
    engine.start()
    uploads = engine.shared_dir / "uploads"

    def stream(total: int, declared: int) -> Any:
        yield artifacts_pb2.UploadArtifactRequest(header=artifacts_pb2.ArtifactHeader(name="big.png", size_bytes=declared))
        for _ in range(total // 16384):
            yield artifacts_pb2.UploadArtifactRequest(chunk=os.urandom(16384))

    channel = open_engine_channel(engine)
    try:
        arts = artifacts_pb2_grpc.ArtifactsServiceStub(channel)
        for declared in (0, 10 * 1024, 100 * 1024 * 1024):
            with pytest.raises(grpc.RpcError) as info:
                arts.UploadArtifact(stream(1024 * 1024, declared), timeout=20)
            err = from_rpc_error(info.value)
            assert err.code == "artifact_invalid" and err.detail == {"max_bytes": 64 * 1024}, err.message
        # Under the cap still works.
        small = draw_png(32, 32)
        ref = arts.UploadArtifact(
            iter([artifacts_pb2.UploadArtifactRequest(header=artifacts_pb2.ArtifactHeader(name="s.png", size_bytes=len(small), sha256=hashlib.sha256(small).hexdigest())),  # fmt: skip
                  artifacts_pb2.UploadArtifactRequest(chunk=small)]),
            timeout=10,
        )
        assert ref.size_bytes == len(small)
    finally:
        channel.close()
    # Refused uploads leave nothing behind; the good one stays.
    leftovers = sorted(p.relative_to(uploads).as_posix() for p in uploads.rglob("*") if p.is_file())
    assert leftovers == [ref.artifact_id], leftovers


# --- hostile image files


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def bomb_png(width: int = 50_000, height: int = 50_000) -> bytes:
    """A tiny PNG whose header claims width x height pixels."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", idat) + _png_chunk(b"IEND", b"")


def _save(img: Image.Image, fmt: str, **kwargs: Any) -> bytes:
    out = io.BytesIO()
    img.save(out, format=fmt, **kwargs)
    return out.getvalue()


def hostile_images() -> dict[str, tuple[bytes, set[str] | None]]:
    """name -> (bytes, the coded errors allowed; None: must succeed or fail coded)."""
    good = draw_png(64, 64)
    frames = [Image.new("RGB", (32, 32), c) for c in ("red", "blue", "green")]
    gif = io.BytesIO()
    frames[0].save(gif, format="GIF", save_all=True, append_images=frames[1:], duration=50, loop=0)
    apng = io.BytesIO()
    frames[0].save(apng, format="PNG", save_all=True, append_images=frames[1:])
    icc = Image.new("RGB", (48, 48), (10, 200, 30))
    from PIL import ImageCms

    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    decode = {"image_decode_failed"}
    return {
        "truncated": (good[: len(good) // 2], decode | {"ref_image_invalid"}),
        "header_only": (good[:20], decode | {"ref_image_invalid"}),
        "not_an_image": (b"GIF89a but actually a shell script\n", decode | {"ref_image_invalid"}),
        "text": (b"hello, I am text\n", decode | {"ref_image_invalid"}),
        "empty": (b"", decode | {"ref_image_invalid", "image_read_failed"}),
        "bomb": (bomb_png(), decode | {"ref_image_invalid"}),
        "animated_gif": (gif.getvalue(), None),
        "animated_png": (apng.getvalue(), None),
        "cmyk_jpeg": (_save(Image.new("CMYK", (48, 48), (0, 255, 255, 0)), "JPEG"), None),
        "png_16bit": (_save(Image.new("I;16", (48, 48), 40000), "PNG"), None),
        "icc_png": (_save(icc, "PNG", icc_profile=profile), None),
        "icc_jpeg": (_save(icc, "JPEG", icc_profile=profile), None),
    }


_CODED_IMAGE_ERRORS = {
    "image_decode_failed", "ref_image_invalid", "image_read_failed", "transparent_verification_failed",
}  # fmt: skip


@pytest.fixture(scope="module")
def image_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, set[str] | None]]:
    folder = tmp_path_factory.mktemp("hostile-images")
    out = {}
    for name, (data, allowed) in hostile_images().items():
        path = folder / f"{name}.img"
        path.write_bytes(data)
        out[name] = (path, allowed)
    return out


@pytest.mark.parametrize("name", list(hostile_images()))
def test_transparent_verify_on_hostile_images(shared_engine, image_files, name):  # type: ignore[no-untyped-def]
    path, allowed = image_files[name]
    r = shared_engine.cli("transparent", "verify", "--input", str(path), timeout=60)
    assert r.returncode in (0, 1), (r.returncode, r.stdout, r.stderr)
    body = r.json
    if r.returncode == 1:
        code = body["error"]["code"]
        assert code in (allowed or _CODED_IMAGE_ERRORS), (name, body)
    else:
        assert allowed is None, (name, body)  # junk must never verify
    _assert_alive(shared_engine)


@pytest.mark.parametrize("name", list(hostile_images()))
def test_transparent_extract_on_hostile_images(shared_engine, image_files, tmp_path, name):  # type: ignore[no-untyped-def]
    path, allowed = image_files[name]
    out = tmp_path / "x.png"
    r = shared_engine.cli("transparent", "extract", "--input", str(path), "--out", str(out), timeout=60)
    assert r.returncode in (0, 1), (r.returncode, r.stdout, r.stderr)
    if r.returncode == 1:
        assert r.json["error"]["code"] in (allowed or _CODED_IMAGE_ERRORS | {"transparent_input_mismatch"}), (name, r.stdout)  # fmt: skip
        assert not out.exists()
    else:
        assert allowed is None, (name, r.stdout)
        assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("name", list(hostile_images()))
def test_edit_refs_hostile_images(shared_engine, fake_upstream, image_files, tmp_path, name):  # type: ignore[no-untyped-def]
    path, allowed = image_files[name]
    env = shared_engine.client_env(OPENAI_API_KEY="sk-hostile", OPENAI_BASE_URL=fake_upstream.openai_base)
    out = tmp_path / "e.png"
    r = shared_engine.cli("images", "edit", "--prompt", "p", "--ref-image", str(path), "--out", str(out), env=env)
    assert r.returncode in (0, 1), (r.returncode, r.stdout, r.stderr)
    if r.returncode == 1:
        assert r.json["error"]["code"] in (allowed or {"ref_image_invalid"}), (name, r.stdout)
        assert fake_upstream.requests_to(EDITS_PATH) == []  # refused before any upstream call
        assert not out.exists()
    else:
        assert allowed is None, (name, r.stdout)
        assert out.is_file()
