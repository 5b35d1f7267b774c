"""The page's settings for storage targets, the pipeline, notifications and the proxy, in
Chromium against a real gateway and engine: each is saved through the page, survives a
reload, keeps its stored secrets without ever showing them, and the tests run for real (a
local folder target, a webhook delivered to a receiver on 127.0.0.1)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.gateway.support import GatewayProc, Stack, engine_stack


@pytest.fixture(scope="module")
def bstack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    # The webhook receiver lives on 127.0.0.1, which the engine blocks unless its operator allows it.
    with engine_stack(tmp_path_factory.mktemp("outputs"), {"GPT_IMAGE_2_ALLOW_PRIVATE_TARGETS": "1"}) as s:
        yield s


class Receiver:
    """A real HTTP server that records the webhooks it is sent."""

    def __init__(self) -> None:
        self.hits: list[dict[str, Any]] = []
        hits = self.hits

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                hits.append({"path": self.path, "body": json.loads(body or b"{}")})
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def stored(stack: Stack) -> dict[str, Any]:
    """The engine's config.json as written on disk (the secrets are there, not on the page)."""
    files = sorted(stack.engine.home.rglob("config.json"))
    assert files, "the engine wrote no config.json"
    return json.loads(files[0].read_text())


def open_settings(page: Any, gateway: GatewayProc) -> None:
    page.goto(gateway.url + "/#settings")
    page.wait_for_function("document.body.dataset.ready === '1'")


