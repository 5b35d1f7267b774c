"""Issue 3 end to end: the real CLI, a real engine process, the loopback fake upstream.

One engine serves the module (`engine`): each test has its own fake upstream and forwards its
key and base URL with the call. The tests that add a provider to config.json or restart the
engine with a token URL get their own (`own_engine`).
"""

from __future__ import annotations

import hashlib
import json
import stat
from pathlib import Path

import pytest

from gpt_image_protocol import jsonshape
from tests.conftest import EngineProc
from tests.fakeupstream.server import Fault, draw_mask, draw_png


@pytest.fixture(scope="module")
def engine(module_engine: EngineProc) -> EngineProc:
    return module_engine


def openai_env(engine, fake) -> dict[str, str]:  # type: ignore[no-untyped-def]
    # Per-call credentials: forwarded by the CLI, never in the daemon's own environment.
    return engine.client_env(OPENAI_API_KEY="sk-test-e2e", OPENAI_BASE_URL=fake.openai_base)


def refs(tmp_path: Path, count: int = 2) -> list[str]:
    paths = []
    for i in range(count):
        p = tmp_path / f"ref{i}.png"
        p.write_bytes(draw_png(64, 64, i))
        paths.append(str(p))
    return paths


def test_generate_openai_with_forwarded_key(engine, fake_upstream, tmp_path):  # type: ignore[no-untyped-def]
    out = tmp_path / "out" / "apple"
    r = engine.cli(
        "images",
        "generate",
        "--prompt",
        "an apple",
        "--out",
        str(out),
        "--size",
        "2k",
        "--json-events",
        env=openai_env(engine, fake_upstream),
    )
    assert r.returncode == 0, r.stdout + r.stderr
    env = r.json
    assert env["ok"] and env["command"] == "images generate"
    assert env["output"]["path"] == str(out) + ".png"
    assert Path(env["output"]["path"]).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert env["provider_selection"]["reason"] == "auto_openai_api_key"
    assert env["auth"] == {"source": "env", "env_var": "OPENAI_API_KEY", "refreshed": False}
    assert env["request"]["size"] == "2048x2048"
    sent = fake_upstream.requests_to("/v1/images/generations")[-1]
    assert sent.headers["authorization"] == "Bearer sk-test-e2e"
    types = [e["type"] for e in r.events]
    assert types.index("request_started") < types.index("request_completed") < types.index("output_saved")
    assert env["events"]["count"] == len(r.events)
    # The key never shows up in output, events or the engine log.
    log = (engine.shared_dir / "logs" / "engine.log").read_text()
    assert "sk-test-e2e" not in r.stdout + r.stderr + log


def test_edit_openai_two_refs_and_mask(engine, fake_upstream, tmp_path):  # type: ignore[no-untyped-def]
    a, b = refs(tmp_path)
    mask = tmp_path / "mask.png"
    mask.write_bytes(draw_mask(64, 64))
    r = engine.cli(
        "images",
        "edit",
        "--prompt",
        "merge",
        "--ref-image",
        a,
        "--ref-image",
        b,
        "--mask",
        str(mask),
        "--out",
        str(tmp_path / "e.png"),
        "--input-fidelity",
        "high",
        "--json-events",
        env=openai_env(engine, fake_upstream),
    )
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.json["request"]["ref_image_count"] == 2 and r.json["request"]["mask_present"] is True
    sent = fake_upstream.requests_to("/v1/images/edits")[-1]
    names = [p.name for p in sent.parts]
    assert names.count("image[]") == 2 and "mask" in names
    images = [p for p in sent.parts if p.name == "image[]"]
    assert images[0].data == Path(a).read_bytes() and images[1].data == Path(b).read_bytes()
    assert sent.fields["input_fidelity"] == "high"
    assert "multipart_prepared" in [e["type"] for e in r.events]
    # The job keeps its inputs (upstream layout ref-<i>, mask) and lists them as artifacts.
    from gpt_image.v1 import jobs_pb2, jobs_pb2_grpc
    from gpt_image_protocol.address import parse_address
    from gpt_image_protocol.channel import open_channel

    channel = open_channel(parse_address(engine.address))
    reply = jobs_pb2_grpc.JobsServiceStub(channel).GetJob(jobs_pb2.GetJobRequest(job_id=r.json["history"]["job_id"]), timeout=10)
    channel.close()
    roles = sorted((jsonshape.role(a), a.index) for a in reply.artifacts)
    assert ("ref", 0) in roles and ("ref", 1) in roles and ("mask", 0) in roles and ("output", 0) in roles


