"""One uploader per storage target type (upstream §9.4): local, s3, webdav, http, sftp.

`upload(name, target, job_id, output, env)` sends one output file and returns an
`UploadOutcome` (public URL when the target has one, bytes, key, detail), or raises a coded
error whose message and detail carry no credential, query string or fragment. Every remote
connection is checked and pinned by `pinning` at connect time. S3 requests are signed with
botocore's SigV4 signer (the same code boto3 uses) and sent through the pinned httpx request;
SFTP goes through asyncssh with the host key pinned by SHA256 before any credential is sent.
Baidu Netdisk and 123 Pan targets are accepted in config but answer
`storage_target_unsupported` here.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import os
import re
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote, urlsplit

import httpx

from gpt_image_engine.errors import AppError
from gpt_image_engine.outputs.pinning import check_host, check_url, pinned_request, safe_url
from gpt_image_engine.security.redaction import redact
from gpt_image_engine.store import secrets as sec

TIMEOUT_ENV = "GPT_IMAGE_2_STORAGE_TIMEOUT_SECONDS"
DEFAULT_TIMEOUT = 120.0
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


@dataclass(frozen=True)
class UploadOutput:
    """One output file of a job."""

    index: int
    path: Path
    mime: str
    sha256: str
    bytes: int


@dataclass
class UploadOutcome:
    key: str
    bytes: int
    url: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)


def object_key(job_id: str, output: UploadOutput) -> str:
    """`<job id>/<index+1>-<file name>`, anything outside [A-Za-z0-9._-] turned into '-'."""
    return f"{_UNSAFE.sub('-', job_id)}/{output.index + 1}-{_UNSAFE.sub('-', output.path.name)}"


def public_url(base: Any, key: str) -> str | None:
    if not isinstance(base, str) or not base.strip():
        return None
    url = base.strip().rstrip("/") + "/" + key.replace(" ", "%20")
    return url if urlsplit(url).scheme in ("http", "https") else None


def timeout_seconds(env: Mapping[str, str]) -> float:
    try:
        return max(0.5, float(env.get(TIMEOUT_ENV) or DEFAULT_TIMEOUT))
    except ValueError:
        return DEFAULT_TIMEOUT


def _secret(target: Mapping[str, Any], field_name: str, env: Mapping[str, str]) -> str | None:
    ref = target.get(field_name)
    if not isinstance(ref, dict):
        return None
    return sec.resolve_credential(ref, env)[0]


def _body_excerpt(response: httpx.Response) -> Any:
    text = response.text[:2048]
    try:
        return redact(json.loads(text))
    except ValueError:
        return text


def _transport_error(code: str, label: str, url: str, exc: Exception, secrets: list[str | None]) -> AppError:
    from gpt_image_engine.security.redaction import redact_secrets_in_text

    kind = "timed out" if isinstance(exc, httpx.TimeoutException) else "could not be reached"
    message = redact_secrets_in_text(f"{label} {kind}.", secrets)
    return AppError(
        code,
        message,
        {"url": safe_url(url), "error": redact_secrets_in_text(type(exc).__name__ + ": " + str(exc), secrets)},
    )


def _status_error(code: str, label: str, url: str, response: httpx.Response) -> AppError:
    return AppError(
        code,
        f"{label} returned HTTP {response.status_code}.",
        {"url": safe_url(url), "status": response.status_code, "body": _body_excerpt(response)},
    )


def _send(
    method: str, url: str, *, allow_private: bool, code: str, label: str, timeout: float, **kwargs: Any
) -> httpx.Response:
    """One pinned request (no proxy, no redirects); the body is read and the connection closed."""
    checked = check_url(
        url, allow_private=allow_private, blocked_code="storage_remote_blocked", invalid_code=code, label=label
    )
    with httpx.Client(trust_env=False, follow_redirects=False, timeout=httpx.Timeout(timeout, connect=10)) as client:
        request = pinned_request(client, method, url, checked, **kwargs)
        response = client.send(request)
        response.read()
        return response


# --- local


def upload_local(name: str, target: Mapping[str, Any], job_id: str, output: UploadOutput) -> UploadOutcome:
    key = object_key(job_id, output)
    root = Path(os.path.expanduser(str(target.get("directory") or "")))
    destination = root / key
    try:
        destination.parent.mkdir(parents=True, exist_ok=True)
        partial = destination.with_name(destination.name + ".part")
        shutil.copyfile(output.path, partial)
        os.replace(partial, destination)
    except OSError as exc:
        raise AppError(
            "storage_local_write_failed",
            f"Could not copy the output into local target {name!r}.",
            {"target": name, "error": exc.strerror or str(exc)},
        ) from None
    return UploadOutcome(
        key=key,
        bytes=output.bytes,
        url=public_url(target.get("public_base_url"), key),
        detail={"path": str(destination)},
    )


# --- s3


def s3_object_url(target: Mapping[str, Any], key: str) -> str:
    bucket = str(target.get("bucket") or "").strip()
    region = str(target.get("region") or "").strip() or "us-east-1"
    prefix = str(target.get("prefix") or "").strip().strip("/")
    full_key = f"{prefix}/{key}" if prefix else key
    quoted = quote(full_key, safe="/-_.~")
    endpoint = str(target.get("endpoint") or "").strip().rstrip("/")
    if endpoint:
        if "{bucket}" in endpoint:
            return f"{endpoint.replace('{bucket}', bucket)}/{quoted}"
        return f"{endpoint}/{quote(bucket, safe='')}/{quoted}"
    host = f"{bucket}.s3.amazonaws.com" if region == "us-east-1" else f"{bucket}.s3.{region}.amazonaws.com"
    return f"https://{host}/{quoted}"


def upload_s3(
    name: str, target: Mapping[str, Any], job_id: str, output: UploadOutput, env: Mapping[str, str], allow_private: bool
) -> UploadOutcome:
    from botocore.auth import S3SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    key = object_key(job_id, output)
    url = s3_object_url(target, key)
    access, secret = _secret(target, "access_key_id", env), _secret(target, "secret_access_key", env)
    token = _secret(target, "session_token", env)
    region = str(target.get("region") or "").strip() or "us-east-1"
    data = output.path.read_bytes()
    request = AWSRequest(
        method="PUT",
        url=url,
        data=data,
        headers={"Content-Type": output.mime, "x-amz-content-sha256": hashlib.sha256(data).hexdigest()},
    )
    S3SigV4Auth(Credentials(access or "", secret or "", token), "s3", region).add_auth(request)
    headers = {k: v for k, v in request.headers.items() if k.lower() != "host"}
    label = f"S3 target {name!r}"
    try:
        response = _send(
            "PUT",
            url,
            allow_private=allow_private,
            code="storage_s3_upload_failed",
            label=label,
            timeout=timeout_seconds(env),
            headers=headers,
            content=data,
        )
    except httpx.HTTPError as exc:
        raise _transport_error("storage_s3_upload_failed", label, url, exc, [secret, token]) from None
    if not 200 <= response.status_code < 300:
        raise _status_error("storage_s3_upload_failed", label, url, response)
    prefix = str(target.get("prefix") or "").strip().strip("/")
    full_key = f"{prefix}/{key}" if prefix else key
    return UploadOutcome(
        key=full_key,
        bytes=len(data),
        url=public_url(target.get("public_base_url"), full_key),
        detail={"bucket": target.get("bucket"), "etag": response.headers.get("etag")},
    )


# --- webdav


def upload_webdav(
    name: str, target: Mapping[str, Any], job_id: str, output: UploadOutput, env: Mapping[str, str], allow_private: bool
) -> UploadOutcome:
    key = object_key(job_id, output)
    base = str(target["url"]).strip().rstrip("/")
    password = _secret(target, "password", env)
    auth: dict[str, str] = {}
    if target.get("username"):
        token = base64.b64encode(f"{target['username']}:{password or ''}".encode()).decode()
        auth["Authorization"] = f"Basic {token}"
    label = f"WebDAV target {name!r}"
    timeout = timeout_seconds(env)
    url = f"{base}/{quote(key, safe='/-_.~')}"
    split = urlsplit(url)
    origin = f"{split.scheme}://{split.netloc}"
    segments = [p for p in split.path.split("/") if p]
    try:
        # MKCOL every folder on the way (the base's own too: it may not exist yet); an existing
        # one answers 405, one the server will not make here 409, and both are fine.
        for depth in range(1, len(segments)):
            folder = origin + "/" + "/".join(segments[:depth]) + "/"
            made = _send(
                "MKCOL",
                folder,
                allow_private=allow_private,
                code="storage_webdav_upload_failed",
                label=label,
                timeout=timeout,
                headers=auth,
            )
            if made.status_code not in (200, 201, 204, 301, 405, 409):
                raise _status_error("storage_webdav_upload_failed", label, folder, made)
        data = output.path.read_bytes()
        response = _send(
            "PUT",
            url,
            allow_private=allow_private,
            code="storage_webdav_upload_failed",
            label=label,
            timeout=timeout,
            content=data,
            headers={**auth, "Content-Type": output.mime},
        )
    except httpx.HTTPError as exc:
        raise _transport_error("storage_webdav_upload_failed", label, url, exc, [password]) from None
    if not 200 <= response.status_code < 300:
        raise _status_error("storage_webdav_upload_failed", label, url, response)
    return UploadOutcome(key=key, bytes=len(data), url=public_url(target.get("public_base_url"), key))


# --- http


def _json_pointer(document: Any, pointer: str) -> Any:
    if pointer in ("", "/"):
        return document
    current = document
    for token in pointer.lstrip("/").split("/"):
        token = token.replace("~1", "/").replace("~0", "~")
        if isinstance(current, dict):
            current = current.get(token)
        elif isinstance(current, list) and token.isdigit() and int(token) < len(current):
            current = current[int(token)]
        else:
            return None
    return current


def upload_http(
    name: str, target: Mapping[str, Any], job_id: str, output: UploadOutput, env: Mapping[str, str], allow_private: bool
) -> UploadOutcome:
    key = object_key(job_id, output)
    url = str(target["url"]).strip()
    method = str(target.get("method") or "POST").upper()
    headers: dict[str, str] = {}
    secrets: list[str | None] = []
    for header, ref in (target.get("headers") or {}).items():
        if header.strip() and isinstance(ref, dict):
            value = sec.resolve_credential(ref, env)[0]
            if value.strip():
                headers[header.strip()] = value
                secrets.append(value)
    label = f"HTTP target {name!r}"
    data = output.path.read_bytes()
    try:
        response = _send(
            method,
            url,
            allow_private=allow_private,
            code="storage_http_upload_failed",
            label=label,
            timeout=timeout_seconds(env),
            headers=headers,
            data={"job_id": job_id, "output_index": str(output.index), "key": key},
            files={"file": (output.path.name, data, output.mime)},
        )
    except httpx.HTTPError as exc:
        raise _transport_error("storage_http_upload_failed", label, url, exc, secrets) from None
    if not 200 <= response.status_code < 300:
        raise _status_error("storage_http_upload_failed", label, url, response)
    link: str | None = None
    pointer = target.get("public_url_json_pointer")
    if isinstance(pointer, str) and pointer.strip():
        try:
            found = _json_pointer(response.json(), pointer.strip())
        except ValueError:
            found = None
        if not isinstance(found, str) or urlsplit(found).scheme not in ("http", "https"):
            raise AppError(
                "storage_http_upload_failed",
                f"{label} answered without an http(s) URL at {pointer}.",
                {"url": safe_url(url), "pointer": pointer, "body": _body_excerpt(response)},
            )
        link = found
    return UploadOutcome(key=key, bytes=len(data), url=link, detail={"status": response.status_code})


# --- sftp


def host_key_matches(expected: str, public_data: bytes) -> bool:
    """The upstream's rule: SHA256 hex (colons allowed) or base64 (padding optional), `SHA256:` optional."""
    value = expected.strip()
    if value[:7].lower() == "sha256:":
        value = value[7:]
    digest = hashlib.sha256(public_data).digest()
    actual_b64 = base64.b64encode(digest).decode()
    return value.replace(":", "").lower() == digest.hex() or value.rstrip("=") == actual_b64.rstrip("=")


