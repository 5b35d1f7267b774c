"""Artifact files: uploads from clients and the files jobs produce, addressed by opaque ids.

Ids are `u-<hex>/<name>` for uploads (kept under `uploads/`) and
`<job-id>/<name>` for job files (under `jobs/`). Every id is checked against a
strict pattern before it touches the file system, so no id can reach outside
those two folders. Uploads are written to a temp file and renamed only when the
declared size and sha256 match. The upload cap is `MAX_UPLOAD_BYTES` unless the
engine's environment sets `GPT_IMAGE_2_MAX_UPLOAD_BYTES` (a positive integer); an
upload that crosses it mid-stream is refused at once and its folder removed.

The uploads folder as a whole is capped too (`MAX_UPLOADS_TOTAL_BYTES`, or
`GPT_IMAGE_2_MAX_UPLOADS_TOTAL_BYTES`): before an upload is taken, uploads older than a
day go, then the oldest others until the new one fits; one that cannot fit even in an
empty folder is `storage_full`. `discard_upload` removes an upload at once (the engine
calls it for every upload a refused request named).
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import secrets
import shutil
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from gpt_image_engine.errors import AppError

CHUNK_SIZE = 1024 * 1024
MAX_UPLOAD_BYTES = 256 * 1024 * 1024
MAX_UPLOAD_ENV = "GPT_IMAGE_2_MAX_UPLOAD_BYTES"
UPLOAD_TTL_SECONDS = 24 * 3600
MAX_UPLOADS_TOTAL_BYTES = 1024 * 1024 * 1024
MAX_UPLOADS_TOTAL_ENV = "GPT_IMAGE_2_MAX_UPLOADS_TOTAL_BYTES"

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
_JOB = re.compile(r"^job-[A-Za-z0-9_-]{1,80}$")
_UPLOAD = re.compile(r"^u-[0-9a-f]{32}$")

MIME_BY_EXT = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".webp": "image/webp",
    ".gif": "image/gif",
    ".bmp": "image/bmp",
    ".json": "application/json",
}


def max_upload_bytes() -> int:
    """The upload cap: `GPT_IMAGE_2_MAX_UPLOAD_BYTES` when it is a positive integer, else the default."""
    text = os.environ.get(MAX_UPLOAD_ENV, "").strip()
    if text.isascii() and text.isdigit() and int(text) > 0:
        return int(text)
    return MAX_UPLOAD_BYTES


def max_uploads_total_bytes() -> int:
    text = os.environ.get(MAX_UPLOADS_TOTAL_ENV, "").strip()
    if text.isascii() and text.isdigit() and int(text) > 0:
        return int(text)
    return MAX_UPLOADS_TOTAL_BYTES


def is_upload_id(artifact_id: str) -> bool:
    head, _, name = artifact_id.partition("/")
    return bool(_UPLOAD.match(head) and _NAME.match(name))


def _name_chars(text: str) -> str:
    return "".join(ch for ch in text if (ch.isascii() and ch.isalnum()) or ch in "._-")


def safe_name(name: str, default: str = "upload.bin") -> str:
    """A file name `resolve` accepts (ASCII letters, digits, `._-`, at most 128), keeping the
    extension the MIME type is read from: `照片.png` becomes `upload.png`, not an id no call finds."""
    base = PurePosixPath(os.path.basename(name or ""))
    suffix = _name_chars(base.suffix)
    suffix = suffix if len(suffix) > 1 else ""
    stem = _name_chars(base.stem if base.suffix else base.name).lstrip(".-_")
    if not stem:
        return "upload" + suffix if suffix else default
    return stem[: 128 - len(suffix)] + suffix


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(CHUNK_SIZE), b""):
            digest.update(block)
    return digest.hexdigest()


@functools.lru_cache(maxsize=4096)
def _sha256_cached(path: str, inode: int, size: int, mtime_ns: int) -> str:
    """sha256 of a file, remembered per (inode, size, mtime): files are written once by rename,
    so a repeated download does not hash the whole file again."""
    return sha256_file(Path(path))


@dataclass
class StoredArtifact:
    artifact_id: str
    path: Path
    name: str
    mime: str
    size: int
    sha256: str


class ArtifactStore:
    def __init__(self, uploads_dir: Path, jobs_dir: Path) -> None:
        self.uploads_dir = uploads_dir
        self.jobs_dir = jobs_dir

    def resolve(self, artifact_id: str) -> Path:
        parts = artifact_id.split("/")
        if len(parts) != 2 or not _NAME.match(parts[1]):
            raise AppError("artifact_not_found", "No artifact with that id.", {"artifact_id": artifact_id})
        head, name = parts
        if _UPLOAD.match(head):
            path = self.uploads_dir / head / name
        elif _JOB.match(head):
            path = self.jobs_dir / head / name
        else:
            raise AppError("artifact_not_found", "No artifact with that id.", {"artifact_id": artifact_id})
        if not path.is_file() or path.is_symlink() or path.parent.is_symlink():
            raise AppError("artifact_not_found", "No artifact with that id.", {"artifact_id": artifact_id})
        root = (self.uploads_dir if head.startswith("u-") else self.jobs_dir).resolve()
        if root not in path.resolve().parents:  # a linked folder above the job's own: never serve it
            raise AppError("artifact_not_found", "No artifact with that id.", {"artifact_id": artifact_id})
        return path

    def read(self, artifact_id: str) -> bytes:
        return self.resolve(artifact_id).read_bytes()

    def describe(self, artifact_id: str) -> StoredArtifact:
        path = self.resolve(artifact_id)
        st = path.stat()
        return StoredArtifact(
            artifact_id,
            path,
            path.name,
            MIME_BY_EXT.get(path.suffix.lower(), "application/octet-stream"),
            st.st_size,
            _sha256_cached(str(path), st.st_ino, st.st_size, st.st_mtime_ns),
        )

    def iter_chunks(self, artifact_id: str, offset: int = 0) -> Iterator[tuple[int, bytes]]:
        path = self.resolve(artifact_id)
        with open(path, "rb") as fh:
            fh.seek(max(0, offset))
            position = max(0, offset)
            while True:
                block = fh.read(CHUNK_SIZE)
                if not block:
                    return
                yield position, block
                position += len(block)

    def store_upload(
        self, name: str, chunks: Iterable[bytes], declared_size: int = 0, declared_sha256: str = ""
    ) -> StoredArtifact:
        self._sweep()
        room = self._make_room(declared_size)
        head = "u-" + secrets.token_hex(16)
        folder = self.uploads_dir / head
        folder.mkdir(parents=True, mode=0o700)
        final = folder / safe_name(name)
        tmp = folder / (".part-" + final.name)
        digest = hashlib.sha256()
        size = 0
        cap = max_upload_bytes()
        try:
            with open(tmp, "wb") as fh:
                for chunk in chunks:
                    size += len(chunk)
                    if size > cap:
                        raise AppError("artifact_invalid", f"Upload exceeds {cap} bytes.", {"max_bytes": cap})
                    if size > room:
                        raise _uploads_full(size)
                    digest.update(chunk)
                    fh.write(chunk)
                fh.flush()
                os.fsync(fh.fileno())
            if declared_size and declared_size != size:
                raise AppError(
                    "artifact_invalid",
                    "Upload size does not match its header.",
                    {"declared": declared_size, "received": size},
                )
            if declared_sha256 and declared_sha256.lower() != digest.hexdigest():
                raise AppError("artifact_invalid", "Upload sha256 does not match its header.")
            os.replace(tmp, final)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        return StoredArtifact(
            f"{head}/{final.name}",
            final,
            final.name,
            MIME_BY_EXT.get(final.suffix.lower(), "application/octet-stream"),
            size,
            digest.hexdigest(),
        )

    def discard_upload(self, artifact_id: str) -> bool:
        """Remove an upload now (a refused request's input); False when it is not an upload."""
        if not is_upload_id(artifact_id):
            return False
        shutil.rmtree(self.uploads_dir / artifact_id.partition("/")[0], ignore_errors=True)
        return True

    def _uploads(self) -> list[tuple[float, int, Path]]:
        """(mtime, bytes, folder) of every upload, oldest first."""
        found: list[tuple[float, int, Path]] = []
        try:
            entries = list(os.scandir(self.uploads_dir))
        except OSError:
            return found
        for entry in entries:
            try:
                if not entry.is_dir(follow_symlinks=False):
                    continue
                size = sum(f.stat().st_size for f in os.scandir(entry.path) if f.is_file(follow_symlinks=False))
                found.append((entry.stat().st_mtime, size, Path(entry.path)))
            except OSError:
                continue
        return sorted(found)

    def _make_room(self, declared_size: int) -> int:
        """Sweep the oldest uploads until `declared_size` more bytes fit under the folder cap;
        return the bytes the new upload may use."""
        total_cap = max_uploads_total_bytes()
        if declared_size > total_cap:
            raise _uploads_full(declared_size)
        uploads = self._uploads()
        used = sum(size for _, size, _ in uploads)
        for _, size, folder in uploads:
            if used + max(declared_size, 0) <= total_cap:
                break
            shutil.rmtree(folder, ignore_errors=True)
            used -= size
        return total_cap - used

    def _sweep(self) -> None:
        """Drop uploads older than a day (best effort)."""
        if not self.uploads_dir.is_dir():
            return
        cutoff = time.time() - UPLOAD_TTL_SECONDS
        for entry in self.uploads_dir.iterdir():
            try:
                if entry.is_dir() and entry.stat().st_mtime < cutoff:
                    shutil.rmtree(entry, ignore_errors=True)
            except OSError:
                continue


def _uploads_full(size: int) -> AppError:
    cap = max_uploads_total_bytes()
    return AppError(
        "storage_full",
        f"The engine's uploads folder is full: an upload of {size} bytes does not fit in its {cap}-byte cap.",
        {"folder": "uploads", "max_total_bytes": cap, "upload_bytes": size},
    )
