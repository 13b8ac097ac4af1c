"""The footprint result (ISO 14067) and the orchestrator that computes it from a model.

Layers: :mod:`tanzuji.engine` does the arrays; :func:`calculate` loads nothing itself, it takes
a loaded model, compiles it, solves it and assembles a :class:`Footprint`.
"""

from __future__ import annotations

import hashlib
import math
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import scipy.sparse as sp
from pydantic import BaseModel, Field

from tanzuji import __version__, gases, quality, units
from tanzuji.engine import overflow
from tanzuji.engine.calculate import Calculation
from tanzuji.engine.groups import group_results
from tanzuji.engine.sensitivity import UncertaintySummary
from tanzuji.engine.solver import SolverOptions
from tanzuji.engine.system import Activity, ProductSystem
from tanzuji.engine.traversal import SankeyInputs, TreeNode, sankey, supply_chain_tree
from tanzuji.errors import ModelError, NumericOverflow
from tanzuji.factors.base import FactorData, FactorSource
from tanzuji.factors.matchers import FactorMatcher
from tanzuji.library.foreground import LibrarySource
from tanzuji.model.compile import CompiledModel, CreditEntry, MatchedInput, compile_model
from tanzuji.model.electricity import ElectricityUse
from tanzuji.model.files import LoadedModel
from tanzuji.model.rules import DEFAULT_RULES, CalculationRules, ElectricityBasis
from tanzuji.model.scenarios import ParameterSet, with_value


class ProcessContribution(BaseModel):
    id: str
    name_en: str
    name_zh: str
    life_cycle_stage: str
    kind: str
    amount: float = Field(
        description="units of the activity's product made per FU (its total requirement, "
        "A_jj s_j, including product that circulates in a loop)"
    )
    unit: str
    direct_kg_co2e: float
    upstream_kg_co2e: float = Field(
        description="cradle-to-gate kg CO2e of the activity's product in the system (direct + "
        "upstream), loops counted once: intensity x total requirement x loop factor (openLCA's "
        "total result); the reference activity's equals total_kg_co2e"
    )


class GasContribution(BaseModel):
    gas: str
    origin: str
    aircraft: bool
    removal: bool
    mass_kg: float
    gwp100: float
    kg_co2e: float


class StageGasContribution(BaseModel):
    """kg CO2e of one gas (with its origin) emitted or removed in one life-cycle stage."""

    life_cycle_stage: str
    gas: str
    origin: str
    aircraft: bool
    removal: bool
    mass_kg: float
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
    #: Review status of a database version that is not ``published`` (a release can pin a
    #: version later deprecated); absent otherwise. The factor gate of certification reads it
    #: (:mod:`tanzuji.certify.provenance`).
    status: str | None = Field(None, exclude_if=lambda v: v is None)


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


class GwpSetMismatch(BaseModel):
    """A factor known only as CO2e of another GWP set than the result's, added as published.

    Factors with per-gas amounts are recomputed in the result's set and never appear here; a
    CO2e total cannot be, so its set stays the publisher's (docs/factors.md, "GWP sets").
    """

    factor_id: str
    version: str
    release: str | None
    gwp_set: str = Field(description="the factor's GWP set; 'unknown' when the source is silent")
    kg_co2e: float = Field(description="its CO2e in this result per FU, added as published")
    locations: list[str] = Field(description="the inputs using the factor (file:line path)")


class Inputs(BaseModel):
    """Exactly what the result was computed from (so anyone can recompute it)."""

    model_sha256: str
    factors_sha256: str
    factors: list[FactorUsed]
    parameters: dict[str, float]
    parameter_set: str = Field(
        "baseline",
        description="the parameter set used: 'baseline' (the model's parameters), a scenario "
        "name, or a sweep point such as 'baseline, rpet_share=0.3'",
    )


