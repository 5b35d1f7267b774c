#!/usr/bin/env python3
"""Build `dist/gpt-image-2-skill.zip`: the skill folder, ready to unpack into an agent's skills folder.

The zip holds one top-level folder `gpt-image-2-skill/` with SKILL.md, references/, scripts/,
evals/ and agents/ (symlinks resolved, caches and bytecode left out). Before zipping it checks
that troubleshooting.md matches the error registry when the registry is importable.
Usage: `python skill/scripts/bundle.py [--out PATH]`; prints the zip path.
"""

from __future__ import annotations

import argparse
import sys
import zipfile
from pathlib import Path

SKILL = Path(__file__).resolve().parent.parent
ROOT = SKILL.parent
NAME = "gpt-image-2-skill"
INCLUDE = ("SKILL.md", "references", "scripts", "evals", "agents")
SKIP_PARTS = {"__pycache__", ".pytest_cache", ".ruff_cache", ".mypy_cache"}


def files() -> list[Path]:
    found: list[Path] = []
    for entry in INCLUDE:
        path = SKILL / entry
        if path.is_file():
            found.append(path)
        elif path.is_dir():
            found += sorted(
                p for p in path.rglob("*") if p.is_file() and not SKIP_PARTS & set(p.parts) and p.suffix != ".pyc"
            )
    return found


def build(out: Path) -> Path:
    try:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        import gen_troubleshooting

        if gen_troubleshooting.main(["--check"]) != 0:
            raise SystemExit("references/troubleshooting.md is stale; run skill/scripts/gen_troubleshooting.py")
    except ImportError:
        pass  # registry not importable here: bundle as is
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".part")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for path in files():
            arcname = f"{NAME}/{path.relative_to(SKILL).as_posix()}"
            info = zipfile.ZipInfo(arcname, date_time=(2020, 1, 1, 0, 0, 0))
            info.external_attr = (0o755 if path.suffix == ".py" else 0o644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, path.read_bytes())
    tmp.replace(out)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Zip the skill folder for installation.")
    parser.add_argument(
        "--out", default=str(ROOT / "dist" / f"{NAME}.zip"), help="zip path (default: dist/gpt-image-2-skill.zip)"
    )
    args = parser.parse_args(argv)
    print(build(Path(args.out)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
