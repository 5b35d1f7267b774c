"""Request guards: the access token and sign-in sessions, the Host allow-list, cross-site
refusal for state-changing requests, body caps, event-stream caps and trusted proxies.

* The Host header (port and brackets stripped, lower-cased) must be on the allow-list for
  every request but the health probe, token or not: a DNS-rebinding page cannot reach the
  gateway by a foreign name, not even to guess the token.
* With a token, every `/api` request except `/api/session` (and the health probe) presents
  it as `Authorization: Bearer <t>` (compared in constant time) or the `gpt2_session`
  cookie: a random session id and its start, signed (HMAC) with a key derived from the token
  (never the token itself), so every gateway sharing the token accepts it and a new token
  ends every session. It expires `session_ttl_s` after sign-in and `session_idle_s` after
  its last use (the cookie is re-signed as it is used). `DELETE /api/session` records the
  id as signed out in the engine (WebSessionsService, shared by every engine of a cluster),
  which each gateway asks before honouring a cookie: a signed-out cookie works nowhere.
* Failed sign-ins (a wrong token to `POST /api/session` or as a Bearer header) are counted
  per client; after `FREE_FAILURES` of them the client waits 1 s, and each further failure
  doubles the wait (429 `too_many_attempts` with `Retry-After`), up to `MAX_BACKOFF_S`.
* A POST/PUT/PATCH/DELETE whose `Sec-Fetch-Site` says cross-site/same-site, or whose
  `Origin` is `null` or another origin than the Host, is refused (403).
* Body caps per route (image routes 64 MiB, `/api/session` 4 KiB, everything else 2 MiB);
  `serve` enforces the same caps in waitress before a byte of the body is buffered.
* Event streams are capped per client (429 `too_many_followers`) and in total (503
  `gateway_busy`), below the thread count so `/api/health` always finds a thread.
* `X-Forwarded-For` / `X-Forwarded-Proto` count only from `trusted_proxies`
  (`GPT_IMAGE_2_WEB_TRUSTED_PROXIES`); the session cookie is `Secure` when the request
  came over TLS directly or through such a proxy.
* A body naming an engine environment variable as a key source (`api_key_env`, or a
  credential `{"source": "env", "env": NAME}`) is refused unless the name is in
  `GPT_IMAGE_2_KEY_ENV_ALLOWLIST`; the engine applies the same rule to the gateway's calls.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import math
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, g, request
from itsdangerous import BadSignature, URLSafeTimedSerializer

from gpt_image_gateway.settings import Network, Settings
from gpt_image_protocol.errors import AppError

if TYPE_CHECKING:
    from gpt_image_gateway.client import EngineClient

COOKIE = "gpt2_session"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
OPEN_PATHS = {"/api/session", "/api/health"}
HOST_FREE_PATHS = {"/api/health"}  # probes (Kubernetes sends the pod IP as Host)
IMAGE_ROUTES = ("/api/images/", "/api/transparent/")
SESSION_PATH = "/api/session"
FREE_FAILURES = 5
MAX_BACKOFF_S = 900.0
FORGET_FAILURES_S = 3600.0
MAX_TRACKED = 10_000
MAX_SESSIONS = 10_000


def settings() -> Settings:
    s: Settings = current_app.extensions["gateway_settings"]
    return s


def body_cap_for(path: str, s: Settings) -> int:
    if path.startswith(IMAGE_ROUTES):
        return s.image_body_cap
    if path == SESSION_PATH:
        return s.session_body_cap
    return s.body_cap


def token_matches(candidate: str | None, token: str) -> bool:
    if not candidate:
        return False
    return hmac.compare_digest(candidate.encode("utf-8"), token.encode("utf-8"))


def bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip()
    return None


def client_id() -> str:
    """The client's address (a trusted proxy's X-Forwarded-For already applied)."""
    return request.remote_addr or "unknown"


# --- sessions

SESSION_KEY_LABEL = b"gpt-image-2 web session key v1"
REFRESH_S = 60  # re-sign a used cookie (sliding idle expiry) at most this often


@dataclass(frozen=True)
class Session:
    sid: str
    issued_at: float  # sign-in (unix s): the absolute expiry counts from here
    signed_at: float  # the cookie's last signature: the idle expiry counts from here


class SignedSessions:
    """Session cookies that any gateway holding the same token accepts.

    The cookie is `{"sid", "iat"}` and the time of signing, signed by itsdangerous with
    HMAC-SHA256 under a key derived from the token (HMAC-SHA256 of a fixed label); nothing is kept in
    memory but signed-out ids already seen. Signed-out ids live in the engine: sign-out records
    the id's digest there until the session would have expired, and a cookie is honoured only
    after the engine says its id is not signed out (one small RPC per cookie request; an id
    found signed out is remembered here, so a replayed cookie costs nothing)."""

    def __init__(self, token: str, ttl_s: int, idle_s: int, limit: int = MAX_SESSIONS) -> None:
        self.key = hmac.new(token.encode("utf-8"), SESSION_KEY_LABEL, hashlib.sha256).digest()
        self.ttl_s = ttl_s
        self.idle_s = idle_s
        self.limit = limit
        self._signer = URLSafeTimedSerializer(self.key, salt=COOKIE, signer_kwargs={"digest_method": hashlib.sha256})
        self._revoked: OrderedDict[str, int] = OrderedDict()  # digest -> when the session expires
        self._lock = threading.Lock()

    def issue(self, session: Session | None = None) -> str:
        """A fresh session's cookie value, or `session`'s re-signed now (same id and start)."""
        sid = session.sid if session else secrets.token_urlsafe(24)
        issued_at = session.issued_at if session else round(time.time(), 3)
        return self._signer.dumps({"sid": sid, "iat": issued_at})

    def read(self, value: str | None) -> Session | None:
        """The session a cookie holds, if its signature is good and it has not expired."""
        if not value:
            return None
        try:
            data, signed = self._signer.loads(value, max_age=self.idle_s, return_timestamp=True)
        except BadSignature:  # a forged or foreign cookie, another token's, or idle too long
            return None
        if not isinstance(data, dict) or not isinstance(data.get("sid"), str):
            return None
        if not isinstance(data.get("iat"), int | float) or isinstance(data.get("iat"), bool):
            return None
        session = Session(data["sid"], data["iat"], signed.timestamp())
        return session if time.time() < session.issued_at + self.ttl_s else None

    def expires_at(self, session: Session) -> int:
        return math.ceil(session.issued_at + self.ttl_s)

    def max_age(self, session: Session) -> int:
        return max(1, math.ceil(session.issued_at + self.ttl_s - time.time()))

    def digest(self, session: Session) -> str:
        """The id the engine keeps (keyed: meaningless without the token, different per token)."""
        return hmac.new(self.key, session.sid.encode("utf-8"), hashlib.sha256).hexdigest()

    def _remember(self, digest: str, expires_at: int) -> None:
        with self._lock:
            self._revoked[digest] = expires_at
            now = time.time()
            while self._revoked and (len(self._revoked) > self.limit or next(iter(self._revoked.values())) < now):
                self._revoked.popitem(last=False)

    def revoked(self, session: Session, engine: EngineClient) -> bool:
        digest = self.digest(session)
        with self._lock:
            if digest in self._revoked:
                return True
        if engine.web_session_revoked(digest):
            self._remember(digest, self.expires_at(session))
            return True
        return False

    def revoke(self, session: Session, engine: EngineClient) -> None:
        digest = self.digest(session)
        self._remember(digest, self.expires_at(session))  # refused here at once, even if the engine is away
        engine.revoke_web_session(digest, self.expires_at(session))


def sessions() -> SignedSessions:
    store: SignedSessions = current_app.extensions["gateway_sessions"]
    return store


def _engine() -> EngineClient:
    client: EngineClient = current_app.extensions["engine"]
    return client


def cookie_session() -> Session | None:
    """This request's valid, not signed-out session (asks the engine; None without a cookie)."""
    if "gpt2_session" in g:
        found: Session | None = g.gpt2_session
        return found
    store = sessions()
    session = store.read(request.cookies.get(COOKIE))
    if session is not None and store.revoked(session, _engine()):
        session = None
    g.gpt2_session = session
    return session


