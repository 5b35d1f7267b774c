"""The upstream's own web app (HTTP-mode build) served by `gpt-image-2-web` in front of a real
engine and the fake upstream, driven in Chromium: sign in through the token gate, generate
(n=1, n=2, progress while a job runs), edit with a reference and a painted mask (native mask) or
soft selection, history (pages, filter, search, active jobs merged on top, the detail drawer,
downloads, delete, a failed job and its retry, cancel), credentials, the task/notification,
storage, proxy and logs settings, and a reload.

The app is not part of this repository. Build it (docs/web.md, "Use the upstream app") and point
GPT_IMAGE_2_UPSTREAM_APP_DIST at its `dist/`; without it these tests skip. Every step finds the
app's controls by the labels, roles and texts its screens render (its Chinese UI; the browser
runs with the zh-CN locale). Three things come from the rebuild this was written against (see
docs/web.md): the storage panel's labels, and the history page size of 3 set through
`window.__GPT_IMAGE_2_HISTORY_PAGE_SIZE__` before the app starts.

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
PAGE_SIZE = 3  # the history screen's page size for this run (the app reads it at start-up)


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
        if response.status >= 400 and (call["method"], parts.path, response.status) not in self.expected:
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
    context = browser.new_context(viewport={"width": 1440, "height": 960}, locale="zh-CN", accept_downloads=True)
    context.add_init_script(f"window.__GPT_IMAGE_2_HISTORY_PAGE_SIZE__ = {PAGE_SIZE};")
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
        path = re.sub(r"/jobs/(?!active$|interrupted$)[0-9a-zA-Z_-]{8,}", "/jobs/{id}", call["path"].split("?")[0])
        path = re.sub(r"/providers/(?!default$)[^/]+", "/providers/{name}", path)
        path = re.sub(r"/storage/[^/]+/test", "/storage/{name}/test", path)
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


# --- the app's own controls -------------------------------------------------------------------


def nav(page: Any, label: str) -> None:
    """A top-nav tab ("生成", "编辑", "任务", "设置"); a running-count badge may follow the label."""
    page.locator("header").first.get_by_role("button", name=re.compile(f"^{label}")).click()


def screen(page: Any) -> Any:
    return page.locator("main > section:not([hidden])")


def toast_says(page: Any, text: str, kind: str = "success") -> None:
    page.locator(f"[data-sonner-toast][data-type='{kind}']").filter(has_text=text).first.wait_for()


def settings_tab(page: Any, label: str) -> None:
    nav(page, "设置")
    screen(page).locator("aside").get_by_role("button", name=label, exact=True).click()


def row_checkbox(scope: Any, title: str) -> Any:
    """The switch of a settings row (the app's Toggle: a visually hidden checkbox in a label)."""
    return scope.locator(f"xpath=.//div[div/div[normalize-space(.)='{title}']]//input[@type='checkbox']").first


def section_checkbox(scope: Any, title: str) -> Any:
    return scope.locator(f"xpath=.//section[header//div[normalize-space(.)='{title}']]/header//input[@type='checkbox']")


def flip(box: Any) -> None:
    box.locator("xpath=ancestor::label[1]").click()


def image_loaded(page: Any, selector: str) -> bool:
    return bool(
        page.wait_for_function(
            "sel => { const i = document.querySelector(sel); return i && i.complete && i.naturalWidth > 0; }",
            arg=selector,
            timeout=DONE,
        )
    )


def api_get(page: Any, path: str) -> Any:
    return page.evaluate("p => fetch(p).then(r => r.json())", path)


def until_api(page: Any, path: str, check: Any, timeout: float = DONE / 1000) -> Any:
    """Poll a GET /api answer (through the page, with its session) until `check` holds."""
    box: dict[str, Any] = {}

    def ready() -> bool:
        box["value"] = api_get(page, path)
        return bool(check(box["value"]))

    wait_for(ready, timeout=timeout, interval=0.3)
    return box["value"]


def wait_job(page: Any, job_id: str, status: str) -> dict[str, Any]:
    return dict(until_api(page, f"/api/jobs/{job_id}", lambda b: b["job"]["status"] == status)["job"])


def generate(page: Any, prompt: str) -> str:
    """Type a prompt on the generate screen and press its CTA; the job id the server answered."""
    nav(page, "生成")
    form = page.get_by_role("region", name="生成表单")
    form.get_by_label("生成提示词").fill(prompt)
    with page.expect_response(lambda r: r.url.endswith("/api/images/generate") and r.request.method == "POST") as resp:
        form.get_by_role("button", name="生成", exact=True).last.click()
    return str(resp.value.json()["job_id"])


def history_rows(page: Any) -> Any:
    return screen(page).locator("[aria-expanded]")


def history_count(page: Any, n: int) -> None:
    page.wait_for_function(
        "n => document.querySelectorAll('main > section:not([hidden]) [aria-expanded]').length === n",
        arg=n,
        timeout=DONE,
    )


# --- the steps ---------------------------------------------------------------------------------


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
    page.get_by_role("region", name="生成表单").wait_for()
    page.get_by_text("加载配置中…").wait_for(state="detached")
    # The credentials panel lists the configured provider and the built-ins; `fake` is in use.
    settings_tab(page, "凭证")
    for name in ("fake", "openai", "codex"):
        screen(page).get_by_role("button", name=f"编辑 {name}").wait_for()
    fake_card = screen(page).locator("div.rounded-xl", has=page.get_by_text("fake", exact=True)).last
    assert "当前使用" in fake_card.inner_text()
    settle(page, watch, screenshots / "upstream-app-02-signed-in.png")


def test_generate_to_completion_with_the_image_shown(
    page: Any, app_stack: tuple[Stack, GatewayProc], watch: Watch, screenshots: Path
) -> None:
    stack, _ = app_stack
    before = len(stack.upstream.requests_to(GENERATIONS_PATH))
    # The upstream call is held until the running job was seen: the pending tile and the nav badge.
    held = Fault.hold(path=GENERATIONS_PATH)
    stack.upstream.faults(held)
    prompt = "a lighthouse at dusk, upstream app"
    job_id = generate(page, prompt)
    toast_says(page, "已开始生成")
    screen(page).get_by_label("生成中").first.wait_for()
    running_tab = page.locator("header").first.get_by_role("button", name="任务 1 个任务进行中")
    running_tab.wait_for()
    page.screenshot(path=str(screenshots / "upstream-app-03a-running.png"))
    held.release()
    tile = screen(page).get_by_role("button", name=f"打开作品 1:{prompt[:40]}")
    tile.locator("img").wait_for(timeout=DONE)
    assert image_loaded(page, "main > section:not([hidden]) [role='button'][aria-label^='打开作品 1:a lighthouse'] img")
    src = tile.locator("img").get_attribute("src")
    assert src.startswith(f"/api/jobs/{job_id}/outputs/"), src  # no server path reaches the page
    assert len(stack.upstream.requests_to(GENERATIONS_PATH)) == before + 1
    # What the screen sent in `metadata` (its gallery placeholders read size and n) is on the job.
    job = wait_job(page, job_id, "completed")
    assert job["metadata"]["size"] == "1024x1024" and job["metadata"]["n"] == 1, job["metadata"]
    running_tab.wait_for(state="detached")
    settle(page, watch, screenshots / "upstream-app-03-generated.png")


def paint_region_and_apply(page: Any, prompt: str) -> None:
    """On the edit screen in region mode: paint a stroke on the mask canvas, type the prompt, apply."""
    canvas = screen(page).get_by_role("application", name=re.compile("^选区绘制画布"))
    box = canvas.bounding_box()
    assert box is not None
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(cx - box["width"] / 6, cy)
    page.mouse.down()
    for step in range(1, 9):
        page.mouse.move(cx - box["width"] / 6 + step * box["width"] / 24, cy + step * 2)
    page.mouse.up()
    screen(page).get_by_placeholder("描述目标图选区里要变成什么...").fill(prompt)
    with page.expect_response(lambda r: r.url.endswith("/api/images/edit") and r.request.method == "POST"):
        screen(page).get_by_role("button", name="应用", exact=True).click()


def wait_edit_output(page: Any, screenshots: Path | None = None) -> None:
    """The edit screen's output drawer: its launcher reads "输出 · 1 张" once the job is done."""
    launcher = screen(page).get_by_role("button", name="打开输出抽屉")
    page.wait_for_function(
        "() => [...document.querySelectorAll('main > section:not([hidden]) button[aria-label=\"打开输出抽屉\"]')]"
        ".some(b => b.textContent.includes('输出 · 1 张'))",
        timeout=DONE,
    )
    launcher.click()
    drawer = page.get_by_role("dialog", name="输出 · 1 张")
    drawer.wait_for()
    assert image_loaded(page, "[role='dialog'] img[alt='候选 A']")
    if screenshots is not None:
        page.screenshot(path=str(screenshots))
    drawer.get_by_role("button", name="关闭输出抽屉").click()
    drawer.wait_for(state="detached")


def test_edit_with_a_reference_and_a_mask(
    page: Any, app_stack: tuple[Stack, GatewayProc], watch: Watch, screenshots: Path
) -> None:
    stack, _ = app_stack
    before = len(stack.upstream.requests_to(EDITS_PATH))
    nav(page, "编辑")
    screen(page).locator("input[type=file]").set_input_files(
        [{"name": "scene.png", "mimeType": "image/png", "buffer": png_bytes(64, 64)}]
    )
    screen(page).get_by_role("button", name="查看参考图 1: scene.png").wait_for()
    screen(page).get_by_role("radiogroup", name="编辑模式").get_by_role("radio", name="局部编辑").click()
    # The app explains region edits once (its own onboarding dialog).
    onboarding = page.get_by_role("dialog", name="局部编辑模式")
    onboarding.get_by_role("button", name="我懂了").click()
    onboarding.wait_for(state="detached")
    paint_region_and_apply(page, "paint the disc gold")
    # `fake` edits with a native mask (its edit region mode): the toast names it.
    page.locator("[data-sonner-toast][data-type='success']").filter(has_text="已开始编辑").filter(
        has_text="精确遮罩"
    ).first.wait_for()
    wait_edit_output(page, screenshots / "upstream-app-04-edited.png")
    sent = stack.upstream.requests_to(EDITS_PATH)[before]
    names = [part.name for part in sent.files]
    assert "mask" in names and any(n.startswith("image") for n in names), names
    settle(page, watch)


def test_history_pages_drawer_downloads_delete_filter_search(
    page: Any, app_stack: tuple[Stack, GatewayProc], watch: Watch, screenshots: Path
) -> None:
    # Three more jobs so the history has a second page (PAGE_SIZE a page).
    for i in range(3):
        wait_job(page, generate(page, f"history filler {i}"), "completed")
    nav(page, "任务")
    history_count(page, PAGE_SIZE)
    assert screen(page).get_by_label("任务总数").inner_text() == "5"
    screen(page).get_by_role("button", name="加载更多").click()
    history_count(page, 5)
    assert screen(page).get_by_role("button", name="加载更多").count() == 0
    # The edit job: expand its row, its reference image and its output through the job's URLs.
    row = history_rows(page).filter(has_text="paint the disc gold")
    row.click()
    expanded = row.locator("xpath=..")
    assert image_loaded(page, "main > section:not([hidden]) img[alt='参考图 1']")
    expanded.get_by_role("button", name="查看第 A 张").click()
    drawer = page.get_by_role("dialog", name="作品详情")
    drawer.wait_for()
    assert image_loaded(page, "[role='dialog'] img[alt='第 A 张']")
    assert "images edit" in drawer.inner_text()
    settle(page, watch, screenshots / "upstream-app-05-history.png")
    # Downloads: the drawer's "download image" and the row's "download" (one output each).
    with page.expect_download() as one:
        drawer.get_by_role("button", name="下载图片").click()
    assert one.value.suggested_filename.endswith(".png"), one.value.suggested_filename
    assert Path(one.value.path()).read_bytes().startswith(b"\x89PNG")
    toast_says(page, "已开始下载图片")
    settle(page, watch)
    # Delete from the drawer: the app asks first, then the row goes.
    drawer.get_by_role("button", name="删除任务").click()
    confirm = page.get_by_role("dialog", name="删除任务？")
    confirm.get_by_role("button", name="删除任务").click()
    history_count(page, 4)
    settle(page, watch)
    # Filter and search go to the server (status=, q=) and page as before.
    screen(page).get_by_role("button", name="已完成", exact=True).click()
    history_count(page, 3)
    screen(page).get_by_role("button", name="全部", exact=True).click()
    screen(page).get_by_label("搜索任务").fill("filler 1")
    history_count(page, 1)
    screen(page).get_by_role("button", name="清空搜索").click()
    history_count(page, 4)  # the unfiltered list as it was: both pages (the app keeps them)
    assert any("q=filler" in call["path"] for call in watch.calls)
    settle(page, watch)


def test_a_failed_job_is_shown_and_retried(
    page: Any, app_stack: tuple[Stack, GatewayProc], watch: Watch, screenshots: Path
) -> None:
    stack, _ = app_stack
    stack.upstream.faults(
        Fault.fail(
            400, path=GENERATIONS_PATH, body='{"error": {"message": "bad prompt", "type": "invalid_request_error"}}'
        )
    )
    job_id = generate(page, "this one fails upstream")
    wait_job(page, job_id, "failed")
    settle(page, watch)  # submitting worked; the job failed upstream: no error toast for the submit
    nav(page, "任务")
    screen(page).get_by_role("button", name="失败/部分失败", exact=True).click()
    history_count(page, 1)
    row = history_rows(page).first
    row.click()
    expanded = row.locator("xpath=..")
    expanded.get_by_text("任务失败", exact=True).wait_for()
    assert "HTTP 400" in expanded.inner_text()
    assert str(stack.engine.home) not in expanded.inner_text()
    page.screenshot(path=str(screenshots / "upstream-app-06a-failed.png"))
    # The row's retry: the app asks the server to resubmit (POST /api/jobs/{id}/resume).
    with page.expect_response(lambda r: r.url.endswith(f"/api/jobs/{job_id}/resume")):
        row.get_by_role("button", name="重新生成").click()
    toast_says(page, "已重新生成")
    screen(page).get_by_role("button", name="全部", exact=True).click()
    page.wait_for_function(
        "() => [...document.querySelectorAll('main > section:not([hidden]) [aria-expanded]')]"
        ".some(e => e.textContent.includes('this one fails upstream') && e.textContent.includes('已完成'))",
        timeout=DONE,
    )
    settle(page, watch, screenshots / "upstream-app-06b-retried.png")


def test_credentials_add_edit_keep_secret_default_test_delete(
    page: Any, app_stack: tuple[Stack, GatewayProc], watch: Watch, screenshots: Path
) -> None:
    """The upstream's own credentials panel and add/edit dialog."""
    stack, _ = app_stack
    settings_tab(page, "凭证")
    panel = screen(page)
    panel.get_by_role("button", name="添加凭证").click()
    dialog = page.get_by_role("dialog", name="添加凭证")
    dialog.get_by_placeholder("例如 my-image-api").fill("second")
    dialog.get_by_placeholder("https://example.com/v1").fill(stack.upstream.openai_base)
    dialog.get_by_placeholder("sk-…").fill("sk-test")
    dialog.get_by_role("button", name="添加并设为默认").click()
    toast_says(page, "凭证已添加")
    card = panel.locator("div.rounded-xl", has=page.get_by_role("button", name="编辑 second")).last
    assert "当前使用" in card.inner_text()
    assert "已保存" in card.inner_text()  # the key is stored: shown as present, never echoed
    assert "sk-test" not in page.content()
    use_the_new_provider(page, stack, watch)
    # Edit without retyping the key: the dialog sends the key back empty and the stored one stays.
    settings_tab(page, "凭证")
    panel.get_by_role("button", name="编辑 second").click()
    dialog = page.get_by_role("dialog", name="编辑凭证")
    dialog.get_by_placeholder("gpt-image-2").fill("gpt-image-2-edited")
    dialog.get_by_role("radiogroup", name="局部编辑模式").get_by_role("radio", name="精确遮罩").click()
    dialog.get_by_role("button", name="保存修改").click()
    toast_says(page, "凭证已更新")
    card.get_by_text("gpt-image-2-edited").wait_for()
    assert "已保存" in card.inner_text()
    panel.get_by_role("button", name="测试 second 的连接").click()
    toast_says(page, "连接正常")
    settle(page, watch, screenshots / "upstream-app-07-credentials.png")
    # The built-in `openai` entry's key comes from the engine's OPENAI_API_KEY. Saving it from the
    # dialog names that variable as a key source, which a web client may do only when the operator
    # lists it in GPT_IMAGE_2_KEY_ENV_ALLOWLIST: the app shows the refusal and keeps the dialog open.
    watch.expected.add(("PUT", "/api/providers/openai", 403))
    panel.get_by_role("button", name="编辑 openai").click()
    dialog = page.get_by_role("dialog", name="编辑凭证")
    dialog.get_by_role("button", name="保存修改").click()
    refusal = page.locator("[data-sonner-toast][data-type='error']").filter(has_text="保存失败")
    refusal.first.wait_for()
    assert "GPT_IMAGE_2_KEY_ENV_ALLOWLIST" in refusal.first.inner_text()
    refusal.first.wait_for(state="detached", timeout=DONE)  # the app's toasts time out
    dialog.get_by_role("button", name="取消").click()
    watch.expected.clear()
    settle(page, watch)
    fake_card = panel.locator("div.rounded-xl", has=page.get_by_role("button", name="编辑 fake")).last
    fake_card.get_by_role("button", name="使用").click()
    toast_says(page, "默认凭证已更新")
    panel.get_by_role("button", name="删除 second").click()
    page.get_by_role("dialog", name="删除凭证「second」").get_by_role("button", name="删除", exact=True).click()
    toast_says(page, "凭证已删除")
    panel.get_by_role("button", name="编辑 second").wait_for(state="detached")
    assert "当前使用" in fake_card.inner_text()
    settle(page, watch)


def use_the_new_provider(page: Any, stack: Stack, watch: Watch) -> None:
    """The provider just added (the dialog's defaults: "App 自动并行", "软选区参考") is the default now:
    two images at once, and a region edit whose selection goes as one more reference (no mask)."""
    nav(page, "生成")
    form = page.get_by_role("region", name="生成表单")
    form.get_by_label("数量").fill("2")
    job_id = generate(page, "two at once through the new provider")
    job = wait_job(page, job_id, "completed")
    assert job["provider"] == "second" and len(job["outputs"]) == 2, job
    form.get_by_label("数量").fill("1")
    nav(page, "任务")
    row = history_rows(page).filter(has_text="two at once through the new provider")
    row.click()
    expanded = row.locator("xpath=..")
    for letter in ("A", "B"):
        expanded.get_by_role("button", name=f"查看第 {letter} 张").locator("img").wait_for()
    with page.expect_download() as zipped:
        expanded.get_by_role("button", name="下载 ZIP").click()
    assert zipped.value.suggested_filename.endswith(".zip")
    assert Path(zipped.value.path()).read_bytes().count(b"\x89PNG") == 2  # a stored zip keeps the PNGs
    before = len(stack.upstream.requests_to(EDITS_PATH))
    nav(page, "编辑")  # still in region mode, with the reference from the first edit
    paint_region_and_apply(page, "soft selection through the new provider")
    page.locator("[data-sonner-toast][data-type='success']").filter(has_text="已开始编辑").filter(
        has_text="软选区参考"
    ).first.wait_for()
    wait_for(lambda: len(stack.upstream.requests_to(EDITS_PATH)) > before, timeout=DONE / 1000)
    wait_edit_output(page)
    sent = stack.upstream.requests_to(EDITS_PATH)[before]
    names = [part.name for part in sent.files]
    assert "mask" not in names and len([n for n in names if n.startswith("image")]) == 2, names
    settle(page, watch)


def test_settings_save_and_reload(
    page: Any, app_stack: tuple[Stack, GatewayProc], watch: Watch, screenshots: Path, tmp_path: Path
) -> None:
    _, gw = app_stack
    storage_dir = tmp_path / "copies"
    storage_dir.mkdir()
    # Tasks: the queue size and the notification centre (the server offers webhooks and email).
    settings_tab(page, "任务")
    panel = screen(page)
    with page.expect_response(lambda r: r.url.endswith("/api/queue/concurrency")):
        panel.get_by_role("radiogroup", name="同时执行数").get_by_role("radio", name="3").click()
    until_api(page, "/api/queue", lambda q: q["max_parallel"] == 3)
    box = section_checkbox(panel, "通知中心")
    was = box.is_checked()
    flip(box)
    panel.get_by_role("button", name="添加 Webhook").click()
    panel.get_by_label("Webhook URL").fill("https://hooks.example.com/x")
    panel.get_by_role("button", name="保存", exact=True).click()
    toast_says(page, "通知中心已保存")
    panel.get_by_role("button", name="试发完成").click()
    page.locator("[data-sonner-toast]").filter(has_text=re.compile("试发|没有可发送的方式")).first.wait_for()
    # Storage: a server directory as a target, saved from the panel header, then tested.
    settings_tab(page, "存储")
    panel.get_by_label("服务器目录").fill(str(storage_dir))
    panel.get_by_role("button", name="添加", exact=True).click()
    panel.get_by_role("button", name="保存", exact=True).click()
    toast_says(page, "结果存储已保存")
    panel.get_by_role("button", name=re.compile("^测试 target-")).last.click()
    toast_says(page, "存储目标可用")
    panel.get_by_role("button", name="保存结果文件夹").click()
    toast_says(page, "结果文件夹已保存")
    # The upstream's own proxy panel: a custom proxy with a bypass list, then direct again.
    settings_tab(page, "网络代理")
    panel.get_by_role("radiogroup", name="代理模式").get_by_role("radio", name="自定义").click()
    panel.get_by_label("代理地址").fill("http://127.0.0.1:9")
    panel.get_by_label("绕过代理的主机").fill("localhost, 127.0.0.1")
    panel.get_by_role("button", name="保存", exact=True).click()
    toast_says(page, "代理设置已保存")
    # The upstream's own logs panel: the engine's log, a level filter (a floor), the log folder, debug.
    settings_tab(page, "日志")
    logs = page.get_by_role("list", name="日志")
    logs.locator("li").first.wait_for()
    with page.expect_response(lambda r: "/api/logs?" in r.url and "level=info" in r.url):
        panel.get_by_role("radiogroup", name="日志级别过滤").get_by_role("radio", name="信息").click()
    page.wait_for_function("() => !document.querySelector(\"ul[aria-label='日志'] li[data-level='debug']\")")
    assert logs.locator("li").count() > 0
    panel.get_by_role("button", name="日志目录").click()
    page.locator("[data-sonner-toast]").filter(has_text="日志目录").first.wait_for()
    with page.expect_response(lambda r: r.url.endswith("/api/logging")):
        flip(row_checkbox(panel, "详细日志（调试）"))
    saved = api_get(page, "/api/config")
    assert saved["proxy"]["mode"] == "custom" and saved["proxy"]["no_proxy"] == ["localhost", "127.0.0.1"]
    assert saved["logging"]["debug"] is True
    assert saved["notifications"]["enabled"] is (not was)
    assert saved["notifications"]["webhooks"][0]["url"] == "https://hooks.example.com/x"
    assert any(t.get("directory") == str(storage_dir) for t in saved["storage"]["targets"].values())
    settings_tab(page, "网络代理")
    panel.get_by_role("radiogroup", name="代理模式").get_by_role("radio", name="直连").click()
    panel.get_by_role("button", name="保存", exact=True).click()
    until_api(page, "/api/config", lambda c: c["proxy"]["mode"] == "none")
    settle(page, watch, screenshots / "upstream-app-08-settings.png")
    page.reload()
    page.get_by_text("加载配置中…").wait_for(state="detached")  # the session cookie carries the sign-in
    settings_tab(page, "任务")
    assert section_checkbox(screen(page), "通知中心").is_checked() is (not was)
    screen(page).get_by_label("Webhook URL").wait_for()
    assert screen(page).get_by_label("Webhook URL").input_value() == "https://hooks.example.com/x"
    settle(page, watch, screenshots / "upstream-app-09-reloaded.png")
    assert gw.proc.poll() is None


def test_a_queued_job_is_merged_into_history_and_cancelled(
    page: Any, app_stack: tuple[Stack, GatewayProc], watch: Watch, screenshots: Path
) -> None:
    stack, _ = app_stack
    settings_tab(page, "任务")
    with page.expect_response(lambda r: r.url.endswith("/api/queue/concurrency")):
        screen(page).get_by_role("radiogroup", name="同时执行数").get_by_role("radio", name="1").click()
    until_api(page, "/api/queue", lambda q: q["max_parallel"] == 1)
    held = Fault.hold(path=GENERATIONS_PATH)  # the first job runs until the queued one is cancelled
    stack.upstream.faults(held)
    first = generate(page, "slow first")
    second = generate(page, "queued second")
    nav(page, "任务")
    # Both jobs are active: the running one and the queued one are merged on top of the first page.
    queued = history_rows(page).filter(has_text="queued second")
    queued.filter(has_text="等待中").wait_for(timeout=DONE)
    history_rows(page).filter(has_text="slow first").filter(has_text="进行中").wait_for(timeout=DONE)
    page.screenshot(path=str(screenshots / "upstream-app-10a-queued.png"))
    queued.get_by_role("button", name="取消任务").click()
    queued.filter(has_text="已取消").wait_for(timeout=DONE)
    assert api_get(page, f"/api/jobs/{second}")["job"]["status"] == "cancelled"
    held.release()
    wait_job(page, first, "completed")
    settle(page, watch, screenshots / "upstream-app-10-cancelled.png")
