"""The three-activity toy system of the scale tests, solved by hand (not a test module)."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from tanzuji.scale.snapshot import Snapshot

IDS = ("product", "part", "factor:steel@part")


def toy(steel_co2: float = 0.1, release: str = "R1") -> Snapshot:
    """``product`` needs 0.5 ``part`` and emits 1 kg CO2; ``part`` needs 2 kg steel; steel
    emits ``steel_co2`` kg CO2 and 0.01 kg CH4 per kg (GWP100 CH4 29.8)."""
    technosphere = sp.csr_matrix([[1.0, 0.0, 0.0], [-0.5, 1.0, 0.0], [0.0, -2.0, 1.0]])
    biosphere = sp.csr_matrix([[1.0, 0.0, steel_co2], [0.0, 0.0, 0.01]])
    return Snapshot(
        technosphere,
        biosphere,
        np.array([1.0, 29.8]),
        IDS,
        ("piece", "piece", "kg"),
        ("CO2", "CH4"),
        release=release,
        model_hash="toy",
        gwp_set="AR6",
    )


# By hand: steel 0.1 + 0.01 * 29.8 = 0.398; part 2 * 0.398 = 0.796; product 1 + 0.5 * 0.796.
TOY_TOTAL = [1.398, 0.796, 0.398]
# CO2: steel 0.1, part 0.2, product 1 + 0.1 = 1.1; CH4: steel 0.298, part 0.596, product 0.298.
TOY_BY_GAS = {"CO2": [1.1, 0.2, 0.1], "CH4": [0.298, 0.596, 0.298]}
