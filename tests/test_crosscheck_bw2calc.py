"""Independent cross-check: Tanzuji's engine against bw2calc 3.x on the same data.

bw2calc (Brightway 2.5) is an independent implementation of ``A s = f, g = B s, h = c g``
(Heijungs & Suh 2002). It is fed float64 datapackages built with bw_processing directly: bw2data
would store amounts as float32, which alone costs ~1e-7 of relative accuracy. Expected numbers
in these tests are therefore bw2calc's, on identical triplets, within ``rtol=1e-9``.

The GWP values are Tanzuji's (``characterization_vector``); what is cross-checked is the
matrix construction (duplicate entries summed), the solve (loops included), the inventory and
the characterization product.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

with warnings.catch_warnings():  # bw2calc warns that no fast solver (pypardiso) is installed
    warnings.simplefilter("ignore")
    import bw2calc
import bw_processing as bwp

from tanzuji.engine.calculate import Calculation, characterization_vector
from tanzuji.engine.system import Activity, FlowKey, ProductSystem, Triplets
from tanzuji.model.compile import compile_model
from tanzuji.model.files import load_model, load_model_text

DATA = Path(__file__).parent / "data"
RTOL = 1e-9
FLOW_ID_OFFSET = 100_000  # bw2calc ids: products/activities 1..n, flows from here
GASES = [
    FlowKey("CO2", "fossil"),
    FlowKey("CO2", "biogenic"),
    FlowKey("CO2", "biogenic", removal=True),
    FlowKey("CH4", "fossil"),
    FlowKey("CH4", "biogenic"),
    FlowKey("N2O", "fossil"),
    FlowKey("CO2", "fossil", aircraft=True),
    FlowKey("CO2", "land_use_change"),
]


# -- feeding bw2calc ---------------------------------------------------------------------------
def _indices(rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    out = np.empty(len(rows), dtype=bwp.INDICES_DTYPE)
    out["row"], out["col"] = rows, cols
    return out


def bw2calc_lca(system: ProductSystem, characterization: np.ndarray) -> Any:
    """A solved bw2calc ``LCA`` of ``system`` from a float64 in-memory datapackage."""
    tech, bio = system.technosphere, system.biosphere
    dp = bwp.create_datapackage()
    dp.add_persistent_vector(
        matrix="technosphere_matrix",
        indices_array=_indices(np.array(tech.rows) + 1, np.array(tech.cols) + 1),
        data_array=np.array(tech.values, dtype=np.float64),
        name="technosphere",
    )
    dp.add_persistent_vector(
        matrix="biosphere_matrix",
        indices_array=_indices(np.array(bio.rows) + FLOW_ID_OFFSET, np.array(bio.cols) + 1),
        data_array=np.array(bio.values, dtype=np.float64),
        name="biosphere",
    )
    flows = np.arange(len(system.flows))
    dp.add_persistent_vector(
        matrix="characterization_matrix",
        indices_array=_indices(flows + FLOW_ID_OFFSET, np.zeros_like(flows)),
        data_array=np.asarray(characterization, dtype=np.float64),
        name="gwp100",
    )
    demand = {int(i) + 1: float(system.demand[i]) for i in np.flatnonzero(system.demand)}
    lca = bw2calc.LCA(demand, data_objs=[dp])
    lca.lci()
    lca.lcia()
    return lca


def compare(system: ProductSystem, gwp_set: str = "AR6") -> tuple[float, float]:
    """Assert total and per-gas inventory equal bw2calc's; return both totals."""
    calculation = Calculation.from_system(system, gwp_set)
    supply = calculation.supply_array(system.demand)
    inventory = calculation.inventory(supply)
    total = calculation.score(supply)
    lca = bw2calc_lca(system, calculation.characterization)
    assert total == pytest.approx(lca.score, rel=RTOL, abs=0)
    bw_inventory = np.asarray(lca.inventory.sum(axis=1)).ravel()
    present = np.zeros(len(system.flows), dtype=bool)
    for flow_id, row in lca.dicts.biosphere.items():
        k = flow_id - FLOW_ID_OFFSET
        present[k] = True
        np.testing.assert_allclose(inventory[k], bw_inventory[row], rtol=RTOL, atol=0)
    # Flows bw2calc never saw have no entries, so Tanzuji's inventory must be exactly zero.
    assert np.all(inventory[~present] == 0)
    bw_supply = np.array([lca.supply_array[lca.dicts.activity[i + 1]] for i in range(supply.size)])
    np.testing.assert_allclose(supply, bw_supply, rtol=RTOL, atol=1e-12 * np.abs(supply).max())
    return total, float(lca.score)


