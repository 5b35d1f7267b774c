// Every coded error of the registry (protos/src/gpt_image_protocol/codes.py) in plain
// words with the next step, in both languages (i18n-zh.js). The server's own message is
// shown only for input problems, where it names the value at fault, and only after
// scrubbing: CLI flag names become field names and gRPC transport text is dropped.

import { t } from "./i18n.js";

const SETTINGS = "settings";
const RETRY = "retry";
const SIGNIN = "signin";

// code: [what happened, what to do next, action?]
export const ERRORS = {
  invalid_command: ["Some of the settings are not valid.", "Check the values you entered and try again."],
  invalid_argument: ["A value is not valid.", "Check the value mentioned below and try again."],
  unsupported_option: ["The chosen provider cannot use one of these options.", "Pick another provider, or clear that option."],
  invalid_body_json: ["The page sent a request the gateway could not read.", "Reload the page and try again."],
  invalid_operation: ["This provider cannot do that kind of request.", "Pick another provider in the form."],
  api_key_missing: ["No OpenAI API key was found.", "Add a key in Settings, or set OPENAI_API_KEY where the engine runs.", SETTINGS],
  access_token_missing: ["Your Codex sign-in has no access token.", "Run `codex login` again, then retry.", SETTINGS],
  auth_missing: ["You are not signed in to Codex.", "Run `codex login` on the machine running the engine, or add an OpenAI key in Settings.", SETTINGS],
  auth_read_failed: ["The Codex sign-in file could not be read.", "Check the file's permissions, or run `codex login` again.", SETTINGS],
  auth_invalid_json: ["The Codex sign-in file is damaged.", "Run `codex login` again to rewrite it.", SETTINGS],
  auth_invalid_shape: ["The Codex sign-in file is damaged.", "Run `codex login` again to rewrite it.", SETTINGS],
  account_id_missing: ["Your Codex sign-in does not name a ChatGPT account.", "Run `codex login` again.", SETTINGS],
  invalid_jwt: ["Your Codex sign-in token could not be read.", "Run `codex login` again.", SETTINGS],
  refresh_token_missing: ["Your Codex sign-in has expired and cannot be renewed.", "Run `codex login` again.", SETTINGS],
  refresh_failed: ["Renewing your Codex sign-in failed.", "Try again in a moment; if it keeps failing, run `codex login`.", RETRY],
  auth_write_failed: ["The renewed Codex sign-in could not be saved.", "Check that the Codex folder is writable, then retry.", RETRY],
  provider_unavailable: ["No image provider is ready.", "Open Settings to add an OpenAI API key or a provider, or sign in to Codex.", SETTINGS],
  provider_unknown: ["That provider is not set up.", "Pick a provider from the list, or add it in Settings.", SETTINGS],
  provider_kind_unsupported: ["That provider's type is not supported.", "Use openai, openai-compatible or codex in Settings.", SETTINGS],
  provider_invalid_name: ["That provider name cannot be used.", "Use a name without spaces or slashes."],
  invalid_provider_config: ["The provider settings do not fit together.", "Check the API base, model and key, then save again.", SETTINGS],
  credential_missing: ["The provider's key is missing.", "Add the key for this provider in Settings.", SETTINGS],
  keychain_error: ["The system keychain is not available.", "Store the key in the config file or an environment variable instead.", SETTINGS],
  keychain_missing: ["The keychain has no entry for this key.", "Enter the key again in Settings.", SETTINGS],
  keychain_write_failed: ["The key could not be saved in the keychain.", "Store it in the config file instead.", SETTINGS],
  keychain_delete_failed: ["The key could not be removed from the keychain.", "Remove it with your system's keychain tool."],
  secret_read_failed: ["The key could not be read.", "Enter the key again."],
  secret_env_missing: ["No environment variable was named for the key.", "Enter the variable's name, or paste the key instead."],
  secret_source_unsupported: ["Keys can come from the config file, an environment variable or the keychain.", "Pick one of those."],
  config_read_failed: ["The settings file could not be read.", "Check that the engine can read its config.json, then reload."],
  config_invalid_json: ["The settings file is damaged; it was left untouched.", "Fix or remove config.json, then reload."],
  config_write_failed: ["The settings could not be saved.", "Check that the engine can write its config folder, then try again."],
  ref_image_missing: ["A reference image is missing.", "Add the image again."],
  ref_image_invalid: ["A reference image could not be read.", "Use a PNG, JPEG or WebP file."],
  ref_image_too_many: ["Too many reference images.", "Use at most 16 images."],
  invalid_base64: ["An image in the request was damaged.", "Add the image again."],
  invalid_data_url: ["An image in the request was damaged.", "Add the image again."],
  network_error: ["The provider could not be reached.", "Check the internet connection or proxy, then retry.", RETRY],
  http_error: ["The provider refused or failed the request.", "Retry in a moment; if it repeats, check the prompt and the provider's status.", RETRY],
  invalid_json_response: ["The provider sent an answer that could not be read.", "Retry; if it repeats, check the provider's API base in Settings.", RETRY],
  request_failed: ["The provider stopped while drawing.", "Retry; the provider may be busy.", RETRY],
  missing_image_result: ["The provider answered without an image.", "Retry, or reword the prompt (it may have been declined).", RETRY],
  output_write_failed: ["The finished image could not be saved.", "Check free disk space where the engine keeps its files, then retry.", RETRY],
  batch_worker_failed: ["One of the images in the batch failed.", "Retry the job to make the missing images.", RETRY],
  history_open_failed: ["The history could not be opened.", "Check that the engine can write its data folder, then reload."],
  history_migration_failed: ["The history could not be upgraded.", "Keep a copy of history.sqlite and restart the engine."],
  history_write_failed: ["The job could not be recorded.", "Check free disk space, then retry.", RETRY],
  history_query_failed: ["The history could not be searched.", "Try again, or change the search."],
  history_not_found: ["That job no longer exists.", "It may have been deleted; reload the history."],
  history_delete_failed: ["The job could not be deleted.", "Try again in a moment."],
  database_unavailable: ["The history database cannot be reached.", "Check that PostgreSQL is running and GPT_IMAGE_2_DATABASE_URL is right, then retry."],
  history_target_not_empty: ["That database already holds jobs.", "Point migrate-history at an empty database."],
  artifact_store_unavailable: ["The image bucket cannot be reached.", "Check the bucket, its endpoint and the engine's S3 credentials, then retry."],
  artifact_store_config_invalid: ["The image bucket setting is not valid.", "Set GPT_IMAGE_2_ARTIFACTS_URL to s3://bucket/prefix, with credentials in the AWS variables."],
  cluster_queue_failed: ["The shared job queue could not be reached.", "Check the PostgreSQL database the engines share, then retry."],
  storage_remote_url_invalid: ["That address is not a valid web address.", "Use an http:// or https:// address."],
  storage_remote_resolve_failed: ["That address could not be found.", "Check the host name."],
  storage_remote_blocked: ["That address points inside your network and is blocked.", "Use a public address."],
  transparent_verification_failed: ["The transparent result did not pass its quality check.", "Try another profile or matte colour, or turn off Strict."],
  transparent_input_mismatch: ["The dark and light images do not match.", "Use two renders of the same picture, same size."],
  image_read_failed: ["The image could not be read.", "Use a PNG, JPEG or WebP file."],
  image_decode_failed: ["The image could not be opened, or it is too large.", "Use a smaller PNG, JPEG or WebP file."],
  engine_unavailable: ["The image engine is not running.", "Start it with `gpt-image-2-engine serve` (or open the desktop app); the page reconnects by itself.", RETRY],
  engine_start_failed: ["The image engine could not be started.", "Start it by hand with `gpt-image-2-engine serve` and look at its messages."],
  artifact_not_found: ["That file is no longer available.", "It may have been deleted with its job."],
  artifact_invalid: ["An uploaded file was damaged or too large.", "Add the file again (at most 64 MB)."],
  job_running: ["That job is still running.", "Wait for it to finish, or cancel it first."],
  job_cancelled: ["The job was cancelled.", "Start it again when you are ready.", RETRY],
  job_interrupted: ["The engine stopped before the job finished.", "Open it in History to recover or retry it.", RETRY],
  internal_error: ["Something unexpected went wrong.", "Try again; if it repeats, check the engine's log.", RETRY],
  payload_too_large: ["The upload is too large.", "Use smaller images (at most 64 MB in all)."],
  route_not_found: ["The page asked for something the gateway does not have.", "Reload the page; the gateway may have been updated."],
  method_not_allowed: ["The page asked for something the gateway does not have.", "Reload the page; the gateway may have been updated."],
  host_not_allowed: ["This address is not allowed to open the gateway.", "Open it as 127.0.0.1 or localhost, or set an access token."],
  cross_site_request: ["The request came from another site and was refused.", "Use the page served by the gateway itself."],
  unauthenticated: ["You need to sign in.", "Enter the gateway's access token.", SIGNIN],
  engine_unauthenticated: ["The gateway could not sign in to the image engine.", "Check the engine token the gateway was started with."],
  engine_incompatible: ["The image engine is a different version.", "Update the gateway and the engine to the same release."],
  engine_listen_refused: ["The engine refused to listen on that address.", "Give it a token (and TLS off this machine)."],
  engine_credentials_invalid: ["A token or certificate file cannot be used.", "Check the file's path and contents."],
  // Uploads, paths and the gateway's own limits.
  invalid_path: ["The address asks for a file name that cannot exist.", "Reload the page and open the item again."],
  upload_bytes_invalid: ["An uploaded file arrived damaged.", "Add the file again."],
  upload_too_large: ["A file is larger than this engine accepts.", "Use a smaller file, or ask the engine's operator to raise the upload limit."],
  storage_full: ["The engine's disk is full; finished images were kept where possible.", "Free some disk space where the engine keeps its files, then retry.", RETRY],
  jobs_dir_unwritable: ["The engine cannot write to its jobs folder.", "Make the engine's data folder writable (or point it elsewhere), then retry.", RETRY],
  too_many_attempts: ["Too many wrong sign-ins from this device.", "Wait a minute, then enter the access token again.", SIGNIN],
  too_many_followers: ["This browser is following too many jobs at once.", "Close other tabs of this page, then reload."],
  gateway_busy: ["The gateway is serving as many live pages as it can.", "Close unused tabs or windows of this page and retry in a moment.", RETRY],
  gateway_bind_failed: ["The web gateway could not open its address and port.", "Free that port or start the gateway on another one, then reload."],
  web_token_too_short: ["The gateway's access token is too short to be safe.", "Set GPT_IMAGE_2_WEB_TOKEN to at least 32 random characters and restart the gateway."],
  // Providers: keys the page may not name or move.
  provider_exists: ["A provider with that name already exists.", "Pick another name, or confirm that you want to replace it.", SETTINGS],
  provider_key_env_not_allowed: ["This page may not read that environment variable on the engine.", "Paste the key instead, or ask the engine's operator to allow the variable (GPT_IMAGE_2_KEY_ENV_ALLOWLIST).", SETTINGS],
  provider_secret_redirect_refused: ["The stored key would be sent to a new address.", "Enter the key again when you change where the provider points.", SETTINGS],
  secret_redirect_refused: ["A stored password or key would be sent to a new address.", "Enter the secret again when you change where it is sent.", SETTINGS],
  config_section_invalid: ["A settings section has a value the engine refuses.", "Check the value mentioned below and save again.", SETTINGS],
  // Recovery of finished jobs.
  recovery_nothing_missing: ["This job has no missing images to make.", "Nothing to do: all of its images are there."],
  recovery_nothing_to_reupload: ["This job has no local images to upload again.", "Its images were not kept on the engine; run the job again if you need them."],
  // Transparent sources.
  transparent_source_checkerboard: ["The picture shows a painted checkerboard, not a flat key colour.", "Generate it again on a solid green (or black or white) background, then remove that."],
  transparent_no_key_border: ["The subject fills the whole frame; there is no background edge to remove.", "Use a picture with flat background colour around the subject."],
  // Storage settings: the targets and the pipeline.
  storage_config_invalid: ["The storage settings are not in the expected form.", "Check the target's settings below and save again.", SETTINGS],
  storage_target_type_invalid: ["That storage type is not known.", "Pick local folder, S3, WebDAV, HTTP or SFTP.", SETTINGS],
  storage_target_missing: ["There is no storage target with that name.", "Reload Settings; it may have been removed.", SETTINGS],
  storage_target_unsupported: ["Uploading to this type of target is not available yet.", "Use a local folder, S3, WebDAV, HTTP or SFTP target instead.", SETTINGS],
  storage_origin_missing: ["Cloud-first storage needs an origin target.", "Enter the origin's name in the pipeline, or pick another mode.", SETTINGS],
  storage_origin_readback_unsupported: ["That origin cannot hand images back to the engine.", "Use an S3, WebDAV, SFTP or local folder target as the origin.", SETTINGS],
  storage_archives_missing: ["This mode needs at least one archive target.", "Name an archive in the pipeline, or choose local only.", SETTINGS],
  storage_archive_missing: ["An archive named in the pipeline is not set up.", "Add that target first, or remove it from the archives.", SETTINGS],
  storage_target_directory_missing: ["A local folder target needs a folder.", "Fill in directory with a folder on the engine's machine.", SETTINGS],
  storage_target_bucket_missing: ["An S3 target needs a bucket.", "Fill in bucket, then save again.", SETTINGS],
  storage_target_access_key_missing: ["An S3 target needs an access key id.", "Fill in access_key_id, then save again.", SETTINGS],
  storage_target_secret_key_missing: ["An S3 target needs a secret access key.", "Fill in secret_access_key, then save again.", SETTINGS],
  storage_target_s3_endpoint_invalid: ["The S3 endpoint is not a web address.", "Use an http:// or https:// endpoint, or leave it out for AWS.", SETTINGS],
  storage_target_webdav_url_invalid: ["A WebDAV target needs a web address.", "Use an http:// or https:// url.", SETTINGS],
  storage_target_http_url_invalid: ["An HTTP target needs a web address.", "Use an http:// or https:// url.", SETTINGS],
  storage_target_http_method_invalid: ["HTTP targets upload with POST, PUT or PATCH.", "Set method to one of those.", SETTINGS],
  storage_target_sftp_host_missing: ["An SFTP target needs a host.", "Fill in host, then save again.", SETTINGS],
  storage_target_sftp_host_key_missing: ["An SFTP target needs the server's key fingerprint.", "Fill in host_key_sha256 (SHA256:…, as ssh-keyscan shows it).", SETTINGS],
  storage_target_sftp_username_missing: ["An SFTP target needs a user name.", "Fill in username, then save again.", SETTINGS],
  storage_target_sftp_remote_dir_invalid: ["The SFTP folder must be a plain path.", "Use a folder path without . or .. parts.", SETTINGS],
  storage_target_sftp_auth_missing: ["An SFTP target needs a password or a private key.", "Add one of them, then save again.", SETTINGS],
  storage_target_baidu_app_name_missing: ["A Baidu Netdisk target needs an app name.", "Fill in app_name, then save again.", SETTINGS],
  storage_target_baidu_access_token_missing: ["Baidu Netdisk sign-in needs an access token.", "Fill in access_token, then save again.", SETTINGS],
  storage_target_baidu_app_key_missing: ["Baidu Netdisk OAuth needs an app key.", "Fill in app_key, then save again.", SETTINGS],
  storage_target_baidu_secret_key_missing: ["Baidu Netdisk OAuth needs a secret key.", "Fill in secret_key, then save again.", SETTINGS],
  storage_target_baidu_refresh_token_missing: ["Baidu Netdisk OAuth needs a refresh token.", "Fill in refresh_token, then save again.", SETTINGS],
  storage_target_pan123_access_token_missing: ["A 123 Pan target needs an access token.", "Fill in access_token, then save again.", SETTINGS],
  storage_target_pan123_client_id_missing: ["A 123 Pan target needs a client id.", "Fill in client_id, then save again.", SETTINGS],
  storage_target_pan123_client_secret_missing: ["A 123 Pan target needs a client secret.", "Fill in client_secret, then save again.", SETTINGS],
  // Storage uploads.
  storage_source_missing: ["The image to upload is no longer on the engine.", "Run the job again to make it anew."],
  storage_local_write_failed: ["The image could not be copied to the local folder target.", "Check that the folder exists and the engine may write there, then test the target.", SETTINGS],
  storage_s3_upload_failed: ["The upload to S3 failed.", "Check the bucket, endpoint and keys, then test the target.", SETTINGS],
  storage_webdav_upload_failed: ["The upload to WebDAV failed.", "Check the address, user name and password, then test the target.", SETTINGS],
  storage_http_upload_failed: ["The HTTP upload failed or its answer had no image address.", "Check the url and public_url_json_pointer, then test the target.", SETTINGS],
  storage_sftp_connect_failed: ["The SFTP server could not be reached.", "Check the host and port, and that the server runs SSH.", SETTINGS],
  storage_sftp_host_key_mismatch: ["The SFTP server's key is not the one saved for it.", "If the server's key really changed, enter its new fingerprint; otherwise do not upload there.", SETTINGS],
  storage_sftp_auth_failed: ["The SFTP server refused the user name or key.", "Check the user name and the password or private key.", SETTINGS],
  storage_sftp_write_failed: ["The file could not be written on the SFTP server.", "Check that the remote folder exists and the user may write there.", SETTINGS],
  storage_upload_failed: ["Some of this job's uploads still failed.", "Test the storage targets in Settings, then upload again from History.", SETTINGS],
  // Notifications.
  notification_config_invalid: ["The notification settings are not in the expected form.", "Check the values below and save again.", SETTINGS],
  notification_webhook_invalid: ["A webhook's address, method or header is not valid.", "Use an http:// or https:// address and check its headers.", SETTINGS],
  notification_webhook_blocked: ["That webhook points inside your network and is blocked.", "Use a public address, or ask the engine's operator to allow private addresses.", SETTINGS],
  notification_webhook_failed: ["The webhook could not be delivered.", "Check that the address answers with a 2xx status, then send a test.", SETTINGS],
  notification_email_invalid: ["Email needs an SMTP server, a sender and a recipient.", "Fill in SMTP host, From and To, then save again.", SETTINGS],
  notification_email_failed: ["The notification email could not be sent.", "Check the SMTP server, port, encryption and sign-in, then send a test.", SETTINGS],
  // Proxy.
  proxy_url_invalid: ["The proxy address is not valid.", "Use http://, https://, socks5:// or socks5h:// with a host (and user:password if needed).", SETTINGS],
  // The page's own, for failures before any code comes back.
  network_down: ["The gateway is not reachable.", "Check that gpt-image-2-web is still running, then retry.", RETRY],
};

