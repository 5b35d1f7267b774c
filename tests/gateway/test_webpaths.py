"""Job-file paths in the engine's JSON become gateway URLs; nothing else changes."""

from __future__ import annotations

import json

from gpt_image_gateway.webpaths import listed_jobs, rewrite, with_refs

JOBS = "/srv/data/.codex/gpt-image-2-skill/jobs"


def test_each_job_file_name_maps_to_its_route() -> None:
    names = {
        "out.png": "/api/jobs/job-1-2/outputs/0",
        "out-1.webp": "/api/jobs/job-1-2/outputs/0",
        "out-3.jpg": "/api/jobs/job-1-2/outputs/2",
        "ref-0.png": "/api/jobs/job-1-2/refs/0",
        "partial-2.png": "/api/jobs/job-1-2/partials/1",
        "source.png": "/api/jobs/job-1-2/sources/0",
        "source-light.png": "/api/jobs/job-1-2/sources/1",
    }
    for name, url in names.items():
        doc = {"output_path": f"{JOBS}/job-1-2/{name}", "n": 1}
        assert json.loads(rewrite(json.dumps(doc))) == {"output_path": url, "n": 1}, name


def test_other_strings_stay() -> None:
    doc = {
        "prompt": f"compare with {JOBS}/job-1-2/out.png",  # mentions a path: not a path
        "note": f"{JOBS}/job-1-2/out.png",  # relative-looking (no leading slash)
        "quoted": f'/x/"{JOBS}/job-1-2/out.png',
        "unknown": f"{JOBS}/job-1-2/request_meta.json",
        "artifact_id": "job-1-2/out.png",
        "outside": "/srv/data/elsewhere/out.png",
    }
    doc["note"] = doc["note"].lstrip("/")
    text = json.dumps(doc)
    assert rewrite(text) == text


def test_a_whole_job_and_escaped_home_dirs() -> None:
    home = "/home/zoë/jobs"  # json.dumps escapes the ë: the path still matches
    job = {
        "id": "job-9-1",
        "output_path": f"{home}/job-9-1/out-1.png",
        "outputs": [
            {"index": 0, "path": f"{home}/job-9-1/out-1.png"},
            {"index": 1, "path": f"{home}/job-9-1/out-2.png"},
        ],
        "metadata": {"output": {"path": None, "files": [{"index": 1, "path": f"{home}/job-9-1/out-2.png"}]}},
    }
    out = json.loads(rewrite(json.dumps(job)))
    assert out["output_path"] == "/api/jobs/job-9-1/outputs/0"
    assert [o["path"] for o in out["outputs"]] == ["/api/jobs/job-9-1/outputs/0", "/api/jobs/job-9-1/outputs/1"]
    assert out["metadata"]["output"]["files"][0]["path"] == "/api/jobs/job-9-1/outputs/1"
    assert "zo" not in json.dumps(out)
    assert with_refs(out, [1, 0])["reference_images"] == [
        {"index": 0, "path": "/api/jobs/job-9-1/refs/0"},
        {"index": 1, "path": "/api/jobs/job-9-1/refs/1"},
    ]


def _edit_row(count: object, **meta: object) -> dict[str, object]:
    return {
        "id": "job-1-2",
        "command": "images edit",
        "status": "running",
        "reference_images": [],
        "metadata": {"request": {"prompt": "p", "size": "1024x1024", "ref_image_count": count}, **meta},
    }


def test_listed_rows_name_an_edit_jobs_references_from_its_request() -> None:
    rows = json.loads(listed_jobs(json.dumps([_edit_row(2)])))
    assert rows[0]["reference_images"] == [
        {"index": 0, "path": "/api/jobs/job-1-2/refs/0"},
        {"index": 1, "path": "/api/jobs/job-1-2/refs/1"},
    ]
    assert rows[0]["metadata"]["prompt"] == "p" and rows[0]["metadata"]["ref_count"] == 2


def test_listed_rows_ignore_a_reference_count_that_is_not_a_small_integer() -> None:
    for bad in (0, -1, 17, 10**9, "3", True, 2.5, None):
        rows = json.loads(listed_jobs(json.dumps([_edit_row(bad)])))
        assert rows[0]["reference_images"] == [], bad


def test_listed_rows_keep_what_the_engine_already_says() -> None:
    row = _edit_row(2, prompt="engine's own", edit_region_mode="reference-hint")
    row["reference_images"] = [{"index": 0, "path": "/api/jobs/job-1-2/refs/0"}]
    shaped = json.loads(listed_jobs(json.dumps([row])))[0]
    assert shaped["reference_images"] == row["reference_images"]
    assert shaped["metadata"]["prompt"] == "engine's own" and shaped["metadata"]["edit_region_mode"] == "reference-hint"


def test_a_list_without_edit_or_unfinished_rows_is_not_reparsed() -> None:
    text = json.dumps([{"id": "job-1-3", "command": "images generate", "status": "completed", "metadata": {}}])
    assert listed_jobs(text) is text


def test_a_failed_row_carries_its_request_fields() -> None:
    row = {"id": "job-1-4", "command": "images generate", "status": "failed", "metadata": {"request": {"prompt": "q"}}}
    assert json.loads(listed_jobs(json.dumps([row])))[0]["metadata"]["prompt"] == "q"
