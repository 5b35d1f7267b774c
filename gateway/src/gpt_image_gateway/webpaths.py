"""Server paths out, gateway URLs in: the job JSON and events the gateway serves name no file.

The engine's records carry the absolute paths of a job's files (`outputs[].path`,
`output_path`, `metadata.output.files[].path`, event `output` objects). A browser
cannot use them and should not see them, so each becomes the route that serves
the file: `/api/jobs/{id}/outputs/{i}` (and `refs/`, `partials/`, `sources/`).
The upstream app shows any path that starts with `/api/` directly, so it never
needs `/api/files` for these.

The rewrite works on the JSON text as the engine sends it (one scan for `/job-`; a
job list is never parsed and re-encoded for it) and relies on the engine's file names
in a job folder: `out.<ext>` / `out-<n>.<ext>` (outputs, n 1-based), `ref-<i>`
(references, 0-based), `partial-<n>` (previews, 1-based), `source`, `source-dark`,
`source-light` (matte sources). Other names are left as they are.
"""

from __future__ import annotations

import functools
import json
import re
from typing import Any
from urllib.parse import quote

from gpt_image_protocol.jsonshape import document_text

# The end of a JSON string whose last two path parts are <job id>/<file name>.
_TAIL = re.compile(r'/(job-[A-Za-z0-9_-]{1,80})/([A-Za-z0-9][A-Za-z0-9._-]{0,127})"')
_NAME = re.compile(r"(out|ref|partial|source)(?:-([a-z0-9]+))?\.[A-Za-z0-9]+")


def file_url(job_id: str, index: int, kind: str = "outputs") -> str:
    return f"/api/jobs/{quote(job_id, safe='')}/{kind}/{index}"


def _route(name: str) -> tuple[str, int] | None:
    """(route, index) serving the job file `name`, None for a name no route serves."""
    m = _NAME.fullmatch(name)
    if m is None:
        return None
    stem, tail = m.group(1), m.group(2)
    if stem == "source":
        return {None: ("sources", 0), "dark": ("sources", 0), "light": ("sources", 1)}.get(tail)
    if tail is None:
        return ("outputs", 0) if stem == "out" else None
    if not tail.isdigit():
        return None
    n = int(tail)
    if stem == "ref":
        return "refs", n
    return ("outputs" if stem == "out" else "partials"), max(0, n - 1)


@functools.lru_cache(maxsize=8192)
def _url(job_id: str, name: str) -> str | None:
    """The quoted JSON string of the URL serving `name` of `job_id` (polled lists repeat: cached)."""
    route = _route(name)
    return None if route is None else f'"{file_url(job_id, route[1], route[0])}"'


def rewrite(text: str) -> str:
    """JSON text with every job-file path replaced by its gateway URL.

    Finds each `/<job id>/<name>"` string end, then its opening quote; only a whole string that
    is an absolute path is replaced (a prompt that mentions such a path is not)."""
    if "/job-" not in text:
        return text
    out: list[str] = []
    pos = 0
    for m in _TAIL.finditer(text):
        start = text.rfind('"', pos, m.start())
        if start < 0 or text[start + 1] != "/" or (start and text[start - 1] == "\\"):
            continue
        url = _url(m.group(1), m.group(2))
        if url is None:
            continue
        out.append(text[pos:start])
        out.append(url)
        pos = m.end()
    if not out:
        return text
    out.append(text[pos:])
    return "".join(out)


def rewrite_value(value: Any) -> Any:
    """A JSON value with its job-file paths replaced (`rewrite` on the value's engine text; a
    value with no job path, most events, comes back as it is)."""
    text = document_text(value)
    if "/job-" not in text:
        return value
    changed = rewrite(text)
    return value if changed is text else json.loads(changed)


def with_refs(job: Any, indexes: list[int]) -> Any:
    """Fill `reference_images` (in place) from the job's kept reference files."""
    if isinstance(job, dict) and isinstance(job.get("id"), str) and indexes:
        job["reference_images"] = [{"index": i, "path": file_url(job["id"], i, "refs")} for i in sorted(indexes)]
    return job


