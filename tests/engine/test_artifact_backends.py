"""The artifact store seam, run against both backends: local folders and a real SeaweedFS bucket.

Same contract for both: atomic puts (whole or nothing), describe without reading, chunked and
ranged reads, list, delete; the artifact store on top (uploads, job files, publish and fill,
not-found). Then what only the bucket has: multipart uploads, its start-up check and errors
that name the bucket but never a key.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gpt_image_engine.errors import AppError
from gpt_image_engine.store.artifacts import ArtifactStore, open_objects, publish_written
from gpt_image_engine.store.objects import CHUNK_SIZE, ObjectMissing, ObjectStore, parse_artifacts_url
from gpt_image_engine.store.s3objects import PART_SIZE, S3Objects


def s3_env(server: Any, url: str, **over: str) -> dict[str, str]:
    env = {
        "GPT_IMAGE_2_ARTIFACTS_URL": url,
        "AWS_ENDPOINT_URL_S3": server.endpoint,
        "AWS_ACCESS_KEY_ID": server.access_key,
        "AWS_SECRET_ACCESS_KEY": server.secret_key,
    }
    env.update(over)
    return env


@pytest.fixture(params=["local", "s3"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, Any]:
    """An ArtifactStore (and its object store) on one backend; for s3, a fresh bucket."""
    env: dict[str, str] = {}
    if request.param == "s3":
        server = request.getfixturevalue("s3_server")
        env = s3_env(server, request.getfixturevalue("s3_url"))
    roots = {"uploads": tmp_path / "uploads", "jobs": tmp_path / "jobs"}
    for folder in roots.values():
        folder.mkdir()
    objects = open_objects(roots, env)
    assert objects.kind == request.param
    return {"objects": objects, "store": ArtifactStore(roots["uploads"], roots["jobs"], objects), "env": env}


def pieces(data: bytes, size: int = 256 * 1024) -> Iterator[bytes]:
    for i in range(0, len(data), size):
        yield data[i : i + size]


def test_put_describe_read_ranged_list_delete(backend: dict[str, Any]) -> None:
    objects: ObjectStore = backend["objects"]
    data = os.urandom(3 * CHUNK_SIZE + 777)
    info = objects.put_stream("uploads/u-1/a.bin", pieces(data))
    digest = hashlib.sha256(data).hexdigest()
    assert (info.size, info.sha256) == (len(data), digest)
    described = objects.describe("uploads/u-1/a.bin")
    assert (described.size, described.sha256) == (len(data), digest)
    blocks = list(objects.iter_chunks("uploads/u-1/a.bin"))
    assert all(len(b) <= CHUNK_SIZE for b in blocks) and b"".join(blocks) == data
    assert b"".join(objects.iter_chunks("uploads/u-1/a.bin", CHUNK_SIZE + 5)) == data[CHUNK_SIZE + 5 :]
    assert list(objects.iter_chunks("uploads/u-1/a.bin", len(data))) == []
    objects.put_stream("uploads/u-1/b.bin", [b"bb"])
    objects.put_stream("uploads/u-2/c.bin", [b"c"])
    assert sorted((i.key, i.size) for i in objects.list("uploads/u-1/")) == [
        ("uploads/u-1/a.bin", len(data)),
        ("uploads/u-1/b.bin", 2),
    ]
    objects.delete("uploads/u-1/b.bin")
    objects.delete("uploads/u-1/never-was.bin")  # missing is not an error
    with pytest.raises(ObjectMissing):
        objects.describe("uploads/u-1/b.bin")
    with pytest.raises(ObjectMissing):
        objects.iter_chunks("uploads/u-1/b.bin")
    assert objects.delete_prefix("uploads/u-1/") == 1
    assert [i.key for i in objects.list("uploads/")] == ["uploads/u-2/c.bin"]


@pytest.mark.parametrize("size", [1000, PART_SIZE + PART_SIZE // 2])
def test_a_failed_put_leaves_nothing(backend: dict[str, Any], size: int) -> None:
    """A failing check after the last chunk, or a source that breaks midway (also after
    multipart parts went out), commits nothing under the key."""
    objects: ObjectStore = backend["objects"]
    data = os.urandom(size)

    def refuse(got: int, sha: str) -> None:
        assert got == size and sha == hashlib.sha256(data).hexdigest()
        raise AppError("artifact_invalid", "refused")

    with pytest.raises(AppError):
        objects.put_stream("uploads/u-x/refused.bin", pieces(data), refuse)

    def broken() -> Iterator[bytes]:
        yield from pieces(data)
        raise OSError("client went away")

    with pytest.raises(OSError):
        objects.put_stream("uploads/u-x/broken.bin", broken())
    assert list(objects.list("uploads/")) == []
    with pytest.raises(ObjectMissing):
        objects.describe("uploads/u-x/refused.bin")


def test_uploads_and_job_files_through_the_artifact_store(backend: dict[str, Any]) -> None:
    store: ArtifactStore = backend["store"]
    data = os.urandom(2 * CHUNK_SIZE + 5)
    stored = store.store_upload("cat.png", pieces(data), len(data), hashlib.sha256(data).hexdigest())
    assert store.describe(stored.artifact_id).sha256 == hashlib.sha256(data).hexdigest()
    assert [off for off, _ in store.iter_chunks(stored.artifact_id, 10)] == [10, 10 + CHUNK_SIZE]
    assert store.read(stored.artifact_id) == data
    with pytest.raises(AppError) as bad:
        store.store_upload("x.png", [b"abc"], 3, "0" * 64)
    assert bad.value.code == "artifact_invalid"
    assert store.discard_upload(stored.artifact_id)
    for missing in (stored.artifact_id, "job-nope/out.png", "../etc/passwd", "u-zz/a.png"):
        with pytest.raises(AppError) as err:
            store.describe(missing)
        assert err.value.code == "artifact_not_found"

    job = store.jobs_dir / "job-20261204-s3test"
    job.mkdir()
    (job / "out.png").write_bytes(b"\x89PNG fake")
    (job / "raw_response.json").write_bytes(b'{"data": []}')
    (job / "out.png.part").write_bytes(b"half")  # a write in flight is never published
    store.publish_job(job.name)
    assert sorted(store.job_files(job.name)) == [("out.png", 9), ("raw_response.json", 12)]
    assert store.read(f"{job.name}/out.png") == b"\x89PNG fake"
    store.delete_job(job.name)
    assert store.job_files(job.name) == []
    with pytest.raises(AppError):
        store.read(f"{job.name}/out.png")


def test_another_engine_sees_a_published_job(s3_server: Any, s3_url: str, tmp_path: Path) -> None:
    """Two engines, two working folders, one bucket: what one publishes the other fills into its
    own folder (continue_save and retry read the spool and the request from there)."""
    env = s3_env(s3_server, s3_url)
    a, b = (
        ArtifactStore(tmp_path / n / "uploads", tmp_path / n / "jobs", open_objects({
            "uploads": tmp_path / n / "uploads", "jobs": tmp_path / n / "jobs"}, env))
        for n in ("a", "b")
    )  # fmt: skip
    job = a.jobs_dir / "job-20261204-shared"
    job.mkdir(parents=True)
    big = os.urandom(PART_SIZE * 2 + 3)  # a multipart object
    (job / "raw_response.json").write_bytes(big)
    a.publish_job(job.name)
    assert b.describe(f"{job.name}/raw_response.json").sha256 == hashlib.sha256(big).hexdigest()
    folder = b.job_dir(job.name)
    assert folder == b.jobs_dir / job.name and (folder / "raw_response.json").read_bytes() == big
    assert not [p for p in folder.iterdir() if p.name.startswith(".")]


def test_background_publishes_are_whole_when_publish_job_returns(s3_server: Any, s3_url: str, tmp_path: Path) -> None:
    """Files published in the background as a job writes them (its spooled response, outputs)
    and the rest of its folder are all whole in the bucket once `publish_job` returns; a failed
    background upload is the job's `artifact_store_unavailable` there, not a silent loss."""
    env = s3_env(s3_server, s3_url)
    roots = {"uploads": tmp_path / "uploads", "jobs": tmp_path / "jobs"}
    store = ArtifactStore(roots["uploads"], roots["jobs"], open_objects(roots, env))
    job = store.jobs_dir / "job-20261204-background"
    job.mkdir(parents=True)
    files = {f"out-{i}.png": os.urandom(200_000 + i) for i in range(6)}
    files["raw_response.json"] = os.urandom(PART_SIZE + 5)  # multipart, beside the small ones
    for name, data in files.items():
        (job / name).write_bytes(data)
        if name != "out-5.png":  # one left for publish_job's own pass
            publish_written(job / name, background=True)
    store.publish_job(job.name)
    for name, data in files.items():
        assert store.read(f"{job.name}/{name}") == data

    broken = store.jobs_dir / "job-20261204-nobucket"
    broken.mkdir()
    (broken / "out.png").write_bytes(b"png")
    # The keys are revoked under a running engine: the server refuses the upload.
    revoked = S3Objects.from_url(parse_artifacts_url(s3_url), {**env, "AWS_SECRET_ACCESS_KEY": "revoked-secret"})
    store = ArtifactStore(roots["uploads"], roots["jobs"], revoked)
    publish_written(broken / "out.png", background=True)
    with pytest.raises(AppError) as gone:
        store.publish_job(broken.name)
    assert gone.value.code == "artifact_store_unavailable"


