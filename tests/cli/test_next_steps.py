"""Issue 16's fixes: `--detach` keeps `--out`, usage errors exit 2, base URLs and masks are
checked, `--out` folders are checked up front, messages carry the next step, `engine.pid` is a
bare PID, the JSON path never imports rich, and the engine's ETA book."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from gpt_image_engine.jobs.eta import RunTimes, eta_key
from tests.cli.conftest import Invoke, envelope
from tests.conftest import EngineProc
from tests.fakeupstream.server import GENERATIONS_PATH, FakeUpstream, Fault, draw_mask, draw_png

GEN = ["images", "generate", "--prompt", "x"]


@pytest.fixture
def env(module_engine: EngineProc, module_upstream: FakeUpstream) -> dict[str, str]:
    module_upstream.clear_faults()
    return module_engine.client_env(OPENAI_API_KEY="sk-next", OPENAI_BASE_URL=module_upstream.openai_base)


def test_detached_job_keeps_its_out_for_jobs_watch(
    module_engine: EngineProc, env: dict[str, str], module_upstream: FakeUpstream, tmp_path: Path
) -> None:
    module_upstream.faults(Fault.slow(1.0))
    out = tmp_path / "later" / "det.png"
    started = module_engine.cli(*GEN, "--out", str(out), "--detach", env=env)
    assert started.returncode == 0, started.stdout
    assert not out.exists()
    watched = module_engine.cli("jobs", "watch", started.json["job_id"], env=env)
    assert watched.returncode == 0, watched.stdout
    assert out.read_bytes().startswith(b"\x89PNG")
    assert watched.json["output"]["path"] == str(out)


def test_out_under_a_file_fails_before_any_provider_call(
    module_engine: EngineProc, env: dict[str, str], module_upstream: FakeUpstream, tmp_path: Path
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    before = len(module_upstream.requests_to(GENERATIONS_PATH))
    result = module_engine.cli(*GEN, "--out", str(blocker / "sub" / "x.png"), env=env)
    assert result.returncode == 1
    assert result.json["error"]["code"] == "output_write_failed"
    assert result.json["error"]["detail"]["path"] == str(blocker / "sub")
    assert len(module_upstream.requests_to(GENERATIONS_PATH)) == before  # nothing was paid for


def test_messages_name_the_next_step(module_engine: EngineProc, env: dict[str, str], tmp_path: Path) -> None:
    unknown = module_engine.cli("--provider", "nosuch", *GEN, "--out", str(tmp_path / "x.png"), env=env)
    error = unknown.json["error"]
    assert error["code"] == "provider_unknown"
    assert (
        error["detail"]["valid"] == ["auto", "openai", "codex"]
        and "Valid names: auto, openai, codex" in error["message"]
    )

    codex = module_engine.cli("--provider", "codex", *GEN, "--out", str(tmp_path / "x.png"), env=env)
    error = codex.json["error"]
    assert error["code"] == "access_token_missing"
    assert error["message"].startswith("No Codex login") and "codex login" in error["message"]

    missing = module_engine.cli("transparent", "verify", "--input", str(tmp_path / "missing.png"), env=env)
    assert missing.returncode == 1
    assert missing.json["error"]["code"] == "image_read_failed"
    assert missing.json["error"]["detail"]["path"] == str(tmp_path / "missing.png")


def test_engine_validates_base_urls_for_every_client(module_engine: EngineProc) -> None:
    import grpc

    from gpt_image.v1 import config_pb2, config_pb2_grpc
    from gpt_image_protocol.address import parse_address
    from gpt_image_protocol.channel import open_channel
    from gpt_image_protocol.rpc_errors import from_rpc_error

    channel = open_channel(parse_address(module_engine.address))
    try:
        stub = config_pb2_grpc.ConfigServiceStub(channel)
        with pytest.raises(grpc.RpcError) as caught:
            stub.AddProvider(config_pb2.AddProviderRequest(name="bad", api_base="notaurl"))
    finally:
        channel.close()
    err = from_rpc_error(caught.value)
    assert err.code == "invalid_provider_config" and "http(s) URL" in err.message


def test_pid_file_holds_the_bare_pid(module_engine: EngineProc) -> None:
    pid_file = module_engine.socket.with_suffix(".pid")
    assert module_engine.proc is not None
    assert pid_file.read_text() == f"{module_engine.proc.pid}\n"
    info = json.loads(pid_file.with_suffix(".json").read_text())
    assert info["pid"] == module_engine.proc.pid and info["socket"] == str(module_engine.socket)


@pytest.mark.parametrize(
    "args",
    [
        [*GEN[:-1], "", "--out", "x.png"],
        [*GEN[:-1], "   ", "--out", "x.png"],
        ["config", "add-provider", "--name", "r", "--api-base", "notaurl"],
        ["config", "add-provider", "--name", "r", "--endpoint", "ftp://host/x"],
        ["--openai-api-base", "notaurl", *GEN, "--out", "x.png"],
        [*GEN, "--out", "x.png", "--endpoint", "nohost"],
        [*GEN, "--out", "x.png", "--size", "16x16"],
    ],
)
def test_usage_errors_exit_2(invoke: Invoke, args: list[str]) -> None:
    result = invoke(*args)
    assert result.exit_code == 2, result.stdout
    assert envelope(result)["error"]["code"] == "invalid_command"


def test_size_too_small_names_the_smallest_valid_size(invoke: Invoke) -> None:
    body = envelope(invoke(*GEN, "--out", "x.png", "--size", "16x16"))
    assert "816x816" in body["error"]["message"]


def test_mask_needs_an_alpha_channel(invoke: Invoke, tmp_path: Path) -> None:
    ref = tmp_path / "ref.png"
    ref.write_bytes(draw_png(64, 64))
    rgb = tmp_path / "rgb-mask.png"
    rgb.write_bytes(draw_png(64, 64))
    edit = ["images", "edit", "--prompt", "x", "--out", str(tmp_path / "o.png"), "--ref-image", str(ref)]
    result = invoke(*edit, "--mask", str(rgb))
    assert result.exit_code == 1
    body = envelope(result)
    assert body["error"]["code"] == "ref_image_invalid" and "alpha" in body["error"]["message"]
    rgba = tmp_path / "mask.png"
    rgba.write_bytes(draw_mask(64, 64))
    # An alpha mask passes every client check; the call then meets the (absent) engine.
    assert envelope(invoke(*edit, "--mask", str(rgba)))["error"]["code"] == "engine_unavailable"


def test_out_into_missing_folders_is_allowed_like_the_upstream(invoke: Invoke, tmp_path: Path) -> None:
    body = envelope(invoke(*GEN, "--out", str(tmp_path / "new" / "deeper" / "x.png")))
    assert body["error"]["code"] == "engine_unavailable"  # past the --out check


def test_json_path_never_imports_rich(tmp_path: Path) -> None:
    env = {**os.environ, "GPT_IMAGE_2_ENGINE": f"unix://{tmp_path}/none.sock", "GPT_IMAGE_2_NO_AUTOSTART": "1"}
    code = (
        "import sys\n"
        "from gpt_image_cli.main import cli\n"
        "rc = cli.main(['--json', 'doctor'], standalone_mode=False)\n"
        "sys.stderr.write(f'rc={rc} rich={\"rich\" in sys.modules}')\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert "rc=1 rich=False" in proc.stderr, proc.stderr
    assert json.loads(proc.stdout)["error"]["code"] == "engine_unavailable"


def test_eta_book_estimates_from_alike_jobs_and_seeds_from_history() -> None:
    meta = {"request": {"size": "1024x1024", "quality": "low"}}
    key = eta_key("images generate", "openai", meta)
    assert key != eta_key("images generate", "openai", {"request": {"size": "1536x1024", "quality": "low"}})
    seeded = [{"command": "images generate", "provider": "openai", "metadata": {**meta, "run_seconds": 40.0}}]
    book = RunTimes(lambda: seeded)
    assert book.estimate(key) == 40.0
    for seconds in (10.0, 20.0, 30.0, 50.0, 60.0):
        book.record(key, seconds)
    assert book.estimate(key) == 30.0  # the median of the five most recent
    assert RunTimes().estimate(key) is None
