"""Keeping a job's request so it can be run again (`jobs retry`, `resubmit`).

The request message is stored in the job folder with every per-call secret
cleared (keys and forwarded environment never touch the disk; base URLs lose
userinfo and query values). Input images
are copied into the job folder (`ref-<i>.<ext>`, `mask.<ext>`, `input.<ext>`…,
the upstream's layout) and the stored request points at those copies, so a
retry still works after the original uploads have been swept.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from google.protobuf.message import Message

from gpt_image_engine.errors import AppError
from gpt_image_engine.providers.base import InputImage
from gpt_image_engine.providers.sources import sniff_extension
from gpt_image_engine.security.redaction import redact_url
from gpt_image_engine.store.artifacts import publish_written
from gpt_image_engine.store.atomic import atomic_write_bytes

REQUEST_FILE = "rpc_request.bin"
_SECRET_FIELDS = ("api_key", "env_openai_api_key")
# A key may hide in a base URL's userinfo or query; a replay uses the new call's options anyway.
_URL_FIELDS = ("openai_api_base", "endpoint", "env_openai_base_url")


def scrubbed(request: Message) -> Message:
    copy = type(request)()
    copy.CopyFrom(request)
    options = getattr(copy, "options", None)
    if options is not None:
        for name in _SECRET_FIELDS:
            setattr(options, name, "")
        for name in _URL_FIELDS:
            if getattr(options, name, ""):
                setattr(options, name, redact_url(getattr(options, name)))
    return copy


def keep_input(job_id: str, job_dir: Path, stem: str, image: InputImage | bytes, source: Any) -> None:
    """Copy one input image into the job folder and point `source` (an ImageSource) at it."""
    data = image.data if isinstance(image, InputImage) else image
    name = f"{stem}{sniff_extension(data)}"
    atomic_write_bytes(job_dir / name, data)
    publish_written(job_dir / name, best_effort=True)  # the job is running: never fail its RPC here
    source.Clear()
    source.artifact_id = f"{job_id}/{name}"


def save_request(job_dir: Path, method: str, request: Message) -> None:
    atomic_write_bytes(job_dir / REQUEST_FILE, method.encode() + b"\n" + scrubbed(request).SerializeToString())
    publish_written(job_dir / REQUEST_FILE, best_effort=True)


def load_request(job_dir: Path) -> tuple[str, bytes]:
    try:
        blob = (job_dir / REQUEST_FILE).read_bytes()
    except OSError as exc:
        raise AppError(
            "invalid_argument", "This job cannot be retried: its request was not kept.", {"job_id": job_dir.name}
        ) from exc
    method, _, body = blob.partition(b"\n")
    return method.decode(), body
