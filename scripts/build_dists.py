"""Build the four wheels into dist/ with one version number (`make dist`).

VERSION (the repository root) is the single source of the release number. Before
building, this script writes it into each distribution's pyproject.toml (its own
version and the exact pins between our distributions) and into the `__version__`
of the packages that report one; `--check` only verifies they agree (the test suite
runs that). Each wheel is built from a temporary copy of its folder; the gateway's copy gets
web/ inside its package, so its wheel carries the page.

    python scripts/build_dists.py [OUTDIR (dist/)] [--check]
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DISTS = {  # folder -> (distribution, package that carries __version__ or None)
    "protos": ("gpt-image-2-protocol", "gpt_image_protocol"),
    "engine": ("gpt-image-2-engine", "gpt_image_engine"),
    "cli": ("gpt-image-2-skill", None),  # click reads the installed metadata
    "gateway": ("gpt-image-2-web", "gpt_image_gateway"),
}
OURS = "|".join(re.escape(name) for name, _ in DISTS.values())
VERSION_LINE = re.compile(r'^version = "[^"]*"$', re.M)
PIN = re.compile(rf'(?<!name = )"({OURS})(==[^"\]]*)?"')  # a dependency on one of ours, not its name
DUNDER = re.compile(r'^__version__ = "[^"]*"$', re.M)


def version() -> str:
    return (ROOT / "VERSION").read_text().strip()


def stamped(folder: str, text: str, kind: str, ver: str) -> str:
    if kind == "pyproject":
        text = VERSION_LINE.sub(f'version = "{ver}"', text, count=1)
        return PIN.sub(lambda m: f'"{m.group(1)}=={ver}"', text)
    return DUNDER.sub(f'__version__ = "{ver}"', text, count=1)


def targets() -> list[tuple[Path, str, str]]:
    out = []
    for folder, (_, package) in DISTS.items():
        out.append((ROOT / folder / "pyproject.toml", folder, "pyproject"))
        if package:
            out.append((ROOT / folder / "src" / package / "__init__.py", folder, "init"))
    return out


def mismatches(ver: str) -> list[str]:
    return [str(p.relative_to(ROOT)) for p, f, k in targets() if stamped(f, p.read_text(), k, ver) != p.read_text()]


def stamp(ver: str) -> None:
    for path, folder, kind in targets():
        text = path.read_text()
        new = stamped(folder, text, kind, ver)
        if new != text:
            path.write_text(new)
            print(f"stamped {path.relative_to(ROOT)} with {ver}")


def build(outdir: Path) -> list[Path]:
    """Build each wheel from a copy of its folder in a temporary directory: nothing (build/,
    egg-info, the copied page) appears in the checkout, where running engines, gateways and
    editable installs would see it half-made."""
    outdir = outdir.resolve()
    outdir.mkdir(parents=True, exist_ok=True)
    junk = shutil.ignore_patterns("build", "dist", "*.egg-info", "__pycache__", "*.pyc")
    with tempfile.TemporaryDirectory(prefix="gi2-dist-") as tmp:
        for folder in DISTS:
            source = Path(tmp) / folder
            shutil.copytree(ROOT / folder, source, ignore=junk)
            if folder == "gateway":
                shutil.copytree(ROOT / "web", source / "src" / "gpt_image_gateway" / "web", ignore=junk)
            # --no-isolation: the build backend (setuptools) comes from this environment, no download.
            subprocess.run(
                [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(outdir), str(source)],
                check=True,
                stdout=subprocess.DEVNULL,
            )
    return sorted(outdir.glob("*.whl"))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("outdir", type=Path, nargs="?", default=ROOT / "dist", help="where the wheels go (dist/)")
    parser.add_argument("--check", action="store_true", help="only verify every file carries VERSION")
    ns = parser.parse_args()
    ver = version()
    if ns.check:
        bad = mismatches(ver)
        for path in bad:
            print(f"{path} does not carry version {ver} (run scripts/build_dists.py)", file=sys.stderr)
        return 1 if bad else 0
    stamp(ver)
    for wheel in build(ns.outdir):
        print(wheel.relative_to(ROOT) if wheel.is_relative_to(ROOT) else wheel)
    return 0


if __name__ == "__main__":
    sys.exit(main())