class CreditItem(BaseModel):
    """One credit: an avoided product or waste treatment, a substituted co-product, or a credit
    term of an end-of-life formula (CFF E*v, ESE). Negative kg CO2e."""

    location: str = Field(description="file:line and path of the exchange or formula term")
    process: str = Field(description="the process (or material) that avoids it")
    life_cycle_stage: str
    kind: str = Field(
        description="avoided_product, avoided_waste, substitution, recycling, energy_recovery"
    )
    counted: bool = Field(description="whether it counts in total_kg_co2e (calculation rules)")
    target_id: str = Field(description="the avoided activity (process or factor column)")
    target_name_en: str
    target_name_zh: str
    amount: float = Field(description="units of the avoided product per functional unit")
    unit: str
    kg_co2e: float = Field(description="the credit per functional unit (negative)")


class Credits(BaseModel):
    """Credits reported on their own line, never hidden in a total (ISO 14067:2018 6.4.6)."""

    burdens_kg_co2e: float = Field(description="the footprint without any credit")
    credits_kg_co2e: float = Field(description="all credits (<= 0 for a credit)")
    counted_kg_co2e: float = Field(description="the credits counted in total_kg_co2e")
    net_kg_co2e: float = Field(description="burdens plus all credits")
    rules: dict[str, str] = Field(description="count rule per family: include or separate")
    by_stage: dict[str, float] = Field(description="credits by stage of the avoiding process")
    items: list[CreditItem]


class InstrumentOut(BaseModel):
    """A contractual instrument of an electricity input and what the market-based result
    made of it (docs/model.md "Electricity")."""

    type: str
    registry: str
    serial_prefix: str
    serial_start: int | None
    serial_end: int | None
    certificate_mwh: float
    contract_id: str | None
    vintage: int | None
    region: str | None
    retired: bool
    factor_id: str
    location: str
    amount: float = Field(description="electricity claimed, in the input's unit")
    counted: float = Field(description="electricity counted in the market-based result")
    qualifies: bool
    reasons: list[str] = Field(description="quality criteria not met (Scope 2 Table 7.1)")


class ElectricityInput(BaseModel):
    location: str
    process: str
    amount: float
    unit: str
    grid_factor_id: str = Field(description="the location-based (grid average) factor")
    residual_factor_id: str | None = Field(
        None, description="the residual mix used for uncovered electricity, if given"
    )
    residual_amount: float = Field(description="electricity not covered by an instrument")
    instruments: list[InstrumentOut]
    notes: list[str]


class ElectricityResult(BaseModel):
    """Both electricity results (ISO 14067:2018 6.4.9.4; GHG Protocol Scope 2 Guidance 4.1):
    the whole footprint with grid averages (location) and with instruments (market)."""

    reported: str = Field(description="the one in total_kg_co2e: market or location")
    location_based_kg_co2e: float
    market_based_kg_co2e: float
    inputs: list[ElectricityInput]


class UnitResult(BaseModel):
    """The footprint per another unit than the functional unit (declared or sales unit)."""

    amount: float
    unit: str
    name_en: str | None = None
    name_zh: str | None = None
    functional_units: float = Field(description="functional units in this unit")
    total_kg_co2e: float


class TreeOut(BaseModel):
    id: str
    name_en: str
    amount: float
    cumulative_kg_co2e: float
    direct_kg_co2e: float
    children: list[TreeOut] = Field(default_factory=list)


