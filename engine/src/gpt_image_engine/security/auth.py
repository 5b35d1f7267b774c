"""Who may reach the engine over TCP: the bearer token, and which listeners are allowed.

Pure functions (no grpc): the server's interceptor calls `TokenCheck.allows`,
the daemon calls `check_listener` before it binds. The rules:

- any TCP listener needs a token (`--token-file`); the Unix socket's 0600 mode
  is its own authentication and takes no token;
- a listener off loopback also needs TLS (`--tls-cert/--tls-key`);
  `--insecure-no-tls` is accepted for loopback only;
- the token is compared in constant time (`hmac.compare_digest`) and must be
  at least 32 characters, so it cannot be guessed through the listener.
"""

from __future__ import annotations

import hmac
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from gpt_image_protocol.address import is_loopback_host
from gpt_image_protocol.errors import AppError

MIN_TOKEN_LENGTH = 32
BEARER = "bearer "


def load_token(path: Path) -> str:
    """The token in `path` (surrounding whitespace stripped); refuses short or unreadable ones."""
    try:
        text = path.expanduser().read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise AppError(
            "engine_credentials_invalid", f"Cannot read the token file {path}: {exc}", {"path": str(path)}
        ) from exc
    if len(text) < MIN_TOKEN_LENGTH or any(ch.isspace() for ch in text):
        raise AppError(
            "engine_credentials_invalid",
            f"The token in {path} must be one word of at least {MIN_TOKEN_LENGTH} characters "
            "(for example `openssl rand -hex 32`).",
            {"path": str(path)},
        )
    return text


def token_file_is_private(path: Path) -> bool:
    """Whether group and others cannot read the token file (a warning, not a refusal)."""
    try:
        return not (os.stat(path).st_mode & (stat.S_IRWXG | stat.S_IRWXO))
    except OSError:
        return False


@dataclass(frozen=True)
class TokenCheck:
    token: str

    def allows(self, authorization: str | None) -> bool:
        """Whether an `authorization` header value carries the token (constant time)."""
        value = (authorization or "").strip()
        if value[: len(BEARER)].lower() != BEARER:
            return False
        given = value[len(BEARER) :].strip().encode("utf-8")
        return hmac.compare_digest(given, self.token.encode("utf-8"))


def split_listen(value: str) -> tuple[str, int]:
    """`HOST:PORT` or `[V6]:PORT` -> (host, port); port 0 asks the OS for a free one."""
    host, sep, port = value.strip().rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port.isdigit() or not (0 <= int(port) < 65536):
        raise AppError("invalid_argument", f"--listen must be HOST:PORT, got {value!r}.")
    return host, int(port)


def check_listener(host: str, *, has_token: bool, has_tls: bool, insecure_no_tls: bool) -> None:
    """Refuse a TCP listener the rules above do not allow."""
    loopback = is_loopback_host(host)
    if not has_token:
        raise AppError(
            "engine_listen_refused",
            "A TCP listener needs a bearer token: pass --token-file (create one with `openssl rand -hex 32`).",
            {"host": host},
        )
    if insecure_no_tls and not loopback:
        raise AppError(
            "engine_listen_refused",
            f"--insecure-no-tls is only allowed on a loopback address, not {host}.",
            {"host": host},
        )
    if not has_tls and not insecure_no_tls:
        raise AppError(
            "engine_listen_refused",
            "A TCP listener needs TLS: pass --tls-cert and --tls-key"
            + (" (or --insecure-no-tls on loopback)." if loopback else "."),
            {"host": host},
        )
