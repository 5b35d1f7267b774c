"""Helpers for remote-engine tests: a throwaway CA and server/client certificates
(made with `cryptography`), a free loopback port, and an engine process that
serves on TCP with TLS and a token from its own CODEX_HOME.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import secrets
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tests.conftest import ENGINE, base_env


@dataclass(frozen=True)
class Pki:
    ca: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _write_key(key: ec.EllipticCurvePrivateKey, path: Path) -> None:
    path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    path.chmod(0o600)


def make_pki(folder: Path) -> Pki:
    """A CA, a server certificate for 127.0.0.1/localhost and a client certificate."""
    folder.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC)
    ca_key = _key()
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "gpt-image-2 test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(True, False, False, False, False, True, True, False, False), critical=True)
        .sign(ca_key, hashes.SHA256())
    )

    def leaf(
        cn: str, usage: x509.ObjectIdentifier, san: list[x509.GeneralName]
    ) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
        key = _key()
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
            .issuer_name(ca_name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(san), critical=False)
            .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .sign(ca_key, hashes.SHA256())
        )
        return cert, key

    server, server_key = leaf(
        "gpt-image-2 engine",
        ExtendedKeyUsageOID.SERVER_AUTH,
        [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))],
    )
    client, client_key = leaf("gpt-image-2 client", ExtendedKeyUsageOID.CLIENT_AUTH, [x509.DNSName("client")])
    pki = Pki(
        ca=folder / "ca.pem",
        server_cert=folder / "server.pem",
        server_key=folder / "server.key",
        client_cert=folder / "client.pem",
        client_key=folder / "client.key",
    )
    pki.ca.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    pki.server_cert.write_bytes(server.public_bytes(serialization.Encoding.PEM))
    pki.client_cert.write_bytes(client.public_bytes(serialization.Encoding.PEM))
    _write_key(server_key, pki.server_key)
    _write_key(client_key, pki.client_key)
    return pki


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def write_token(path: Path) -> str:
    token = secrets.token_hex(32)
    path.write_text(token + "\n")
    path.chmod(0o600)
    return token


@dataclass
class TcpEngine:
    """`gpt-image-2-engine serve --no-socket --listen 127.0.0.1:PORT` with its own CODEX_HOME."""

    home: Path
    pki: Pki | None
    token_file: Path
    port: int = field(default_factory=free_port)
    extra_args: list[str] = field(default_factory=list)
    extra_env: dict[str, str] = field(default_factory=dict)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def env(self) -> dict[str, str]:
        return {**base_env(self.home), **self.extra_env}

    @property
    def shared_dir(self) -> Path:
        return Path(self.env["CODEX_HOME"]) / "gpt-image-2-skill"

    def args(self) -> list[str]:
        args = [ENGINE, "serve", "--no-socket", "--listen", self.address, "--token-file", str(self.token_file)]
        if self.pki is not None:
            args += ["--tls-cert", str(self.pki.server_cert), "--tls-key", str(self.pki.server_key)]
        else:
            args += ["--insecure-no-tls"]
        return args + self.extra_args

    def start(self, timeout: float = 15.0) -> None:
        """Start and wait for SERVING. The port is picked before the engine binds it: when a
        parallel run took it in between, the engine exits "Cannot listen" and another is tried."""
        self.home.mkdir(parents=True, exist_ok=True)
        path = self.home / "engine-stderr.log"
        for attempt in range(3):
            start = path.stat().st_size if path.exists() else 0
            self.log = open(path, "ab")  # noqa: SIM115
            self.proc = subprocess.Popen(self.args(), env=self.env, stdout=self.log, stderr=self.log)
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    said = path.read_bytes()[start:].decode(errors="replace")
                    self.log.close()
                    if "Cannot listen" in said and "already in use" in said and attempt < 2:
                        self.port = free_port()
                        break
                    raise RuntimeError(said[-4000:])
                if self.ready():
                    return
                time.sleep(0.05)
            else:
                raise RuntimeError("TCP engine did not become SERVING in time")

    def ready(self) -> bool:
        from gpt_image_protocol.address import parse_address
        from gpt_image_protocol.channel import open_channel
        from gpt_image_protocol.health import is_serving

        ca = str(self.pki.ca) if self.pki else None
        channel = open_channel(parse_address(self.address), ca_file=ca, tls=self.pki is not None, token="")
        try:
            return is_serving(channel, timeout=0.5)
        finally:
            channel.close()

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        self.log.close()

    def job_ids(self) -> list[str]:
        """Jobs this engine recorded (read straight from its own history)."""
        import sqlite3

        db = self.shared_dir / "history.sqlite"
        if not db.exists():
            return []
        with sqlite3.connect(db) as conn:
            return [row[0] for row in conn.execute("SELECT id FROM jobs")]


def client_env(home: Path, engine_address: str, pki: Pki | None, token: str | None, **extra: str) -> dict[str, str]:
    """A client environment with its own CODEX_HOME (nothing shared with the engine)."""
    env = base_env(home)
    env["GPT_IMAGE_2_ENGINE"] = engine_address
    env["GPT_IMAGE_2_NO_AUTOSTART"] = "1"
    for name in ("GPT_IMAGE_2_ENGINE_TOKEN", "GPT_IMAGE_2_ENGINE_TOKEN_FILE", "GPT_IMAGE_2_ENGINE_CA_FILE"):
        env.pop(name, None)
    if pki is not None:
        env["GPT_IMAGE_2_ENGINE_CA_FILE"] = str(pki.ca)
    if token is not None:
        env["GPT_IMAGE_2_ENGINE_TOKEN"] = token
    env.update(extra)
    return env


def short_tmp() -> Path:
    return Path(tempfile.mkdtemp(prefix="gi2r-"))


def envelope(stdout: str) -> dict[str, object]:
    return dict(json.loads(stdout))
