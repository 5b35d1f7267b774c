"""The upstream's own web app (HTTP-mode build) served by `gpt-image-2-web` in front of a real
engine and the fake upstream, driven in Chromium: sign in through the token gate, generate (n=1
and n=2), edit with a reference and a mask or a soft selection, progress, history (pages, filter,
search, active merge, failed job + retry, cancel, downloads), providers, settings, logs, proxy.

The app is not part of this repository. Build it (docs/web.md, "Use the upstream app") and point
GPT_IMAGE_2_UPSTREAM_APP_DIST at its `dist/`; without it these tests skip. The sign-in gate, the
providers screen and the logs and proxy panels are found by the upstream's own labels; the generate,
edit, history and settings steps use `data-testid`s of the screens the reconstruction adds around
the upstream's API layer, so a build without them stops at those steps.

Every `/api` call the app makes is recorded (method, path, status): any answer >= 400 a step did
not ask for, any console error, any uncaught page error and any error toast fails the test that
caused it. Screenshots and the list of calls go to the screenshots folder (upstream-app-*)."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.fakeupstream.server import EDITS_PATH, GENERATIONS_PATH, Fault
from tests.gateway.support import GatewayProc, Stack, engine_stack, png_bytes, start_gateway, wait_for

DIST_ENV = "GPT_IMAGE_2_UPSTREAM_APP_DIST"
TOKEN = "upstream-app-token-7c2e-0123456789abcdef"
DONE = 60_000  # ms: a job through engine + fake upstream


def _dist() -> Path:
    raw = (os.environ.get(DIST_ENV) or "").strip()
    if not raw or not (Path(raw) / "index.html").is_file():
        pytest.skip(f"{DIST_ENV} does not name a built upstream app (a folder with index.html)")
    return Path(raw).resolve()


@pytest.fixture(scope="module")
def dist() -> Path:
    return _dist()


@pytest.fixture(scope="module")
def app_stack(dist: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Stack, GatewayProc]]:
    with engine_stack(tmp_path_factory.mktemp("upstream-app")) as stack:
        gw = start_gateway(
            stack.address,
            stack.engine.env,
            tmp_path_factory.mktemp("upstream-app-gw") / "gateway.log",
            token=TOKEN,
            extra={"GPT_IMAGE_2_WEB_DIST": str(dist)},
        )
        try:
            yield stack, gw
        finally:
            gw.stop()


class Watch:
    """What the page did: /api calls with their statuses, console errors, page errors."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self.problems: list[str] = []
        self.mark = 0
        self.expected: set[tuple[str, str, int]] = set()  # answers a step asks for (a refused sign-in)

    def on_response(self, response: Any) -> None:
        parts = urlsplit(response.url)
        if not parts.path.startswith("/api"):
            return
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        call = {"method": response.request.method, "path": path, "status": response.status}
        self.calls.append(call)
        if response.status >= 400 and (call["method"], path, response.status) not in self.expected:
            self.problems.append(f"{call['method']} {path} -> {response.status}: {_body(response)}")

    def on_console(self, msg: Any) -> None:
        if msg.type != "error":
            return
        where = urlsplit(str((msg.location or {}).get("url") or "")).path
        # Chromium logs every failed load once more; the response handler already judged /api ones.
        if msg.text.startswith("Failed to load resource") and where.startswith("/api"):
            return
        self.problems.append(f"console.error: {msg.text} ({where})")

    def since_mark(self) -> list[str]:
        out = self.problems[self.mark :]
        self.mark = len(self.problems)
        return out


def _body(response: Any) -> str:
    try:
        return str(response.text())[:300]
    except Exception:  # noqa: BLE001 - a body already gone is no reason to hide the status
        return ""


@pytest.fixture(scope="module")
def watch() -> Watch:
    return Watch()


@pytest.fixture(scope="module")
def page(browser: Any, app_stack: tuple[Stack, GatewayProc], watch: Watch, screenshots: Path) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    pg.set_default_timeout(20_000)
    pg.on("response", watch.on_response)
    pg.on("pageerror", lambda exc: watch.problems.append(f"pageerror: {exc}"))
    pg.on("console", watch.on_console)
    yield pg
    (screenshots / "upstream-app-calls.json").write_text(json.dumps(_routes(watch.calls), indent=1))
    context.close()


