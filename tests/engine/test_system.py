"""doctor, auth inspect, models list and test-provider against a loopback HTTP server."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from gpt_image_engine.call import Call
from gpt_image_engine.errors import AppError
from gpt_image_engine.store import config as cs
from gpt_image_engine.store.paths import EnginePaths
from gpt_image_engine.system import auth_inspect, doctor, models_list, probe_endpoint
from gpt_image_engine.system import test_provider as run_test_provider


class HeadServer:
    def __init__(self, status: int = 405) -> None:
        self.heads: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_HEAD(self) -> None:  # noqa: N802
                outer.heads.append(self.path)
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture()
def server() -> Iterator[HeadServer]:
    s = HeadServer()
    yield s
    s.close()


@pytest.fixture()
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    for name in (
        "OPENAI_API_KEY",
        "OPENAI_BASE_URL",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CODEX_HOME", str(tmp_path / "codex"))
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    return {"CODEX_HOME": str(tmp_path / "codex"), "NO_PROXY": "127.0.0.1"}


@pytest.fixture()
def paths(env: dict[str, str]) -> EnginePaths:
    return EnginePaths.from_env(env)


def test_probe_reachable_any_status(server: HeadServer, env: dict[str, str]) -> None:
    probe = probe_endpoint(server.base + "/v1", env=env)
    assert probe == {
        "endpoint": server.base + "/v1",
        "host": "127.0.0.1",
        "port": int(server.base.rsplit(":", 1)[1]),
        "scheme": "http",
        "reachable": True,
        "proxy": "system",
        "status": 405,
        "tls_ok": None,
        "error": None,
    }
    assert server.heads == ["/v1"]


def test_probe_unreachable_fast(env: dict[str, str]) -> None:
    start = time.monotonic()
    probe = probe_endpoint("http://no-such-host.invalid/v1", env=env)
    assert probe["reachable"] is False and probe["error"] and probe["host"] == "no-such-host.invalid"
    closed = probe_endpoint("http://127.0.0.1:1/v1", env=env)
    assert closed["reachable"] is False and "status" not in closed
    assert time.monotonic() - start < 5
    assert probe_endpoint("not a url", env=env)["reachable"] is False


def test_doctor_with_openai(server: HeadServer, paths: EnginePaths, env: dict[str, str]) -> None:
    call = Call(api_key="sk-secret", openai_api_base=server.base + "/v1", endpoint=server.base + "/codex")
    out = doctor(paths, call, env)
    assert out["ok"] is True
    assert out["provider_selection"] == {
        "requested": "auto",
        "resolved": "openai",
        "kind": "openai-compatible",
        "reason": "auto_openai_api_key",
        "supports_n": True,
        "edit_region_mode": "native-mask",
        "error": None,
    }
    assert out["providers"]["openai"]["endpoint"]["reachable"] is True
    assert out["providers"]["codex"]["endpoint"]["endpoint"] == server.base + "/codex"
    assert out["providers"]["codex"]["auth"]["ready"] is False
    assert out["providers"]["configured"] == {}
    assert out["defaults"] == {
        "provider": "auto",
        "config_file": str(paths.config_for(None)),
        "default_provider": None,
        "openai_model": "gpt-image-2",
        "codex_model": "gpt-5.4",
        "codex_endpoint": server.base + "/codex",
        "openai_api_base": server.base + "/v1",
    }
    assert out["retry_policy"] == {"max_retries": 3, "base_delay_seconds": 1}
    assert "sk-secret" not in json.dumps(out)


def test_doctor_reports_selection_error(server: HeadServer, paths: EnginePaths, env: dict[str, str]) -> None:
    call = Call(openai_api_base=server.base + "/v1", endpoint=server.base + "/codex")
    out = doctor(paths, call, env)
    assert out["ok"] is False
    sel = out["provider_selection"]
    assert sel["resolved"] is None and sel["reason"] is None and sel["requested"] == "auto"
    assert sel["error"]["code"] == "provider_unavailable"


def test_doctor_survives_corrupt_config(server: HeadServer, paths: EnginePaths, env: dict[str, str]) -> None:
    path = paths.config_for(None)
    path.parent.mkdir(parents=True)
    path.write_text("{")
    out = doctor(paths, Call(openai_api_base=server.base, endpoint=server.base), env)
    assert out["provider_selection"]["error"]["code"] == "config_invalid_json"
    assert path.read_text() == "{"


def test_auth_inspect(paths: EnginePaths, env: dict[str, str]) -> None:
    with pytest.raises(AppError) as info:
        auth_inspect(paths, Call(provider="openai"), env)
    assert info.value.code == "api_key_missing"
    with pytest.raises(AppError) as info:
        auth_inspect(paths, Call(provider="codex"), env)
    assert info.value.code == "access_token_missing"
    auth = Path(env["CODEX_HOME"]) / "auth.json"
    auth.parent.mkdir(parents=True)
    claims = (
        base64.urlsafe_b64encode(json.dumps({"https://api.openai.com/auth": {"chatgpt_account_id": "a"}}).encode())
        .decode()
        .rstrip("=")
    )
    auth.write_text(json.dumps({"tokens": {"access_token": f"h.{claims}.s"}}))
    cs.add_provider(paths, Call(), "p", api_key="sk-cfg")
    out = auth_inspect(paths, Call(provider="codex"), env)
    assert out["requested_provider"] == "codex"
    assert out["providers"]["codex"]["ready"] is True and out["providers"]["codex"]["account_id"] == "a"
    assert out["providers"]["openai"]["ready"] is False
    assert out["providers"]["configured"]["p"]["credentials"]["api_key"]["present"] is True
    assert "sk-cfg" not in json.dumps(out) and "h." + claims not in json.dumps(out)


def test_models_list() -> None:
    out = models_list()["providers"]
    assert out["openai"]["default_model"] == "gpt-image-2"
    assert out["openai"]["model_presets"][0]["source"] == "official_default"
    assert [o["id"] for o in out["openai"]["operations"]] == ["generate", "edit"]
    assert out["openai"]["supports"] == [
        "background",
        "size",
        "quality",
        "format",
        "compression",
        "n",
        "moderation",
        "mask",
        "input_fidelity",
    ]
    assert [m["id"] for m in out["codex"]["model_presets"]] == ["gpt-5.4", "gpt-5.4-mini", "gpt-5.4-pro"]
    tool = out["codex"]["image_generation_tool"]
    assert tool["delegated_model"] == "gpt-image-2" and tool["supports"][-1] == "auth_refresh"


def test_test_provider(server: HeadServer, paths: EnginePaths, env: dict[str, str]) -> None:
    with pytest.raises(AppError) as info:
        run_test_provider(paths, Call(), "openai", env)
    assert info.value.code == "provider_unknown"
    cs.add_provider(paths, Call(), "p", api_base=server.base + "/v1", api_key="sk")
    out = run_test_provider(paths, Call(), "p", env)
    assert out["ok"] is True and out["endpoint"]["status"] == 405
    assert out["provider_selection"]["resolved"] == "p" and out["provider_selection"]["error"] is None
    cs.add_provider(paths, Call(), "q", api_base="http://127.0.0.1:1/v1")
    out = run_test_provider(paths, Call(), "q", env)
    assert out["ok"] is False and out["provider_selection"]["error"]["code"] == "credential_missing"
    assert out["endpoint"]["endpoint"] == "http://127.0.0.1:1/v1"
