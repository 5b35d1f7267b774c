"""A failed command on a terminal: one line with the message, the code and the next step.

The detail (often dozens of lines) is shown only with `--verbose`; the JSON envelope
always carries it. Hints are keyed by error code and may read the detail
(e.g. the valid provider names).
"""

from __future__ import annotations

import json
from typing import Any

from rich.markup import escape
from rich.text import Text

from gpt_image_cli.views.console import err

CLI = "gpt-image-2-skill"

_HINTS: dict[str, str] = {
    "api_key_missing": "Set OPENAI_API_KEY (or pass --api-key KEY), or run `codex login` and use --provider codex.",
    "provider_unavailable": (
        "Set OPENAI_API_KEY, or run `codex login`, or add a provider with "
        f"`{CLI} config add-provider --name NAME --api-base URL --api-key-env VAR`."
    ),
    "access_token_missing": "Run `codex login` (or pass --auth-file PATH to an existing auth.json).",
    "auth_missing": "Run `codex login` (or pass --auth-file PATH to an existing auth.json).",
    "refresh_token_missing": "Run `codex login` to sign in again.",
    "refresh_failed": "Run `codex login` to sign in again.",
    "credential_missing": f"Store one with `{CLI} secret set PROVIDER api_key`.",
    "engine_unavailable": f"Start it with `{CLI} engine start` (or check --engine / GPT_IMAGE_2_ENGINE).",
    "engine_start_failed": "Is gpt-image-2-engine installed? Install the engine extra: pipx install 'gpt-image-2-skill[engine]'.",
    "engine_unauthenticated": "Pass the engine's token with --engine-token-file PATH (or GPT_IMAGE_2_ENGINE_TOKEN).",
    "engine_incompatible": "Upgrade the CLI and the engine to the same release.",
    "network_error": f"Check your network or proxy (HTTPS_PROXY); `{CLI} doctor` shows what is reachable.",
    "output_write_failed": "Check that the folder is writable and the disk has space.",
    "ref_image_missing": "Check the path; reference images may also be http(s):// or data: URLs.",
    "image_read_failed": "Check the path of the input image.",
    "ref_image_invalid": "Use a PNG, JPEG, WebP, GIF or BMP image.",
    "history_not_found": f"List recent jobs with `{CLI} history list`.",
    "config_invalid_json": f"Fix or move the file; `{CLI} config path` shows where it is.",
    "storage_remote_blocked": "Internal addresses are refused; use a public URL.",
    "transparent_verification_failed": "Try --profile or --material matching the subject, or drop --strict.",
    "job_running": f"Wait for it or cancel it: `{CLI} jobs cancel JOB_ID`.",
}

_HTTP_HINTS = {
    "401": "The provider refused the credentials: check the API key or run `codex login`.",
    "403": "The account may not have access to this model.",
    "429": "Rate limited: wait a moment and retry (or raise --retries).",
}


def hint_for(code: str, message: str, detail: Any) -> str:
    """The next step for an error, or '' when there is nothing better than the message."""
    if code == "provider_unknown":
        valid = detail.get("valid") if isinstance(detail, dict) else None
        if isinstance(valid, list) and valid and "Valid names" not in message:
            return "Valid names: " + ", ".join(str(v) for v in valid) + "."
        return f"See `{CLI} config list-providers`."
    if code == "invalid_command":
        return "See --help for the command's flags."
    if code == "http_error":
        for status, text in _HTTP_HINTS.items():
            if status in message:
                return text
        return ""
    return _HINTS.get(code, "")


def show_error(error: Any, *, verbose: bool) -> None:
    code = str(getattr(error, "code", "internal_error"))
    message = str(getattr(error, "message", "") or "")
    detail = getattr(error, "detail", None)
    lines = message.strip().splitlines() or [code]
    first = lines[0].strip()
    line = Text()
    line.append("error", style="bold red")
    line.append(f" [{code}]: ", style="red")
    line.append(first)
    hint = hint_for(code, message, detail)
    if hint and "run `" not in first.lower():  # the engine's message may already give the next step
        line.append("  → " + hint, style="yellow")
    has_more = detail is not None or len(lines) > 1
    if has_more and not verbose:
        line.append("  (--verbose for details)", style="dim")
    console = err()
    console.print(line, soft_wrap=True)
    if verbose:
        if len(lines) > 1:
            console.print(escape("\n".join(lines[1:]).strip()), soft_wrap=True)
        if detail is not None:
            console.print(escape(json.dumps(detail, indent=2, ensure_ascii=False, default=str)), soft_wrap=True)
