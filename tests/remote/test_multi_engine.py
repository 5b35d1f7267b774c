"""Issue 8, several engines behind one address: jobs stay addressable by id on the engine that owns them.

Two TLS + token engines (each its own CODEX_HOME) behind `127.0.0.1:A,127.0.0.1:B`. Jobs started
through the list land on both engines; then every job-addressed command of the CLI (show, watch
with a download, cancel, retry, delete) and every job route of the gateway (read, events, files,
cancel, delete, the merged listing) works through the same list whichever engine owns the job.
"""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from gpt_image_gateway.app import create_app
from gpt_image_gateway.client import EngineClient
from gpt_image_gateway.settings import Settings
from gpt_image_protocol.address import parse_address
from gpt_image_protocol.channel import client_settings
from tests.conftest import CliResult, run_cli
from tests.fakeupstream.server import FakeUpstream, Fault
from tests.gateway.conftest import sse_events
from tests.gateway.support import png_bytes, wait_for
from tests.remote.support import TcpEngine, client_env, make_pki, short_tmp, write_token

pytestmark = pytest.mark.slow
GEN = "/v1/images/generations"


@dataclass
class Fleet:
    engines: list[TcpEngine]
    upstream: FakeUpstream
    ca: Path
    token: str
    root: Path

    @property
    def address(self) -> str:
        return ",".join(e.address for e in self.engines)

    def env(self, address: str | None = None) -> dict[str, str]:
        return client_env(
            self.root / "client",
            address or self.address,
            None,
            self.token,
            GPT_IMAGE_2_ENGINE_CA_FILE=str(self.ca),
            OPENAI_API_KEY="sk-multi",
            OPENAI_BASE_URL=self.upstream.openai_base,
        )

    def cli(self, *args: str, address: str | None = None) -> CliResult:
        return run_cli(*args, env=self.env(address))

    def owner(self, job_id: str) -> int:
        owners = [i for i, e in enumerate(self.engines) if job_id in e.job_ids()]
        assert len(owners) == 1, (job_id, owners)
        return owners[0]


@pytest.fixture(scope="module")
def fleet() -> Iterator[Fleet]:
    root = short_tmp()
    pki = make_pki(root / "pki")
    token_file = root / "engine.token"
    token = write_token(token_file)
    upstream = FakeUpstream()
    upstream.start()
    creds = {"OPENAI_API_KEY": "sk-multi", "OPENAI_BASE_URL": upstream.openai_base}
    engines = [TcpEngine(home=root / f"engine-{i}", pki=pki, token_file=token_file, extra_env=creds) for i in range(2)]
    try:
        for engine in engines:
            engine.start()
        yield Fleet(engines, upstream, pki.ca, token, root)
    finally:
        for engine in engines:
            engine.stop()
        upstream.stop()


def on_both(fleet: Fleet, start: Callable[[int], str], tries: int = 10) -> dict[int, list[str]]:
    """Start jobs through the list until each engine owns at least one: {engine index: [job ids]}."""
    owned: dict[int, list[str]] = {0: [], 1: []}
    for i in range(tries):
        job_id = start(i)
        owned[fleet.owner(job_id)].append(job_id)
        if owned[0] and owned[1]:
            return owned
    raise AssertionError(f"jobs never reached both engines: {owned}")


def detach(fleet: Fleet, prompt: str) -> str:
    r = fleet.cli("images", "generate", "--prompt", prompt, "--out", str(fleet.root / f"{prompt}.png"), "--detach")
    assert r.returncode == 0, r.stdout + r.stderr
    return str(r.json["job_id"])