def _fingerprint(public_data: bytes) -> str:
    return "SHA256:" + base64.b64encode(hashlib.sha256(public_data).digest()).decode().rstrip("=")


async def _sftp_put(
    name: str,
    target: Mapping[str, Any],
    address: str,
    remote_path: str,
    output: UploadOutput,
    env: Mapping[str, str],
    timeout: float,
) -> str:
    import asyncssh

    expected = str(target.get("host_key_sha256") or "")
    seen: dict[str, str] = {}

    class _Pinned(asyncssh.SSHClient):
        def validate_host_public_key(self, host: str, addr: str, port: int, key: asyncssh.SSHKey) -> bool:
            seen["actual"] = _fingerprint(key.public_data)
            return host_key_matches(expected, key.public_data)

    password = _secret(target, "password", env)
    private_key = _secret(target, "private_key", env)
    options: dict[str, Any] = {"password": password} if password and not private_key else {}
    if private_key:
        options["client_keys"] = [asyncssh.import_private_key(private_key, passphrase=password)]
    else:
        options["client_keys"] = []
    host = str(target["host"]).strip()
    try:
        conn, _ = await asyncio.wait_for(
            asyncssh.create_connection(
                _Pinned,
                address,
                int(target.get("port") or 22),
                username=str(target["username"]).strip(),
                known_hosts=([], [], []),  # nothing trusted but what the pin validates
                server_host_key_algs="default",
                host_key_alias=host,
                agent_path=None,
                config=[],
                login_timeout=timeout,
                **options,
            ),
            timeout,
        )
    except asyncssh.HostKeyNotVerifiable:
        raise AppError(
            "storage_sftp_host_key_mismatch",
            "SFTP host key fingerprint does not match; nothing was sent.",
            {"target": name, "expected": expected, "actual": seen.get("actual")},
        ) from None
    except asyncssh.PermissionDenied:
        raise AppError(
            "storage_sftp_auth_failed", f"SFTP server refused the credentials of target {name!r}.", {"target": name}
        ) from None
    except (OSError, asyncssh.Error, TimeoutError) as exc:
        raise AppError(
            "storage_sftp_connect_failed",
            f"Unable to connect to the SFTP server of target {name!r}.",
            {"target": name, "host": host, "port": target.get("port"), "error": type(exc).__name__ + ": " + str(exc)},
        ) from None
    try:
        async with conn, conn.start_sftp_client() as sftp:
            parent = str(PurePosixPath(remote_path).parent)
            await sftp.makedirs(parent, exist_ok=True)
            await asyncio.wait_for(sftp.put(str(output.path), remote_path), timeout)
    except (OSError, asyncssh.Error, TimeoutError) as exc:
        raise AppError(
            "storage_sftp_write_failed",
            f"Unable to write the remote file of SFTP target {name!r}.",
            {"target": name, "path": remote_path, "error": type(exc).__name__ + ": " + str(exc)},
        ) from None
    return seen.get("actual", "")