def authorized() -> bool:
    token = settings().token
    if not token:
        return True
    presented = bearer()
    if presented is not None:
        return token_matches(presented, token)
    return cookie_session() is not None


# --- sign-in throttle


class LoginThrottle:
    """Failed sign-ins per client with exponential backoff after the first few."""

    def __init__(self, free: int = FREE_FAILURES, ceiling_s: float = MAX_BACKOFF_S) -> None:
        self.free = free
        self.ceiling_s = ceiling_s
        self._state: OrderedDict[str, tuple[int, float, float]] = OrderedDict()  # failures, blocked until, last
        self._lock = threading.Lock()

    def wait_s(self, client: str) -> float:
        """Seconds this client must still wait before its next attempt (0: go ahead)."""
        now = time.monotonic()
        with self._lock:
            state = self._state.get(client)
            if state is None:
                return 0.0
            failures, until, last = state
            if now - last > FORGET_FAILURES_S:
                del self._state[client]
                return 0.0
            return max(0.0, until - now)

    def failed(self, client: str) -> None:
        now = time.monotonic()
        with self._lock:
            failures, _, _ = self._state.pop(client, (0, 0.0, now))
            failures += 1
            over = failures - self.free  # the `free`-th failure starts a 1 s wait, each further one doubles it
            until = now + min(self.ceiling_s, 2.0**over) if over >= 0 else 0.0
            self._state[client] = (failures, until, now)
            while len(self._state) > MAX_TRACKED:
                self._state.popitem(last=False)

    def succeeded(self, client: str) -> None:
        with self._lock:
            self._state.pop(client, None)