class SankeyOut(BaseModel):
    """One node per activity (id, names, direct and loop-corrected upstream kg CO2e) and the
    kg CO2e carried by each supply link (see :func:`tanzuji.engine.traversal.link_values`)."""

    nodes: list[dict[str, Any]]
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
    #: Factors known only as CO2e of another GWP set (absent when there are none); a PCR may
    #: forbid them (rule ``gwp_set_consistency``, docs/pcr.md).
    gwp_set_mismatches: list[GwpSetMismatch] | None = None
    #: Biogenic carbon content of the product, kg C per functional unit (ISO 14067:2018 7.2),
    #: the model's ``product.biogenic_carbon_content_kg`` evaluated; absent when not given.
    biogenic_carbon_content_kg: float | None = None
    #: Credits (avoided products, substitution, end-of-life credits); absent when none.
    credits: Credits | None = None
    #: Location- and market-based results; absent when no input has market data.
    electricity: ElectricityResult | None = None
    #: Stage results in the analysis-group semantics (each stage a group, its upstream up to
    #: the next stage); ``by_stage`` holds the direct contributions. Absent when the supply
    #: graph has loops with more paths than ``engine.groups.MAX_PATH_NODES``.
    by_stage_analysis_groups: dict[str, float] | None = None
    #: The model's analysis groups (openLCA semantics); absent when the model has none.
    analysis_groups: dict[str, float] | None = None
    per_declared_unit: UnitResult | None = None
    per_sales_unit: UnitResult | None = None
    #: The calculation rules applied (allocation, credits, electricity, end of life; source).
    rules: dict[str, Any] | None = None
    #: Results by life-cycle stage and gas (ISO 14067:2018 7.3), the non-zero cells of
    #: ``c * B diag(s)`` summed over the activities of each stage; absent in results stored
    #: before it existed.
    by_stage_gas: list[StageGasContribution] | None = None

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
    for name, value in sums.items():
        if not math.isfinite(value):
            raise NumericOverflow(
                f"the {name} line sums to {value}: not finite, beyond the float range; check "
                "the largest emissions and removals of that kind (see by_gas)",
                quantity=name,
            )
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


@dataclass(frozen=True)
class _Arrays:
    """The arrays of one solved footprint, by activity (or flow) index."""

    supply: np.ndarray
    inventory: np.ndarray
    direct: np.ndarray
    upstream: np.ndarray
    total: float


def _solve(system: ProductSystem, calculation: Calculation) -> _Arrays:
    supply = calculation.supply_array(system.demand)
    direct = calculation.direct_contributions(supply)
    inventory = calculation.inventory(supply)
    total = calculation.total(direct)  # before upstream: an overflowing sum names its parts
    return _Arrays(supply, inventory, direct, calculation.upstream(supply), total)


def _by_stage(system: ProductSystem, direct: np.ndarray) -> dict[str, float]:
    by_stage: dict[str, float] = defaultdict(float)
    for activity, value in zip(system.activities, direct, strict=True):
        by_stage[activity.life_cycle_stage] += float(value)
    return dict(by_stage)


def _by_process(
    system: ProductSystem, calculation: Calculation, arrays: _Arrays
) -> list[ProcessContribution]:
    produced = arrays.supply * calculation.technosphere_matrix.diagonal()
    processes = [
        ProcessContribution(
            id=activity.id,
            name_en=activity.name_en,
            name_zh=activity.name_zh,
            life_cycle_stage=activity.life_cycle_stage,
            kind=activity.kind,
            amount=float(produced[i]),
            unit=activity.unit,
            direct_kg_co2e=float(arrays.direct[i]),
            upstream_kg_co2e=float(arrays.upstream[i]),
        )
        for i, activity in enumerate(system.activities)
    ]
    return sorted(processes, key=lambda p: -abs(p.direct_kg_co2e))


def _by_gas(system: ProductSystem, inventory: np.ndarray, c: np.ndarray) -> list[GasContribution]:
    kg_co2e = overflow.quietly(lambda: inventory * c)
    overflow.refuse_nonfinite(
        kg_co2e, "kg CO2e", [f.label() for f in system.flows], lambda k: [], system.locations
    )
    by_gas = [
        GasContribution(
            gas=f.gas,
            origin=f.origin,
            aircraft=f.aircraft,
            removal=f.removal,
            mass_kg=float(m),
            gwp100=float(g),
            kg_co2e=float(v),
        )
        for f, m, g, v in zip(system.flows, inventory, c, kg_co2e, strict=True)
    ]
    return sorted(by_gas, key=lambda g: -abs(g.kg_co2e))


