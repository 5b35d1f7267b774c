"""store/artifacts: chunked uploads and downloads, id checks, the per-upload and folder caps."""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from gpt_image_engine.errors import AppError
from gpt_image_engine.store import artifacts
from gpt_image_engine.store.artifacts import CHUNK_SIZE, ArtifactStore, is_upload_id, safe_name


@pytest.fixture
def store(tmp_path: Path) -> ArtifactStore:
    (tmp_path / "uploads").mkdir()
    (tmp_path / "jobs").mkdir()
    return ArtifactStore(tmp_path / "uploads", tmp_path / "jobs")


def chunks(data: bytes, size: int = 1000) -> Iterator[bytes]:
    for i in range(0, len(data), size):
        yield data[i : i + size]


def test_upload_in_chunks_then_download_in_chunks(store: ArtifactStore) -> None:
    data = os.urandom(CHUNK_SIZE * 2 + 12345)
    digest = hashlib.sha256(data).hexdigest()
    stored = store.store_upload("My Photo.PNG", chunks(data, 64 * 1024), len(data), digest.upper())
    assert is_upload_id(stored.artifact_id)
    assert stored.artifact_id.endswith("/MyPhoto.PNG")
    assert (stored.size, stored.sha256, stored.mime) == (len(data), digest, "image/png")
    assert stored.path.read_bytes() == data
    assert not list(stored.path.parent.glob(".part-*"))

    described = store.describe(stored.artifact_id)
    assert (described.size, described.sha256, described.name) == (len(data), digest, "MyPhoto.PNG")
    pieces = list(store.iter_chunks(stored.artifact_id))
    assert [offset for offset, _ in pieces] == [0, CHUNK_SIZE, 2 * CHUNK_SIZE]
    assert b"".join(block for _, block in pieces) == data
    resumed = list(store.iter_chunks(stored.artifact_id, offset=CHUNK_SIZE + 5))
    assert resumed[0][0] == CHUNK_SIZE + 5
    assert b"".join(block for _, block in resumed) == data[CHUNK_SIZE + 5 :]


def test_job_files_are_addressed_by_job_id_and_name(store: ArtifactStore) -> None:
    folder = store.jobs_dir / "job-20261204-abc_1"
    folder.mkdir()
    (folder / "image-1.png").write_bytes(b"png")
    (folder / "report.json").write_bytes(b"{}")
    assert store.read("job-20261204-abc_1/image-1.png") == b"png"
    assert store.describe("job-20261204-abc_1/report.json").mime == "application/json"
    assert store.discard_upload("job-20261204-abc_1/image-1.png") is False
    assert (folder / "image-1.png").is_file()


@pytest.mark.parametrize(
    "artifact_id",
    [
        "../etc/passwd",
        "job-x/../../secret",
        "job-x/.hidden",
        "u-123/name.png",  # not 32 hex digits
        "other-folder/name.png",
        "job-x",
        "job-x/a/b",
        "job-x/missing.png",
        "",
    ],
)
def test_bad_or_unknown_ids_are_not_found(store: ArtifactStore, artifact_id: str) -> None:
    (store.jobs_dir / "job-x").mkdir(exist_ok=True)
    with pytest.raises(AppError) as missing:
        store.resolve(artifact_id)
    assert missing.value.code == "artifact_not_found"


