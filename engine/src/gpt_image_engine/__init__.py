"""gpt-image-2 engine: the daemon that owns providers, transparent processing,
jobs and history, configuration, secrets and output files.

Rooms: `server`/`servicers` (gRPC, thin), `jobs` (queue, runner, event bus),
`providers` (one module per provider), `transparent` (pure numpy),
`store` (config, secrets, history, job files), `security` (redaction, URL
guard, image limits). Domain rooms never import grpc.
"""

__version__ = "0.1.0"
