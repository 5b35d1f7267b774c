"""The engine's long-lived state, built once at start-up and shared by every servicer.

Paths, history, the job manager, the artifact store and the HTTP clients. No gRPC: a job is
re-run from its stored, typed spec (`tasks.run`), not through a servicer.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from gpt_image_engine.errors import AppError
from gpt_image_engine.jobs.manager import JobManager
from gpt_image_engine.outputs.proxy import ProxyClients
from gpt_image_engine.security.urlguard import pinned_client
from gpt_image_engine.store.artifacts import ArtifactStore, open_objects
from gpt_image_engine.store.history import HistoryStore, open_history
from gpt_image_engine.store.paths import EnginePaths


def job_manager(
    history: HistoryStore, paths: EnginePaths, env: dict[str, str], max_parallel: int, artifacts: ArtifactStore
) -> JobManager:
    """The embedded queue, or with `GPT_IMAGE_2_DATABASE_URL=postgresql://...` the cluster's
    queue shared with every engine on that database."""
    url = paths.database_url
    if not url:
        return JobManager(history, paths.jobs_dir, max_parallel=max_parallel)
    from gpt_image_engine.cluster.manager import ClusterJobManager

    raw_cap = (env.get("GPT_IMAGE_2_CLUSTER_MAX_PARALLEL") or "0").strip()
    if not raw_cap.isdigit():
        raise AppError(
            "invalid_argument",
            f"GPT_IMAGE_2_CLUSTER_MAX_PARALLEL must be a whole number of jobs (0: no cap), not {raw_cap!r}.",
        )
    return ClusterJobManager(
        history,
        paths.jobs_dir,
        url,
        max_parallel,
        cluster_max_parallel=int(raw_cap),
        shared_files=artifacts.remote,
        engine_id=(env.get("GPT_IMAGE_2_ENGINE_ID") or "").strip() or None,
        job_folder=artifacts.job_dir,
    )


@dataclass
class Engine:
    paths: EnginePaths
    env: dict[str, str]
    history: HistoryStore
    jobs: JobManager
    artifacts: ArtifactStore
    http: httpx.Client
    started_at: float = field(default_factory=time.time)
    stop_requested: threading.Event = field(default_factory=threading.Event)
    # One HTTP client per proxy setting, for provider traffic (§9.6).
    proxies: ProxyClients = field(default_factory=ProxyClients)

    @classmethod
    def open(cls, paths: EnginePaths, env: dict[str, str] | None = None, max_parallel: int = 2) -> Engine:
        for folder in (paths.shared_dir, paths.jobs_dir, paths.uploads_dir):
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        env = dict(os.environ) if env is None else env
        # The artifact store first: a missing bucket or refused keys stop the start (coded) before
        # history is opened or any job is recovered.
        objects = open_objects({"uploads": paths.uploads_dir, "jobs": paths.jobs_dir}, env)
        history = open_history(paths.history_file, paths.database_url)
        artifacts = ArtifactStore(paths.uploads_dir, paths.jobs_dir, objects)
        engine = cls(
            paths=paths,
            env=env,
            history=history,
            jobs=job_manager(history, paths, env, max_parallel, artifacts),
            artifacts=artifacts,
            # Every provider, token-refresh and result-download connection is pinned to the
            # address the URL guard checked (DNS rebinding).
            http=pinned_client(trust_env=True, follow_redirects=False),
        )
        engine.jobs.job_folder = engine.artifacts.job_dir
        from gpt_image_engine.tasks.delivery import attach

        attach(engine)
        return engine

    def http_for(self, resolved: Any, live: Any = None) -> httpx.Client:
        """The client for a provider's calls: its own proxy setting, else the global one. A job
        (`live`) also learns which config.json its call used, for its uploads and notifications."""
        from gpt_image_engine.outputs.proxy import effective_proxy
        from gpt_image_engine.store.config import load_config

        if live is not None and resolved.config_file is not None:
            live.config_file = resolved.config_file
        cfg = load_config(resolved.config_file or self.paths.config_file)
        entry = resolved.config_entry or {}
        return self.proxies.get(effective_proxy(cfg.get("proxy"), entry.get("proxy")))

    def close(self) -> None:
        self.proxies.close()
        self.http.close()
        self.history.close()
