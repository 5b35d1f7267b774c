"""`images generate` and `images edit`: validate, upload inputs, follow the job, save outputs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from gpt_image.v1 import common_pb2, images_pb2
from gpt_image_cli.context import CliState, state
from gpt_image_cli.jobstream import Finished, follow
from gpt_image_cli.transfer import image_source, save_outputs, save_partials
from gpt_image_cli.validate import (
    SIZE,
    FiniteFloat,
    check_mask,
    check_out_dir,
    check_prompt,
    check_ref_images,
    classify_image,
)
from gpt_image_protocol import validation

F = Callable[..., Any]


def image_flags(func: F) -> F:
    """The upstream's shared image flags plus retries, partial previews and --detach."""
    decorators = [
        click.option("--prompt", required=True, help="What to draw."),
        click.option(
            "--out",
            required=True,
            type=click.Path(dir_okay=False, path_type=Path),
            help="Output path; extension optional.",
        ),
        click.option("-m", "--model", default="", help="Model (provider default when omitted)."),
        click.option("--instructions", default="", help="Codex only: system instructions."),
        click.option("--background", type=click.Choice(validation.BACKGROUNDS), default=None),
        click.option("--size", type=SIZE, default=None, help="auto, 2K, 4K or WIDTHxHEIGHT."),
        click.option("--quality", type=click.Choice(validation.QUALITIES), default=None),
        click.option("--format", "format_", type=click.Choice(validation.FORMATS), default=None),
        click.option("--compression", type=click.IntRange(0, 100), default=None),
        click.option("--n", type=click.IntRange(1, 10), default=None, help="Number of images (1-10)."),
        click.option("--moderation", type=click.Choice(validation.MODERATIONS), default=None),
        click.option(
            "--partial-images",
            type=click.IntRange(0, 3),
            default=0,
            show_default=True,
            help="Streamed partial previews saved as partial-<i>.png.",
        ),
        click.option(
            "--retries",
            type=click.IntRange(min=0),
            default=None,
            help="Retries on 429/5xx/transport errors (default 3).",
        ),
        click.option(
            "--retry-delay-seconds",
            type=FiniteFloat(min=0),
            default=None,
            help="Base retry delay, doubling (default 1).",
        ),
        click.option(
            "--request-timeout-seconds",
            type=FiniteFloat(min=0, min_open=True),
            default=None,
            help="Per-request timeout (default 300).",
        ),
        click.option("--detach", is_flag=True, help="Print the job id once queued and leave the job running."),
    ]
    for decorator in reversed(decorators):
        func = decorator(func)
    return func


def check_image_flags(kw: dict[str, Any]) -> None:
    """Checks Click's types cannot make: a non-empty prompt, an --out folder that can be made."""
    check_prompt(kw["prompt"])
    check_out_dir(Path(kw["out"]))


def image_options(kw: dict[str, Any]) -> images_pb2.ImageOptions:
    options = images_pb2.ImageOptions(
        prompt=kw["prompt"],
        model=kw["model"] or "",
        instructions=kw["instructions"] or "",
        background=kw["background"] or "",
        size=kw["size"] or "",
        quality=kw["quality"] or "",
        format=kw["format_"] or "",
        moderation=kw["moderation"] or "",
        partial_images=kw["partial_images"] or 0,
        client_out=str(Path(kw["out"]).expanduser().absolute()),
    )
    if kw["compression"] is not None:
        options.compression = kw["compression"]
    if kw["n"] is not None:
        options.n = kw["n"]
    return options


def retry_options(kw: dict[str, Any]) -> common_pb2.RetryOptions:
    retry = common_pb2.RetryOptions()
    if kw.get("retries") is not None:
        retry.retries = kw["retries"]
    if kw.get("retry_delay_seconds") is not None:
        retry.retry_delay_seconds = kw["retry_delay_seconds"]
    if kw.get("request_timeout_seconds") is not None:
        retry.request_timeout_seconds = kw["request_timeout_seconds"]
    return retry


def finish_images(
    st: CliState, command: str, done: Finished, out: Path, *, partial_images: int, force_png: bool = False
) -> None:
    """Save outputs (and partial previews when asked), then print the envelope."""
    payload = dict(done.payload)
    engine = st.engine()
    output = save_outputs(engine, done.artifacts, out.expanduser(), force_png=force_png)
    if output is not None:
        payload["output"] = output
        if partial_images:
            partials = save_partials(engine, done.artifacts, Path(output["files"][0]["path"]))
            if partials:
                payload["partials"] = partials
    st.done(command, payload)


@click.group("images")
def images() -> None:
    """Generate and edit images."""


@images.command("generate")
@image_flags
def images_generate(**kw: Any) -> None:
    """Generate images from a prompt."""
    check_image_flags(kw)
    st = state()
    request = images_pb2.GenerateImageRequest(
        options=st.call_options(), image=image_options(kw), retry=retry_options(kw), detach=kw["detach"]
    )
    engine = st.engine()
    done = follow(st, "images generate", lambda: engine.images.GenerateImage(request), detach=kw["detach"])
    if done is not None:
        finish_images(st, "images generate", done, kw["out"], partial_images=kw["partial_images"])


@images.command("edit")
@image_flags
@click.option(
    "--ref-image",
    "ref_images",
    multiple=True,
    required=True,
    help="Reference image: path, file://, http(s):// or data: URL (1-16).",
)
@click.option("--mask", default=None, help="Mask image (path or URL); needs a native-mask provider.")
@click.option("--input-fidelity", type=click.Choice(["high", "low"]), default=None)
def images_edit(ref_images: tuple[str, ...], mask: str | None, input_fidelity: str | None, **kw: Any) -> None:
    """Edit reference images (optionally with a mask)."""
    check_image_flags(kw)
    refs = check_ref_images(list(ref_images))
    mask_input = classify_image(mask, what="Mask image") if mask else None
    if mask_input is not None:
        check_mask(mask_input)
    st = state()
    engine = st.engine()
    request = images_pb2.EditImageRequest(
        options=st.call_options(),
        image=image_options(kw),
        retry=retry_options(kw),
        detach=kw["detach"],
        refs=[image_source(engine, ref) for ref in refs],
        input_fidelity=input_fidelity or "",
    )
    if mask_input is not None:
        request.mask.CopyFrom(image_source(engine, mask_input))
    done = follow(st, "images edit", lambda: engine.images.EditImage(request), detach=kw["detach"])
    if done is not None:
        finish_images(st, "images edit", done, kw["out"], partial_images=kw["partial_images"])


COMMANDS = [images]