def test_cli_reaches_each_job_through_the_list(fleet: Fleet, tmp_path: Path) -> None:
    tag = uuid.uuid4().hex[:6]
    done = on_both(fleet, lambda i: detach(fleet, f"multi-{tag}-{i}"))
    firsts = [done[0][0], done[1][0]]
    for index, job_id in enumerate(firsts):
        # Watch (re-attach) and download the outputs, whichever engine owns the job.
        out = tmp_path / f"watched-{index}.png"
        watched = fleet.cli("jobs", "watch", job_id, "--out", str(out))
        assert watched.returncode == 0, watched.stdout + watched.stderr
        assert Path(watched.json["output"]["path"]).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        shown = fleet.cli("history", "show", job_id, "--events")
        assert shown.returncode == 0, shown.stdout
        assert shown.json["job"]["id"] == job_id and shown.json["job"]["status"] == "completed"
        assert shown.json["events"]
        recovery = fleet.cli("jobs", "recovery", job_id)
        assert recovery.returncode == 0, recovery.stdout
        # A retry runs on the engine that owns the original, and its outputs come back from there.
        before = [set(e.job_ids()) for e in fleet.engines]
        retried = fleet.cli("jobs", "retry", job_id, "--out", str(tmp_path / f"retried-{index}.png"))
        assert retried.returncode == 0, retried.stdout + retried.stderr
        assert Path(retried.json["output"]["path"]).is_file()
        grown = [len(set(e.job_ids()) - b) for e, b in zip(fleet.engines, before, strict=True)]
        assert grown == [1 if i == index else 0 for i in (0, 1)]

    # Cancel: slow jobs on both engines, each cancelled through the list.
    fleet.upstream.faults(Fault.slow(20.0, times=20, path=GEN))
    try:
        slow = on_both(fleet, lambda i: detach(fleet, f"slow-{tag}-{i}"))
        for job_id in slow[0] + slow[1]:
            cancelled = fleet.cli("jobs", "cancel", job_id)
            assert cancelled.returncode == 0 and cancelled.json["cancelled"] is True, cancelled.stdout
        for job_id in (slow[0][0], slow[1][0]):
            watched = fleet.cli("jobs", "watch", job_id)
            assert watched.returncode == 1 and watched.json["error"]["code"] == "job_cancelled", watched.stdout
    finally:
        fleet.upstream.clear_faults()

    # Unknown ids are still a plain not-found, from every engine.
    missing = fleet.cli("history", "show", "job-not-on-any-engine")
    assert missing.returncode == 1 and "not" in missing.json["error"]["code"], missing.stdout

    # Delete one job on each engine through the list.
    for index, job_id in enumerate(firsts):
        deleted = fleet.cli("history", "delete", job_id)
        assert deleted.returncode == 0 and deleted.json["deleted"], deleted.stdout
        assert job_id not in fleet.engines[index].job_ids()

    # The listing merges both engines, newest first, page by page.
    expected = set(fleet.engines[0].job_ids()) | set(fleet.engines[1].job_ids())
    seen: list[dict[str, Any]] = []
    cursor = ""
    for _ in range(100):
        args = ["history", "list", "--limit", "3"] + (["--cursor", cursor] if cursor else [])
        page = fleet.cli(*args)
        assert page.returncode == 0, page.stdout
        assert page.json["total"] == len(expected)
        seen += page.json["jobs"]
        cursor = page.json["next_cursor"] or ""
        if not cursor:
            break
    assert [j["id"] for j in seen] == [
        j["id"] for j in sorted(seen, key=lambda j: (j["created_at"], j["id"]), reverse=True)
    ]
    assert {j["id"] for j in seen} == expected and len(seen) == len(expected)


@pytest.fixture(scope="module")
def http(fleet: Fleet) -> Iterator[Any]:
    address = parse_address(fleet.address)
    client = EngineClient(address, settings=client_settings(address, token=fleet.token, ca_file=str(fleet.ca)))
    try:
        yield create_app(client, Settings(sse_heartbeat_s=1.0)).test_client()
    finally:
        client.close()


