"""The one registry of error codes every surface shares.

Codes are append-only and never repurposed. Each maps to the gRPC status the
engine uses when it raises the code, and a one-line meaning. The tree:

    invalid input (INVALID_ARGUMENT / FAILED_PRECONDITION)
        invalid_command, invalid_argument, unsupported_option, size/ref/body errors
    missing setup (FAILED_PRECONDITION / NOT_FOUND)
        api_key_missing, auth_*, provider_*, credential_missing, keychain_*
    upstream trouble (UNAVAILABLE / INTERNAL)
        network_error, http_error, request_failed, invalid_json_response, ...
    local state (INTERNAL / NOT_FOUND)
        config_*, history_*, database_unavailable, output_write_failed, artifact_*
    transparent (FAILED_PRECONDITION / INVALID_ARGUMENT)
        transparent_*, image_*
    remote engine (UNAUTHENTICATED / FAILED_PRECONDITION / INVALID_ARGUMENT)
        engine_unauthenticated, engine_incompatible, engine_listen_refused, engine_credentials_invalid

This module imports nothing from grpc so domain code may use it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Code:
    name: str
    grpc_status: str  # name of a grpc.StatusCode member
    meaning: str


_C = Code

REGISTRY: dict[str, Code] = {
    c.name: c
    for c in [
        # --- usage and validation
        _C("invalid_command", "INVALID_ARGUMENT", "Unknown command or flag, or a flag value failed validation."),
        _C("invalid_argument", "INVALID_ARGUMENT", "An argument is malformed or out of range."),
        _C(
            "unsupported_option",
            "INVALID_ARGUMENT",
            "A provider-specific option was used with a provider that lacks it.",
        ),
        _C("invalid_body_json", "INVALID_ARGUMENT", "A request body is not a JSON object."),
        _C("invalid_operation", "INVALID_ARGUMENT", "Unsupported provider operation."),
        # --- providers and credentials
        _C("api_key_missing", "FAILED_PRECONDITION", "No OpenAI API key from flag, config or environment."),
        _C("access_token_missing", "FAILED_PRECONDITION", "The Codex auth file has no access token."),
        _C("auth_missing", "FAILED_PRECONDITION", "The Codex auth.json was not found."),
        _C("auth_read_failed", "FAILED_PRECONDITION", "The Codex auth.json could not be read."),
        _C("auth_invalid_json", "FAILED_PRECONDITION", "The Codex auth.json is not JSON."),
        _C("auth_invalid_shape", "FAILED_PRECONDITION", "The Codex auth.json is not a JSON object."),
        _C("account_id_missing", "FAILED_PRECONDITION", "No ChatGPT account id in auth.json or the token."),
        _C("invalid_jwt", "FAILED_PRECONDITION", "The access token's payload could not be decoded."),
        _C("refresh_token_missing", "FAILED_PRECONDITION", "A refresh was needed but no refresh token exists."),
        _C("refresh_failed", "UNAVAILABLE", "The OAuth token refresh failed."),
        _C("auth_write_failed", "INTERNAL", "The Codex auth.json could not be written."),
        _C("provider_unavailable", "FAILED_PRECONDITION", "No provider could be selected automatically."),
        _C("provider_unknown", "NOT_FOUND", "The named provider is not configured."),
        _C(
            "provider_kind_unsupported",
            "FAILED_PRECONDITION",
            "The provider's type is not openai, openai-compatible or codex.",
        ),
        _C(
            "provider_invalid_name", "INVALID_ARGUMENT", "Provider names are non-empty and have no slash or whitespace."
        ),
        _C(
            "invalid_provider_config", "INVALID_ARGUMENT", "The provider settings contradict each other or are invalid."
        ),
        _C("credential_missing", "FAILED_PRECONDITION", "A named credential is absent or empty."),
        _C("keychain_error", "FAILED_PRECONDITION", "The OS keyring is unavailable."),
        _C("keychain_missing", "NOT_FOUND", "The keyring holds no such entry."),
        _C("keychain_write_failed", "INTERNAL", "Writing to the keyring failed."),
        _C("keychain_delete_failed", "INTERNAL", "Deleting from the keyring failed."),
        _C("secret_read_failed", "INVALID_ARGUMENT", "The secret value could not be read."),
        _C("secret_env_missing", "INVALID_ARGUMENT", "secret set --source env needs --env VAR."),
        _C("secret_source_unsupported", "INVALID_ARGUMENT", "Secret sources are file, env and keychain."),
        # --- config
        _C("config_read_failed", "INTERNAL", "config.json could not be read."),
        _C("config_invalid_json", "FAILED_PRECONDITION", "config.json is not valid JSON; it was left untouched."),
        _C("config_write_failed", "INTERNAL", "config.json could not be written."),
        # --- inputs
        _C("ref_image_missing", "INVALID_ARGUMENT", "A reference image path is not a file."),
        _C("ref_image_invalid", "INVALID_ARGUMENT", "A reference image is unreadable or not a supported image."),
        _C("ref_image_too_many", "INVALID_ARGUMENT", "At most 16 reference images."),
        _C("invalid_base64", "INVALID_ARGUMENT", "Image base64 could not be decoded."),
        _C("invalid_data_url", "INVALID_ARGUMENT", "A data: URL is not base64-encoded."),
        # --- upstream
        _C("network_error", "UNAVAILABLE", "The upstream could not be reached."),
        _C("http_error", "UNAVAILABLE", "The upstream answered with a non-2xx status."),
        _C("invalid_json_response", "UNAVAILABLE", "The upstream's response is not a JSON object."),
        _C("request_failed", "UNAVAILABLE", "The upstream stream failed or reported an error."),
        _C("missing_image_result", "UNAVAILABLE", "The response held no image."),
        _C("output_write_failed", "INTERNAL", "An output file could not be written."),
        _C("batch_worker_failed", "INTERNAL", "A parallel batch request failed unexpectedly."),
        # --- history
        _C("history_open_failed", "FAILED_PRECONDITION", "history.sqlite could not be opened."),
        _C("history_migration_failed", "INTERNAL", "history.sqlite could not be migrated."),
        _C("history_write_failed", "INTERNAL", "A history row could not be written."),
        _C("history_query_failed", "INTERNAL", "A history query failed."),
        _C("history_not_found", "NOT_FOUND", "No job with that id."),
        _C("history_delete_failed", "INTERNAL", "A job could not be deleted."),
        # --- network safety
        _C("storage_remote_url_invalid", "INVALID_ARGUMENT", "A remote URL is not a valid http(s) URL."),
        _C("storage_remote_resolve_failed", "UNAVAILABLE", "A remote host could not be resolved."),
        _C("storage_remote_blocked", "PERMISSION_DENIED", "A remote URL points at an internal address."),
        # --- transparent
        _C("transparent_verification_failed", "FAILED_PRECONDITION", "The transparent output failed its quality gate."),
        _C("transparent_input_mismatch", "INVALID_ARGUMENT", "Dual-extraction inputs do not match."),
        _C(
            "transparent_source_checkerboard",
            "INVALID_ARGUMENT",
            "A chroma source shows a painted checkerboard (fake transparency) instead of a key colour.",
        ),
        _C(
            "transparent_no_key_border",
            "INVALID_ARGUMENT",
            "A chroma source has no border of key colour: the subject fills the frame.",
        ),
        _C("image_read_failed", "INVALID_ARGUMENT", "An image file could not be read."),
        _C("image_decode_failed", "INVALID_ARGUMENT", "An image could not be decoded, or exceeds the pixel cap."),
        # --- engine and transport (ours)
        _C("engine_unavailable", "UNAVAILABLE", "No engine answered at the address."),
        _C("engine_start_failed", "UNAVAILABLE", "The engine daemon could not be started."),
        _C("artifact_not_found", "NOT_FOUND", "No artifact with that id."),
        _C(
            "artifact_invalid",
            "INVALID_ARGUMENT",
            "An upload was malformed, too large, or its size/sha256 did not match.",
        ),
        _C("job_running", "FAILED_PRECONDITION", "The job is still running."),
        _C("job_cancelled", "CANCELLED", "The job was cancelled."),
        _C("job_interrupted", "FAILED_PRECONDITION", "The engine stopped before the job finished."),
        _C("internal_error", "INTERNAL", "An unexpected engine error."),
        _C("storage_full", "RESOURCE_EXHAUSTED", "The engine's jobs or uploads folder is out of space."),
        _C("jobs_dir_unwritable", "FAILED_PRECONDITION", "The engine's jobs folder is read-only or not writable."),
        # --- web gateway (HTTP-only conditions)
        _C("payload_too_large", "RESOURCE_EXHAUSTED", "A request body is over the route's size cap."),
        _C("route_not_found", "NOT_FOUND", "No such HTTP route."),
        _C("method_not_allowed", "UNIMPLEMENTED", "The HTTP route does not take that method."),
        _C("host_not_allowed", "PERMISSION_DENIED", "The Host header is not allowed for token-less access."),
        _C("cross_site_request", "PERMISSION_DENIED", "A state-changing request came from another site."),
        # --- remote engine (TCP listener, token, TLS, contract)
        _C("unauthenticated", "UNAUTHENTICATED", "The web gateway needs a valid access token."),
        _C("engine_unauthenticated", "UNAUTHENTICATED", "The engine's TCP listener needs a valid bearer token."),
        _C("engine_incompatible", "FAILED_PRECONDITION", "The engine speaks an incompatible contract version."),
        _C("engine_listen_refused", "FAILED_PRECONDITION", "A TCP listener lacks a token, or TLS off loopback."),
        _C("engine_credentials_invalid", "INVALID_ARGUMENT", "A token, certificate or key file is unusable."),
        # --- security round 2 (gateway and key sources)
        _C(
            "provider_key_env_not_allowed",
            "PERMISSION_DENIED",
            "A client over TCP or the web gateway named an engine environment variable that is not allow-listed.",
        ),
        _C(
            "provider_secret_redirect_refused",
            "PERMISSION_DENIED",
            "A remote client pointed a provider elsewhere while keeping a stored secret it did not resend.",
        ),
        _C("web_token_too_short", "INVALID_ARGUMENT", "The web gateway's access token is under 32 characters."),
        _C("too_many_attempts", "RESOURCE_EXHAUSTED", "Too many failed sign-ins from this client; wait and retry."),
        _C("too_many_followers", "RESOURCE_EXHAUSTED", "This client follows too many event streams at once."),
        _C("gateway_busy", "UNAVAILABLE", "The web gateway is at its limit of open event streams."),
        _C("gateway_bind_failed", "UNAVAILABLE", "The web gateway could not listen on its host and port."),
        _C("invalid_path", "INVALID_ARGUMENT", "A request path holds a character no file name may hold."),
        # --- the upstream web app's routes (issue 14)
        _C("provider_exists", "FAILED_PRECONDITION", "A provider of that name exists and allow_overwrite is false."),
        _C("upload_bytes_invalid", "INVALID_ARGUMENT", "A JSON byte array holds a value that is not an integer 0-255."),
        _C("upload_too_large", "INVALID_ARGUMENT", "An uploaded file is over the upload cap."),
        _C("config_section_invalid", "INVALID_ARGUMENT", "A settings section has the wrong shape or a refused value."),
        _C("recovery_nothing_missing", "FAILED_PRECONDITION", "fill_missing: the job has no missing outputs."),
        _C("recovery_nothing_to_reupload", "FAILED_PRECONDITION", "reupload: the job has no local outputs."),
        # --- storage targets (config validation; upstream names)
        _C("storage_config_invalid", "INVALID_ARGUMENT", "The storage settings are not the upstream's shape."),
        _C("storage_target_type_invalid", "INVALID_ARGUMENT", "A storage target's type is not a known one."),
        _C("storage_target_missing", "NOT_FOUND", "No storage target with that name is configured."),
        _C("storage_target_unsupported", "FAILED_PRECONDITION", "Uploading to this target type is not implemented."),
        _C("storage_origin_missing", "INVALID_ARGUMENT", "Cloud-primary storage needs a configured origin target."),
        _C(
            "storage_origin_readback_unsupported",
            "INVALID_ARGUMENT",
            "The cloud-primary origin's type cannot read files back.",
        ),
        _C("storage_archives_missing", "INVALID_ARGUMENT", "Mirror and archive-only storage need an archive target."),
        _C("storage_archive_missing", "INVALID_ARGUMENT", "An archive target is not configured."),
        _C("storage_target_directory_missing", "INVALID_ARGUMENT", "A local target needs a directory."),
        _C("storage_target_bucket_missing", "INVALID_ARGUMENT", "An S3 target needs a bucket."),
        _C("storage_target_access_key_missing", "INVALID_ARGUMENT", "An S3 target needs an access key id."),
        _C("storage_target_secret_key_missing", "INVALID_ARGUMENT", "An S3 target needs a secret access key."),
        _C("storage_target_s3_endpoint_invalid", "INVALID_ARGUMENT", "An S3 endpoint is not an http(s) URL."),
        _C("storage_target_webdav_url_invalid", "INVALID_ARGUMENT", "A WebDAV target needs an http(s) URL."),
        _C("storage_target_http_url_invalid", "INVALID_ARGUMENT", "An HTTP target needs an http(s) URL."),
        _C("storage_target_http_method_invalid", "INVALID_ARGUMENT", "HTTP targets upload with POST, PUT or PATCH."),
        _C("storage_target_sftp_host_missing", "INVALID_ARGUMENT", "An SFTP target needs a host."),
        _C("storage_target_sftp_host_key_missing", "INVALID_ARGUMENT", "An SFTP target needs a host key fingerprint."),
        _C("storage_target_sftp_username_missing", "INVALID_ARGUMENT", "An SFTP target needs a username."),
        _C("storage_target_sftp_remote_dir_invalid", "INVALID_ARGUMENT", "An SFTP remote directory is unstable."),
        _C("storage_target_sftp_auth_missing", "INVALID_ARGUMENT", "An SFTP target needs a password or private key."),
        _C("storage_target_baidu_app_name_missing", "INVALID_ARGUMENT", "A Baidu Netdisk target needs an app name."),
        _C("storage_target_baidu_access_token_missing", "INVALID_ARGUMENT", "Baidu personal auth needs a token."),
        _C("storage_target_baidu_app_key_missing", "INVALID_ARGUMENT", "Baidu OAuth auth needs an app key."),
        _C("storage_target_baidu_secret_key_missing", "INVALID_ARGUMENT", "Baidu OAuth auth needs a secret key."),
        _C("storage_target_baidu_refresh_token_missing", "INVALID_ARGUMENT", "Baidu OAuth needs a refresh token."),
        _C("storage_target_pan123_access_token_missing", "INVALID_ARGUMENT", "123 Pan token auth needs a token."),
        _C("storage_target_pan123_client_id_missing", "INVALID_ARGUMENT", "123 Pan client auth needs a client id."),
        _C("storage_target_pan123_client_secret_missing", "INVALID_ARGUMENT", "123 Pan client auth needs a secret."),
        # --- storage uploads
        _C("storage_source_missing", "FAILED_PRECONDITION", "The output file to upload is missing."),
        _C("storage_local_write_failed", "UNAVAILABLE", "Copying an output to a local target failed."),
        _C("storage_s3_upload_failed", "UNAVAILABLE", "The S3 PUT failed (transport, auth or status)."),
        _C("storage_webdav_upload_failed", "UNAVAILABLE", "The WebDAV MKCOL/PUT failed."),
        _C("storage_http_upload_failed", "UNAVAILABLE", "The HTTP upload failed or its answer lacked the URL."),
        _C("storage_sftp_connect_failed", "UNAVAILABLE", "The SFTP server could not be reached or spoke no SSH."),
        _C("storage_sftp_host_key_mismatch", "PERMISSION_DENIED", "The SFTP host key is not the pinned one."),
        _C("storage_sftp_auth_failed", "PERMISSION_DENIED", "The SFTP server refused the credentials."),
        _C("storage_sftp_write_failed", "UNAVAILABLE", "Writing the remote SFTP file failed."),
        _C("storage_upload_failed", "UNAVAILABLE", "Some uploads of a job are still failed after a reupload."),
        # --- notifications
        _C(
            "notification_config_invalid", "INVALID_ARGUMENT", "The notification settings are not the upstream's shape."
        ),
        _C("notification_webhook_invalid", "INVALID_ARGUMENT", "A webhook's URL, method or header is invalid."),
        _C("notification_webhook_blocked", "PERMISSION_DENIED", "A webhook URL points at an internal address."),
        _C("notification_webhook_failed", "UNAVAILABLE", "A webhook failed (transport or non-2xx)."),
        _C("notification_email_invalid", "INVALID_ARGUMENT", "Email needs an SMTP host, a sender and a recipient."),
        _C("notification_email_failed", "UNAVAILABLE", "Sending the notification email failed."),
        # --- proxy
        _C("proxy_url_invalid", "INVALID_ARGUMENT", "A custom proxy URL is not http(s)/socks5(h) with a host."),
        # --- security round 2: stored secrets outside providers, Codex login
        _C(
            "secret_redirect_refused",
            "PERMISSION_DENIED",
            "A remote client would send a stored secret (storage, SMTP, webhook, Codex login) to a new destination.",
        ),
        # --- shared stores (a cluster of engines)
        _C("database_unavailable", "UNAVAILABLE", "The history database (PostgreSQL) cannot be reached."),
        _C(
            "history_target_not_empty",
            "FAILED_PRECONDITION",
            "migrate-history was pointed at a database that already holds jobs.",
        ),
        # --- cluster: shared artifact store
        _C(
            "artifact_store_unavailable",
            "UNAVAILABLE",
            "The artifact store (S3 bucket) is missing, unreachable or refuses the credentials.",
        ),
        _C("artifact_store_config_invalid", "INVALID_ARGUMENT", "GPT_IMAGE_2_ARTIFACTS_URL is not a valid s3:// URL."),
        # --- cluster (engines sharing one PostgreSQL queue)
        _C("cluster_queue_failed", "UNAVAILABLE", "The shared job queue in PostgreSQL could not be read or written."),
    ]
}

ERROR_DOMAIN = "gpt-image-2-skill"


def is_registered(code: str) -> bool:
    return code in REGISTRY


def grpc_status_name(code: str) -> str:
    entry = REGISTRY.get(code)
    return entry.grpc_status if entry else "INTERNAL"
