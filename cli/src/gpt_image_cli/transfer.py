"""Files across the gRPC boundary: chunked uploads of inputs, chunked downloads
of outputs (sha256-checked), and atomic writes with the upstream's output naming.

Naming (upstream §5.7): one image -> `--out`, with a sniffed extension appended
when `--out` has none; several -> `<parent>/<stem>-<i>.<ext>` with i from 1.
Every file is written to a temp file in its target directory and renamed only
once all downloads succeeded, so a failure leaves nothing at `--out`.
"""

from __future__ import annotations

import contextlib
import hashlib
import mimetypes
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gpt_image.v1 import artifacts_pb2, common_pb2
from gpt_image_cli.connect import Engine
from gpt_image_cli.validate import ImageInput
from gpt_image_protocol.channel import CHUNK_SIZE
from gpt_image_protocol.errors import AppError
from gpt_image_protocol.jsonshape import ROLES
from gpt_image_protocol.uploads import upload_requests

_MIME_EXT = {
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/jpg": ".jpg",
    "image/webp": ".webp",
    "image/gif": ".gif",
    "image/bmp": ".bmp",
    "application/json": ".json",
}


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(CHUNK_SIZE), b""):
            digest.update(block)
    return digest.hexdigest()


def _upload_messages(path: Path, size: int, sha: str) -> Iterator[artifacts_pb2.UploadArtifactRequest]:
    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    with path.open("rb") as handle:
        yield from upload_requests(path.name, mime, handle, size, sha)


def upload_file(engine: Engine, path: Path) -> common_pb2.ArtifactRef:
    """Upload a local file in CHUNK_SIZE chunks (header first) and return its ref."""
    try:
        size = path.stat().st_size
        sha = sha256_file(path)
    except OSError as exc:
        raise AppError(
            "ref_image_invalid", f"Unable to read image file: {path}", {"path": str(path), "error": str(exc)}
        ) from exc
    ref: common_pb2.ArtifactRef = engine.artifacts.UploadArtifact(_upload_messages(path, size, sha))
    return ref


def image_source(engine: Engine, item: ImageInput) -> common_pb2.ImageSource:
    """An ImageSource for an input: uploaded artifact for local files, url otherwise."""
    if item.path is not None:
        return common_pb2.ImageSource(artifact_id=upload_file(engine, item.path).artifact_id)
    return common_pb2.ImageSource(url=item.url or item.text)


def extension_for(ref: common_pb2.ArtifactRef) -> str:
    """The file extension an artifact should get: from its mime type, else its name."""
    ext = _MIME_EXT.get(ref.mime_type.lower())
    if ext:
        return ext
    suffix = Path(ref.name).suffix.lower()
    if suffix:
        return ".jpg" if suffix == ".jpeg" else suffix
    return ".bin"


def output_paths(out: Path, refs: list[common_pb2.ArtifactRef]) -> list[Path]:
    """Upstream naming for the output files of one job."""
    if len(refs) == 1:
        return [out if out.suffix else out.with_name(out.name + extension_for(refs[0]))]
    paths = []
    for i, ref in enumerate(refs, start=1):
        ext = out.suffix or extension_for(ref)
        stem = out.stem if out.suffix else out.name
        paths.append(out.with_name(f"{stem}-{i}{ext}"))
    return paths


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _download_to_temp(engine: Engine, ref: common_pb2.ArtifactRef, target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    tmp = Path(tmp_name)
    # mkstemp makes the temp file 0600; the user's image is an ordinary file: 0666 less the umask.
    os.fchmod(fd, 0o666 & ~_umask())
    digest = hashlib.sha256()
    written = 0
    try:
        with os.fdopen(fd, "wb") as handle:
            for chunk in engine.artifacts.DownloadArtifact(
                artifacts_pb2.DownloadArtifactRequest(artifact_id=ref.artifact_id)
            ):
                if chunk.offset != written:
                    raise AppError(
                        "artifact_invalid", "Artifact chunks arrived out of order.", {"artifact_id": ref.artifact_id}
                    )
                handle.write(chunk.data)
                digest.update(chunk.data)
                written += len(chunk.data)
        if ref.size_bytes and written != ref.size_bytes:
            raise AppError(
                "artifact_invalid",
                "Downloaded artifact size does not match.",
                {"artifact_id": ref.artifact_id, "expected": ref.size_bytes, "actual": written},
            )
        if ref.sha256 and digest.hexdigest() != ref.sha256.lower():
            raise AppError(
                "artifact_invalid", "Downloaded artifact sha256 does not match.", {"artifact_id": ref.artifact_id}
            )
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    return tmp


@dataclass(frozen=True)
class SavedFile:
    index: int
    path: Path
    bytes: int


def save_artifacts(engine: Engine, refs: list[common_pb2.ArtifactRef], targets: list[Path]) -> list[SavedFile]:
    """Download every ref to its target; rename into place only when all succeeded."""
    temps: list[Path] = []
    try:
        for ref, target in zip(refs, targets, strict=True):
            temps.append(_download_to_temp(engine, ref, target))
        saved = []
        for index, (tmp, target) in enumerate(zip(temps, targets, strict=True)):
            os.replace(tmp, target)
            saved.append(SavedFile(index=index, path=target.resolve(), bytes=target.stat().st_size))
        return saved
    except OSError as exc:
        raise AppError("output_write_failed", f"Unable to write output: {exc}", {"error": str(exc)}) from exc
    finally:
        for tmp in temps:
            with contextlib.suppress(OSError):
                tmp.unlink()


def output_object(saved: list[SavedFile]) -> dict[str, Any]:
    """The upstream `output` object: {path, bytes, files:[{index, path, bytes}]}."""
    files = [{"index": s.index, "path": str(s.path), "bytes": s.bytes} for s in saved]
    return {
        "path": str(saved[0].path) if len(saved) == 1 else None,
        "bytes": sum(s.bytes for s in saved),
        "files": files,
    }


def by_role(refs: list[common_pb2.ArtifactRef], role: str) -> list[common_pb2.ArtifactRef]:
    number = ROLES.get(role)
    return sorted((r for r in refs if r.artifact_role == number), key=lambda r: r.index)


def save_outputs(
    engine: Engine, refs: list[common_pb2.ArtifactRef], out: Path, *, force_png: bool = False
) -> dict[str, Any] | None:
    """Save role "output" artifacts to `out` with upstream naming; None when there are none."""
    outputs = by_role(refs, "output")
    if not outputs:
        return None
    if force_png:
        out = out.with_suffix(".png")
    return output_object(save_artifacts(engine, outputs, output_paths(out, outputs)))


def save_partials(engine: Engine, refs: list[common_pb2.ArtifactRef], beside: Path) -> list[dict[str, Any]]:
    """Partial previews saved as partial-<i>.png (i from 1) next to the output."""
    partials = by_role(refs, "partial")
    if not partials:
        return []
    targets = [beside.parent / f"partial-{i}.png" for i in range(1, len(partials) + 1)]
    saved = save_artifacts(engine, partials, targets)
    return [{"index": s.index, "path": str(s.path), "bytes": s.bytes} for s in saved]
