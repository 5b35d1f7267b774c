"""Regenerate protos/src/gpt_image/v1 from protos/gpt_image/v1/*.proto (make proto).

With --check DIR it writes into DIR instead, so a test can compare the result
with the committed code.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from grpc_tools import protoc

ROOT = Path(__file__).resolve().parent.parent
PROTO_ROOT = ROOT / "protos"


def generate(out: Path) -> None:
    protos = sorted(str(p.relative_to(PROTO_ROOT)) for p in (PROTO_ROOT / "gpt_image" / "v1").glob("*.proto"))
    out.mkdir(parents=True, exist_ok=True)
    import grpc_tools

    include = str(Path(grpc_tools.__file__).parent / "_proto")
    args = [
        "protoc",
        f"-I{PROTO_ROOT}",
        f"-I{include}",
        f"--python_out={out}",
        f"--pyi_out={out}",
        f"--grpc_python_out={out}",
        *protos,
    ]
    if protoc.main(args) != 0:
        raise SystemExit("protoc failed")
    pkg = out / "gpt_image" / "v1"
    (pkg / "__init__.py").write_text('"""Generated code for package gpt_image.v1 (do not edit; run make proto)."""\n')


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, default=PROTO_ROOT / "src")
    ns = parser.parse_args()
    generate(ns.out)
    print(f"generated into {ns.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
