"""Issue 12, item 1: a client must not make the engine send one of its environment variables
to a base URL of the client's choosing.

One real engine serves its Unix socket and a token-protected loopback TCP listener, with a
canary `OPENAI_API_KEY` in its environment; a real fake upstream on 127.0.0.1 plays the
attacker's listener and records every Authorization header it receives. The exact attack
from the issue runs through the real served gateway (`PUT /api/providers/evil`, then a
generate naming it) and through the CLI over TCP, for `OPENAI_API_KEY` and `HOME`. A
positive control (the engine's own user on the Unix socket, whom the rule leaves free)
shows the listener does receive a key when nothing stops it, so "received nothing" means
something.
"""

from __future__ import annotations

import json
import secrets
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ENGINE, CliResult, base_env, run_cli
from tests.fakeupstream.server import FakeUpstream
from tests.gateway.support import GatewayProc, free_port, start_gateway
from tests.remote.support import short_tmp, write_token

pytestmark = pytest.mark.slow

CANARY = f"sk-canary-{secrets.token_hex(16)}"


@dataclass
class Rig:
    home: Path
    engine_env: dict[str, str]
    socket: Path
    tcp: str
    token: str
    listener: FakeUpstream
    gateway: GatewayProc
    lenient_gateway: GatewayProc  # its own pre-check allows HOME/OPENAI_API_KEY: the engine must still refuse

    def local_cli(self, *args: str) -> CliResult:
        env = {**self.engine_env, "GPT_IMAGE_2_ENGINE": f"unix://{self.socket}", "GPT_IMAGE_2_NO_AUTOSTART": "1"}
        return run_cli("--json", *args, env=env)

    def tcp_cli(self, *args: str) -> CliResult:
        env = base_env(self.home / "client")  # no OPENAI_API_KEY of its own
        env.update(GPT_IMAGE_2_ENGINE=self.tcp, GPT_IMAGE_2_ENGINE_TOKEN=self.token, GPT_IMAGE_2_NO_AUTOSTART="1")
        return run_cli("--json", *args, env=env)

    def keys_seen(self) -> list[str]:
        return [r.headers.get("authorization", "") for r in self.listener.requests]


