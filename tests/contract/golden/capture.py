"""Capture the golden JSON texts of issue 19 from a real run (run once, before the typed contract).

    .venv/bin/python tests/contract/golden/capture.py

Starts a real engine and the loopback fake upstream, runs the real CLI (`--json`, `--json-events`)
and the real gateway app (Flask test client on a real `EngineClient`), and writes
`tests/contract/golden/golden.json` with, per job: the event records as the engine's history holds
them (the input the engine turns into `JobEvent` messages), the CLI's stdout envelope and stderr
JSON lines, the gateway's SSE body and job JSON; per unary call: the engine payload and the CLI's
envelope. `test_golden.py` feeds the same inputs through today's code and compares the texts.
It was run on the commit before the typed messages (e03d05b), so the texts are what users saw then.
"""

from __future__ import annotations

import json
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


def main() -> None:
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
                    "engine_job": json.loads(reply.job_json),
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
            "engine_jobs": json.loads(client.list_jobs(limit=50, cursor="", status="", query="").jobs_json),
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
    OUT.write_text(json.dumps(golden, indent=1, ensure_ascii=False) + "\n")
    print(f"wrote {OUT} ({len(golden['jobs'])} jobs)")


if __name__ == "__main__":
    main()
