"""Tables: jobs (`history list`, `jobs list`, `queue status`), models, credentials and providers."""

from __future__ import annotations

from typing import Any

from rich.table import Table
from rich.text import Text

from gpt_image_cli.views.console import age, as_dict, clip, out

_STATUS_STYLE = {
    "completed": "green",
    "running": "cyan",
    "queued": "blue",
    "failed": "red",
    "cancelled": "yellow",
    "interrupted": "yellow",
    "partial_failed": "yellow",
}


def job_prompt(job: dict[str, Any]) -> str:
    meta = as_dict(job.get("metadata"))
    return str(meta.get("prompt") or as_dict(meta.get("request")).get("prompt") or "")


def job_output(job: dict[str, Any]) -> str:
    """The user's own --out when the job was given one, else the engine's copy."""
    meta = as_dict(job.get("metadata"))
    return str(meta.get("client_out") or job.get("output_path") or "")


def status_text(status: Any) -> Text:
    value = str(status or "")
    return Text(value, style=_STATUS_STYLE.get(value, ""))


def jobs_table(jobs: list[Any], title: str | None = None) -> Table:
    table = Table(title=title, show_lines=False, header_style="bold", expand=False)
    table.add_column("Job", no_wrap=True, overflow="fold")
    table.add_column("Status", no_wrap=True)
    table.add_column("Command", no_wrap=True)
    table.add_column("Prompt", max_width=40, overflow="ellipsis", no_wrap=True)
    table.add_column("Provider", no_wrap=True)
    table.add_column("Age", justify="right", no_wrap=True)
    table.add_column("Output", overflow="fold")
    for job in jobs:
        if not isinstance(job, dict):
            continue
        table.add_row(
            str(job.get("id", "")),
            status_text(job.get("status")),
            str(job.get("command", "")),
            clip(job_prompt(job), 40),
            str(job.get("provider") or "-"),
            age(job.get("created_at")),
            job_output(job),
        )
    return table


def show_jobs(body: dict[str, Any]) -> None:
    jobs = body.get("jobs") if isinstance(body.get("jobs"), list) else []
    console = out()
    if not jobs:
        console.print("No jobs yet.")
        return
    console.print(jobs_table(jobs))
    total = body.get("total")
    footer = f"{len(jobs)} of {total} jobs" if isinstance(total, int) else f"{len(jobs)} jobs"
    if body.get("next_cursor"):
        footer += f"; next page: --cursor {body['next_cursor']}"
    console.print(Text(footer, style="dim"))


def show_queue(body: dict[str, Any]) -> None:
    console = out()
    console.print(
        Text(
            f"{body.get('running', 0)} running, {body.get('queued', 0)} queued, "
            f"up to {body.get('max_parallel', '?')} at once",
            style="bold",
        )
    )
    jobs = body.get("jobs")
    if isinstance(jobs, list) and jobs:
        console.print(jobs_table(jobs))
    elif not body.get("running") and not body.get("queued"):
        console.print("The queue is empty.")


def show_models(body: dict[str, Any]) -> None:
    table = Table(header_style="bold")
    table.add_column("Provider", no_wrap=True)
    table.add_column("Model", no_wrap=True)
    table.add_column("Default", justify="center")
    table.add_column("Operations")
    table.add_column("Notes", overflow="fold")
    for provider, info in as_dict(body.get("providers")).items():
        info = as_dict(info)
        ops = info.get("operations") or as_dict(info.get("image_generation_tool")).get("operations") or []
        op_text = ", ".join(str(as_dict(o).get("id", o)) for o in ops)
        for preset in info.get("model_presets") or []:
            preset = as_dict(preset)
            table.add_row(
                provider,
                str(preset.get("id", "")),
                "✓" if preset.get("default") else "",
                op_text,
                str(preset.get("notes", "")),
            )
    out().print(table)


def _ready(value: Any) -> Text:
    return Text("ready", style="green") if value else Text("not ready", style="red")


def _credentials(entry: dict[str, Any]) -> str:
    parts = []
    for name, cred in as_dict(entry.get("credentials")).items():
        cred = as_dict(cred)
        source = cred.get("source") or "?"
        state = "present" if cred.get("present") else "missing"
        parts.append(f"{name}: {source} ({state})")
    return "; ".join(parts) or "-"


def show_auth(body: dict[str, Any]) -> None:
    providers = as_dict(body.get("providers"))
    table = Table(header_style="bold")
    table.add_column("Provider", no_wrap=True)
    table.add_column("State", no_wrap=True)
    table.add_column("Credential source", overflow="fold")
    table.add_column("Next step", overflow="fold")
    openai = as_dict(providers.get("openai"))
    table.add_row(
        "openai",
        _ready(openai.get("ready")),
        f"env {openai.get('env_var')}" if openai.get("auth_source") == "env" else str(openai.get("auth_source") or "-"),
        "" if openai.get("ready") else "export OPENAI_API_KEY=sk-... (or --api-key KEY)",
    )
    codex = as_dict(providers.get("codex"))
    table.add_row(
        "codex",
        _ready(codex.get("ready")),
        str(codex.get("auth_file") or "-"),
        "" if codex.get("ready") else "run `codex login`",
    )
    for name, entry in as_dict(providers.get("configured")).items():
        entry = as_dict(entry)
        creds = _credentials(entry)
        table.add_row(name, Text(str(entry.get("type", "")), style="cyan"), creds, "")
    out().print(table)


def show_providers(body: dict[str, Any]) -> None:
    providers = as_dict(body.get("providers"))
    default = body.get("default_provider")
    console = out()
    if not providers:
        console.print("No providers configured; the built-ins openai and codex are always available.")
    else:
        table = Table(header_style="bold")
        table.add_column("Name", no_wrap=True)
        table.add_column("Type", no_wrap=True)
        table.add_column("Endpoint", overflow="fold")
        table.add_column("Model", no_wrap=True)
        table.add_column("Credentials", overflow="fold")
        table.add_column("Default", justify="center")
        for name, entry in providers.items():
            entry = as_dict(entry)
            table.add_row(
                name,
                str(entry.get("type", "")),
                str(entry.get("api_base") or entry.get("endpoint") or "-"),
                str(entry.get("model") or "-"),
                _credentials(entry),
                "✓" if name == default else "",
            )
        console.print(table)
    console.print(Text(f"default provider: {default or 'auto'}", style="dim"))
