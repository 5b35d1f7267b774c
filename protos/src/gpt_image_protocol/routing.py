"""Job-addressed calls across several engines behind one client address.

An address such as `h1:p,h2:p` or `dns:///name:p` names several engines, each
with its own history and job folders. New work may go to any serving engine,
but everything that names an existing job (watch, show, cancel, retry, resume,
delete, recovery, its artifacts) must reach the engine that owns it. Job ids
do not say which engine that is, so `EngineRouter`:

* keeps one channel per member (a `dns:` name is resolved when the router is
  made, and again on `refresh()`), with the same token and TLS settings for each;
* finds a job's owner by asking every member's `JobsService.GetJob` in
  parallel: the first answer that is not NOT_FOUND wins. The answer is cached
  (job id -> member) for the life of the process, as is the member that
  started a job (`remember`), so a job costs at most one fan-out per process;
* merges the members' `ListJobs` pages (newest first: created_at desc, id
  desc) behind one opaque page token made of the members' own tokens.

A single-engine address (Unix socket or one host:port) passes straight
through: no fan-out, no cache, the engine's own page tokens.
"""

from __future__ import annotations

import base64
import binascii
import json
import random
import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import replace
from typing import Any

import grpc

from gpt_image.v1 import jobs_pb2
from gpt_image_protocol.address import EngineAddress
from gpt_image_protocol.channel import ClientSettings, client_settings, open_channel
from gpt_image_protocol.errors import AppError
from gpt_image_protocol.health import is_serving
from gpt_image_protocol.jsonshape import obj, time_text
from gpt_image_protocol.rpc_errors import from_rpc_error
from gpt_image_protocol.stubs import EngineStubs

OWNER_CACHE_SIZE = 100_000  # job ids remembered per process (LRU)
LOOKUP_TIMEOUT = 10.0
LIST_TIMEOUT = 30.0
MAX_PAGE = 200  # the engine's largest ListJobs page
MERGED_TOKEN_PREFIX = "m1."


def router_settings(address: EngineAddress, settings: ClientSettings | None = None) -> ClientSettings:
    """Token and TLS for every member; a dns name is the name each member's certificate must carry."""
    if address.kind != "tcp":
        return ClientSettings(via=settings.via if settings else None)
    settings = settings or client_settings(address)
    if address.is_dns and settings.tls and not settings.tls_name:
        settings = replace(settings, tls_name=address.host)
    return settings


def _sort_key(job: jobs_pb2.Job) -> tuple[str, str]:
    """(created_at, id): history's own order, newest first when descending."""
    if job.HasField("verbatim"):
        fields = obj(job.verbatim)
        return (str(fields.get("created_at") or ""), str(fields.get("id") or ""))
    return (time_text(job.create_time) if job.HasField("create_time") else "", job.id)


def _encode_token(state: dict[str, Any]) -> str:
    raw = json.dumps(state, separators=(",", ":"), sort_keys=True).encode()
    return MERGED_TOKEN_PREFIX + base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _decode_token(token: str) -> dict[str, dict[str, Any]]:
    bad = AppError("invalid_argument", "The page cursor is malformed.", {"cursor": token[:200]})
    if not token.startswith(MERGED_TOKEN_PREFIX):
        raise bad
    text = token[len(MERGED_TOKEN_PREFIX) :]
    try:
        state = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    except (binascii.Error, ValueError):
        raise bad from None
    if not isinstance(state, dict):
        raise bad
    out: dict[str, dict[str, Any]] = {}
    for name, entry in state.items():
        if isinstance(entry, dict) and isinstance(entry.get("c"), str) and isinstance(entry.get("k"), int):
            out[name] = {"c": entry["c"], "k": max(0, entry["k"])}
            last = entry.get("l")
            if isinstance(last, list) and len(last) == 2 and all(isinstance(x, str) for x in last):
                out[name]["l"] = last
        elif isinstance(entry, dict) and isinstance(entry.get("t"), int):
            out[name] = {"t": entry["t"]}
        else:
            raise bad
    return out


