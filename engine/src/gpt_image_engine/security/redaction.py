"""Redaction of secrets and bulky image data before anything leaves the engine.

`redact` is the upstream event redactor (§3.4): applied to progress events, error
details and logs. Secret-named keys become `{"_omitted": "secret"}`; data URLs,
base64 image payloads and other omitted long strings become small summaries.
URLs lose their userinfo and have every query value (and any fragment) replaced
(`redact_url`, `redact_urls_in_text`): a key inside a base URL (`http://u:sk-X@host/v1`,
`?api-key=sk-X`) never reaches an event, an error, a log line or a listing.
`redact_secrets_in_text` scrubs known secret values out of free text (log lines);
`redact_known_secrets` does it through a JSON-like value and `scrub_error` through an
error's message and detail (an upstream error body that echoes the key it was sent).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

if TYPE_CHECKING:
    from gpt_image_engine.errors import AppError

SECRET_KEYS = frozenset({"access_token", "refresh_token", "id_token", "authorization", "api_key"})
BASE64_KEYS = frozenset({"result", "image_url", "b64_json"})
_BASE64_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=\r\n")
REDACTED_TEXT = "[redacted]"
# Free text a user wrote keeps its URLs as written (it is theirs, not a configured endpoint).
_PROSE_KEYS = frozenset({"prompt", "instructions", "revised_prompt", "revised_prompts", "text"})
_URL_IN_TEXT = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://[^\s\"'<>]+")


def redact_url(url: str) -> str:
    """`url` for display: no userinfo, every query value and any fragment "[redacted]"
    (`?api-key=sk-X&v=1` -> `?api-key=[redacted]&v=[redacted]`). Not a URL: returned as is."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "[redacted url]"
    if not parts.scheme or not parts.netloc:
        return url
    netloc = parts.netloc.rpartition("@")[2]
    query = "&".join(
        f"{piece.partition('=')[0]}={REDACTED_TEXT}" if "=" in piece else (REDACTED_TEXT if piece else piece)
        for piece in parts.query.split("&")
    )
    return urlunsplit((parts.scheme, netloc, parts.path, query, REDACTED_TEXT if parts.fragment else ""))


def _needs_url_redaction(text: str) -> bool:
    return "://" in text and ("@" in text or "?" in text or "#" in text)


def redact_urls_in_text(text: str) -> str:
    """Every URL inside `text` passed through `redact_url` (log lines, error messages)."""
    if not _needs_url_redaction(text):
        return text
    return _URL_IN_TEXT.sub(lambda m: redact_url(m.group(0)), text)


def is_probably_base64(value: str) -> bool:
    """At least 128 characters, all from the base64 alphabet (plus CR/LF)."""
    return len(value) >= 128 and all(ch in _BASE64_CHARS for ch in value)


def summarize_large_string(key: str | None, value: str) -> dict[str, Any]:
    """The small object that stands in for an omitted string."""
    lowered = (key or "").lower()
    if value.startswith("data:image/"):
        prefix, _, encoded = value.partition(",")
        return {"_omitted": "data_url", "prefix": prefix, "base64_chars": len(encoded)}
    if lowered == "result" or "partial_image" in lowered or is_probably_base64(value):
        return {"_omitted": "base64", "base64_chars": len(value)}
    return {"_omitted": "string", "chars": len(value)}


def _redact_string(key: str | None, value: str) -> Any:
    lowered = (key or "").lower()
    if (
        value.startswith("data:image/")
        or lowered in BASE64_KEYS
        or "partial_image" in lowered
        or (len(value) >= 512 and is_probably_base64(value))
    ):
        return summarize_large_string(key, value)
    if lowered not in _PROSE_KEYS and _needs_url_redaction(value):
        return redact_urls_in_text(value)
    return value


def redact(value: Any, key: str | None = None) -> Any:
    """Return a redacted deep copy of a JSON-like value (dicts, lists, scalars)."""
    if isinstance(value, dict):
        out: dict[Any, Any] = {}
        for child_key, child in value.items():
            name = str(child_key)
            if name.lower() in SECRET_KEYS:
                out[child_key] = {"_omitted": "secret"}
            else:
                out[child_key] = redact(child, name)
        return out
    if isinstance(value, (list, tuple)):
        # Items of a list inherit the list's key, so `partial_images: [..]` stays covered.
        return [redact(item, key) for item in value]
    if isinstance(value, str):
        return _redact_string(key, value)
    return value


def redact_secrets_in_text(text: str, secrets: Iterable[str | None]) -> str:
    """Replace every occurrence of each known secret value with "[redacted]".

    Longer secrets are replaced first so one secret containing another is fully hidden;
    blank or very short values (under 4 chars) are skipped to avoid mangling text.
    """
    values = sorted({s for s in secrets if s and len(s.strip()) >= 4}, key=len, reverse=True)
    for secret in values:
        text = text.replace(secret, REDACTED_TEXT)
    return text


def redact_known_secrets(value: Any, secrets: Iterable[str | None]) -> Any:
    """A deep copy of a JSON-like value with every known secret value replaced in its strings."""
    known = [s for s in secrets if s and len(s.strip()) >= 4]
    if not known:
        return value

    def walk(item: Any) -> Any:
        if isinstance(item, str):
            return redact_secrets_in_text(item, known)
        if isinstance(item, dict):
            return {walk(k) if isinstance(k, str) else k: walk(v) for k, v in item.items()}
        if isinstance(item, (list, tuple)):
            return [walk(v) for v in item]
        return item

    return walk(value)


def scrub_error(err: AppError, secrets: Iterable[str | None]) -> AppError:
    """Remove known secret values from an error's message and detail, in place; returns it."""
    known = [s for s in secrets if s]
    if known:
        err.message = redact_secrets_in_text(err.message, known)
        err.args = (err.message,)
        err.detail = redact_known_secrets(err.detail, known)
    return err


def redact_urls(value: Any) -> Any:
    """A deep copy of a JSON-like value with every URL in its strings passed through
    `redact_url` (diagnostics and config replies that echo configured endpoints)."""
    if isinstance(value, str):
        return redact_urls_in_text(value)
    if isinstance(value, dict):
        return {k: redact_urls(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact_urls(v) for v in value]
    return value
