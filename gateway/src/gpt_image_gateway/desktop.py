"""`gpt-image-2-desktop`: the page in a window of its own, with nothing to set up.

It reuses the engine that answers at the address (`--engine`, `GPT_IMAGE_2_ENGINE`
or the default socket) or starts one on that Unix socket; serves the gateway on a
private loopback port with a fresh random token; and opens the page in a window:
pywebview where it is installed (`pip install 'gpt-image-2-web[desktop]'`), else a
Chromium, Chrome, Edge or Brave `--app` window with a throwaway profile, else the
default browser. Closing the window stops the gateway and the engine it started (a
reused engine keeps running); so do Ctrl+C and SIGTERM.

The token never appears on a command line or in a log: the window is opened on a
one-time launch path (`/desktop/launch/<code>`, valid once, for two minutes) that
redirects to the page with the token in the URL fragment, which the page trades for
its session cookie and removes from the address bar at once.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import webbrowser
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from gpt_image_gateway.settings import Settings
from gpt_image_protocol.address import EngineAddress, resolve_address
from gpt_image_protocol.channel import open_channel
from gpt_image_protocol.errors import AppError
from gpt_image_protocol.health import is_serving

ENGINE_START_S = 20.0
LAUNCH_CODE_TTL_S = 120.0
WINDOW_SIZE = (1280, 860)
# Chromium-family browsers that open a chrome-less window with --app=URL.
APP_BROWSERS = (
    "chromium",
    "chromium-browser",
    "google-chrome",
    "google-chrome-stable",
    "microsoft-edge",
    "microsoft-edge-stable",
    "msedge",
    "brave-browser",
)
APP_BROWSER_PATHS = (
    "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
    "/Applications/Chromium.app/Contents/MacOS/Chromium",
    "/Applications/Microsoft Edge.app/Contents/MacOS/Microsoft Edge",
    r"C:\Program Files\Google\Chrome\Application\chrome.exe",
    r"C:\Program Files (x86)\Google\Chrome\Application\chrome.exe",
    r"C:\Program Files (x86)\Microsoft\Edge\Application\msedge.exe",
    r"C:\Program Files\Microsoft\Edge\Application\msedge.exe",
)


def say(message: str) -> None:
    print(f"gpt-image-2-desktop: {message}", file=sys.stderr, flush=True)


# --- the engine


def engine_binary() -> str:
    """GPT_IMAGE_2_ENGINE_BIN, else next to this Python, else on PATH."""
    explicit = (os.environ.get("GPT_IMAGE_2_ENGINE_BIN") or "").strip()
    candidates = [explicit] if explicit else [str(Path(sys.executable).parent / "gpt-image-2-engine")]
    candidates.append(shutil.which("gpt-image-2-engine") or "")
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    raise AppError("engine_start_failed", "The gpt-image-2-engine program was not found (set GPT_IMAGE_2_ENGINE_BIN).")


def serving(address: EngineAddress, timeout: float = 1.0) -> bool:
    if address.kind == "unix" and not Path(address.target).exists():
        return False
    channel = open_channel(address)
    try:
        return is_serving(channel, timeout=timeout)
    finally:
        channel.close()


class EngineHandle:
    """The engine the window talks to: reused if one answers, else started here (and stopped on close)."""

    def __init__(self, address: EngineAddress) -> None:
        self.address = address
        self.proc: subprocess.Popen[bytes] | None = None

    def ensure(self) -> EngineHandle:
        if serving(self.address):
            say(f"using the engine already running at {self.address}")
            return self
        if self.address.kind != "unix":
            raise AppError(
                "engine_unavailable",
                f"No engine answers at {self.address}; start it there, or use a local socket.",
                {"address": str(self.address)},
            )
        Path(self.address.target).parent.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            [engine_binary(), "serve", "--socket", self.address.target],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + ENGINE_START_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AppError("engine_start_failed", f"The engine exited at start (status {self.proc.returncode}).")
            if serving(self.address, timeout=0.5):
                say(f"started the engine (pid {self.proc.pid}) at {self.address}")
                return self
            time.sleep(0.1)
        self.stop()
        raise AppError("engine_start_failed", "The engine did not become ready in time.")

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()  # graceful: running jobs are recorded as interrupted, the socket removed
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        say(f"stopped the engine (pid {proc.pid})")


# --- the gateway


class Gateway:
    """The Flask gateway on 127.0.0.1:<free port>, served by waitress in a thread."""

    def __init__(self, address: EngineAddress) -> None:
        from flask import abort, redirect
        from waitress.server import create_server

        from gpt_image_gateway.app import create_app
        from gpt_image_gateway.client import EngineClient

        self.token = secrets.token_urlsafe(32)  # 43 characters, fresh for every window
        settings = Settings.from_env({k: v for k, v in os.environ.items() if k != "GPT_IMAGE_2_WEB_TOKEN"})
        settings.token = self.token
        self.client = EngineClient(address)
        self.app = create_app(self.client, settings)
        self.code = secrets.token_urlsafe(24)
        self.code_issued = time.monotonic()
        lock = threading.Lock()

        def launch(code: str) -> Any:
            with lock:
                fresh = time.monotonic() - self.code_issued < LAUNCH_CODE_TTL_S
                if not (self.code and fresh and secrets.compare_digest(code, self.code)):
                    abort(404)
                self.code = ""  # once only
            response = redirect(f"/#session={self.token}", code=303)
            response.headers["Cache-Control"] = "no-store"
            response.headers["Referrer-Policy"] = "no-referrer"
            return response

        self.app.add_url_rule("/desktop/launch/<code>", "desktop_launch", launch, methods=["GET"])
        self.server: Any = create_server(
            self.app, host="127.0.0.1", port=0, threads=64, ident="gpt-image-2-desktop", channel_timeout=300
        )
        self.port = int(self.server.effective_port)
        self.thread = threading.Thread(target=self.server.run, name="gateway", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    @property
    def launch_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/desktop/launch/{self.code}"

    def start(self) -> Gateway:
        self.thread.start()
        say(f"serving the page at {self.url}")
        return self

    def stop(self) -> None:
        self.server.close()
        for channel in list(getattr(self.server, "_map", {}).values()):
            try:
                channel.close()
            except OSError:
                pass
        self.server.task_dispatcher.shutdown(timeout=5)
        self.thread.join(timeout=5)
        self.client.close()


# --- the window


def find_app_browser(explicit: str | None = None) -> str | None:
    if explicit:
        return explicit if os.access(explicit, os.X_OK) else shutil.which(explicit)
    for name in APP_BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    return next((p for p in APP_BROWSER_PATHS if os.access(p, os.X_OK)), None)


def webview_window(url: str) -> bool:
    """Open the page with pywebview; False when it is not installed or has no GUI backend."""
    try:
        import webview  # type: ignore[import-not-found]
    except ImportError:
        return False
    try:
        webview.create_window("gpt-image-2", url, width=WINDOW_SIZE[0], height=WINDOW_SIZE[1], min_size=(380, 600))
        say("opened a pywebview window")
        webview.start(private_mode=False)  # returns when the window closes
    except Exception as exc:  # no GTK/Qt/Cocoa backend on this machine
        say(f"pywebview could not open a window ({exc.__class__.__name__}); trying a browser window")
        return False
    return True


class AppWindow:
    """A Chromium-family `--app` window with a throwaway profile: the process lives as long as the window."""

    def __init__(self, binary: str, url: str, extra: Sequence[str] = ()) -> None:
        self.profile = tempfile.mkdtemp(prefix="gpt-image-2-window-")
        self.proc = subprocess.Popen(
            [
                binary,
                f"--app={url}",
                f"--user-data-dir={self.profile}",
                f"--window-size={WINDOW_SIZE[0]},{WINDOW_SIZE[1]}",
                "--class=gpt-image-2",
                "--no-first-run",
                "--no-default-browser-check",
                "--disable-sync",
                *extra,
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        say(f"opened an app window ({Path(binary).name}, pid {self.proc.pid})")

    def wait(self, stopping: threading.Event) -> None:
        while self.proc.poll() is None and not stopping.is_set():
            stopping.wait(0.2)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.profile, ignore_errors=True)


def browser_window(url: str, stopping: threading.Event) -> None:
    webbrowser.open(url)
    say("opened the page in the default browser; press Ctrl+C here to stop")
    stopping.wait()


# --- main


def _signals(stop: Callable[[], None]) -> None:
    def handler(signum: int, frame: Any) -> None:
        stop()

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, handler)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="gpt-image-2-desktop", description="Open gpt-image-2 in a window of its own (engine and gateway included)."
    )
    parser.add_argument(
        "--engine", default=None, help="engine address (default: GPT_IMAGE_2_ENGINE or the local socket)"
    )
    parser.add_argument(
        "--window",
        choices=("auto", "webview", "app", "browser"),
        default=os.environ.get("GPT_IMAGE_2_DESKTOP_WINDOW") or "auto",
        help="pywebview, a Chromium-family --app window, or the default browser (auto: the first that works)",
    )
    parser.add_argument(
        "--browser",
        default=os.environ.get("GPT_IMAGE_2_DESKTOP_BROWSER") or None,
        help="the Chromium, Chrome or Edge program for --app windows",
    )
    parser.add_argument("--browser-arg", action="append", default=[], help="an extra argument for that browser")
    ns = parser.parse_args(argv)
    stopping = threading.Event()
    _signals(stopping.set)
    engine: EngineHandle | None = None
    gateway: Gateway | None = None
    window: AppWindow | None = None
    try:
        engine = EngineHandle(resolve_address(ns.engine)).ensure()
        gateway = Gateway(engine.address).start()
        if ns.window in ("auto", "webview") and webview_window(gateway.launch_url):
            return 0
        if ns.window == "webview":
            say("pywebview is not available: pip install 'gpt-image-2-web[desktop]'")
            return 2
        binary = find_app_browser(ns.browser) if ns.window in ("auto", "app") else None
        if binary:
            extra = list(ns.browser_arg) + (os.environ.get("GPT_IMAGE_2_DESKTOP_BROWSER_ARGS") or "").split()
            window = AppWindow(binary, gateway.launch_url, extra)
            window.wait(stopping)
            say("the window was closed" if not stopping.is_set() else "stopping")
            return 0
        if ns.window == "app":
            say("no Chromium, Chrome or Edge was found for an app window (use --browser PATH)")
            return 2
        browser_window(gateway.launch_url, stopping)
        return 0
    except AppError as err:
        say(err.message)
        return 1
    finally:
        if window is not None:
            window.close()
        if gateway is not None:
            gateway.stop()
        if engine is not None:
            engine.stop()


if __name__ == "__main__":
    sys.exit(main())
