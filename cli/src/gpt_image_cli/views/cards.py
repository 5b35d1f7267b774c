"""Cards: one job (`history show`), the engine (`engine status|start`), and the generic
result view every other command gets (files written, job id, then the plain fields)."""

from __future__ import annotations

from typing import Any

from rich.table import Table
from rich.text import Text

from gpt_image_cli.views.console import age, as_dict, clip, out, size_text
from gpt_image_cli.views.phases import phase_words
from gpt_image_cli.views.tables import job_output, job_prompt, status_text


def _grid() -> Table:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")
    return grid


def show_job(body: dict[str, Any]) -> None:
    job = as_dict(body.get("job"))
    meta = as_dict(job.get("metadata"))
    request = as_dict(meta.get("request"))
    grid = _grid()
    grid.add_row("Job", str(job.get("id", "")))
    grid.add_row("Status", status_text(job.get("status")))
    grid.add_row("Command", str(job.get("command", "")))
    if job_prompt(job):
        grid.add_row("Prompt", job_prompt(job))
    grid.add_row("Provider", str(job.get("provider") or "-"))
    settings = [
        f"{k} {request.get(k) or meta.get(k)}"
        for k in ("size", "quality", "format", "n")
        if request.get(k) or meta.get(k)
    ]
    if settings:
        grid.add_row("Settings", ", ".join(settings))
    grid.add_row("Created", f"{age(job.get('created_at'))} ago")
    if job_output(job):
        grid.add_row("Output", job_output(job))
    if meta.get("client_out") and job.get("output_path"):
        grid.add_row("Engine copy", str(job.get("output_path")))
    error = job.get("error")
    if isinstance(error, dict) and error:
        grid.add_row("Error", Text(f"[{error.get('code')}] {error.get('message', '')}", style="red"))
    if body.get("opened"):
        grid.add_row("Opened", "yes")
    console = out()
    console.print(grid)
    events = body.get("events")
    if isinstance(events, list) and events:
        console.print(Text("Events", style="bold"))
        for record in events:
            if isinstance(record, dict):
                line = Text(f"  {record.get('seq', ''):>3}  ", style="dim")
                line.append(phase_words(record))
                line.append(f"  ({record.get('type', '')})", style="dim")
                console.print(line, soft_wrap=True)


def show_engine(body: dict[str, Any]) -> None:
    grid = _grid()
    running = bool(body.get("running"))
    grid.add_row("Engine", Text("running" if running else "not running", style="green" if running else "red"))
    grid.add_row("Address", str(body.get("address", "")))
    for key in ("version", "pid", "data_dir", "running_jobs", "transport", "auth"):
        if body.get(key) not in (None, ""):
            grid.add_row(key.replace("_", " ").capitalize(), str(body[key]))
    if isinstance(body.get("uptime_seconds"), (int, float)):
        grid.add_row("Uptime", f"{body['uptime_seconds']:.0f}s")
    if "started" in body:
        grid.add_row("Started now", "yes" if body.get("started") else "no (already running)")
    out().print(grid)
    if not running:
        out().print(Text("Start it with `gpt-image-2-skill engine start`.", style="yellow"))


def _files(body: dict[str, Any]) -> list[dict[str, Any]]:
    files: list[dict[str, Any]] = []
    for key in ("output", "image_output"):
        output = as_dict(body.get(key))
        files += [f for f in output.get("files") or [] if isinstance(f, dict)]
    return files


def show_result(body: dict[str, Any]) -> None:
    """Any other command: what was written, the job, then the remaining plain fields."""
    console = out()
    command = str(body.get("command", ""))
    ok = bool(body.get("ok", True))
    head = Text("✓ " if ok else "✗ ", style="bold green" if ok else "bold red")
    head.append(command, style="bold")
    console.print(head)
    grid = _grid()
    for item in _files(body):
        grid.add_row("Wrote", f"{item.get('path')} ({size_text(item.get('bytes'))})")
    for item in body.get("partials") or []:
        if isinstance(item, dict):
            grid.add_row("Preview", f"{item.get('path')} ({size_text(item.get('bytes'))})")
    history = as_dict(body.get("history"))
    job_id = body.get("job_id") or history.get("job_id")
    if job_id:
        grid.add_row("Job", str(job_id))
    if body.get("provider"):
        grid.add_row("Provider", str(body["provider"]))
    verification = as_dict(body.get("verification"))
    if "passed" in verification or "passed" in body:
        passed = verification.get("passed", body.get("passed"))
        grid.add_row("Verification", Text("passed" if passed else "failed", style="green" if passed else "red"))
    shown = {"ok", "command", "output", "image_output", "partials", "history", "job_id", "provider", "events"}
    for key, value in body.items():
        if key in shown or value is None:
            continue
        if isinstance(value, (str, int, float, bool)):
            grid.add_row(key.replace("_", " "), clip(value, 200))
        elif isinstance(value, list) and all(isinstance(v, (str, int, float)) for v in value):
            grid.add_row(key.replace("_", " "), clip(", ".join(str(v) for v in value) or "-", 200))
        elif isinstance(value, dict) and key not in ("provider_selection", "auth", "request", "response", "retry"):
            summary = ", ".join(f"{k}={v}" for k, v in value.items() if isinstance(v, (str, int, float, bool)))
            if summary:
                grid.add_row(key.replace("_", " "), clip(summary, 200))
    console.print(grid)
    if not _files(body) and command.startswith(("images", "transparent generate", "transparent extract")):
        console.print(Text("(no file written; --json shows the full result)", style="dim"))
