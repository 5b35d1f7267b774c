"""Helpers shared by the gateway and browser tests: a real engine wired to the fake
upstream through a configured provider, a real `gpt-image-2-web` process on a free
loopback port, and small test images."""

from __future__ import annotations

import io
import os
import socket
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw

from tests.conftest import BIN, EngineProc, base_env
from tests.fakeupstream.server import FakeUpstream

WEB = str(BIN / "gpt-image-2-web")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def png_bytes(width: int = 64, height: int = 64, color: tuple[int, ...] = (200, 40, 40), mode: str = "RGB") -> bytes:
    img = Image.new(mode, (width, height), color)
    ImageDraw.Draw(img).ellipse((width // 4, height // 4, 3 * width // 4, 3 * height // 4), fill=(30, 90, 220)[: len(mode)])
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def chroma_png(size: int = 96) -> bytes:
    """A red disc on a pure green matte: what transparent extract expects."""
    img = Image.new("RGB", (size, size), (0, 255, 0))
    ImageDraw.Draw(img).ellipse((size // 4, size // 4, 3 * size // 4, 3 * size // 4), fill=(220, 40, 40))
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


@dataclass
class Stack:
    engine: EngineProc
    upstream: FakeUpstream

    @property
    def address(self) -> str:
        return self.engine.address


@contextmanager
def engine_stack(root: Path, extra_env: dict[str, str] | None = None) -> Iterator[Stack]:
    """Engine + fake upstream, with a default provider "fake" pointing at the fake; `extra_env` adds
    to the engine's environment."""
    home = root / "home"
    home.mkdir(parents=True, exist_ok=True)
    sock = Path(tempfile.mkdtemp(prefix="gi2-")) / "e.sock"
    engine = EngineProc(home=home, env={**base_env(home), **(extra_env or {})}, socket=sock)
    upstream = FakeUpstream()
    upstream.start()
    engine.start()
    try:
        from gpt_image_gateway.client import EngineClient
        from gpt_image_protocol.address import parse_address

        client = EngineClient(parse_address(engine.address))
        client.config_call(
            "AddProvider", name="fake", type="openai-compatible", api_base=upstream.openai_base, api_key="sk-test",
            set_default=True, edit_region_mode="native-mask",
        )
        client.close()
        yield Stack(engine, upstream)
    finally:
        engine.stop()
        upstream.stop()


@dataclass
class GatewayProc:
    url: str
    proc: subprocess.Popen[bytes]
    log: Path

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def start_gateway(engine_address: str, env: dict[str, str], log: Path, *, token: str = "", extra: dict[str, str] | None = None) -> GatewayProc:
    """A `gpt-image-2-web` process on a free loopback port, answering. The port is picked before
    the gateway binds it, so another process (a parallel suite) may take it in between: then the
    gateway exits `gateway_bind_failed` and a new port is tried. Only the gateway's own "serving"
    line (after its bind) counts as started, never an answer from whoever else listens there."""
    genv = dict(env)
    genv.update({"GPT_IMAGE_2_ENGINE": engine_address, "GPT_IMAGE_2_WEB_HOST": "127.0.0.1"})
    genv.pop("GPT_IMAGE_2_WEB_TOKEN", None)
    if token:
        genv["GPT_IMAGE_2_WEB_TOKEN"] = token
    genv.update(extra or {})
    for _attempt in range(5):
        port = free_port()
        genv["GPT_IMAGE_2_WEB_PORT"] = str(port)
        url = f"http://127.0.0.1:{port}"
        start = log.stat().st_size if log.exists() else 0
        with open(log, "ab") as out:
            proc = subprocess.Popen([WEB], env=genv, stdout=out, stderr=out)
        deadline = time.monotonic() + 60  # imports and the engine check take long on a loaded machine
        serving = f"serving {url}/".encode()
        while time.monotonic() < deadline:
            written = log.read_bytes()[start:]
            if proc.poll() is not None:
                if b"gateway_bind_failed" in written:
                    break  # the port was taken since it was picked: another one
                raise RuntimeError(f"gateway exited: {written.decode(errors='replace')[-3000:]}")
            if serving in written:
                try:
                    with urllib.request.urlopen(url + "/api/session", timeout=5) as reply:
                        if reply.status == 200:
                            return GatewayProc(url, proc, log)
                except OSError:
                    pass
            time.sleep(0.05)
        else:
            proc.kill()
            proc.wait()
            raise RuntimeError(f"gateway did not answer in time: {log.read_bytes()[start:].decode(errors='replace')[-3000:]}")
    raise RuntimeError("gateway found no free port in 5 tries")


def wait_for(predicate: Any, timeout: float = 30.0, interval: float = 0.05) -> Any:
    """Poll until `predicate` is true; the deadline is generous because what it waits on is a
    real engine or gateway process, which a loaded CI machine runs slowly (it returns at once
    when the condition holds)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("condition not met in time")


def env_without_proxies() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k.lower() not in ("http_proxy", "https_proxy", "all_proxy")}


def api_operations() -> list[tuple[str, str]]:
    """(method, path) of every operation in the gateway's generated OpenAPI document, sorted;
    read from an app holding only the blueprints (no engine), so tests can parametrize on it."""
    from flask import Flask

    from gpt_image_gateway.api import blueprints
    from gpt_image_gateway.openapi import build

    app = Flask("gpt_image_gateway")
    for bp in blueprints():
        app.register_blueprint(bp)
    return sorted((method, path) for path, ops in build(app)["paths"].items() for method in ops)
