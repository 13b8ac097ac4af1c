"""USLCI FY17.Q4.02 (openLCA JSON-LD, olca-schema v1) imported whole, linked, solved.

Expectations and where they come from:

* counts of processes, flows, exchanges and linking outcomes: ``shared/reference/lci/README.md``
  ("Counts" and "Linking findings"), computed from the files by the curator of the reference
  data, independently of Tanzuji;
* Electricity, at Grid, US, 2008: 0.696 kg CO2e/kWh — the same README's sanity check
  ("Solvability check"), the curator's own computation with unique reference-product providers,
  everything else cut off, AR5 GWP100 for CO2 (1), CH4 (28, fossil 30), N2O (265) and SF6
  (23,500); here the characterization is restricted to those four gases to compare like with
  like (Tanzuji characterises more gases: HFCs, CF4, CH2Cl2, ... in its full results);
* every intensity of a sample of processes: bw2calc (Brightway 2.5) on the same matrices, as
  float64 datapackages (tests/test_crosscheck_bw2calc.py), to 1e-9.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from service_helpers import import_package, package, plain_context
from shared_data import LCI, SKIP_WITHOUT_SHARED
from tanzuji import gases
from tanzuji.factors.database import FactorDatabase
from tanzuji.library import elementary, linking, matrices, quantities
from tanzuji.library.shipped import read_derived, shipped_about, shipped_derived
from tanzuji.library.solve import library_calculation
from tanzuji.services import library as service

with warnings.catch_warnings():  # bw2calc warns that no fast solver (pypardiso) is installed
    warnings.simplefilter("ignore")
    import bw2calc
import bw_processing as bwp

pytestmark = SKIP_WITHOUT_SHARED

USLCI = LCI / "uslci" / "uslci_olca1_5_0_json_ld"
GRID_2008 = "96bffbb9-b875-36cf-8a11-5723c9d239d9"
TRUCK = "34156f3c-28ef-33db-9ad0-6293a2aa0d52"
LDPE = "05561830-e889-31a3-b2be-7c52ee2ea545"
README_GRID_AR5 = 0.696  # kg CO2e/kWh, shared/reference/lci/README.md, 3 significant figures
README_GASES = ("CO2", "CH4", "N2O", "SF6")


@pytest.fixture(scope="module")
def uslci():
    library, digest = service.read_library(package(USLCI))
    problems = quantities.normalise(library)
    mappings = {f.id: elementary.map_flow(f) for f in library.flows.values()}
    linked = linking.link(library)
    system = matrices.build(library, linked, mappings)
    return library, digest, problems, mappings, linked, system


def test_counts_match_the_reference_readme(uslci):
    library, _, problems, _, linked, system = uslci
    counts = library.counts()
    assert (counts["processes"], counts["flows"], counts["exchanges"]) == (766, 4601, 32526)
    assert problems == []  # every exchange converts to its flow's reference unit
    decided = linked.counts()
    # README: 3,590 product inputs with exactly one reference-product provider, 135 ambiguous;
    # the inputs of the 4 LCI results are not linked here (19 of them, 10 + 3 of those kinds).
    lci_result = [d for d in linked.decisions if d.decision == "lci_result_input"]
    assert (
        decided["single_producer"] + sum(1 for d in lci_result if _producers(library, d.flow) == 1)
        == 3590
    )
    assert (
        decided["ambiguous"] + sum(1 for d in lci_result if _producers(library, d.flow) > 1) == 135
    )
    # README: 2,402 CUTOFF product inputs without producer; 37 more are co-products of some
    # process and 2 are waste outputs: all cut off by name.
    assert decided["cutoff"] == 2402 + 37 + 2
    assert decided["no_producer"] == 59  # README: "59 others (15 flows)"
    assert decided["untreated_waste"] == 72 and decided["co_product_ignored"] == 256
    assert decided.get("default_provider", 0) == 0  # README: no exchange has a defaultProvider
    assert system.size == 766 and system.technosphere_matrix.shape == (766, 766)


def _producers(library, flow_id: str) -> int:
    return sum(1 for p in library.processes if p.reference.flow == flow_id)


def test_us_grid_2008_near_the_readme_figure(uslci):
    _, _, _, _, _, system = uslci
    calculation = library_calculation(system, "AR5")
    only_four = np.array(
        [
            c if f.gas in README_GASES else 0.0
            for f, c in zip(system.flows, calculation.characterization, strict=True)
        ]
    )
    lambdas = calculation.solver.solve_transposed(calculation.biosphere_matrix.T @ only_four)
    grid = system.index()[GRID_2008]
    per_kwh = lambdas[grid] * 3.6  # the column is per MJ (the flow's reference unit)
    # Within 1 %: the README's script counts CH4 without an origin ("Methane", NETL coal mine
    # methane) at 28 and leaves out CO2 taken from air; Tanzuji reads it as fossil (30, the US LCI
    # convention of ghg_of) and counts the uptake as a removal. Those two give 0.702 / 0.699.
    assert per_kwh == pytest.approx(README_GRID_AR5, rel=0.01)
    full = calculation.intensities()[grid] * 3.6  # all characterised gases
    assert 0 < full - per_kwh < 0.01 * per_kwh
    ar6 = library_calculation(system, "AR6").intensities()[grid] * 3.6
    assert ar6 == pytest.approx(0.70, abs=0.01)


def bw2calc_scores(system, characterization: np.ndarray, columns: list[int]) -> list[float]:
    """bw2calc cradle-to-gate scores of one unit of each column, same float64 matrices."""
    tech, bio = system.technosphere, system.biosphere
    offset = 100_000
    dp = bwp.create_datapackage()

    def indices(rows, cols):
        out = np.empty(len(rows), dtype=bwp.INDICES_DTYPE)
        out["row"], out["col"] = rows, cols
        return out

    dp.add_persistent_vector(
        matrix="technosphere_matrix",
        indices_array=indices(np.array(tech.rows) + 1, np.array(tech.cols) + 1),
        data_array=np.array(tech.values, dtype=np.float64),
        name="technosphere",
    )
    dp.add_persistent_vector(
        matrix="biosphere_matrix",
        indices_array=indices(np.array(bio.rows) + offset, np.array(bio.cols) + 1),
        data_array=np.array(bio.values, dtype=np.float64),
        name="biosphere",
    )
    flows = np.arange(len(system.flows))
    dp.add_persistent_vector(
        matrix="characterization_matrix",
        indices_array=indices(flows + offset, np.zeros_like(flows)),
        data_array=np.asarray(characterization, dtype=np.float64),
        name="gwp100",
    )
    lca = bw2calc.LCA({columns[0] + 1: 1.0}, data_objs=[dp])
    lca.lci()
    lca.lcia()
    scores = []
    for column in columns:
        lca.lcia(demand={column + 1: 1.0})
        scores.append(float(lca.score))
    return scores


def test_intensities_equal_bw2calc_on_the_same_matrices(uslci):
    _, _, _, _, _, system = uslci
    calculation = library_calculation(system, "AR6")
    lambdas = calculation.intensities()
    index = system.index()
    rng = np.random.default_rng(20261202)
    sample = sorted(
        {
            index[GRID_2008],
            index[TRUCK],
            index[LDPE],
            *rng.choice(system.size, 40, replace=False).tolist(),
        }
    )
    expected = bw2calc_scores(system, calculation.characterization, sample)
    np.testing.assert_allclose(lambdas[sample], expected, rtol=1e-9, atol=1e-12)
    assert sum(1 for s in expected if s != 0) > 20  # the sample is not trivially zero


def test_import_derive_and_ship_on_the_database(database_url: str, tmp_path):
    ctx = plain_context(database_url, tmp_path / "data")
    engine = ctx.require_database().engine
    summary = import_package(ctx, USLCI, "uslci", shipped_about("uslci"), with_report=True)
    assert summary.info.counts["exchanges"] == 32526
    report = service.report_file(summary.info, summary.report, as_csv=False)
    assert b'"decisions"' in report and len(summary.report) > 0
    derived = service.derive_factors(ctx, service.DeriveRequest(name="uslci", gwp_set="AR6"))
    assert derived.factors == 766 and not derived.skipped
    grid = FactorDatabase(engine).get(f"lib:uslci:{GRID_2008}")
    assert grid.unit == "kWh" and grid.kg_co2e == pytest.approx(0.70, abs=0.01)
    assert "NREL" in grid.licence and "DATA USE DISCLAIMER AGREEMENT" in grid.comment
    # the derived records' gases, characterised again in AR6, give their kg_co2e
    recomputed = sum(g.amount_kg * gases.gwp(g.gas, g.origin, "AR6") for g in grid.gases)
    assert recomputed == pytest.approx(grid.kg_co2e, rel=1e-9)


def test_shipped_derived_factors_are_what_a_derivation_gives(uslci):
    """The package data file equals a fresh derivation (no stale numbers ship)."""
    files = shipped_derived()
    header, records = read_derived(files["uslci-ar6"])
    assert header["content_hash"] == uslci[1]  # derived from exactly these files
    assert "DATA USE DISCLAIMER AGREEMENT" in header["notice"] and "MIT License" in header["notice"]
    _, _, _, _, _, system = uslci
    lambdas = library_calculation(system, "AR6").intensities()
    index = system.index()
    by_id = {r.id: r for r in records}
    assert len(by_id) == 766
    library = uslci[0]
    for process in library.processes:
        record = by_id[f"lib:uslci:{process.id}"]
        reference = process.reference
        per_unit = lambdas[index[process.id]] * reference.amount_ref / reference.amount
        # 1e-9: the sparse solve's last digits move with the numpy/scipy release (1.2e-12
        # relative seen between releases); a stale number (other inputs, GWP set or method)
        # differs by far more, and the content hash above pins the inputs exactly.
        assert record.kg_co2e == pytest.approx(per_unit, rel=1e-9, abs=1e-15), process.name
    grid = by_id[f"lib:uslci:{GRID_2008}"]
    assert (grid.unit, grid.boundary, grid.gwp_set) == ("kWh", "cradle_to_gate", "AR6")
