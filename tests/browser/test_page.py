"""The page in a real browser: generate with live progress, edit with a painted mask,
transparent extract, history search and delete, sign-in with a token and the
engine-down banner (every screen at phone width: test_screens.py)."""

from __future__ import annotations

import io
import json
import tempfile
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from tests.fakeupstream.server import Fault
from tests.gateway.support import GatewayProc, Stack, chroma_png, png_bytes, start_gateway

pytestmark = pytest.mark.browser


def start_job(gateway: GatewayProc, prompt: str) -> str:
    request = urllib.request.Request(
        gateway.url + "/api/images/generate", json.dumps({"prompt": prompt, "size": "1024x1024"}).encode(), {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as reply:
        return str(json.loads(reply.read())["job_id"])


def test_generate_shows_live_progress(page: Any, gateway: GatewayProc, bstack: Stack, screenshots: Path) -> None:
    held = Fault.hold(path="/v1/images/generations")  # running until seen (a timed delay could end first under load)
    bstack.upstream.faults(held)
    page.goto(gateway.url + "/#generate")
    page.wait_for_selector("body[data-ready='1']")
    form = page.locator("#generate-form")
    form.locator("textarea[name=prompt]").fill("a lighthouse at dusk")
    form.locator("input[name=size]").fill("1024x1024")
    form.locator("select[name=quality]").select_option("high")
    form.locator("details.more summary").click()
    form.locator("input[name=partial_images]").fill("2")
    form.locator("select[name=provider]").select_option("fake")
    form.locator("button[type=submit]").click()
    card = page.locator("#jobs article.job").first
    # Live: the card shows the running state and the provider's message before the job ends.
    page.wait_for_selector("#jobs article.job[data-status='running']")
    page.wait_for_function("document.querySelector('#jobs .job-message').textContent.includes('Sending to OpenAI')")
    page.screenshot(path=str(screenshots / "generate-running.png"))
    held.release()
    page.wait_for_selector("#jobs article.job[data-status='completed']")
    assert card.get_attribute("data-partials") == "2"
    page.wait_for_function("[...document.querySelectorAll('#jobs img.output')].some(i => i.complete && i.naturalWidth > 0)")
    assert card.locator("img.partial").count() == 2
    page.screenshot(path=str(screenshots / "generate-done.png"), full_page=True)
    sent = bstack.upstream.requests_to("/v1/images/generations")[-1].json
    assert sent["prompt"] == "a lighthouse at dusk" and sent["quality"] == "high"


def test_edit_with_painted_mask(page: Any, gateway: GatewayProc, bstack: Stack, screenshots: Path, tmp_path: Path) -> None:
    ref = tmp_path / "ref.png"
    ref.write_bytes(png_bytes(256, 256))
    page.goto(gateway.url + "/#edit")
    page.wait_for_selector("body[data-ready='1']")
    page.set_input_files("#edit-files", str(ref))
    page.wait_for_selector("#mask-editor:not(.hidden)")
    canvas = page.locator("#mask-canvas")
    page.wait_for_function("document.querySelector('#mask-canvas').width === 256")
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.3)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.7, box["y"] + box["height"] * 0.6, steps=8)
    page.mouse.up()
    page.locator("#edit-form textarea[name=prompt]").fill("make the disc gold")
    page.locator("#edit-form input[name=size]").fill("1024x1024")
    page.screenshot(path=str(screenshots / "edit-mask.png"), full_page=True)
    page.locator("#edit-form button[type=submit]").click()
    page.wait_for_selector("#jobs article.job[data-status='completed']")
    sent = bstack.upstream.requests_to("/v1/images/edits")[-1]
    parts = {p.name: p for p in sent.files}
    assert "image[]" in parts and "mask" in parts
    mask = Image.open(io.BytesIO(parts["mask"].data))
    assert mask.size == (256, 256) and mask.mode == "RGBA"
    alpha = mask.getchannel("A")
    assert alpha.getpixel((128, 115)) == 0  # painted: to be changed
    assert alpha.getpixel((5, 250)) == 255  # untouched: kept
    assert sent.fields["prompt"] == "make the disc gold"


def test_transparent_extract(page: Any, gateway: GatewayProc, screenshots: Path, tmp_path: Path) -> None:
    src = tmp_path / "green.png"
    src.write_bytes(chroma_png(128))
    page.goto(gateway.url + "/#transparent")
    page.wait_for_selector("body[data-ready='1']")
    page.set_input_files("#extract-form input[name=image]", str(src))
    page.locator("#extract-form details.more summary").click()
    page.locator("#extract-form select[name=profile]").select_option("icon")
    page.locator("#extract-form button[type=submit]").click()
    page.wait_for_selector("#tp-result:not(.hidden)")
    page.wait_for_function("document.querySelector('#tp-image').complete && document.querySelector('#tp-image').naturalWidth === 128")
    assert page.locator("#tp-metrics tr").count() > 3
    assert "transparent_ratio" in page.locator("#tp-metrics").inner_text()
    assert page.locator("#tp-stage.bg-checker").count() == 1  # over a checkerboard
    page.locator("#tp-result [data-tp-bg=black]").click()
    assert page.locator("#tp-stage.bg-black").count() == 1  # or a chosen colour
    page.screenshot(path=str(screenshots / "transparent-extract.png"), full_page=True)


