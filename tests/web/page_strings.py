"""The page's translatable strings, found statically: `t("…")` calls, the data-i18n
markup, and the tables of words the scripts translate through a variable (error
texts, phases, statuses, templates, recovery explanations)."""

from __future__ import annotations

import re
from pathlib import Path

WEB = Path(__file__).resolve().parents[2] / "web"
_STR = r'"((?:[^"\\]|\\.)*)"'
_TABLES = ("ERRORS", "STATUS", "COMMAND", "LABELS", "EXPLAIN", "TEMPLATES", "FIELD")


def _unescape(text: str) -> str:
    return text.encode("utf-8").decode("unicode_escape").encode("latin-1").decode("utf-8") if "\\" in text else text


def _table_bodies(source: str) -> list[str]:
    bodies = []
    for name in _TABLES:
        for match in re.finditer(rf"const {name} = ([\[{{])", source):
            close = "]" if match.group(1) == "[" else "}"
            depth, i = 0, match.end() - 1
            for j in range(i, len(source)):
                if source[j] == match.group(1):
                    depth += 1
                elif source[j] == close:
                    depth -= 1
                    if depth == 0:
                        bodies.append(source[i : j + 1])
                        break
    return bodies


def script_strings() -> set[str]:
    found: set[str] = set()
    for path in sorted((WEB / "js").glob("*.js")):
        if path.name.startswith("i18n"):
            continue
        source = path.read_text()
        found.update(_unescape(m) for m in re.findall(r"\bt\(" + _STR, source))
        for body in _table_bodies(source):
            # values only: a key is a "code": or word: before a colon
            for m in re.finditer(_STR + r"(\s*:)?", body):
                if not m.group(2):
                    found.add(_unescape(m.group(1)))
        phases = re.search(r"function phaseOf[\s\S]*?\n}\n", source)
        if phases:
            found.update(_unescape(m) for m in re.findall(r"\[" + _STR, phases.group(0)))
            found.update(_unescape(m) for m in re.findall(r'\? \["' + r'((?:[^"\\]|\\.)*)"', phases.group(0)))
        for m in re.findall(r"state\.phase = (?:[^;]*?)\[" + _STR, source):
            found.add(_unescape(m))
        found.update(_unescape(m) for m in re.findall(r'\[\s*"((?:Done in|Cancelled|Some images failed|Failed|Connection)[^"]*)"', source))
    return {s for s in found if re.search(r"[A-Za-z]", s) and s not in ("png", "jpeg", "webp")}


def markup_strings() -> set[str]:
    html = (WEB / "index.html").read_text()
    found = {m.strip() for m in re.findall(r"<(?:[a-z0-9]+)[^>]*\bdata-i18n\b(?!-)[^>]*>([^<]+)<", html)}
    found.update(re.findall(r'data-i18n-(?:placeholder|title|aria)="([^"]+)"', html))
    found.add("gpt-image-2 studio")
    return {s for s in found if s}


def all_strings() -> set[str]:
    return script_strings() | markup_strings()


def zh_keys() -> dict[str, str]:
    source = (WEB / "js" / "i18n-zh.js").read_text()
    return {_unescape(k): _unescape(v) for k, v in re.findall(_STR + r"\s*:\s*" + _STR, source)}