def _by_stage_gas(
    system: ProductSystem, calculation: Calculation, supply: np.ndarray
) -> list[StageGasContribution]:
    """The cells of the stage x gas table: ``c_k B_kj s_j`` summed over the stage's j."""
    stages = sorted({a.life_cycle_stage for a in system.activities})
    index = {stage: i for i, stage in enumerate(stages)}
    member = np.array([index[a.life_cycle_stage] for a in system.activities])
    columns = sp.csr_matrix(
        (np.ones(member.size), (np.arange(member.size), member)), shape=(member.size, len(stages))
    )
    masses = (calculation.biosphere_matrix @ sp.diags(supply) @ columns).toarray()  # flows x stages
    cells = []
    for k, flow in enumerate(system.flows):
        for i, stage in enumerate(stages):
            mass = float(masses[k, i])
            if mass != 0.0:
                cells.append(
                    StageGasContribution(
                        life_cycle_stage=stage,
                        gas=flow.gas,
                        origin=flow.origin,
                        aircraft=flow.aircraft,
                        removal=flow.removal,
                        mass_kg=mass,
                        kg_co2e=mass * float(calculation.characterization[k]),
                    )
                )
    return sorted(cells, key=lambda c: (c.life_cycle_stage, -abs(c.kg_co2e), c.gas, c.origin))


def _inputs(compiled: CompiledModel) -> Inputs:
    used = [
        FactorUsed(
            id=f.id,
            version=f.version,
            release=f.release,
            sha256=f.content_hash(),
            illustrative=f.illustrative,
            source=f.source,
            status=f.status if f.status not in (None, "published") else None,
        )
        for f in sorted(compiled.factors.values(), key=lambda f: f.id)
    ]
    # Process-library versions used by ``library:`` inputs are inputs too (docs/library.md).
    used += [
        FactorUsed(
            id=f"library:{key.partition('@')[0]}",
            version=key.partition("@")[2],
            release=None,
            sha256=digest,
            illustrative=False,
            source=f"process library {key} (sha256 of its package)",
        )
        for key, digest in sorted(compiled.libraries.items())
    ]
    return Inputs(
        model_sha256=compiled.model_hash,
        factors_sha256=factors_hash(used),
        factors=used,
        parameters=compiled.parameters,
        parameter_set=compiled.parameter_set,
    )


def _product_fields(compiled: CompiledModel) -> dict[str, Any]:
    product = compiled.model.product
    return {
        "product_id": product.id,
        "product_name_en": product.name.en or product.name.zh or product.id,
        "product_name_zh": product.name.zh or product.name.en or product.id,
        "functional_unit": product.functional_unit.model_dump(mode="json", exclude_none=True),
    }


def _matched_exchanges(matches: list[MatchedInput]) -> list[MatchedExchange] | None:
    if not matches:
        return None
    return [
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
        for m in matches
    ]


def _gwp_set_mismatches(
    compiled: CompiledModel, supply: np.ndarray, gwp_set: str
) -> list[GwpSetMismatch] | None:
    """The factors whose CO2e flows were computed in another (or an unknown) GWP set."""
    system = compiled.system
    co2e_rows = [k for k, flow in enumerate(system.flows) if flow.gas == gases.CO2E]
    if not co2e_rows:
        return None
    by_column = np.asarray(system.biosphere_matrix[co2e_rows].sum(axis=0)).ravel() * supply
    found = [
        _mismatch(compiled, identity, factor, by_column)
        for identity, factor in sorted(compiled.factors.items())
        if any(flow.gas == gases.CO2E for flow in factor.flows)
        and gases.canonical_gwp_set(factor.gwp_set_of_co2e) != gwp_set
    ]
    return found or None