def web(gateway: GatewayProc, method: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(gateway.url + path, data, {"Content-Type": "application/json"}, method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:
            raw = reply.read()
            return reply.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def wait_ready(address: str, proc: subprocess.Popen[bytes], timeout: float = 20.0) -> None:
    import time

    from gpt_image_protocol.address import parse_address
    from gpt_image_protocol.channel import open_channel
    from gpt_image_protocol.health import is_serving

    channel = open_channel(parse_address(address))
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            assert proc.poll() is None, "engine exited early"
            if is_serving(channel, timeout=0.5):
                return
            time.sleep(0.05)
    finally:
        channel.close()
    raise AssertionError("engine did not become SERVING in time")


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rig]:
    home = tmp_path_factory.mktemp("keyenv")
    sock = short_tmp() / "e.sock"
    token = write_token(home / "engine.token")
    port = free_port()
    env = {**base_env(home), "OPENAI_API_KEY": CANARY}
    env.pop("GPT_IMAGE_2_KEY_ENV_ALLOWLIST", None)
    log = open(home / "engine.log", "ab")  # noqa: SIM115
    engine = subprocess.Popen(
        [ENGINE, "serve", "--socket", str(sock), "--listen", f"127.0.0.1:{port}", "--token-file",
         str(home / "engine.token"), "--insecure-no-tls"],
        env=env, stdout=log, stderr=log,
    )
    listener = FakeUpstream()
    listener.start()
    gateways: list[GatewayProc] = []
    try:
        wait_ready(f"unix://{sock}", engine)
        gateways.append(start_gateway(f"unix://{sock}", env, home / "gw.log"))
        gateways.append(
            start_gateway(
                f"unix://{sock}", env, home / "gw2.log", extra={"GPT_IMAGE_2_KEY_ENV_ALLOWLIST": "OPENAI_API_KEY,HOME"}
            )
        )
        yield Rig(home, env, sock, f"127.0.0.1:{port}", token, listener, gateways[0], gateways[1])
    finally:
        for gw in gateways:
            gw.stop()
        engine.terminate()
        engine.wait(timeout=15)
        log.close()
        listener.stop()


def _refused(status_or_result: Any, body: Any = None, caller: str | None = None) -> None:
    error = body["error"] if body is not None else status_or_result.json["error"]
    assert error["code"] == "provider_key_env_not_allowed", error
    if caller:
        assert error["detail"]["caller"] == caller, error


@pytest.mark.parametrize("var", ["OPENAI_API_KEY", "HOME"])
def test_gateway_attack_from_the_issue_sends_no_key(rig: Rig, var: str) -> None:
    rig.listener.reset()
    name = f"evil-{var.lower().replace('_', '-')}"
    put = {"type": "openai-compatible", "api_base": rig.listener.openai_base, "api_key_env": var}
    status, body = web(rig.gateway, "PUT", f"/api/providers/{name}", put)
    assert status == 403, body
    _refused(status, body, "gateway")
    # The upstream's credentials shape is refused the same way.
    shaped = {"type": "openai-compatible", "api_base": rig.listener.openai_base,
              "credentials": {"api_key": {"source": "env", "env": var}}}
    status, body = web(rig.gateway, "PUT", f"/api/providers/{name}", shaped)
    assert status == 403 and body["error"]["code"] == "provider_key_env_not_allowed", body
    # Behind a gateway whose own check lets the name through, the engine refuses the gateway's call.
    status, body = web(rig.lenient_gateway, "PUT", f"/api/providers/{name}", put)
    assert status == 403, body
    _refused(status, body, "gateway")
    status, body = web(rig.gateway, "POST", "/api/images/generate", {"prompt": "x", "provider": name})
    assert status >= 400, body
    assert rig.listener.requests == []


def test_operator_entry_naming_a_variable_is_not_usable_from_gateway_or_tcp(rig: Rig) -> None:
    """The engine's own user may name any variable (local CLI), but that entry cannot be used remotely."""
    rig.listener.reset()
    made = rig.local_cli("config", "add-provider", "--name", "operator-home", "--type", "openai-compatible",
                         "--api-base", rig.listener.openai_base, "--api-key-env", "HOME")
    assert made.returncode == 0, made.stdout + made.stderr
    for gw in (rig.gateway, rig.lenient_gateway):
        status, body = web(gw, "POST", "/api/images/generate", {"prompt": "x", "provider": "operator-home"})
        assert status == 403, body
        _refused(status, body, "gateway")
    over_tcp = rig.tcp_cli("--provider", "operator-home", "images", "generate", "--prompt", "x",
                           "--out", str(rig.home / "tcp.png"))
    assert over_tcp.returncode != 0
    _refused(over_tcp, caller="tcp")
    assert rig.keys_seen() == []
    # Positive control: the engine's own user is free, and then the listener does receive the variable.
    local = rig.local_cli("--provider", "operator-home", "images", "generate", "--prompt", "x",
                          "--out", str(rig.home / "local.png"))
    assert local.returncode == 0, local.stdout + local.stderr
    assert rig.keys_seen() == [f"Bearer {rig.engine_env['HOME']}"]


def test_tcp_cli_cannot_name_or_redirect_engine_keys(rig: Rig) -> None:
    rig.listener.reset()
    for var in ("OPENAI_API_KEY", "HOME"):
        added = rig.tcp_cli("config", "add-provider", "--name", "evil-tcp", "--type", "openai-compatible",
                            "--api-base", rig.listener.openai_base, "--api-key-env", var)
        assert added.returncode != 0
        _refused(added, caller="tcp")
    # The built-in OpenAI provider would read the engine's OPENAI_API_KEY: not toward a base the client picks.
    redirected = rig.tcp_cli("--provider", "openai", "--openai-api-base", rig.listener.openai_base,
                             "images", "generate", "--prompt", "x", "--out", str(rig.home / "r.png"))
    assert redirected.returncode != 0
    _refused(redirected, caller="tcp")
    # Nor re-point an existing entry's credential at an engine variable, nor read one back.
    made = rig.local_cli("config", "add-provider", "--name", "operator-openai", "--type", "openai-compatible",
                         "--api-base", rig.listener.openai_base, "--api-key-env", "OPENAI_API_KEY")
    assert made.returncode == 0, made.stdout + made.stderr
    repointed = rig.tcp_cli("secret", "set", "operator-openai", "api_key", "--source", "env", "--env", "HOME")
    assert repointed.returncode != 0
    _refused(repointed, caller="tcp")
    read_back = rig.tcp_cli("secret", "get", "operator-openai", "api_key")
    assert read_back.returncode != 0 and CANARY not in read_back.stdout + read_back.stderr
    _refused(read_back, caller="tcp")
    assert rig.tcp_cli("secret", "get", "operator-openai", "api_key", "--status").json["ready"] is True
    assert rig.listener.requests == []
    assert CANARY not in (rig.home / "engine.log").read_text()


def test_tcp_cli_cannot_aim_the_engines_codex_login_at_its_own_endpoint(rig: Rig) -> None:
    """`--endpoint` with the built-in Codex provider would send the engine's auth.json token to the
    client's listener; a Codex config entry's stored token likewise. Only the configured/default
    endpoint may be used remotely; the engine's own user keeps `--endpoint`."""
    rig.listener.reset()
    auth = rig.listener.write_auth_json(Path(rig.engine_env["CODEX_HOME"]) / "auth.json")
    token = rig.listener.access_token
    try:
        made = rig.local_cli("config", "add-provider", "--name", "operator-codex", "--type", "codex",
                             "--access-token", token, "--refresh-token", rig.listener.refresh_token)
        assert made.returncode == 0, made.stdout + made.stderr
        for provider in ("codex", "operator-codex"):
            aimed = rig.tcp_cli("--provider", provider, "--endpoint", rig.listener.codex_endpoint,
                                "images", "generate", "--prompt", "x", "--out", str(rig.home / "codex.png"))
            assert aimed.returncode != 0
            error = aimed.json["error"]
            assert error["code"] == "secret_redirect_refused", error
            assert error["detail"] == {"provider": provider, "credential": "access_token", "caller": "tcp",
                                       "field": "endpoint"}
        assert rig.listener.requests == []
        # Positive control: the engine's own user may choose the endpoint, and the listener then gets the token.
        local = rig.local_cli("--provider", "codex", "--endpoint", rig.listener.codex_endpoint,
                              "images", "generate", "--prompt", "x", "--out", str(rig.home / "codex-local.png"))
        assert local.returncode == 0, local.stdout + local.stderr
        assert any(token in r.headers.get("authorization", "") for r in rig.listener.requests)
    finally:
        auth.unlink()
        rig.local_cli("config", "remove-provider", "--name", "operator-codex")