def test_settings_storage_notifications_proxy(
    page: Any, gateway: GatewayProc, bstack: Stack, screenshots: Path, tmp_path: Path
) -> None:
    open_settings(page, gateway)
    page.locator("#storage-empty").wait_for()

    # A local folder target, copied to on every job; its test writes a real file.
    form = page.locator("#storage-form")
    form.locator("input[name=name]").fill("disk")
    form.locator("select[name=type]").select_option("local")
    form.locator("textarea[name=fields]").fill(json.dumps({"directory": str(tmp_path / "lib")}))
    form.locator("button[type=submit]").click()
    card = page.locator("#storage-targets [data-target='disk']")
    card.wait_for()
    assert card.get_attribute("data-role") == "archive"
    assert page.locator("#storage-saved").inner_text() == "Saved “disk”."
    card.locator("[data-act=test]").click()
    page.wait_for_function("document.querySelector(\"[data-test-result='disk']\").dataset.ok === 'true'")
    assert "ms" in card.locator("[data-test-result='disk']").inner_text()
    assert (tmp_path / "lib" / "storage-test" / "1-gpt-image-2-test.png").is_file()

    # A WebDAV target with a password, kept out of the pipeline: the password is stored, never shown.
    form.locator("input[name=name]").fill("dav")
    form.locator("select[name=type]").select_option("webdav")
    form.locator("input[name=archive]").uncheck()
    dav = {
        "url": "https://dav.example.com/images",
        "username": "me",
        "password": {"source": "file", "value": "dav-pw-secret"},
    }
    form.locator("textarea[name=fields]").fill(json.dumps(dav))
    form.locator("button[type=submit]").click()
    page.locator("#storage-targets [data-target='dav'][data-role='']").wait_for()
    assert stored(bstack)["storage"]["targets"]["dav"]["password"]["value"] == "dav-pw-secret"

    # A bad target is refused in words, with its code; nothing is lost.
    form.locator("input[name=name]").fill("cloud")
    form.locator("select[name=type]").select_option("s3")
    form.locator("textarea[name=fields]").fill(json.dumps({"bucket": ""}))
    form.locator("button[type=submit]").click()
    page.wait_for_function(
        "document.querySelector('#storage-form [data-error]').dataset.code === 'storage_target_bucket_missing'"
    )
    assert "An S3 target needs a bucket." in form.locator("[data-error]").inner_text()
    assert set(stored(bstack)["storage"]["targets"]) == {"disk", "dav"}

    # The pipeline: archive copies only, to both targets.
    pipe = page.locator("#pipeline-form")
    pipe.locator("select[name=mode]").select_option("cloud_archive_only")
    pipe.locator("input[name=archives]").fill("disk, dav")
    pipe.locator("button[type=submit]").click()
    page.wait_for_function("document.querySelector('#pipeline-saved').textContent.startsWith('Saved the pipeline')")
    assert stored(bstack)["storage"]["pipeline"]["archives"] == ["disk", "dav"]

    # The proxy: a bad URL is refused; a custom one with a password is kept, its password never shown.
    proxy = page.locator("#proxy-form")
    proxy.locator("select[name=mode]").select_option("custom")
    proxy.locator("input[name=url]").fill("ftp://nope")
    proxy.locator("button[type=submit]").click()
    page.wait_for_function("document.querySelector('#proxy-form [data-error]').dataset.code === 'proxy_url_invalid'")
    proxy.locator("input[name=url]").fill("socks5h://u:pw-secret@127.0.0.1:1080")
    proxy.locator("input[name=no_proxy]").fill("localhost, 127.0.0.1")
    proxy.locator("button[type=submit]").click()
    page.wait_for_function("document.querySelector('#proxy-result').dataset.mode === 'custom'")
    assert "pw-secret" not in proxy.locator("input[name=url]").input_value()

    # Notifications: a webhook to a real receiver, and email (off) with a password.
    with Receiver() as receiver:
        notify = page.locator("#notify-form")
        notify.locator("input[name=enabled]").check()
        notify.locator("input[name=webhook_url]").fill(receiver.url)
        notify.locator("input[name=smtp_host]").fill("smtp.example.com")
        notify.locator("input[name=smtp_port]").fill("465")
        notify.locator("select[name=tls]").select_option("smtps")
        notify.locator("input[name=username]").fill("mailer")
        notify.locator("input[name=password]").fill("mail-pw-secret")
        notify.locator("input[name=from]").fill("studio@example.com")
        notify.locator("input[name=to]").fill("me@example.com, you@example.com")
        notify.locator("button[type=submit]").click()
        page.wait_for_function("document.querySelector('#notify-result').textContent === 'Saved.'")
        assert notify.locator("input[name=password]").input_value() == ""
        page.locator("#notify-test").click()
        page.wait_for_function("document.querySelector('#notify-result').dataset.ok === 'true'")
        assert "delivered" in page.locator("#notify-result").inner_text()
        assert len(receiver.hits) == 1 and receiver.hits[0]["path"] == "/hook"
        assert receiver.hits[0]["body"]["job"]["status"] == "completed"
    # The receiver is gone: the next test fails in words, with the code.
    page.locator("#notify-test").click()
    page.wait_for_function("document.querySelector('#notify-result').dataset.codes === 'notification_webhook_failed'")
    assert "The webhook could not be delivered." in page.locator("#notify-result").inner_text()

    on_disk = stored(bstack)
    assert on_disk["notifications"]["email"]["password"]["value"] == "mail-pw-secret"
    assert "pw-secret@" in on_disk["proxy"]["url"]

    # Reload: everything comes back, no secret is in the page, and saving unchanged keeps them.
    page.reload()
    page.wait_for_function("document.body.dataset.ready === '1'")
    page.locator("#storage-targets [data-target='dav']").wait_for()
    assert page.locator("#storage-targets [data-target='disk']").get_attribute("data-role") == "archive"
    assert page.locator("#storage-targets [data-target='dav']").get_attribute("data-role") == "archive"
    assert page.locator("#pipeline-form select[name=mode]").input_value() == "cloud_archive_only"
    assert page.locator("#pipeline-form input[name=archives]").input_value() == "disk, dav"
    assert page.locator("#proxy-form select[name=mode]").input_value() == "custom"
    assert page.locator("#proxy-form input[name=no_proxy]").input_value() == "localhost, 127.0.0.1"
    notify = page.locator("#notify-form")
    assert notify.locator("input[name=enabled]").is_checked()
    assert notify.locator("input[name=webhook_url]").input_value() == receiver.url
    assert notify.locator("input[name=smtp_host]").input_value() == "smtp.example.com"
    assert notify.locator("input[name=smtp_port]").input_value() == "465"
    assert notify.locator("select[name=tls]").input_value() == "smtps"
    assert notify.locator("input[name=username]").input_value() == "mailer"
    assert notify.locator("input[name=to]").input_value() == "me@example.com, you@example.com"
    assert notify.locator("input[name=password]").input_value() == ""
    assert notify.locator("input[name=password]").get_attribute("placeholder") == "stored; leave empty to keep"
    html = page.content()
    for secret in ("dav-pw-secret", "mail-pw-secret", "pw-secret"):
        assert secret not in html

    # Edit fills the WebDAV target with its password shown only as present; saving it unchanged keeps it.
    page.locator("#storage-targets [data-target='dav'] [data-act=edit]").click()
    fields = json.loads(page.locator("#storage-form textarea[name=fields]").input_value())
    assert fields["password"].get("present") is True and "dav-pw-secret" not in json.dumps(fields)
    assert page.locator("#storage-form input[name=archive]").is_checked()
    page.locator("#storage-form button[type=submit]").click()
    page.wait_for_function("document.querySelector('#storage-saved').textContent === 'Saved “dav”.'")
    notify.locator("button[type=submit]").click()
    page.wait_for_function("document.querySelector('#notify-result').textContent === 'Saved.'")
    proxy = page.locator("#proxy-form")
    proxy.locator("button[type=submit]").click()
    page.wait_for_function("document.querySelector('#proxy-result').dataset.mode === 'custom'")
    on_disk = stored(bstack)
    assert on_disk["storage"]["targets"]["dav"]["password"]["value"] == "dav-pw-secret"
    assert on_disk["notifications"]["email"]["password"]["value"] == "mail-pw-secret"
    assert "u:pw-secret@127.0.0.1:1080" in on_disk["proxy"]["url"]
    page.screenshot(path=str(screenshots / "settings-outputs.png"), full_page=True)

    # Back to the system proxy, and the words in Chinese.
    proxy.locator("select[name=mode]").select_option("system")
    proxy.locator("button[type=submit]").click()
    page.wait_for_function("document.querySelector('#proxy-result').dataset.mode === 'system'")
    assert stored(bstack)["proxy"]["mode"] == "system"
    page.select_option("#lang-select", "zh")
    assert page.locator("#storage-card h2").inner_text() == "存储目标"
    assert page.locator("#storage-targets [data-target='disk'] [data-role-chip]").inner_text() == "归档"
    page.screenshot(path=str(screenshots / "settings-outputs-zh.png"), full_page=True)
