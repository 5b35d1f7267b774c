"""Browser fixtures: Debian's Chromium driven by Playwright against a real gateway
process, a real engine and the fake upstream. Chromium is installed with apt when
missing (as root); screenshots go to .test-artifacts/screenshots/ (or
$GPT_IMAGE_2_TEST_ARTIFACTS/screenshots)."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT
from tests.gateway.support import GatewayProc, Stack, engine_stack, start_gateway

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def ensure_chromium() -> str:
    if os.access(CHROMIUM, os.X_OK):
        return CHROMIUM
    if os.geteuid() == 0 and shutil.which("apt-get"):
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.run(["apt-get", "update", "-q"], env=env, check=False, capture_output=True, timeout=600)
        subprocess.run(["apt-get", "install", "-y", "-q", "chromium"], env=env, check=False, capture_output=True, timeout=900)
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail("Chromium is missing: apt-get install -y chromium")
    return CHROMIUM


@pytest.fixture(scope="session")
def screenshots() -> Path:
    base = Path(os.environ.get("GPT_IMAGE_2_TEST_ARTIFACTS") or ROOT / ".test-artifacts")
    folder = base / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="session")
def pw() -> Iterator[Any]:
    """One Playwright driver per test process: a second `sync_playwright()` while one runs fails
    ("Sync API inside the asyncio loop"), so every browser test shares this one."""
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(pw: Any) -> Iterator[Any]:
    executable = ensure_chromium()
    instance = pw.chromium.launch(executable_path=executable, args=ARGS, headless=True)
    yield instance
    instance.close()


@pytest.fixture(scope="module")
def bstack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with engine_stack(tmp_path_factory.mktemp("browser")) as s:
        yield s


@pytest.fixture(scope="module")
def gateway(bstack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewayProc]:
    gw = start_gateway(bstack.address, bstack.engine.env, tmp_path_factory.mktemp("bgw") / "gateway.log")
    yield gw
    gw.stop()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)  # lets wait_for_function evaluate
    pg = context.new_page()
    pg.set_default_timeout(15_000)
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    yield pg
    context.close()
    assert not errors, errors
