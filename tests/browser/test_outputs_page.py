"""The page's settings for storage targets, notifications and the proxy, in Chromium against a
real gateway and engine."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.gateway.support import GatewayProc


def test_settings_storage_notifications_proxy(
    page: Any, gateway: GatewayProc, screenshots: Path, tmp_path: Path
) -> None:
    page.goto(gateway.url + "/#settings")
    form = page.locator("#storage-form")
    form.locator("input[name=name]").fill("disk")
    form.locator("select[name=type]").select_option("local")
    form.locator("textarea[name=fields]").fill(json.dumps({"directory": str(tmp_path / "lib")}))
    form.locator("button[type=submit]").click()
    row = page.locator("#storage-targets tr[data-target='disk']")
    row.wait_for()
    assert row.locator("td").nth(2).inner_text() == "archive"
    row.locator("button", has_text="Test").click()
    page.wait_for_function("document.querySelector(\"[data-test-result='disk']\").textContent.startsWith('ok')")
    assert (tmp_path / "lib" / "storage-test" / "1-gpt-image-2-test.png").is_file()

    form.locator("input[name=name]").fill("cloud")
    form.locator("select[name=type]").select_option("s3")
    form.locator("textarea[name=fields]").fill(json.dumps({"bucket": ""}))
    form.locator("button[type=submit]").click()
    page.wait_for_function(
        "document.querySelector('#storage-form [data-error]').textContent.includes('storage_target_bucket_missing')"
    )

    proxy = page.locator("#proxy-form")
    proxy.locator("select[name=mode]").select_option("custom")
    proxy.locator("input[name=url]").fill("ftp://nope")
    proxy.locator("button[type=submit]").click()
    page.wait_for_function(
        "document.querySelector('#proxy-form [data-error]').textContent.includes('proxy_url_invalid')"
    )
    proxy.locator("input[name=url]").fill("socks5h://u:pw-secret@127.0.0.1:1080")
    proxy.locator("button[type=submit]").click()
    page.wait_for_function("document.querySelector('#proxy-result').textContent === 'Saved: custom.'")
    assert "pw-secret" not in page.content()
    proxy.locator("select[name=mode]").select_option("system")
    proxy.locator("button[type=submit]").click()
    page.wait_for_function("document.querySelector('#proxy-result').textContent === 'Saved: system.'")

    notify = page.locator("#notify-form")
    notify.locator("input[name=enabled]").check()
    notify.locator("input[name=webhook_url]").fill("http://127.0.0.1:9/hook")
    notify.locator("button[type=submit]").click()
    page.wait_for_function("document.querySelector('#notify-result').textContent === 'Saved.'")
    page.locator("#notify-test").click()
    page.wait_for_function(
        "document.querySelector('#notify-result').textContent.includes('notification_webhook_blocked')"
    )
    page.screenshot(path=str(screenshots / "settings-outputs.png"), full_page=True)