# -- random product systems ---------------------------------------------------------------------
def random_system(seed: int) -> ProductSystem:
    """A random productive system: ``A = (I - M) D`` plus duplicate triplets, loops included.

    ``M`` holds input coefficients (unit of product i per unit of product j) with column sums
    below 0.9 (a productive economy, so ``A`` is non-singular); ``D`` scales each process to
    make between 0.5 and 3 units per operation. Some inputs are split into two triplets, which
    both engines must add up.
    """
    rng = np.random.default_rng(seed)
    n = int(rng.integers(4, 60))
    density = rng.uniform(0.05, 0.3)
    mask = rng.random((n, n)) < density
    np.fill_diagonal(mask, False)
    # A two- or three-process loop in every system, besides whatever the density makes.
    loop = rng.choice(n, size=min(n, int(rng.integers(2, 4))), replace=False)
    mask[np.roll(loop, 1), loop] = True
    coefficients = np.where(mask, rng.lognormal(-2.0, 1.5, (n, n)), 0.0)
    col_sum = coefficients.sum(axis=0)
    coefficients *= rng.uniform(0.1, 0.9, n) / np.where(col_sum > 0, col_sum, 1.0)
    output = rng.uniform(0.5, 3.0, n)
    tech = Triplets()
    for j in range(n):
        tech.add(j, j, float(output[j]))
        for i in np.flatnonzero(coefficients[:, j]):
            amount = -float(coefficients[i, j] * output[j])
            if rng.random() < 0.2:  # the same input written twice (two exchanges)
                share = rng.uniform(0.1, 0.9)
                tech.add(int(i), j, amount * share)
                tech.add(int(i), j, amount * (1 - share))
            else:
                tech.add(int(i), j, amount)
    flows = list(rng.permutation(np.array(GASES, dtype=object))[: int(rng.integers(2, 9))])
    flows = [FlowKey(*f) for f in flows]
    bio = Triplets()
    for j in range(n):
        for k in rng.choice(len(flows), size=int(rng.integers(0, len(flows) + 1)), replace=False):
            sign = -1.0 if flows[k].removal else 1.0
            bio.add(int(k), j, sign * float(rng.lognormal(0.0, 2.0)))
    demand = np.zeros(n)
    demand[rng.choice(n, size=int(rng.integers(1, 4)), replace=False)] = rng.uniform(0.1, 10, 1)
    activities = [
        Activity(f"p{j}", f"process {j}", f"过程{j}", "production", "process", "kg")
        for j in range(n)
    ]
    return ProductSystem(activities, flows, tech, bio, demand)


@pytest.mark.parametrize("seed", range(24))
def test_random_system_equals_bw2calc(seed):
    system = random_system(seed)
    total, bw_total = compare(system)
    assert np.isfinite(total) and bw_total != 0


def test_random_systems_have_loops():
    # The cross-check is only meaningful if loops are really there: count them with scipy.
    from scipy.sparse import csgraph

    for seed in range(24):
        matrix = random_system(seed).technosphere_matrix
        _, labels = csgraph.connected_components(matrix, directed=True, connection="strong")
        assert np.bincount(labels).max() >= 2, seed


