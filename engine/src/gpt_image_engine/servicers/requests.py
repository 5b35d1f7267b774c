"""RequestsService: `request create` as a job."""

from __future__ import annotations

from collections.abc import Iterator

import grpc

from gpt_image.v1 import common_pb2, requests_pb2, requests_pb2_grpc
from gpt_image_engine.call import call_from_proto
from gpt_image_engine.errors import AppError
from gpt_image_engine.providers.selection import select_for_request
from gpt_image_engine.servicers.common import coded_stream, stream_job
from gpt_image_engine.servicers.inputs import retry_policy
from gpt_image_engine.state import Engine
from gpt_image_engine.tasks.requests import run_request
from gpt_image_protocol import jsonshape, validation

OPERATIONS = ("responses", "generate", "edit")


class RequestsServicer(requests_pb2_grpc.RequestsServiceServicer):
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @coded_stream
    def CreateRequest(
        self, request: requests_pb2.CreateRequestRequest, context: grpc.ServicerContext
    ) -> Iterator[common_pb2.JobEvent]:
        if not request.HasField("body"):
            raise AppError("invalid_body_json", "The request body must be a JSON object.")
        body = jsonshape.obj(request.body)
        for key in ("prompt", "instructions"):
            if isinstance(body.get(key), str):
                validation.check_prompt(key, body[key])
        operation = request.request_operation or "responses"
        if operation not in OPERATIONS:
            raise AppError("invalid_command", f"--request-operation must be one of {', '.join(OPERATIONS)}.")
        call = call_from_proto(request.options)
        policy = retry_policy(request.retry)
        resolved = select_for_request(call, operation, self.engine.paths, self.engine.env)
        if resolved.kind == "codex" and operation != "responses":
            raise AppError("unsupported_option", "Codex request create uses --request-operation responses.")
        if resolved.kind != "codex" and operation == "responses":
            raise AppError("unsupported_option", "OpenAI request create uses --request-operation generate or edit.")
        body_file = request.body_file or "-"
        live = self.engine.jobs.submit(
            "request create",
            resolved.name,
            {"operation": operation, "body_file": body_file, "provider_selection": resolved.selection_payload()},
            lambda lj: run_request(
                self.engine, lj, resolved, body, operation, policy, request.expect_image, request.save_images, body_file
            ),
        )
        yield from stream_job(self.engine, live, context, request.detach)
