"""`gpt-image-2-desktop` under Xvfb: it starts an engine (or reuses a running one) and a
gateway on a private port with a fresh token, opens the page in a Chromium `--app`
window that signs itself in (the token never in the address bar), and closing the
window stops the gateway and the engine it started, but not an engine it reused. The
window is screenshotted both through the browser and from the X display."""

from __future__ import annotations

import contextlib
import os
import re
import select
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

pytestmark = pytest.mark.browser
DESKTOP = str(BIN / "gpt-image-2-desktop")


@pytest.fixture(scope="module")
def display() -> Iterator[str]:
    xvfb = shutil.which("Xvfb")
    if not xvfb:
        pytest.fail("Xvfb is missing: `make browser-deps` installs it (apt-get install -y xvfb)")
    # Xvfb picks a free display itself and writes its number to the pipe once it listens there
    # (-displayfd): a number picked by the test could be taken by a parallel run before Xvfb
    # started, and the test would then draw on that run's display.
    read_fd, write_fd = os.pipe()
    proc = subprocess.Popen(
        [xvfb, "-displayfd", str(write_fd), "-screen", "0", "1280x900x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, pass_fds=(write_fd,),
    )  # fmt: skip
    os.close(write_fd)
    with os.fdopen(read_fd) as announced:
        ready, _, _ = select.select([announced], [], [], 60)
        number = announced.readline().strip() if ready else ""
    if not number.isdigit():
        proc.kill()
        proc.wait()
        pytest.fail("Xvfb did not start")
    yield f":{number}"
    proc.terminate()
    proc.wait(timeout=10)


def launch(display: str, env: dict[str, str], engine: str, log: Path) -> tuple[subprocess.Popen[bytes], Path]:
    """The desktop app with its window's DevTools on a port Chromium picks itself (0): it names
    it in `DevToolsActivePort` in the window's throwaway profile, made under our own TMPDIR (a
    port picked by the test could be taken by a parallel run before Chromium bound it). The
    TMPDIR is short: Chromium puts its singleton socket there (a Unix socket path: ~108 bytes)."""
    tmp = Path(tempfile.mkdtemp(prefix="gi2-dt-"))
    env = dict(env, DISPLAY=display, TMPDIR=str(tmp))
    out = open(log, "wb")  # noqa: SIM115
    proc = subprocess.Popen(
        [DESKTOP, "--engine", engine, "--window", "app", "--browser", ensure_chromium(),
         "--browser-arg=--remote-debugging-port=0", "--browser-arg=--no-sandbox", "--browser-arg=--disable-gpu"],
        env=env, stdout=out, stderr=out,
    )
    return proc, tmp


def _devtools_port(tmp: Path) -> int | None:
    for announced in tmp.glob("gpt-image-2-window-*/DevToolsActivePort"):
        first = announced.read_text().split("\n", 1)[0].strip()
        if first.isdigit():
            return int(first)
    return None


def the_window(playwright: Any, tmp: Path) -> Any:
    deadline = time.monotonic() + 40
    while True:
        try:
            cdp = _devtools_port(tmp)
            if cdp is None:
                raise ConnectionError("the window has not announced its DevTools port yet")
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
    proc, window_tmp = launch(display, base_env(home), f"unix://{sock}", log)
    try:
        with contextlib.nullcontext(pw) as p:
            page = the_window(p, window_tmp)
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
        shutil.rmtree(window_tmp, ignore_errors=True)
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
        proc, window_tmp = launch(display, engine.env, engine.address, log)
        try:
            with contextlib.nullcontext(pw) as p:
                page = the_window(p, window_tmp)
                page.wait_for_selector("body[data-ready='1']", timeout=30_000)
                page.close()
            assert proc.wait(timeout=40) == 0, log.read_text()
        finally:
            if proc.poll() is None:
                proc.terminate()
                proc.wait(timeout=20)
            shutil.rmtree(window_tmp, ignore_errors=True)
        text = log.read_text()
        assert "using the engine already running" in text and "stopped the engine" not in text, text
        assert engine.proc is not None and engine.proc.poll() is None  # still serving
    finally:
        engine.stop()