def test_named_openai_compatible_provider(own_engine, fake_upstream, tmp_path):  # type: ignore[no-untyped-def]
    engine = own_engine
    add = engine.cli(
        "config",
        "add-provider",
        "--name",
        "relay",
        "--type",
        "openai-compatible",
        "--api-base",
        fake_upstream.openai_base,
        "--api-key",
        "sk-relay-secret",
        "--edit-region-mode",
        "native-mask",
        "--set-default",
    )
    assert add.returncode == 0, add.stdout
    assert "sk-relay-secret" not in add.stdout
    gen = engine.cli("images", "generate", "--prompt", "x", "--out", str(tmp_path / "g.png"))
    assert gen.returncode == 0, gen.stdout
    assert gen.json["provider"] == "relay"
    assert gen.json["provider_selection"]["reason"] == "config_default_provider"
    a, b = refs(tmp_path)
    mask = tmp_path / "m.png"
    mask.write_bytes(draw_mask(64, 64))
    edit = engine.cli(
        "images",
        "edit",
        "--prompt",
        "y",
        "--ref-image",
        a,
        "--ref-image",
        b,
        "--mask",
        str(mask),
        "--out",
        str(tmp_path / "e.png"),
    )
    assert edit.returncode == 0, edit.stdout
    assert fake_upstream.requests_to("/v1/images/edits")[-1].headers["authorization"] == "Bearer sk-relay-secret"


def test_codex_generate_edit_and_mask_rejected(engine, fake_upstream, tmp_path):  # type: ignore[no-untyped-def]
    auth = fake_upstream.write_auth_json(tmp_path / "auth.json")
    common = ["--provider", "codex", "--auth-file", str(auth), "--endpoint", fake_upstream.codex_endpoint]
    gen = engine.cli(
        "images", "generate", "--prompt", "a cat", "--out", str(tmp_path / "c.png"), "--json-events", *common
    )
    assert gen.returncode == 0, gen.stdout + gen.stderr
    assert gen.json["provider"] == "codex" and gen.json["request"]["delegated_image_model"] == "gpt-image-2"
    kinds = {e["kind"] for e in gen.events}
    assert "sse" in kinds
    a, b = refs(tmp_path)
    edit = engine.cli(
        "images",
        "edit",
        "--prompt",
        "edit",
        "--ref-image",
        a,
        "--ref-image",
        b,
        "--out",
        str(tmp_path / "ce.png"),
        *common,
    )
    assert edit.returncode == 0, edit.stdout
    body = fake_upstream.requests_to("/backend-api/codex/responses")[-1].json
    content = body["input"][0]["content"]
    assert [c["type"] for c in content] == ["input_image", "input_image", "input_text"]
    assert body["tools"][0]["action"] == "edit"
    mask = tmp_path / "cm-mask.png"
    mask.write_bytes(draw_mask(64, 64))
    masked = engine.cli(
        "images", "edit", "--prompt", "m", "--ref-image", a, "--mask", str(mask), "--out", str(tmp_path / "cm.png"), *common
    )
    assert masked.returncode == 1
    assert masked.json["error"]["code"] == "unsupported_option"


