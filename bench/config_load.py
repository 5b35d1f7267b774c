"""Issue 19 (4): reading config.json, as every job does: msgspec against what it replaced.

A realistic file (three named providers with credentials, storage targets, notifications, a
proxy and the queue) is read `--reads` times per way, alternated over `--runs` rounds; the figure
is the median CPU microseconds per read:

  * msgspec: `store.config.load_config` today (one typed decode, no cache);
  * before: the former loader at BEFORE (json.loads, a hand-written dict walk, and a cache keyed
    by the file's stat that hands out deep copies), loaded from this repository's history; both
    its cache hit (the usual case) and a miss (the file just changed) are shown;
  * pydantic: the same two models as pydantic v2 models (`model_validate_json`), when installed.

    .venv/bin/python bench/config_load.py [--runs 7] [--reads 2000]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BEFORE = "8edffd9"  # the last commit with the stat-keyed cache

from gpt_image_engine.store import config as today  # noqa: E402


def sample() -> dict[str, Any]:
    key = {"source": "file", "value": "sk-bench-0123456789"}
    return {
        "version": 1,
        "default_provider": "work",
        "providers": {
            name: {"type": "openai-compatible", "api_base": f"https://{name}.example/v1", "model": "gpt-image-2",
                   "credentials": {"api_key": key}, "supports_n": True, "edit_region_mode": "native-mask"}
            for name in ("work", "home", "lab")
        },
        "storage": {"targets": {"s3": {"type": "s3", "bucket": "b", "region": "r",
                                       "credentials": {"access_key_id": key, "secret_access_key": key}}},
                    "default_targets": ["s3"], "fallback_policy": "never"},
        "notifications": {"enabled": True, "on_completed": True, "webhooks": {"hook": {"url": "https://h.example/x"}}},
        "proxy": {"mode": "system"},
        "queue": {"max_parallel": 4},
    }  # fmt: skip


def before_module() -> types.ModuleType | None:
    try:
        source = subprocess.run(
            ["git", "-C", str(ROOT), "show", f"{BEFORE}:engine/src/gpt_image_engine/store/config.py"],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        return None
    module = types.ModuleType("config_before")
    exec(compile(source, "config_before.py", "exec"), module.__dict__)  # noqa: S102 - our own history
    return module


def pydantic_loader() -> Callable[[Path], dict[str, Any]] | None:
    try:
        from pydantic import BaseModel, ConfigDict
    except ImportError:
        return None

    class Provider(BaseModel):
        model_config = ConfigDict(extra="ignore")
        type: Any = today.DEFAULT_PROVIDER_TYPE
        api_base: Any = None
        endpoint: Any = None
        model: Any = None
        credentials: dict[str, Any] | None = None
        supports_n: Any = None
        edit_region_mode: Any = None
        proxy: Any = None
        token_url: Any = None

    class ConfigFile(BaseModel):
        model_config = ConfigDict(extra="ignore")
        version: Any = 1
        default_provider: str | None = None
        providers: dict[str, Provider] | None = None
        notifications: Any = None
        storage: Any = None
        paths: Any = None
        proxy: Any = None
        logging: Any = None
        queue: Any = None

    def load(path: Path) -> dict[str, Any]:
        return ConfigFile.model_validate_json(path.read_bytes()).model_dump(exclude_unset=True)

    return load


def per_read_us(load: Callable[[Path], Any], path: Path, reads: int, touch: bool = False) -> float:
    t0 = time.process_time()
    for _ in range(reads):
        if touch:
            os.utime(path)  # a new mtime: the stat-keyed cache misses
        load(path)
    return (time.process_time() - t0) / reads * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--reads", type=int, default=2000)
    ns = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "config.json"
        path.write_text(json.dumps(sample(), indent=2))
        old = os.stat(path).st_mtime_ns - 10_000_000_000
        os.utime(path, ns=(old, old))  # older than the racy window, so the old cache may keep it
        ways: dict[str, tuple[Callable[[Path], Any], bool]] = {"msgspec (today)": (today.load_config, False)}
        before = before_module()
        if before is not None:
            ways["before, cache hit"] = (before.load_config, False)
            ways["before, cache miss"] = (before.load_config, True)
        loader = pydantic_loader()
        if loader is not None:
            ways["pydantic v2"] = (loader, False)
        expected = today.load_config(path)
        for name, (load, _) in ways.items():
            got = load(path)
            assert name.startswith("pydantic") or got == expected, (name, got)
        times: dict[str, list[float]] = {name: [] for name in ways}
        for _ in range(ns.runs):
            for name, (load, touch) in ways.items():
                times[name].append(per_read_us(load, path, ns.reads, touch))
    print(
        f"config.json of {len(json.dumps(sample()))} bytes, median of {ns.runs} alternated rounds of {ns.reads} reads"
    )
    for name in ways:
        print(f"  {name:20s} {statistics.median(times[name]):7.1f} us CPU per read")
    if before is None:
        print(f"  (the former loader at {BEFORE} is not in this clone's history)")


if __name__ == "__main__":
    main()
