"""`gpt-image-2-desktop` under Xvfb: it starts an engine (or reuses a running one) and a
gateway on a private port with a fresh token, opens the page in a Chromium `--app`
window that signs itself in (the token never in the address bar), and closing the
window stops the gateway and the engine it started, but not an engine it reused. The
window is screenshotted both through the browser and from the X display."""

from __future__ import annotations

import contextlib
import re
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import ImageGrab, ImageStat

from tests.browser.conftest import ensure_chromium
from tests.conftest import BIN, EngineProc, base_env
from tests.gateway.support import free_port

pytestmark = pytest.mark.browser
DESKTOP = str(BIN / "gpt-image-2-desktop")


@pytest.fixture(scope="module")
def display() -> Iterator[str]:
    xvfb = shutil.which("Xvfb")
    if not xvfb:
        pytest.fail("Xvfb is missing: `make browser-deps` installs it (apt-get install -y xvfb)")
    for number in range(90, 120):
        if not Path(f"/tmp/.X{number}-lock").exists():
            break
    name = f":{number}"
    proc = subprocess.Popen([xvfb, name, "-screen", "0", "1280x900x24", "-nolisten", "tcp"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while not Path(f"/tmp/.X11-unix/X{number}").exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            pytest.fail("Xvfb did not start")
        time.sleep(0.05)
    yield name
    proc.terminate()
    proc.wait(timeout=10)


def launch(display: str, env: dict[str, str], engine: str, log: Path) -> tuple[subprocess.Popen[bytes], int]:
    cdp = free_port()
    env = dict(env, DISPLAY=display)
    out = open(log, "wb")  # noqa: SIM115
    proc = subprocess.Popen(
        [DESKTOP, "--engine", engine, "--window", "app", "--browser", ensure_chromium(),
         f"--browser-arg=--remote-debugging-port={cdp}", "--browser-arg=--no-sandbox", "--browser-arg=--disable-gpu"],
        env=env, stdout=out, stderr=out,
    )
    return proc, cdp


def the_window(playwright: Any, cdp: int) -> Any:
    deadline = time.monotonic() + 40
    while True:
        try:
            browser = playwright.chromium.connect_over_cdp(f"http://127.0.0.1:{cdp}")
            pages = [p for c in browser.contexts for p in c.pages if p.url.startswith("http://127.0.0.1")]
            if pages:
                return pages[0]
            browser.close()
        except Exception:
            if time.monotonic() > deadline:
                raise
        time.sleep(0.3)


def test_desktop_window_starts_shows_the_page_and_stops_cleanly(
    display: str, tmp_path: Path, screenshots: Path, pw: Any
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    sock = Path(tempfile.mkdtemp(prefix="gi2-desk-")) / "e.sock"
    log = tmp_path / "desktop.log"
    proc, cdp = launch(display, base_env(home), f"unix://{sock}", log)
    try:
        with contextlib.nullcontext(pw) as p:
            page = the_window(p, cdp)
            page.wait_for_selector("body[data-ready='1']", timeout=30_000)
            assert "session=" not in page.url and page.url.endswith("#generate")  # the token left the address bar
            assert page.locator("#tabs a[data-tab='generate']").is_visible()
            assert page.locator("#logout").is_hidden()
            page.wait_for_selector("#setup:not(.hidden)")  # a fresh home: the first-run notice leads the way
            page.screenshot(path=str(screenshots / "desktop-window-page.png"))
            screen = ImageGrab.grab(xdisplay=display)
            screen.save(screenshots / "desktop-window-xvfb.png")
            assert max(ImageStat.Stat(screen.convert("L")).stddev) > 20  # a drawn window, not an empty screen
            port = int(re.search(r":(\d+)/", page.url).group(1))
            # The private gateway wants the window's token: another local program gets 401.
            with pytest.raises(urllib.error.HTTPError) as denied:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/jobs", timeout=5)
            assert denied.value.code == 401
            # The window was opened on a one-time launch path (the only secret on its command line): spent now.
            window_pid = re.search(r"opened an app window \(\S+, pid (\d+)\)", log.read_text()).group(1)
            argv = Path(f"/proc/{window_pid}/cmdline").read_bytes().split(b"\0")
            url = next(a for a in argv if a.startswith(b"--app=")).decode()[len("--app=") :]
            assert "/desktop/launch/" in url and "session" not in url
            with pytest.raises(urllib.error.HTTPError) as spent:
                urllib.request.urlopen(url, timeout=5)
            assert spent.value.code == 404
            page.close()  # closing the window
        assert proc.wait(timeout=40) == 0, log.read_text()
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=20)
    text = log.read_text()
    started = re.search(r"started the engine \(pid (\d+)\)", text)
    assert started and "the window was closed" in text and f"stopped the engine (pid {started.group(1)})" in text, text
    assert not Path(f"/proc/{started.group(1)}").exists() or "zombie" in Path(f"/proc/{started.group(1)}/status").read_text().lower()
    with pytest.raises(OSError):
        urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2)  # the gateway is gone too
    assert "session=" not in text and "/desktop/launch/" not in text  # neither token nor launch code logged


def test_desktop_reuses_a_running_engine_and_leaves_it_running(display: str, tmp_path: Path, pw: Any) -> None:
    home = tmp_path / "home"
    home.mkdir()
    engine = EngineProc(home=home, env=base_env(home), socket=Path(tempfile.mkdtemp(prefix="gi2-desk-")) / "e.sock")
    engine.start()
    try:
        log = tmp_path / "desktop.log"
        proc, cdp = launch(display, engine.env, engine.address, log)
        try:
            with contextlib.nullcontext(pw) as p:
                page = the_window(p, cdp)
                page.wait_for_selector("body[data-ready='1']", timeout=30_000)
                page.close()
            assert proc.wait(timeout=40) == 0, log.read_text()
        finally:
            if proc.poll() is None:
                proc.terminate()
                proc.wait(timeout=20)
        text = log.read_text()
        assert "using the engine already running" in text and "stopped the engine" not in text, text
        assert engine.proc is not None and engine.proc.poll() is None  # still serving
    finally:
        engine.stop()
