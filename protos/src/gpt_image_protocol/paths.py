"""Where the product keeps its files: `$CODEX_HOME/gpt-image-2-skill/` (upstream layout).

Pure functions of the environment; clients use them to find the default
engine socket, the engine uses them to find its data.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

SHARED_DIR_NAME = "gpt-image-2-skill"


def expand(path: str) -> Path:
    return Path(os.path.expanduser(path))


def codex_home(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    value = (env.get("CODEX_HOME") or "").strip()
    return expand(value) if value else Path.home() / ".codex"


def shared_dir(env: Mapping[str, str] | None = None) -> Path:
    return codex_home(env) / SHARED_DIR_NAME


def default_socket_path(env: Mapping[str, str] | None = None) -> Path:
    return shared_dir(env) / "engine.sock"


def config_file(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    value = (env.get("GPT_IMAGE_2_CONFIG_FILE") or "").strip()
    return expand(value) if value else shared_dir(env) / "config.json"


def history_file(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    value = (env.get("GPT_IMAGE_2_HISTORY_FILE") or "").strip()
    return expand(value) if value else shared_dir(env) / "history.sqlite"


def jobs_dir(env: Mapping[str, str] | None = None) -> Path:
    return shared_dir(env) / "jobs"
