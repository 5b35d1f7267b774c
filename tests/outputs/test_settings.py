"""Saving storage, notification and proxy settings: the upstream's codes on bad input, secrets kept
when not resent, redaction, legacy pipeline mapping; and provider traffic through real proxies."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from gpt_image_engine.call import Call
from gpt_image_engine.errors import AppError
from gpt_image_engine.outputs import operations as ops
from gpt_image_engine.outputs import proxy, settings
from gpt_image_engine.store.config import load_config
from gpt_image_engine.store.paths import EnginePaths
from tests.outputs.servers import HttpSink, Proxies

SECRET = "file-secret-value-123"


@pytest.fixture
def paths(tmp_path: Path) -> EnginePaths:
    return EnginePaths.from_env({"CODEX_HOME": str(tmp_path / "codex")})


def creds(value: str = SECRET) -> dict[str, Any]:
    return {"source": "file", "value": value}


@pytest.mark.parametrize(
    ("target", "code", "field"),
    [
        ({"type": "local", "directory": ""}, "storage_target_directory_missing", "directory"),
        ({"type": "s3", "bucket": " ", "access_key_id": creds(), "secret_access_key": creds()},
         "storage_target_bucket_missing", "bucket"),
        ({"type": "s3", "bucket": "b", "secret_access_key": creds()}, "storage_target_access_key_missing",
         "access_key_id"),
        ({"type": "s3", "bucket": "b", "access_key_id": creds(), "secret_access_key": creds("")},
         "storage_target_secret_key_missing", "secret_access_key"),
        ({"type": "s3", "bucket": "b", "access_key_id": creds(), "secret_access_key": creds(), "endpoint": "ftp://x"},
         "storage_target_s3_endpoint_invalid", "endpoint"),
        ({"type": "webdav", "url": "not a url"}, "storage_target_webdav_url_invalid", "url"),
        ({"type": "http", "url": "http://[::1"}, "storage_target_http_url_invalid", "url"),
        ({"type": "http", "url": "https://u.example", "method": "DELETE"}, "storage_target_http_method_invalid",
         "method"),
        ({"type": "sftp", "host": "", "username": "u"}, "storage_target_sftp_host_missing", "host"),
        ({"type": "sftp", "host": "h", "username": "u", "remote_dir": "/x", "password": creds()},
         "storage_target_sftp_host_key_missing", "host_key_sha256"),
        ({"type": "sftp", "host": "h", "host_key_sha256": "k", "username": "", "remote_dir": "/x"},
         "storage_target_sftp_username_missing", "username"),
        ({"type": "sftp", "host": "h", "host_key_sha256": "k", "username": "u", "remote_dir": "/a/../b"},
         "storage_target_sftp_remote_dir_invalid", "remote_dir"),
        ({"type": "sftp", "host": "h", "host_key_sha256": "k", "username": "u", "remote_dir": "/a"},
         "storage_target_sftp_auth_missing", "sftp_auth"),
        ({"type": "baidu_netdisk", "app_name": ""}, "storage_target_baidu_app_name_missing", "app_name"),
        ({"type": "baidu_netdisk", "app_name": "a", "auth_mode": "personal"},
         "storage_target_baidu_access_token_missing", "access_token"),
        ({"type": "baidu_netdisk", "app_name": "a", "app_key": ""}, "storage_target_baidu_app_key_missing", "app_key"),
        ({"type": "baidu_netdisk", "app_name": "a", "app_key": "k"}, "storage_target_baidu_secret_key_missing",
         "secret_key"),
        ({"type": "baidu_netdisk", "app_name": "a", "app_key": "k", "secret_key": creds()},
         "storage_target_baidu_refresh_token_missing", "refresh_token"),
        ({"type": "pan123_open", "auth_mode": "access_token"}, "storage_target_pan123_access_token_missing",
         "access_token"),
        ({"type": "pan123_open", "client_id": ""}, "storage_target_pan123_client_id_missing", "client_id"),
        ({"type": "pan123_open", "client_id": "c"}, "storage_target_pan123_client_secret_missing", "client_secret"),
    ],
)  # fmt: skip
def test_bad_targets_get_the_upstream_codes_and_nothing_is_written(
    paths: EnginePaths, target: dict[str, Any], code: str, field: str
) -> None:
    with pytest.raises(AppError) as caught:
        ops.add_target(paths, Call(), "t1", target, {})
    assert caught.value.code == code
    assert caught.value.detail == {"target": "t1", "field": field}
    assert not paths.config_file.exists()


def test_pipeline_validation_and_legacy_mapping(paths: EnginePaths) -> None:
    local = {"type": "local", "directory": "/tmp/x"}
    hook = {"type": "http", "url": "https://u.example/up"}
    for storage, code in (
        ({"targets": {}, "pipeline": {"mode": "cloud_primary"}}, "storage_origin_missing"),
        ({"targets": {"h": hook}, "pipeline": {"mode": "cloud_primary", "origin": "h"}},
         "storage_origin_readback_unsupported"),
        ({"targets": {}, "pipeline": {"mode": "mirror", "archives": []}}, "storage_archives_missing"),
        ({"targets": {"l": local}, "pipeline": {"mode": "mirror", "archives": ["l", "gone"]}},
         "storage_archive_missing"),
        ({"targets": {}, "pipeline": {"mode": "sideways"}}, "storage_config_invalid"),
        ({"targets": {"x": {"type": "ftp"}}}, "storage_target_type_invalid"),
    ):  # fmt: skip
        with pytest.raises(AppError) as caught:
            ops.put_storage(paths, Call(), storage, {})
        assert caught.value.code == code, storage
    legacy = {"targets": {"l": local, "h": hook}, "default_targets": ["l"], "fallback_targets": ["h"]}
    assert settings.effective_pipeline(legacy) == {"mode": "cloud_archive_only", "origin": None, "archives": ["l", "h"]}
    assert settings.effective_pipeline({**legacy, "fallback_policy": "always"})["mode"] == "mirror"
    assert settings.effective_pipeline({**legacy, "fallback_policy": "never"})["archives"] == ["l"]
    assert settings.effective_pipeline({"targets": {}})["mode"] == "local_only"
    managed = {**legacy, "policy": {"managed": True, "locked_origin": "l", "locked_archives": ["h"]}}
    assert settings.effective_pipeline(managed) == {"mode": "cloud_primary", "origin": "l", "archives": ["h"]}


def test_secrets_are_kept_when_not_resent_and_never_returned(paths: EnginePaths) -> None:
    target = {
        "type": "s3",
        "bucket": "b",
        "access_key_id": creds("AKIAKEEP"),
        "secret_access_key": creds(SECRET),
        "endpoint": "http://127.0.0.1:9",
    }
    answer = ops.add_target(paths, Call(), "cloud", target, {}, archive=True)
    assert SECRET not in json.dumps(answer)
    assert answer["config"]["storage"]["targets"]["cloud"]["secret_access_key"]["present"] is True
    # A client sends back what it saw: empty file values.
    resent = {**target, "access_key_id": creds(""), "secret_access_key": {"source": "file", "value": ""}}
    ops.put_storage(
        paths, Call(), {"targets": {"cloud": resent}, "pipeline": {"mode": "mirror", "archives": ["cloud"]}}, {}
    )
    stored = load_config(paths.config_file)["storage"]["targets"]["cloud"]
    assert stored["secret_access_key"] == creds(SECRET) and stored["access_key_id"] == creds("AKIAKEEP")
    removed = ops.remove_target(paths, Call(), "cloud", {})
    assert removed["removed"] is True
    assert settings.effective_pipeline(load_config(paths.config_file)["storage"])["mode"] == "local_only"


def test_keychain_secret_is_written_to_the_keyring(paths: EnginePaths, monkeypatch: pytest.MonkeyPatch) -> None:
    import keyring
    from keyrings.alt.file import PlaintextKeyring

    ring = PlaintextKeyring()
    ring.file_path = str(paths.shared_dir / "keyring.cfg")  # type: ignore[misc]
    keyring.set_keyring(ring)
    hook = {
        "id": "h1",
        "url": "https://hooks.example.test/x",
        "headers": {"Authorization": {"source": "keychain", "value": "Bearer kc-secret-987"}},
    }
    answer = ops.add_webhook(paths, Call(), hook, {})
    assert "kc-secret-987" not in json.dumps(answer) and "kc-secret-987" not in paths.config_file.read_text()
    stored = load_config(paths.config_file)["notifications"]["webhooks"][0]["headers"]["Authorization"]
    assert stored == {
        "source": "keychain",
        "service": "gpt-image-2-skill",
        "account": "notifications/webhooks/h1/Authorization",
    }
    assert ring.get_password("gpt-image-2-skill", stored["account"]) == "Bearer kc-secret-987"


@pytest.mark.parametrize(
    ("proxy_cfg", "ok"),
    [
        ({"mode": "custom", "url": "socks5h://user:pw@127.0.0.1:1080"}, True),
        ({"mode": "custom", "url": "https://proxy.example:8443", "no_proxy": ["internal.example"]}, True),
        ({"mode": "custom", "url": "ftp://proxy.example"}, False),
        ({"mode": "custom", "url": "http://user@proxy.example:3128"}, False),
        ({"mode": "custom"}, False),
        ({"mode": "custom", "url": "http://:3128"}, False),
        ({"mode": "sometimes"}, False),
        ({"mode": "none"}, True),
    ],
)
def test_proxy_urls(paths: EnginePaths, proxy_cfg: dict[str, Any], ok: bool) -> None:
    if ok:
        answer = ops.put_proxy(paths, Call(), proxy_cfg, {})
        assert "pw@" not in json.dumps(answer)
    else:
        with pytest.raises(AppError) as caught:
            ops.put_proxy(paths, Call(), proxy_cfg, {})
        assert caught.value.code == "proxy_url_invalid"


def test_redacted_proxy_url_keeps_its_credentials(paths: EnginePaths) -> None:
    ops.put_proxy(paths, Call(), {"mode": "custom", "url": "http://u:secret-pw@127.0.0.1:3128"}, {})
    shown = ops.show(paths, Call(), {})["proxy"]["url"]
    assert shown == "http://127.0.0.1:3128"
    ops.put_proxy(paths, Call(), {"mode": "custom", "url": shown}, {})
    assert load_config(paths.config_file)["proxy"]["url"] == "http://u:secret-pw@127.0.0.1:3128"


def _through(plan: dict[str, Any], url: str) -> int:
    with proxy.build_client(plan, timeout=10) as client:
        return client.get(url).status_code


def test_every_proxy_mode_against_real_proxies(
    proxies: Proxies, sink: HttpSink, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = sink.url("/models")
    assert _through({"mode": "custom", "url": proxies.http_url}, target + "?via=http") == 200
    assert _through({"mode": "custom", "url": proxies.socks_url}, target + "?via=socks5") == 200
    socks_h = proxies.socks_url.replace("socks5://", "socks5h://")
    assert _through({"mode": "custom", "url": socks_h}, f"http://localhost:{sink.port}/models?via=socks5h") == 200
    assert _through({"mode": "none"}, target + "?via=none") == 200
    monkeypatch.setenv("HTTP_PROXY", proxies.http_url)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    assert _through({"mode": "system"}, target + "?via=system") == 200
    bypass = {"mode": "custom", "url": proxies.http_url, "no_proxy": ["127.0.0.1"]}
    assert _through(bypass, target + "?via=bypass") == 200
    hops = proxies.hops()
    assert hops.count(f"-> 127.0.0.1:{sink.port}") == 3  # http, socks5, system; not none or no_proxy
    assert f"-> localhost:{sink.port}" in hops  # socks5h: the proxy resolved the name
    paths_seen = [r.path for r in sink.requests]
    assert paths_seen == [f"/models?via={v}" for v in ("http", "socks5", "socks5h", "none", "system", "bypass")]
    with pytest.raises(httpx.ConnectError):
        _through({"mode": "custom", "url": "http://127.0.0.1:9"}, target)
