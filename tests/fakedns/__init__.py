"""A tiny real DNS server on 127.0.0.1 (UDP, dnslib) for DNS-rebinding tests.

`FakeDNS().script(name, ["203.0.113.5", "127.0.0.2"])` answers the first query for
`name` with the first address, the second with the second, and repeats the last one
after that; a name with no script is NXDOMAIN. Every query is counted (`queries(name)`).

An engine process uses it through `hook/sitecustomize.py` (put `hook/` on PYTHONPATH and
set `GPT_IMAGE_2_TEST_DNS=127.0.0.1:<port>`): every lookup of a name under `.rebind.test`,
by the engine's own code or inside httpx, becomes a real DNS query to this server.
"""

from __future__ import annotations

import socket
import threading
from pathlib import Path
from typing import Any

from dnslib import QTYPE, RCODE, RR, A, DNSRecord

HOOK_DIR = Path(__file__).resolve().parent / "hook"
SUFFIX = ".rebind.test"


class FakeDNS:
    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = int(self.sock.getsockname()[1])
        self._answers: dict[str, list[str]] = {}
        self._counts: dict[str, int] = {}
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._serve, name="fake-dns", daemon=True)
        self._stopped = False

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def script(self, name: str, answers: list[str]) -> None:
        with self._lock:
            self._answers[name.rstrip(".").lower()] = list(answers)
            self._counts[name.rstrip(".").lower()] = 0

    def queries(self, name: str) -> int:
        with self._lock:
            return self._counts.get(name.rstrip(".").lower(), 0)

    def start(self) -> FakeDNS:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopped = True
        self.sock.close()

    def __enter__(self) -> FakeDNS:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def _serve(self) -> None:
        while not self._stopped:
            try:
                data, peer = self.sock.recvfrom(4096)
            except OSError:
                return
            try:
                request = DNSRecord.parse(data)
            except Exception:  # noqa: BLE001 - junk datagrams are ignored
                continue
            reply = request.reply()
            name = str(request.q.qname).rstrip(".").lower()
            with self._lock:
                answers = self._answers.get(name)
                if answers is not None:
                    self._counts[name] = self._counts.get(name, 0) + 1
                    index = min(self._counts[name], len(answers)) - 1
                    address = answers[index] if answers else None
                else:
                    address = None
            if address is None:
                reply.header.rcode = RCODE.NXDOMAIN
            elif request.q.qtype in (QTYPE.A, QTYPE.ANY):
                reply.add_answer(RR(request.q.qname, QTYPE.A, rdata=A(address), ttl=0))
            try:
                self.sock.sendto(reply.pack(), peer)
            except OSError:
                return
