"""`request create`: send a caller-built JSON body verbatim through the engine."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from gpt_image.v1 import requests_pb2
from gpt_image_cli.commands.images_cmds import retry_options
from gpt_image_cli.context import state
from gpt_image_cli.jobstream import follow
from gpt_image_cli.transfer import save_outputs
from gpt_image_cli.validate import FiniteFloat, check_out_dir
from gpt_image_protocol.errors import AppError
from gpt_image_protocol.jsonshape import to_object
from gpt_image_protocol.validation import loads_finite


def read_body(body_file: str) -> dict[str, Any]:
    """The body; it must be a JSON object of finite numbers (`invalid_body_json`)."""
    try:
        text = sys.stdin.read() if body_file == "-" else Path(body_file).expanduser().read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise AppError(
            "invalid_body_json", f"Unable to read the request body: {exc}", {"body_file": body_file}
        ) from exc
    try:
        value = loads_finite(text)
    except ValueError as exc:
        raise AppError(
            "invalid_body_json", "Request body must be valid JSON.", {"body_file": body_file, "error": str(exc)}
        ) from exc
    if not isinstance(value, dict):
        raise AppError("invalid_body_json", "Request body must be a JSON object.", {"body_file": body_file})
    return value


@click.group("request")
def request() -> None:
    """Raw provider requests."""


@request.command("create")
@click.option("--body-file", required=True, help="JSON body file, or - for stdin.")
@click.option(
    "--request-operation", type=click.Choice(["responses", "generate", "edit"]), default="responses", show_default=True
)
@click.option(
    "--out-image", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Save decoded images here."
)
@click.option("--expect-image", is_flag=True, help="Fail with missing_image_result when no image comes back.")
@click.option("--retries", type=click.IntRange(min=0), default=None)
@click.option("--retry-delay-seconds", type=FiniteFloat(min=0), default=None)
@click.option("--request-timeout-seconds", type=FiniteFloat(min=0, min_open=True), default=None)
@click.option("--detach", is_flag=True, help="Print the job id once queued and leave the job running.")
def request_create(
    body_file: str,
    request_operation: str,
    out_image: Path | None,
    expect_image: bool,
    retries: int | None,
    retry_delay_seconds: float | None,
    request_timeout_seconds: float | None,
    detach: bool,
) -> None:
    """Send --body-file verbatim to the selected provider."""
    body = read_body(body_file)
    if out_image is not None:
        check_out_dir(out_image)
    st = state()
    engine = st.engine()
    rpc = requests_pb2.CreateRequestRequest(
        options=st.call_options(),
        retry=retry_options(
            {
                "retries": retries,
                "retry_delay_seconds": retry_delay_seconds,
                "request_timeout_seconds": request_timeout_seconds,
            }
        ),
        detach=detach,
        body=to_object(body),
        request_operation=request_operation,
        expect_image=expect_image,
        save_images=out_image is not None,
        body_file=body_file,
    )
    done = follow(st, "request create", lambda: engine.requests.CreateRequest(rpc), detach=detach)
    if done is None:
        return
    payload = dict(done.payload)
    if out_image is not None:
        saved = save_outputs(engine, done.artifacts, out_image.expanduser())
        if saved is not None:
            payload["image_output"] = saved
    st.done("request create", payload)


COMMANDS = [request]
