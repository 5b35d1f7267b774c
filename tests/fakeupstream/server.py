"""A real HTTP fake of the upstreams on loopback, for tests and the offline demo.

Speaks:
  * OpenAI `POST /v1/images/generations` (JSON) and `POST /v1/images/edits` (multipart with
    `image[]` parts and `mask`): `b64_json` results (or `url` results served from
    `GET /files/<name>` when `result_mode = "url"`), honouring `n`, `size` (WxH),
    `output_format` png/jpeg/webp and `background: transparent`. With `stream: true` the reply
    is SSE: `partial_images` events `image_generation.partial_image` (`image_edit.*` for edits)
    `{type, b64_json, partial_image_index, ...}` then `image_generation.completed`
    `{type, b64_json, usage, ...}`, as OpenAI's streaming images API does.
  * Codex `POST /backend-api/codex/responses` (SSE: response.created,
    response.output_item.done with an `image_generation_call` whose `result` is base64 PNG,
    response.completed, then `data: [DONE]`). Requires `Authorization: Bearer <current access
    token>`, else 401.
  * `POST /oauth/token` (refresh_token grant): rotates the tokens, records the call.
  * `GET /files/<name>` hosted bytes and `GET /redirect?to=<url>` (302), for download tests.

Faults (`faults(Fault...)`, consumed in order, first match per request): `Fault.fail(500,
times=2)`, `Fault.fail(429, retry_after="1")`, `Fault.unauthorized()`, `Fault.slow(2.0)`,
`Fault.cut_stream()`, `Fault.malformed_json()`, `Fault.malformed_event()` (SSE), `Fault.big_image(20_000_000)`,
`Fault.no_image()`, `Fault.not_image()` (an "image" whose bytes are not an image),
`Fault.reset()` (the connection is reset before any reply), `Fault.hold()` (the request waits
until the test calls the fault's `release()`: a job stays in flight exactly as long as a test
needs, however slowly a loaded machine runs the steps in between; `slow` is for a duration). Every request is recorded (`requests`, `requests_to(path)`).

Run standalone: `python -m tests.fakeupstream.server --port 8089` prints its base URL.
Only the stdlib and Pillow are needed, so `make demo` can use it offline.
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import math
import os
import re
import socket
import struct
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

from PIL import Image, ImageDraw

OPENAI_PREFIX = "/v1"
GENERATIONS_PATH = "/v1/images/generations"
EDITS_PATH = "/v1/images/edits"
CODEX_PATH = "/backend-api/codex/responses"
TOKEN_PATH = "/oauth/token"
DEFAULT_ACCOUNT_ID = "acct-fake-0001"
NOT_AN_IMAGE = b"<html><body>definitely not an image</body></html>\n"

_PALETTE = [
    (220, 60, 60),
    (60, 140, 220),
    (60, 180, 90),
    (230, 170, 40),
    (150, 80, 200),
    (40, 190, 190),
]
_FORMATS = {
    "png": ("PNG", "image/png"),
    "jpeg": ("JPEG", "image/jpeg"),
    "jpg": ("JPEG", "image/jpeg"),
    "webp": ("WEBP", "image/webp"),
}


# --- images and tokens


def draw_image(
    width: int = 1024,
    height: int = 1024,
    fmt: str = "png",
    index: int = 0,
    transparent: bool = False,
    background: tuple[int, int, int] | None = None,
) -> bytes:
    """A simple shape on a flat background, encoded as png/jpeg/webp.

    With `background` (a matte colour asked for in the prompt) the shape is drawn
    anti-aliased on that flat matte, as a model following the matte prompt would.
    """
    pil_format, _ = _FORMATS.get(fmt.lower(), _FORMATS["png"])
    alpha_ok = transparent and pil_format != "JPEG" and background is None
    mode = "RGBA" if alpha_ok else "RGB"
    color = _PALETTE[index % len(_PALETTE)]
    if background is not None:
        scale = 3  # supersample for soft, realistic edges
        big = Image.new("RGB", (width * scale, height * scale), background)
        draw = ImageDraw.Draw(big)
        w, h = big.size
        draw.ellipse((w // 5, h // 5, w - w // 5, h - h // 5), fill=color)
        img = big.resize((width, height), Image.Resampling.LANCZOS) if big.size != (width, height) else big
    else:
        bg = (0, 0, 0, 0) if alpha_ok else (245, 245, 240)
        img = Image.new(mode, (width, height), bg)
        draw = ImageDraw.Draw(img)
        margin_x, margin_y = width // 5, height // 5
        box = (margin_x, margin_y, width - margin_x, height - margin_y)
        if index % 2 == 0:
            draw.ellipse(box, fill=color + ((255,) if alpha_ok else ()))
        else:
            draw.rectangle(box, fill=color + ((255,) if alpha_ok else ()))
    out = io.BytesIO()
    img.save(out, format=pil_format)
    return out.getvalue()


_MATTE = re.compile(r"pure\s+#([0-9a-fA-F]{6})")


def matte_from_prompt(prompt: Any) -> tuple[int, int, int] | None:
    """The flat matte colour a transparent-source prompt asks for, if any."""
    match = _MATTE.search(prompt) if isinstance(prompt, str) else None
    if not match:
        return None
    value = match.group(1)
    return (int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16))


def draw_png(width: int = 64, height: int = 64, index: int = 0) -> bytes:
    """A small PNG (handy as a reference image in tests)."""
    return draw_image(width, height, "png", index)


def draw_mask(width: int = 64, height: int = 64) -> bytes:
    """An edit mask: an RGBA PNG whose transparent middle marks the area to edit."""
    return draw_image(width, height, "png", 0, transparent=True)


def noise_png(byte_size: int) -> bytes:
    """An incompressible PNG of random noise, roughly `byte_size` bytes."""
    side = max(8, int(math.sqrt(max(byte_size, 192) / 3)))
    img = Image.frombytes("RGB", (side, side), os.urandom(side * side * 3))
    out = io.BytesIO()
    img.save(out, format="PNG", compress_level=0)
    return out.getvalue()


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def make_jwt(claims: dict[str, Any]) -> str:
    """An unsigned JWT-shaped token carrying `claims` (the engine never verifies signatures)."""
    header = _b64url(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    payload = _b64url(json.dumps(claims).encode())
    return f"{header}.{payload}.{_b64url(b'fake-signature')}"


def _codex_claims(account_id: str, generation: int) -> dict[str, Any]:
    return {
        "exp": int(time.time()) + 3600,
        "iat": int(time.time()),
        "gen": generation,
        "https://api.openai.com/auth": {
            "chatgpt_account_id": account_id,
            "chatgpt_plan_type": "plus",
            "chatgpt_user_id": "user-fake",
        },
        "https://api.openai.com/profile": {"email": "fake@example.com"},
    }


def _parse_size(value: Any, default: tuple[int, int]) -> tuple[int, int]:
    if isinstance(value, str):
        m = re.fullmatch(r"\s*(\d+)\s*x\s*(\d+)\s*", value.lower())
        if m:
            w, h = int(m.group(1)), int(m.group(2))
            if 0 < w <= 8192 and 0 < h <= 8192:
                return w, h
        if value.lower() == "2k":
            return 2048, 2048
        if value.lower() == "4k":
            return 3840, 2160
    return default


# --- faults and records


@dataclass
class Fault:
    """One injected misbehaviour. `path` (a prefix) limits it to some endpoints; `times` is how
    many matching requests it affects."""

    kind: str  # status | unauthorized | slow | hold | cut_stream | malformed_json | malformed_event | big_image | no_image | not_image | reset
    times: int = 1
    path: str | None = None
    status: int = 500
    retry_after: str | None = None
    delay: float = 0.0
    byte_size: int = 0
    body: str | None = None
    cut_after_events: int = 1
    gate: threading.Event = field(default_factory=threading.Event)

    @classmethod
    def status_code(
        cls,
        status: int,
        times: int = 1,
        *,
        retry_after: str | None = None,
        path: str | None = None,
        body: str | None = None,
    ) -> Fault:
        return cls(
            "status",
            times=times,
            path=path,
            status=status,
            retry_after=retry_after,
            body=body,
        )

    # Shorter alias of `status_code` for call sites.
    @staticmethod
    def fail(
        status: int,
        times: int = 1,
        *,
        retry_after: str | None = None,
        path: str | None = None,
        body: str | None = None,
    ) -> Fault:
        return Fault.status_code(status, times, retry_after=retry_after, path=path, body=body)

    @classmethod
    def unauthorized(cls, times: int = 1, path: str | None = None) -> Fault:
        return cls("unauthorized", times=times, path=path)

    @classmethod
    def slow(cls, delay: float, times: int = 1, path: str | None = None) -> Fault:
        return cls("slow", times=times, path=path, delay=delay)

    @classmethod
    def hold(cls, times: int = 1, path: str | None = None, limit: float = 120.0) -> Fault:
        """Matching requests wait until `release()` (or `limit` s, a net for a test that fails
        before releasing), then are answered as usual. The fake releases its holds when it
        stops, resets or clears its faults."""
        return cls("hold", times=times, path=path, delay=limit)

    def release(self) -> None:
        """Let the held requests (and any later ones this fault matches) be answered."""
        self.gate.set()

    @classmethod
    def cut_stream(cls, times: int = 1, path: str | None = None, after_events: int = 1) -> Fault:
        return cls("cut_stream", times=times, path=path, cut_after_events=after_events)

    @classmethod
    def malformed_json(cls, times: int = 1, path: str | None = None) -> Fault:
        return cls("malformed_json", times=times, path=path)

    @classmethod
    def malformed_event(cls, times: int = 1, path: str | None = None) -> Fault:
        """An SSE reply (OpenAI with `stream: true`, or Codex) whose first event is not JSON."""
        return cls("malformed_event", times=times, path=path)

    @classmethod
    def big_image(cls, byte_size: int, times: int = 1, path: str | None = None) -> Fault:
        return cls("big_image", times=times, path=path, byte_size=byte_size)

    @classmethod
    def no_image(cls, times: int = 1, path: str | None = None) -> Fault:
        return cls("no_image", times=times, path=path)

    @classmethod
    def not_image(cls, times: int = 1, path: str | None = None) -> Fault:
        """A well-formed reply whose image payload decodes to bytes that are not an image."""
        return cls("not_image", times=times, path=path)

    @classmethod
    def reset(cls, times: int = 1, path: str | None = None) -> Fault:
        """The connection is reset (TCP RST) after the request is read, before any reply."""
        return cls("reset", times=times, path=path)


@dataclass
class Part:
    """One multipart part, in the order received."""

    name: str
    filename: str | None
    content_type: str | None
    data: bytes

    @property
    def text(self) -> str:
        return self.data.decode("utf-8", "replace")


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    body: bytes
    json: Any = None
    parts: list[Part] = field(default_factory=list)
    fault: str | None = None
    status: int | None = None  # what the fake answered

    @property
    def fields(self) -> dict[str, str]:
        """Multipart text fields (parts without a filename)."""
        return {p.name: p.text for p in self.parts if p.filename is None}

    @property
    def files(self) -> list[Part]:
        """Multipart file parts, in order."""
        return [p for p in self.parts if p.filename is not None]


def parse_multipart(content_type: str, body: bytes) -> list[Part]:
    m = re.search(r'boundary="?([^";]+)"?', content_type)
    if not m:
        return []
    delim = b"--" + m.group(1).encode("latin-1")
    parts: list[Part] = []
    for section in body.split(delim)[1:]:
        if section.startswith(b"--"):
            break
        if section.startswith(b"\r\n"):
            section = section[2:]
        head, _, data = section.partition(b"\r\n\r\n")
        if data.endswith(b"\r\n"):
            data = data[:-2]
        headers: dict[str, str] = {}
        for line in head.decode("utf-8", "replace").split("\r\n"):
            key, _, value = line.partition(":")
            headers[key.strip().lower()] = value.strip()
        disposition = headers.get("content-disposition", "")
        name = re.search(r'\bname="([^"]*)"', disposition)
        filename = re.search(r'\bfilename="([^"]*)"', disposition)
        parts.append(
            Part(
                name=name.group(1) if name else "",
                filename=filename.group(1) if filename else None,
                content_type=headers.get("content-type"),
                data=data,
            )
        )
    return parts


# --- the server


class _Cut(Exception):
    """Raised inside a handler to drop the connection mid-response."""


class FakeUpstream:
    """The fake: `start()`/`stop()` or `with FakeUpstream() as fake:`; URLs via `base_url`,
    `openai_base`, `codex_endpoint`, `token_url`."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        api_key: str | None = None,
        account_id: str = DEFAULT_ACCOUNT_ID,
        default_size: tuple[int, int] = (1024, 1024),
        result_mode: str = "b64_json",
    ) -> None:
        self.host = host
        self.port = port
        self.api_key = api_key
        self.account_id = account_id
        self.default_size = default_size
        self.result_mode = result_mode  # "b64_json" | "url" for OpenAI results
        self.file_host: str | None = None  # a host name for `url` results instead of the address
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._holds: list[Fault] = []  # every hold fault queued, released on stop/reset/clear
        self._requests: list[RecordedRequest] = []
        self._files: dict[str, tuple[bytes, str]] = {}
        self._generation = 0
        self.access_token = make_jwt(_codex_claims(account_id, 0))
        self.refresh_token = "fake-refresh-0"
        self.id_token = make_jwt({"email": "fake@example.com", **_codex_claims(account_id, 0)})
        self.token_calls = 0
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # lifecycle

    def start(self) -> FakeUpstream:
        server = ThreadingHTTPServer((self.host, self.port), _Handler)
        server.daemon_threads = True
        server.fake = self  # type: ignore[attr-defined]
        self._server = server
        self.port = server.server_address[1]
        self._thread = threading.Thread(target=server.serve_forever, args=(0.05,), name="fake-upstream", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._release_holds()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def serve_forever(self) -> None:
        """Block until interrupted (for `python -m`)."""
        self.start()
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
        finally:
            self.stop()

    # addresses

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def openai_base(self) -> str:
        return self.base_url + OPENAI_PREFIX

    @property
    def codex_endpoint(self) -> str:
        return self.base_url + CODEX_PATH

    @property
    def token_url(self) -> str:
        return self.base_url + TOKEN_PATH

    # faults

    def faults(self, *items: Fault) -> None:
        """Queue faults; each request consumes the first one whose path matches."""
        with self._lock:
            self._faults.extend(items)
            self._holds.extend(item for item in items if item.kind == "hold")

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()
        self._release_holds()

    def _release_holds(self) -> None:
        with self._lock:
            holds, self._holds = self._holds, []
        for fault in holds:
            fault.release()

    def pending_faults(self) -> list[Fault]:
        with self._lock:
            return list(self._faults)

    def _take_fault(self, path: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.path is None or path.startswith(fault.path):
                    fault.times -= 1
                    if fault.times <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

    # records

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def requests_to(self, path: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path == path]

    def reset(self) -> None:
        """Forget requests and faults (tokens and hosted files stay)."""
        with self._lock:
            self._requests.clear()
            self._faults.clear()
        self._release_holds()

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(request)

    # tokens

    def revoke_access_token(self) -> None:
        """Rotate the valid access token server-side only: a client holding the old one gets 401
        until it refreshes (the refresh token stays valid)."""
        with self._lock:
            self._generation += 1
            self.access_token = make_jwt(_codex_claims(self.account_id, self._generation))

    def auth_json(self, *, stale: bool = False, nested: bool = True) -> dict[str, Any]:
        """An auth.json body holding the current tokens (or a stale access token)."""
        access = make_jwt(_codex_claims(self.account_id, -1)) if stale else self.access_token
        tokens = {
            "access_token": access,
            "refresh_token": self.refresh_token,
            "id_token": self.id_token,
            "account_id": self.account_id,
        }
        body: dict[str, Any] = {
            "auth_mode": "chatgpt",
            "OPENAI_API_KEY": None,
            "last_refresh": "0",
        }
        if nested:
            body["tokens"] = tokens
        else:
            body.update(tokens)
        return body

    def write_auth_json(self, path: str | Path, *, stale: bool = False) -> Path:
        p = Path(path)
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(json.dumps(self.auth_json(stale=stale), indent=2) + "\n", encoding="utf-8")
        os.chmod(p, 0o600)
        return p

    def _rotate(self, presented: str | None) -> dict[str, Any] | None:
        with self._lock:
            self.token_calls += 1
            if presented != self.refresh_token:
                return None
            self._generation += 1
            gen = self._generation
            self.access_token = make_jwt(_codex_claims(self.account_id, gen))
            self.refresh_token = f"fake-refresh-{gen}"
            self.id_token = make_jwt({"email": "fake@example.com", **_codex_claims(self.account_id, gen)})
            return {
                "access_token": self.access_token,
                "refresh_token": self.refresh_token,
                "id_token": self.id_token,
                "token_type": "Bearer",
                "expires_in": 3600,
            }

    # hosted files

    def host_file(self, name: str, data: bytes, content_type: str = "image/png") -> str:
        """Serve `data` at `GET /files/<name>`; returns its URL."""
        with self._lock:
            self._files[name] = (data, content_type)
        base = f"http://{self.file_host}:{self.port}" if self.file_host else self.base_url
        return f"{base}/files/{name}"

    def _file(self, name: str) -> tuple[bytes, str] | None:
        with self._lock:
            return self._files.get(name)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # TCP_NODELAY, as real HTTP servers set: with Nagle on, a reply's body waits for the ACK of
    # its headers, which a keep-alive client delays by ~40 ms (every reused connection's call).
    disable_nagle_algorithm = True
    server_version = "FakeUpstream/1.0"

    @property
    def fake(self) -> FakeUpstream:
        return self.server.fake  # type: ignore[attr-defined,no-any-return]

    def log_message(self, format: str, *args: Any) -> None:
        if os.environ.get("FAKE_UPSTREAM_LOG"):
            super().log_message(format, *args)

    # plumbing

    def _read_request(self) -> RecordedRequest:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        split = urlsplit(self.path)
        headers = {k.lower(): v for k, v in self.headers.items()}
        ctype = headers.get("content-type", "")
        parsed: Any = None
        parts: list[Part] = []
        if "multipart/form-data" in ctype:
            parts = parse_multipart(ctype, body)
        elif body:
            try:
                parsed = json.loads(body)
            except (json.JSONDecodeError, UnicodeDecodeError):
                if "x-www-form-urlencoded" in ctype:
                    parsed = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
        return RecordedRequest(
            self.command,
            split.path,
            parse_qs(split.query),
            headers,
            body,
            parsed,
            parts,
        )

    def _send(
        self,
        status: int,
        body: bytes,
        content_type: str = "application/json",
        headers: dict[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()

    def _json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(payload).encode(), "application/json", headers)

    def _error(
        self,
        status: int,
        message: str,
        code: str = "fake_error",
        headers: dict[str, str] | None = None,
    ) -> None:
        self._json(
            status,
            {
                "error": {
                    "message": message,
                    "type": "invalid_request_error",
                    "code": code,
                }
            },
            headers,
        )

    def _cut(self) -> None:
        self.close_connection = True
        try:
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        raise _Cut()

    def _reset(self) -> None:
        # SO_LINGER with a zero timeout makes close() send RST instead of FIN.
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
        except OSError:
            pass
        raise _Cut()

    def _sse_start(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def _sse_event(self, payload: dict[str, Any], named: bool = True) -> None:
        text = (f"event: {payload['type']}\n" if named else "") + f"data: {json.dumps(payload)}\n\n"
        self._chunk(text.encode())

    def _sse_end(self) -> None:
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    # dispatch

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def _handle(self) -> None:
        record = self._read_request()
        self.fake._record(record)
        fault = self.fake._take_fault(record.path) if record.method == "POST" else None
        record.fault = fault.kind if fault else None
        try:
            if fault is not None and fault.kind == "slow":
                time.sleep(fault.delay)
                fault = None
            if fault is not None and fault.kind == "hold":
                fault.gate.wait(fault.delay)
                fault = None
            if fault is not None and fault.kind == "status":
                record.status = fault.status
                headers = {"Retry-After": fault.retry_after} if fault.retry_after else None
                if fault.body is not None:
                    self._send(fault.status, fault.body.encode(), "application/json", headers)
                else:
                    self._error(
                        fault.status,
                        f"Injected failure {fault.status}.",
                        "injected",
                        headers,
                    )
                return
            if fault is not None and fault.kind == "reset":
                record.status = 0
                self._reset()
            if fault is not None and fault.kind == "unauthorized":
                record.status = 401
                self._error(401, "Injected 401.", "invalid_token")
                return
            self._route(record, fault)
        except _Cut:
            return
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _route(self, record: RecordedRequest, fault: Fault | None) -> None:
        path = record.path
        if record.method == "GET" and path.startswith("/files/"):
            hosted = self.fake._file(path[len("/files/") :])
            if hosted is None:
                record.status = 404
                self._error(404, "No such file.", "not_found")
            else:
                record.status = 200
                self._send(200, hosted[0], hosted[1])
            return
        if record.method == "GET" and path == "/redirect":
            target = record.query.get("to", [""])[0]
            record.status = 302
            self._send(302, b"", "text/plain", {"Location": target})
            return
        if record.method == "POST" and path in (GENERATIONS_PATH, EDITS_PATH):
            self._openai(record, fault, edit=path == EDITS_PATH)
            return
        if record.method == "POST" and path == CODEX_PATH:
            self._codex(record, fault)
            return
        if record.method == "POST" and path == TOKEN_PATH:
            self._token(record)
            return
        record.status = 404
        self._error(404, f"No route for {record.method} {path}.", "not_found")

    # OpenAI images

    def _openai(self, record: RecordedRequest, fault: Fault | None, edit: bool) -> None:
        auth = record.headers.get("authorization", "")
        if not auth.startswith("Bearer ") or (self.fake.api_key is not None and auth != f"Bearer {self.fake.api_key}"):
            record.status = 401
            self._error(401, "Incorrect API key provided.", "invalid_api_key")
            return
        params: dict[str, Any] = dict(record.fields) if edit else (record.json if isinstance(record.json, dict) else {})
        if edit and not any(p.name in ("image[]", "image") for p in record.files):
            record.status = 400
            self._error(400, "An image is required.", "missing_image")
            return
        fmt = str(params.get("output_format") or "png").lower()
        if fmt not in _FORMATS:
            record.status = 400
            self._error(400, f"Invalid output_format {fmt!r}.", "invalid_value")
            return
        width, height = _parse_size(params.get("size"), self.fake.default_size)
        n = int(params.get("n") or 1)
        transparent = params.get("background") == "transparent"
        stream = str(params.get("stream", "")).lower() == "true"
        partials = int(params.get("partial_images") or 0)
        common = {
            "background": "transparent" if transparent else "opaque",
            "output_format": fmt,
            "quality": params.get("quality") or "high",
            "size": f"{width}x{height}",
        }
        usage = {
            "total_tokens": 100 + 200 * n,
            "input_tokens": 100,
            "output_tokens": 200 * n,
            "input_tokens_details": {"text_tokens": 40, "image_tokens": 60},
        }

        def image(i: int) -> bytes:
            if fault is not None and fault.kind == "big_image":
                return noise_png(fault.byte_size)
            if fault is not None and fault.kind == "not_image":
                return NOT_AN_IMAGE
            return draw_image(width, height, fmt, i, transparent, matte_from_prompt(params.get("prompt")))

        if fault is not None and fault.kind == "malformed_json":
            record.status = 200
            self._send(200, b'{"created": 1, "data": [ {"b64_json": "iVBOR', "application/json")
            return
        created = int(time.time())
        if stream:
            record.status = 200
            prefix = "image_edit" if edit else "image_generation"
            self._sse_start()
            if fault is not None and fault.kind == "malformed_event":
                self._chunk(b'data: {"type": "image_generation.partial_image", broken\n\n')
                self._sse_end()
                return
            sent = 0
            for i in range(n):
                for p in range(partials):
                    self._sse_event(
                        {
                            "type": f"{prefix}.partial_image",
                            "b64_json": _b64(draw_image(width, height, fmt, p + 3, transparent)),
                            "partial_image_index": p,
                            "created_at": created,
                            **common,
                        }
                    )
                    sent += 1
                    if fault is not None and fault.kind == "cut_stream" and sent >= fault.cut_after_events:
                        self._chunk(b'data: {"type": "image_gen')
                        self._cut()
                if fault is not None and fault.kind == "cut_stream":
                    self._chunk(b'data: {"type": "image_gen')
                    self._cut()
                if fault is not None and fault.kind == "no_image":
                    continue
                self._sse_event(
                    {
                        "type": f"{prefix}.completed",
                        "b64_json": _b64(image(i)),
                        "created_at": created,
                        "usage": usage,
                        **common,
                    }
                )
            self._sse_end()
            return
        data: list[dict[str, Any]] = []
        if fault is None or fault.kind != "no_image":
            for i in range(n):
                raw = image(i)
                if self.fake.result_mode == "url":
                    name = f"{uuid.uuid4().hex}.{'jpg' if fmt == 'jpeg' else fmt}"
                    data.append({"url": self.fake.host_file(name, raw, _FORMATS[fmt][1])})
                else:
                    data.append({"b64_json": _b64(raw)})
        body = json.dumps({"created": created, **common, "data": data, "usage": usage}).encode()
        record.status = 200
        if fault is not None and fault.kind == "cut_stream":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[: len(body) // 2])
            self._cut()
        self._send(200, body)

    # Codex responses

    def _codex(self, record: RecordedRequest, fault: Fault | None) -> None:
        if record.headers.get("authorization") != f"Bearer {self.fake.access_token}":
            record.status = 401
            self._json(401, {"detail": "Unauthorized: access token is invalid or expired."})
            return
        body = record.json if isinstance(record.json, dict) else {}
        tools = body.get("tools") if isinstance(body.get("tools"), list) else []
        tool = tools[0] if tools and isinstance(tools[0], dict) else {}
        fmt = str(tool.get("output_format") or "png").lower()
        fmt = fmt if fmt in _FORMATS else "png"
        width, height = _parse_size(tool.get("size"), self.fake.default_size)
        transparent = tool.get("background") == "transparent"
        prompt = ""
        for message in body.get("input") or []:
            for part in (message.get("content") or []) if isinstance(message, dict) else []:
                if isinstance(part, dict) and part.get("type") == "input_text":
                    prompt = str(part.get("text") or "")
        response_id = f"resp_{uuid.uuid4().hex[:24]}"
        item_id = f"ig_{uuid.uuid4().hex[:24]}"
        meta = {
            "id": response_id,
            "object": "response",
            "created_at": int(time.time()),
            "model": body.get("model") or "gpt-5.4",
            "service_tier": "default",
        }
        record.status = 200
        self._sse_start()
        if fault is not None and fault.kind == "malformed_event":
            self._chunk(b'data: {"type": "response.created", broken\n\n')
            self._sse_end()
            return
        seq = 0

        def event(payload: dict[str, Any]) -> None:
            nonlocal seq
            self._sse_event({**payload, "sequence_number": seq})
            seq += 1
            if fault is not None and fault.kind == "cut_stream" and seq >= fault.cut_after_events:
                self._chunk(b'data: {"type": "response.outp')
                self._cut()

        event(
            {
                "type": "response.created",
                "response": {**meta, "status": "in_progress", "output": []},
            }
        )
        for p in range(int(tool.get("partial_images") or 0)):
            event(
                {
                    "type": "response.image_generation_call.partial_image",
                    "item_id": item_id,
                    "output_index": 0,
                    "partial_image_index": p,
                    "partial_image_b64": _b64(draw_image(64, 64, "png", p + 3)),
                }
            )
        if fault is not None and fault.kind == "no_image":
            item: dict[str, Any] = {
                "id": f"msg_{uuid.uuid4().hex[:24]}",
                "type": "message",
                "status": "completed",
                "role": "assistant",
                "content": [{"type": "output_text", "text": "I can't make that image."}],
            }
        else:
            if fault is not None and fault.kind == "big_image":
                raw = noise_png(fault.byte_size)
            elif fault is not None and fault.kind == "not_image":
                raw = NOT_AN_IMAGE
            else:
                raw = draw_image(width, height, fmt, 0, transparent, matte_from_prompt(prompt))
            item = {
                "id": item_id,
                "type": "image_generation_call",
                "status": "completed",
                "action": tool.get("action") or "generate",
                "background": "transparent" if transparent else "opaque",
                "output_format": fmt,
                "quality": tool.get("quality") or "high",
                "size": f"{width}x{height}",
                "revised_prompt": f"Revised: {prompt}",
                "result": _b64(raw),
            }
        event({"type": "response.output_item.done", "output_index": 0, "item": item})
        usage = {"input_tokens": 50, "output_tokens": 20, "total_tokens": 70}
        completed_item = {k: v for k, v in item.items() if k != "result"}
        event(
            {
                "type": "response.completed",
                "response": {
                    **meta,
                    "status": "completed",
                    "output": [completed_item],
                    "usage": usage,
                },
            }
        )
        self._chunk(b"data: [DONE]\n\n")
        self._sse_end()

    # OAuth token

    def _token(self, record: RecordedRequest) -> None:
        body = record.json if isinstance(record.json, dict) else {}
        if body.get("grant_type") != "refresh_token":
            record.status = 400
            self._json(400, {"error": "unsupported_grant_type"})
            return
        rotated = self.fake._rotate(body.get("refresh_token"))
        if rotated is None:
            record.status = 401
            self._json(
                401,
                {
                    "error": "invalid_grant",
                    "error_description": "Refresh token is invalid or already used.",
                },
            )
            return
        record.status = 200
        self._json(200, rotated)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.fakeupstream.server",
        description=__doc__.splitlines()[0] if __doc__ else None,
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--api-key", default=None, help="require this OpenAI key (default: any bearer)")
    parser.add_argument(
        "--auth-file",
        default=None,
        help="write a Codex auth.json with the current tokens here",
    )
    parser.add_argument("--result-mode", choices=["b64_json", "url"], default="b64_json")
    args = parser.parse_args(argv)
    fake = FakeUpstream(args.host, args.port, api_key=args.api_key, result_mode=args.result_mode)
    fake.start()
    if args.auth_file:
        fake.write_auth_json(args.auth_file)
    print(fake.base_url, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        fake.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
