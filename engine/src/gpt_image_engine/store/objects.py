"""The object seam under the artifact store: where upload and job files live.

An `ObjectStore` holds whole files under relative keys (`uploads/u-<hex>/<name>`,
`jobs/<job-id>/<name>`). Its contract, for every implementation:

* `put_stream(key, chunks, check)` / `put_file(key, path)` are atomic: the object appears
  whole under its key or not at all (`check(size, sha256)` runs after the last chunk and
  before the object is committed; raising there leaves nothing behind);
* `describe(key)` gives size and sha256 without reading the body when it can;
* `iter_chunks(key, offset)` streams the body from `offset` in `CHUNK_SIZE` blocks, never
  the whole file at once;
* `list(prefix)` yields every object under a prefix, `delete(key)` / `delete_prefix`
  remove them (a missing object is not an error);
* a missing object raises `ObjectMissing`; the store being unreachable raises the coded
  `artifact_store_unavailable`.

Two implementations: `LocalObjects` (folders on this machine: the embedded default, the
upstream's layout, unchanged) and `gpt_image_engine.store.s3objects.S3Objects` (an
S3-compatible bucket shared by a cluster of engines). `gpt_image_engine.store.artifacts.open_objects` picks
one from `GPT_IMAGE_2_ARTIFACTS_URL`.
"""

from __future__ import annotations

import functools
import hashlib
import os
import shutil
import stat
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from urllib.parse import parse_qs, urlsplit

from gpt_image_engine.errors import AppError
from gpt_image_engine.store.atomic import is_temp_name

CHUNK_SIZE = 1024 * 1024
ARTIFACTS_URL_ENV = "GPT_IMAGE_2_ARTIFACTS_URL"

Check = Callable[[int, str], None]


class ObjectMissing(LookupError):
    """No object under that key."""


@dataclass(frozen=True)
class ObjectInfo:
    key: str
    size: int
    sha256: str
    mtime: float = 0.0


class ObjectStore(Protocol):
    kind: str  # "local" | "s3"

    def put_stream(
        self, key: str, chunks: Iterable[bytes], check: Check | None = None, sha256: str = ""
    ) -> ObjectInfo: ...

    def put_file(self, key: str, path: Path, sha256: str = "") -> ObjectInfo: ...

    def get(self, key: str) -> bytes: ...

    def iter_chunks(self, key: str, offset: int = 0) -> Iterator[bytes]: ...

    def describe(self, key: str) -> ObjectInfo: ...

    def list(self, prefix: str) -> Iterator[ObjectInfo]: ...

    def delete(self, key: str) -> None: ...

    def delete_prefix(self, prefix: str) -> int: ...

    def local_path(self, key: str) -> Path | None: ...

    def status(self) -> dict[str, object]: ...


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


def file_sha256(path: Path) -> str:
    st = path.stat()
    return _sha256_cached(str(path), st.st_ino, st.st_size, st.st_mtime_ns)


