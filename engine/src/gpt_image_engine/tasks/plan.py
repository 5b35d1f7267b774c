"""A spec made ready to run: what `JobManager.submit` needs, plus how to keep the inputs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gpt_image_engine.jobs.manager import Work
from gpt_image_engine.tasks.specs import Spec


@dataclass
class Plan:
    """`spec` checked against the provider and its inputs read: the job's command, provider
    (its queue lane), history metadata and work. `keep_inputs(job_id, job_dir)` copies the
    inputs into the new job's folder and returns the spec to store, pointing at the copies."""

    spec: Spec
    command: str
    provider: str
    metadata: dict[str, Any]
    work: Work
    keep_inputs: Callable[[str, Path], Spec] | None = None

    @classmethod
    def local(cls, spec: Spec, metadata: dict[str, Any], work: Work) -> Plan:
        """A job the engine does itself (no provider; the local lane)."""
        return cls(spec=spec, command=spec.COMMAND, provider="local", metadata=metadata, work=work)

    def stored_spec(self, job_id: str, job_dir: Path) -> Spec:
        return self.keep_inputs(job_id, job_dir) if self.keep_inputs is not None else self.spec
