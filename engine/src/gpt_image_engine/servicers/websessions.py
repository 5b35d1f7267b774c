"""WebSessionsService: the gateways' shared list of signed-out sessions (store/websessions.py)."""

from __future__ import annotations

import grpc

from gpt_image.v1 import websessions_pb2, websessions_pb2_grpc
from gpt_image_engine.servicers.common import coded_unary
from gpt_image_engine.state import Engine
from gpt_image_engine.store.websessions import check_session_id, open_revoked


class WebSessionsServicer(websessions_pb2_grpc.WebSessionsServiceServicer):
    def __init__(self, engine: Engine) -> None:
        self.store = open_revoked(engine.history, engine.paths.shared_dir, engine.paths.database_url)

    @coded_unary
    def RevokeWebSession(
        self, request: websessions_pb2.RevokeWebSessionRequest, context: grpc.ServicerContext
    ) -> websessions_pb2.RevokeWebSessionResponse:
        self.store.revoke(check_session_id(request.session_id), int(request.expires_at))
        return websessions_pb2.RevokeWebSessionResponse()

    @coded_unary
    def CheckWebSession(
        self, request: websessions_pb2.CheckWebSessionRequest, context: grpc.ServicerContext
    ) -> websessions_pb2.CheckWebSessionResponse:
        return websessions_pb2.CheckWebSessionResponse(revoked=self.store.revoked(check_session_id(request.session_id)))
