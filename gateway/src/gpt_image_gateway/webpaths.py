"""Server paths out, gateway URLs in: the job JSON and events the gateway serves name no file.

The engine's records carry the absolute paths of a job's files (`outputs[].path`,
`output_path`, `metadata.output.files[].path`, event `output` objects). A browser
cannot use them and should not see them, so every such path becomes the route
that serves the file: `/api/jobs/{id}/outputs/{i}` (and `refs/`, `sources/`).
The upstream app shows any path that starts with `/api/` directly, so it never
needs `/api/files` for these.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

# Keys whose value is an upstream `output` object ({path, files: [{index, path, bytes}]}), by route.
_OUTPUT_KEYS = {"output": "outputs", "image_output": "outputs", "source_output": "sources"}


def file_url(job_id: str, index: int, kind: str = "outputs") -> str:
    return f"/api/jobs/{quote(job_id, safe='')}/{kind}/{index}"


def _index(item: dict[str, Any], position: int) -> int:
    value = item.get("index")
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else position


def _rewrite_output(obj: dict[str, Any], job_id: str, kind: str) -> None:
    by_path: dict[str, int] = {}
    files = obj.get("files")
    if isinstance(files, list):
        for position, item in enumerate(files):
            if isinstance(item, dict) and isinstance(item.get("path"), str):
                index = _index(item, position)
                by_path[item["path"]] = index
                item["path"] = file_url(job_id, index, kind)
    if isinstance(obj.get("path"), str):
        obj["path"] = file_url(job_id, by_path.get(obj["path"], 0), kind)


def scrub(value: Any, job_id: str) -> Any:
    """Rewrite every output object found anywhere inside `value` (in place); returns `value`."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key in _OUTPUT_KEYS and isinstance(item, dict):
                _rewrite_output(item, job_id, _OUTPUT_KEYS[key])
            if key == "job" and isinstance(item, dict) and isinstance(item.get("id"), str):
                web_job(item)
            else:
                scrub(item, job_id)
    elif isinstance(value, list):
        for item in value:
            scrub(item, job_id)
    return value


def web_job(job: Any, refs: list[int] | None = None) -> Any:
    """A history job as the browser sees it (in place): file URLs instead of server paths.

    `refs`, when given, are the indexes of the job's reference images (from its artifacts)."""
    if not isinstance(job, dict) or not isinstance(job.get("id"), str):
        return job
    job_id = job["id"]
    outputs = job.get("outputs")
    by_path: dict[str, int] = {}
    if isinstance(outputs, list):
        for position, item in enumerate(outputs):
            if isinstance(item, dict) and isinstance(item.get("path"), str):
                index = _index(item, position)
                by_path[item["path"]] = index
                item["path"] = file_url(job_id, index)
    if isinstance(job.get("output_path"), str):
        job["output_path"] = file_url(job_id, by_path.get(job["output_path"], 0))
    listed = job.get("reference_images")
    if refs is not None:
        job["reference_images"] = [{"index": i, "path": file_url(job_id, i, "refs")} for i in sorted(refs)]
    elif isinstance(listed, list):
        for position, item in enumerate(listed):
            if isinstance(item, dict):
                item["path"] = file_url(job_id, _index(item, position), "refs")
    scrub(job.get("metadata"), job_id)
    return job


def web_event(record: dict[str, Any]) -> dict[str, Any]:
    """An event record (as `sse.event_json` builds it) with its output paths rewritten."""
    job_id = str(record.get("job_id") or "")
    if job_id:
        scrub(record.get("data"), job_id)
        scrub(record.get("result"), job_id)
    return record