// Codes whose server message names the value at fault: shown (scrubbed) under the plain words.
const SPECIFIC = new Set([
  "invalid_command", "invalid_argument", "unsupported_option", "ref_image_invalid", "ref_image_missing",
  "image_decode_failed", "image_read_failed", "transparent_verification_failed", "transparent_input_mismatch",
  "invalid_provider_config", "http_error", "missing_image_result", "request_failed",
  "config_section_invalid", "storage_config_invalid", "notification_config_invalid", "notification_webhook_invalid",
  "proxy_url_invalid", "upload_too_large",
]);
const TRANSPORT = /failed to connect|last error|unix:|ipv4:|ipv6:|StatusCode\.|grpc|Traceback|\bat 0x/i;

// A server message fit for the page: flags become field names, transport noise is dropped.
export function scrub(message) {
  if (!message || TRANSPORT.test(message)) return "";
  return String(message)
    .replace(/--([a-z][a-z0-9-]*)/g, (m, flag) => t(FIELD[flag] || flag.replace(/-/g, " ")))
    .replace(/\s+/g, " ")
    .trim()
    .slice(0, 300);
}

const FIELD = {
  size: "Size", quality: "Quality", format: "Format", background: "Background", compression: "Compression",
  n: "Images", moderation: "Moderation", "partial-images": "Partial previews", mask: "Mask",
  "input-fidelity": "Input fidelity", instructions: "Instructions", provider: "Provider", model: "Model",
  "ref-image": "Reference image", profile: "Profile", "matte-color": "Matte colour",
};

export function describe(err) {
  const code = (err && err.code) || "internal_error";
  const [what, next, action] = ERRORS[code] || ERRORS.internal_error;
  const detail = (err && err.detail) || {};
  let title = t(what);
  let hint = t(next);
  let specific = SPECIFIC.has(code) ? scrub(err && err.message) : "";
  if (code === "unsupported_option" && detail.edit_region_mode) {
    title = t("“{provider}” cannot follow a painted mask exactly.", { provider: detail.provider || "?" });
    hint = t("Switch to a provider with mask editing, or send the mask as a hint.");
    specific = "";
  }
  if (code === "http_error" && detail.status_code) specific = `${t("The provider answered HTTP {status}.", { status: detail.status_code })} ${specific}`.trim();
  return { code, title, next: hint, specific, action: action || null };
}

// One line, for toasts and job cards.
export function sentence(err) {
  const d = describe(err);
  return `${d.title} ${d.next}`;
}
