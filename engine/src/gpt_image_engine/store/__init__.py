"""The engine's state on disk, under `$CODEX_HOME/gpt-image-2-skill/`.

`paths` (file locations), `config` (config.json), `credentials` (credential references and the
OS keyring), `secrets` (the `secret` operations), `history` (history.sqlite: jobs, events,
uploads, search), `artifacts` (uploads and job files by id), `webconfig`, and the helpers
`atomic` (atomic writes) and `diskspace` (room checks). No grpc here.
"""
