#!/usr/bin/env python3
"""Write `skill/references/troubleshooting.md` from the error registry plus the next steps below.

The meanings come from `gpt_image_protocol.codes.REGISTRY`; this file owns only the advice. A new
code without advice fails here (and in tests/skill/test_references.py), so the table cannot drift.
Run: `.venv/bin/python skill/scripts/gen_troubleshooting.py` (add `--check` to only compare).
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
TARGET = HERE.parent / "references" / "troubleshooting.md"

NEXT: dict[str, str] = {
    "config_section_invalid": "Fix the settings section named in the detail (its shape or a refused value); the saved config was left as it was.",
    "gateway_bind_failed": "Another process holds the port or the address is wrong: pick another with `gpt-image-2-web --port`, or stop the other process.",
    "gateway_busy": "The web gateway is at its limit of open event streams: close other tabs or watchers, or raise its thread count.",
    "invalid_path": "The request path holds a control character (NUL etc.): request a plain file name.",
    "jobs_dir_unwritable": "The engine cannot write its jobs folder: fix the folder's permissions or mount (read-only filesystems are refused) and retry.",
    "provider_exists": "A provider of that name exists: pick another name or save with `allow_overwrite: true`.",
    "provider_key_env_not_allowed": "Remote callers (TCP clients, the web gateway) may name only allow-listed engine variables: ask the operator to add the name to `GPT_IMAGE_2_KEY_ENV_ALLOWLIST` on the engine host, or store the key with `secret set`.",
    "provider_secret_redirect_refused": "A stored secret cannot follow a changed API base from a remote caller: send the key again with the new base, or change it on the engine host.",
    "secret_redirect_refused": "A stored password, key or login cannot follow a changed URL, host or endpoint from a remote caller: send the secret again with the new destination, or change it on the engine host.",
    "recovery_nothing_missing": "`fill_missing` found every output present: nothing to do (use `resubmit` for a new run).",
    "recovery_nothing_to_reupload": "The job has no local outputs to upload again: check `jobs recovery JOB` for what is possible.",
    "storage_full": "The engine's disk is (nearly) full: free space under the engine's data folder (or lower `GPT_IMAGE_2_MIN_FREE_BYTES`), then `jobs resume JOB --action continue_save` if the response was kept.",
    "too_many_attempts": "Too many failed sign-ins from this address: wait the `Retry-After` seconds and sign in with the right token.",
    "too_many_followers": "This client follows too many job streams at once: close some tabs or watchers.",
    "upload_bytes_invalid": "A JSON byte array must hold integers 0-255 only: send the file's bytes unchanged (or use multipart).",
    "upload_too_large": "The uploaded file is over the gateway's cap: send a smaller image.",
    "web_token_too_short": "Use a web token of at least 32 characters, e.g. `python -c 'import secrets; print(secrets.token_urlsafe(32))'`.",
    "invalid_command": "Fix the command, flag or value; the message quotes the rule (size limits, ranges, choices). Check `--help`. Exit status 2.",
    "invalid_argument": "Fix the argument named in the message/detail (matte colour, method and input combination, profile).",
    "unsupported_option": "Remove the provider-specific flag or choose a provider that has it (`--mask` and `--input-fidelity` need OpenAI; `--instructions` is Codex only; `--method dual` only for `transparent extract`).",
    "invalid_body_json": "`request create --body-file` must hold one JSON object.",
    "invalid_operation": "Use `--request-operation responses` for Codex, `generate` or `edit` for OpenAI.",
    "api_key_missing": "Set `OPENAI_API_KEY` (or pass `--api-key`), or use another provider.",
    "access_token_missing": "Log in with `codex login` (or pass `--auth-file`), or use OpenAI.",
    "auth_missing": "No Codex `auth.json`: run `codex login` or pass `--auth-file`.",
    "auth_read_failed": "Check the permissions of the Codex `auth.json`.",
    "auth_invalid_json": "The Codex `auth.json` is corrupt: run `codex login` again.",
    "auth_invalid_shape": "The Codex `auth.json` is corrupt: run `codex login` again.",
    "account_id_missing": "Run `codex login` again (the login has no ChatGPT account).",
    "invalid_jwt": "Run `codex login` again (the token is malformed).",
    "refresh_token_missing": "The Codex session expired and cannot be refreshed: run `codex login`.",
    "refresh_failed": "Run `codex login` again; if it persists, check the network with `doctor`.",
    "auth_write_failed": "The refreshed tokens could not be saved: check permissions of the `auth.json` folder.",
    "provider_unavailable": "No credentials anywhere: ask the user for `OPENAI_API_KEY` or a Codex login; `detail` shows what was checked.",
    "provider_unknown": "Use `config list-providers` for the configured names, or `auto`, `openai`, `codex`.",
    "provider_kind_unsupported": "Re-add the provider with `config add-provider --type openai|openai-compatible|codex`.",
    "provider_invalid_name": "Pick a name without slashes or whitespace.",
    "invalid_provider_config": "Fix the conflicting `config add-provider` flags (e.g. not both `--supports-n` and `--no-supports-n`; `--edit-region-mode` native-mask, reference-hint or none).",
    "credential_missing": "Store the credential with `secret set PROVIDER NAME`, or set the env var it points to.",
    "keychain_error": "The OS keyring is not available here: use `secret set ... --source file` or `--source env`.",
    "keychain_missing": "Store it again with `secret set ... --source keychain`.",
    "keychain_write_failed": "Unlock the keyring or use `--source file`.",
    "keychain_delete_failed": "Remove the entry with the OS keyring tool; the config entry is already gone.",
    "secret_read_failed": "Pass `--value` or pipe the secret on stdin.",
    "secret_env_missing": "Add `--env VAR` with `--source env`.",
    "secret_source_unsupported": "Use `--source file`, `env` or `keychain`.",
    "config_read_failed": "Check the permissions of the file `config path` shows.",
    "config_invalid_json": "The config file is not valid JSON and was left untouched: fix or move it (see `config path`).",
    "config_write_failed": "Check free space and permissions of the config folder.",
    "ref_image_missing": "Check the `--ref-image` / `--input` path exists (relative paths are from the current folder).",
    "ref_image_invalid": "Use a PNG, JPEG, WebP or GIF file, a local `file://` URL, or an `http(s)://` / `data:` URL.",
    "ref_image_too_many": "Pass at most 16 `--ref-image` values.",
    "invalid_base64": "The image data is not valid base64: re-encode it.",
    "invalid_data_url": "Use `data:image/png;base64,...`.",
    "network_error": "The upstream is unreachable: check connectivity, proxy and `--openai-api-base`; run `doctor`. Retries already ran.",
    "http_error": "Read `detail` (the upstream body): 400 prompt or parameter refused (rephrase or change flags), 401/403 bad key or no access, 429/5xx still failing after retries (wait, then retry).",
    "invalid_json_response": "The server is not an OpenAI-compatible images API: check `--openai-api-base`.",
    "request_failed": "The Codex stream failed or refused the prompt: read the message, rephrase, or retry later.",
    "missing_image_result": "The upstream returned no image (often a refusal): rephrase the prompt.",
    "output_write_failed": "Choose an `--out` in a writable folder with free space.",
    "batch_worker_failed": "Retry with a smaller `--n`; report it if it repeats.",
    "history_open_failed": "Check the permissions of `history_file` from `config path`.",
    "history_migration_failed": "Back up and move `history_file` aside; the engine creates a new one.",
    "history_write_failed": "Check free space; the image itself was saved.",
    "history_query_failed": "Retry; if it repeats, move `history_file` aside.",
    "history_not_found": "Check the id with `history list`.",
    "history_delete_failed": "Retry; a running job cannot be deleted (cancel it first).",
    "database_unavailable": "Check that PostgreSQL runs and `GPT_IMAGE_2_DATABASE_URL` is right (the message shows it, password hidden); the engine reconnects by itself.",
    "history_target_not_empty": "Point `gpt-image-2-engine migrate-history --to` at an empty database.",
    "artifact_store_unavailable": "Check the bucket exists, the endpoint (`AWS_ENDPOINT_URL_S3`) and the engine's AWS key pair; `doctor` shows what the engine reached.",
    "artifact_store_config_invalid": "Set `GPT_IMAGE_2_ARTIFACTS_URL=s3://bucket/prefix`; credentials go in the AWS variables, never in the URL.",
    "cluster_queue_failed": "Check the shared PostgreSQL (`doctor` shows the cluster); retry once it answers.",
    "storage_remote_url_invalid": "Use a full `http://` or `https://` URL.",
    "storage_remote_resolve_failed": "Check the host name and DNS.",
    "storage_remote_blocked": "URLs to internal or private addresses are refused: download the file and pass a path instead.",
    "transparent_verification_failed": "Read `detail.verification.failure_reasons` and apply the fix from `transparent-profiles.md`; do not deliver the file as transparent.",
    "transparent_input_mismatch": "The dark and light images must be the same render on black and on white, same size and framing.",
    "transparent_source_checkerboard": "The model painted a checkerboard instead of a key colour: regenerate the source on a flat key (`transparent generate`, or ask for a pure #00ff00 background).",
    "transparent_no_key_border": "The subject fills the frame: regenerate with the whole subject centred inside a clear margin of a flat key colour.",
    "image_read_failed": "Check the image path and permissions.",
    "image_decode_failed": "Use a valid PNG/JPEG/WebP below the pixel cap.",
    "engine_unavailable": "Run `engine start` (or unset `GPT_IMAGE_2_NO_AUTOSTART`), then retry; `engine status` shows the address.",
    "engine_start_failed": "Check `engine status`; set `GPT_IMAGE_2_ENGINE_BIN` if `gpt-image-2-engine` is not beside the CLI.",
    "unauthenticated": "The remote engine needs a token: set `GPT_IMAGE_2_ENGINE_TOKEN` (or `GPT_IMAGE_2_ENGINE_TOKEN_FILE`).",
    "engine_unauthenticated": "The remote engine needs a token: set `GPT_IMAGE_2_ENGINE_TOKEN` (or `GPT_IMAGE_2_ENGINE_TOKEN_FILE`).",
    "engine_incompatible": "The CLI and the engine are different versions: upgrade both, or stop the old engine with `engine stop` so a matching one starts.",
    "engine_listen_refused": "Operator setting: a TCP engine needs a token, and TLS when not on loopback.",
    "engine_credentials_invalid": "Check the token, CA, certificate and key files named in `detail.path` (`GPT_IMAGE_2_ENGINE_*` variables).",
    "artifact_not_found": "The job's files were removed: run the job again.",
    "artifact_invalid": "An upload was corrupted or too large: retry with a smaller image.",
    "job_running": "Wait for it (`jobs watch JOB_ID`) or `jobs cancel JOB_ID` first.",
    "job_cancelled": "The job was cancelled (Ctrl-C, `jobs cancel`, or SIGTERM); run it again if still wanted.",
    "job_interrupted": "The engine stopped mid-job: run the command again.",
    "internal_error": "An unexpected engine error: retry once; set `GPT_IMAGE_2_DEBUG=1` for a traceback and report it.",
    "payload_too_large": "Web API only: send a smaller file.",
    "route_not_found": "Web API only: check the URL.",
    "method_not_allowed": "Web API only: check the HTTP method.",
    "host_not_allowed": "Web API only: use the loopback host, or set a web token.",
    "cross_site_request": "Web API only: send the request from the same site.",
    "storage_config_invalid": "Fix the storage JSON to the shape in `docs/outputs.md` (`storage list` shows the current one).",
    "storage_target_type_invalid": "Use a target type of local, s3, webdav, http, sftp, baidu_netdisk or pan123_open.",
    "storage_target_missing": "Check the name with `storage list`, or add it with `storage add`.",
    "storage_target_unsupported": "Baidu Netdisk and 123 Pan targets are stored but cannot upload yet: use s3, webdav, sftp, http or local.",
    "storage_origin_missing": "cloud_primary needs `--origin NAME` naming a configured target.",
    "storage_origin_readback_unsupported": "The origin must be local, s3, webdav or sftp (an http target cannot serve files back).",
    "storage_archives_missing": "mirror and cloud_archive_only need at least one `--archive NAME`.",
    "storage_archive_missing": "An archive names a target that does not exist: add it first or drop it from the pipeline.",
    "storage_target_directory_missing": "Give the local target `--set directory=PATH`.",
    "storage_target_bucket_missing": "Give the S3 target `--set bucket=NAME`.",
    "storage_target_access_key_missing": "Give the S3 target `--secret-env access_key_id=VAR` (or --secret / --secret-keychain).",
    "storage_target_secret_key_missing": "Give the S3 target `--secret-env secret_access_key=VAR` (or --secret / --secret-keychain).",
    "storage_target_s3_endpoint_invalid": "The S3 endpoint must be an http(s) URL (`{bucket}` allowed for virtual hosts).",
    "storage_target_webdav_url_invalid": "Give the WebDAV target a full http(s) URL.",
    "storage_target_http_url_invalid": "Give the HTTP target a full http(s) URL.",
    "storage_target_http_method_invalid": "HTTP targets upload with POST, PUT or PATCH.",
    "storage_target_sftp_host_missing": "Give the SFTP target `--set host=NAME`.",
    "storage_target_sftp_host_key_missing": "Pin the server's key: `--set host_key_sha256=SHA256:...` (from `ssh-keyscan HOST | ssh-keygen -lf -`).",
    "storage_target_sftp_username_missing": "Give the SFTP target `--set username=NAME`.",
    "storage_target_sftp_remote_dir_invalid": "Use a remote_dir without `.` or `..` parts, e.g. `/srv/images`.",
    "storage_target_sftp_auth_missing": "Give the SFTP target a password or private_key secret.",
    "storage_target_baidu_app_name_missing": "Give the Baidu Netdisk target its app directory name (`app_name`).",
    "storage_target_baidu_access_token_missing": "Personal auth needs an access_token secret.",
    "storage_target_baidu_app_key_missing": "OAuth auth needs `app_key`.",
    "storage_target_baidu_secret_key_missing": "OAuth auth needs a secret_key secret.",
    "storage_target_baidu_refresh_token_missing": "OAuth auth needs a refresh_token secret.",
    "storage_target_pan123_access_token_missing": "Access-token auth needs an access_token secret.",
    "storage_target_pan123_client_id_missing": "Client auth needs `client_id`.",
    "storage_target_pan123_client_secret_missing": "Client auth needs a client_secret secret.",
    "storage_source_missing": "The output file was removed before upload: run the job again.",
    "storage_local_write_failed": "Check that the local target's directory is writable and has space.",
    "storage_s3_upload_failed": "Read `detail.status`/`detail.body` (403: keys or clock; 404: bucket); fix the target, `storage test NAME`, then `jobs resume JOB_ID --action reupload`.",
    "storage_webdav_upload_failed": "Read `detail.status` (401: credentials); fix the target, `storage test NAME`, then reupload.",
    "storage_http_upload_failed": "Check the endpoint is up and answers 2xx with the URL at `public_url_json_pointer`; then reupload.",
    "storage_sftp_connect_failed": "Check host, port and that the server is up; then `jobs resume JOB_ID --action reupload`.",
    "storage_sftp_host_key_mismatch": "The server's key changed or this is not your server: verify `detail.actual` out of band before updating `host_key_sha256`.",
    "storage_sftp_auth_failed": "Fix the SFTP username, password or private key; then reupload.",
    "storage_sftp_write_failed": "Check permissions and space under the SFTP remote_dir; then reupload.",
    "storage_upload_failed": "Some targets still fail: `history show JOB_ID` lists each upload's error; fix them and reupload again.",
    "notification_config_invalid": "Fix the notifications JSON to the shape in `docs/outputs.md`.",
    "notification_webhook_invalid": "Give the webhook an id, an http(s) URL, a valid method and header names.",
    "notification_webhook_blocked": "Webhooks must reach a public address; an operator may allow private ones with `GPT_IMAGE_2_ALLOW_PRIVATE_TARGETS=1` on the engine.",
    "notification_webhook_failed": "The receiver was down or answered non-2xx: check it, then `notify test --channel webhook:ID`.",
    "notification_email_invalid": "Email needs `--host`, `--from` and at least one `--to`.",
    "notification_email_failed": "Check SMTP host, port, TLS mode and credentials (`detail.error`); `notify test --channel email`.",
    "proxy_url_invalid": "Use `proxy set --mode custom --url http://[user:pass@]host:port` (or https, socks5, socks5h).",
}


def render() -> str:
    """The whole troubleshooting.md text; raises when registry and advice disagree."""
    from gpt_image_protocol.codes import REGISTRY

    missing = sorted(set(REGISTRY) - set(NEXT))
    stale = sorted(set(NEXT) - set(REGISTRY))
    if missing or stale:
        raise SystemExit(f"advice out of step with the registry: no next step for {missing}; not registered: {stale}")
    out = [
        "# Troubleshooting: every error code",
        "",
        'Failures print `{"ok": false, "error": {"code", "message", "detail"}}` with exit status 1 (2 for',
        "`invalid_command`). Act on `error.code`; `error.detail` holds the specifics (paths, the upstream body,",
        "the verification report). The meanings below are the registry's own (`gpt_image_protocol.codes`); a test",
        "keeps this table and the registry identical.",
        "",
        "First moves for anything provider-related: `gpt-image-2-skill --json doctor` and",
        "`gpt-image-2-skill --json auth inspect`. For the engine: `gpt-image-2-skill --json engine status`.",
        "",
        "| code | meaning | next step |",
        "| --- | --- | --- |",
    ]
    for name, c in REGISTRY.items():
        out.append(f"| `{name}` | {c.meaning} | {NEXT[name]} |")
    out += [
        "",
        "## Codes from the skill wrapper",
        "",
        "| code | meaning | next step |",
        "| --- | --- | --- |",
        "| `runtime_unavailable` | `scripts/gpt_image_2_skill.py` found no working CLI. | Install the `gpt-image-2-skill` package (or `make install` in a checkout), or set `GPT_IMAGE_2_SKILL_BIN`; `detail.tried` lists what failed its self-check. |",
        "",
        "## Symptoms without a code",
        "",
        "- A command hangs at start: the engine is starting (first call) — it waits up to a few seconds; `gpt-image-2-skill --json engine status` shows it.",
        "- `doctor` says `ok: false` with a provider resolved: the endpoint probe failed (`providers.*.endpoint.error`); check network or `--openai-api-base`.",
        "- The output looks transparent but `transparent verify` fails with `checkerboard_detected`: the model painted a checkerboard; use `transparent generate`.",
        "- Changed `OPENAI_API_KEY`/`OPENAI_BASE_URL` and nothing changed: they are read per call; check for a configured default provider with `gpt-image-2-skill --json config list-providers`.",
        "",
    ]

    return "\n".join(out)


def main(argv: list[str]) -> int:
    text = render()
    if "--check" in argv:
        if TARGET.read_text(encoding="utf-8") != text:
            print(f"{TARGET} is stale: run {Path(__file__).name}", file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(text, encoding="utf-8")
    print(TARGET)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
