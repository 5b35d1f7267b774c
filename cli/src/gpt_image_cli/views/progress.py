"""Live progress on a terminal's stderr: a spinner, plain phase words, the elapsed time
that keeps moving while the provider works (real generations take 30-120 s), partial
preview notices, and an ETA when the engine could estimate one from recent jobs of the
same size and quality (`eta_seconds` on the `job.running` event).

rich redraws from its own thread, so the clock advances even while the CLI is blocked
reading the job's event stream.
"""

from __future__ import annotations

from typing import Any, TextIO

from rich.console import Console
from rich.progress import Progress, ProgressColumn, SpinnerColumn, Task, TextColumn, TimeElapsedColumn
from rich.text import Text

from gpt_image_cli.views.console import as_dict, duration, size_text
from gpt_image_cli.views.phases import phase_words

_TERMINAL = {"job.completed", "job.failed", "job.cancelled", "job.canceled", "job.partial_failed", "job.discarded"}


class EtaColumn(ProgressColumn):
    """`about 40s left` from the engine's estimate; `longer than usual` once past it."""

    def render(self, task: Task) -> Text:
        eta = task.fields.get("eta_seconds")
        since = task.fields.get("eta_from")
        if not isinstance(eta, (int, float)) or not isinstance(since, (int, float)) or task.finished:
            return Text("")
        left = eta - ((task.elapsed or 0.0) - since)
        if left > 0.5:
            return Text(f"about {duration(left)} left", style="dim")
        return Text(f"longer than usual (~{duration(eta)})", style="dim")


class LiveProgress:
    """Draws one job's progress from its event records."""

    def __init__(self, stream: TextIO) -> None:
        self.console = Console(file=stream, highlight=False)
        self.progress = Progress(
            SpinnerColumn(finished_text="•"),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            EtaColumn(),
            console=self.console,
            refresh_per_second=8,
        )
        self.task: Any = None

    def __call__(self, record: dict[str, Any]) -> None:
        type_ = str(record.get("type", ""))
        data = as_dict(record.get("data"))
        words = phase_words(record)
        if self.task is None:
            self.progress.start()
            self.task = self.progress.add_task(words, total=None, eta_seconds=None, eta_from=None)
        if type_ == "partial_image":
            self.progress.console.print(
                Text(f"  {words} ({size_text(data.get('bytes'))})", style="cyan"), soft_wrap=True
            )
        if type_ == "retry_scheduled":
            self.progress.console.print(Text(f"  {words}", style="yellow"), soft_wrap=True)
        if isinstance(data.get("eta_seconds"), (int, float)):
            elapsed = self.progress.tasks[0].elapsed or 0.0
            self.progress.update(self.task, eta_seconds=float(data["eta_seconds"]), eta_from=elapsed)
        self.progress.update(self.task, description=words)
        if type_ in _TERMINAL:
            self.progress.update(self.task, total=1, completed=1)

    def finish(self) -> None:
        if self.task is not None:
            self.progress.stop()
            self.task = None
