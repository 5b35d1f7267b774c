"""Test-only resolver hook, loaded by an engine started with this folder on PYTHONPATH.

With `GPT_IMAGE_2_TEST_DNS=127.0.0.1:<port>`, every `socket.getaddrinfo` of a name under
`.rebind.test` is answered by a real DNS query (UDP, dnslib) to that server, whoever
asks: the engine's URL guard or httpx's connection code. Other names resolve as usual.
Never present in a deployment: only tests put this folder on PYTHONPATH.
"""

from __future__ import annotations

import os
import socket
from typing import Any

_SERVER = os.environ.get("GPT_IMAGE_2_TEST_DNS", "")

if _SERVER:
    from dnslib import QTYPE, DNSRecord

    _host, _, _port = _SERVER.rpartition(":")
    _real_getaddrinfo = socket.getaddrinfo

    def _getaddrinfo(host: Any, port: Any, family: int = 0, type: int = 0, proto: int = 0, flags: int = 0) -> Any:
        name = host.decode() if isinstance(host, bytes) else str(host or "")
        if not name.rstrip(".").lower().endswith(".rebind.test"):
            return _real_getaddrinfo(host, port, family, type, proto, flags)
        query = DNSRecord.question(name.rstrip("."), "A")
        reply = DNSRecord.parse(query.send(_host, int(_port), timeout=3))
        addresses = [str(rr.rdata) for rr in reply.rr if rr.rtype == QTYPE.A]
        if not addresses:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        number = int(port) if port not in (None, "") else 0
        return [
            (socket.AF_INET, type or socket.SOCK_STREAM, proto or socket.IPPROTO_TCP, "", (ip, number))
            for ip in addresses
        ]

    socket.getaddrinfo = _getaddrinfo