def test_gateway_serves_both_engines_jobs(fleet: Fleet, http: Any) -> None:
    def generate(i: int) -> str:
        reply = http.post("/api/images/generate", json={"prompt": f"gw {i}", "size": "1024x1024"})
        assert reply.status_code == 202, reply.json
        return str(reply.json["job_id"])

    def edit(i: int) -> str:
        # Uploads and the job must meet on one engine.
        data = {"prompt": f"gw edit {i}", "image[]": [(io.BytesIO(png_bytes()), "a.png")]}
        reply = http.post("/api/images/edit", data=data, content_type="multipart/form-data")
        assert reply.status_code == 202, reply.json
        return str(reply.json["job_id"])

    started = on_both(fleet, generate)
    edited = on_both(fleet, edit)
    # Jobs the gateway did not start (so it must find their engine): one made on each engine directly.
    direct = []
    for engine in fleet.engines:
        r = fleet.cli(
            "images",
            "generate",
            "--prompt",
            "direct",
            "--out",
            str(fleet.root / "direct.png"),
            "--detach",
            address=engine.address,
        )
        assert r.returncode == 0, r.stdout + r.stderr
        direct.append(str(r.json["job_id"]))
    for job_id in started[0][:1] + started[1][:1] + edited[0][:1] + edited[1][:1] + direct:
        events = sse_events(http.get(f"/api/jobs/{job_id}/events").get_data())
        assert events[-1]["data"]["status"] == "completed", (job_id, events[-1])
        reply = http.get(f"/api/jobs/{job_id}")
        assert reply.status_code == 200 and reply.json["job"]["id"] == job_id
        image = http.get(f"/api/jobs/{job_id}/outputs/0")
        assert image.status_code == 200 and image.get_data()[:8] == b"\x89PNG\r\n\x1a\n"
        assert http.get(f"/api/jobs/{job_id}/recovery").status_code == 200
    for job_id in edited[0][:1] + edited[1][:1]:
        ref = http.get(f"/api/jobs/{job_id}/refs/0")
        assert ref.status_code == 200 and ref.get_data()[:8] == b"\x89PNG\r\n\x1a\n"
    assert http.get("/api/jobs/job-not-on-any-engine").status_code == 404

    # Cancel, retry and delete through the gateway on both engines.
    fleet.upstream.faults(Fault.slow(20.0, times=20, path=GEN))
    try:
        slow = on_both(fleet, generate)
        for job_id in slow[0] + slow[1]:
            reply = http.post(f"/api/jobs/{job_id}/cancel")
            assert reply.status_code == 200 and reply.json["cancelled"] is True, reply.json
    finally:
        fleet.upstream.clear_faults()
    for index in (0, 1):
        original = started[index][0]
        reply = http.post(f"/api/jobs/{original}/retry", json={})
        assert reply.status_code == 202, reply.json
        assert fleet.owner(reply.json["job_id"]) == index
        events = sse_events(http.get(f"/api/jobs/{reply.json['job_id']}/events").get_data())
        assert events[-1]["data"]["status"] == "completed"
        reply = http.delete(f"/api/jobs/{direct[index]}")
        assert reply.status_code == 200 and reply.json["deleted"], reply.json
        assert direct[index] not in fleet.engines[index].job_ids()

    # The listing: both engines' jobs, newest first, through an opaque combined cursor.
    expected = set(fleet.engines[0].job_ids()) | set(fleet.engines[1].job_ids())
    seen: list[dict[str, Any]] = []
    cursor = ""
    for _ in range(200):
        page = http.get("/api/jobs", query_string={"limit": 4, **({"cursor": cursor} if cursor else {})})
        assert page.status_code == 200, page.json
        assert page.json["total"] == len(expected)
        seen += page.json["jobs"]
        cursor = page.json["next_cursor"] or ""
        if not cursor:
            break
    assert {j["id"] for j in seen} == expected and len(seen) == len(expected)
    assert seen == sorted(seen, key=lambda j: (j["created_at"], j["id"]), reverse=True)

    def all_cancelled() -> bool:
        cancelled = http.get("/api/jobs", query_string={"status": "cancelled", "limit": 200}).json
        return {j["id"] for j in cancelled["jobs"]} >= set(slow[0] + slow[1])

    wait_for(all_cancelled, timeout=20)


def test_real_gateway_process_over_the_list(fleet: Fleet, tmp_path: Path) -> None:
    from tests.gateway.support import start_gateway

    env = {k: v for k, v in fleet.env().items() if k.lower() not in ("http_proxy", "https_proxy", "all_proxy")}
    gateway = start_gateway(fleet.address, env, tmp_path / "gateway.log")
    try:
        import urllib.request

        def get(path: str) -> Any:
            with urllib.request.urlopen(gateway.url + path, timeout=30) as reply:
                return reply.status, reply.read()

        ids = []
        for engine in fleet.engines:  # one job on each engine, made there directly
            r = fleet.cli(
                "images", "generate", "--prompt", "p", "--out", str(tmp_path / "p.png"), "--detach", address=engine.address
            )
            assert r.returncode == 0, r.stdout + r.stderr
            ids.append(str(r.json["job_id"]))
        status, body = get("/api/jobs?limit=200")
        listed = {j["id"] for j in json.loads(body)["jobs"]}
        assert status == 200 and set(ids) <= listed
        for job_id in ids:
            status, body = get(f"/api/jobs/{job_id}")
            assert status == 200 and json.loads(body)["job"]["id"] == job_id
    finally:
        gateway.stop()


def test_cli_status_lists_both(fleet: Fleet) -> None:
    r = fleet.cli("engine", "status", "--json")
    assert r.returncode == 0, r.stdout
    assert [row["running"] for row in r.json["engines"]] == [True, True]
    assert len({row["engine_id"] for row in r.json["engines"]}) == 2