def upload_sftp(
    name: str, target: Mapping[str, Any], job_id: str, output: UploadOutput, env: Mapping[str, str], allow_private: bool
) -> UploadOutcome:
    key = object_key(job_id, output)
    checked = check_host(
        str(target["host"]).strip(),
        int(target.get("port") or 22),
        allow_private=allow_private,
        blocked_code="storage_remote_blocked",
        label=f"SFTP target {name!r}",
    )
    remote_path = str(PurePosixPath(str(target["remote_dir"]).strip()) / key)
    fingerprint = asyncio.run(_sftp_put(name, target, checked.address, remote_path, output, env, timeout_seconds(env)))
    return UploadOutcome(
        key=key,
        bytes=output.bytes,
        url=public_url(target.get("public_base_url"), key),
        detail={"remote_path": remote_path, "host_key_sha256": fingerprint},
    )


# --- dispatch


def upload(
    name: str, target: Mapping[str, Any], job_id: str, output: UploadOutput, env: Mapping[str, str], allow_private: bool
) -> UploadOutcome:
    kind = target.get("type")
    if not output.path.is_file():
        raise AppError("storage_source_missing", "Generated output file is missing.", {"index": output.index})
    if kind == "local":
        return upload_local(name, target, job_id, output)
    if kind == "s3":
        return upload_s3(name, target, job_id, output, env, allow_private)
    if kind == "webdav":
        return upload_webdav(name, target, job_id, output, env, allow_private)
    if kind == "http":
        return upload_http(name, target, job_id, output, env, allow_private)
    if kind == "sftp":
        return upload_sftp(name, target, job_id, output, env, allow_private)
    raise AppError(
        "storage_target_unsupported",
        f"Uploading to {kind} targets is not implemented yet; target {name!r} was skipped.",
        {"target": name, "target_type": kind},
    )
