#!/usr/bin/env python3
"""Container/orchestrator health probe: exit 0 when the engine's grpc.health.v1 says SERVING.

Usage: grpc_health_probe.py [ADDRESS] [--timeout S]
ADDRESS is unix:///path, host:port (plaintext: the engine's --health-listen port)
or, with GPT_IMAGE_2_ENGINE_CA_FILE set, a TLS listener. Default: $GPT_IMAGE_2_ENGINE,
else the engine's default socket. Health needs no token, so none is sent.
"""

from __future__ import annotations

import argparse
import os
import sys

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="grpc_health_probe")
    parser.add_argument("address", nargs="?", default=os.environ.get("GPT_IMAGE_2_ENGINE", ""))
    parser.add_argument("--timeout", type=float, default=3.0)
    ns = parser.parse_args(argv)
    address = ns.address.strip()
    if not address:
        home = os.environ.get("CODEX_HOME") or os.path.expanduser("~/.codex")
        address = f"unix://{home}/gpt-image-2-skill/engine.sock"
    ca = (os.environ.get("GPT_IMAGE_2_ENGINE_CA_FILE") or "").strip()
    if ca and not address.startswith("unix:"):
        with open(ca, "rb") as fh:
            creds = grpc.ssl_channel_credentials(root_certificates=fh.read())
        options = []
        name = (os.environ.get("GPT_IMAGE_2_ENGINE_TLS_NAME") or "").strip()
        if name:
            options.append(("grpc.ssl_target_name_override", name))
        channel = grpc.secure_channel(address, creds, options=options)
    else:
        channel = grpc.insecure_channel(address)
    try:
        reply = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service=""), timeout=ns.timeout)
    except grpc.RpcError as exc:
        print(f"unhealthy: {exc.code().name}: {exc.details()}", file=sys.stderr)
        return 1
    finally:
        channel.close()
    if reply.status != health_pb2.HealthCheckResponse.SERVING:
        print(f"unhealthy: {health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)}", file=sys.stderr)
        return 1
    print("SERVING")
    return 0


if __name__ == "__main__":
    sys.exit(main())
