"""The redesigned page in a real browser against a real gateway, engine and the fake
upstream: first run without credentials to a finished image, live progress with the
elapsed time and partial previews, the mask editor (undo/redo, invert, the provider
that cannot follow a mask flagged before sending), the large view (zoom, background,
before/after), "edit this" and "reuse prompt", both languages, errors in words, and a
transparent verification that leaves a report (not a blank card) in the history."""

from __future__ import annotations

import io
import json
import tempfile
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from tests.conftest import EngineProc, base_env
from tests.fakeupstream.server import FakeUpstream, Fault
from tests.gateway.support import GatewayProc, Stack, chroma_png, png_bytes, start_gateway

pytestmark = pytest.mark.browser
GEN = "/v1/images/generations"
EDITS = "/v1/images/edits"
INTERNAL_NAMES = ("job.queued", "job.running", "request.started", "request_started", "request_completed", "partial_image", "output_saved", "multipart_prepared")


def api(gateway: GatewayProc, path: str, body: dict[str, Any] | None = None, method: str | None = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(gateway.url + path, data, {"Content-Type": "application/json"}, method=method)
    with urllib.request.urlopen(request, timeout=15) as reply:
        return json.loads(reply.read() or b"null")


def open_page(browser: Any, width: int = 1280, *, scheme: str = "dark", locale: str = "en-US") -> tuple[Any, Any, list[str]]:
    phone = width < 600
    context = browser.new_context(
        viewport={"width": width, "height": 844 if phone else 900}, device_scale_factor=2 if phone else 1,
        is_mobile=phone, has_touch=phone, color_scheme=scheme, locale=locale, bypass_csp=True,  # lets wait_for_function evaluate
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return context, page, errors


def ready(page: Any, url: str) -> None:
    page.goto(url)
    page.wait_for_selector("body[data-ready='1']")


def paint(page: Any, x0: float = 0.3, y0: float = 0.3, x1: float = 0.7, y1: float = 0.6) -> None:
    box = page.locator("#mask-canvas").bounding_box()
    page.mouse.move(box["x"] + box["width"] * x0, box["y"] + box["height"] * y0)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * x1, box["y"] + box["height"] * y1, steps=8)
    page.mouse.up()


def generate(page: Any, prompt: str, *, size: str = "1024x1024", quality: str | None = None) -> Any:
    form = page.locator("#generate-form")
    form.locator("textarea[name=prompt]").fill(prompt)
    form.locator("input[name=size]").fill(size)
    if quality:
        form.locator("select[name=quality]").select_option(quality)
    form.locator("button[type=submit]").click()
    card = page.locator("#jobs article.job").first
    page.wait_for_selector("#jobs article.job:first-child[data-status='completed']", timeout=30_000)
    page.wait_for_function("document.querySelector('#jobs article.job img.job-preview.output')?.naturalWidth > 0")
    page.wait_for_selector("#jobs article.job:first-child .actions-bar [data-act=reuse]")
    return card


@dataclass
class Bare:
    engine: EngineProc
    upstream: FakeUpstream
    gateway: GatewayProc


@pytest.fixture(scope="module")
def bare(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bare]:
    """An engine with no provider configured and no credentials anywhere: a new user's first run."""
    root = tmp_path_factory.mktemp("firstrun")
    home = root / "home"
    home.mkdir()
    engine = EngineProc(home=home, env=base_env(home), socket=Path(tempfile.mkdtemp(prefix="gi2-")) / "e.sock")
    upstream = FakeUpstream()
    upstream.start()
    engine.start()
    gateway = start_gateway(engine.address, engine.env, root / "gw.log")
    try:
        yield Bare(engine, upstream, gateway)
    finally:
        gateway.stop()
        engine.stop()
        upstream.stop()


def test_first_run_without_credentials_to_a_finished_image(browser: Any, bare: Bare, screenshots: Path) -> None:
    context, page, errors = open_page(browser)
    ready(page, bare.gateway.url + "/")
    page.wait_for_selector("#setup:not(.hidden)")
    assert "No image provider is ready yet" in page.inner_text("#setup")
    page.screenshot(path=str(screenshots / "first-run.png"))

    # Trying anyway: plain words and the way to Settings, not the raw code in brackets.
    page.fill("#generate-form textarea[name=prompt]", "a red kite")
    page.click("#generate-form button[type=submit]")
    err = page.locator("#generate-form [data-error] .err")
    err.wait_for()
    assert err.get_attribute("data-code") == "provider_unavailable"
    assert "No image provider is ready" in err.inner_text() and "(provider_unavailable)" not in err.inner_text()
    page.click("#setup-open")
    page.wait_for_selector("#view-settings:not(.hidden) #providers [data-provider='codex']")
    openai = page.locator("#providers [data-provider='openai']")
    codex = page.locator("#providers [data-provider='codex']")
    assert openai.get_attribute("data-ready") == "false" and "OPENAI_API_KEY" in openai.inner_text()
    assert codex.get_attribute("data-ready") == "false" and "codex login" in codex.inner_text()
    page.screenshot(path=str(screenshots / "first-run-settings.png"), full_page=True)

    form = page.locator("#provider-form")
    form.locator("input[name=name]").fill("mine")
    form.locator("input[name=api_base]").fill(bare.upstream.openai_base)
    form.locator("input[name=api_key]").fill("sk-first-run")
    form.locator("button[type=submit]").click()
    page.wait_for_selector("#provider-saved[data-saved='mine']")
    assert page.inner_text("#provider-saved") == "Saved “mine”. It is now the default provider."
    page.wait_for_selector(".toast", state="attached")
    assert page.locator("#setup").is_hidden()
    assert "sk-first-run" not in page.content()

    card = page.locator("#providers [data-provider='mine']")
    card.locator("[data-act=test]").click()
    result = card.locator(".test-result[data-ok]")
    result.wait_for()
    assert result.get_attribute("data-ok") == "true", result.inner_text()
    assert int(result.get_attribute("data-latency")) >= 0 and " ms" in result.inner_text()
    page.screenshot(path=str(screenshots / "first-run-provider-added.png"), full_page=True)

    page.click("#tabs a[data-tab='generate']")
    generate(page, "a red kite")
    sent = bare.upstream.requests_to(GEN)[-1]
    assert sent.json["prompt"] == "a red kite" and sent.headers["authorization"] == "Bearer sk-first-run"
    page.screenshot(path=str(screenshots / "first-run-first-image.png"))
    context.close()
    assert not errors, errors


def test_progress_shows_phase_elapsed_time_and_partial_previews(page: Any, gateway: GatewayProc, bstack: Stack, screenshots: Path) -> None:
    held = Fault.hold(path=GEN)  # running until every in-flight check is done (a timed delay could end first)
    bstack.upstream.faults(held)
    ready(page, gateway.url + "/#generate")
    # Record the card's status whenever a streamed preview is on show.
    page.evaluate("""() => { window.__partialSeen = [];
      new MutationObserver(() => { for (const c of document.querySelectorAll('#jobs .job')) {
        if (c.querySelector('.job-preview.partial-live')) window.__partialSeen.push(c.dataset.status); } })
        .observe(document.querySelector('#jobs'), { subtree: true, childList: true, attributes: true }); }""")
    form = page.locator("#generate-form")
    form.locator("textarea[name=prompt]").fill("a lighthouse at dusk")
    form.locator("details.more summary").click()
    form.locator("input[name=partial_images]").fill("2")
    form.locator("button[type=submit]").click()
    page.wait_for_selector("#jobs article.job[data-status='running']")
    page.wait_for_function("document.querySelector('#jobs .job-message').textContent.startsWith('Sending to OpenAI')")
    page.wait_for_function("parseInt(document.querySelector('#jobs .job-elapsed').textContent) >= 1")
    live = page.inner_text("#jobs")
    assert all(name not in live for name in INTERNAL_NAMES), live
    assert page.inner_text("#tabs a[data-tab='generate'] .tab-badge") == "1"  # at work, seen from any screen
    page.screenshot(path=str(screenshots / "progress-running.png"))
    held.release()
    page.wait_for_selector("#jobs article.job[data-status='completed']", timeout=20_000)
    card = page.locator("#jobs article.job").first
    assert card.get_attribute("data-partials") == "2"
    assert page.locator("#tabs .tab-badge").count() == 0
    assert "running" in page.evaluate("window.__partialSeen"), "no preview was shown while the job ran"
    page.wait_for_function("[...document.querySelectorAll('#jobs .thumbs img.partial')].filter(i => i.naturalWidth > 0).length === 2")
    assert card.locator(".job-message").inner_text().startswith("Done in")
    page.wait_for_function("document.querySelector('.toast img.toast-thumb')?.naturalWidth > 0")  # the toast carries a thumbnail
    done = page.inner_text("#jobs")
    assert all(name not in done for name in INTERNAL_NAMES), done
    page.screenshot(path=str(screenshots / "progress-done.png"))


def test_mask_editor_undo_and_a_provider_without_masks_flagged_before_sending(page: Any, gateway: GatewayProc, bstack: Stack, screenshots: Path, tmp_path: Path) -> None:
    api(gateway, "/api/providers/hintonly", {"type": "openai-compatible", "api_base": bstack.upstream.openai_base, "api_key": "sk-hint", "edit_region_mode": "reference-hint", "set_default": False}, "PUT")
    ref = tmp_path / "ref.png"
    ref.write_bytes(png_bytes(256, 256))
    ready(page, gateway.url + "/#edit")
    page.set_input_files("#edit-files", str(ref))
    page.wait_for_function("document.querySelector('#mask-canvas').width === 256")
    page.select_option("#edit-form select[name=provider]", "hintonly")
    box = page.locator("#mask-canvas").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    cursor = page.locator("#brush-cursor")
    assert cursor.is_visible() and abs(cursor.bounding_box()["width"] - 48) < 1.5  # a ring the size of the brush
    paint(page)
    warning = page.locator("#mask-warning[data-state='blocked']")
    warning.wait_for()  # flagged as soon as the mask exists, before any submit
    assert "“hintonly” cannot follow a painted mask exactly." in warning.inner_text()
    assert page.inner_text("#mask-switch") == "Switch to fake"

    page.click("#mask-undo")
    page.wait_for_selector("#edit-form[data-masked='false']")
    assert page.locator("#mask-warning").is_hidden() and page.locator("#mask-undo").is_disabled()
    page.click("#mask-redo")
    page.wait_for_selector("#edit-form[data-masked='true'] #mask-warning[data-state='blocked']")

    sent_before = len(bstack.upstream.requests_to(EDITS))
    page.fill("#edit-form textarea[name=prompt]", "make the disc gold")
    page.click("#edit-form button[type=submit]")
    page.wait_for_selector("#mask-warning.shake")
    assert len(bstack.upstream.requests_to(EDITS)) == sent_before  # nothing left the page
    page.screenshot(path=str(screenshots / "edit-mask-flagged.png"), full_page=True)

    # Choice 1: send the mask as a hint (an extra reference with the area highlighted).
    page.click("#mask-hint")
    page.wait_for_selector("#mask-warning[data-state='hint']")
    page.click("#edit-form button[type=submit]")
    page.wait_for_selector("#jobs article.job:first-child[data-status='completed']")
    sent = bstack.upstream.requests_to(EDITS)[-1]
    names = [p.name for p in sent.files]
    assert names == ["image[]", "image[]"] and "mask" not in names, names
    assert sent.fields["prompt"].startswith("make the disc gold") and "highlighted in magenta" in sent.fields["prompt"]

    # Choice 2: switch to a provider that edits by mask; the inverted mask goes as a mask.
    page.click("#mask-warning button")  # undo the hint choice
    page.wait_for_selector("#mask-warning[data-state='blocked']")
    page.click("#mask-switch")
    page.wait_for_selector("#mask-warning", state="hidden")
    assert page.input_value("#edit-form select[name=provider]") == "fake"
    page.click("#mask-invert")
    page.click("#mask-overlay")  # the solid high-contrast overlay
    page.screenshot(path=str(screenshots / "edit-mask-inverted.png"), full_page=True)
    count = len(bstack.upstream.requests_to(EDITS))
    page.click("#edit-form button[type=submit]")
    page.wait_for_function("document.querySelectorAll('#jobs article.job[data-status=\"completed\"]').length >= 2")
    assert len(bstack.upstream.requests_to(EDITS)) == count + 1
    parts = {p.name: p for p in bstack.upstream.requests_to(EDITS)[-1].files}
    alpha = Image.open(io.BytesIO(parts["mask"].data)).getchannel("A")
    assert alpha.getpixel((128, 115)) == 255 and alpha.getpixel((5, 250)) == 0  # inverted: the painted part is kept
    page.click("#mask-clear")
    page.wait_for_selector("#edit-form[data-masked='false']")
    # Zoom in to paint a detail; the stroke still lands where it was drawn on the image.
    fit = page.locator("#mask-canvas").bounding_box()["width"]
    page.click("#mask-zoom-in")
    page.click("#mask-zoom-in")
    assert page.locator("#mask-canvas").bounding_box()["width"] > fit * 2 and page.inner_text("#mask-zoom") == "225%"
    page.eval_on_selector(".mask-stage", "s => { s.scrollLeft = 0; s.scrollTop = 0; }")
    box = page.locator("#mask-canvas").bounding_box()
    scale = box["width"] / 256
    page.mouse.move(box["x"] + 20 * scale, box["y"] + 20 * scale)
    page.mouse.down()
    page.mouse.move(box["x"] + 40 * scale, box["y"] + 24 * scale, steps=4)
    page.mouse.up()
    page.click("#mask-zoom-in")
    page.click("#mask-zoom-in")  # larger than the stage now
    page.click("#mask-pan")  # the pan tool moves the view and paints nothing
    before = page.eval_on_selector(".mask-stage", "s => s.scrollLeft")
    stage = page.locator(".mask-stage").bounding_box()
    page.mouse.move(stage["x"] + 200, stage["y"] + 100)
    page.mouse.down()
    page.mouse.move(stage["x"] + 100, stage["y"] + 100, steps=4)
    page.mouse.up()
    assert page.eval_on_selector(".mask-stage", "s => s.scrollLeft") > before
    page.click("#mask-pan")
    count = len(bstack.upstream.requests_to(EDITS))
    page.click("#edit-form button[type=submit]")
    page.wait_for_function("document.querySelectorAll('#jobs article.job[data-status=\"completed\"]').length >= 3")
    assert len(bstack.upstream.requests_to(EDITS)) == count + 1
    alpha = Image.open(io.BytesIO({p.name: p for p in bstack.upstream.requests_to(EDITS)[-1].files}["mask"].data)).getchannel("A")
    assert alpha.getpixel((30, 22)) == 0 and alpha.getpixel((200, 200)) == 255  # the zoomed stroke, only there
    api(gateway, "/api/providers/hintonly", method="DELETE")


def test_lightbox_compare_edit_this_and_reuse(page: Any, gateway: GatewayProc, bstack: Stack, screenshots: Path) -> None:
    ready(page, gateway.url + "/#generate")
    card = generate(page, "a paper boat", quality="high")
    card.locator(".job-preview").click()
    viewer = page.locator("#viewer")
    page.wait_for_selector("#viewer[open][data-loaded='1']")
    fit = int(viewer.get_attribute("data-zoom"))
    page.click("#viewer-zoom-in")
    assert int(viewer.get_attribute("data-zoom")) > fit
    page.click("#viewer [data-bg='white']")
    assert page.get_attribute("#viewer-stage", "data-bg") == "white"
    assert page.locator("#viewer-compare").is_hidden()  # nothing to compare a new image with
    page.screenshot(path=str(screenshots / "viewer-zoomed.png"))
    page.keyboard.press("Escape")
    page.wait_for_selector("#viewer", state="hidden")

    # Reuse prompt and settings.
    page.fill("#generate-form textarea[name=prompt]", "something else")
    page.select_option("#generate-form select[name=quality]", "low")
    card.locator("[data-act=reuse]").click()
    assert page.input_value("#generate-form textarea[name=prompt]") == "a paper boat"
    assert page.input_value("#generate-form select[name=quality]") == "high"
    assert page.input_value("#generate-form input[name=size]") == "1024x1024"
    # The prompt is also one click away among the recent prompts.
    page.fill("#generate-form textarea[name=prompt]", "")
    page.click("#recent-prompts .recent-prompt[title='a paper boat']")
    assert page.input_value("#generate-form textarea[name=prompt]") == "a paper boat"

    # Edit this image: it becomes the image to paint on.
    card.locator("[data-act=edit]").click()
    page.wait_for_selector("#view-edit:not(.hidden) #mask-editor:not(.hidden)")
    page.wait_for_function("document.querySelector('#mask-canvas').width === 1024")
    paint(page)
    page.fill("#edit-form textarea[name=prompt]", "add a flag")
    page.click("#edit-form button[type=submit]")
    page.wait_for_function("document.querySelector('#jobs article.job .job-title').textContent === 'add a flag'")
    edited = page.locator("#jobs article.job").first
    page.wait_for_selector("#jobs article.job:first-child[data-status='completed'] .actions-bar")
    assert "mask" in [p.name for p in bstack.upstream.requests_to(EDITS)[-1].files]

    # Before/after of the edit.
    edited.locator(".job-preview").click()
    page.wait_for_selector("#viewer[open][data-loaded='1']")
    page.click("#viewer-compare")
    page.wait_for_selector("#viewer.comparing")
    page.wait_for_function("document.querySelector('#viewer-before').naturalWidth > 0")
    page.eval_on_selector("#compare-slider", "s => { s.value = '30'; s.dispatchEvent(new Event('input')); }")
    assert "70%" in page.eval_on_selector("#viewer-before-wrap", "n => n.style.clipPath")
    page.screenshot(path=str(screenshots / "viewer-compare.png"))
    # Reuse from the viewer: the edit's prompt and its reference image come back.
    page.click("#viewer-actions [data-act=reuse]")
    page.wait_for_selector("#viewer", state="hidden")
    page.wait_for_function("document.querySelectorAll('#ref-list li').length === 1")
    assert page.input_value("#edit-form textarea[name=prompt]") == "add a flag"


def test_both_languages(browser: Any, gateway: GatewayProc, screenshots: Path) -> None:
    context, page, errors = open_page(browser, locale="zh-CN")
    ready(page, gateway.url + "/#settings")
    assert page.get_attribute("html", "lang") == "zh-CN"
    tabs = page.inner_text("#tabs")
    assert all(word in tabs for word in ("生成", "编辑", "透明", "历史", "设置")), tabs
    page.wait_for_selector("#providers [data-provider='codex']")
    assert "内置" in page.inner_text("#providers") and "尚未登录 Codex" in page.inner_text("#providers")
    page.screenshot(path=str(screenshots / "zh-settings.png"), full_page=True)
    page.click("#tabs a[data-tab='edit']")
    page.fill("#edit-form textarea[name=prompt]", "加一条围巾")
    page.click("#edit-form button[type=submit]")
    assert "请至少添加一张要编辑的图片" in page.inner_text("#edit-form [data-error]")
    # An engine error in Chinese too (the words come from the code, not the English message).
    words = page.evaluate("import('/js/errors.js').then(m => m.describe({code: 'engine_unavailable', message: 'failed to connect to all addresses; last error: UNAVAILABLE: unix:/x'}))")
    assert words["title"] == "图像引擎没有运行。" and "unix" not in json.dumps(words, ensure_ascii=False)
    page.click("#lang-toggle")
    page.wait_for_function("document.documentElement.lang === 'en'")
    assert "Create" in page.inner_text("#tabs") and "Remove background" in page.inner_text("#view-transparent")
    page.reload()
    page.wait_for_selector("body[data-ready='1']")
    assert "Create" in page.inner_text("#tabs")  # the choice is kept
    page.click("#tabs a[data-tab='settings']")
    page.select_option("#lang-select", "auto")
    page.wait_for_function("document.documentElement.lang === 'zh-CN'")
    context.close()
    assert not errors, errors


def test_every_coded_error_has_words_and_no_raw_text(page: Any, gateway: GatewayProc, bstack: Stack) -> None:
    from gpt_image_protocol.codes import REGISTRY

    ready(page, gateway.url + "/")
    table = page.evaluate("""codes => import('/js/errors.js').then(m => Object.fromEntries(codes.map(c => [c, m.describe({code: c, message: '--mask requires a provider; last error: unix:/tmp/x'})])))""", sorted(REGISTRY))
    generic = table["internal_error"]["title"]
    for code, words in table.items():
        assert words["code"] == code
        assert words["title"] and words["next"], code
        assert code == "internal_error" or words["title"] != generic, code  # its own words, not the fallback
        text = json.dumps(words)
        assert "--mask" not in text and "unix:" not in text, (code, words)
    # The server's specifics survive, in words: a flag name becomes the field's name.
    size = page.evaluate("import('/js/errors.js').then(m => m.describe({code: 'invalid_argument', message: '--size must be a multiple of 16.'}))")
    assert size["specific"] == "Size must be a multiple of 16."
    # The engine's mask refusal (raised if a stale page sends one anyway) reads as the form's flag does.
    request = urllib.request.Request(
        gateway.url + "/api/providers/nomask", json.dumps({"type": "openai-compatible", "api_base": bstack.upstream.openai_base, "api_key": "sk-x", "edit_region_mode": "none"}).encode(),
        {"Content-Type": "application/json"}, method="PUT")
    urllib.request.urlopen(request, timeout=10).close()
    try:
        reply = page.evaluate("""async () => {
          const data = new FormData(); data.append('prompt', 'x'); data.append('provider', 'nomask');
          const png = await (await fetch('/icons/icon-192.png')).blob();
          data.append('image[]', png, 'a.png'); data.append('mask', png, 'm.png');
          const r = await fetch('/api/images/edit', { method: 'POST', body: data });
          const body = await r.json();
          const m = await import('/js/errors.js');
          return { status: r.status, body, words: m.describe(body.error) };
        }""")
    finally:
        api(gateway, "/api/providers/nomask", method="DELETE")
    assert reply["status"] == 400 and reply["body"]["error"]["code"] == "unsupported_option"
    assert reply["words"]["title"] == "“nomask” cannot follow a painted mask exactly.", reply
    assert "--" not in json.dumps(reply["words"])


def test_transparent_verify_leaves_a_report_not_a_blank_card(page: Any, gateway: GatewayProc, screenshots: Path, tmp_path: Path) -> None:
    src = tmp_path / "opaque.png"
    src.write_bytes(chroma_png(96))
    ready(page, gateway.url + "/#transparent")
    page.click("#tp-tabs button[data-sub='verify']")
    page.set_input_files("#verify-form input[name=image]", str(src))
    page.click("#verify-form button[type=submit]")
    page.wait_for_selector("#tp-metrics[data-passed='false']")
    page.click("#tabs a[data-tab='history']")
    tile = page.locator(".tile[data-command='transparent verify']").first
    tile.wait_for()
    assert tile.locator(".report.fail").count() == 1 and "Transparency check failed" in tile.inner_text()
    assert tile.locator("img").count() == 0
    page.screenshot(path=str(screenshots / "history-verify-report.png"))


def test_pwa_manifest_service_worker_favicon_and_name_pattern(browser: Any, gateway: GatewayProc) -> None:
    with urllib.request.urlopen(gateway.url + "/manifest.webmanifest", timeout=10) as reply:
        assert reply.headers["Content-Type"].startswith("application/manifest+json")
        manifest = json.loads(reply.read())
    assert manifest["display"] == "standalone" and manifest["start_url"].startswith("/") and manifest["name"] and manifest["short_name"]
    sizes = {}
    for icon in manifest["icons"]:
        with urllib.request.urlopen(gateway.url + icon["src"], timeout=10) as reply:
            data = reply.read()
        if icon["type"] == "image/png":
            image = Image.open(io.BytesIO(data))
            assert f"{image.width}x{image.height}" == icon["sizes"], icon
            sizes[icon.get("purpose", "any")] = sizes.get(icon.get("purpose", "any"), set()) | {image.width}
    assert {192, 512} <= sizes["any"] and 512 in sizes["maskable"]
    with urllib.request.urlopen(gateway.url + "/favicon.ico", timeout=10) as reply:
        assert reply.status == 200
        assert reply.headers["Content-Type"] in ("image/x-icon", "image/vnd.microsoft.icon")
        assert Image.open(io.BytesIO(reply.read())).format == "ICO"
    with urllib.request.urlopen(gateway.url + "/sw.js", timeout=10) as reply:
        assert "javascript" in reply.headers["Content-Type"]

    context, page, errors = open_page(browser)
    ready(page, gateway.url + "/")
    page.wait_for_selector("body[data-sw='ready']")
    page.reload()
    page.wait_for_selector("body[data-ready='1']")
    assert page.evaluate("Boolean(navigator.serviceWorker.controller)")
    # The provider name's pattern compiles as Chrome compiles it (the v flag) and means what it says.
    valid = page.evaluate("""() => { const i = document.querySelector('#provider-form input[name=name]'); new RegExp(`^(?:${i.pattern})$`, 'v');
      i.value = 'has space'; const spaced = i.validity.patternMismatch; i.value = 'a/b'; const slashed = i.validity.patternMismatch;
      i.value = 'my-openai.2'; return [spaced, slashed, i.validity.patternMismatch]; }""")
    assert valid == [True, True, False]
    # Installed shell: the page opens with the network gone (the API then says the gateway is away).
    context.set_offline(True)
    page.reload()
    page.wait_for_selector("#tabs a[data-tab='generate']")
    page.wait_for_selector("#banner:not(.hidden) .err[data-code='network_down']")
    context.close()
    assert not errors, errors


def test_config_reader_takes_both_shapes_of_api_config(page: Any, gateway: GatewayProc) -> None:
    """GET /api/config as it is ({config: {...}}) and in the upstream's shape (the config at the top,
    with synthetic built-in entries): the same providers, and a built-in is ready only when /api/auth says so."""
    ready(page, gateway.url + "/")
    entry = {"type": "openai-compatible", "api_base": "http://x/v1", "edit_region_mode": "reference-hint", "credentials": {"api_key": {"source": "file", "present": True}}}
    upstream_builtins = {
        "openai": {"type": "openai-compatible", "builtin": True, "edit_region_mode": "native-mask", "credentials": {"api_key": {"source": "env", "env": "OPENAI_API_KEY"}}},
        "codex": {"type": "codex", "builtin": True, "edit_region_mode": "reference-hint", "credentials": {}},
    }
    auth = {"providers": {"openai": {"ready": False, "env_var": "OPENAI_API_KEY"}, "codex": {"ready": True, "auth_file": "/h/.codex/auth.json"}}}
    shapes = [
        {"config": {"default_provider": "mine", "providers": {"mine": entry}}},
        {"default_provider": "mine", "providers": {"mine": entry, **upstream_builtins}},
    ]
    results = page.evaluate(
        """([shapes, auth]) => import('/js/settings.js').then(m => shapes.map(c => {
             const r = m.merge(c, null, auth);
             return { default: r.defaultProvider, providers: r.providers.map(p => [p.name, p.builtin, p.ready, m.regionMode(p)]) };
           }))""",
        [shapes, auth],
    )
    expected = {"default": "mine", "providers": [["openai", True, False, "native-mask"], ["codex", True, True, "reference-hint"], ["mine", False, True, "reference-hint"]]}
    assert results == [expected, expected]