class LocalObjects:
    """Objects as files: the first key segment names a root folder (`uploads`, `jobs`), the
    rest a path under it. A key that would leave its root, or a file reached through a
    symbolic link, is `ObjectMissing`: nothing outside the roots is ever served."""

    kind = "local"

    def __init__(self, roots: Mapping[str, Path]) -> None:
        self.roots = {name: Path(folder) for name, folder in roots.items()}

    def path(self, key: str) -> Path:
        top, _, rest = key.partition("/")
        root = self.roots.get(top)
        parts = rest.split("/")
        if root is None or not rest or any(p in ("", ".", "..") for p in parts):
            raise ObjectMissing(key)
        return root.joinpath(*parts)

    def _existing(self, key: str) -> Path:
        path = self.path(key)
        if not path.is_file() or path.is_symlink() or path.parent.is_symlink():
            raise ObjectMissing(key)
        root = self.roots[key.partition("/")[0]].resolve()
        if root not in path.resolve().parents:  # a linked folder above the object's own: never serve it
            raise ObjectMissing(key)
        return path

    def local_path(self, key: str) -> Path | None:
        try:
            return self._existing(key)
        except ObjectMissing:
            return None

    def put_stream(self, key: str, chunks: Iterable[bytes], check: Check | None = None, sha256: str = "") -> ObjectInfo:
        final = self.path(key)
        final.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = final.parent / (".part-" + final.name)
        digest = hashlib.sha256()
        size = 0
        try:
            with open(tmp, "wb") as fh:
                for chunk in chunks:
                    size += len(chunk)
                    digest.update(chunk)
                    fh.write(chunk)
                fh.flush()
                os.fsync(fh.fileno())
            if check is not None:
                check(size, digest.hexdigest())
            os.replace(tmp, final)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return ObjectInfo(key, size, digest.hexdigest(), final.stat().st_mtime)

    def put_file(self, key: str, path: Path, sha256: str = "") -> ObjectInfo:
        final = self.path(key)
        if final.exists() and final.samefile(path):  # job files already live in the store
            st = final.stat()
            return ObjectInfo(key, st.st_size, sha256 or file_sha256(final), st.st_mtime)
        with open(path, "rb") as fh:
            return self.put_stream(key, iter(lambda: fh.read(CHUNK_SIZE), b""))

    def get(self, key: str) -> bytes:
        return self._existing(key).read_bytes()

    def iter_chunks(self, key: str, offset: int = 0) -> Iterator[bytes]:
        path = self._existing(key)

        def blocks() -> Iterator[bytes]:
            with open(path, "rb") as fh:
                fh.seek(max(0, offset))
                yield from iter(lambda: fh.read(CHUNK_SIZE), b"")

        return blocks()

    def describe(self, key: str) -> ObjectInfo:
        path = self._existing(key)
        st = path.stat()
        return ObjectInfo(key, st.st_size, file_sha256(path), st.st_mtime)

    def list(self, prefix: str) -> Iterator[ObjectInfo]:
        top, _, rest = prefix.partition("/")
        root = self.roots.get(top)
        if root is None:
            return
        head = rest.rpartition("/")[0]
        folder = root / head if head else root
        if not folder.is_dir() or folder.is_symlink():
            return
        yield from sorted(self._walk(top, root, folder, rest), key=lambda info: info.key)

    @staticmethod
    def _walk(top: str, root: Path, folder: Path, rest: str) -> Iterator[ObjectInfo]:
        """Whole files under `folder` whose key starts with `rest`, read while jobs write:
        a write in flight (a temp name: dotted, `.part`, `.tmp`) is not an object, and a file
        or folder that is renamed or removed between the listing and its stat is skipped,
        never an error (`os.walk` ignores a folder that vanished under it)."""
        for base, dirs, files in os.walk(folder):
            dirs[:] = [d for d in dirs if not d.startswith(".")]
            rel_base = Path(base).relative_to(root)
            for name in files:
                if name.startswith(".") or is_temp_name(name):
                    continue
                rel = (rel_base / name).as_posix()
                if not rel.startswith(rest):
                    continue
                try:
                    st = os.stat(os.path.join(base, name), follow_symlinks=False)
                except OSError:
                    continue  # renamed or removed since the folder was read
                if stat.S_ISREG(st.st_mode):
                    yield ObjectInfo(f"{top}/{rel}", st.st_size, "", st.st_mtime)

    def delete(self, key: str) -> None:
        try:
            self.path(key).unlink(missing_ok=True)
        except (ObjectMissing, IsADirectoryError):
            return

    def delete_prefix(self, prefix: str) -> int:
        """Remove a folder (`jobs/<id>/`) and everything in it."""
        try:
            folder = self.path(prefix.rstrip("/"))
        except ObjectMissing:
            return 0
        if not folder.is_dir() or folder.is_symlink():
            return 0
        count = sum(1 for p in folder.rglob("*") if p.is_file())
        shutil.rmtree(folder, ignore_errors=True)
        return count

    def status(self) -> dict[str, object]:
        return {"kind": "local", "folders": {name: str(path) for name, path in self.roots.items()}, "reachable": True}


@dataclass(frozen=True)
class ArtifactsUrl:
    bucket: str
    prefix: str
    endpoint: str | None
    region: str | None
    addressing_style: str | None


def parse_artifacts_url(url: str) -> ArtifactsUrl:
    """`s3://bucket/prefix?endpoint=http://host:8333&region=us-east-1&addressing=path`.

    Credentials never go in the URL (it is shown by `doctor` and logged): they come from the
    usual AWS variables, profile or instance role."""
    bad = AppError(
        "artifact_store_config_invalid",
        f"{ARTIFACTS_URL_ENV} must look like s3://bucket/prefix (got {url.split('?')[0][:200]!r}).",
        {"hint": "Set the endpoint with AWS_ENDPOINT_URL_S3 (or ?endpoint=) and keys with AWS_ACCESS_KEY_ID / "
         "AWS_SECRET_ACCESS_KEY."},
    )  # fmt: skip
    try:
        parts = urlsplit(url.strip())
        query = parse_qs(parts.query, strict_parsing=bool(parts.query))
    except ValueError:
        raise bad from None
    if parts.scheme != "s3" or not parts.hostname or parts.fragment:
        raise bad
    if parts.username or parts.password or "@" in parts.netloc:
        raise AppError(
            "artifact_store_config_invalid",
            f"{ARTIFACTS_URL_ENV} must not carry credentials; use AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.",
        )
    unknown = sorted(set(query) - {"endpoint", "region", "addressing"})
    if unknown:
        raise AppError(
            "artifact_store_config_invalid",
            f"Unknown {ARTIFACTS_URL_ENV} option(s): {', '.join(unknown)} (known: endpoint, region, addressing).",
        )
    prefix = parts.path.strip("/")
    if any(p in (".", "..") for p in prefix.split("/") if p):
        raise bad

    def one(name: str) -> str | None:
        values = query.get(name)
        return values[0] if values else None

    addressing = one("addressing")
    if addressing not in (None, "path", "virtual", "auto"):
        raise AppError("artifact_store_config_invalid", "addressing must be path, virtual or auto.")
    return ArtifactsUrl(
        bucket=parts.netloc,
        prefix=prefix + "/" if prefix else "",
        endpoint=one("endpoint"),
        region=one("region"),
        addressing_style=addressing,
    )
