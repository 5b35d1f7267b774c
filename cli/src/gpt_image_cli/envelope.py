"""The one result a command prints: a JSON envelope, or a short human summary.

JSON mode (``--json`` or stdout not a terminal): exactly one pretty JSON object
on stdout, success ``{"ok": true, "command", ...payload}`` or failure
``{"ok": false, "error": {code, message, detail?}}``. On a terminal without
``--json`` the human views of `gpt_image_cli.views` instead (rich, imported only
then). Exit codes: 0 ok, 1 runtime failure, 2 usage error.
"""

from __future__ import annotations

import sys
from typing import Any

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


def print_success(command: str, payload: dict[str, Any], *, as_json: bool) -> int:
    """Print the result; the exit status (a human view may ask for 1, e.g. `doctor` not ready)."""
    body = success_body(command, payload)
    if as_json:
        _write_stdout(dumps(body))
        return EXIT_OK
    from gpt_image_cli.views import show_success

    return show_success(body)


def print_error(err: AppError, *, as_json: bool, verbose: bool = False) -> None:
    """The failure envelope on stdout, or on a terminal one line with a hint on stderr."""
    if as_json:
        _write_stdout(dumps(error_body(err)))
        return
    from gpt_image_cli.views import show_error

    show_error(err, verbose=verbose)


def _write_stdout(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()
