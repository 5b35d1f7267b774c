"""The gateway's handle on the engine: one gRPC channel and the stubs it needs."""

from __future__ import annotations

import json
from typing import Any

import grpc
from gpt_image.v1 import system_pb2, system_pb2_grpc
from gpt_image_protocol.address import EngineAddress, resolve_address
from gpt_image_protocol.channel import open_channel
from gpt_image_protocol.rpc_errors import from_rpc_error


class EngineClient:
    def __init__(self, address: EngineAddress | None = None) -> None:
        self.address = address or resolve_address(None)
        self.channel = open_channel(self.address)
        self.system = system_pb2_grpc.SystemServiceStub(self.channel)

    def version(self) -> dict[str, Any]:
        try:
            reply = self.system.GetVersion(system_pb2.GetVersionRequest(), timeout=5)
        except grpc.RpcError as exc:
            raise from_rpc_error(exc) from exc
        result: dict[str, Any] = json.loads(reply.result_json)
        return result

    def close(self) -> None:
        self.channel.close()
