"""Artifact files: uploads from clients and the files jobs produce, addressed by opaque ids.

Where they live is the `ObjectStore` seam (`store/objects.py`): the engine's own folders by
default, or an S3-compatible bucket shared by a cluster (`GPT_IMAGE_2_ARTIFACTS_URL`).

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

import logging
import os
import re
import secrets
import shutil
import stat as stat_module
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from gpt_image_engine.errors import AppError
from gpt_image_engine.store.atomic import is_temp_name
from gpt_image_engine.store.objects import (
    ARTIFACTS_URL_ENV,
    CHUNK_SIZE,
    LocalObjects,
    ObjectMissing,
    ObjectStore,
    parse_artifacts_url,
    sha256_file,
)

__all__ = ["CHUNK_SIZE", "ArtifactStore", "StoredArtifact", "is_upload_id", "safe_name", "sha256_file"]

log = logging.getLogger("gpt_image_engine.store")
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


@dataclass
class StoredArtifact:
    artifact_id: str
    path: Path | None  # the file, when the store is local folders
    name: str
    mime: str
    size: int
    sha256: str


def mime_of(name: str) -> str:
    return MIME_BY_EXT.get(PurePosixPath(name).suffix.lower(), "application/octet-stream")


# Stores on a bucket, by their local jobs folder: `publish_written` finds the one a job file belongs to.
_REMOTE: weakref.WeakValueDictionary[str, ArtifactStore] = weakref.WeakValueDictionary()


# Uploads of job files run on a few shared threads, so a job's files travel at once and
# while the job goes on (its output is decoded while its spooled response uploads).
PUBLISH_THREADS = 8
_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _publisher() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(PUBLISH_THREADS, thread_name_prefix="publish")
        return _pool


def publish_written(path: Path, *, best_effort: bool = False, background: bool = False) -> None:
    """Publish one finished job file (`jobs/<id>/<name>`) now, when its engine keeps artifacts in a
    bucket (a spooled response, a kept input, the stored request): another engine can then resume,
    retry or show the job even if this one dies. A no-op for local folders. With `best_effort` a
    failure is logged, not raised (the job's own publish before `completed` tries again, strictly).
    With `background` the upload starts now on the shared publish threads and the caller goes on;
    the job's `publish_job_dir` before `completed` waits for it and raises its failure."""
    store = _REMOTE.get(str(path.parent.parent))
    if store is None:
        return
    if background:
        store.publish_soon(path.parent.name, path)
        return
    try:
        store.publish(path.parent.name, path)
    except AppError:
        if not best_effort:
            raise
        log.warning("could not publish %s to the artifact store yet", path.name, exc_info=True)


def publish_job_dir(job_dir: Path) -> None:
    """Publish every finished file of a job folder (see `publish_written`)."""
    store = _REMOTE.get(str(job_dir.parent))
    if store is not None:
        store.publish_job(job_dir.name)


class ArtifactStore:
    """Uploads and job files by artifact id, over an `ObjectStore` (local folders by default).

    With local folders the job folder *is* the store. With a bucket, `jobs_dir` is this
    engine's working folder: jobs write there, `publish`/`publish_job` copy finished files to
    the bucket, and `job_dir(job_id)` fills the working folder from the bucket for a job
    another engine ran (continue_save, retry)."""

    PUBLISHED_JOBS = 512  # jobs whose published files this process remembers (LRU)
    REMOTE_SWEEP_SECONDS = 600.0

    def __init__(self, uploads_dir: Path, jobs_dir: Path, objects: ObjectStore | None = None) -> None:
        self.uploads_dir = uploads_dir
        self.jobs_dir = jobs_dir
        self.objects: ObjectStore = objects or LocalObjects({"uploads": uploads_dir, "jobs": jobs_dir})
        self._published: OrderedDict[str, dict[str, tuple[int, int]]] = OrderedDict()
        # Background uploads not yet awaited by the job's `publish_job`, per job (LRU like `_published`).
        self._pending: OrderedDict[str, list[Future[None]]] = OrderedDict()
        self._lock = threading.Lock()
        self._last_sweep = 0.0
        if self.remote:
            _REMOTE[str(jobs_dir)] = self

    @property
    def kind(self) -> str:
        return self.objects.kind

    @property
    def remote(self) -> bool:
        """Whether the files live outside this engine (a bucket) rather than in its folders."""
        return not isinstance(self.objects, LocalObjects)

    def key(self, artifact_id: str) -> str:
        """The object key of an artifact id; any id that is not `u-<hex>/<name>` or `job-…/<name>` is not found."""
        parts = artifact_id.split("/")
        if len(parts) == 2 and _NAME.match(parts[1]):
            if _UPLOAD.match(parts[0]):
                return f"uploads/{artifact_id}"
            if _JOB.match(parts[0]):
                return f"jobs/{artifact_id}"
        raise _not_found(artifact_id)

    def resolve(self, artifact_id: str) -> Path:
        """The local file of an artifact (local folders only)."""
        path = self.objects.local_path(self.key(artifact_id))
        if path is None:
            raise _not_found(artifact_id)
        return path

    def read(self, artifact_id: str) -> bytes:
        try:
            return self.objects.get(self.key(artifact_id))
        except ObjectMissing:
            raise _not_found(artifact_id) from None

    def describe(self, artifact_id: str) -> StoredArtifact:
        key = self.key(artifact_id)
        try:
            info = self.objects.describe(key)
        except ObjectMissing:
            raise _not_found(artifact_id) from None
        name = artifact_id.rpartition("/")[2]
        return StoredArtifact(artifact_id, self.objects.local_path(key), name, mime_of(name), info.size, info.sha256)

    def iter_chunks(self, artifact_id: str, offset: int = 0) -> Iterator[tuple[int, bytes]]:
        try:
            blocks = self.objects.iter_chunks(self.key(artifact_id), max(0, offset))
        except ObjectMissing:
            raise _not_found(artifact_id) from None
        position = max(0, offset)
        for block in blocks:
            yield position, block
            position += len(block)

    def store_upload(
        self, name: str, chunks: Iterable[bytes], declared_size: int = 0, declared_sha256: str = ""
    ) -> StoredArtifact:
        if self.remote:
            self._sweep_remote()
            room: float = float("inf")
        else:
            self._sweep()
            room = self._make_room(declared_size)
        head = "u-" + secrets.token_hex(16)
        final = safe_name(name)
        cap = max_upload_bytes()

        def guarded() -> Iterator[bytes]:
            size = 0
            for chunk in chunks:
                size += len(chunk)
                if size > cap:
                    raise AppError("artifact_invalid", f"Upload exceeds {cap} bytes.", {"max_bytes": cap})
                if size > room:
                    raise _uploads_full(size)
                yield chunk

        def check(size: int, sha256: str) -> None:
            if declared_size and declared_size != size:
                raise AppError(
                    "artifact_invalid",
                    "Upload size does not match its header.",
                    {"declared": declared_size, "received": size},
                )
            if declared_sha256 and declared_sha256.lower() != sha256:
                raise AppError("artifact_invalid", "Upload sha256 does not match its header.")

        declared = declared_sha256.lower() if re.fullmatch(r"[0-9a-fA-F]{64}", declared_sha256 or "") else ""
        try:
            info = self.objects.put_stream(f"uploads/{head}/{final}", guarded(), check, sha256=declared)
        except BaseException:
            if not self.remote:
                shutil.rmtree(self.uploads_dir / head, ignore_errors=True)
            raise
        artifact_id = f"{head}/{final}"
        path = self.objects.local_path(f"uploads/{artifact_id}")
        return StoredArtifact(artifact_id, path, final, mime_of(final), info.size, info.sha256)

    def discard_upload(self, artifact_id: str) -> bool:
        """Remove an upload now (a refused request's input); False when it is not an upload."""
        if not is_upload_id(artifact_id):
            return False
        self.objects.delete_prefix(f"uploads/{artifact_id.partition('/')[0]}/")
        return True

    # --- job files
    def publish(self, job_id: str, path: Path) -> None:
        """Copy one finished job file to the bucket (once per version); a no-op for local folders."""
        if not self.remote or not _JOB.match(job_id) or not _NAME.match(path.name) or is_temp_name(path.name):
            return
        try:
            st = path.stat()
        except OSError:
            return
        if not stat_module.S_ISREG(st.st_mode):
            return
        stamp = (st.st_size, st.st_mtime_ns)
        with self._lock:
            known = self._published.setdefault(job_id, {})
            self._published.move_to_end(job_id)
            while len(self._published) > self.PUBLISHED_JOBS:
                self._published.popitem(last=False)
            if known.get(path.name) == stamp:
                return
        self.objects.put_file(f"jobs/{job_id}/{path.name}", path)
        with self._lock:
            self._published.setdefault(job_id, {})[path.name] = stamp

    def publish_soon(self, job_id: str, path: Path) -> None:
        """Start publishing one job file on the shared publish threads (see `publish_job`)."""
        if not self.remote:
            return
        future = _publisher().submit(self.publish, job_id, path)
        with self._lock:
            self._pending.setdefault(job_id, []).append(future)
            self._pending.move_to_end(job_id)
            while len(self._pending) > self.PUBLISHED_JOBS:
                self._pending.popitem(last=False)

    def publish_job(self, job_id: str) -> None:
        """Publish every finished file of a job's working folder, all at once on the publish
        threads, after the job's background uploads: returns when every file is whole in the
        bucket (artifact_store_unavailable on failure, after every upload has ended)."""
        with self._lock:
            pending = self._pending.pop(job_id, [])
        self._await(pending)
        folder = self.jobs_dir / job_id
        if not self.remote or not folder.is_dir():
            return
        paths = [
            Path(e.path) for e in sorted(os.scandir(folder), key=lambda e: e.name) if e.is_file(follow_symlinks=False)
        ]
        if len(paths) == 1:
            self.publish(job_id, paths[0])
            return
        self._await([_publisher().submit(self.publish, job_id, path) for path in paths])

    @staticmethod
    def _await(futures: list[Future[None]]) -> None:
        if not futures:
            return
        wait(futures)
        for future in futures:
            error = future.exception()
            if error is not None:
                raise error

    def job_dir(self, job_id: str) -> Path:
        """The job's working folder, holding every file the store has for it (downloaded from the
        bucket when another engine wrote them)."""
        folder = self.jobs_dir / job_id
        if not self.remote or not _JOB.match(job_id):
            return folder
        for name, size in self.job_files(job_id):
            target = folder / name
            if target.is_file() and target.stat().st_size == size:
                continue
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            tmp = folder / f".{name}.{secrets.token_hex(4)}.tmp"
            try:
                with open(tmp, "wb") as fh:
                    for block in self.objects.iter_chunks(f"jobs/{job_id}/{name}"):
                        fh.write(block)
                os.replace(tmp, target)
            except ObjectMissing:
                tmp.unlink(missing_ok=True)
                continue
            except BaseException:
                tmp.unlink(missing_ok=True)
                raise
            st = target.stat()
            with self._lock:
                self._published.setdefault(job_id, {})[name] = (st.st_size, st.st_mtime_ns)
        return folder

    def job_files(self, job_id: str) -> list[tuple[str, int]]:
        """(name, size) of every file the store holds for a job."""
        if not _JOB.match(job_id):
            return []
        prefix = f"jobs/{job_id}/"
        names = ((info.key[len(prefix) :], info.size) for info in self.objects.list(prefix))
        return [(name, size) for name, size in names if _NAME.match(name) and not is_temp_name(name)]

    def delete_job(self, job_id: str) -> None:
        """Remove a job's files from the store (and this engine's working folder)."""
        if not _JOB.match(job_id):
            return
        self.objects.delete_prefix(f"jobs/{job_id}/")
        if self.remote:
            shutil.rmtree(self.jobs_dir / job_id, ignore_errors=True)
            with self._lock:
                self._published.pop(job_id, None)

    def status(self) -> dict[str, object]:
        return self.objects.status()

    # --- upload housekeeping
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

    def _sweep_remote(self) -> None:
        """In a bucket, uploads older than a day go too, checked at most every ten minutes per
        engine (the folder cap is the bucket's business: quotas or a lifecycle rule)."""
        now = time.time()
        if now - self._last_sweep < self.REMOTE_SWEEP_SECONDS:
            return
        self._last_sweep = now
        cutoff = now - UPLOAD_TTL_SECONDS
        try:
            for info in list(self.objects.list("uploads/")):
                if info.mtime and info.mtime < cutoff:
                    self.objects.delete(info.key)
        except AppError:
            log.warning("could not sweep old uploads in the artifact store", exc_info=True)


def _not_found(artifact_id: str) -> AppError:
    return AppError("artifact_not_found", "No artifact with that id.", {"artifact_id": artifact_id})


def _uploads_full(size: int) -> AppError:
    cap = max_uploads_total_bytes()
    return AppError(
        "storage_full",
        f"The engine's uploads folder is full: an upload of {size} bytes does not fit in its {cap}-byte cap.",
        {"folder": "uploads", "max_total_bytes": cap, "upload_bytes": size},
    )


def open_objects(roots: Mapping[str, Path], env: Mapping[str, str]) -> ObjectStore:
    """The store `GPT_IMAGE_2_ARTIFACTS_URL` names (checked: a missing bucket or refused keys are
    `artifact_store_unavailable` now, not at the first job), else local folders."""
    url = (env.get(ARTIFACTS_URL_ENV) or "").strip()
    if not url or url in ("local", "file:"):
        return LocalObjects(roots)
    from gpt_image_engine.store.s3objects import S3Objects

    store = S3Objects.from_url(parse_artifacts_url(url), env)
    store.check()
    return store