def _mismatch(
    compiled: CompiledModel, identity: str, factor: FactorData, by_column: np.ndarray
) -> GwpSetMismatch:
    columns = compiled.factor_columns.get(identity, [])
    wanted = set(columns)
    technosphere = compiled.system.technosphere
    locations = [
        compiled.system.exchanges[source].location
        for row, source in zip(technosphere.rows, technosphere.sources, strict=True)
        if row in wanted and source >= 0
    ]
    return GwpSetMismatch(
        factor_id=factor.id,
        version=factor.version,
        release=factor.release,
        gwp_set=gases.canonical_gwp_set(factor.gwp_set_of_co2e) or "unknown",
        kg_co2e=float(by_column[columns].sum()),
        locations=list(dict.fromkeys(locations)),
    )


def _tree(
    system: ProductSystem, calculation: Calculation, cutoff: float, max_nodes: int
) -> TreeOut:
    root = int(np.flatnonzero(system.demand)[0])
    node = supply_chain_tree(
        calculation.technosphere_matrix,
        calculation.direct_per_operation,
        calculation.intensities(),
        root,
        float(system.demand[root]),
        cutoff,
        max_nodes,
    )
    return _tree_out(node, system)


def _sankey(
    system: ProductSystem, calculation: Calculation, arrays: _Arrays, cutoff: float, max_nodes: int
) -> SankeyOut:
    inputs = SankeyInputs(
        technosphere_matrix=calculation.technosphere_matrix,
        supply=arrays.supply,
        intensities=calculation.intensities(),
        upstream=arrays.upstream,
        loop_factors=calculation.loop_factors(),
        scc=calculation.solver.structure.scc,
    )
    root = int(np.flatnonzero(system.demand)[0])
    nodes, links = sankey(inputs, root, cutoff, max_nodes)
    return SankeyOut(
        nodes=[_sankey_node(system.activities[n], arrays, n) for n in nodes],
        links=[
            {"source": system.activities[s].id, "target": system.activities[t].id, "kg_co2e": v}
            for s, t, v in links
        ],
    )


def _sankey_node(activity: Activity, arrays: _Arrays, index: int) -> dict[str, Any]:
    return {
        "id": activity.id,
        "name_en": activity.name_en,
        "name_zh": activity.name_zh,
        "direct_kg_co2e": float(arrays.direct[index]),
        "upstream_kg_co2e": float(arrays.upstream[index]),
    }


def _credits(compiled: CompiledModel, calculation: Calculation, arrays: _Arrays) -> Credits | None:
    """Value every credit entry after the solve (docs/model.md "Avoided products")."""
    entries = compiled.credits
    if not entries:
        return None
    intensities = calculation.intensities()
    rules = compiled.rules
    items = [
        _credit_item(compiled.system, entry, arrays.supply, intensities, rules) for entry in entries
    ]
    by_stage: dict[str, float] = defaultdict(float)
    for item in items:
        by_stage[item.life_cycle_stage] += item.kg_co2e
    every = sum(item.kg_co2e for item in items)
    counted = sum(item.kg_co2e for item in items if item.counted)
    return Credits(
        burdens_kg_co2e=arrays.total,
        credits_kg_co2e=every,
        counted_kg_co2e=counted,
        net_kg_co2e=arrays.total + every,
        rules={"substitution": rules.substitution_credits, "recycling": rules.recycling_credits},
        by_stage=dict(by_stage),
        items=items,
    )


def _credit_item(
    system: ProductSystem,
    entry: CreditEntry,
    supply: np.ndarray,
    intensities: np.ndarray,
    rules: CalculationRules,
) -> CreditItem:
    """``-sum_c amount * share_c * s_c * intensity[row]``: the amount avoided per functional
    unit times the cradle-to-gate footprint per unit of the avoided product."""
    avoided = entry.amount * sum(
        share * supply[col] for col, share in zip(entry.columns, entry.shares, strict=True)
    )
    target = system.activities[entry.row]
    value = overflow.quietly(lambda: -avoided * intensities[entry.row])
    if not math.isfinite(value):
        raise NumericOverflow(
            f"the credit of {entry.location} is {value}: beyond the float range; check its "
            "amount and the footprint of what it avoids",
            location=entry.location,
        )
    return CreditItem(
        location=entry.location,
        process=entry.process,
        life_cycle_stage=entry.life_cycle_stage,
        kind=entry.kind,
        counted=rules.counts(entry.family),
        target_id=target.id,
        target_name_en=target.name_en,
        target_name_zh=target.name_zh,
        amount=float(avoided),
        unit=target.unit,
        kg_co2e=float(value),
    )


