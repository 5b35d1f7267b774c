"""TransparentService: extract, verify and generate transparent PNGs, each a spec run as a job."""

from __future__ import annotations

from collections.abc import Iterator

import grpc

from gpt_image.v1 import common_pb2, transparent_pb2, transparent_pb2_grpc
from gpt_image_engine.servicers import to_spec
from gpt_image_engine.servicers.common import coded_stream, stream_job
from gpt_image_engine.state import Engine
from gpt_image_engine.tasks.run import start


class TransparentServicer(transparent_pb2_grpc.TransparentServiceServicer):
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @coded_stream
    def ExtractTransparent(
        self, request: transparent_pb2.ExtractTransparentRequest, context: grpc.ServicerContext
    ) -> Iterator[common_pb2.JobEvent]:
        live = start(self.engine, to_spec.extract(request))
        yield from stream_job(self.engine, live, context, request.detach)

    @coded_stream
    def VerifyTransparent(
        self, request: transparent_pb2.VerifyTransparentRequest, context: grpc.ServicerContext
    ) -> Iterator[common_pb2.JobEvent]:
        live = start(self.engine, to_spec.verify(request))
        yield from stream_job(self.engine, live, context, False)

    @coded_stream
    def GenerateTransparent(
        self, request: transparent_pb2.GenerateTransparentRequest, context: grpc.ServicerContext
    ) -> Iterator[common_pb2.JobEvent]:
        live = start(self.engine, to_spec.generate_transparent(request))
        yield from stream_job(self.engine, live, context, request.detach)
