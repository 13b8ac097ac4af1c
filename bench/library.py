"""Process-library benchmark: USLCI import, linking, store, solve, derivation; bw2calc alongside.

Times, as medians of ``--repeats`` runs, on USLCI FY17.Q4.02 (766 processes, 32,526 exchanges;
``shared/reference/lci``):

* read — parse the JSON-LD package (6,485 files);
* link — unit normalisation, elementary-flow mapping, provider linking, matrix build;
* store — one transaction writing the library version (SQLite file, and PostgreSQL with
  ``--postgres URL``);
* load — read the stored version back (what ``derive`` and ``library:`` inputs do);
* intensities — factorize and one transposed solve for every process (Tanzuji), and bw2calc on
  the same float64 matrices: ``splu(A^T)`` once and one solve for the characterization vector
  (the orientation bw2calc uses), plus bw2calc's ``LCA`` for one demand (build + lci + lcia);
* gases — the transposed solves for every greenhouse-gas row (the derived records' inventory).

Writes ``bench/results/library-<date>.json``. Run:
``.venv/bin/python bench/library.py [--repeats 5] [--postgres postgresql+psycopg://...]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import splu

from tanzuji.context import Context
from tanzuji.library import elementary, linking, matrices, quantities
from tanzuji.library.shipped import shipped_about
from tanzuji.library.solve import gas_intensities, library_calculation
from tanzuji.library.sources import members
from tanzuji.services import library as service
from tanzuji.settings import Settings
from tanzuji.store import db
from tanzuji.store import library as repository

ROOT = Path(__file__).resolve().parents[1]
USLCI = ROOT.parent / "shared" / "reference" / "lci" / "uslci" / "uslci_olca1_5_0_json_ld"
RESULTS = Path(__file__).parent / "results"


def timed(function, repeats: int) -> tuple[float, object]:
    times, value = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        value = function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), value


def link_all(library):
    quantities.normalise(library)
    mappings = {f.id: elementary.map_flow(f) for f in library.flows.values()}
    linked = linking.link(library)
    return matrices.build(library, linked, mappings)


def bw2calc_times(system, characterization: np.ndarray, repeats: int) -> dict[str, float]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import bw2calc
        import bw_processing as bwp

    matrix = sp.csr_matrix(system.technosphere_matrix)
    rhs = np.asarray(system.biosphere_matrix.T @ characterization).ravel()
    adjoint, _ = timed(lambda: splu(matrix.T.tocsc()).solve(rhs), repeats)

    def one_demand() -> float:
        tech, bio = system.technosphere, system.biosphere
        dp = bwp.create_datapackage()

        def idx(rows, cols):
            out = np.empty(len(rows), dtype=bwp.INDICES_DTYPE)
            out["row"], out["col"] = rows, cols
            return out

        dp.add_persistent_vector(
            matrix="technosphere_matrix",
            indices_array=idx(np.array(tech.rows) + 1, np.array(tech.cols) + 1),
            data_array=np.array(tech.values, dtype=np.float64),
        )
        dp.add_persistent_vector(
            matrix="biosphere_matrix",
            indices_array=idx(np.array(bio.rows) + 100_000, np.array(bio.cols) + 1),
            data_array=np.array(bio.values, dtype=np.float64),
        )
        flows = np.arange(len(system.flows))
        dp.add_persistent_vector(
            matrix="characterization_matrix",
            indices_array=idx(flows + 100_000, np.zeros_like(flows)),
            data_array=np.asarray(characterization, dtype=np.float64),
        )
        lca = bw2calc.LCA({1: 1.0}, data_objs=[dp])
        lca.lci()
        lca.lcia()
        return float(lca.score)

    demand, _ = timed(one_demand, repeats)
    return {"bw2calc_splu_adjoint_s": adjoint, "bw2calc_one_demand_s": demand}


def read_uslci():
    """The USLCI package read and parsed (what an import does before linking)."""
    return service.read_library(service.package_of(list(members(USLCI))))


def store_times(url: str, repeats: int) -> dict[str, float]:
    database = db.database_for(url)
    database.upgrade()
    engine = database.engine
    with tempfile.TemporaryDirectory() as folder:
        ctx = Context.from_settings(Settings.defaults().replace(database_url=url, data_dir=folder))
    request = service.LibraryImportRequest(
        name="uslci",
        about=shipped_about("uslci"),
        files=service.package_of(list(members(USLCI))),
        source_name="bench",
    )
    imports = []
    for _ in range(repeats):
        imports.append(service.import_library(ctx, request).seconds)

    def load():
        with db.session_scope(engine) as session:
            return repository.load_library(session, "uslci")

    load_s, _ = timed(load, repeats)
    engine.dispose()
    return {
        "import_total_s": statistics.median(s["total"] for s in imports),
        "import_store_s": statistics.median(s["store"] for s in imports),
        "load_s": load_s,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--postgres", help="PostgreSQL URL of an empty database to time too")
    args = parser.parse_args()
    r = args.repeats
    figures: dict[str, object] = {"date": dt.date.today().isoformat(), "repeats": r}
    figures["read_s"], (_library, _) = timed(read_uslci, r)
    figures["link_s"], system = timed(lambda: link_all(read_uslci()[0]), 1)
    figures["link_s"] = timed(lambda: link_all(read_uslci()[0]), r)[0] - figures["read_s"]
    calculation = library_calculation(system, "AR6")
    figures["intensities_s"], lambdas = timed(
        lambda: library_calculation(system, "AR6").intensities(), r
    )
    figures["gases_s"], _ = timed(lambda: gas_intensities(calculation), r)
    figures.update(bw2calc_times(system, calculation.characterization, r))
    figures["ratio_bw2calc_adjoint_over_tanzuji"] = (
        figures["bw2calc_splu_adjoint_s"] / figures["intensities_s"]
    )
    figures["processes"] = system.size
    figures["grid_2008_kg_co2e_per_kwh_ar6"] = float(
        lambdas[system.index()["96bffbb9-b875-36cf-8a11-5723c9d239d9"]] * 3.6
    )
    with tempfile.TemporaryDirectory() as folder:
        figures["sqlite"] = store_times(f"sqlite:///{folder}/bench.db", r)
    if args.postgres:
        figures["postgresql"] = store_times(args.postgres, r)
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"library-{figures['date']}.json"
    out.write_text(json.dumps(figures, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(figures, indent=1))
    print(f"written {out}")


if __name__ == "__main__":
    main()
