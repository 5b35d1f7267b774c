"""ArtifactsService: chunked upload and download of files (never one big message)."""

from __future__ import annotations

from collections.abc import Iterator

import grpc

from gpt_image.v1 import artifacts_pb2, artifacts_pb2_grpc, common_pb2
from gpt_image_engine.errors import AppError
from gpt_image_engine.servicers.common import coded_stream, coded_unary
from gpt_image_engine.state import Engine


class ArtifactsServicer(artifacts_pb2_grpc.ArtifactsServiceServicer):
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @coded_unary
    def UploadArtifact(
        self, request_iterator: Iterator[artifacts_pb2.UploadArtifactRequest], context: grpc.ServicerContext
    ) -> common_pb2.ArtifactRef:
        first = next(request_iterator, None)
        if first is None or first.WhichOneof("part") != "header":
            raise AppError("artifact_invalid", "An upload must start with a header message.")
        header = first.header

        def chunks() -> Iterator[bytes]:
            for message in request_iterator:
                if message.WhichOneof("part") != "chunk":
                    raise AppError("artifact_invalid", "Only data chunks may follow the header.")
                yield message.chunk

        stored = self.engine.artifacts.store_upload(header.name, chunks(), header.size_bytes, header.sha256)
        return common_pb2.ArtifactRef(
            artifact_id=stored.artifact_id,
            name=stored.name,
            mime_type=header.mime_type or stored.mime,
            size_bytes=stored.size,
            sha256=stored.sha256,
            artifact_role=common_pb2.ARTIFACT_ROLE_UPLOAD,
        )

    @coded_stream
    def DownloadArtifact(
        self, request: artifacts_pb2.DownloadArtifactRequest, context: grpc.ServicerContext
    ) -> Iterator[artifacts_pb2.ArtifactChunk]:
        info = self.engine.artifacts.describe(request.artifact_id)
        ref = common_pb2.ArtifactRef(
            artifact_id=info.artifact_id,
            name=info.name,
            mime_type=info.mime,
            size_bytes=info.size,
            sha256=info.sha256,
        )
        first = True
        for offset, block in self.engine.artifacts.iter_chunks(request.artifact_id, request.offset):
            chunk = artifacts_pb2.ArtifactChunk(data=block, offset=offset)
            if first:
                chunk.ref.CopyFrom(ref)
                first = False
            yield chunk
        if first:  # empty file or offset at the end: still send the ref
            yield artifacts_pb2.ArtifactChunk(offset=request.offset, ref=ref)
