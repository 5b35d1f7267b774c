"""Click command groups, one module per area; each exposes `COMMANDS` for the root.

Commands stay thin: parse and validate flags, build the request, call the
engine, print the payload. Helpers shared by several live in `_common`.
"""