def _routes(calls: list[dict[str, Any]]) -> list[str]:
    """Distinct `METHOD /api/path` with ids, names and query values folded to placeholders."""
    seen: dict[str, None] = {}
    for call in calls:
        path = re.sub(r"/jobs/[0-9a-zA-Z_-]{8,}", "/jobs/{id}", call["path"].split("?")[0])
        path = re.sub(r"/providers/(?!default$)[^/]+", "/providers/{name}", path)
        query = (
            "?" + "&".join(sorted(k.split("=")[0] for k in call["path"].split("?")[1].split("&")))
            if "?" in call["path"]
            else ""
        )
        seen[f"{call['method']} {path}{query} -> {call['status']}"] = None
    return sorted(seen)


def settle(page: Any, watch: Watch, shot: Path | None = None) -> None:
    """No error toast on screen and nothing wrong since the last check."""
    page.wait_for_timeout(300)
    toasts = page.locator("[data-sonner-toast][data-type='error']")
    texts = [toasts.nth(i).inner_text() for i in range(toasts.count())]
    if shot is not None:
        page.screenshot(path=str(shot))
    problems = watch.since_mark()
    assert not texts and not problems, {"error_toasts": texts, "problems": problems}


def tid(page: Any, name: str) -> Any:
    return page.locator(f"[data-testid='{name}']")


def text_is(page: Any, name: str, value: str) -> None:
    """Wait until the element with data-testid `name` reads exactly `value` (a job runs to its end)."""
    page.wait_for_function(
        "([sel, v]) => document.querySelector(sel)?.textContent === v",
        arg=[f"[data-testid='{name}']", value],
        timeout=DONE,
    )


def image_loaded(page: Any, selector: str) -> bool:
    return bool(
        page.wait_for_function(
            "sel => { const i = document.querySelector(sel); return i && i.complete && i.naturalWidth > 0; }",
            arg=selector,
            timeout=DONE,
        )
    )


def test_sign_in_through_the_token_gate(
    page: Any, app_stack: tuple[Stack, GatewayProc], watch: Watch, screenshots: Path
) -> None:
    _, gw = app_stack
    page.goto(gw.url + "/")
    gate = page.get_by_placeholder("访问令牌")
    gate.wait_for()
    page.screenshot(path=str(screenshots / "upstream-app-01-gate.png"))
    gate.fill("not-the-token-" + "x" * 30)
    watch.expected.add(("POST", "/api/session", 401))  # the refused sign-in is the point here
    page.get_by_role("button", name="进入").click()
    page.get_by_text("访问令牌不正确。").wait_for()
    watch.expected.clear()
    gate.fill(TOKEN)
    page.get_by_role("button", name="进入").click()
    tid(page, "nav-generate").wait_for()
    page.wait_for_function("() => !document.querySelector(\"[data-testid='config-overlay']\")")
    options = tid(page, "gen-provider").locator("option").all_inner_texts()
    assert {"fake", "openai", "codex"} <= set(options), options
    assert tid(page, "gen-provider").input_value() == "fake"
    settle(page, watch, screenshots / "upstream-app-02-signed-in.png")


def test_generate_to_completion_with_the_image_shown(
    page: Any, app_stack: tuple[Stack, GatewayProc], watch: Watch, screenshots: Path
) -> None:
    stack, _ = app_stack
    before = len(stack.upstream.requests_to(GENERATIONS_PATH))
    tid(page, "nav-generate").click()
    tid(page, "gen-prompt").fill("a lighthouse at dusk, upstream app")
    tid(page, "gen-run").click()
    text_is(page, "gen-status", "completed")
    assert image_loaded(page, "[data-testid='gen-output']")
    types = tid(page, "gen-events").locator("li").evaluate_all("els => els.map(e => e.dataset.type)")
    assert types[0] == "job.queued" and types[-1] == "job.completed" and len(types) >= 3, types
    assert len(stack.upstream.requests_to(GENERATIONS_PATH)) == before + 1
    src = tid(page, "gen-output").get_attribute("src")
    assert src.startswith("/api/"), src  # no server path reaches the page
    # The recent gallery (useJobs: first page + active) shows the job through jobOutputUrl, and
    # the job's metadata carries what the app sent in `metadata` (size and n for its placeholders).
    tile = tid(page, "gen-recent-tile").first
    tile.wait_for()
    assert tile.get_attribute("data-size") == "1024x1024" and tile.get_attribute("data-n") == "1"
    assert image_loaded(page, "[data-testid='gen-recent-tile']")
    settle(page, watch, screenshots / "upstream-app-03-generated.png")


