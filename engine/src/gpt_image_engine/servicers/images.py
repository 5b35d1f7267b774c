"""ImagesService: validate, select the provider, then run generate/edit as a job."""

from __future__ import annotations

from collections.abc import Iterator

import grpc
from gpt_image.v1 import common_pb2, images_pb2, images_pb2_grpc
from gpt_image_protocol import validation

from gpt_image_engine.call import call_from_proto
from gpt_image_engine.errors import AppError
from gpt_image_engine.providers.selection import select_provider
from gpt_image_engine.servicers.common import coded_stream, stream_job
from gpt_image_engine.servicers.inputs import check_provider_options, image_job, input_image, retry_policy
from gpt_image_engine.state import Engine
from gpt_image_engine.tasks.images import request_summary, run_images


class ImagesServicer(images_pb2_grpc.ImagesServiceServicer):
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @coded_stream
    def GenerateImage(
        self, request: images_pb2.GenerateImageRequest, context: grpc.ServicerContext
    ) -> Iterator[common_pb2.JobEvent]:
        job = image_job("generate", request.image)
        yield from self._run("images generate", request.options, job, request.retry, request.detach, context, request.image.client_out)

    @coded_stream
    def EditImage(self, request: images_pb2.EditImageRequest, context: grpc.ServicerContext) -> Iterator[common_pb2.JobEvent]:
        job = image_job("edit", request.image)
        if not request.refs:
            raise AppError("invalid_command", "images edit needs at least one --ref-image.")
        validation.check_ref_count(len(request.refs))
        job.input_fidelity = validation.check_choice("--input-fidelity", request.input_fidelity, validation.INPUT_FIDELITIES)
        job.refs = [input_image(self.engine, src, i + 1, "image") for i, src in enumerate(request.refs)]
        if request.HasField("mask") and request.mask.WhichOneof("source"):
            job.mask = input_image(self.engine, request.mask, 1, "mask")
        yield from self._run("images edit", request.options, job, request.retry, request.detach, context, request.image.client_out)

    def _run(self, command, options, job, retry, detach, context, client_out):  # type: ignore[no-untyped-def]
        call = call_from_proto(options)
        policy = retry_policy(retry)
        resolved = select_provider(call, self.engine.paths, self.engine.env)
        check_provider_options(resolved, job)
        metadata = {"request": request_summary(job), "provider_selection": resolved.selection_payload()}
        if client_out:
            metadata["client_out"] = client_out
        live = self.engine.jobs.submit(
            command, resolved.name, metadata, lambda lj: run_images(self.engine, lj, resolved, job, policy)
        )
        yield from stream_job(self.engine, live, context, detach)
