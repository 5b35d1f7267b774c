"""RequestsService: `request create` as a spec, run as a job."""

from __future__ import annotations

from collections.abc import Iterator

import grpc

from gpt_image.v1 import common_pb2, requests_pb2, requests_pb2_grpc
from gpt_image_engine.servicers import to_spec
from gpt_image_engine.servicers.common import coded_stream, stream_job
from gpt_image_engine.state import Engine
from gpt_image_engine.tasks.run import start


class RequestsServicer(requests_pb2_grpc.RequestsServiceServicer):
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @coded_stream
    def CreateRequest(
        self, request: requests_pb2.CreateRequestRequest, context: grpc.ServicerContext
    ) -> Iterator[common_pb2.JobEvent]:
        live = start(self.engine, to_spec.create_request(request))
        yield from stream_job(self.engine, live, context, request.detach)