def test_edit_with_a_reference_and_a_mask(
    page: Any, app_stack: tuple[Stack, GatewayProc], watch: Watch, screenshots: Path
) -> None:
    stack, _ = app_stack
    before = len(stack.upstream.requests_to(EDITS_PATH))
    tid(page, "nav-edit").click()
    assert tid(page, "edit-region-mode").inner_text() == "native-mask"
    tid(page, "edit-refs").set_input_files(
        [{"name": "scene.png", "mimeType": "image/png", "buffer": png_bytes(64, 64)}]
    )
    tid(page, "edit-mode").select_option("region")
    mask = png_bytes(64, 64, (0, 0, 0, 0), mode="RGBA")
    tid(page, "edit-mask").set_input_files([{"name": "mask.png", "mimeType": "image/png", "buffer": mask}])
    tid(page, "edit-prompt").fill("paint the disc gold")
    tid(page, "edit-run").click()
    text_is(page, "edit-status", "completed")
    assert image_loaded(page, "[data-testid='edit-output']")
    sent = stack.upstream.requests_to(EDITS_PATH)[before]
    names = [part.name for part in sent.files]
    assert "mask" in names and any(n.startswith("image") for n in names), names
    settle(page, watch, screenshots / "upstream-app-04-edited.png")


def test_history_pages_and_merges_active_jobs(
    page: Any, app_stack: tuple[Stack, GatewayProc], watch: Watch, screenshots: Path
) -> None:
    stack, _ = app_stack
    # Three more jobs so the history has a second page (the screen asks for 3 a page).
    tid(page, "nav-generate").click()
    for i in range(3):
        tid(page, "gen-prompt").fill(f"history filler {i}")
        tid(page, "gen-run").click()
        text_is(page, "gen-status", "completed")
    tid(page, "nav-history").click()
    tid(page, "history-row").first.wait_for()
    assert tid(page, "history-row").count() == 3
    assert "共 5" in tid(page, "history-total").inner_text()
    tid(page, "history-more").click()
    page.wait_for_function("() => document.querySelectorAll(\"[data-testid='history-row']\").length === 5")
    assert tid(page, "history-more").count() == 0
    # The edit job: its outputs and its reference image through the URLs the job carries.
    tid(page, "history-row").filter(has_text="images edit").first.locator("button").click()
    tid(page, "history-drawer").wait_for()
    assert tid(page, "drawer-status").inner_text() == "completed"
    assert int(tid(page, "drawer-events").inner_text()) >= 3
    assert image_loaded(page, "[data-testid='drawer-output']")
    assert image_loaded(page, "[data-testid='drawer-ref']")
    settle(page, watch, screenshots / "upstream-app-05-history.png")
    # Downloads: one output (a link to /api/jobs/{id}/outputs/0) and the whole job (the app
    # fetches every output and zips them in the page).
    with page.expect_download() as one:
        tid(page, "drawer-download-one").click()
    assert one.value.suggested_filename.endswith(".png"), one.value.suggested_filename
    with page.expect_download() as everything:
        tid(page, "drawer-download-all").click()
    assert everything.value.suggested_filename.endswith(".zip")
    assert b"\x89PNG" in Path(everything.value.path()).read_bytes()  # a stored zip keeps the PNG bytes as they are
    settle(page, watch)
    tid(page, "drawer-delete").click()
    page.wait_for_function("() => document.querySelectorAll(\"[data-testid='history-row']\").length === 4")
    settle(page, watch)
    # Filter and search go to the server (status=, q=) and page as before.
    tid(page, "history-filter").select_option("completed")
    page.wait_for_function("() => document.querySelectorAll(\"[data-testid='history-row']\").length === 3")
    assert set(tid(page, "history-row").evaluate_all("els => els.map(e => e.dataset.status)")) == {"completed"}
    tid(page, "history-filter").select_option("all")
    tid(page, "history-query").fill("filler 1")
    page.wait_for_function("() => document.querySelectorAll(\"[data-testid='history-row']\").length === 1")
    tid(page, "history-query").fill("")
    settle(page, watch)
    assert any(r.path == GENERATIONS_PATH for r in stack.upstream.requests)


