"""Chunked upload, the one implementation the CLI and the gateway share.

`UploadArtifact` is client-streaming: a header (name, mime type, declared size and, when
known, sha256) and then the bytes in chunks of at most `CHUNK_SIZE`, never the whole file
in one message. The engine checks the size and the digest against the header.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO

from gpt_image.v1 import artifacts_pb2
from gpt_image_protocol.channel import CHUNK_SIZE


def upload_requests(
    name: str, mime_type: str, stream: IO[bytes], size: int, sha256: str = ""
) -> Iterator[artifacts_pb2.UploadArtifactRequest]:
    """The messages of one upload: the header, then `stream` read to its end in chunks."""
    yield artifacts_pb2.UploadArtifactRequest(
        header=artifacts_pb2.ArtifactHeader(name=name, mime_type=mime_type, size_bytes=size, sha256=sha256)
    )
    while block := stream.read(CHUNK_SIZE):
        yield artifacts_pb2.UploadArtifactRequest(chunk=block)
