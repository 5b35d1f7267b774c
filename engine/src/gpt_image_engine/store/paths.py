"""Engine file locations under `$CODEX_HOME/gpt-image-2-skill/` (the upstream's layout).

`EnginePaths.from_env()` is read once at start-up; the config file may be
overridden per call (`--config`), everything else is the engine's own.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from gpt_image_protocol import paths as shared


@dataclass(frozen=True)
class EnginePaths:
    shared_dir: Path
    config_file: Path
    history_file: Path
    jobs_dir: Path
    uploads_dir: Path
    socket_path: Path
    pid_file: Path
    log_file: Path
    # A PostgreSQL URL (GPT_IMAGE_2_DATABASE_URL / --database-url): the history lives there, not in history_file.
    database_url: str | None = None

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> EnginePaths:
        env = dict(os.environ) if env is None else env
        base = shared.shared_dir(env)
        return cls(
            shared_dir=base,
            config_file=shared.config_file(env),
            history_file=shared.history_file(env),
            jobs_dir=base / "jobs",
            uploads_dir=base / "uploads",
            socket_path=base / "engine.sock",
            pid_file=base / "engine.pid",
            log_file=base / "logs" / "engine.log",
            database_url=(env.get("GPT_IMAGE_2_DATABASE_URL") or "").strip() or None,
        )

    def config_for(self, override: str | None) -> Path:
        """The config file for one call: `--config` (with ~ expanded) or the engine's."""
        if override and override.strip():
            return shared.expand(override.strip())
        return self.config_file
