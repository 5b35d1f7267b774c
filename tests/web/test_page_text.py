"""Static checks of the page's words: every coded error of the registry has plain words
in the page, every string the page shows has its Simplified Chinese, and the service
worker's shell lists every file of the page."""

from __future__ import annotations

import re

from gpt_image_protocol.codes import REGISTRY
from tests.web.page_strings import WEB, all_strings, zh_keys


def test_every_registered_code_has_words_and_a_next_step() -> None:
    source = (WEB / "js" / "errors.js").read_text()
    table = {code: (what, step) for code, what, step in re.findall(r'^  ([a-z0-9_]+): \["([^"]+)", "([^"]+)"', source, re.M)}
    missing = sorted(set(REGISTRY) - set(table))
    assert not missing, f"codes without words in web/js/errors.js: {missing}"
    for code, (what, _next) in table.items():
        assert not re.search(r"--[a-z]", what + _next), code  # no CLI flags in the page's words


def test_every_page_string_has_chinese() -> None:
    zh = zh_keys()
    strings = all_strings()
    assert len(strings) > 300  # the extraction found the page's words
    missing = sorted(s for s in strings if s not in zh)
    assert not missing, f"strings without Simplified Chinese in web/js/i18n-zh.js: {missing}"
    for key, value in zh.items():
        assert set(re.findall(r"\{(\w+)\}", key)) == set(re.findall(r"\{(\w+)\}", value)), key  # same placeholders


def test_service_worker_shell_lists_every_page_file() -> None:
    source = (WEB / "sw.js").read_text()
    shell = set(re.findall(r'^  "(/[^"]*)",$', source, re.M))
    files = {"/" + str(p.relative_to(WEB)) for p in WEB.rglob("*") if p.is_file() and p.name != "sw.js"}
    assert files | {"/"} == shell, (files - shell, shell - files - {"/"})


def test_every_module_is_preloaded() -> None:
    """The page names its whole module graph up front (one round of fetches, not one per import level)."""
    html = (WEB / "index.html").read_text()
    preloaded = set(re.findall(r'<link rel="modulepreload" href="/js/([^"]+)">', html))
    modules = {p.name for p in (WEB / "js").glob("*.js")} - {"app.js", "theme.js"}
    assert preloaded == modules
