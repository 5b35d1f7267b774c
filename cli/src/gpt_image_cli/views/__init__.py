"""Human views: what a person at a terminal sees instead of the JSON envelope.

Only `envelope.print_success/print_error` (on a terminal, without `--json`) and the
progress renderer reach this package, so rich is never imported on a JSON path.
`show_success(body)` picks a view by the envelope's `command` and returns the exit
status the view asks for (`doctor` that finds nothing usable exits 1 here, while its
JSON envelope keeps the upstream's exit 0). Every view reads the very envelope the
JSON mode prints; none of them asks the engine for more.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

View = Callable[[dict[str, Any]], int | None]


def _views() -> dict[str, View]:
    from gpt_image_cli.views import cards, doctor, tables

    return {
        "doctor": doctor.show_doctor,
        "auth inspect": tables.show_auth,
        "models list": tables.show_models,
        "config list-providers": tables.show_providers,
        "config list": tables.show_providers,
        "config test-provider": doctor.show_test_provider,
        "history list": tables.show_jobs,
        "jobs list": tables.show_jobs,
        "queue status": tables.show_queue,
        "queue set-parallel": tables.show_queue,
        "history show": cards.show_job,
        "engine status": cards.show_engine,
        "engine start": cards.show_engine,
    }


def show_success(body: dict[str, Any]) -> int:
    """Draw `body` for a person; the exit status the view asks for (0 unless it says otherwise)."""
    from gpt_image_cli.views import cards

    view = _views().get(str(body.get("command", "")), cards.show_result)
    code = view(body)
    return int(code or 0)


def show_error(err: Any, *, verbose: bool) -> None:
    from gpt_image_cli.views.errors import show_error as _show

    _show(err, verbose=verbose)
