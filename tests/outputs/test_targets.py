"""Every storage type uploads to a real server on 127.0.0.1 (SeaweedFS S3, WsgiDAV, asyncssh SFTP,
an HTTP upload endpoint, a folder); bad hosts, keys and host keys are refused with the upstream codes."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from gpt_image_engine.errors import AppError
from gpt_image_engine.outputs import targets
from gpt_image_engine.outputs.targets import UploadOutput
from tests.outputs.servers import HttpSink, SeaweedS3, Sftp, WebDav, free_port

ENV: dict[str, str] = {"GPT_IMAGE_2_STORAGE_TIMEOUT_SECONDS": "5"}


def output(path: Path) -> UploadOutput:
    data = path.read_bytes()
    return UploadOutput(0, path, "image/png", hashlib.sha256(data).hexdigest(), len(data))


def s3_target(server: SeaweedS3, **over: Any) -> dict[str, Any]:
    target = {
        "type": "s3",
        "bucket": server.bucket,
        "endpoint": server.endpoint,
        "prefix": "gpt/outputs",
        "access_key_id": {"source": "file", "value": server.access_key},
        "secret_access_key": {"source": "env", "env": "S3_SECRET"},
        "public_base_url": "https://cdn.example.test/img",
    }
    target.update(over)
    return target


def test_s3_put_is_signed_and_lands_under_the_prefix(s3_server: SeaweedS3, out_file: Path) -> None:
    env = {**ENV, "S3_SECRET": s3_server.secret_key}
    outcome = targets.upload("cloud", s3_target(s3_server), "job-1 x", output(out_file), env, True)
    assert outcome.key == "gpt/outputs/job-1-x/1-out.png"
    assert outcome.url == "https://cdn.example.test/img/gpt/outputs/job-1-x/1-out.png"
    stored = s3_server.client().get_object(Bucket=s3_server.bucket, Key=outcome.key)
    assert stored["Body"].read() == out_file.read_bytes()
    assert stored["ContentType"] == "image/png"


def test_s3_wrong_secret_is_refused_and_the_secret_is_not_echoed(s3_server: SeaweedS3, out_file: Path) -> None:
    env = {**ENV, "S3_SECRET": "definitely-wrong-secret"}
    with pytest.raises(AppError) as caught:
        targets.upload("cloud", s3_target(s3_server), "job-2", output(out_file), env, True)
    assert caught.value.code == "storage_s3_upload_failed"
    assert caught.value.detail["status"] == 403
    assert "definitely-wrong-secret" not in json.dumps(caught.value.to_envelope())


def test_s3_to_loopback_without_the_operator_allowance_is_blocked(s3_server: SeaweedS3, out_file: Path) -> None:
    env = {**ENV, "S3_SECRET": s3_server.secret_key}
    with pytest.raises(AppError) as caught:
        targets.upload("cloud", s3_target(s3_server), "job-3", output(out_file), env, False)
    assert caught.value.code == "storage_remote_blocked"


def test_metadata_address_is_refused_even_with_the_allowance(out_file: Path) -> None:
    target = {"type": "webdav", "url": "http://169.254.169.254/latest/"}
    with pytest.raises(AppError) as caught:
        targets.upload("meta", target, "job-4", output(out_file), ENV, True)
    assert caught.value.code == "storage_remote_blocked"


def test_webdav_makes_the_folders_then_puts(webdav_server: WebDav, out_file: Path) -> None:
    target = {
        "type": "webdav",
        "url": webdav_server.url + "/archive",
        "username": webdav_server.username,
        "password": {"source": "file", "value": webdav_server.password},
        "public_base_url": "https://dav.example.test",
    }
    outcome = targets.upload("dav", target, "job-5", output(out_file), ENV, True)
    assert (webdav_server.root / "archive" / "job-5" / "1-out.png").read_bytes() == out_file.read_bytes()
    assert outcome.url == "https://dav.example.test/job-5/1-out.png"


def test_webdav_wrong_password_is_an_auth_failure(webdav_server: WebDav, out_file: Path) -> None:
    target = {
        "type": "webdav",
        "url": webdav_server.url,
        "username": webdav_server.username,
        "password": {"source": "file", "value": "not-the-password"},
    }
    with pytest.raises(AppError) as caught:
        targets.upload("dav", target, "job-6", output(out_file), ENV, True)
    assert caught.value.code == "storage_webdav_upload_failed"
    assert caught.value.detail["status"] == 401
    assert "not-the-password" not in json.dumps(caught.value.to_envelope())


def sftp_target(server: Sftp, **over: Any) -> dict[str, Any]:
    target = {
        "type": "sftp",
        "host": "127.0.0.1",
        "port": server.port,
        "host_key_sha256": server.fingerprint,
        "username": server.username,
        "password": {"source": "file", "value": server.password},
        "remote_dir": "/uploads/images",
    }
    target.update(over)
    return target


def test_sftp_password_upload_with_pinned_host_key(sftp_server: Sftp, out_file: Path) -> None:
    outcome = targets.upload("box", sftp_target(sftp_server), "job-7", output(out_file), ENV, True)
    assert (sftp_server.root / "uploads" / "images" / "job-7" / "1-out.png").read_bytes() == out_file.read_bytes()
    assert outcome.detail["host_key_sha256"] == sftp_server.fingerprint


def test_sftp_private_key_upload_with_hex_fingerprint(sftp_server: Sftp, out_file: Path) -> None:
    digest = hashlib.sha256(sftp_server.host_key.convert_to_public().public_data).hexdigest()
    target = sftp_target(
        sftp_server,
        host_key_sha256=":".join(digest[i : i + 2] for i in range(0, len(digest), 2)),
        password=None,
        private_key={"source": "file", "value": sftp_server.private_key_pem()},
    )
    targets.upload("box", target, "job-8", output(out_file), ENV, True)
    assert (sftp_server.root / "uploads" / "images" / "job-8" / "1-out.png").is_file()


def test_sftp_host_key_mismatch_sends_nothing(sftp_server: Sftp, out_file: Path) -> None:
    before = list(sftp_server.logins)
    target = sftp_target(sftp_server, host_key_sha256="SHA256:" + "A" * 43)
    with pytest.raises(AppError) as caught:
        targets.upload("box", target, "job-9", output(out_file), ENV, True)
    assert caught.value.code == "storage_sftp_host_key_mismatch"
    assert caught.value.detail["actual"] == sftp_server.fingerprint
    assert sftp_server.logins == before  # no password or key was offered
    assert not (sftp_server.root / "uploads" / "images" / "job-9").exists()


def test_sftp_wrong_password_and_down_server(sftp_server: Sftp, out_file: Path) -> None:
    with pytest.raises(AppError) as caught:
        bad = sftp_target(sftp_server, password={"source": "file", "value": "wrong"})
        targets.upload("box", bad, "job-10", output(out_file), ENV, True)
    assert caught.value.code == "storage_sftp_auth_failed"
    with pytest.raises(AppError) as down:
        targets.upload("box", sftp_target(sftp_server, port=free_port()), "job-10", output(out_file), ENV, True)
    assert down.value.code == "storage_sftp_connect_failed"


def test_http_multipart_upload_reads_the_url_by_json_pointer(sink: HttpSink, out_file: Path) -> None:
    target = {
        "type": "http",
        "url": sink.url("/upload?token=query-secret"),
        "method": "PUT",
        "headers": {"Authorization": {"source": "env", "env": "UPLOAD_TOKEN"}},
        "public_url_json_pointer": "/data/url",
    }
    env = {**ENV, "UPLOAD_TOKEN": "Bearer upload-token-xyz"}
    outcome = targets.upload("up", target, "job-11", output(out_file), env, True)
    assert outcome.url == "https://cdn.example.test/files/1.png"
    recorded = sink.requests[-1]
    assert recorded.method == "PUT"
    assert recorded.headers["Authorization"] == "Bearer upload-token-xyz"
    assert b'name="job_id"' in recorded.body and b"job-11" in recorded.body
    assert b'name="key"' in recorded.body and b"job-11/1-out.png" in recorded.body
    assert out_file.read_bytes() in recorded.body


def test_http_error_text_has_no_query_string(sink: HttpSink, out_file: Path) -> None:
    sink.status = 503
    target = {"type": "http", "url": sink.url("/upload?token=query-secret#frag")}
    with pytest.raises(AppError) as caught:
        targets.upload("up", target, "job-12", output(out_file), ENV, True)
    assert caught.value.code == "storage_http_upload_failed"
    text = json.dumps(caught.value.to_envelope())
    assert "query-secret" not in text and "frag" not in text and "503" in text


def test_local_copies_and_the_cloud_drives_are_unsupported(tmp_path: Path, out_file: Path) -> None:
    outcome = targets.upload(
        "disk", {"type": "local", "directory": str(tmp_path / "lib")}, "j", output(out_file), ENV, True
    )
    assert (tmp_path / "lib" / "j" / "1-out.png").read_bytes() == out_file.read_bytes()
    assert outcome.url is None
    for kind in ("baidu_netdisk", "pan123_open"):
        with pytest.raises(AppError) as caught:
            targets.upload("drive", {"type": kind}, "j", output(out_file), ENV, True)
        assert caught.value.code == "storage_target_unsupported"


def test_a_target_that_never_answers_times_out(out_file: Path) -> None:
    import socket
    import time

    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(4)  # accepts connections, never answers
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/upload"
        started = time.monotonic()
        with pytest.raises(AppError) as caught:
            targets.upload(
                "up", {"type": "http", "url": url}, "j", output(out_file), {**ENV, targets.TIMEOUT_ENV: "1"}, True
            )
    assert caught.value.code == "storage_http_upload_failed"
    assert "timed out" in caught.value.message
    assert time.monotonic() - started < 10


@pytest.mark.parametrize(
    ("extra", "url"),
    [
        ({}, "https://b.s3.amazonaws.com/p/j/1-out.png"),
        ({"region": "eu-west-1"}, "https://b.s3.eu-west-1.amazonaws.com/p/j/1-out.png"),
        ({"endpoint": "https://minio.example.test:9000/"}, "https://minio.example.test:9000/b/p/j/1-out.png"),
        ({"endpoint": "https://{bucket}.r2.example.test"}, "https://b.r2.example.test/p/j/1-out.png"),
    ],
)
def test_s3_object_urls(extra: dict[str, str], url: str) -> None:
    assert targets.s3_object_url({"bucket": "b", "prefix": "/p/", **extra}, "j/1-out.png") == url
