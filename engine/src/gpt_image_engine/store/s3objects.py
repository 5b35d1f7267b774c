"""`S3Objects`: the object seam on an S3-compatible bucket (AWS S3, SeaweedFS, MinIO, R2, ...).

Built on botocore, which the engine already depends on (the S3 storage target signs with
it); boto3's resource layer and s3transfer add nothing this module needs: multipart upload
and ranged GET are four client calls. Every engine of a cluster points at the same
`s3://bucket/prefix`; keys are `<prefix><uploads|jobs>/<id>/<name>`.

* Atomic puts: a body up to `PART_SIZE` is one PUT; a larger one is a multipart upload
  whose parts are sent as they arrive (never the whole file in memory) and committed by
  CompleteMultipartUpload only after the caller's size/sha256 check passed; any failure
  aborts the upload, so a reader sees the whole object or none.
* sha256 travels as object metadata (`x-amz-meta-sha256`), so `describe` is one HEAD.
* Downloads are ranged GETs streamed in `CHUNK_SIZE` blocks (a resumed download asks for
  `bytes=<offset>-`).
* Endpoint, region and credentials: `?endpoint=` / `?region=` in the URL, else
  AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL and AWS_REGION / AWS_DEFAULT_REGION, and keys from
  AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN or botocore's usual chain
  (profile, web identity, instance role). Errors name the bucket, the endpoint and the
  S3 error code, never a key or a signature.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from gpt_image_engine.errors import AppError
from gpt_image_engine.security.redaction import redact_url
from gpt_image_engine.store.objects import (
    CHUNK_SIZE,
    ArtifactsUrl,
    Check,
    ObjectInfo,
    ObjectMissing,
    file_sha256,
)

PART_SIZE = 8 * 1024 * 1024  # S3's minimum part is 5 MiB; 8 MiB keeps 20 MB outputs at 3 parts
_MISSING = {"NoSuchKey", "404", "NotFound"}
_NO_BUCKET = {"NoSuchBucket"}
_REFUSED = {"InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied", "403", "InvalidToken", "ExpiredToken"}


class S3Objects:
    kind = "s3"

    def __init__(
        self, client: Any, bucket: str, prefix: str = "", endpoint: str | None = None, region: str = ""
    ) -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = prefix
        self.endpoint = endpoint
        self.region = region
        self._sha_cache: dict[tuple[str, str], str] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_url(cls, url: ArtifactsUrl, env: Mapping[str, str]) -> S3Objects:
        import botocore.session
        from botocore.config import Config

        endpoint = url.endpoint or env.get("AWS_ENDPOINT_URL_S3") or env.get("AWS_ENDPOINT_URL") or None
        region = url.region or env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1"
        style = url.addressing_style or ("path" if endpoint else "auto")
        config = Config(
            s3={"addressing_style": style},
            retries={"mode": "standard", "max_attempts": 3},
            max_pool_connections=32,
            connect_timeout=5,
            read_timeout=60,
            # Checksums only where S3 requires them: several S3-compatible servers reject the
            # CRC32 trailers newer botocore adds by default. Integrity is our own sha256.
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        )
        keys: dict[str, str] = {}
        if env.get("AWS_ACCESS_KEY_ID") and env.get("AWS_SECRET_ACCESS_KEY"):
            keys = {
                "aws_access_key_id": env["AWS_ACCESS_KEY_ID"],
                "aws_secret_access_key": env["AWS_SECRET_ACCESS_KEY"],
            }
            if env.get("AWS_SESSION_TOKEN"):
                keys["aws_session_token"] = env["AWS_SESSION_TOKEN"]
        session = botocore.session.Session()
        try:
            client = session.create_client("s3", region_name=region, endpoint_url=endpoint, config=config, **keys)
        except Exception as exc:  # a malformed endpoint URL
            raise AppError(
                "artifact_store_config_invalid",
                f"The artifact store endpoint {redact_url(endpoint or '')!r} is not usable: {type(exc).__name__}.",
            ) from None
        return cls(client, url.bucket, url.prefix, endpoint, region)

    # --- errors
    @property
    def where(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"

    def _unavailable(self, exc: BaseException, action: str) -> AppError:
        code, status = _error_code(exc)
        if code in _NO_BUCKET or (action == "head_bucket" and code in _MISSING):
            reason, hint = "the bucket does not exist", "Create the bucket or fix GPT_IMAGE_2_ARTIFACTS_URL."
        elif code in _REFUSED:
            reason, hint = "the store refused the credentials", "Check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY."
        elif type(exc).__name__ in ("NoCredentialsError", "PartialCredentialsError"):
            reason, hint = "no credentials were found", "Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY."
        elif code:
            reason, hint = f"the store answered {code}", "Check the bucket policy and the endpoint."
        else:
            reason = f"the endpoint could not be reached ({type(exc).__name__})"
            hint = "Check AWS_ENDPOINT_URL_S3 and that the store is up."
        detail: dict[str, object] = {
            "store": self.where,
            "endpoint": redact_url(self.endpoint) if self.endpoint else "(AWS default)",
            "action": action,
            "s3_error": code or type(exc).__name__,
            "hint": hint,
        }
        if status:
            detail["http_status"] = status
        return AppError("artifact_store_unavailable", f"Artifact store {self.where}: {reason}.", detail)

    def _call(self, action: str, key: str | None, fn: Any, **kwargs: Any) -> Any:
        try:
            return fn(Bucket=self.bucket, **kwargs)
        except Exception as exc:
            code, _ = _error_code(exc)
            if key is not None and code in _MISSING:
                raise ObjectMissing(key) from None
            if code == "InvalidRange":
                raise
            raise self._unavailable(exc, action) from None

    def check(self) -> None:
        """HEAD the bucket: missing, refused or unreachable is `artifact_store_unavailable` now."""
        self._call("head_bucket", None, self.client.head_bucket)

    # --- the seam
    def local_path(self, key: str) -> Path | None:
        return None

    def put_stream(self, key: str, chunks: Iterable[bytes], check: Check | None = None, sha256: str = "") -> ObjectInfo:
        """Stream into the bucket; a declared `sha256` is stored at once, else it is set after commit."""
        digest = hashlib.sha256()
        size = 0
        buffer = bytearray()
        stream = iter(chunks)
        upload_id: str | None = None
        parts: list[dict[str, Any]] = []
        full = self.prefix + key
        meta = {"sha256": sha256.lower()} if sha256 else {}
        try:
            for chunk in stream:
                size += len(chunk)
                digest.update(chunk)
                buffer += chunk
                while len(buffer) >= PART_SIZE + (0 if upload_id else 1):
                    if upload_id is None:
                        started = self._call(
                            "create_multipart_upload", key, self.client.create_multipart_upload, Key=full, Metadata=meta
                        )
                        upload_id = str(started["UploadId"])
                    part = bytes(buffer[:PART_SIZE])
                    del buffer[:PART_SIZE]
                    parts.append(self._part(key, full, upload_id, len(parts) + 1, part))
            actual = digest.hexdigest()
            if check is not None:
                check(size, actual)
            if upload_id is None:
                self._call(
                    "put_object", key, self.client.put_object, Key=full, Body=bytes(buffer), Metadata={"sha256": actual}
                )
                return ObjectInfo(key, size, actual)
            if buffer or not parts:
                parts.append(self._part(key, full, upload_id, len(parts) + 1, bytes(buffer)))
            self._call(
                "complete_multipart_upload",
                key,
                self.client.complete_multipart_upload,
                Key=full,
                UploadId=upload_id,
                MultipartUpload={"Parts": parts},
            )
            upload_id = None
        except BaseException:
            if upload_id is not None:
                self._abort(full, upload_id)
            raise
        if meta.get("sha256") != actual:  # no sha256 was declared up front: record it now
            self._call(
                "copy_object",
                key,
                self.client.copy_object,
                Key=full,
                CopySource={"Bucket": self.bucket, "Key": full},
                Metadata={"sha256": actual},
                MetadataDirective="REPLACE",
            )
        return ObjectInfo(key, size, actual)

    def _part(self, key: str, full: str, upload_id: str, number: int, body: bytes) -> dict[str, Any]:
        answer = self._call(
            "upload_part", key, self.client.upload_part, Key=full, UploadId=upload_id, PartNumber=number, Body=body
        )
        return {"PartNumber": number, "ETag": answer["ETag"]}

    def _abort(self, full: str, upload_id: str) -> None:
        try:
            self.client.abort_multipart_upload(Bucket=self.bucket, Key=full, UploadId=upload_id)
        except Exception:  # best effort: the bucket's lifecycle rule removes stale parts
            pass

    def put_file(self, key: str, path: Path, sha256: str = "") -> ObjectInfo:
        sha = sha256 or file_sha256(path)
        with open(path, "rb") as fh:
            return self.put_stream(key, iter(lambda: fh.read(PART_SIZE), b""), sha256=sha)

    def get(self, key: str) -> bytes:
        return b"".join(self.iter_chunks(key))

    def iter_chunks(self, key: str, offset: int = 0) -> Iterator[bytes]:
        """A ranged GET from `offset`, streamed; the request is made now (a missing key raises here)."""
        extra = {"Range": f"bytes={offset}-"} if offset > 0 else {}
        try:
            answer = self._call("get_object", key, self.client.get_object, Key=self.prefix + key, **extra)
        except Exception as exc:
            if _error_code(exc)[0] == "InvalidRange":  # offset at or past the end
                return iter(())
            raise
        body = answer["Body"]

        def blocks() -> Iterator[bytes]:
            try:
                yield from body.iter_chunks(CHUNK_SIZE)
            except Exception as exc:
                raise self._unavailable(exc, "get_object") from None
            finally:
                body.close()

        return blocks()

    def describe(self, key: str) -> ObjectInfo:
        head = self._call("head_object", key, self.client.head_object, Key=self.prefix + key)
        size = int(head["ContentLength"])
        sha = str((head.get("Metadata") or {}).get("sha256") or "")
        if not sha:  # written by something else: hash it once per version
            tag = (key, str(head.get("ETag")))
            with self._lock:
                sha = self._sha_cache.get(tag, "")
            if not sha:
                digest = hashlib.sha256()
                for block in self.iter_chunks(key):
                    digest.update(block)
                sha = digest.hexdigest()
                with self._lock:
                    self._sha_cache[tag] = sha
        modified = head.get("LastModified")
        return ObjectInfo(key, size, sha, modified.timestamp() if modified else 0.0)

    def list(self, prefix: str) -> Iterator[ObjectInfo]:
        paginator = self.client.get_paginator("list_objects_v2")
        try:
            for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix + prefix):
                for item in page.get("Contents") or []:
                    key = str(item["Key"])[len(self.prefix) :]
                    modified = item.get("LastModified")
                    yield ObjectInfo(key, int(item["Size"]), "", modified.timestamp() if modified else 0.0)
        except AppError:
            raise
        except Exception as exc:
            raise self._unavailable(exc, "list_objects_v2") from None

    def delete(self, key: str) -> None:
        self._call("delete_object", None, self.client.delete_object, Key=self.prefix + key)

    def delete_prefix(self, prefix: str) -> int:
        keys = [self.prefix + info.key for info in self.list(prefix)]
        for start in range(0, len(keys), 1000):
            batch = [{"Key": k} for k in keys[start : start + 1000]]
            self._call("delete_objects", None, self.client.delete_objects, Delete={"Objects": batch, "Quiet": True})
        return len(keys)

    def status(self) -> dict[str, object]:
        """What `doctor` shows: kind, bucket, prefix, endpoint and whether a HEAD answered (no secrets)."""
        out: dict[str, object] = {
            "kind": "s3",
            "bucket": self.bucket,
            "prefix": self.prefix,
            "endpoint": redact_url(self.endpoint) if self.endpoint else "(AWS default)",
            "region": self.region,
        }
        try:
            self.check()
            out["reachable"] = True
        except AppError as err:
            out["reachable"] = False
            out["error"] = err.to_envelope()
        return out


def _error_code(exc: BaseException) -> tuple[str, int | None]:
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        error = response.get("Error") or {}
        status = (response.get("ResponseMetadata") or {}).get("HTTPStatusCode")
        return str(error.get("Code") or status or ""), status if isinstance(status, int) else None
    return "", None