# An edit takes at most this many references (the upstream's own limit); a larger count in a
# row is not trusted.
MAX_LISTED_REFS = 16


def listed_ref_count(job: Any) -> int:
    """How many references an edit row's request kept (`ref_image_count`, or the upstream app's
    own `ref_count`); 0 when the row does not say or says nonsense."""
    meta = job.get("metadata") if isinstance(job, dict) else None
    if not isinstance(meta, dict):
        return 0
    request = meta.get("request")
    raw = request.get("ref_image_count") if isinstance(request, dict) else None
    if raw is None:
        raw = meta.get("ref_count")
    if isinstance(raw, bool) or not isinstance(raw, int) or not 0 < raw <= MAX_LISTED_REFS:
        return 0
    return raw


# Request fields the upstream's queue rows carry at the top of `metadata` (the app reads
# metadata.prompt, size, n, quality, format and edit_region_mode from the row it polls), and
# where the engine's row keeps them before the job ends.
_REQUEST_FIELDS = (
    ("prompt", "prompt"),
    ("size", "size"),
    ("quality", "quality"),
    ("background", "background"),
    ("n", "n"),
)


def with_request_fields(job: Any) -> Any:
    """Fill (in place, never overwriting) the upstream's top-level request fields of a job's
    metadata from the engine's `metadata.request` / `provider_selection`: a queued, running,
    failed or cancelled row otherwise reads "no prompt" (and one placeholder) in the
    upstream's screens."""
    meta = job.get("metadata") if isinstance(job, dict) else None
    if not isinstance(meta, dict):
        return job
    request = meta.get("request")
    if isinstance(request, dict):
        for key, source in _REQUEST_FIELDS:
            if key not in meta and source in request:
                meta[key] = request[source]
        if "format" not in meta and "output_format" in request:
            meta["format"] = request["output_format"]
        if job.get("command") == "images edit" and "ref_count" not in meta and "ref_image_count" in request:
            meta["ref_count"] = request["ref_image_count"]
    selection = meta.get("provider_selection")
    if (
        job.get("command") == "images edit"
        and "edit_region_mode" not in meta
        and isinstance(selection, dict)
        and isinstance(selection.get("edit_region_mode"), str)
    ):
        meta["edit_region_mode"] = selection["edit_region_mode"]
    return job


def with_listed_refs(job: Any) -> Any:
    """An edit row's `reference_images` (in place), as the upstream's list rows carry them
    (scanned from the job's `ref-<i>` files): the history screen's reference strip reads the
    row, not the job detail. The engine's rows leave the field empty when the row has no
    recovery folder; the edit request's reference count says which kept `ref-<i>` inputs
    `/api/jobs/{id}/refs/{i}` serves."""
    if isinstance(job, dict) and job.get("command") == "images edit" and not job.get("reference_images"):
        count = listed_ref_count(job)
        if count:
            with_refs(job, list(range(count)))
    return job


# Rows the engine writes without the top-level request fields: unfinished ones and the ones that
# ended without an image (failed, cancelled, partially failed); edit rows also need their refs.
_NEEDS_SHAPING = re.compile(
    r'"images edit"|"status":\s*"(?:queued|running|uploading|failed|cancelled|canceled|partial_failed)"'
)


def listed_jobs(text: str) -> str:
    """A job list (JSON array text) in the upstream's row shape: edit rows name their
    references and rows that did not finish with an image carry their request fields
    (`with_listed_refs`, `with_request_fields`). A list of completed image jobs only (most
    pages of a history) is passed through as it is, never parsed."""
    if _NEEDS_SHAPING.search(text) is None:
        return text
    rows = json.loads(text)
    if not isinstance(rows, list):
        return text
    for job in rows:
        with_request_fields(with_listed_refs(job))
    return json.dumps(rows, ensure_ascii=False, separators=(",", ":"))
