"""Request messages to typed specs (`tasks.specs`): the only thing a work-starting servicer
does before handing the spec to its use case. Every check of the user's input runs in the
spec's constructor. Jobs recorded before specs were stored kept their request message
(`rpc_request.bin`); `legacy_spec` still reads those (images generate and edit)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from gpt_image.v1 import common_pb2, images_pb2, requests_pb2, transparent_pb2
from gpt_image_engine.call import call_from_proto
from gpt_image_engine.errors import AppError
from gpt_image_engine.tasks import specs
from gpt_image_protocol import jsonshape
from gpt_image_protocol.jsonshape import METHOD_NAMES, PROFILE_NAMES

LEGACY_REQUEST_FILE = "rpc_request.bin"


def retry(options: common_pb2.RetryOptions) -> specs.RetrySettings:
    def optional(name: str) -> Any:
        return getattr(options, name) if options.HasField(name) else None

    return specs.RetrySettings(
        retries=optional("retries"),
        retry_delay_seconds=optional("retry_delay_seconds"),
        request_timeout_seconds=optional("request_timeout_seconds"),
    )


def image_options(opts: images_pb2.ImageOptions) -> specs.ImageOptions:
    return specs.ImageOptions(
        prompt=opts.prompt,
        model=opts.model or None,
        instructions=opts.instructions or None,
        background=opts.background,
        size=opts.size or None,
        quality=opts.quality or None,
        output_format=opts.format or None,
        compression=opts.compression if opts.HasField("compression") else None,
        n=opts.n if opts.HasField("n") else None,
        moderation=opts.moderation or None,
        partial_images=opts.partial_images,
        client_out=opts.client_out or None,
    )


def image_source(source: common_pb2.ImageSource) -> specs.ImageSource | None:
    kind = source.WhichOneof("source")
    if kind == "artifact_id":
        return specs.ImageSource(artifact_id=source.artifact_id)
    if kind == "url":
        return specs.ImageSource(url=source.url)
    return None


def generate(request: images_pb2.GenerateImageRequest) -> specs.GenerateSpec:
    return specs.GenerateSpec(
        image=image_options(request.image), call=call_from_proto(request.options), retry=retry(request.retry)
    )


def edit(request: images_pb2.EditImageRequest) -> specs.EditSpec:
    image = image_options(request.image)
    refs = tuple(image_source(src) or specs.ImageSource() for src in request.refs)
    return specs.EditSpec(
        image=image,
        refs=refs,
        mask=image_source(request.mask) if request.HasField("mask") else None,
        input_fidelity=request.input_fidelity or None,
        call=call_from_proto(request.options),
        retry=retry(request.retry),
    )


def create_request(request: requests_pb2.CreateRequestRequest) -> specs.RequestSpec:
    if not request.HasField("body"):
        raise AppError("invalid_body_json", "The request body must be a JSON object.")
    body = jsonshape.obj(request.body)
    return specs.RequestSpec(
        body=body,
        request_operation=request.request_operation or "responses",
        expect_image=request.expect_image,
        save_images=request.save_images,
        body_file=request.body_file or "-",
        call=call_from_proto(request.options),
        retry=retry(request.retry),
    )


def _word(names: Mapping[int, str], value: int, default: str) -> str:
    """An enum's word (unspecified: `default`); a number this engine does not know becomes `#N`,
    which the spec refuses with its list of choices."""
    return names.get(value, f"#{value}") if value else default


def transparent_options(t: transparent_pb2.TransparentOptions) -> specs.TransparentOptions:
    def optional(name: str) -> float | None:
        return float(getattr(t, name)) if t.HasField(name) else None

    return specs.TransparentOptions(
        method=_word(METHOD_NAMES, t.transparent_method, "auto"),
        profile=_word(PROFILE_NAMES, t.transparent_profile, "generic"),
        material=t.material or None,
        matte_color=t.matte_color or None,
        strict=t.strict,
        threshold=optional("threshold"),
        softness=optional("softness"),
        spill_suppression=optional("spill_suppression"),
    )


def extract(request: transparent_pb2.ExtractTransparentRequest) -> specs.ExtractSpec:
    return specs.ExtractSpec(
        input=image_source(request.input),
        dark_image=image_source(request.dark_image),
        light_image=image_source(request.light_image),
        transparent=transparent_options(request.transparent),
        client_out=request.client_out,
    )


def verify(request: transparent_pb2.VerifyTransparentRequest) -> specs.VerifySpec:
    return specs.VerifySpec(
        input=image_source(request.input),
        profile=_word(PROFILE_NAMES, request.transparent_profile, "generic"),
        expected_matte_color=request.expected_matte_color or None,
        strict=request.strict,
    )


def generate_transparent(request: transparent_pb2.GenerateTransparentRequest) -> specs.TransparentGenerateSpec:
    return specs.TransparentGenerateSpec(
        transparent=transparent_options(request.transparent),
        image=image_options(request.image),
        source_prompt=request.source_prompt or None,
        keep_sources=request.keep_sources,
        call=call_from_proto(request.options),
        retry=retry(request.retry),
    )


def legacy_spec(job_dir: Path) -> specs.Spec:
    """The spec of a job recorded before specs were stored, from its kept request message;
    `invalid_argument` (saying why) when the job kept none or one of another kind."""
    try:
        blob = (job_dir / LEGACY_REQUEST_FILE).read_bytes()
    except OSError as exc:
        raise AppError(
            "invalid_argument", "This job cannot be retried: its request was not kept.", {"job_id": job_dir.name}
        ) from exc
    method, _, body = blob.partition(b"\n")
    if method == b"GenerateImage":
        return generate(images_pb2.GenerateImageRequest.FromString(body))
    if method == b"EditImage":
        return edit(images_pb2.EditImageRequest.FromString(body))
    raise AppError("invalid_argument", f"Jobs started by {method.decode(errors='replace')} cannot be retried.")
