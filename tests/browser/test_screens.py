"""Every screen in both themes at both widths (1280 and 390 px): screenshots for the
record (.test-artifacts/screenshots/<screen>-<theme>-<width>.png), no horizontal
overflow anywhere, and at phone width every tab, dialog and Settings button on screen."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.browser.test_studio import api, generate, open_page, paint, ready
from tests.fakeupstream.server import Fault
from tests.gateway.support import GatewayProc, Stack, chroma_png, png_bytes

pytestmark = pytest.mark.browser


def fits(page: Any, screen: str, selector: str | None = None) -> None:
    width = page.evaluate("window.innerWidth")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, (screen, overflow)
    if selector:
        for box in page.eval_on_selector_all(selector, "ns => ns.filter(n => n.offsetParent !== null || n.tagName === 'DIALOG').map(n => n.getBoundingClientRect().toJSON())"):
            assert box["left"] >= -1 and box["right"] <= width + 1, (screen, selector, box)


@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("scheme", ["dark", "light"])
def test_every_screen(browser: Any, gateway: GatewayProc, bstack: Stack, screenshots: Path, tmp_path: Path, scheme: str, width: int) -> None:
    context, page, errors = open_page(browser, width, scheme=scheme)
    shot = lambda name: page.screenshot(path=str(screenshots / f"{name}-{scheme}-{width}.png"))  # noqa: E731
    ready(page, gateway.url + "/#generate")
    assert page.get_attribute("html", "data-theme") == scheme
    fits(page, "generate", "#tabs a")
    if width < 600:
        for box in page.eval_on_selector_all("#tabs a", "ns => ns.map(n => n.getBoundingClientRect().toJSON())"):
            assert box["bottom"] <= page.evaluate("window.innerHeight") + 1  # the tab bar is on screen
    card = generate(page, f"a fox in the snow ({scheme} {width})")
    page.evaluate("window.scrollTo(0, 0)")
    shot("generate")
    fits(page, "generate with a result", "#jobs .actions-bar [data-act]")

    card.locator(".job-preview").click()
    page.wait_for_selector("#viewer[open][data-loaded='1']")
    shot("viewer")
    fits(page, "viewer", "#viewer .viewer-tools > *, #viewer-actions [data-act]")
    page.keyboard.press("Escape")

    held = Fault.hold(path="/v1/images/generations")  # running until the drawer was seen, however slow the machine
    bstack.upstream.faults(held)
    api(gateway, "/api/images/generate", {"prompt": "a slow heron", "size": "1024x1024"})
    page.click("#queue-indicator")
    page.wait_for_selector("#queue-drawer[open] #queue-list .queue-row[data-status='running']")
    page.wait_for_selector("#queue-done .queue-row")
    assert page.inner_text("#queue-summary").startswith("1 running")  # the counts are fresh when the drawer opens
    shot("queue")
    fits(page, "queue", "#queue-drawer")
    held.release()
    page.click("#queue-close")

    ref = tmp_path / "ref.png"
    ref.write_bytes(png_bytes(512, 384))
    page.click("#tabs a[data-tab='edit']")
    page.set_input_files("#edit-files", str(ref))
    page.wait_for_function("document.querySelector('#mask-canvas').width === 512")
    page.fill("#edit-form textarea[name=prompt]", "make the disc gold")
    page.locator("#mask-canvas").scroll_into_view_if_needed()
    paint(page)
    page.evaluate("window.scrollTo(0, 0)")
    shot("edit")
    fits(page, "edit", "#mask-editor .mask-toolbar > *")

    src = tmp_path / "green.png"
    src.write_bytes(chroma_png(160))
    page.click("#tabs a[data-tab='transparent']")
    page.set_input_files("#extract-form input[name=image]", str(src))
    page.click("#extract-form button[type=submit]")
    page.wait_for_function("document.querySelector('#tp-image').complete && document.querySelector('#tp-image').naturalWidth === 160")
    shot("transparent")
    fits(page, "transparent", "#tp-result .bg-switch > *")

    page.click("#tabs a[data-tab='history']")
    page.wait_for_selector("#gallery .tile")
    shot("history")
    fits(page, "history", "#gallery .tile")
    page.locator("#gallery .tile[data-status='completed']").first.click()
    page.wait_for_selector("#details[open] #delete-job")
    shot("details")
    fits(page, "details", "#details, #details-body .actions-bar [data-act], #delete-job")
    page.keyboard.press("Escape")

    # A storage target, so the outputs cards show one.
    api(gateway, "/api/storage", {"targets": {"archive": {"type": "local", "directory": str(tmp_path / "archive")}},
                                  "pipeline": {"mode": "mirror", "archives": ["archive"]}}, method="PUT")
    page.click("#tabs a[data-tab='settings']")
    page.wait_for_selector("#providers [data-provider='fake']")
    page.wait_for_selector("#storage-targets [data-target='archive']")
    shot("settings")
    fits(page, "settings", "#providers [data-act], #provider-form button[type=submit], #queue-form button[type=submit], "
         "#storage-targets [data-act], #storage-form button[type=submit], #storage-form textarea, #pipeline-form button[type=submit], "
         "#notify-form button, #notify-form input, #proxy-form button[type=submit], #proxy-form input")
    page.screenshot(path=str(screenshots / f"settings-full-{scheme}-{width}.png"), full_page=True)
    context.close()
    assert not errors, errors
