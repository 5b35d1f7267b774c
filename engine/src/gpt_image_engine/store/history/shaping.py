"""The job JSON every surface shows, shaped from a stored row the same way for every backend.

Rows arrive as tuples in `JOB_COLUMNS` / `UPLOAD_COLUMNS` order (the upstream's columns, metadata as
JSON text), so SQLite and PostgreSQL share one shaping, one size-capped page, and so one output.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Sequence
from typing import Any

from gpt_image_engine.store.history.base import PAGE_BYTES, ROW_BYTES, SUMMARY_CHARS
from gpt_image_engine.store.history.cursors import encode_cursor

JOB_COLUMNS = "id, command, provider, status, output_path, created_at, metadata, deleted_at"
UPLOAD_COLUMNS = "job_id, output_index, target, target_type, status, url, error, bytes, attempts, updated_at, metadata"


def _estimated_json_bytes(text: str | None) -> int:
    """An upper bound of a row's JSON size in a reply, without encoding it."""
    if not text:
        return 1024
    return len(text) * (1 if text.isascii() else 3) + 1024


def _shorten(value: Any) -> Any:
    if isinstance(value, str) and len(value) > SUMMARY_CHARS:
        return value[:SUMMARY_CHARS] + f"... [{len(value) - SUMMARY_CHARS} more characters]"
    if isinstance(value, dict):
        return {k: _shorten(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shorten(v) for v in value]
    return value


def summarise_job(job: dict[str, Any], size: int) -> dict[str, Any]:
    """A job too big for a reply, with every long string cut and `truncated` saying so."""
    short = _shorten(job)
    short["truncated"] = {"reason": "row_too_large", "approx_bytes": size, "chars_kept": SUMMARY_CHARS}
    return short


def json_loads(text: str | None, default: Any) -> Any:
    if not text:
        return default
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        return default


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def uploads_by_job(rows: Iterable[Sequence[Any]]) -> dict[str, list[dict[str, Any]]]:
    """Upload rows (`UPLOAD_COLUMNS` order, sorted by job, output, target) grouped by job id."""
    out: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        out.setdefault(r[0], []).append(
            {
                "job_id": r[0], "output_index": r[1], "target": r[2], "target_type": r[3],
                "status": r[4], "url": r[5], "error": r[6], "bytes": r[7], "attempts": r[8],
                "updated_at": r[9], "metadata": json_loads(r[10], {}),
            }
        )  # fmt: skip
    return out


def build_page(
    rows: Sequence[Sequence[Any]],
    uploads: dict[str, list[dict[str, Any]]],
    has_more: bool,
    total: int,
) -> dict[str, Any]:
    """The listing reply from at most `limit` rows: ended early at PAGE_BYTES, big rows summarised."""
    jobs: list[dict[str, Any]] = []
    used = 0
    for r in rows:
        job = row_to_job(r, uploads.get(r[0], []))
        size = _estimated_json_bytes(r[6])
        if size > ROW_BYTES:
            job = summarise_job(job, size)
            size = len(json.dumps(job, default=str))
        if jobs and used + size > PAGE_BYTES:
            has_more = True  # the page is full by size: the rest follows the cursor
            break
        jobs.append(job)
        used += size
    kept = rows[: len(jobs)]
    next_cursor = encode_cursor(kept[-1][5], kept[-1][0]) if has_more and kept else None
    return {"jobs": jobs, "next_cursor": next_cursor, "has_more": has_more, "total": total}


def patched_metadata(text: str | None, patch: dict[str, Any] | None, error: dict[str, Any] | None, now: str) -> str:
    """`update_job`'s read-modify-write of the metadata JSON."""
    meta = json_loads(text, {})
    if not isinstance(meta, dict):
        meta = {}
    meta.update(patch or {})
    if error is not None:
        meta["error"] = error
    meta["updated_at"] = now
    return dumps(meta)


def storage_status(uploads: Sequence[dict[str, Any]]) -> str:
    if not uploads:
        return "not_configured"
    statuses = [u.get("status") for u in uploads]
    completed = statuses.count("completed")

    def role_done(role: str) -> bool:
        return any(u.get("status") == "completed" and (u.get("metadata") or {}).get("role") == role for u in uploads)

    if any(s in ("pending", "running") for s in statuses):
        return "running"
    if role_done("fallback") and not role_done("primary"):
        return "fallback_completed"
    if completed == len(uploads):
        return "completed"
    return "partial_failed" if completed else "failed"


def row_to_job(row: Sequence[Any], uploads: list[dict[str, Any]]) -> dict[str, Any]:
    (
        job_id,
        command,
        provider,
        status,
        output_path,
        created_at,
        metadata_text,
        deleted_at,
    ) = row
    metadata = json_loads(metadata_text, None)
    if isinstance(metadata, dict):
        metadata = {k: v for k, v in metadata.items() if k not in ("attempts", "attempts_truncated_count")}
        meta: dict[str, Any] = metadata
    else:
        meta = {}
    output = meta.get("output")
    image_output = meta.get("image_output")
    if isinstance(output, dict) and "files" in output:
        files = output["files"]
    elif isinstance(image_output, dict):
        files = image_output.get("files", [])
    else:
        files = []
    outputs = [dict(f) if isinstance(f, dict) else f for f in (files if isinstance(files, list) else [])]
    for item in outputs:
        if isinstance(item, dict) and isinstance(item.get("index"), int):
            mine = [u for u in uploads if u["output_index"] == item["index"]]
            if mine:
                item["uploads"] = mine
    updated_at = meta.get("updated_at")
    job: dict[str, Any] = {
        "id": job_id,
        "command": command,
        "provider": provider,
        "status": status,
        "output_path": output_path,
        "created_at": created_at,
        "updated_at": updated_at if isinstance(updated_at, str) else created_at,
        "metadata": metadata,
        "outputs": outputs,
        "reference_images": reference_images(command, meta),
        "storage_status": storage_status(uploads),
        "error": meta.get("error"),
    }
    if deleted_at is not None:
        job["deleted_at"] = deleted_at
    return job


def reference_images(command: str, meta: dict[str, Any]) -> list[dict[str, Any]]:
    """`ref-<i>.<ext>` files in an edit job's folder, as the upstream lists them."""
    if command != "images edit":
        return []
    recovery = meta.get("recovery")
    job_dir = recovery.get("job_dir") if isinstance(recovery, dict) else None
    if not isinstance(job_dir, str) or not job_dir:
        return []
    found: list[dict[str, Any]] = []
    try:
        for entry in os.scandir(job_dir):
            m = re.fullmatch(r"ref-(\d+)\.[A-Za-z0-9]+", entry.name)
            if m and entry.is_file():
                found.append({"index": int(m.group(1)), "path": entry.path})
    except OSError:
        return []
    return sorted(found, key=lambda item: item["index"])