def throttle() -> LoginThrottle:
    t: LoginThrottle = current_app.extensions["login_throttle"]
    return t


def check_throttle() -> None:
    wait = throttle().wait_s(client_id())
    if wait > 0:
        seconds = max(1, math.ceil(wait))
        raise AppError(
            "too_many_attempts",
            f"Too many failed sign-ins from this client; try again in {seconds} s.",
            {"retry_after_s": seconds},
        )


def _set_cookie(response: Response, session: Session | None) -> None:
    store = sessions()
    response.set_cookie(
        COOKIE,
        store.issue(session),
        max_age=store.max_age(session) if session else store.ttl_s,
        path="/",
        httponly=True,
        samesite="Strict",
        secure=request.is_secure,
    )


def start_session(response: Response) -> None:
    """Sign-in succeeded: a fresh session in an HttpOnly cookie (Secure over TLS)."""
    throttle().succeeded(client_id())
    _set_cookie(response, None)


def end_session(response: Response) -> None:
    """Sign-out: the session is recorded as signed out in the engine, for every gateway."""
    session = sessions().read(request.cookies.get(COOKIE))
    if session is not None:
        sessions().revoke(session, _engine())
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="Strict", secure=request.is_secure)


def refresh_session(response: Response) -> None:
    """Re-sign the cookie of a session this request used, at most every REFRESH_S: its idle
    expiry then counts from its last use (its absolute expiry never moves)."""
    session: Session | None = g.get("gpt2_session")
    if session is None or request.path == SESSION_PATH or response.status_code >= 400:
        return
    if time.time() - session.signed_at >= min(REFRESH_S, sessions().idle_s / 2):
        _set_cookie(response, session)


# --- event-stream slots


class StreamSlots:
    """Open event streams per client and in total."""

    def __init__(self, total: int, per_client: int) -> None:
        self.total = total
        self.per_client = per_client
        self._open: dict[str, int] = {}
        self._count = 0
        self._lock = threading.Lock()

    def acquire(self, client: str) -> Callable[[], None]:
        with self._lock:
            mine = self._open.get(client, 0)
            if mine >= self.per_client:
                raise AppError(
                    "too_many_followers",
                    f"This client already follows {mine} event streams (the limit); close some first.",
                    {"limit": self.per_client, "retry_after_s": 5},
                )
            if self._count >= self.total:
                raise AppError(
                    "gateway_busy",
                    "The gateway is at its limit of open event streams; retry shortly.",
                    {"limit": self.total, "retry_after_s": 5},
                )
            self._open[client] = mine + 1
            self._count += 1
        released = threading.Event()

        def release() -> None:
            if released.is_set():
                return
            released.set()
            with self._lock:
                self._count -= 1
                left = self._open.get(client, 1) - 1
                if left > 0:
                    self._open[client] = left
                else:
                    self._open.pop(client, None)

        return release

    def open_count(self) -> int:
        with self._lock:
            return self._count