class EngineRouter:
    """One channel per engine of an address, job ownership, and merged job listings."""

    def __init__(
        self,
        address: EngineAddress,
        settings: ClientSettings | None = None,
        *,
        members: list[EngineAddress] | None = None,
        cache_size: int = OWNER_CACHE_SIZE,
    ) -> None:
        self.address = address
        self.settings = router_settings(address, settings)
        self.members: list[EngineAddress] = list(members) if members is not None else address.engines()
        self._by_name = {str(m): m for m in self.members}
        self._channels: dict[str, grpc.Channel] = {}
        self._owners: OrderedDict[str, str] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None
        self._turn = random.randrange(len(self.members)) if self.members else 0

    @property
    def is_multi(self) -> bool:
        return len(self.members) > 1

    # --- channels

    def channel(self, member: EngineAddress) -> grpc.Channel:
        """The (lazily opened) channel to one member."""
        key = str(member)
        with self._lock:
            channel = self._channels.get(key)
            if channel is None:
                channel = open_channel(member, settings=self.settings)
                self._channels[key] = channel
            return channel

    def reopen(self, member: EngineAddress, *, close_old_after: float = 600.0) -> grpc.Channel:
        """A fresh channel to `member` (no reconnect backoff); calls on the old one may finish first."""
        channel = open_channel(member, settings=self.settings)
        with self._lock:
            old = self._channels.get(str(member))
            self._channels[str(member)] = channel
        if old is not None:
            timer = threading.Timer(close_old_after, old.close)
            timer.daemon = True
            timer.start()
        return channel

    def serving(self, member: EngineAddress, timeout: float = 1.0) -> bool:
        return is_serving(self.channel(member), timeout=timeout)

    def refresh(self) -> bool:
        """Resolve a `dns:` address again; True when the set of engines changed. Channels of engines
        that left are closed a while later; jobs they owned are looked up afresh."""
        if not self.address.is_dns:
            return False
        members = self.address.engines()
        with self._lock:
            if [str(m) for m in members] == [str(m) for m in self.members]:
                return False
            gone = [
                self._channels.pop(str(m))
                for m in self.members
                if str(m) not in {str(n) for n in members} and str(m) in self._channels
            ]
            self.members = members
            self._by_name = {str(m): m for m in members}
        for channel in gone:
            timer = threading.Timer(600.0, channel.close)
            timer.daemon = True
            timer.start()
        return True

    def member(self, name: str) -> EngineAddress:
        return self._by_name[name]

    def pick(self, up: Callable[[EngineAddress], bool | None] | None = None) -> EngineAddress:
        """The next member in turn among those `up` does not call down (all, when none is up)."""
        if not self.is_multi:
            return self.members[0]
        candidates = [m for m in self.members if up is None or up(m) is not False]
        candidates = candidates or self.members
        with self._lock:
            self._turn += 1
            return candidates[self._turn % len(candidates)]

    def close(self) -> None:
        with self._lock:
            channels = list(self._channels.values())
            self._channels.clear()
            pool, self._pool = self._pool, None
        for channel in channels:
            channel.close()
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)

    def _executor(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(
                    max_workers=min(64, 4 * max(1, len(self.members))), thread_name_prefix="engine-router"
                )
            return self._pool

    # --- job ownership

    def remember(self, job_id: str, member: EngineAddress) -> None:
        """Record that `member` owns `job_id` (it started the job, or listed it)."""
        if not self.is_multi or not job_id:
            return
        with self._lock:
            self._owners[job_id] = str(member)
            self._owners.move_to_end(job_id)
            while len(self._owners) > self._cache_size:
                self._owners.popitem(last=False)

    def forget(self, job_id: str) -> None:
        with self._lock:
            self._owners.pop(job_id, None)

    def known_owner(self, job_id: str) -> EngineAddress | None:
        if not self.is_multi:
            return self.members[0]
        with self._lock:
            name = self._owners.get(job_id)
        return self._by_name.get(name) if name else None

    def owner(self, job_id: str, timeout: float = LOOKUP_TIMEOUT) -> EngineAddress:
        """The member that has `job_id` (cached); raises the engines' error when none has it."""
        known = self.known_owner(job_id)
        if known is not None:
            return known
        found = self._locate(job_id, timeout)
        self.remember(job_id, found)
        return found

    def _ask(self, member: EngineAddress, job_id: str, timeout: float) -> None:
        stub = EngineStubs(self.channel(member)).jobs
        stub.GetJob(jobs_pb2.GetJobRequest(job_id=job_id), timeout=timeout)

    def _locate(self, job_id: str, timeout: float) -> EngineAddress:
        pool = self._executor()
        pending: dict[Future[None], EngineAddress] = {
            pool.submit(self._ask, member, job_id, timeout): member for member in self.members
        }
        not_found: list[grpc.RpcError] = []
        failed: list[tuple[EngineAddress, BaseException]] = []
        while pending:
            done, _ = wait(list(pending), return_when=FIRST_COMPLETED)
            for future in done:
                member = pending.pop(future)
                exc = future.exception()
                if exc is None:
                    return member
                if isinstance(exc, grpc.RpcError) and exc.code() == grpc.StatusCode.NOT_FOUND:
                    not_found.append(exc)
                else:
                    failed.append((member, exc))
        if failed:
            member, exc = failed[0]
            err = from_rpc_error(exc) if isinstance(exc, grpc.RpcError) else AppError("internal_error", str(exc))
            if not_found and err.code in ("engine_unavailable", "internal_error"):
                # The job is on none of the engines that answered; it may be on one that did not.
                err = AppError(
                    "engine_unavailable",
                    f"Job {job_id} is not on the engines that answered, and "
                    f"{len(failed)} of {len(self.members)} engines did not answer: {err.message}",
                    {"job_id": job_id, "unanswered": [str(m) for m, _ in failed]},
                )
            raise err
        raise from_rpc_error(not_found[0])

    # --- listing

    def list_jobs(
        self, *, limit: int, cursor: str = "", status: str = "", query: str = "", timeout: float = LIST_TIMEOUT
    ) -> jobs_pb2.ListJobsResponse:
        """One page of jobs, newest first, across all members (the engine's own reply for one)."""
        if not self.is_multi:
            stub = EngineStubs(self.channel(self.members[0])).jobs
            reply: jobs_pb2.ListJobsResponse = stub.ListJobs(
                jobs_pb2.ListJobsRequest(page_size=limit, page_token=cursor, status=status, query=query),
                timeout=timeout,
            )
            return reply
        limit = max(1, min(MAX_PAGE, int(limit)))
        # Per member: {"c": engine token, "k": items of that page already shown, "l": [created_at, id] of the
        # last one shown} or {"t": total} once exhausted.
        # A member missing from a token (a dns name that now resolves to a new address) counts as exhausted.
        state: dict[str, dict[str, Any]] = (
            _decode_token(cursor) if cursor else {str(m): {"c": "", "k": 0} for m in self.members}
        )
        live = [m for m in self.members if "c" in state.get(str(m), {})]
        pool = self._executor()

        def fetch(member: EngineAddress) -> tuple[str, int, jobs_pb2.ListJobsResponse, list[Any]]:
            """(token, skip, reply, jobs) with skip < len(jobs) unless the member has nothing more."""
            entry = state[str(member)]
            token, skip = str(entry["c"]), int(entry["k"])
            last = tuple(entry["l"]) if "l" in entry else None
            stub = EngineStubs(self.channel(member)).jobs
            while True:
                reply: jobs_pb2.ListJobsResponse = stub.ListJobs(
                    jobs_pb2.ListJobsRequest(
                        page_size=min(MAX_PAGE, skip + limit), page_token=token, status=status, query=query
                    ),
                    timeout=timeout,
                )
                jobs = list(reply.jobs)
                if last is not None:
                    # Skip what was shown by its key, not its count: jobs deleted since shift the count.
                    skip = sum(1 for j in jobs if _sort_key(j) >= last)
                if skip < len(jobs) or not (reply.has_more and reply.next_page_token):
                    return token, skip, reply, jobs
                # Every job of this page was shown already: go on from the page's end.
                token, skip = reply.next_page_token, 0

        futures = {str(m): pool.submit(fetch, m) for m in live}
        pages: dict[str, tuple[str, int, jobs_pb2.ListJobsResponse, list[Any]]] = {}
        for name, future in futures.items():
            try:
                pages[name] = future.result()
            except grpc.RpcError as exc:
                raise from_rpc_error(exc) from exc
        position = {name: page[1] for name, page in pages.items()}
        merged: list[Any] = []
        while len(merged) < limit:
            heads = {}
            blocked = False
            for name, (_, _, reply, jobs) in pages.items():
                if position[name] < len(jobs):
                    heads[name] = jobs[position[name]]
                elif reply.has_more:
                    blocked = True  # this member's next job is unknown: nothing older may be shown yet
            if blocked or not heads:
                break
            name = max(heads, key=lambda n: _sort_key(heads[n]))
            merged.append(heads[name])
            position[name] += 1
            job_id = _sort_key(heads[name])[1]
            if job_id:
                self.remember(job_id, self._by_name[name])
        next_state: dict[str, dict[str, Any]] = {}
        for member in self.members:
            name = str(member)
            if name in pages:
                token, _, reply, jobs = pages[name]
                if position[name] < len(jobs):
                    next_state[name] = {"c": token, "k": position[name]}
                    if position[name]:
                        next_state[name]["l"] = list(_sort_key(jobs[position[name] - 1]))
                elif reply.has_more and reply.next_page_token:
                    next_state[name] = {"c": reply.next_page_token, "k": 0}
                else:
                    next_state[name] = {"t": reply.total}
            else:
                next_state[name] = {"t": int(state.get(name, {}).get("t") or 0)}
        has_more = any("c" in entry for entry in next_state.values())
        shown = [pages[str(m)][2] for m in self.members if str(m) in pages]
        return jobs_pb2.ListJobsResponse(
            jobs=merged,
            next_page_token=_encode_token(next_state) if has_more else "",
            has_more=has_more,
            total=sum(reply.total for reply in shown)
            + sum(int(next_state[n].get("t") or 0) for n in next_state if n not in pages),
            history_file=shown[0].history_file if shown else "",
        )