def test_history_search_and_delete(page: Any, gateway: GatewayProc, screenshots: Path) -> None:
    keep = start_job(gateway, "quokka on a skateboard")
    gone = start_job(gateway, "narwhal in space")
    page.goto(gateway.url + "/#history")
    page.wait_for_selector(f".tile[data-job-id='{keep}']")
    page.fill("#history-q", "narwhal")
    page.wait_for_function("document.querySelectorAll('#gallery .tile').length === 1")
    tile = page.locator(f".tile[data-job-id='{gone}']")
    tile.wait_for()
    page.screenshot(path=str(screenshots / "history-search.png"), full_page=True)
    tile.click()
    page.wait_for_selector("#details[open] #delete-job")
    page.wait_for_function("document.querySelector('#details .images img')?.naturalWidth > 0")
    page.screenshot(path=str(screenshots / "history-details.png"))
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#delete-job")
    page.wait_for_selector("#details:not([open])", state="hidden")
    page.wait_for_selector(f".tile[data-job-id='{gone}']", state="detached")
    page.wait_for_function("document.querySelector('#gallery-end').textContent.includes('No jobs')")
    try:
        urllib.request.urlopen(f"{gateway.url}/api/jobs/{gone}", timeout=5)
        raise AssertionError("deleted job still served")
    except urllib.error.HTTPError as err:
        assert err.code == 404
    page.fill("#history-q", "")
    page.wait_for_selector(f".tile[data-job-id='{keep}']")


def test_infinite_scroll(page: Any, gateway: GatewayProc) -> None:
    ids = [start_job(gateway, f"scrolltest item {i}") for i in range(30)]
    page.goto(gateway.url + "/#history")
    page.fill("#history-q", "scrolltest")
    page.wait_for_function("document.querySelectorAll('#gallery[data-query=\"scrolltest\"] .tile').length >= 24")
    page.locator("#gallery-end").scroll_into_view_if_needed()
    page.wait_for_function("document.querySelectorAll('#gallery .tile').length === 30")
    shown = page.eval_on_selector_all("#gallery .tile", "ts => ts.map(t => t.dataset.jobId)")
    assert set(shown) == set(ids)


def test_settings_add_provider(page: Any, gateway: GatewayProc, bstack: Stack, screenshots: Path) -> None:
    page.goto(gateway.url + "/#settings")
    page.wait_for_selector("#providers [data-provider='fake']")
    form = page.locator("#provider-form")
    form.locator("input[name=name]").fill("second")
    form.locator("input[name=api_base]").fill(bstack.upstream.openai_base)
    form.locator("input[name=api_key]").fill("sk-second")
    form.locator("input[name=set_default]").uncheck()
    form.locator("button[type=submit]").click()
    page.wait_for_selector("#providers [data-provider='second']")
    assert "sk-second" not in page.content()
    assert "Saved “second”" in page.inner_text("#provider-saved")
    page.screenshot(path=str(screenshots / "settings.png"), full_page=True)
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#providers [data-provider='second'] [data-act=remove]").click()
    page.wait_for_selector("#providers [data-provider='second']", state="detached")
    page.wait_for_selector("#providers [data-provider='fake'] .chip.accent")  # still the default


def test_login_with_token(page: Any, bstack: Stack, screenshots: Path, tmp_path: Path) -> None:
    token = "browser-token-0123456789abcdefghijklmnop"  # 32+ characters, as the gateway requires
    gw = start_gateway(bstack.address, bstack.engine.env, tmp_path / "gw.log", token=token)
    try:
        page.goto(gw.url + "/")
        page.wait_for_selector("#login:not(.hidden)")
        page.screenshot(path=str(screenshots / "login.png"))
        page.fill("#login-token", "wrong")
        page.click("#login-form button[type=submit]")
        page.wait_for_function("document.querySelector('#login-error').textContent.includes('Invalid')")
        page.fill("#login-token", token)
        page.click("#login-form button[type=submit]")
        page.wait_for_selector("body[data-ready='1']")
        assert page.locator("#main").is_visible() and page.locator("#login").is_hidden()
        cookies = page.context.cookies()
        session = next(c for c in cookies if c["name"] == "gpt2_session")
        assert session["httpOnly"] and session["sameSite"] == "Strict"
        page.reload()
        page.wait_for_selector("body[data-ready='1']")  # the cookie keeps the session
    finally:
        gw.stop()


def test_engine_down_banner(page: Any, tmp_path: Path, bstack: Stack, screenshots: Path) -> None:
    nowhere = f"unix://{tempfile.mkdtemp(prefix='gi2-none-')}/e.sock"
    gw = start_gateway(nowhere, bstack.engine.env, tmp_path / "gw.log")
    try:
        page.goto(gw.url + "/#settings")
        page.wait_for_selector("#banner:not(.hidden)")
        banner = page.inner_text("#banner")
        assert "The image engine is not running" in banner and "gpt-image-2-engine serve" in banner
        for raw in ("failed to connect", "unix:", "last error", "UNAVAILABLE"):
            assert raw not in banner, banner
        page.screenshot(path=str(screenshots / "engine-down.png"))
    finally:
        gw.stop()