def _electricity_inputs(uses: list[ElectricityUse]) -> list[ElectricityInput]:
    return [
        ElectricityInput(
            location=use.location,
            process=use.process,
            amount=use.amount,
            unit=use.unit,
            grid_factor_id=use.grid_factor,
            residual_factor_id=use.residual_factor,
            residual_amount=use.residual_amount,
            notes=use.notes,
            instruments=[
                InstrumentOut(
                    **i.instrument.model_dump(
                        include={
                            "type", "registry", "serial_prefix", "serial_start", "serial_end",
                            "certificate_mwh", "contract_id", "vintage", "region", "retired",
                        }
                    ),
                    factor_id=i.instrument.factor,
                    location=i.location,
                    amount=i.amount,
                    counted=i.counted,
                    qualifies=i.qualifies,
                    reasons=i.reasons,
                )
                for i in use.instruments
            ],
        )
        for use in uses
    ]  # fmt: skip


def _stage_groups(compiled: CompiledModel, calculation: Calculation, arrays: _Arrays):
    """Stage results and the model's analysis groups, in the analysis-group semantics."""
    system = compiled.system
    stage_of = [a.life_cycle_stage if a.kind == "process" else None for a in system.activities]
    run = lambda group_of: group_results(  # noqa: E731
        calculation.technosphere_matrix,
        calculation.intensities(),
        calculation.direct_per_operation,
        arrays.supply,
        system.demand,
        group_of,
    )
    try:
        by_stage = run(stage_of)
    except ModelError:  # a loop with too many paths to walk: the direct results stand alone
        by_stage = None
    groups = None
    if compiled.groups:
        groups = run([compiled.groups.get(k) for k in range(len(system.activities))])
    return by_stage, groups


def per_unit(
    compiled: CompiledModel, total: float, rules: CalculationRules
) -> tuple[UnitResult | None, UnitResult | None]:
    """The footprint per declared unit (the rules' unit) and per sales unit (the model's).

    The declared unit converts from the functional unit when their units have the same
    dimension, or through ``product.mass_per_unit_kg`` when the declared unit is a mass; else
    there is no per-declared-unit result (the PCR check reports the mismatch).
    """
    product = compiled.model.product
    fu = product.functional_unit
    declared = None
    if rules.declared_unit is not None:
        amount, unit = rules.declared_unit
        per = _functional_units_in(amount, unit, fu.amount, fu.unit, product.mass_per_unit_kg)
        if per is not None:
            declared = UnitResult(
                amount=amount, unit=unit, functional_units=per, total_kg_co2e=total * per
            )
    sales = None
    if product.sales_unit is not None and compiled.sales_unit_functional_units is not None:
        per = compiled.sales_unit_functional_units
        sales = UnitResult(
            amount=product.sales_unit.amount,
            unit=product.sales_unit.unit,
            name_en=product.sales_unit.name.en,
            name_zh=product.sales_unit.name.zh,
            functional_units=per,
            total_kg_co2e=total * per,
        )
    return declared, sales


def _functional_units_in(
    amount: float, unit: str, fu_amount: float, fu_unit: str, mass_per_unit_kg: float | None
) -> float | None:
    """Functional units in ``amount unit`` (None when the units cannot be related)."""
    if units.convertible(unit, fu_unit):
        return units.convert(amount, unit, fu_unit) / fu_amount
    if mass_per_unit_kg is not None and units.convertible(unit, "kg"):
        return units.convert(amount, unit, "kg") / mass_per_unit_kg
    return None