def test_links_out_of_the_store_are_never_served(store: ArtifactStore, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.png").write_bytes(b"secret")
    (store.jobs_dir / "job-linked").symlink_to(outside)
    (store.jobs_dir / "job-own").mkdir()
    (store.jobs_dir / "job-own" / "link.png").symlink_to(outside / "secret.png")
    for artifact_id in ("job-linked/secret.png", "job-own/link.png"):
        with pytest.raises(AppError) as refused:
            store.read(artifact_id)
        assert refused.value.code == "artifact_not_found"


def test_size_and_sha256_must_match_their_header(store: ArtifactStore) -> None:
    data = b"x" * 5000
    with pytest.raises(AppError) as wrong_size:
        store.store_upload("a.png", chunks(data), declared_size=4999)
    assert wrong_size.value.code == "artifact_invalid"
    assert wrong_size.value.detail == {"declared": 4999, "received": 5000}
    with pytest.raises(AppError) as wrong_hash:
        store.store_upload("a.png", chunks(data), declared_sha256="0" * 64)
    assert wrong_hash.value.code == "artifact_invalid"
    assert list(store.uploads_dir.iterdir()) == []  # nothing half-written stays


def test_an_upload_over_the_cap_is_refused_mid_stream(store: ArtifactStore, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(artifacts.MAX_UPLOAD_ENV, "2500")
    taken: list[int] = []

    def feed() -> Iterator[bytes]:
        for i in range(10):
            taken.append(i)
            yield b"y" * 1000

    with pytest.raises(AppError) as too_big:
        store.store_upload("big.png", feed())
    assert too_big.value.code == "artifact_invalid"
    assert too_big.value.detail == {"max_bytes": 2500}
    assert taken == [0, 1, 2]  # stopped at the chunk that crossed the cap
    assert list(store.uploads_dir.iterdir()) == []
    monkeypatch.setenv(artifacts.MAX_UPLOAD_ENV, "not a number")
    assert artifacts.max_upload_bytes() == artifacts.MAX_UPLOAD_BYTES


def test_the_uploads_folder_cap_evicts_the_oldest_first(store: ArtifactStore, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(artifacts.MAX_UPLOADS_TOTAL_ENV, "3000")
    first = store.store_upload("1.png", [b"a" * 1000])
    second = store.store_upload("2.png", [b"b" * 1000])
    old = time.time() - 100
    os.utime(first.path.parent, (old, old))
    third = store.store_upload("3.png", [b"c" * 1500], declared_size=1500)
    assert not first.path.exists()
    assert second.path.exists() and third.path.exists()

    with pytest.raises(AppError) as full:
        store.store_upload("4.png", [b"d" * 3001], declared_size=3001)
    assert full.value.code == "storage_full"
    assert full.value.detail == {"folder": "uploads", "max_total_bytes": 3000, "upload_bytes": 3001}
    # Undeclared size: refused when the stream itself passes the room left.
    with pytest.raises(AppError) as undeclared:
        store.store_upload("5.png", chunks(b"e" * 3500))
    assert undeclared.value.code == "storage_full"


def test_uploads_older_than_a_day_are_swept(store: ArtifactStore) -> None:
    stale = store.store_upload("old.png", [b"old"])
    day_ago = time.time() - artifacts.UPLOAD_TTL_SECONDS - 10
    os.utime(stale.path.parent, (day_ago, day_ago))
    fresh = store.store_upload("new.png", [b"new"])
    assert not stale.path.parent.exists()
    assert fresh.path.exists()


def test_discard_removes_an_upload_at_once(store: ArtifactStore) -> None:
    stored = store.store_upload("x.png", [b"x"])
    assert store.discard_upload(stored.artifact_id) is True
    assert not stored.path.parent.exists()
    with pytest.raises(AppError):
        store.describe(stored.artifact_id)


def test_ids_are_unguessable_and_names_are_cleaned(store: ArtifactStore) -> None:
    ids = {store.store_upload("same.png", [b"z"]).artifact_id.partition("/")[0] for _ in range(20)}
    assert len(ids) == 20
    assert safe_name("../../etc/passwd") == "passwd"
    assert safe_name("...") == "upload.bin"
    assert safe_name("a.tar.gz") == "a.tar.gz"
    assert len(safe_name("a" * 300 + ".png")) == 128
    assert safe_name("a" * 300 + ".png").endswith(".png")


@pytest.mark.parametrize("name", ["照片.png", "名字 with spaces!.jpg", "фото.webp", "📷", ".png", "a\u0301.png"])
def test_any_upload_name_gives_an_id_the_store_resolves(store: ArtifactStore, name: str) -> None:
    # A file named in any script must come back by its id (an edit names it as --ref).
    stored = store.store_upload(name, [b"img"])
    described = store.describe(stored.artifact_id)
    assert described.path == stored.path
    assert described.mime == artifacts.MIME_BY_EXT.get(Path(name).suffix, "application/octet-stream")
