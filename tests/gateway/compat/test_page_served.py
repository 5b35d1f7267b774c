"""The upstream app's built files served by `gpt-image-2-web` itself (GPT_IMAGE_2_WEB_DIST): one
origin for the page and /api, and a Content-Security-Policy the app can run under.

Found in Chromium with the real app: its toasts (sonner) insert a <style> element, which the
gateway's own page policy (`style-src 'self'`) blocked, so every toast lost its styling and
the console filled with CSP errors. Another page build now gets inline styles (scripts stay
'self' only); the gateway's own page keeps the strict policy."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.gateway.compat.replay import App
from tests.gateway.support import GatewayProc, Stack, start_gateway

INDEX = b'<!doctype html><html><head><script type="module" src="/assets/index.js"></script></head><body><div id="root"></div></body></html>'


@pytest.fixture(scope="module")
def dist_gateway(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewayProc]:
    dist = tmp_path_factory.mktemp("app-dist")
    (dist / "assets").mkdir()
    (dist / "index.html").write_bytes(INDEX)
    (dist / "assets" / "index.js").write_text("document.head.appendChild(document.createElement('style'));\n")
    gw = start_gateway(
        stack.address,
        stack.engine.env,
        tmp_path_factory.mktemp("app-dist-gw") / "gateway.log",
        extra={"GPT_IMAGE_2_WEB_DIST": str(dist)},
    )
    yield gw
    gw.stop()


def directives(csp: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for part in csp.split(";"):
        words = part.split()
        if words:
            out[words[0]] = words[1:]
    return out


def document(app: App, path: str) -> tuple[int, dict[str, str], bytes]:
    reply = app._send("GET", path, {"Accept": "text/html"}, None, "document")
    return reply.status, reply.headers, reply.body


def test_another_page_build_runs_with_inline_styles_and_self_only_scripts(dist_gateway: GatewayProc) -> None:
    app = App(dist_gateway.url)
    status, headers, body = document(app, "/")
    assert status == 200 and body == INDEX and headers["content-type"].startswith("text/html")
    policy = directives(headers["content-security-policy"])
    assert policy["style-src"] == ["'self'", "'unsafe-inline'"]
    assert policy["script-src"] == ["'self'"] and policy["connect-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"] and "blob:" in policy["img-src"]

    status, headers, _ = document(app, "/assets/index.js")
    assert status == 200 and "javascript" in headers["content-type"]
    # A client-side route falls back to the app's index.html; a missing asset is a plain 404.
    assert document(app, "/history")[2] == INDEX
    assert document(app, "/assets/missing.js")[0] == 404
    # The API beside it is unchanged: an unknown route is a JSON 404, not the page.
    reply = app._send("GET", "/api/no-such-route", {}, None)
    assert reply.status == 404 and reply.json()["error"]["code"] == "route_not_found"


def test_the_gateways_own_page_keeps_the_strict_policy(gateway: GatewayProc) -> None:
    status, headers, _ = document(App(gateway.url), "/")
    assert status == 200
    assert directives(headers["content-security-policy"])["style-src"] == ["'self'"]


def test_default_page_folder_is_recognised(tmp_path: Path) -> None:
    from gpt_image_gateway.settings import Settings, default_static_dir

    assert Settings().own_page
    assert Settings(static_dir=default_static_dir() / ".." / default_static_dir().name).own_page
    assert not Settings(static_dir=tmp_path).own_page
