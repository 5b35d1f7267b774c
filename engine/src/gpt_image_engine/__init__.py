"""gpt-image-2 engine: the daemon that owns providers, transparent processing,
jobs and history, configuration, secrets and output files.

Rooms, top to bottom: `server`/`servicers` (gRPC: messages in and out), `tasks` (the work
of each operation inside a job), `jobs` (queue, runner, event bus, recovery), `providers`
(one module per provider), `transparent` (pure numpy), `outputs` (storage targets,
notifications, the proxy), `system` (doctor, auth inspect, models), `store` (config,
credentials, secrets, history, artifacts), `security` (redaction, URL guard, auth).
Domain rooms never import grpc; docs/architecture.md draws the request flow.
"""

__version__ = "0.1.0"