def test_start_checks_the_bucket_and_the_keys(s3_server: Any, tmp_path: Path) -> None:
    roots = {"uploads": tmp_path / "u", "jobs": tmp_path / "j"}
    with pytest.raises(AppError) as missing:
        open_objects(roots, s3_env(s3_server, "s3://no-such-bucket/cluster-a"))
    assert missing.value.code == "artifact_store_unavailable"
    assert "bucket does not exist" in missing.value.message
    assert missing.value.detail["store"] == "s3://no-such-bucket/cluster-a/"

    wrong = "wrong-secret-value-xyz"
    with pytest.raises(AppError) as refused:
        open_objects(roots, s3_env(s3_server, f"s3://{s3_server.bucket}/a", AWS_SECRET_ACCESS_KEY=wrong))
    assert refused.value.code == "artifact_store_unavailable"
    assert "refused the credentials" in refused.value.message
    text = str(refused.value.to_envelope())
    assert wrong not in text and s3_server.secret_key not in text

    with pytest.raises(AppError) as down:
        open_objects(roots, s3_env(s3_server, f"s3://{s3_server.bucket}/a", AWS_ENDPOINT_URL_S3="http://127.0.0.1:9"))
    assert down.value.code == "artifact_store_unavailable"
    assert "could not be reached" in down.value.message


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("http://bucket/x", "must look like s3://"),
        ("s3://key:secret@bucket/x", "must not carry credentials"),
        ("s3://bucket/x?colour=red", "Unknown"),
        ("s3:///prefix", "must look like s3://"),
    ],
)
def test_bad_artifact_urls_are_coded(url: str, fragment: str) -> None:
    with pytest.raises(AppError) as err:
        parse_artifacts_url(url)
    assert err.value.code == "artifact_store_config_invalid" and fragment in err.value.message
    assert "secret" not in err.value.message


