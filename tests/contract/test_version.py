"""One release number: VERSION is carried by every distribution's pyproject, their exact pins on
each other and the packages' `__version__` (scripts/build_dists.py stamps them; `make dist`)."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT


def test_every_distribution_carries_the_one_version() -> None:
    check = subprocess.run(
        [sys.executable, "scripts/build_dists.py", "--check"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert check.returncode == 0, check.stderr
    version = (ROOT / "VERSION").read_text().strip()
    from gpt_image_engine import __version__ as engine_version
    from gpt_image_gateway import __version__ as gateway_version
    from gpt_image_protocol import __version__ as protocol_version

    assert engine_version == gateway_version == protocol_version == version
