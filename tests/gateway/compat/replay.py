"""Replays the upstream web app's recorded calls (app_calls.json) against a real gateway, as
Chromium would send them from a page served on the gateway's origin, and reads the answers
the way the app's `requestJson` does."""

from __future__ import annotations

import http.client
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

CALLS: dict[str, dict[str, Any]] = json.loads((Path(__file__).with_name("app_calls.json")).read_text())["calls"]


class ApiRequestError(Exception):
    """What requestJson throws for a non-2xx answer (message, status, code, detail)."""

    def __init__(self, status: int, message: str, code: str | None, detail: Any) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status, self.message, self.code, self.detail = status, message, code, detail


@dataclass
class Reply:
    status: int
    headers: dict[str, str]  # lower-case names
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def _fill(value: Any, args: dict[str, Any]) -> Any:
    """Body templating: "$name" takes args[name]; a key whose value is missing is dropped (JS undefined)."""
    if isinstance(value, str) and value.startswith("$"):
        return args.get(value[1:], _MISSING)
    if isinstance(value, dict):
        out = {k: _fill(v, args) for k, v in value.items()}
        return {k: v for k, v in out.items() if v is not _MISSING}
    if isinstance(value, list):
        return [_fill(v, args) for v in value]
    return value


_MISSING = object()


@dataclass
class App:
    """One browser tab of the app: the gateway's origin, its cookie jar, the calls it makes."""

    base: str
    cookies: dict[str, str] = field(default_factory=dict)
    sent: list[tuple[str, str, dict[str, str], bytes]] = field(default_factory=list)

    @property
    def origin(self) -> str:
        parts = urlsplit(self.base)
        return f"{parts.scheme}://{parts.netloc}"

    def _send(self, method: str, path: str, headers: dict[str, str], body: bytes | None, dest: str = "empty") -> Reply:
        parts = urlsplit(self.base)
        conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port or 80, timeout=60)
        hdrs = {
            "Accept": "*/*",
            "Sec-Fetch-Site": "same-origin",
            "Sec-Fetch-Mode": "cors" if dest == "empty" else "no-cors",
            "Sec-Fetch-Dest": dest,
            **headers,
        }
        if method not in ("GET", "HEAD"):
            hdrs.setdefault("Origin", self.origin)  # Chromium sends Origin on same-origin fetches that are not GET/HEAD
        if self.cookies:
            hdrs["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        self.sent.append((method, path, hdrs, body or b""))
        try:
            conn.request(method, path, body=body, headers=hdrs)
            raw = conn.getresponse()
            data = raw.read()
            reply = Reply(raw.status, {k.lower(): v for k, v in raw.getheaders()}, data)
            for name, value in raw.getheaders():
                if name.lower() == "set-cookie":
                    pair = value.split(";", 1)[0]
                    key, _, val = pair.partition("=")
                    if "max-age=0" in value.lower() or not val:
                        self.cookies.pop(key.strip(), None)
                    else:
                        self.cookies[key.strip()] = val
        finally:
            conn.close()
        return reply

    def call(self, name: str, /, **args: Any) -> Reply:
        """Send recorded call `name`; `{x}` in its path is URL-encoded from args (encodeURIComponent)."""
        spec = CALLS[name]
        path_args = {k: (quote(str(v), safe="") if k != "cursor_qs" else str(v)) for k, v in args.items()}
        path = spec["path"].format(**path_args)
        body = None
        if "body" in spec:
            filled = _fill(spec["body"], args)
            body = json.dumps(filled, separators=(",", ":")).encode()  # JSON.stringify
        return self._send(spec["method"], path, dict(spec.get("headers") or {}), body)

    def json(self, name: str, /, **args: Any) -> Any:
        """requestJson: non-2xx throws ApiRequestError, 204 is undefined, every other 2xx must be JSON."""
        reply = self.call(name, **args)
        if not 200 <= reply.status < 300:
            try:
                err = reply.json().get("error") or {}
            except ValueError:
                err = {}
            raise ApiRequestError(reply.status, err.get("message", ""), err.get("code"), err.get("detail"))
        if reply.status == 204:
            return None
        assert reply.headers.get("content-type", "").startswith("application/json"), (name, reply.headers)
        return reply.json()

    def image(self, url: str) -> Reply:
        """What an <img src=url> fetches (no Origin; the cookie goes along)."""
        assert url.startswith("/api/"), url
        return self._send("GET", url, {"Accept": "image/avif,image/webp,image/apng,image/*,*/*;q=0.8"}, None, "image")


def file_url(path: str) -> str:
    """http-transport.ts fileUrl: /api/... and http(s) URLs as they are, anything else via /api/files."""
    if path.startswith("/api/") or path.startswith(("http://", "https://")):
        return path
    return f"/api/files?path={quote(path, safe='')}"