def test_url_options_and_the_default() -> None:
    url = parse_artifacts_url("s3://images/team/a/?endpoint=http://weed:8333&region=eu-west-1&addressing=path")
    assert (url.bucket, url.prefix, url.endpoint, url.region, url.addressing_style) == (
        "images",
        "team/a/",
        "http://weed:8333",
        "eu-west-1",
        "path",
    )
    assert parse_artifacts_url("s3://images").prefix == ""


def test_listing_a_job_folder_while_its_job_writes_never_fails(tmp_path: Path) -> None:
    """GetJob lists a running job's folder while the spool renames `raw_response.json.part`
    and inputs come and go: a file that vanishes between the listing and its stat is skipped,
    and a write in flight is never listed (a crash here was a 500 on GET /api/jobs/<id>)."""
    import threading

    from gpt_image_engine.store.objects import LocalObjects

    objects = LocalObjects({"jobs": tmp_path / "jobs"})
    folder = tmp_path / "jobs" / "job-1"
    folder.mkdir(parents=True)
    (folder / "spec.json").write_text("{}")
    stop = threading.Event()

    def writer() -> None:
        n = 0
        while not stop.is_set():
            n += 1
            part = folder / "raw_response.json.part"
            part.write_bytes(b"x" * 64)
            os.replace(part, folder / "raw_response.json")
            sub = folder / f"d{n % 3}"
            sub.mkdir(exist_ok=True)
            (sub / "f.png").write_bytes(b"p")
            (folder / "raw_response.json").unlink()
            (sub / "f.png").unlink()
            sub.rmdir()

    thread = threading.Thread(target=writer)
    thread.start()
    seen: set[str] = set()
    try:
        for _ in range(3000):
            seen.update(info.key for info in objects.list("jobs/job-1/"))
    finally:
        stop.set()
        thread.join()
    assert "jobs/job-1/spec.json" in seen
    assert not any(key.endswith(".part") for key in seen), seen
    assert seen <= {"jobs/job-1/spec.json", "jobs/job-1/raw_response.json"} | {f"jobs/job-1/d{i}/f.png" for i in range(3)}