# --- engine variables named as key sources


def env_names(value: Any, depth: int = 0) -> Iterable[str]:
    """Environment-variable names a body asks the engine to read as a key (any nesting)."""
    if depth > 32:
        return
    if isinstance(value, dict):
        if isinstance(value.get("api_key_env"), str) and value["api_key_env"].strip():
            yield value["api_key_env"].strip()
        if value.get("source") == "env" and isinstance(value.get("env"), str) and value["env"].strip():
            yield value["env"].strip()
        for item in value.values():
            if isinstance(item, (dict, list)):
                yield from env_names(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            yield from env_names(item, depth + 1)


def _check_key_env(s: Settings) -> None:
    if request.method in SAFE_METHODS or request.path.startswith(IMAGE_ROUTES):
        return
    if request.is_json:
        body: Any = request.get_json(silent=True)
    elif request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        body = request.form.to_dict()
    else:
        return
    for name in env_names(body):
        if name not in s.key_env_allowlist:
            raise AppError(
                "provider_key_env_not_allowed",
                f"Environment variable {name} may not be named as a key source through the web gateway; "
                "the operator may allow it in GPT_IMAGE_2_KEY_ENV_ALLOWLIST (on the gateway and the engine).",
                {"env": name, "caller": "gateway", "setting": "GPT_IMAGE_2_KEY_ENV_ALLOWLIST"},
            )


# --- trusted proxies (WSGI)


def _in(addr: str, networks: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(addr.strip().strip("[]"))
    except ValueError:
        return False
    return any(ip in net for net in networks)


FORWARDED_KEYS = ("HTTP_FORWARDED", "HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_HOST")


def proxy_middleware(app: Callable[..., Any], trusted: tuple[Network, ...]) -> Callable[..., Any]:
    """Believe X-Forwarded-For/-Proto only from trusted proxies; drop them from anyone else.

    The client is the right-most X-Forwarded-For hop that is not itself a trusted proxy; the
    scheme is the last X-Forwarded-Proto value (the one the nearest proxy set).
    """

    def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        peer = environ.get("REMOTE_ADDR") or ""
        if trusted and _in(peer, trusted):
            hops = [h.strip() for h in (environ.get("HTTP_X_FORWARDED_FOR") or "").split(",") if h.strip()]
            for hop in reversed(hops):
                environ["REMOTE_ADDR"] = hop
                if not _in(hop, trusted):
                    break
            protos = [p.strip().lower() for p in (environ.get("HTTP_X_FORWARDED_PROTO") or "").split(",")]
            if protos and protos[-1] in ("http", "https"):
                environ["wsgi.url_scheme"] = protos[-1]
        for key in FORWARDED_KEYS:
            environ.pop(key, None)
        return app(environ, start_response)

    return wsgi


# --- the guards


def host_name(value: str) -> str:
    value = value.strip().lower()
    if value.startswith("["):
        return value[1:].split("]", 1)[0]
    if value.count(":") == 1:
        return value.split(":", 1)[0]
    return value


def _check_path() -> None:
    if any(ord(c) < 0x20 or c == "\x7f" for c in request.path):
        raise AppError("invalid_path", "The request path holds a control character.")


def _check_host(s: Settings) -> None:
    if request.path in HOST_FREE_PATHS:
        return
    host = request.headers.get("Host") or ""
    if host_name(host) not in s.allowed_hosts:
        raise AppError(
            "host_not_allowed",
            "Host not allowed; add it to GPT_IMAGE_2_WEB_ALLOWED_HOSTS (or --allowed-host).",
            {"host": host_name(host)[:200]},
        )


def _check_origin() -> None:
    if request.method in SAFE_METHODS:
        return
    site = (request.headers.get("Sec-Fetch-Site") or "").strip().lower()
    if site and site not in ("same-origin", "none"):
        raise AppError("cross_site_request", "Cross-site requests may not change state.", {"sec_fetch_site": site})
    origin = request.headers.get("Origin")
    if origin is None:
        return
    origin = origin.strip()
    if origin.lower() == "null":
        raise AppError("cross_site_request", "Requests with an opaque origin may not change state.", {"origin": "null"})
    parts = urlsplit(origin)
    if parts.scheme not in ("http", "https") or parts.netloc.lower() != (request.host or "").lower():
        raise AppError("cross_site_request", "Cross-origin requests may not change state.", {"origin": origin})


def _apply_body_cap(s: Settings) -> None:
    cap = body_cap_for(request.path, s)
    request.max_content_length = cap
    length = request.content_length
    if length is not None and length > cap:
        size = f"{cap // (1024 * 1024)} MiB" if cap >= 1024 * 1024 else f"{cap // 1024} KiB"
        raise AppError("payload_too_large", f"The request body is over the {size} cap.", {"limit_bytes": cap})


def _check_token(s: Settings) -> None:
    if not s.token:
        return
    signing_in = request.path == SESSION_PATH and request.method == "POST"
    if signing_in or bearer() is not None:
        check_throttle()
    if request.path in OPEN_PATHS:
        return
    if not authorized():
        if bearer() is not None:
            throttle().failed(client_id())
        raise AppError("unauthenticated", "Missing or invalid access token.")


def install(app: Flask) -> None:
    s: Settings = app.extensions["gateway_settings"]
    app.extensions["gateway_sessions"] = SignedSessions(s.token, s.session_ttl_s, s.session_idle_s)
    app.extensions["login_throttle"] = LoginThrottle()
    app.extensions["stream_slots"] = StreamSlots(s.sse_limit, s.sse_per_client)
    app.wsgi_app = proxy_middleware(app.wsgi_app, s.trusted_proxies)  # type: ignore[method-assign]

    @app.before_request
    def guard() -> None:
        s = settings()
        _check_path()
        _check_host(s)
        if not request.path.startswith("/api/") and request.path != "/api":
            return
        _check_origin()
        _apply_body_cap(s)
        _check_token(s)
        _check_key_env(s)

    @app.after_request
    def headers(response: Response) -> Response:
        refresh_session(response)
        if response.mimetype == "text/event-stream" and response.status_code == 200:
            response = _claim_stream_slot(app, response)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        if request.path.startswith("/api/"):
            response.headers.setdefault("Cache-Control", "no-store")
        else:
            response.headers.setdefault("Content-Security-Policy", PAGE_CSP if settings().own_page else OTHER_PAGE_CSP)
        return response


PAGE_CSP = (
    "default-src 'self'; img-src 'self' blob: data:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
# Another page build (GPT_IMAGE_2_WEB_DIST), e.g. the upstream's own web app: its toasts
# (sonner) and dialogs insert <style> elements, which `style-src 'self'` blocks (the upstream
# publishes 'unsafe-inline' styles for it too). Scripts stay 'self' only.
OTHER_PAGE_CSP = (
    "default-src 'self'; img-src 'self' blob: data:; style-src 'self' 'unsafe-inline'; "
    "font-src 'self' data:; script-src 'self'; connect-src 'self'; worker-src 'self' blob:; "
    "media-src 'self' blob:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)


def _claim_stream_slot(app: Flask, response: Response) -> Response:
    """An event stream holds a worker thread until it ends: count it, or answer 429/503 instead."""
    from gpt_image_gateway.errors import error_response

    slots: StreamSlots = app.extensions["stream_slots"]
    try:
        release = slots.acquire(client_id())
    except AppError as err:
        response.close()  # the stream's generator never started: nothing is watched
        refused: Response = error_response(err)
        return refused
    response.call_on_close(release)
    return response