def test_a_failed_job_is_shown_and_retried(
    page: Any, app_stack: tuple[Stack, GatewayProc], watch: Watch, screenshots: Path
) -> None:
    stack, _ = app_stack
    stack.upstream.faults(
        Fault.fail(
            400, path=GENERATIONS_PATH, body='{"error": {"message": "bad prompt", "type": "invalid_request_error"}}'
        )
    )
    tid(page, "nav-generate").click()
    tid(page, "gen-prompt").fill("this one fails upstream")
    tid(page, "gen-run").click()
    text_is(page, "gen-status", "failed")
    settle(page, watch)  # submitting worked; the job failed upstream: no error toast for the submit
    tid(page, "nav-history").click()
    tid(page, "history-filter").select_option("failed")
    page.wait_for_function("() => document.querySelectorAll(\"[data-testid='history-row']\").length === 1")
    tid(page, "history-row").first.locator("button").click()
    text_is(page, "drawer-status", "failed")
    # The drawer's error block reads job.error {code, message}; its "advanced" block prints the
    # whole job: no server path and no secret in it.
    assert tid(page, "drawer-error-code").inner_text().strip() != ""
    assert "HTTP 400" in tid(page, "drawer-error").inner_text()
    assert "bad prompt" in (tid(page, "drawer-error-detail").text_content() or "")  # the body, as detail
    dumped = tid(page, "drawer-json").text_content()
    assert str(stack.engine.home) not in dumped and "sk-test" not in dumped, dumped[:400]
    tid(page, "drawer-retry").click()
    page.locator("[data-sonner-toast][data-type='success']").filter(has_text="已重新提交").first.wait_for()
    tid(page, "history-filter").select_option("all")
    page.wait_for_function(
        "() => [...document.querySelectorAll(\"[data-testid='history-row']\")].some(e => e.dataset.status === 'completed' && e.textContent.includes('images generate'))"
    )
    settle(page, watch, screenshots / "upstream-app-06b-retried.png")


def test_providers_add_edit_keep_secret_default_test_delete(
    page: Any, app_stack: tuple[Stack, GatewayProc], watch: Watch, screenshots: Path
) -> None:
    """The upstream's own providers screen and add/edit dialog (found by their labels)."""
    stack, _ = app_stack
    tid(page, "nav-providers").click()
    screen = page.locator("main > section:not([hidden])")
    screen.get_by_role("button", name="添加", exact=True).click()
    dialog = page.get_by_role("dialog", name="添加凭证")
    dialog.get_by_placeholder("例如 my-image-api").fill("second")
    dialog.get_by_placeholder("https://example.com/v1").fill(stack.upstream.openai_base)
    dialog.get_by_placeholder("sk-…").fill("sk-test")
    dialog.get_by_role("button", name="添加并设为默认").click()
    toast_says(page, "凭证已添加")
    use_the_new_provider(page, stack, watch)
    row = screen.get_by_text("second", exact=True)
    row.click()
    screen.get_by_role("button", name="查看密钥").wait_for()  # the key is stored: shown as present
    # Edit without retyping the key: the dialog sends {source: "file"} and the stored key stays.
    screen.get_by_role("button", name="编辑凭证 second").click()
    dialog = page.get_by_role("dialog", name="编辑凭证")
    dialog.get_by_placeholder("gpt-image-2").fill("gpt-image-2-edited")
    dialog.get_by_role("radiogroup", name="局部编辑模式").get_by_role("radio", name="精确遮罩").click()
    dialog.get_by_role("button", name="保存修改").click()
    toast_says(page, "凭证已更新")
    screen.get_by_text("精确遮罩").wait_for()
    screen.get_by_text("gpt-image-2-edited").first.wait_for()
    screen.get_by_role("button", name="查看密钥").wait_for()
    # Reveal: the gateway never sends the secret back; the app shows the mask and no error.
    screen.get_by_role("button", name="查看密钥").click()
    page.wait_for_timeout(300)
    assert "sk-test" not in page.content()
    screen.get_by_role("button", name="测试连接").click()
    toast_says(page, "连接正常")
    settle(page, watch, screenshots / "upstream-app-06-providers.png")
    # The built-in `openai` entry's key comes from the engine's OPENAI_API_KEY. Saving it from the
    # dialog names that variable as a key source, which a web client may do only when the operator
    # lists it in GPT_IMAGE_2_KEY_ENV_ALLOWLIST (the writer also picks where the key goes): the app
    # shows the refusal with that advice and keeps the dialog open.
    watch.expected.add(("PUT", "/api/providers/openai", 403))
    screen.get_by_role("button", name="编辑凭证 openai").click()
    dialog = page.get_by_role("dialog", name="编辑凭证")
    dialog.get_by_role("button", name="保存修改").click()
    refusal = page.locator("[data-sonner-toast][data-type='error']").filter(has_text="保存失败")
    refusal.first.wait_for()
    assert "GPT_IMAGE_2_KEY_ENV_ALLOWLIST" in refusal.first.inner_text()
    refusal.first.get_by_role("button").first.click()  # sonner's close button
    refusal.first.wait_for(state="detached")
    dialog.get_by_role("button", name="取消").click()
    watch.expected.clear()
    settle(page, watch)
    screen.get_by_text("fake", exact=True).click()
    screen.get_by_role("button", name="设为默认").click()
    toast_says(page, "默认凭证已更新")
    screen.get_by_text("second", exact=True).click()
    screen.get_by_role("button", name="删除凭证").click()
    toast_says(page, "凭证已删除")
    screen.get_by_text("second", exact=True).wait_for(state="detached")
    assert tid(page, "gen-provider").input_value() == "fake"
    settle(page, watch)


