"""Per-invocation state shared by every command: global flags, output mode,
the lazily opened engine connection, and the CallOptions each request carries."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import click

from gpt_image_cli.connect import Engine, connect, connect_job
from gpt_image_cli.envelope import json_mode, print_success
from gpt_image_cli.globalflags import GlobalFlags

if TYPE_CHECKING:
    from gpt_image.v1 import common_pb2, jobs_pb2


def _abs_path(value: str | None) -> str:
    if not value or not value.strip():
        return ""
    return os.path.abspath(os.path.expanduser(value.strip()))


@dataclass
class CliState:
    flags: GlobalFlags
    _engine: Engine | None = field(default=None, repr=False)
    exit_code: int = 0  # what the printed result asks for (a human `doctor` that is not ready: 1)

    @property
    def as_json(self) -> bool:
        return json_mode(self.flags.json)

    def engine(self) -> Engine:
        """The engine connection, autostarting the default daemon when needed."""
        if self._engine is None:
            self._engine = connect(self.flags.engine, token_file=self.flags.engine_token_file)
        return self._engine

    def engine_for_job(self, job_id: str) -> Engine:
        """The engine that owns `job_id`; the rest of the invocation (downloads, a retried job) stays on it."""
        if self._engine is None:
            self._engine = connect_job(self.flags.engine, job_id, token_file=self.flags.engine_token_file)
            return self._engine
        router = self._engine.router
        if router is not None and router.is_multi:
            owner = router.owner(job_id)
            if owner != self._engine.address:
                from gpt_image_protocol.channel import check_contract

                engine = replace(self._engine, address=owner, channel=router.channel(owner))
                check_contract(engine.version())
                self._engine = engine
        return self._engine

    def list_jobs(self, *, limit: int, cursor: str, status: str, query: str) -> jobs_pb2.ListJobsResponse:
        """One page of jobs, newest first; of several engines, their pages merged."""
        from gpt_image.v1 import jobs_pb2

        engine = self.engine()
        if engine.router is not None and engine.router.is_multi:
            return engine.router.list_jobs(limit=limit, cursor=cursor, status=status, query=query)
        reply: jobs_pb2.ListJobsResponse = engine.jobs.ListJobs(
            jobs_pb2.ListJobsRequest(page_size=limit, page_token=cursor, status=status, query=query)
        )
        return reply

    def close(self) -> None:
        if self._engine is not None:
            self._engine.close()
            self._engine = None

    def call_option_values(self) -> dict[str, str]:
        """Per-call options by CallOptions field name; the credentials in here are never printed or logged."""
        f = self.flags
        return {
            "provider": (f.provider or "").strip(),
            "api_key": f.api_key or "",
            "openai_api_base": f.openai_api_base or "",
            "config_file": _abs_path(f.config),
            "auth_file": _abs_path(f.auth_file),
            "endpoint": f.endpoint or "",
            "env_openai_api_key": os.environ.get("OPENAI_API_KEY", ""),
            "env_openai_base_url": os.environ.get("OPENAI_BASE_URL", ""),
            "request_id": os.urandom(16).hex(),
        }

    def call_options(self) -> common_pb2.CallOptions:
        """Per-call options as the generated message."""
        from gpt_image.v1 import common_pb2

        return common_pb2.CallOptions(**self.call_option_values())

    def done(self, command: str, payload: dict[str, Any]) -> None:
        """Print the success envelope for `command`."""
        self.exit_code = max(self.exit_code, print_success(command, payload, as_json=self.as_json))


def state() -> CliState:
    """The CliState of the running invocation."""
    obj = click.get_current_context().find_root().obj
    assert isinstance(obj, CliState)
    return obj
