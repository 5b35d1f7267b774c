"""The one result a command prints: a JSON envelope, or a short human summary.

JSON mode (``--json`` or stdout not a terminal): exactly one pretty JSON object
on stdout, success ``{"ok": true, "command", ...payload}`` or failure
``{"ok": false, "error": {code, message, detail?}}``. On a terminal without
``--json`` a few readable lines instead. Exit codes: 0 ok, 1 runtime failure,
2 usage error.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from gpt_image_protocol.errors import AppError
from gpt_image_protocol.validation import dumps_finite

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2


def json_mode(flag: bool) -> bool:
    """JSON when asked for, or when stdout is not a terminal."""
    return flag or not _isatty(sys.stdout)


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def success_body(command: str, payload: dict[str, Any]) -> dict[str, Any]:
    """`{"ok": true, "command": ...}` plus the payload; a payload's own `ok` wins."""
    body: dict[str, Any] = {"ok": payload.get("ok", True), "command": command}
    for key, value in payload.items():
        if key not in ("ok", "command"):
            body[key] = value
    return body


def error_body(err: AppError) -> dict[str, Any]:
    return {"ok": False, "error": err.to_envelope()}


def dumps(body: dict[str, Any]) -> str:
    return dumps_finite(body, indent=2, ensure_ascii=False, default=str) + "\n"


def print_success(command: str, payload: dict[str, Any], *, as_json: bool) -> None:
    body = success_body(command, payload)
    if as_json:
        _write_stdout(dumps(body))
    else:
        _write_stdout(human_summary(body))


def print_error(err: AppError, *, as_json: bool) -> None:
    if as_json:
        _write_stdout(dumps(error_body(err)))
    else:
        text = f"error [{err.code}]: {err.message}"
        if err.detail is not None:
            text += "\n" + dumps_finite(err.detail, indent=2, ensure_ascii=False, default=str)
        click.echo(text, err=True)


def _write_stdout(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


_SUMMARY_KEYS = (
    "job_id",
    "provider",
    "default_provider",
    "config_file",
    "address",
    "running",
    "stopped",
    "removed",
    "deleted",
    "opened",
    "value",
    "status",
    "ready",
    "passed",
    "next_cursor",
    "total",
)


def human_summary(body: dict[str, Any]) -> str:
    """A few readable lines for a person at a terminal."""
    mark = "ok" if body.get("ok") else "not ok"
    lines = [f"{body.get('command', '')}: {mark}"]
    output = body.get("output") or body.get("image_output")
    if isinstance(output, dict) and output.get("files"):
        for item in output["files"]:
            lines.append(f"  wrote {item.get('path')} ({item.get('bytes')} bytes)")
    for key in _SUMMARY_KEYS:
        if key in body and not isinstance(body[key], (dict, list)):
            lines.append(f"  {key}: {body[key]}")
    history = body.get("history")
    if isinstance(history, dict) and history.get("job_id"):
        lines.append(f"  job: {history['job_id']}")
    jobs = body.get("jobs")
    if isinstance(jobs, list):
        for job in jobs:
            if isinstance(job, dict):
                lines.append(
                    f"  {job.get('id', '')}  {job.get('status', '')}  {job.get('command', '')}  {job.get('output_path') or ''}"
                )
    providers = body.get("providers")
    if isinstance(providers, dict) and body.get("command") == "config list-providers":
        for name in providers:
            lines.append(f"  provider: {name}")
    if len(lines) == 1:
        lines.append("  (use --json for the full result)")
    return "\n".join(lines) + "\n"
