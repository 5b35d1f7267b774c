"""Per-invocation state shared by every command: global flags, output mode,
the lazily opened engine connection, and the CallOptions each request carries."""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass, field
from typing import Any

import click

from gpt_image.v1 import common_pb2
from gpt_image_cli.connect import Engine, connect
from gpt_image_cli.envelope import json_mode, print_success
from gpt_image_cli.globalflags import GlobalFlags


def _abs_path(value: str | None) -> str:
    if not value or not value.strip():
        return ""
    return os.path.abspath(os.path.expanduser(value.strip()))


@dataclass
class CliState:
    flags: GlobalFlags
    _engine: Engine | None = field(default=None, repr=False)

    @property
    def as_json(self) -> bool:
        return json_mode(self.flags.json)

    def engine(self) -> Engine:
        """The engine connection, autostarting the default daemon when needed."""
        if self._engine is None:
            self._engine = connect(self.flags.engine, token_file=self.flags.engine_token_file)
        return self._engine

    def close(self) -> None:
        if self._engine is not None:
            self._engine.close()
            self._engine = None

    def call_options(self) -> common_pb2.CallOptions:
        """Per-call options; the credentials in here are never printed or logged."""
        f = self.flags
        return common_pb2.CallOptions(
            provider=(f.provider or "").strip(),
            api_key=f.api_key or "",
            openai_api_base=f.openai_api_base or "",
            config_file=_abs_path(f.config),
            auth_file=_abs_path(f.auth_file),
            endpoint=f.endpoint or "",
            env_openai_api_key=os.environ.get("OPENAI_API_KEY", ""),
            env_openai_base_url=os.environ.get("OPENAI_BASE_URL", ""),
            request_id=uuid.uuid4().hex,
        )

    def done(self, command: str, payload: dict[str, Any]) -> None:
        """Print the success envelope for `command`."""
        print_success(command, payload, as_json=self.as_json)


def state() -> CliState:
    """The CliState of the running invocation."""
    obj = click.get_current_context().find_root().obj
    assert isinstance(obj, CliState)
    return obj