@pytest.mark.parametrize("gwp_set", ["AR6", "AR5", "AR4"])
def test_characterization_sets_equal_bw2calc(gwp_set):
    compare(random_system(100), gwp_set)


def test_characterization_vector_is_what_bw2calc_gets():
    # AR6 GWP100 (IPCC AR6 WG1 Table 7.15): CH4 fossil 29.8, N2O 273, CO2 1.
    c = characterization_vector(
        [FlowKey("CO2", "fossil"), FlowKey("CH4", "fossil"), FlowKey("N2O", "fossil")], "AR6"
    )
    np.testing.assert_allclose(c, [1.0, 29.8, 273.0])


# -- compiled product models ---------------------------------------------------------------------
def test_widget_model_equals_bw2calc():
    compiled = compile_model(load_model(DATA / "widget.yaml"))
    total, _ = compare(compiled.system)
    # Hand arithmetic of tests/test_model_calc.py: 3.6 + 0.5 + 5.0 + 0.0298.
    assert total == pytest.approx(9.1298, rel=1e-12)


def random_model_text(seed: int) -> str:
    """A product model with a supply loop, inline factors, several gases and a co-product."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(3, 8))
    ids = [f"proc{k}" for k in range(n)]
    factors = [
        {
            "id": f"f{k}",
            "name": {"en": f"factor {k}"},
            "unit": "kWh",
            "gases": [
                {"gas": "CO2", "amount": float(rng.uniform(0.1, 1))},
                {"gas": "N2O", "amount": 1e-5},
            ],
            "source": "illustrative test factor",
            "illustrative": True,
        }
        for k in range(2)
    ]
    processes = []
    for k, pid in enumerate(ids):
        inputs = [{"factor": f"f{k % 2}", "amount": float(rng.uniform(0.5, 5)), "unit": "kWh"}]
        if k + 1 < n:
            inputs.append(
                {"process": ids[k + 1], "amount": float(rng.uniform(0.1, 2)), "unit": "kg"}
            )
        if k == n - 1:  # the last supplier needs a little of the first: a loop through all
            inputs.append(
                {"process": ids[0], "amount": float(rng.uniform(0.01, 0.1)), "unit": "kg"}
            )
        process = {
            "id": pid,
            "name": {"en": f"process {k}"},
            "life_cycle_stage": "production" if k == 0 else "raw_materials",
            "reference_product": {
                "amount": float(rng.uniform(0.5, 2)),
                "unit": "kg",
                "mass_kg": 1.0,
            },
            "inputs": inputs,
            "emissions": [
                {
                    "gas": "CH4",
                    "amount": float(rng.uniform(0, 5)),
                    "unit": "g",
                    "origin": "biogenic",
                },
                {"gas": "CO2", "amount": float(rng.uniform(0, 2)), "unit": "kg"},
            ],
        }
        if k == 1:
            process["co_products"] = [
                {"id": f"{pid}_by", "amount": 0.5, "unit": "kg", "mass_kg": 0.5}
            ]
            process["allocation"] = "mass"
        processes.append(process)
    model = {
        "product": {
            "id": f"random{seed}",
            "name": {"en": f"Random {seed}"},
            "functional_unit": {"amount": 1, "unit": "kg"},
            "reference_flow": {"process": ids[0], "amount": float(rng.uniform(1, 3)), "unit": "kg"},
        },
        "processes": processes,
        "factors": factors,
    }
    return yaml.safe_dump(model, allow_unicode=True, sort_keys=False)


@pytest.mark.parametrize("seed", range(4))
def test_compiled_random_model_equals_bw2calc(seed):
    compiled = compile_model(load_model_text(random_model_text(seed), f"random{seed}.yaml"))
    from scipy.sparse import csgraph

    _, labels = csgraph.connected_components(
        compiled.system.technosphere_matrix, directed=True, connection="strong"
    )
    assert np.bincount(labels).max() >= 3  # the loop through the processes is there
    compare(compiled.system)