def assemble(
    compiled: CompiledModel,
    calculation: Calculation,
    gwp_set: str,
    *,
    tree_cutoff: float | None = None,
    tree_max_nodes: int = 2000,
) -> Footprint:
    """Build the :class:`Footprint` of a compiled, factorized model.

    ``total_kg_co2e`` is the burdens of the solved system plus the credits the compiled
    rules count (:class:`~tanzuji.model.rules.CalculationRules`); every credit is listed in
    ``credits`` whether counted or not.
    """
    system = compiled.system
    arrays = _solve(system, calculation)
    c = calculation.characterization
    iso, pact = _lines(system, arrays.inventory, c)
    credits = _credits(compiled, calculation, arrays)
    total = arrays.total + (credits.counted_kg_co2e if credits else 0.0)
    by_stage_groups, groups = _stage_groups(compiled, calculation, arrays)
    declared, sales = per_unit(compiled, total, compiled.rules)
    footprint = Footprint(
        **_product_fields(compiled),
        gwp_set=gwp_set,
        total_kg_co2e=total,
        by_stage=_by_stage(system, arrays.direct),
        by_process=_by_process(system, calculation, arrays),
        by_gas=_by_gas(system, arrays.inventory, c),
        iso14067=iso,
        pact=pact,
        inputs=_inputs(compiled),
        engine={"tanzuji": __version__, **calculation.solver.describe()},
        matched_exchanges=_matched_exchanges(compiled.matches),
        gwp_set_mismatches=_gwp_set_mismatches(compiled, arrays.supply, gwp_set),
        biogenic_carbon_content_kg=compiled.biogenic_carbon_content_kg,
        credits=credits,
        by_stage_analysis_groups=by_stage_groups,
        analysis_groups=groups,
        per_declared_unit=declared,
        per_sales_unit=sales,
        rules=compiled.rules.describe() if compiled.rules != DEFAULT_RULES else None,
        by_stage_gas=_by_stage_gas(system, calculation, arrays.supply),
    )
    if arrays.total != 0:
        footprint.data_quality = quality.assess(system, arrays.supply, c)
    if tree_cutoff is not None:
        footprint.tree = _tree(system, calculation, tree_cutoff, tree_max_nodes)
        footprint.sankey = _sankey(system, calculation, arrays, tree_cutoff, tree_max_nodes)
    return footprint


def _has_market_data(compiled: CompiledModel) -> bool:
    return any(
        exchange.market is not None
        for process in compiled.model.processes
        for exchange in process.inputs
    )


def _electricity(
    compiled: CompiledModel,
    footprint: Footprint,
    compile_other: Callable[[ElectricityBasis], CompiledModel],
    calculation_of: Callable[[CompiledModel], Calculation],
) -> ElectricityResult | None:
    """Both electricity results: the reported one is ``footprint``; the other is compiled and
    solved here (its total only)."""
    if not _has_market_data(compiled):
        return None
    reported = compiled.rules.electricity
    other = compile_other("location" if reported == "market" else "market")
    other_total = _total(other, calculation_of(other))
    market = compiled if reported == "market" else other
    totals = {reported: footprint.total_kg_co2e}
    totals["location" if reported == "market" else "market"] = other_total
    return ElectricityResult(
        reported=reported,
        location_based_kg_co2e=totals["location"],
        market_based_kg_co2e=totals["market"],
        inputs=_electricity_inputs(market.electricity),
    )


def _total(compiled: CompiledModel, calculation: Calculation) -> float:
    """Burdens plus counted credits of a compiled model (what ``total_kg_co2e`` would be)."""
    arrays = _solve(compiled.system, calculation)
    credits = _credits(compiled, calculation, arrays)
    return arrays.total + (credits.counted_kg_co2e if credits else 0.0)