def use_the_new_provider(page: Any, stack: Stack, watch: Watch) -> None:
    """The provider just added (the dialog's defaults: "App 自动并行", "软选区参考") is the default now:
    two images at once, and a region edit whose selection goes as one more reference (no mask)."""
    tid(page, "nav-generate").click()
    assert tid(page, "gen-provider").input_value() == "second"
    tid(page, "gen-n").select_option("2")
    tid(page, "gen-prompt").fill("two at once through the new provider")
    tid(page, "gen-run").click()
    text_is(page, "gen-status", "completed")
    page.wait_for_function(
        "() => { const imgs = [...document.querySelectorAll(\"[data-testid='gen-output']\")];"
        " return imgs.length === 2 && imgs.every(i => i.complete && i.naturalWidth > 0); }",
        timeout=DONE,
    )
    tid(page, "gen-n").select_option("1")
    before = len(stack.upstream.requests_to(EDITS_PATH))
    tid(page, "nav-edit").click()
    assert tid(page, "edit-region-mode").inner_text() == "reference-hint"
    tid(page, "edit-prompt").fill("soft selection through the new provider")
    with page.expect_response(lambda r: r.url.endswith("/api/images/edit")):
        tid(page, "edit-run").click()
    wait_for(lambda: len(stack.upstream.requests_to(EDITS_PATH)) > before, timeout=DONE / 1000)
    text_is(page, "edit-status", "completed")
    sent = stack.upstream.requests_to(EDITS_PATH)[before]
    names = [part.name for part in sent.files]
    assert "mask" not in names and len([n for n in names if n.startswith("image")]) == 2, names
    settle(page, watch)
    tid(page, "nav-providers").click()


def toast_says(page: Any, text: str) -> None:
    page.locator("[data-sonner-toast][data-type='success']").filter(has_text=text).first.wait_for()