def test_codex_401_refreshes_exactly_once(own_engine, fake_upstream, tmp_path):  # type: ignore[no-untyped-def]
    engine = own_engine
    # The token URL is the engine's own setting: restart it with the fake's.
    engine.stop()
    engine.extra_env["GPT_IMAGE_2_CODEX_TOKEN_URL"] = fake_upstream.token_url
    engine.start()
    auth = fake_upstream.write_auth_json(tmp_path / "auth.json")
    before = json.loads(auth.read_text())
    fake_upstream.revoke_access_token()
    r = engine.cli(
        "images",
        "generate",
        "--prompt",
        "p",
        "--out",
        str(tmp_path / "r.png"),
        "--json-events",
        "--provider",
        "codex",
        "--auth-file",
        str(auth),
        "--endpoint",
        fake_upstream.codex_endpoint,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    assert len(fake_upstream.requests_to("/oauth/token")) == 1
    types = [e["type"] for e in r.events]
    assert types.count("auth_refresh_started") == 1 and "auth_refresh_completed" in types
    after = json.loads(auth.read_text())
    assert after != before
    assert stat.S_IMODE(auth.stat().st_mode) == 0o600
    assert r.json["auth"]["refreshed"] is True
    # Unknown fields survive the rewrite; the tokens never reach stdout or events.
    assert set(before) <= set(after)
    token = (after.get("tokens") or after)["access_token"]
    assert token not in r.stdout + r.stderr


def test_two_500s_then_success(engine, fake_upstream, tmp_path):  # type: ignore[no-untyped-def]
    fake_upstream.faults(Fault.fail(500, times=2))
    r = engine.cli(
        "images",
        "generate",
        "--prompt",
        "p",
        "--out",
        str(tmp_path / "x.png"),
        "--json-events",
        "--retry-delay-seconds",
        "0.05",
        env=openai_env(engine, fake_upstream),
    )
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.json["retry"]["count"] == 2
    retries = [e for e in r.events if e["type"] == "retry_scheduled"]
    assert len(retries) == 2
    assert [e["data"]["retry_number"] for e in retries] == [1, 2]


def test_partial_images_arrive_before_the_final_image(engine, fake_upstream, tmp_path):  # type: ignore[no-untyped-def]
    out = tmp_path / "p.png"
    r = engine.cli(
        "images",
        "generate",
        "--prompt",
        "p",
        "--out",
        str(out),
        "--partial-images",
        "2",
        "--json-events",
        env=openai_env(engine, fake_upstream),
    )
    assert r.returncode == 0, r.stdout + r.stderr
    types = [e["type"] for e in r.events]
    partial_at = [i for i, t in enumerate(types) if t == "partial_image"]
    assert len(partial_at) == 2 and max(partial_at) < types.index("output_saved")
    # Each preview event says where to fetch the preview while the job still runs.
    assert [r.events[i]["data"]["artifact"]["role"] for i in partial_at] == ["partial", "partial"]
    assert (tmp_path / "partial-1.png").is_file() and (tmp_path / "partial-2.png").is_file()


@pytest.mark.slow
def test_twenty_megabyte_output_crosses_intact(engine, fake_upstream, tmp_path):  # type: ignore[no-untyped-def]
    fake_upstream.faults(Fault.big_image(21_000_000))
    out = tmp_path / "big.png"
    r = engine.cli("images", "generate", "--prompt", "big", "--out", str(out), env=openai_env(engine, fake_upstream))
    assert r.returncode == 0, r.stdout + r.stderr
    job_copy = Path(json.loads(engine.cli("history", "show", r.json["history"]["job_id"]).stdout)["job"]["output_path"])
    data = out.read_bytes()
    assert len(data) >= 20_000_000
    assert hashlib.sha256(data).hexdigest() == hashlib.sha256(job_copy.read_bytes()).hexdigest()


def test_failed_job_leaves_no_output_file(engine, fake_upstream, tmp_path):  # type: ignore[no-untyped-def]
    failed_before = engine.cli("history", "list", "--status", "failed").json["total"]
    fake_upstream.faults(Fault.no_image())
    out = tmp_path / "never.png"
    r = engine.cli("images", "generate", "--prompt", "p", "--out", str(out), env=openai_env(engine, fake_upstream))
    assert r.returncode == 1
    assert r.json["error"]["code"] == "missing_image_result"
    assert not out.exists() and not list(tmp_path.glob(".never*"))
    # Failed jobs are in history too.
    listed = engine.cli("history", "list", "--status", "failed").json
    assert listed["total"] == failed_before + 1


def test_missing_key_and_bad_refs(engine, fake_upstream, tmp_path):  # type: ignore[no-untyped-def]
    r = engine.cli("--provider", "openai", "images", "generate", "--prompt", "p", "--out", str(tmp_path / "k.png"))
    assert r.returncode == 1 and r.json["error"]["code"] == "api_key_missing"
    bad = tmp_path / "bad.png"
    bad.write_text("not an image")
    r = engine.cli(
        "images",
        "edit",
        "--prompt",
        "p",
        "--ref-image",
        str(bad),
        "--out",
        str(tmp_path / "o.png"),
        env=openai_env(engine, fake_upstream),
    )
    assert r.returncode == 1 and r.json["error"]["code"] == "ref_image_invalid"
    many = refs(tmp_path, 1) * 17
    args = [x for p in many for x in ("--ref-image", p)]
    r = engine.cli(
        "images",
        "edit",
        "--prompt",
        "p",
        *args,
        "--out",
        str(tmp_path / "o.png"),
        env=openai_env(engine, fake_upstream),
    )
    assert r.json["error"]["code"] == "ref_image_too_many"
