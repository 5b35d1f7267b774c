"""Outputs that leave the machine: storage targets, notifications and the provider proxy.

`settings` validates and saves the `storage`, `notifications` and `proxy` sections of
config.json (upstream §7.1, §9.3, §9.4, §9.6); `targets` holds one uploader per storage
type; `storage` plans and runs a job's uploads and records them; `notify` delivers
webhooks and email; `proxy` builds the HTTP clients provider calls go through; `pinning`
is the one place a remote target's address is checked and pinned.
"""
