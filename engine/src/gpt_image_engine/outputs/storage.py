"""Running a job's uploads: plan the targets, send every output, record each attempt.

After a job completes or partly completes, `StorageRunner.run` reads the `storage` section
(upstream §9.4), plans (target, role, placement) per the pipeline mode — `local_only` uploads
nothing, `mirror` and `cloud_archive_only` send to the archives (role `primary`, placement
`archive`), `cloud_primary` sends to the origin (`primary`/`origin`) and the archives
(`fallback`/`archive`) — and uploads every output to every planned target on a small pool
(`upload_concurrency` x `target_concurrency`, each clamped to 1-32, at most 16 threads). Each
upload row is written `running` and then `completed` or `failed` with its attempts, public
URL and a credential-free error. The returned summary (storage_status + public upload
entries, never a local path) is the `job.storage` event. `reupload` repeats only what is not
completed, with the settings of now, and counts attempts on.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from gpt_image_engine.errors import AppError
from gpt_image_engine.outputs import settings, targets
from gpt_image_engine.outputs.pinning import private_targets_allowed
from gpt_image_engine.security.redaction import redact, redact_known_secrets
from gpt_image_engine.store.history import HistoryStore, now_ts, storage_status


def _test_png() -> bytes:
    """A 1x1 transparent PNG: what a target test uploads."""
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGBA", (1, 1)).save(buffer, format="PNG")
    return buffer.getvalue()


PUBLIC_FIELDS = ("role", "placement", "key", "mime", "sha256")


def plan_targets(storage: Mapping[str, Any], extra: list[str] | None = None) -> list[tuple[str, str, str]]:
    """(target, role, placement) for each upload of an output. Per-job targets are appended."""
    pipeline = settings.effective_pipeline(storage)
    mode = pipeline["mode"]
    archives = list(pipeline["archives"])
    for name in extra or []:
        if name not in archives and name != pipeline["origin"]:
            archives.append(name)
    if mode == "local_only" and extra:
        mode = "cloud_archive_only"
    if mode == "local_only":
        return []
    if mode == "cloud_primary" and pipeline["origin"]:
        return [(pipeline["origin"], "primary", "origin")] + [(a, "fallback", "archive") for a in archives]
    return [(a, "primary", "archive") for a in archives]


def public_upload(row: Mapping[str, Any]) -> dict[str, Any]:
    """An upload row as clients, events and webhooks see it: no local path, no detail."""
    meta = row.get("metadata") or {}
    manifest = meta.get("manifest") or {}
    entry = {
        "output_index": row.get("output_index"),
        "target": row.get("target"),
        "target_type": row.get("target_type"),
        "status": row.get("status"),
        "url": row.get("url"),
        "bytes": row.get("bytes"),
        "attempts": row.get("attempts"),
        "updated_at": row.get("updated_at"),
    }
    if row.get("error"):
        entry["error"] = row.get("error")
        entry["error_code"] = meta.get("error_code")
    for key in PUBLIC_FIELDS:
        entry[key] = meta.get(key, manifest.get(key))
    return entry


def outputs_of(job: Mapping[str, Any]) -> list[targets.UploadOutput]:
    """The output files of a job row (its `outputs`, with hashes from the artifact list)."""
    meta = job.get("metadata") or {}
    hashes = {
        int(a.get("index", 0)): a
        for a in meta.get("artifacts") or []
        if isinstance(a, dict) and a.get("role") == "output"
    }
    outs: list[targets.UploadOutput] = []
    for item in job.get("outputs") or []:
        if not isinstance(item, dict) or not item.get("path"):
            continue
        index = int(item.get("index", 0))
        art = hashes.get(index, {})
        outs.append(
            targets.UploadOutput(
                index=index,
                path=Path(str(item["path"])),
                mime=str(art.get("mime_type") or "image/png"),
                sha256=str(art.get("sha256") or ""),
                bytes=int(item.get("bytes") or 0),
            )
        )
    return outs


class StorageRunner:
    """Uploads for one engine: reads config on each run, writes history rows."""

    def __init__(self, history: HistoryStore, config_file: Callable[[], Path], env: Mapping[str, str]) -> None:
        self.history = history
        self.config_file = config_file
        self.env = env

    def _storage(self) -> dict[str, Any]:
        from gpt_image_engine.store.config import load_config

        raw = load_config(self.config_file()).get("storage")
        return raw if isinstance(raw, dict) else {}

    def planned(self, extra_targets: list[str] | None = None) -> bool:
        """Whether any upload is planned for a job finishing now."""
        return bool(plan_targets(self._storage(), extra_targets))

    def run(
        self,
        job_id: str,
        outputs: list[targets.UploadOutput],
        *,
        extra_targets: list[str] | None = None,
        only_unfinished: bool = False,
    ) -> dict[str, Any] | None:
        """Upload every output to every planned target. None when nothing is planned."""
        storage = self._storage()
        planned = plan_targets(storage, extra_targets)
        if not planned or not outputs:
            return None
        raw_targets = storage.get("targets")
        configured: dict[str, Any] = raw_targets if isinstance(raw_targets, dict) else {}
        previous = {(u["output_index"], u["target"]): u for u in self.history.uploads(job_id)}
        work = []
        for output in outputs:
            for name, role, placement in planned:
                before = previous.get((output.index, name))
                if only_unfinished and before and before.get("status") == "completed":
                    continue
                work.append((output, name, role, placement, int(before.get("attempts") or 0) if before else 0))
        per_output = max(1, min(32, int(storage.get("target_concurrency") or 2)))
        outputs_at_once = max(1, min(32, int(storage.get("upload_concurrency") or 4)))
        with ThreadPoolExecutor(max_workers=max(1, min(16, per_output * outputs_at_once))) as pool:
            list(pool.map(lambda item: self._one(job_id, configured, *item), work))
        rows = self.history.uploads(job_id)
        return {"job_id": job_id, "status": storage_status(rows), "uploads": [public_upload(r) for r in rows]}

    def _one(
        self,
        job_id: str,
        configured: Mapping[str, Any],
        output: targets.UploadOutput,
        name: str,
        role: str,
        placement: str,
        attempts: int,
    ) -> None:
        target = configured.get(name)
        kind = str(target.get("type")) if isinstance(target, dict) else "unknown"
        base = {
            "job_id": job_id,
            "output_index": output.index,
            "target": name,
            "target_type": kind,
            "attempts": attempts + 1,
        }
        meta = {"role": role, "placement": placement, "mime": output.mime, "sha256": output.sha256}
        self.history.upsert_upload({**base, "status": "running", "bytes": output.bytes, "metadata": meta})
        started = time.monotonic()
        try:
            if not isinstance(target, dict):
                raise AppError(
                    "storage_target_missing", f"Storage target {name!r} is not configured.", {"target": name}
                )
            outcome = targets.upload(
                name,
                settings.validate_target(name, target),
                job_id,
                output,
                self.env,
                private_targets_allowed(self.env),
            )
        except AppError as err:
            detail = redact_known_secrets(redact(err.detail), self._secrets(target))
            self.history.upsert_upload(
                {
                    **base,
                    "status": "failed",
                    "bytes": output.bytes,
                    "error": err.message,
                    "metadata": {**meta, "error_code": err.code, "detail": detail},
                }
            )
            return
        except Exception as exc:  # an uploader bug must not lose the job's other uploads
            self.history.upsert_upload(
                {
                    **base,
                    "status": "failed",
                    "error": f"Unexpected upload error: {type(exc).__name__}",
                    "metadata": {**meta, "error_code": "internal_error"},
                }
            )
            return
        manifest = {
            **meta,
            "target": name,
            "target_type": kind,
            "output_index": output.index,
            "source_path": str(output.path),
            "bytes": outcome.bytes,
            "url": outcome.url,
            "key": outcome.key,
        }
        self.history.upsert_upload(
            {
                **base,
                "status": "completed",
                "url": outcome.url,
                "bytes": outcome.bytes,
                "updated_at": now_ts(),
                "metadata": {
                    **meta,
                    "key": outcome.key,
                    "latency_ms": int((time.monotonic() - started) * 1000),
                    "detail": outcome.detail,
                    "manifest": manifest,
                },
            }
        )

    def _secrets(self, target: Any) -> list[str | None]:
        """Resolved secret values of a target, to scrub from error text that might echo them."""
        from gpt_image_engine.store.secrets import resolve_credential

        found: list[str | None] = []
        if not isinstance(target, dict):
            return found
        refs = [target.get(f) for f in settings.SECRET_FIELDS.get(str(target.get("type")), ())]
        refs += list((target.get("headers") or {}).values())
        for ref in refs:
            if isinstance(ref, dict):
                try:
                    found.append(resolve_credential(ref, self.env)[0])
                except AppError:
                    pass
        return found

    def test(self, name: str, target: Mapping[str, Any] | None, tmp_dir: Path) -> dict[str, Any]:
        """Upload a 1x1 PNG to a target (the saved one, or `target` as given, secrets merged)."""
        storage = self._storage()
        saved = (storage.get("targets") or {}).get(name)
        if target is None:
            if not isinstance(saved, dict):
                raise AppError(
                    "storage_target_missing", f"Storage target {name!r} is not configured.", {"target": name}
                )
            target = saved
        else:
            merged = settings.merge_storage_secrets({"targets": {name: dict(target)}}, storage)
            target = merged["targets"][name]
        clean = settings.validate_target(name, target)
        result: dict[str, Any] = {
            "target": name,
            "target_type": clean["type"],
            "unsupported": clean["type"] not in ("local", "s3", "webdav", "http", "sftp"),
            "local_only": settings.effective_pipeline(storage)["mode"] == "local_only",
        }
        tmp_dir.mkdir(parents=True, exist_ok=True)
        probe = tmp_dir / "gpt-image-2-test.png"
        data = _test_png()
        probe.write_bytes(data)
        output = targets.UploadOutput(0, probe, "image/png", "", len(data))
        started = time.monotonic()
        try:
            outcome = targets.upload(name, clean, "storage-test", output, self.env, private_targets_allowed(self.env))
        except AppError as err:
            detail = redact_known_secrets(redact(err.detail), self._secrets(clean))
            return {**result, "ok": False, "message": err.message, "code": err.code, "detail": detail}
        finally:
            probe.unlink(missing_ok=True)
        return {
            **result,
            "ok": True,
            "message": "Test upload succeeded.",
            "latency_ms": int((time.monotonic() - started) * 1000),
            "detail": {"key": outcome.key, "url": outcome.url, "bytes": outcome.bytes},
        }