def test_settings_save_and_reload(
    page: Any, app_stack: tuple[Stack, GatewayProc], watch: Watch, screenshots: Path, tmp_path: Path
) -> None:
    _, gw = app_stack
    storage_dir = tmp_path / "copies"
    storage_dir.mkdir()
    tid(page, "nav-settings").click()
    assert tid(page, "notif-caps").inner_text().startswith("{")
    box = tid(page, "notif-enabled")
    was = box.is_checked()
    box.click()
    page.wait_for_function(
        f"() => document.querySelector(\"[data-testid='notif-enabled']\")?.checked === {str(not was).lower()}"
    )
    tid(page, "notif-test").click()
    for name in ("paths-save", "storage-save"):
        tid(page, name).click()
    assert tid(page, "queue").inner_text() != ""
    # The upstream's own logs panel: the engine's log, a level filter, the log folder, debug on.
    logs = page.get_by_role("list", name="日志")
    logs.locator("li").first.wait_for()
    # The level is a floor (info shows info, warn and error), as upstream.
    with page.expect_response(lambda r: "/api/logs?" in r.url and "level=info" in r.url):
        page.get_by_role("radiogroup", name="日志级别过滤").get_by_role("radio", name="信息").click()
    page.wait_for_function("() => !document.querySelector(\"ul[aria-label='日志'] li[data-level='debug']\")")
    assert logs.locator("li").count() > 0
    page.get_by_role("button", name="日志目录").click()
    page.locator("[data-sonner-toast]").filter(has_text="日志目录").first.wait_for()
    page.get_by_role("switch", name="详细日志（调试）").click()
    # The upstream's own proxy panel: a custom proxy with a bypass list, then direct again.
    proxy = page.get_by_role("region", name="网络代理")
    proxy.get_by_role("radio", name="自定义").click()
    proxy.get_by_label("代理地址").fill("http://127.0.0.1:9")
    proxy.get_by_label("绕过代理的主机").fill("localhost, 127.0.0.1")
    proxy.get_by_role("button", name="保存").click()
    page.locator("[data-sonner-toast][data-type='success']").filter(has_text="代理设置已保存").first.wait_for()
    saved = page.evaluate("() => fetch('/api/config').then(r => r.json())")
    assert saved["proxy"]["mode"] == "custom" and saved["proxy"]["no_proxy"] == ["localhost", "127.0.0.1"]
    assert saved["logging"]["debug"] is True
    assert saved["notifications"]["webhooks"][0]["url"] == "https://hooks.example.com/x"
    proxy.get_by_role("radio", name="直连").click()
    proxy.get_by_role("button", name="保存").click()
    page.wait_for_function("() => fetch('/api/config').then(r => r.json()).then(c => c.proxy.mode === 'none')")
    tid(page, "queue-3").click()
    page.wait_for_function("() => document.querySelector(\"[data-testid='queue']\")?.textContent.endsWith('/3')")
    tid(page, "storage-dir").fill(str(storage_dir))
    tid(page, "storage-add-local").click()
    page.locator("[data-sonner-toast]").filter(has_text="保存存储成功").first.wait_for()
    tid(page, "storage-test").click()
    page.locator("[data-sonner-toast][data-type='success']").filter(has_text="存储").first.wait_for()
    settle(page, watch, screenshots / "upstream-app-07-settings.png")
    page.reload()
    tid(page, "nav-settings").wait_for()  # the session cookie carries the sign-in over the reload
    tid(page, "nav-settings").click()
    page.wait_for_function(
        f"() => document.querySelector(\"[data-testid='notif-enabled']\")?.checked === {str(not was).lower()}"
    )
    settle(page, watch, screenshots / "upstream-app-08-reloaded.png")
    assert gw.proc.poll() is None


def test_a_queued_job_is_cancelled(
    page: Any, app_stack: tuple[Stack, GatewayProc], watch: Watch, screenshots: Path
) -> None:
    stack, _ = app_stack
    tid(page, "nav-settings").click()
    tid(page, "queue-1").click()
    page.wait_for_function("() => document.querySelector(\"[data-testid='queue']\")?.textContent.endsWith('/1')")
    stack.upstream.faults(Fault.slow(4.0, path=GENERATIONS_PATH))
    tid(page, "nav-generate").click()
    for prompt in ("slow first", "queued second"):
        tid(page, "gen-prompt").fill(prompt)
        tid(page, "gen-run").click()
        page.locator("[data-sonner-toast]").filter(has_text="已开始生成").first.wait_for()
    tid(page, "nav-history").click()
    # Both jobs are active: the running one and the queued one are merged on top of the first page.
    queued = page.locator("[data-testid='history-row'][data-status='queued']")
    queued.first.wait_for()
    assert page.locator("[data-testid='history-row'][data-status='running']").count() == 1
    queued.first.locator("button").click()
    tid(page, "drawer-cancel").click()
    text_is(page, "drawer-status", "cancelled")
    settle(page, watch, screenshots / "upstream-app-09-cancelled.png")
