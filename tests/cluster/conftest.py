"""Fixtures for the cluster tests: the suite's private PostgreSQL (tests/servers/postgres.py),
a fresh database per test."""

from __future__ import annotations

from tests.servers.postgres import pg_url, postgres_cluster

__all__ = ["pg_url", "postgres_cluster"]
