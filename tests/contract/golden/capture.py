"""Capture the golden JSON texts of issue 19 from a real run (run once, before the typed contract).

    .venv/bin/python tests/contract/golden/capture.py            # write golden.json
    .venv/bin/python tests/contract/golden/capture.py --compare  # rerun, diff against it

Starts a real engine and the loopback fake upstream, runs the real CLI (`--json`, `--json-events`)
and the real gateway app (Flask test client on a real `EngineClient`), and writes
`tests/contract/golden/golden.json` with, per job: the event records as the engine's history holds
them (the input the engine turns into `JobEvent` messages), the CLI's stdout envelope and stderr
JSON lines, the gateway's SSE body and job JSON; per unary call: the engine payload and the CLI's
envelope. `test_golden.py` feeds the same inputs through today's code and compares the texts.
It was run on the commit before the typed messages (e03d05b), so the texts are what users saw then.
`--compare` runs the same flow on today's code into a temporary file and reports every text that
differs from golden.json once the values of one run (temp paths, job ids, ports, times, digests)
are masked.
"""

from __future__ import annotations

import json
import re
import sqlite3
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))

from tests.conftest import run_cli  # noqa: E402
from tests.fakeupstream.server import Fault, draw_mask, draw_png  # noqa: E402
from tests.gateway.support import chroma_png, engine_stack  # noqa: E402

OUT = Path(__file__).with_name("golden.json")


def _job(reply: Any) -> Any:
    """The job of a GetJob reply, from the JSON-string contract (golden) or the typed one."""
    if hasattr(reply, "job_json"):
        return json.loads(reply.job_json)
    from gpt_image_protocol.jsonshape import job_dict

    return job_dict(reply.job)


def _jobs(page: Any) -> Any:
    if hasattr(page, "jobs_json"):
        return json.loads(page.jobs_json)
    from gpt_image_protocol.jsonshape import jobs_list

    return jobs_list(page.jobs)


def capture(out: Path) -> None:
    from gpt_image_gateway.app import create_app
    from gpt_image_gateway.client import EngineClient
    from gpt_image_gateway.settings import Settings
    from gpt_image_protocol.address import parse_address

    work = Path(tempfile.mkdtemp(prefix="golden-"))
    golden: dict[str, Any] = {"jobs": [], "unary": []}
    with engine_stack(work) as stack:
        engine = stack.engine
        env = engine.client_env()
        client = EngineClient(parse_address(stack.address))
        app = create_app(client, Settings(sse_heartbeat_s=30.0))
        http = app.test_client()
        db = engine.shared_dir / "history.sqlite"
        (work / "ref.png").write_bytes(draw_png(64, 64, 1))
        (work / "mask.png").write_bytes(draw_mask(64, 64))
        (work / "matte.png").write_bytes(chroma_png())
        (work / "body.json").write_text(json.dumps({"model": "gpt-image-2", "prompt": "a pear", "n": 1}))

        def last_job_id() -> str:
            with sqlite3.connect(db) as conn:
                return str(
                    conn.execute("SELECT id FROM jobs ORDER BY created_at DESC, rowid DESC LIMIT 1").fetchone()[0]
                )

        def job(name: str, *args: str, faults: tuple[Fault, ...] = ()) -> None:
            if faults:
                stack.upstream.faults(*faults)
            r = run_cli(*args, "--json", "--json-events", env=env)
            job_id = last_job_id()
            with sqlite3.connect(db) as conn:
                command = conn.execute("SELECT command FROM jobs WHERE id = ?", (job_id,)).fetchone()[0]
                rows = conn.execute(
                    "SELECT seq, kind, event_type, data, created_at FROM job_events WHERE job_id = ? ORDER BY seq",
                    (job_id,),
                ).fetchall()
            records = [
                {"seq": seq, "kind": kind, "type": type_, "data": json.loads(data), "created_at": created}
                for seq, kind, type_, data, created in rows
            ]
            reply = client.get_job(job_id)
            golden["jobs"].append(
                {
                    "name": name,
                    "job_id": job_id,
                    "command": command,
                    "records": records,
                    "cli_returncode": r.returncode,
                    "cli_stdout": r.stdout,
                    "cli_stderr": r.stderr,
                    "engine_job": _job(reply),
                    "cli_history_show": run_cli("history", "show", job_id, "--json", env=env).stdout,
                    "gateway_job": http.get(f"/api/jobs/{job_id}").get_data(as_text=True),
                    "gateway_sse": http.get(f"/api/jobs/{job_id}/events").get_data(as_text=True),
                }
            )

        job("generate", "images", "generate", "--prompt", "an apple", "--out", str(work / "apple"), "--size", "2k")
        job(
            "generate_retry",
            "images",
            "generate",
            "--prompt",
            "a plum",
            "--out",
            str(work / "plum"),
            "--retries",
            "2",
            "--retry-delay-seconds",
            "0.05",
            faults=(Fault.fail(500, times=1),),
        )
        job(
            "edit",
            "images",
            "edit",
            "--prompt",
            "merge",
            "--ref-image",
            str(work / "ref.png"),
            "--mask",
            str(work / "mask.png"),
            "--out",
            str(work / "edit"),
        )
        job(
            "failed",
            "images",
            "generate",
            "--prompt",
            "a fig",
            "--out",
            str(work / "fig"),
            "--retries",
            "0",
            faults=(Fault.fail(400, times=1),),
        )
        job(
            "transparent_generate",
            "transparent",
            "generate",
            "--prompt",
            "a red ball",
            "--out",
            str(work / "ball"),
            "--keep-sources",
        )
        job(
            "transparent_extract",
            "transparent",
            "extract",
            "--input",
            str(work / "matte.png"),
            "--out",
            str(work / "cut"),
        )
        job("transparent_verify", "transparent", "verify", "--input", str(work / "cut.png"))
        job(
            "request",
            "request",
            "create",
            "--body-file",
            str(work / "body.json"),
            "--request-operation",
            "generate",
            "--out-image",
            str(work / "raw.png"),
        )
        failed_id = next(j["job_id"] for j in golden["jobs"] if j["name"] == "failed")
        golden["lists"] = {
            "engine_jobs": _jobs(client.list_jobs(limit=50, cursor="", status="", query="")),
            "cli_history_list": run_cli("history", "list", "--json", env=env).stdout,
            "gateway_jobs": http.get("/api/jobs").get_data(as_text=True),
            "recovery": client.get_recovery(failed_id),
            "cli_recovery": run_cli("jobs", "recovery", failed_id, "--json", env=env).stdout,
            "gateway_recovery": http.get(f"/api/jobs/{failed_id}/recovery").get_data(as_text=True),
        }

        def unary(name: str, payload: Any, *args: str) -> None:
            golden["unary"].append(
                {"name": name, "payload": payload, "cli_stdout": run_cli(*args, "--json", env=env).stdout}
            )

        unary("config_list_providers", client.config_call("ListProviders"), "config", "list-providers")
        unary("config_inspect", client.config_call("InspectConfig"), "config", "inspect")
        unary("config_path", client.config_call("GetConfigPaths"), "config", "path")
        unary(
            "secret_get",
            client.secrets_call("GetSecret", provider="fake", name="api_key", status_only=True),
            "secret",
            "get",
            "fake",
            "api_key",
            "--status",
        )
        golden["gateway_unary"] = {
            "config": http.get("/api/config").get_data(as_text=True),
            "providers": http.get("/api/providers").get_data(as_text=True),
            "queue": http.get("/api/queue").get_data(as_text=True),
        }
        client.close()
    out.write_text(json.dumps(golden, indent=1, ensure_ascii=False) + "\n")
    print(f"wrote {out} ({len(golden['jobs'])} jobs)")


