"""TransparentService: extract, verify and generate transparent PNGs as jobs."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import grpc

from gpt_image.v1 import common_pb2, transparent_pb2, transparent_pb2_grpc
from gpt_image_engine.call import call_from_proto
from gpt_image_engine.errors import AppError
from gpt_image_engine.providers.selection import select_provider
from gpt_image_engine.servicers.common import coded_stream, stream_job
from gpt_image_engine.servicers.inputs import check_provider_options, image_job, retry_policy
from gpt_image_engine.state import Engine
from gpt_image_engine.tasks.transparent import run_extract, run_generate, run_generate_dual, run_verify
from gpt_image_protocol import validation
from gpt_image_protocol.jsonshape import METHOD_CHOICES, METHOD_NAMES, PROFILE_CHOICES, PROFILE_NAMES

MATERIALS = ("standard", "soft-3d", "soft3d", "flat-icon", "sticker", "glow")


def profile_of(value: int) -> str:
    """The profile's word (unspecified: generic); a number this engine does not know is refused."""
    if not value:
        return "generic"
    if value not in PROFILE_NAMES:
        raise AppError("invalid_command", f"--profile must be one of {', '.join(PROFILE_CHOICES)}.")
    return PROFILE_NAMES[value]


def _options(t: transparent_pb2.TransparentOptions) -> dict[str, Any]:
    profile = profile_of(t.transparent_profile)
    if t.transparent_method and t.transparent_method not in METHOD_NAMES:
        raise AppError("invalid_command", f"--method must be one of {', '.join(METHOD_CHOICES)}.")
    if t.material and t.material not in MATERIALS:
        raise AppError("invalid_command", f"--material must be one of {', '.join(MATERIALS)}.")
    options: dict[str, Any] = {
        "method": METHOD_NAMES.get(t.transparent_method, "auto"),
        "profile": profile,
        "material": t.material or None,
        "matte_color": t.matte_color or None,
        "strict": t.strict,
    }
    for name in ("threshold", "softness", "spill_suppression"):
        if t.HasField(name):
            options[name] = getattr(t, name)
    if options.get("spill_suppression") is not None and not 0 <= options["spill_suppression"] <= 1:
        raise AppError("invalid_command", "--spill-suppression must be between 0 and 1.")
    return options


class TransparentServicer(transparent_pb2_grpc.TransparentServiceServicer):
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def _bytes(self, source: common_pb2.ImageSource) -> bytes | None:
        kind = source.WhichOneof("source")
        if kind is None:
            return None
        if kind == "artifact_id":
            try:
                return self.engine.artifacts.read(source.artifact_id)
            except AppError as err:
                raise AppError("image_read_failed", "The uploaded image was not found.", err.detail) from err
        from gpt_image_engine.providers.sources import image_from_url

        return image_from_url(source.url).data

    @coded_stream
    def ExtractTransparent(
        self, request: transparent_pb2.ExtractTransparentRequest, context: grpc.ServicerContext
    ) -> Iterator[common_pb2.JobEvent]:
        options = _options(request.transparent)
        if options["method"] not in ("auto", "chroma", "dual"):
            raise AppError("invalid_command", "--method must be auto, chroma or dual.")
        input_png = self._bytes(request.input)
        dark = self._bytes(request.dark_image)
        light = self._bytes(request.light_image)
        metadata = {"method": options["method"], "profile": options["profile"], "client_out": request.client_out}
        live = self.engine.jobs.submit(
            "transparent extract", "local", metadata, lambda lj: run_extract(lj, input_png, dark, light, options)
        )
        yield from stream_job(self.engine, live, context, request.detach)

    @coded_stream
    def VerifyTransparent(
        self, request: transparent_pb2.VerifyTransparentRequest, context: grpc.ServicerContext
    ) -> Iterator[common_pb2.JobEvent]:
        profile = profile_of(request.transparent_profile)
        data = self._bytes(request.input)
        if data is None:
            raise AppError("invalid_argument", "transparent verify needs --input.")
        expected = request.expected_matte_color or None
        live = self.engine.jobs.submit(
            "transparent verify",
            "local",
            {"profile": profile},
            lambda lj: run_verify(lj, data, profile, expected, request.strict),
        )
        yield from stream_job(self.engine, live, context, False)

    @coded_stream
    def GenerateTransparent(
        self, request: transparent_pb2.GenerateTransparentRequest, context: grpc.ServicerContext
    ) -> Iterator[common_pb2.JobEvent]:
        from gpt_image_engine.transparent.color import parse_matte_color, to_hex
        from gpt_image_engine.transparent.pipeline import choose_matte_color, matte_prompt

        options = _options(request.transparent)
        method = options.pop("method")
        user_prompt = request.image.prompt
        job = image_job("generate", request.image)
        matte = options.pop("matte_color") or choose_matte_color(user_prompt)
        matte_hex = to_hex(parse_matte_color(matte))
        validation.check_prompt("--source-prompt", request.source_prompt)
        job.prompt = request.source_prompt or matte_prompt(user_prompt, matte_hex)
        job.background = "opaque"
        job.output_format = "png"
        job.n = None
        call = call_from_proto(request.options)
        policy = retry_policy(request.retry)
        resolved = select_provider(call, self.engine.paths, self.engine.env)
        check_provider_options(resolved, job)
        metadata = {"prompt": user_prompt, "profile": options["profile"], "matte_color": matte_hex, "method": method}
        if method == "dual":
            work = lambda lj: run_generate_dual(  # noqa: E731
                self.engine, lj, resolved, job, policy, user_prompt, options, request.keep_sources
            )
        else:
            work = lambda lj: run_generate(  # noqa: E731
                self.engine, lj, resolved, job, policy, user_prompt, matte_hex, options, request.keep_sources
            )
        live = self.engine.jobs.submit("transparent generate", resolved.name, metadata, work)
        yield from stream_job(self.engine, live, context, request.detach)
