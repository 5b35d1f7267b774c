"""Input images of a spec, made real: read from the artifact store or fetched from a URL
(before any job exists, so a missing or bad image is refused, not recorded), and copied
into the job folder so a re-run still finds them after the uploads have been swept."""

from __future__ import annotations

from pathlib import Path

from gpt_image_engine.errors import AppError
from gpt_image_engine.providers.base import InputImage
from gpt_image_engine.providers.sources import image_from_bytes, image_from_url, sniff_extension
from gpt_image_engine.state import Engine
from gpt_image_engine.store.artifacts import publish_written
from gpt_image_engine.store.atomic import atomic_write_bytes
from gpt_image_engine.store.diskspace import storage_error
from gpt_image_engine.tasks.specs import ImageSource


def input_image(engine: Engine, source: ImageSource, index: int, role: str) -> InputImage:
    """A reference image or mask (`ref_image_missing` when an upload is gone)."""
    if source.artifact_id:
        try:
            stored = engine.artifacts.describe(source.artifact_id)
        except AppError as err:
            raise AppError("ref_image_missing", f"The uploaded {role} was not found.", err.detail) from err
        return image_from_bytes(engine.artifacts.read(source.artifact_id), stored.name)
    if source.url:
        return image_from_url(source.url, index=index, role=role)
    raise AppError("ref_image_invalid", f"The {role} has no source.")


def input_bytes(engine: Engine, source: ImageSource | None) -> bytes | None:
    """The bytes of a transparent command's input (`image_read_failed` when an upload is gone)."""
    if source is None or source.empty:
        return None
    if source.artifact_id:
        try:
            return engine.artifacts.read(source.artifact_id)
        except AppError as err:
            raise AppError("image_read_failed", "The uploaded image was not found.", err.detail) from err
    return image_from_url(str(source.url)).data


def keep_input(job_id: str, job_dir: Path, stem: str, image: InputImage | bytes) -> ImageSource:
    """Copy one input image into the job folder (`ref-<i>.<ext>`, `mask.<ext>`: the upstream's
    layout) and return the source that points at the copy."""
    data = image.data if isinstance(image, InputImage) else image
    path = job_dir / f"{stem}{sniff_extension(data)}"
    try:
        atomic_write_bytes(path, data)
    except OSError as exc:
        raise storage_error(exc, path) from exc
    publish_written(path, best_effort=True)  # in a bucket too: another engine may run or retry the job
    return ImageSource(artifact_id=f"{job_id}/{path.name}")
