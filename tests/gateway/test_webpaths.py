"""Job-file paths in the engine's JSON become gateway URLs; nothing else changes."""

from __future__ import annotations

import json

from gpt_image_gateway.webpaths import rewrite, with_refs

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
        "outputs": [{"index": 0, "path": f"{home}/job-9-1/out-1.png"}, {"index": 1, "path": f"{home}/job-9-1/out-2.png"}],
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
