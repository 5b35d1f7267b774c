"""`transparent generate|extract|verify`: transparent PNGs made and checked by the engine.

Sources (`--source-out`, `--keep-sources`) and reports (`--report-dir`) are
downloaded from the job's "source" / "report" artifacts on this side.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path
from typing import Any

import click

from gpt_image.v1 import images_pb2, transparent_pb2
from gpt_image_cli.commands.images_cmds import retry_options
from gpt_image_cli.connect import Engine
from gpt_image_cli.context import state
from gpt_image_cli.jobstream import follow
from gpt_image_cli.transfer import by_role, image_source, output_object, output_paths, save_artifacts, save_outputs
from gpt_image_cli.validate import SIZE, FiniteFloat, check_out_dir, check_prompt, classify_image
from gpt_image_protocol import validation
from gpt_image_protocol.errors import AppError
from gpt_image_protocol.jsonshape import METHODS as METHOD_NUMBERS
from gpt_image_protocol.jsonshape import PROFILES as PROFILE_NUMBERS

PROFILES = validation.PROFILES
MATERIALS = validation.MATERIALS


def _tuning(
    method: str,
    profile: str,
    material: str | None,
    matte_color: str | None,
    threshold: float | None,
    softness: float | None,
    spill: float | None,
    strict: bool,
) -> transparent_pb2.TransparentOptions:
    options = transparent_pb2.TransparentOptions(
        transparent_method=METHOD_NUMBERS[method],
        transparent_profile=PROFILE_NUMBERS[profile],
        material="soft-3d" if material == "soft3d" else (material or ""),
        matte_color=matte_color or "",
        strict=strict,
    )
    if threshold is not None:
        options.threshold = threshold
    if softness is not None:
        options.softness = softness
    if spill is not None:
        options.spill_suppression = spill
    return options


def _tuning_flags(func: Any) -> Any:
    for decorator in reversed(
        [
            click.option("--profile", type=click.Choice(PROFILES), default="generic", show_default=True),
            click.option("--material", type=click.Choice(MATERIALS), default=None),
            click.option("--threshold", type=FiniteFloat(), default=None),
            click.option("--softness", type=FiniteFloat(), default=None),
            click.option("--spill-suppression", type=FiniteFloat(0, 1), default=None),
        ]
    ):
        func = decorator(func)
    return func


@click.group("transparent")
def transparent() -> None:
    """Transparent PNGs: generate on a matte, extract, verify."""


def _save_sources(
    engine: Engine, refs: list[Any], source_out: Path | None, report_dir: Path | None, keep: bool
) -> dict[str, Any] | None:
    sources = by_role(refs, "source")
    if not sources:
        return None
    if source_out is not None:
        target = source_out.expanduser()
    elif report_dir is not None:
        target = report_dir.expanduser() / "source.png"
    elif keep:
        target = Path(tempfile.gettempdir()) / f"gpt-image-2-transparent-{os.getpid()}-{time.time_ns()}" / "source.png"
    else:
        return None
    return output_object(save_artifacts(engine, sources, output_paths(target, sources)))


def _save_reports(engine: Engine, refs: list[Any], report_dir: Path | None) -> list[str]:
    reports = by_role(refs, "report")
    if not reports or report_dir is None:
        return []
    targets = [
        report_dir.expanduser() / (Path(r.name).name or f"report-{i}.json") for i, r in enumerate(reports, start=1)
    ]
    return [str(s.path) for s in save_artifacts(engine, reports, targets)]


@transparent.command("generate")
@click.option("--prompt", required=True)
@click.option(
    "--out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="Output PNG path (forced to .png)."
)
@click.option("-m", "--model", default="")
@click.option("--instructions", default="")
@click.option("--size", type=SIZE, default=None)
@click.option("--quality", type=click.Choice(validation.QUALITIES), default=None)
@click.option("--compression", type=click.IntRange(0, 100), default=None)
@click.option("--moderation", type=click.Choice(validation.MODERATIONS), default=None)
@click.option("--method", type=click.Choice(validation.METHODS), default="auto", show_default=True)
@_tuning_flags
@click.option("--matte-color", default="#00ff00", show_default=True)
@click.option("--source-prompt", default="")
@click.option("--source-out", type=click.Path(dir_okay=False, path_type=Path), default=None)
@click.option("--report-dir", type=click.Path(file_okay=False, path_type=Path), default=None)
@click.option("--keep-sources", is_flag=True)
@click.option("--retries", type=click.IntRange(min=0), default=None)
@click.option("--retry-delay-seconds", type=FiniteFloat(min=0), default=None)
@click.option("--request-timeout-seconds", type=FiniteFloat(min=0, min_open=True), default=None)
@click.option("--detach", is_flag=True)
def transparent_generate(
    prompt: str,
    out: Path,
    model: str,
    instructions: str,
    size: str | None,
    quality: str | None,
    compression: int | None,
    moderation: str | None,
    method: str,
    profile: str,
    material: str | None,
    threshold: float | None,
    softness: float | None,
    spill_suppression: float | None,
    matte_color: str,
    source_prompt: str,
    source_out: Path | None,
    report_dir: Path | None,
    keep_sources: bool,
    retries: int | None,
    retry_delay_seconds: float | None,
    request_timeout_seconds: float | None,
    detach: bool,
) -> None:
    """Generate on a flat matte, extract the alpha, verify the result."""
    check_prompt(prompt)
    for target in (out, source_out):
        if target is not None:
            check_out_dir(target)
    st = state()
    engine = st.engine()
    image = images_pb2.ImageOptions(
        prompt=prompt,
        model=model,
        instructions=instructions,
        size=size or "",
        quality=quality or "",
        moderation=moderation or "",
        client_out=str(out.expanduser().absolute()),
    )
    if compression is not None:
        image.compression = compression
    request = transparent_pb2.GenerateTransparentRequest(
        options=st.call_options(),
        image=image,
        transparent=_tuning(method, profile, material, matte_color, threshold, softness, spill_suppression, False),
        retry=retry_options(
            {
                "retries": retries,
                "retry_delay_seconds": retry_delay_seconds,
                "request_timeout_seconds": request_timeout_seconds,
            }
        ),
        detach=detach,
        source_prompt=source_prompt,
        keep_sources=keep_sources or source_out is not None or report_dir is not None,
        want_report=report_dir is not None,
    )
    done = follow(st, "transparent generate", lambda: engine.transparent.GenerateTransparent(request), detach=detach)
    if done is None:
        return
    payload = dict(done.payload)
    output = save_outputs(engine, done.artifacts, out.expanduser(), force_png=True)
    if output is not None:
        payload["output"] = output
    source = _save_sources(engine, done.artifacts, source_out, report_dir, keep_sources)
    if source is not None:
        payload["source_output"] = source
    reports = _save_reports(engine, done.artifacts, report_dir)
    if reports:
        payload["report_files"] = reports
    st.done("transparent generate", payload)


@transparent.command("extract")
@click.option("--input", "input_", default=None, help="Image on a flat matte (chroma).")
@click.option("--dark-image", default=None, help="The subject on black (dual).")
@click.option("--light-image", default=None, help="The subject on white (dual).")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--method", type=click.Choice(validation.METHODS), default="auto", show_default=True)
@_tuning_flags
@click.option("--matte-color", default=None, help="Name, #RRGGBB, or auto to sample the edges.")
@click.option("--strict", is_flag=True, help="Fail when verification fails.")
@click.option("--detach", is_flag=True)
def transparent_extract(
    input_: str | None,
    dark_image: str | None,
    light_image: str | None,
    out: Path,
    method: str,
    profile: str,
    material: str | None,
    threshold: float | None,
    softness: float | None,
    spill_suppression: float | None,
    matte_color: str | None,
    strict: bool,
    detach: bool,
) -> None:
    """Extract a transparent PNG from a matte image or a dark/light pair."""
    inputs = {
        name: classify_image(value, what="Input image", missing="image_read_failed")
        for name, value in (("input", input_), ("dark", dark_image), ("light", light_image))
        if value
    }
    check_out_dir(out)
    st = state()
    engine = st.engine()
    request = transparent_pb2.ExtractTransparentRequest(
        options=st.call_options(),
        transparent=_tuning(method, profile, material, matte_color, threshold, softness, spill_suppression, strict),
        detach=detach,
        client_out=str(out.expanduser().absolute()),
    )
    for name, field in (("input", request.input), ("dark", request.dark_image), ("light", request.light_image)):
        if name in inputs:
            field.CopyFrom(image_source(engine, inputs[name]))
    done = follow(st, "transparent extract", lambda: engine.transparent.ExtractTransparent(request), detach=detach)
    if done is None:
        return
    payload = dict(done.payload)
    output = save_outputs(engine, done.artifacts, out.expanduser(), force_png=True)
    if output is not None:
        payload["output"] = output
    st.done("transparent extract", payload)


@transparent.command("verify")
@click.option("--input", "input_", required=True)
@click.option("--profile", type=click.Choice(PROFILES), default="generic", show_default=True)
@click.option("--expected-matte-color", default="")
@click.option("--strict", is_flag=True, help="Exit 1 with transparent_verification_failed when it fails.")
def transparent_verify(input_: str, profile: str, expected_matte_color: str, strict: bool) -> None:
    """Check a transparent PNG against the profile's quality gate."""
    item = classify_image(input_, what="Input image", missing="image_read_failed")
    st = state()
    engine = st.engine()
    request = transparent_pb2.VerifyTransparentRequest(
        options=st.call_options(),
        input=image_source(engine, item),
        transparent_profile=PROFILE_NUMBERS[profile],
        expected_matte_color=expected_matte_color,
        strict=strict,
    )
    done = follow(st, "transparent verify", lambda: engine.transparent.VerifyTransparent(request))
    assert done is not None
    payload = done.payload
    passed = payload.get("passed")
    if passed is None and isinstance(payload.get("verification"), dict):
        passed = payload["verification"].get("passed")
    if strict and passed is False:
        raise AppError("transparent_verification_failed", "Transparent output failed verification.", payload)
    st.done("transparent verify", payload)


COMMANDS = [transparent]
