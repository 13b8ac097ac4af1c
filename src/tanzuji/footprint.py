"""The footprint result (ISO 14067) and the orchestrator that computes it from a model.

Layers: :mod:`tanzuji.engine` does the arrays; :func:`calculate` loads nothing itself, it takes
a loaded model, compiles it, solves it and assembles a :class:`Footprint`.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from typing import Any

import numpy as np
from pydantic import BaseModel, Field

from tanzuji import __version__, gases, quality
from tanzuji.engine.calculate import Calculation
from tanzuji.engine.sensitivity import UncertaintySummary
from tanzuji.engine.solver import SolverOptions
from tanzuji.engine.system import ProductSystem
from tanzuji.engine.traversal import TreeNode, sankey, supply_chain_tree
from tanzuji.factors.base import FactorSource
from tanzuji.factors.matchers import FactorMatcher
from tanzuji.model.compile import CompiledModel, compile_model
from tanzuji.model.files import LoadedModel


class ProcessContribution(BaseModel):
    id: str
    name_en: str
    name_zh: str
    life_cycle_stage: str
    kind: str
    amount: float = Field(description="units of the activity's product supplied per FU")
    unit: str
    direct_kg_co2e: float
    upstream_kg_co2e: float = Field(
        description="cradle-to-gate kg CO2e of the product supplied (direct + upstream)"
    )


class GasContribution(BaseModel):
    gas: str
    origin: str
    aircraft: bool
    removal: bool
    mass_kg: float
    gwp100: float
    kg_co2e: float


class Iso14067Lines(BaseModel):
    """Separately reported quantities, kg CO2e per FU (ISO 14067:2018 7.2, 7.3)."""

    fossil_ghg_emissions: float
    biogenic_ghg_emissions: float
    biogenic_ghg_removals: float
    land_use_change_ghg_emissions: float
    land_management_ghg_emissions: float
    land_management_ghg_removals: float
    aircraft_ghg_emissions: float


class PactQuantities(BaseModel):
    """The PACT Tech Specs v3 CarbonFootprint quantities, kg CO2e per declared unit."""

    pcfExcludingBiogenicUptake: float
    pcfIncludingBiogenicUptake: float
    fossilGhgEmissions: float
    landUseChangeGhgEmissions: float
    landManagementBiogenicCO2Removals: float
    aircraftGhgEmissions: float


class FactorUsed(BaseModel):
    id: str
    version: str
    release: str | None
    sha256: str
    illustrative: bool
    source: str


class MatchedExchange(BaseModel):
    """An input whose factor was chosen by matching its activity text (``match:``)."""

    location: str = Field(description="file:line and path of the input in the model")
    process: str
    text: str = Field(description="the activity text as written")
    geography: str | None = Field(None, description="geography hint given to the matcher")
    year: int | None = Field(None, description="year hint given to the matcher")
    factor_id: str
    version: str
    release: str | None
    confidence: float = Field(description="the matcher's confidence, 0..1")
    explanation: str
    pedigree: list[float] | None = Field(
        None, description="the input's scores after the match rule (docs/quality.md R5)"
    )


class Inputs(BaseModel):
    """Exactly what the result was computed from (so anyone can recompute it)."""

    model_sha256: str
    factors_sha256: str
    factors: list[FactorUsed]
    parameters: dict[str, float]


class TreeOut(BaseModel):
    id: str
    name_en: str
    amount: float
    cumulative_kg_co2e: float
    direct_kg_co2e: float
    children: list[TreeOut] = Field(default_factory=list)


class SankeyOut(BaseModel):
    nodes: list[dict[str, str]]
    links: list[dict[str, Any]]


class Footprint(BaseModel):
    """A product carbon footprint per functional (or declared) unit."""

    product_id: str
    product_name_en: str
    product_name_zh: str
    functional_unit: dict[str, Any]
    gwp_set: str
    total_kg_co2e: float
    by_stage: dict[str, float]
    by_process: list[ProcessContribution]
    by_gas: list[GasContribution]
    iso14067: Iso14067Lines
    pact: PactQuantities
    inputs: Inputs
    engine: dict[str, Any]
    tree: TreeOut | None = None
    sankey: SankeyOut | None = None
    data_quality: quality.DataQuality | None = None
    uncertainty: UncertaintySummary | None = None
    #: Inputs whose factor was chosen by text (absent when the model names every factor).
    matched_exchanges: list[MatchedExchange] | None = None

    def to_json(self, indent: int | None = 2) -> str:
        return self.model_dump_json(indent=indent, exclude_none=True)


def factors_hash(factors: list[FactorUsed]) -> str:
    """SHA-256 over the sorted (id, version, sha256) of the factors used."""
    text = "\n".join(f"{f.id}@{f.version}:{f.sha256}" for f in sorted(factors, key=lambda f: f.id))
    return hashlib.sha256(text.encode()).hexdigest()


def _lines(
    system: ProductSystem, inventory: np.ndarray, c: np.ndarray
) -> tuple[Iso14067Lines, PactQuantities]:
    sums: dict[str, float] = defaultdict(float)
    for flow, mass, gwp in zip(system.flows, inventory, c, strict=True):
        value = float(mass * gwp)
        if flow.removal:
            sums[f"{flow.origin}_removal"] += value
        else:
            sums[flow.origin] += value
        if flow.aircraft:
            sums["aircraft"] += value
        if flow.gas == "CO2" and flow.origin == "biogenic":
            sums["biogenic_co2_net"] += value
    total = float(inventory @ c)
    iso = Iso14067Lines(
        fossil_ghg_emissions=sums["fossil"],
        biogenic_ghg_emissions=sums["biogenic"],
        biogenic_ghg_removals=sums["biogenic_removal"],
        land_use_change_ghg_emissions=sums["land_use_change"],
        land_management_ghg_emissions=sums["land_management"],
        land_management_ghg_removals=sums["land_management_removal"],
        aircraft_ghg_emissions=sums["aircraft"],
    )
    pact = PactQuantities(
        # PACT v3.0.3 CarbonFootprint x-comment: fossil + LUC + land management + biogenic
        # non-CO2 ("non-biogenic CO2", wbcsd/data-exchange-protocol#131); biogenic CO2 emitted
        # and taken up are both left out, and Including = Excluding + net biogenic CO2 uptake.
        pcfExcludingBiogenicUptake=total - sums["biogenic_co2_net"],
        pcfIncludingBiogenicUptake=total,
        fossilGhgEmissions=sums["fossil"],
        landUseChangeGhgEmissions=sums["land_use_change"],
        landManagementBiogenicCO2Removals=sums["land_management_removal"],
        aircraftGhgEmissions=sums["aircraft"],
    )
    return iso, pact


def _tree_out(node: TreeNode, system: ProductSystem) -> TreeOut:
    activity = system.activities[node.activity]
    return TreeOut(
        id=activity.id,
        name_en=activity.name_en,
        amount=node.amount,
        cumulative_kg_co2e=node.cumulative,
        direct_kg_co2e=node.direct,
        children=[_tree_out(c, system) for c in node.children],
    )


def assemble(
    compiled: CompiledModel,
    calculation: Calculation,
    gwp_set: str,
    *,
    tree_cutoff: float | None = None,
    tree_max_nodes: int = 2000,
) -> Footprint:
    """Build the :class:`Footprint` of a compiled, factorized model."""
    system = compiled.system
    supply = calculation.supply_array(system.demand)
    inventory = calculation.inventory(supply)
    direct = calculation.direct_contributions(supply)
    intensities = calculation.intensities()
    diag = calculation.technosphere_matrix.diagonal()
    produced = supply * diag
    total = float(direct.sum())
    by_stage: dict[str, float] = defaultdict(float)
    processes = []
    for i, activity in enumerate(system.activities):
        by_stage[activity.life_cycle_stage] += float(direct[i])
        processes.append(
            ProcessContribution(
                id=activity.id,
                name_en=activity.name_en,
                name_zh=activity.name_zh,
                life_cycle_stage=activity.life_cycle_stage,
                kind=activity.kind,
                amount=float(produced[i]),
                unit=activity.unit,
                direct_kg_co2e=float(direct[i]),
                upstream_kg_co2e=float(intensities[i] * produced[i]),
            )
        )
    processes.sort(key=lambda p: -abs(p.direct_kg_co2e))
    c = calculation.characterization
    by_gas = [
        GasContribution(
            gas=f.gas,
            origin=f.origin,
            aircraft=f.aircraft,
            removal=f.removal,
            mass_kg=float(m),
            gwp100=float(g),
            kg_co2e=float(m * g),
        )
        for f, m, g in zip(system.flows, inventory, c, strict=True)
    ]
    by_gas.sort(key=lambda g: -abs(g.kg_co2e))
    iso, pact = _lines(system, inventory, c)
    used = [
        FactorUsed(
            id=f.id,
            version=f.version,
            release=f.release,
            sha256=f.content_hash(),
            illustrative=f.illustrative,
            source=f.source,
        )
        for f in sorted(compiled.factors.values(), key=lambda f: f.id)
    ]
    product = compiled.model.product
    footprint = Footprint(
        product_id=product.id,
        product_name_en=product.name.en or product.name.zh or product.id,
        product_name_zh=product.name.zh or product.name.en or product.id,
        functional_unit=product.functional_unit.model_dump(mode="json", exclude_none=True),
        gwp_set=gwp_set,
        total_kg_co2e=total,
        by_stage=dict(by_stage),
        by_process=processes,
        by_gas=by_gas,
        iso14067=iso,
        pact=pact,
        inputs=Inputs(
            model_sha256=compiled.model_hash,
            factors_sha256=factors_hash(used),
            factors=used,
            parameters=compiled.parameters,
        ),
        engine={"tanzuji": __version__, **calculation.solver.describe()},
    )
    if compiled.matches:
        footprint.matched_exchanges = [
            MatchedExchange(
                location=m.location,
                process=m.process,
                text=m.text,
                geography=m.geography,
                year=m.year,
                factor_id=m.factor.id,
                version=m.factor.version,
                release=m.factor.release,
                confidence=m.confidence,
                explanation=m.explanation,
                pedigree=list(m.pedigree) if m.pedigree is not None else None,
            )
            for m in compiled.matches
        ]
    if total != 0:
        footprint.data_quality = quality.assess(system, supply, c)
    if tree_cutoff is not None:
        root = int(np.flatnonzero(system.demand)[0])
        node = supply_chain_tree(
            calculation.technosphere_matrix,
            calculation.direct_per_operation,
            intensities,
            root,
            float(system.demand[root]),
            tree_cutoff,
            tree_max_nodes,
        )
        footprint.tree = _tree_out(node, system)
        nodes, links = sankey(node)
        footprint.sankey = SankeyOut(
            nodes=[
                {
                    "id": system.activities[n].id,
                    "name_en": system.activities[n].name_en,
                    "name_zh": system.activities[n].name_zh,
                }
                for n in nodes
            ],
            links=[
                {"source": system.activities[s].id, "target": system.activities[t].id, "kg_co2e": v}
                for s, t, v in links
            ],
        )
    return footprint


def calculate(
    loaded: LoadedModel,
    *,
    gwp_set: str | None = None,
    factor_source: FactorSource | None = None,
    tree_cutoff: float | None = None,
    tree_max_nodes: int = 2000,
    matcher: FactorMatcher | None = None,
    solver_options: SolverOptions | None = None,
) -> Footprint:
    """Compute the footprint of a loaded model end to end.

    ``matcher`` chooses the factors of ``match:`` inputs (default: the built-in starter
    factors; a service passes its Context's matcher, see :mod:`tanzuji.factors.matchers`).
    """
    chosen = gases.check_gwp_set(gwp_set)
    compiled = compile_model(loaded, factor_source, matcher)
    calculation = Calculation.from_system(compiled.system, chosen, solver_options)
    return assemble(
        compiled, calculation, chosen, tree_cutoff=tree_cutoff, tree_max_nodes=tree_max_nodes
    )
