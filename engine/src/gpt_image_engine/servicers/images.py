"""ImagesService: validate, select the provider, then run generate/edit as a job."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import grpc

from gpt_image.v1 import common_pb2, images_pb2, images_pb2_grpc
from gpt_image_engine.call import call_from_proto
from gpt_image_engine.errors import AppError
from gpt_image_engine.jobs.manager import Work
from gpt_image_engine.providers.base import ImageJob, ResolvedProvider, RetryPolicy
from gpt_image_engine.providers.selection import select_provider
from gpt_image_engine.servicers.common import coded_stream, stream_job
from gpt_image_engine.servicers.inputs import check_provider_options, image_job, input_image, retry_policy
from gpt_image_engine.servicers.replay import keep_input, save_request, scrubbed
from gpt_image_engine.state import Engine
from gpt_image_engine.tasks.images import request_summary, run_images
from gpt_image_protocol import validation


class ImagesServicer(images_pb2_grpc.ImagesServiceServicer):
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @coded_stream
    def GenerateImage(
        self, request: images_pb2.GenerateImageRequest, context: grpc.ServicerContext
    ) -> Iterator[common_pb2.JobEvent]:
        job = image_job("generate", request.image)
        yield from self._run("GenerateImage", request, job, context)

    @coded_stream
    def EditImage(
        self, request: images_pb2.EditImageRequest, context: grpc.ServicerContext
    ) -> Iterator[common_pb2.JobEvent]:
        job = image_job("edit", request.image)
        if not request.refs:
            raise AppError("invalid_command", "images edit needs at least one --ref-image.")
        validation.check_ref_count(len(request.refs))
        job.input_fidelity = validation.check_choice(
            "--input-fidelity", request.input_fidelity, validation.INPUT_FIDELITIES
        )
        job.refs = [input_image(self.engine, src, i + 1, "image") for i, src in enumerate(request.refs)]
        if request.HasField("mask") and request.mask.WhichOneof("source"):
            job.mask = input_image(self.engine, request.mask, 1, "mask")
        yield from self._run("EditImage", request, job, context)

    def _run(
        self, method: str, request: Any, job: ImageJob, context: grpc.ServicerContext
    ) -> Iterator[common_pb2.JobEvent]:
        command = "images generate" if method == "GenerateImage" else "images edit"
        resolved, policy = self._resolve(request, job)
        metadata: dict[str, Any] = {"request": request_summary(job), "provider_selection": resolved.selection_payload()}
        if request.image.client_out:
            metadata["client_out"] = request.image.client_out
        kept = scrubbed(request)
        live = self.engine.jobs.submit(
            command,
            resolved.name,
            metadata,
            lambda lj: run_images(self.engine, lj, resolved, job, policy),
            spec=(method, kept.SerializeToString()) if _portable(method, request) else None,
        )
        if method == "EditImage":
            for i, (ref, src) in enumerate(zip(job.refs, kept.refs, strict=True)):
                keep_input(live.job_id, live.job_dir, f"ref-{i}", ref, src)
            if job.mask is not None:
                keep_input(live.job_id, live.job_dir, "mask", job.mask, kept.mask)
        save_request(live.job_dir, method, kept)
        yield from stream_job(self.engine, live, context, request.detach)

    def _resolve(self, request: Any, job: ImageJob) -> tuple[ResolvedProvider, RetryPolicy]:
        policy = retry_policy(request.retry)
        resolved = select_provider(call_from_proto(request.options), self.engine.paths, self.engine.env)
        check_provider_options(resolved, job)
        return resolved, policy

    def rebuild_generate(self, body: bytes) -> Work:
        """The work of a stored `GenerateImage` request, on whichever engine claims it (cluster
        mode): the provider is selected again with this engine's own config and secrets."""
        request = images_pb2.GenerateImageRequest.FromString(body)
        job = image_job("generate", request.image)
        resolved, policy = self._resolve(request, job)
        return lambda lj: run_images(self.engine, lj, resolved, job, policy)


def _portable(method: str, request: Any) -> bool:
    """Whether another engine may run this request: a generate call (no input files that live
    only here) that carries no per-call API key (a key never leaves the engine it was sent to)."""
    options = request.options
    return method == "GenerateImage" and not (options.api_key or options.env_openai_api_key)