def calculate(
    loaded: LoadedModel,
    *,
    gwp_set: str | None = None,
    factor_source: FactorSource | None = None,
    tree_cutoff: float | None = None,
    tree_max_nodes: int = 2000,
    matcher: FactorMatcher | None = None,
    library: LibrarySource | None = None,
    solver_options: SolverOptions | None = None,
    rules: CalculationRules = DEFAULT_RULES,
    parameter_set: ParameterSet | None = None,
) -> Footprint:
    """Compute the footprint of a loaded model end to end.

    ``matcher`` chooses the factors of ``match:`` inputs (default: the built-in starter
    factors; a service passes its Context's matcher, see :mod:`tanzuji.factors.matchers`).
    ``library`` resolves ``process: library:NAME/ID`` inputs; ``solver_options`` tune the
    solver. ``rules`` are the methodological choices (a PCR's:
    :func:`tanzuji.pcr.calculation.rules_of`); ``parameter_set`` a scenario or sweep point
    (:mod:`tanzuji.model.scenarios`).
    """
    chosen = gases.check_gwp_set(gwp_set)

    def compiled_with(electricity: ElectricityBasis) -> CompiledModel:
        return compile_model(
            loaded,
            factor_source,
            matcher,
            library,
            rules=replace(rules, electricity=electricity),
            parameter_set=parameter_set,
        )

    def calculation_of(compiled: CompiledModel) -> Calculation:
        return Calculation.from_system(compiled.system, chosen, solver_options)

    compiled = compiled_with(rules.electricity)
    calculation = calculation_of(compiled)
    footprint = assemble(
        compiled, calculation, chosen, tree_cutoff=tree_cutoff, tree_max_nodes=tree_max_nodes
    )
    footprint.electricity = _electricity(compiled, footprint, compiled_with, calculation_of)
    return footprint


class SweepRow(BaseModel):
    """One value of a swept parameter and the footprint computed with it."""

    value: float
    parameter_set: str
    total_kg_co2e: float
    credits_kg_co2e: float | None = None
    by_stage: dict[str, float]


class SweepResult(BaseModel):
    """A table of footprints over the values of one parameter (``tanzuji calc --sweep``)."""

    parameter: str
    base_parameter_set: str
    gwp_set: str
    functional_unit: dict[str, Any]
    rules: dict[str, Any]
    rows: list[SweepRow]


def sweep(
    loaded: LoadedModel,
    parameter: str,
    values: Sequence[float],
    *,
    base: ParameterSet | None = None,
    gwp_set: str | None = None,
    factor_source: FactorSource | None = None,
    matcher: FactorMatcher | None = None,
    library: LibrarySource | None = None,
    solver_options: SolverOptions | None = None,
    rules: CalculationRules = DEFAULT_RULES,
) -> SweepResult:
    """The footprint at each value of ``parameter`` (others from ``base``, default baseline).

    Each point is compiled and solved on its own (parameters change amounts anywhere in the
    model); each row names its parameter set.
    """
    chosen = gases.check_gwp_set(gwp_set)
    start = base or ParameterSet()
    rows = []
    for value in values:
        point = with_value(start, loaded.model, parameter, value)
        compiled = compile_model(
            loaded, factor_source, matcher, library, rules=rules, parameter_set=point
        )
        calculation = Calculation.from_system(compiled.system, chosen, solver_options)
        arrays = _solve(compiled.system, calculation)
        credits = _credits(compiled, calculation, arrays)
        rows.append(
            SweepRow(
                value=value,
                parameter_set=point.name,
                total_kg_co2e=arrays.total + (credits.counted_kg_co2e if credits else 0.0),
                credits_kg_co2e=credits.credits_kg_co2e if credits else None,
                by_stage=_by_stage(compiled.system, arrays.direct),
            )
        )
    product = loaded.model.product
    return SweepResult(
        parameter=parameter,
        base_parameter_set=start.name,
        gwp_set=chosen,
        functional_unit=product.functional_unit.model_dump(mode="json", exclude_none=True),
        rules=rules.describe(),
        rows=rows,
    )
