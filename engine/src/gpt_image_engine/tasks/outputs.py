"""Saving a job's files into its folder: atomic writes, names, hashes, artifact records."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from gpt_image_engine.errors import AppError
from gpt_image_engine.jobs.manager import Artifact
from gpt_image_engine.providers.sources import sniff_extension, sniff_mime
from gpt_image_engine.store.artifacts import MIME_BY_EXT, publish_written
from gpt_image_engine.store.atomic import atomic_write_bytes
from gpt_image_engine.store.diskspace import storage_error


def save_file(job_dir: Path, name: str, data: bytes, role: str, index: int) -> Artifact:
    path = job_dir / name
    try:
        atomic_write_bytes(path, data, mode=0o600)
    except OSError as exc:
        raise storage_error(exc, path) from exc
    publish_written(path, background=True)  # whole in the bucket before `completed` (publish_job_dir waits)
    return Artifact(
        path=path,
        role=role,
        index=index,
        mime=MIME_BY_EXT.get(path.suffix.lower(), "application/octet-stream"),
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
    )


def save_images(job_dir: Path, images: list[bytes], stem: str = "out", role: str = "output") -> list[Artifact]:
    """`out.<ext>` for one image, `out-<i>.<ext>` (1-based) for several; ext sniffed.

    Bytes that are not a recognisable image are `missing_image_result` before any file is
    written: an upstream answering 200 with junk must not become a completed job.
    """
    for i, data in enumerate(images):
        if sniff_mime(data) is None:
            raise AppError(
                "missing_image_result",
                "The response's image is not a PNG, JPEG, WEBP, GIF or BMP.",
                {"index": i, "bytes": len(data)},
            )
    if len(images) == 1:
        return [save_file(job_dir, f"{stem}{sniff_extension(images[0])}", images[0], role, 0)]
    return [
        save_file(job_dir, f"{stem}-{i + 1}{sniff_extension(data)}", data, role, i) for i, data in enumerate(images)
    ]


def output_object(artifacts: list[Artifact]) -> dict[str, Any]:
    """The upstream `output` object for files in the engine's job folder."""
    files = [{"index": a.index, "path": str(a.path), "bytes": a.size} for a in artifacts]
    return {
        "path": str(artifacts[0].path) if len(artifacts) == 1 else None,
        "bytes": sum(a.size for a in artifacts),
        "files": files,
    }
