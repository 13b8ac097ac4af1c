"""Where the shared reference data lives: ``../shared`` next to the repository root.

CI lays the shared folder there; so does a developer checkout under ``/work``. Tests that
read it call :func:`require` (or use :data:`SKIP_WITHOUT_SHARED`): without the folder they
are skipped with a reason, unless ``TANZUJI_REQUIRE_SHARED=1`` (set by ``.ci/run``), in which
case its absence is an error, so CI never passes by skipping them silently.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
REFERENCE = SHARED / "reference"
SAMPLES = REFERENCE / "samples"
PACT = REFERENCE / "pact"
LCI = REFERENCE / "lci"
TOOLS = SHARED / "tools"


def present() -> bool:
    """True when the shared folder is here; raises when CI requires it and it is not."""
    if REFERENCE.is_dir():
        return True
    if os.environ.get("TANZUJI_REQUIRE_SHARED") == "1":
        raise RuntimeError(
            f"shared reference data not found at {SHARED} (TANZUJI_REQUIRE_SHARED=1); "
            "CI lays it at ../shared next to the repository"
        )
    return False


SKIP_WITHOUT_SHARED = pytest.mark.skipif(
    not present(), reason=f"shared reference data not found at {SHARED}: skipped"
)
