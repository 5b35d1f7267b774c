"""Engine address forms for remote and balanced set-ups (pure parsing, no network)."""

from __future__ import annotations

import pytest

from gpt_image_protocol.address import parse_address, resolve_address
from gpt_image_protocol.channel import ROUND_ROBIN_CONFIG, channel_options, client_settings
from gpt_image_protocol.errors import AppError


def test_single_host_port() -> None:
    a = parse_address("gpu-box.example:50051")
    assert a.kind == "tcp" and a.grpc_target == "gpu-box.example:50051" and not a.is_multi
    assert a.host == "gpu-box.example" and not a.is_loopback
    assert parse_address("127.0.0.1:9").is_loopback and parse_address("[::1]:9").is_loopback


def test_list_becomes_ipv4_target_with_round_robin() -> None:
    a = parse_address("10.0.0.5:50051, 10.0.0.6:50051")
    assert a.is_multi and a.grpc_target == "ipv4:10.0.0.5:50051,10.0.0.6:50051"
    assert [str(m) for m in a.engines()] == ["10.0.0.5:50051", "10.0.0.6:50051"]
    options = dict(channel_options(a, client_settings(a, env={"GPT_IMAGE_2_ENGINE_CA_FILE": ""})))
    assert options["grpc.lb_policy_name"] == "round_robin" and options["grpc.service_config"] == ROUND_ROBIN_CONFIG
    assert options["grpc.ssl_target_name_override"] == "10.0.0.5"  # off loopback: TLS by default
    v6 = parse_address("[fd00::1]:1,[fd00::2]:1")
    assert v6.grpc_target == "ipv6:[fd00::1]:1,[fd00::2]:1"


def test_dns_name_is_balanced_and_resolved_for_pinning() -> None:
    a = parse_address("dns:///localhost:50051")
    assert a.is_dns and a.is_multi and a.grpc_target == "dns:///localhost:50051" and a.host == "localhost"
    assert all(m.target.endswith(":50051") for m in a.engines())
    assert parse_address("dns:engines.internal:7").target == "dns:///engines.internal:7"


@pytest.mark.parametrize("bad", ["", "host", "host:0", "host:99999", "a:1,b", "dns:///nope"])
def test_bad_addresses(bad: str) -> None:
    with pytest.raises(AppError) as caught:
        parse_address(bad)
    assert caught.value.code == "invalid_argument"


def test_client_settings_from_env(tmp_path) -> None:  # type: ignore[no-untyped-def]
    ca = tmp_path / "ca.pem"
    ca.write_text("x")
    token = tmp_path / "t"
    token.write_text("abc\n")
    remote = parse_address("gpu:1")
    s = client_settings(
        remote, env={"GPT_IMAGE_2_ENGINE_TOKEN_FILE": str(token), "GPT_IMAGE_2_ENGINE_CA_FILE": str(ca)}
    )
    assert s.token == "abc" and s.tls and s.ca_file == str(ca) and s.token_source == f"file:{token}"
    assert "abc" not in repr(s.describe(remote)) and "abc" not in repr(s)
    loop = parse_address("127.0.0.1:1")
    assert client_settings(loop, env={}).tls is False
    assert client_settings(loop, env={"GPT_IMAGE_2_ENGINE_TLS": "1"}).tls is True
    assert client_settings(remote, env={"GPT_IMAGE_2_ENGINE_TLS": "0"}).tls is False
    unix = resolve_address(None, {"CODEX_HOME": str(tmp_path)})
    assert client_settings(unix, env={"GPT_IMAGE_2_ENGINE_TOKEN": "t"}).token is None
    with pytest.raises(AppError) as caught:
        client_settings(remote, env={"GPT_IMAGE_2_ENGINE_TOKEN_FILE": str(tmp_path / "missing")})
    assert caught.value.code == "engine_credentials_invalid"
