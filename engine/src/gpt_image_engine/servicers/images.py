"""ImagesService: the request becomes a spec; `tasks` plans and runs it as a job."""

from __future__ import annotations

from collections.abc import Iterator

import grpc

from gpt_image.v1 import common_pb2, images_pb2, images_pb2_grpc
from gpt_image_engine.servicers import to_spec
from gpt_image_engine.servicers.common import coded_stream, stream_job
from gpt_image_engine.state import Engine
from gpt_image_engine.tasks.run import start


class ImagesServicer(images_pb2_grpc.ImagesServiceServicer):
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @coded_stream
    def GenerateImage(
        self, request: images_pb2.GenerateImageRequest, context: grpc.ServicerContext
    ) -> Iterator[common_pb2.JobEvent]:
        live = start(self.engine, to_spec.generate(request))
        yield from stream_job(self.engine, live, context, request.detach)

    @coded_stream
    def EditImage(
        self, request: images_pb2.EditImageRequest, context: grpc.ServicerContext
    ) -> Iterator[common_pb2.JobEvent]:
        live = start(self.engine, to_spec.edit(request))
        yield from stream_job(self.engine, live, context, request.detach)
