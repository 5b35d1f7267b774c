"""`doctor` (and `config test-provider`) as a checklist: each line says what is fine or
wrong, and a wrong line says the exact next step. Exit 1 when no provider is usable."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.markup import escape
from rich.text import Text

from gpt_image_cli.views.console import as_dict, out
from gpt_image_cli.views.errors import CLI, hint_for

_MARK = {True: ("✓", "green"), False: ("✗", "red"), None: ("•", "cyan")}


@dataclass
class Check:
    ok: bool | None  # None: information only
    label: str
    detail: str = ""
    fix: str = ""


def _endpoint_check(name: str, value: Any) -> Check:
    if not isinstance(value, dict):
        return Check(None, f"{name} endpoint", "not probed")
    probe = as_dict(value)
    url = str(probe.get("endpoint", ""))
    if probe.get("reachable"):
        status = probe.get("status")
        return Check(True, f"{name} endpoint reachable", f"{url}" + (f" (HTTP {status})" if status else ""))
    return Check(
        False,
        f"{name} endpoint unreachable",
        f"{url}: {probe.get('error') or 'no answer'}",
        "Check your network, or a proxy via HTTPS_PROXY.",
    )


def _openai_check(auth: Any) -> Check:
    auth = as_dict(auth)
    if auth.get("ready"):
        source = auth.get("auth_source") or "set"
        where = f"env {auth.get('env_var')}" if source == "env" else str(source)
        return Check(True, "OpenAI API key", f"from {where}")
    return Check(
        False,
        "OpenAI API key missing",
        "OPENAI_API_KEY is not set and no --api-key was given",
        "export OPENAI_API_KEY=sk-... (or pass --api-key KEY)",
    )


def _codex_check(auth: Any) -> Check:
    auth = as_dict(auth)
    path = str(auth.get("auth_file") or "auth.json")
    if auth.get("ready"):
        return Check(True, "Codex login", path)
    if not auth.get("exists"):
        return Check(False, "No Codex login", f"{path} does not exist", "run `codex login` (or pass --auth-file PATH)")
    return Check(
        False, "Codex login unusable", f"{path}: {auth.get('message') or 'no access token'}", "run `codex login` again"
    )


def _configured(configured: Any) -> list[Check]:
    checks = []
    for name, value in as_dict(configured).items():
        entry = as_dict(value)
        creds = as_dict(entry.get("credentials"))
        missing = [k for k, v in creds.items() if isinstance(v, dict) and v.get("present") is False]
        target = entry.get("api_base") or entry.get("endpoint") or ""
        kind = f"{entry.get('type', '')} {target}".strip()
        if missing:
            fix = f"{CLI} secret set {name} {missing[0]}"
            checks.append(Check(False, f"Provider {name}", f"{kind}; missing {', '.join(missing)}", fix))
        else:
            checks.append(Check(None, f"Provider {name}", kind))
    return checks


def _selection_check(selection: Any) -> Check:
    selection = as_dict(selection)
    error = as_dict(selection.get("error"))
    if error:
        code = str(error.get("code", ""))
        message = str(error.get("message", ""))
        return Check(False, f"No usable provider ({code})", message, hint_for(code, message, error.get("detail")))
    resolved = selection.get("resolved")
    reason = selection.get("reason") or ""
    return Check(True, f"Selected provider: {resolved}", str(reason).replace("_", " "))


def draw(title: Text, checks: list[Check], verdict: bool, verdict_text: str) -> None:
    console = out()
    console.print(title)
    for check in checks:
        mark, style = _MARK[check.ok]
        line = Text("  ")
        line.append(mark, style=f"bold {style}")
        line.append(" " + check.label, style="bold" if check.ok is False else "")
        if check.detail:
            line.append("  " + check.detail, style="dim" if check.ok is not False else "")
        console.print(line, soft_wrap=True)
        if check.ok is not True and check.fix:
            style = "yellow" if check.ok is False else "dim"
            fix = Text("      → ", style=style)
            fix.append(check.fix, style=style)
            console.print(fix, soft_wrap=True)
    console.print(Text(verdict_text, style="bold green" if verdict else "bold red"))


def show_doctor(body: dict[str, Any]) -> int:
    providers = as_dict(body.get("providers"))
    openai = as_dict(providers.get("openai"))
    codex = as_dict(providers.get("codex"))
    engine = as_dict(body.get("engine"))
    checks = [
        Check(
            True,
            "Engine running",
            f"version {engine.get('version', body.get('version', '?'))}, pid {engine.get('pid', '?')}",
        )
    ]
    selection = _selection_check(body.get("provider_selection"))
    resolved = str(as_dict(body.get("provider_selection")).get("resolved") or "")
    for name, pair in (
        ("openai", [_openai_check(openai.get("auth")), _endpoint_check("OpenAI", openai.get("endpoint"))]),
        ("codex", [_codex_check(codex.get("auth")), _endpoint_check("Codex", codex.get("endpoint"))]),
    ):
        if selection.ok and resolved != name:
            # Another provider is in use: this one being unset is information, not a fault.
            for check in pair:
                check.ok = None if check.ok is False else check.ok
        checks += pair
    checks += _configured(providers.get("configured"))
    checks.append(selection)
    ok = bool(body.get("ok"))
    title = Text("gpt-image-2 doctor", style="bold")
    verdict = "Ready: images can be generated." if ok else "Not ready: fix the ✗ lines above."
    draw(title, checks, ok, verdict)
    return 0 if ok else 1


def show_test_provider(body: dict[str, Any]) -> int:
    checks = [_selection_check(body.get("provider_selection")), _endpoint_check("Provider", body.get("endpoint"))]
    ok = bool(body.get("ok"))
    draw(Text(escape("config test-provider"), style="bold"), checks, ok, "Reachable." if ok else "Not reachable.")
    return 0 if ok else 1
