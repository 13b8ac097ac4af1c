"""Helpers the engine and Monte Carlo benchmarks share: what ran them, where, which solver."""

from __future__ import annotations

import os
import platform

import numpy as np
import scipy


def bw2calc_solver() -> str:
    """The sparse solver bw2calc uses here: ``pypardiso``, ``umfpack`` or ``superlu``."""
    import bw2calc

    if bw2calc.PYPARDISO:
        return "pypardiso"
    if bw2calc.UMFPACK:
        return "umfpack"
    return "superlu"


def versions() -> dict[str, str]:
    """Versions of Python, numpy, scipy, Tanzuji and, when installed, bw2calc and bw_processing."""
    import tanzuji

    out = {"python": platform.python_version(), "numpy": np.__version__, "scipy": scipy.__version__}
    out["tanzuji"] = tanzuji.__version__
    try:
        import bw2calc
        import bw_processing

        out["bw2calc"] = bw2calc.__version__
        out["bw_processing"] = bw_processing.__version__
    except ImportError:
        pass
    return out


def cpus() -> int:
    """CPUs this process may run on (its affinity set where the OS has one)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