def _masked(text: str, ids: dict[str, str]) -> str:
    """`text` with what differs between two runs masked (ids numbered by first appearance)."""
    text = re.sub(r"/tmp/(golden|gpt-image-2-transparent)-[A-Za-z0-9_-]+", r"/tmp/\1-X", text)
    text = re.sub(r"job-\d+-\d+", lambda m: ids.setdefault(m.group(0), f"JOB{len(ids)}"), text)
    text = re.sub(r"127\.0\.0\.1:\d+", "HOST", text)
    text = re.sub(r"\b1\d{9}\b", "TIME", text)
    text = re.sub(r'"(run_seconds|eta_seconds)": ?[\d.]+', r'"\1": N', text)
    return re.sub(r"[0-9a-f]{64}", "SHA", text)


def compare() -> int:
    fresh = Path(tempfile.mkdtemp(prefix="golden-check-")) / "now.json"
    capture(fresh)
    then, now = json.loads(OUT.read_text()), json.loads(fresh.read_text())
    pairs: list[tuple[str, str, str, dict[str, str], dict[str, str]]] = []
    for a, b in zip(then["jobs"], now["jobs"], strict=True):
        ids_a: dict[str, str] = {}
        ids_b: dict[str, str] = {}
        for key in ("cli_stdout", "cli_stderr", "cli_history_show", "gateway_job", "gateway_sse"):
            pairs.append((f"{a['name']}.{key}", a[key], b[key], ids_a, ids_b))
    for key in ("cli_history_list", "gateway_jobs", "cli_recovery", "gateway_recovery"):
        pairs.append((key, then["lists"][key], now["lists"][key], {}, {}))
    for a, b in zip(then["unary"], now["unary"], strict=True):
        pairs.append((a["name"], a["cli_stdout"], b["cli_stdout"], {}, {}))
    for key in then["gateway_unary"]:
        pairs.append((f"gateway {key}", then["gateway_unary"][key], now["gateway_unary"][key], {}, {}))
    differ = [name for name, a, b, ids_a, ids_b in pairs if _masked(a, ids_a) != _masked(b, ids_b)]
    print(f"{len(pairs)} texts compared; differing: {differ or 'none'}")
    return 1 if differ else 0


if __name__ == "__main__":
    if "--compare" in sys.argv:
        raise SystemExit(compare())
    capture(OUT)
