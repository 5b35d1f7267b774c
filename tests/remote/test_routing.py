"""`gpt_image_protocol.routing.EngineRouter` against small in-process fake engines:
owner lookup by parallel GetJob (cached), and job listings merged across engines
page by page (newest first, nothing lost or repeated, whatever the page size)."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from concurrent import futures
from dataclasses import dataclass, field

import grpc
import pytest

from gpt_image.v1 import jobs_pb2, jobs_pb2_grpc
from gpt_image_protocol import jsonshape
from gpt_image_protocol.address import parse_address
from gpt_image_protocol.channel import ClientSettings
from gpt_image_protocol.errors import AppError
from gpt_image_protocol.routing import EngineRouter


@dataclass
class FakeJobs(jobs_pb2_grpc.JobsServiceServicer):  # type: ignore[misc]
    """ListJobs (created_at desc, id desc, keyset cursor, page cap 200) and GetJob over a fixed list."""

    jobs: list[dict[str, str]]
    get_calls: list[str] = field(default_factory=list)

    def _sorted(self) -> list[dict[str, str]]:
        return sorted(self.jobs, key=lambda j: (j["created_at"], j["id"]), reverse=True)

    def GetJob(self, request, context):  # type: ignore[no-untyped-def]
        self.get_calls.append(request.job_id)
        for job in self.jobs:
            if job["id"] == request.job_id:
                return jobs_pb2.GetJobResponse(job=jsonshape.job_message(job))
        context.abort(grpc.StatusCode.NOT_FOUND, f"no job {request.job_id}")

    def ListJobs(self, request, context):  # type: ignore[no-untyped-def]
        rows = self._sorted()
        if request.page_token:
            created, job_id = base64.b64decode(request.page_token).decode().split("|")
            rows = [r for r in rows if (r["created_at"], r["id"]) < (created, job_id)]
        limit = min(200, request.page_size or 100)
        page, more = rows[:limit], len(rows) > limit
        token = base64.b64encode(f"{page[-1]['created_at']}|{page[-1]['id']}".encode()).decode() if more else ""
        return jobs_pb2.ListJobsResponse(
            jobs=[jsonshape.job_message(j) for j in page], next_page_token=token, has_more=more, total=len(self.jobs), history_file="h"
        )


def serve(jobs: FakeJobs) -> tuple[grpc.Server, int]:
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
    jobs_pb2_grpc.add_JobsServiceServicer_to_server(jobs, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    return server, port


def job(engine: str, i: int, created: int) -> dict[str, str]:
    return {"id": f"job-{engine}-{i:03d}", "created_at": f"2024-01-01T00:{created // 60:02d}:{created % 60:02d}Z"}


@pytest.fixture
def fleet() -> Iterator[tuple[EngineRouter, list[FakeJobs]]]:
    # A: 37 jobs, B: 11 jobs, C: none; times interleave, and two share a timestamp (ties break by id).
    a = FakeJobs([job("a", i, 2 * i) for i in range(37)])
    b = FakeJobs([job("b", i, 7 * i + 1) for i in range(11)] + [job("b", 99, 4)])
    c = FakeJobs([])
    servers = [serve(f) for f in (a, b, c)]
    address = parse_address(",".join(f"127.0.0.1:{port}" for _, port in servers))
    router = EngineRouter(address, ClientSettings())
    try:
        yield router, [a, b, c]
    finally:
        router.close()
        for server, _ in servers:
            server.stop(None)


def all_jobs(fakes: list[FakeJobs]) -> list[dict[str, str]]:
    return sorted((j for f in fakes for j in f.jobs), key=lambda j: (j["created_at"], j["id"]), reverse=True)


@pytest.mark.parametrize("limit", [1, 2, 5, 12, 48, 200])
def test_merged_pages_are_newest_first_without_gaps_or_repeats(fleet, limit) -> None:  # type: ignore[no-untyped-def]
    router, fakes = fleet
    expected = [j["id"] for j in all_jobs(fakes)]
    seen: list[str] = []
    cursor = ""
    for _ in range(200):
        page = router.list_jobs(limit=limit, cursor=cursor)
        ids = [j["id"] for j in jsonshape.jobs_list(page.jobs)]
        assert len(ids) == min(limit, len(expected) - len(seen))
        assert page.total == len(expected)
        seen += ids
        if not page.has_more:
            assert page.next_page_token == ""
            break
        assert page.next_page_token.startswith("m1.")
        cursor = page.next_page_token
    assert seen == expected


def test_listing_filters_reach_every_engine_and_listed_jobs_need_no_lookup(fleet) -> None:  # type: ignore[no-untyped-def]
    router, fakes = fleet
    router.list_jobs(limit=200)
    owner = router.owner("job-b-003")
    assert str(owner).endswith(str(router.members[1]).split(":")[-1])
    assert all(f.get_calls == [] for f in fakes)  # the listing told the router who owns each job


def test_owner_is_found_by_parallel_get_job_and_cached(fleet) -> None:  # type: ignore[no-untyped-def]
    router, fakes = fleet
    assert router.owner("job-b-010") == router.members[1]
    assert router.owner("job-a-000") == router.members[0]
    calls = [len(f.get_calls) for f in fakes]
    assert router.owner("job-b-010") == router.members[1]
    assert [len(f.get_calls) for f in fakes] == calls  # cached: no second fan-out
    with pytest.raises(AppError) as caught:
        router.owner("job-z-000")
    assert caught.value.code == "internal_error" or "no job" in caught.value.message


def test_malformed_cursor_is_invalid_argument(fleet) -> None:  # type: ignore[no-untyped-def]
    router, _ = fleet
    for bad in ("m1.!!!", "m1." + base64.urlsafe_b64encode(b'{"x":{"c":1}}').decode(), "plain-engine-token"):
        with pytest.raises(AppError) as caught:
            router.list_jobs(limit=5, cursor=bad)
        assert caught.value.code == "invalid_argument"


def test_an_unreachable_engine_makes_an_unknown_job_unavailable_not_missing() -> None:
    a = FakeJobs([job("a", 1, 1)])
    server, port = serve(a)
    address = parse_address(f"127.0.0.1:{port},127.0.0.1:1")  # nothing listens on port 1
    router = EngineRouter(address, ClientSettings())
    try:
        assert router.owner("job-a-001") == router.members[0]
        with pytest.raises(AppError) as caught:
            router.owner("job-elsewhere", timeout=3)
        assert caught.value.code == "engine_unavailable"
        assert caught.value.detail["unanswered"] == ["127.0.0.1:1"]
    finally:
        router.close()
        server.stop(None)


def test_a_single_engine_passes_through() -> None:
    a = FakeJobs([job("a", i, i) for i in range(3)])
    server, port = serve(a)
    router = EngineRouter(parse_address(f"127.0.0.1:{port}"), ClientSettings())
    try:
        assert not router.is_multi
        assert router.owner("anything") == router.members[0] and a.get_calls == []
        page = router.list_jobs(limit=2)
        assert page.has_more and not page.next_page_token.startswith("m1.")  # the engine's own token
        assert [j["id"] for j in jsonshape.jobs_list(router.list_jobs(limit=2, cursor=page.next_page_token).jobs)] == [
            "job-a-000"
        ]
    finally:
        router.close()
        server.stop(None)


def walk(router: EngineRouter, limit: int) -> list[str]:
    seen: list[str] = []
    cursor = ""
    for _ in range(500):
        page = router.list_jobs(limit=limit, cursor=cursor)
        ids = [j["id"] for j in jsonshape.jobs_list(page.jobs)]
        assert 0 < len(ids) <= limit or not page.has_more
        seen += ids
        if not page.has_more:
            return seen
        cursor = page.next_page_token
    raise AssertionError("the listing never ended")


@pytest.mark.parametrize("limit", [150, 200])
def test_pages_near_the_engine_cap_still_cover_everything(limit) -> None:  # type: ignore[no-untyped-def]
    a = FakeJobs([job("a", i, i) for i in range(450)])
    b = FakeJobs([job("b", i, 15 * i) for i in range(30)])
    servers = [serve(f) for f in (a, b)]
    router = EngineRouter(parse_address(",".join(f"127.0.0.1:{p}" for _, p in servers)), ClientSettings())
    try:
        assert walk(router, limit) == [j["id"] for j in all_jobs([a, b])]
    finally:
        router.close()
        for server, _ in servers:
            server.stop(None)


def test_jobs_deleted_between_pages_neither_stall_nor_hide_others(fleet) -> None:  # type: ignore[no-untyped-def]
    router, fakes = fleet
    everything = [j["id"] for j in all_jobs(fakes)]
    first = router.list_jobs(limit=5)
    shown = [j["id"] for j in jsonshape.jobs_list(first.jobs)]
    for fake in fakes:
        fake.jobs = [j for j in fake.jobs if j["id"] not in shown]
    cursor, seen = first.next_page_token, list(shown)
    while cursor:
        page = router.list_jobs(limit=5, cursor=cursor)
        ids = [j["id"] for j in jsonshape.jobs_list(page.jobs)]
        assert ids or not page.has_more
        seen += ids
        cursor = page.next_page_token
    assert seen == everything  # nothing skipped: what was shown is skipped by key, not by count


def test_a_dns_address_picks_up_new_engines_on_refresh(monkeypatch: pytest.MonkeyPatch) -> None:
    from gpt_image_protocol.address import EngineAddress

    a, b = FakeJobs([job("a", 1, 1)]), FakeJobs([job("b", 1, 2)])
    servers = [serve(f) for f in (a, b)]
    resolved = [[f"127.0.0.1:{servers[0][1]}"]]
    monkeypatch.setattr(EngineAddress, "engines", lambda self: [EngineAddress("tcp", m) for m in resolved[0]])
    router = EngineRouter(parse_address("dns:///engines.test:50051"), ClientSettings())
    try:
        assert len(router.members) == 1 and not router.is_multi
        assert router.refresh() is False
        resolved[0] = [f"127.0.0.1:{servers[0][1]}", f"127.0.0.1:{servers[1][1]}"]
        assert router.refresh() is True and router.is_multi
        assert router.owner("job-b-001") == router.members[1]
        assert [j["id"] for j in jsonshape.jobs_list(router.list_jobs(limit=5).jobs)] == ["job-b-001", "job-a-001"]
    finally:
        router.close()
        for server, _ in servers:
            server.stop(None)
