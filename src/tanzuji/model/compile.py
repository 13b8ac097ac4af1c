"""Turn a validated product model into a :class:`~tanzuji.engine.system.ProductSystem`.

A ``match:`` input is resolved here too: its activity text goes to a
:class:`~tanzuji.factors.matchers.FactorMatcher`, the top candidate becomes the input's factor
and the match confidence lowers the input's pedigree (docs/quality.md R5).

Conversions happen here, once: every input amount is converted to the unit of the product or
factor it links to, every emission to kg. Co-products are split into one column per product
with the process's inputs and emissions multiplied by that product's allocation share
(ISO 14067:2018 6.4.6.2; shares computed by :func:`tanzuji.engine.allocation.shares`), or by
the exchange's own causal factors; the :class:`~tanzuji.model.rules.CalculationRules` may
choose one method for all processes.

Avoided products, avoided waste, substituted co-products and the credit terms of the
end-of-life formulas are kept out of the technosphere: each becomes a :class:`CreditEntry`,
valued after the solve as amount x footprint per unit of what it avoids (docs/model.md,
"Avoided products"). Electricity inputs with market data are split by their instruments when
the rules ask for the market-based result. ``materials:`` compile into two processes each
(:mod:`tanzuji.engine.recycling`).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import cast

import numpy as np

from tanzuji import gases, quality, units
from tanzuji.engine import recycling
from tanzuji.engine.allocation import causal_shares
from tanzuji.engine.allocation import shares as allocation_shares
from tanzuji.engine.system import (
    Activity,
    ExchangeRecord,
    FlowKey,
    ProductSystem,
    Triplets,
)
from tanzuji.errors import (
    AllocationError,
    DanglingReference,
    DuplicateId,
    InvalidAmount,
    ModelError,
    NoFactorMatch,
    TanzujiError,
)
from tanzuji.factors import text as factor_text
from tanzuji.factors.base import (
    ChainedSource,
    FactorData,
    FactorFlow,
    FactorSource,
    MappingSource,
    parse_factor_csv,
)
from tanzuji.factors.match import Candidate
from tanzuji.factors.matchers import FactorMatcher, StarterMatcher
from tanzuji.library.foreground import PREFIX as LIBRARY_PREFIX
from tanzuji.library.foreground import ForegroundLibrary, LibrarySource
from tanzuji.model import formula
from tanzuji.model.electricity import (
    ElectricityUse,
    InstrumentUse,
    claimed_twice,
    country,
    criteria_failures,
    to_mwh,
)
from tanzuji.model.files import LoadedModel, SourceMap
from tanzuji.model.rules import DEFAULT_RULES, CalculationRules
from tanzuji.model.scenarios import ParameterSet
from tanzuji.model.schema import (
    EndOfLifeLink,
    Exchange,
    InlineFactor,
    Instrument,
    Material,
    Model,
    Name,
    Process,
    ProcessAllocation,
    ReferenceProduct,
)

REMOVAL_ORIGINS = ("biogenic", "land_management")


@dataclass(frozen=True)
class MatchedInput:
    """A ``match:`` input and the factor its text was matched to.

    Attributes
    ----------
    location : str
        ``file:line path`` of the input.
    process : str
        Id of the process the input belongs to.
    text : str
        The activity text as written.
    geography, year
        The hints the matcher was given (written, read from the text, or the defaults).
    factor : FactorData
        The chosen factor (top candidate), with its version and release.
    confidence : float
        The matcher's confidence in [0, 1].
    explanation : str
        The matcher's one-line reason (words, unit, geography, year).
    pedigree : tuple of float or None
        The input's scores after :func:`tanzuji.quality.degrade_for_match`.
    """

    location: str
    process: str
    text: str
    geography: str | None
    year: int | None
    factor: FactorData
    confidence: float
    explanation: str
    pedigree: tuple[float, ...] | None


#: Kinds of credit and the family whose counting rule applies (CalculationRules.counts).
CREDIT_FAMILIES = {
    "avoided_product": "substitution",
    "avoided_waste": "substitution",
    "substitution": "substitution",
    "recycling": "recycling",
    "energy_recovery": "recycling",
}


@dataclass(frozen=True)
class CreditEntry:
    """An avoided product, avoided waste treatment, substituted co-product or credit term of
    an end-of-life formula: kept out of the technosphere and valued after the solve as
    ``-sum_c amount * share_c * s_c * intensity[row]`` (docs/model.md "Avoided products").

    Attributes
    ----------
    location : str
        ``file:line path`` of the exchange (or formula term) in the model.
    process : str
        Id of the process (or material) that avoids it.
    life_cycle_stage : str
        Stage of that process; credits are reported by it.
    kind : str
        A key of :data:`CREDIT_FAMILIES`.
    row : int
        The activity (model process or factor column) whose product is avoided.
    columns, shares
        The avoiding process's columns and the share of the credit each carries.
    amount : float
        Units of the avoided product per run of the avoiding process.
    """

    location: str
    process: str
    life_cycle_stage: str
    kind: str
    row: int
    columns: tuple[int, ...]
    shares: tuple[float, ...]
    amount: float

    @property
    def family(self) -> str:
        return CREDIT_FAMILIES[self.kind]


@dataclass
class CompiledModel:
    """A product system plus what it was built from (for results and certificates)."""

    system: ProductSystem
    model: Model
    model_hash: str
    parameters: dict[str, float]
    factors: dict[str, FactorData] = field(default_factory=dict)
    matches: list[MatchedInput] = field(default_factory=list)
    #: ``product.biogenic_carbon_content_kg`` evaluated (kg C per functional unit), or None.
    biogenic_carbon_content_kg: float | None = None
    #: Columns of each factor version (key :func:`factor_identity`), one per process using it.
    factor_columns: dict[str, list[int]] = field(default_factory=dict)
    #: Process-library versions whose blocks the system holds: "NAME@VERSION" -> content hash.
    libraries: dict[str, str] = field(default_factory=dict)
    #: Avoided products, substitutions and end-of-life credit terms (valued after the solve).
    credits: list[CreditEntry] = field(default_factory=list)
    #: Electricity inputs with market data (when compiled for the market-based result).
    electricity: list[ElectricityUse] = field(default_factory=list)
    #: The rules the system was compiled under and the name of the parameter set.
    rules: CalculationRules = DEFAULT_RULES
    parameter_set: str = "baseline"
    #: Analysis groups: activity index of each grouped model process -> group name.
    groups: dict[int, str] = field(default_factory=dict)
    #: Functional units in one sales unit (``product.sales_unit.functional_units``), or None.
    sales_unit_functional_units: float | None = None


@contextmanager
def located(where: str) -> Iterator[None]:
    """Give errors raised inside a location if they have none."""
    try:
        yield
    except TanzujiError as exc:
        if exc.location is None:
            exc.location = where
            exc.args = (f"{where}: {exc.message}",)
        raise


def inline_factor(spec: InlineFactor) -> FactorData:
    """FactorData for a factor written in the model."""
    flows = tuple(
        FactorFlow(gases.canonical_gas(g.gas), g.origin, g.amount, g.aircraft) for g in spec.gases
    )
    units.parse_unit(spec.unit)
    pedigree = None
    if spec.pedigree:
        p = spec.pedigree
        pedigree = (p.reliability, p.completeness, p.temporal, p.geographical, p.technological)
    return FactorData(
        id=spec.id,
        version=spec.version,
        unit=spec.unit,
        flows=flows,
        name_en=spec.name.en or "",
        name_zh=spec.name.zh or "",
        source=spec.source,
        illustrative=spec.illustrative,
        pedigree=pedigree,
        gwp_set_of_co2e=gases.canonical_gwp_set(spec.gwp_set),
    )


def factor_source_for(loaded: LoadedModel, extra: FactorSource | None = None) -> ChainedSource:
    """Inline factors, then the model's factor CSV files, then ``extra`` (the database)."""
    model, smap = loaded.model, loaded.source_map
    inline = []
    for i, spec in enumerate(model.factors):
        with located(smap.where(("factors", i))):
            inline.append(inline_factor(spec))
    sources: list[FactorSource] = [MappingSource(inline, origin=f"{smap.file} factors")]
    for i, name in enumerate(model.factor_files):
        with located(smap.where(("factor_files", i))):
            origin, content = loaded.factor_file(name)
            sources.append(parse_factor_csv(content, origin))
    if extra is not None:
        sources.append(extra)
    return ChainedSource(sources)


@dataclass(frozen=True)
class _Allocation:
    """The allocation in force for one process: its method, the default split of its exchanges
    over its products, whether causal factors written on exchanges apply, the product keys."""

    method: str
    default: np.ndarray
    causal: bool
    keys: list[str]
    why: str

    def split(self, builder: _Builder, exchange, path: tuple[str | int, ...]) -> np.ndarray:
        """The shares of one exchange: its causal factors when they apply, else the default."""
        factors = getattr(exchange, "allocation", None)
        if factors is None:
            return self.default
        where = builder.smap.where((*path, "allocation"))
        if self.method == "single":
            raise AllocationError(
                "causal allocation factors on an exchange of a process with one product; "
                "remove 'allocation' or give the process its co_products",
                location=where,
            )
        if not self.causal:  # one method for all (physical, economic, none, substitution)
            return self.default
        values = {
            key: builder.bounded(value, (*path, "allocation", key), f"causal factor of {key!r}", 1)
            for key, value in factors.items()
        }
        with located(where):
            return causal_shares(self.keys, values)


#: The two processes a material defines: suffix of the id, name suffix, stage (None: own).
_MATERIAL_PARTS = {
    "material": ("", ("", ""), None),
    "end_of_life": ("#end_of_life", (" (end of life)", "（寿命终止）"), "end_of_life"),
}


def material_process(material: Material, part: str) -> Process:
    """The process a material defines for ``part`` (``material`` or ``end_of_life``): 1 kg of
    the material as supplied, or 1 kg of it at end of life (docs/model.md "Recycling")."""
    suffix, (en, zh), stage = _MATERIAL_PARTS[part]
    name = material.name
    return Process.model_construct(
        id=material.id + suffix,
        name=Name.model_construct(
            en=(name.en or name.zh or material.id) + en, zh=(name.zh or name.en or material.id) + zh
        ),
        life_cycle_stage=stage or material.life_cycle_stage,
        reference_product=ReferenceProduct.model_construct(amount=1.0, unit="kg"),
        co_products=[],
        allocation=None,
        inputs=[],
        emissions=[],
        avoided=None,
        geography=None,
        comment=None,
    )


class _Builder:
    def __init__(
        self,
        loaded: LoadedModel,
        source: FactorSource,
        matcher: FactorMatcher | None = None,
        library: LibrarySource | None = None,
        rules: CalculationRules = DEFAULT_RULES,
        parameter_set: ParameterSet | None = None,
    ) -> None:
        self.loaded = loaded
        self.library = ForegroundLibrary(library) if library is not None else None
        self.model = loaded.model
        self.smap: SourceMap = loaded.source_map
        self.source = source
        self._matcher = matcher
        self.rules = rules
        self.parameter_set = parameter_set or ParameterSet()
        self.credits: list[CreditEntry] = []
        self.electricity: list[ElectricityUse] = []
        #: counted instruments: (instrument, file:line, period totals?, the input's file:line)
        self.claimed: list[tuple[Instrument, str, bool, str]] = []
        self.substituted: dict[str, str] = {}  # co-product column id -> location of the rule
        self.linked: dict[str, str] = {}  # product column id -> first input location using it
        self.matches: list[MatchedInput] = []
        self.activities: list[Activity] = []
        self.column_of: dict[str, int] = {}
        self.flows: dict[FlowKey, int] = {}
        self.tech = Triplets()
        self.bio = Triplets()
        self.records: list[ExchangeRecord] = []
        self.factors: dict[str, FactorData] = {}
        self.factor_column: dict[tuple[str, str], int] = {}
        self.factor_columns: dict[str, list[int]] = {}
        self.factor_record: dict[str, int] = {}
        self.factor_ids: set[str] = set()
        definitions = {**self.model.parameters, **self.parameter_set.overrides}
        with located(self.smap.where(("parameters",))):
            self.params = formula.resolve_parameters(
                definitions,
                where=self.smap.where(("parameters",)),
                where_of=self._parameter_where,
            )

    def _parameter_where(self, name: str) -> str:
        """Where parameter ``name`` is defined: a scenario's value, a sweep or ``parameters``."""
        if name in self.parameter_set.paths:
            path = self.parameter_set.paths[name]
            if path is None:
                return f"{self.smap.file} (parameter set {self.parameter_set.name!r}) {name}"
            return self.smap.where(path)
        return self.smap.where(("parameters", name))

    def amount(self, value: float | str, path: tuple[str | int, ...]) -> float:
        where = self.smap.where(path)
        if isinstance(value, int | float):
            result = float(value)
            if not math.isfinite(result):
                raise InvalidAmount(f"amount {value} is not finite", location=where)
            return result
        return formula.evaluate(value, self.params, where=where)

    def bounded(
        self, value: float | str, path: tuple[str | int, ...], what: str, upper: float | None
    ) -> float:
        """An amount (number or formula) that must lie in ``[0, upper]``."""
        result = self.amount(value, path)
        if result < 0 or (upper is not None and result > upper):
            expected = f"between 0 and {upper:g}" if upper is not None else ">= 0"
            written = f" ({value!r})" if isinstance(value, str) else ""
            raise InvalidAmount(
                f"{what} is {result:g}{written}; it must be {expected}",
                location=self.smap.where(path),
                found=result,
                expected=expected,
            )
        return result

    def biogenic_carbon_content(self) -> float | None:
        """kg C per functional unit, evaluated (ISO 14067:2018 7.2); None when not given."""
        value = self.model.product.biogenic_carbon_content_kg
        if value is None:
            return None
        path = ("product", "biogenic_carbon_content_kg")
        return self.bounded(value, path, "biogenic_carbon_content_kg", upper=None)

    # -- columns -----------------------------------------------------------------------------
    def declare_columns(self) -> None:
        for i, process in enumerate(self.model.processes):
            if process.id in self.column_of:
                raise DuplicateId(
                    f"process id {process.id!r} is used twice; process ids must be unique",
                    location=self.smap.where(("processes", i, "id")),
                )
            ref = process.reference_product
            self._add_column(process.id, process, ref.name, ref.unit, i)
            for j, co in enumerate(process.co_products):
                self._add_column(f"{process.id}#{co.id}", process, co.name, co.unit, i, j)
        for m, material in enumerate(self.model.materials or []):
            for part in ("material", "end_of_life"):
                holder = material_process(material, part)
                if holder.id in self.column_of:
                    raise DuplicateId(
                        f"material id {material.id!r} is also the id of a process or another "
                        "material; ids must be unique",
                        location=self.smap.where(("materials", m, "id")),
                    )
                self._add_column(holder.id, holder, None, "kg", path=("materials", m))

    def _add_column(self, cid, process: Process, name, unit, i=0, j=None, path=None) -> None:
        where = path or ("processes", i) + (
            ("co_products", j, "unit") if j is not None else ("reference_product", "unit")
        )
        with located(self.smap.where(where)):
            units.parse_unit(unit)
        if cid in self.column_of:
            raise DuplicateId(
                f"product id {cid!r} is defined twice", location=self.smap.where(where)
            )
        base_en = process.name.en or process.name.zh or process.id
        base_zh = process.name.zh or process.name.en or process.id
        if name is not None and j is not None:
            base_en = f"{base_en} / {name.en or name.zh}"
            base_zh = f"{base_zh} / {name.zh or name.en}"
        self.column_of[cid] = len(self.activities)
        self.activities.append(
            Activity(cid, base_en, base_zh, process.life_cycle_stage, "process", unit)
        )

    def factor_col(self, factor: FactorData, process: Process) -> int:
        """The column of ``factor`` as used by ``process`` (one per pair, so that hotspots show
        which process uses which factor); all columns of one factor share one ExchangeRecord so
        that Monte Carlo draws one value per factor."""
        identity = factor_identity(factor)
        key = (identity, process.id)
        if key in self.factor_column:
            return self.factor_column[key]
        col = len(self.activities)
        self.factor_column[key] = col
        self.factor_columns.setdefault(identity, []).append(col)
        activity_id = f"factor:{factor.id}@{process.id}"
        if activity_id in self.factor_ids:  # another version of the same factor in this process
            activity_id = f"factor:{factor.id}#v{factor.version}@{process.id}"
        self.factor_ids.add(activity_id)
        process_en = process.name.en or process.name.zh or process.id
        process_zh = process.name.zh or process.name.en or process.id
        self.activities.append(
            Activity(
                activity_id,
                f"{factor.name_en or factor.name_zh or factor.id} ({process_en})",
                f"{factor.name_zh or factor.name_en or factor.id}（{process_zh}）",
                process.life_cycle_stage,
                "factor",
                factor.unit,
            )
        )
        self.tech.add(col, col, 1.0)
        if identity not in self.factor_record:
            self.factor_record[identity] = len(self.records)
            self.records.append(
                ExchangeRecord(
                    f"factor {factor.id}",
                    factor.id,
                    "factor_flow",
                    pedigree=factor.pedigree,
                    factor_id=factor.id,
                )
            )
        rec = self.factor_record[identity]
        for flow in factor.flows:
            removal = flow.amount_kg < 0
            self.bio.add(
                self.flow_row(FlowKey(flow.gas, flow.origin, flow.aircraft, removal)),
                col,
                flow.amount_kg,
                rec,
            )
        return col

    def flow_row(self, key: FlowKey) -> int:
        if key not in self.flows:
            self.flows[key] = len(self.flows)
        return self.flows[key]

    # -- processes ---------------------------------------------------------------------------
    def build_process(self, i: int, process: Process) -> None:
        base = ("processes", i)
        products = [("", process.reference_product, (*base, "reference_product"))] + [
            (f"#{co.id}", co, (*base, "co_products", j)) for j, co in enumerate(process.co_products)
        ]
        amounts = []
        for _, product, path in products:
            value = self.amount(product.amount, (*path, "amount"))
            if value <= 0:
                raise InvalidAmount(
                    f"product amount is {value:g}; a reference or co-product amount must be > 0",
                    location=self.smap.where((*path, "amount")),
                )
            amounts.append(value)
        allocation = self._allocation(process, base, products, amounts)
        cols = [self.column_of[process.id + suffix] for suffix, _, _ in products]
        for col, amount in zip(cols, amounts, strict=True):
            self.tech.add(col, col, amount)
        for k, exchange in enumerate(process.inputs):
            path = (*base, "inputs", k)
            self._add_input(process, path, exchange, cols, allocation.split(self, exchange, path))
        for k, emission in enumerate(process.emissions):
            path = (*base, "emissions", k)
            split = allocation.split(self, emission, path)
            self._add_emission(process, path, emission, cols, split)
        for k, avoided in enumerate(process.avoided or []):
            path = (*base, "avoided", k)
            kind = f"avoided_{avoided.kind}"
            split = allocation.split(self, avoided, path)
            self._add_input(process, path, avoided, cols, split, kind=kind)
        if allocation.method == "substitution":
            self._substitute(process, base, cols[0], allocation)

    def _allocation(self, process: Process, base, products, amounts) -> _Allocation:
        """The allocation in force for ``process`` under the calculation rules."""
        keys = [process.id] + [co.id for co in process.co_products]
        if not process.co_products:
            return _Allocation("single", np.ones(1), False, keys, "")
        # Process._allocation_given: a process with co-products names its allocation
        chosen, own = self.rules.allocation, cast(ProcessAllocation, process.allocation)
        method = {
            "default": own,
            "causal": own,
            "physical": own if own in ("mass", "energy") else "mass",
            "economic": "economic",
            "none": "none",
            "substitution": "substitution",
        }[chosen]
        why = "" if chosen == "default" else f" (calculation rule '{chosen}', {self.rules.source})"
        causal = chosen in ("default", "causal") and method not in ("none", "substitution")
        if method in ("none", "substitution"):
            split = np.zeros(len(products))
            split[0] = 1.0  # the reference product carries everything
            return _Allocation(method, split, causal, keys, why)
        props = [
            self._allocation_property(method, p, a, path, why)
            for (_, p, path), a in zip(products, amounts, strict=True)
        ]
        with located(self.smap.where((*base, "allocation"))):
            split = allocation_shares(method, props)
        return _Allocation(method, split, causal, keys, why)

    def _allocation_property(self, method, product, amount, path, why: str = "") -> float:
        where = self.smap.where(path)
        if method == "shares":
            if product.share is None:
                raise InvalidAmount(
                    "allocation 'shares' needs 'share' on every product", location=where
                )
            return self.bounded(product.share, (*path, "share"), "share", upper=1.0)
        attr, unit = {
            "mass": ("mass_kg", "kg"),
            "energy": ("energy_mj", "MJ"),
            "economic": ("price", None),
        }[method]
        given = getattr(product, attr)
        if given is not None:
            value = self.amount(given, (*path, attr))
            return value * amount if method == "economic" else value
        if unit is not None and units.convertible(product.unit, unit):
            return units.convert(amount, product.unit, unit)
        raise InvalidAmount(
            f"allocation by {method}{why} needs '{attr}' for this product (its unit "
            f"{product.unit!r} is not {'a mass' if method == 'mass' else 'an energy'})"
            if unit
            else f"allocation 'economic'{why} needs 'price' (per unit) on every product",
            location=where,
        )

    def _substitute(self, process: Process, base, reference_col: int, allocation) -> None:
        """Credit each co-product by what it ``substitutes`` (system expansion, ISO
        14067:2018 6.4.6.1); the reference product carries the whole process."""
        for j, co in enumerate(process.co_products):
            path = (*base, "co_products", j)
            if co.substitutes is None:
                raise AllocationError(
                    f"process {process.id!r} is solved by substitution{allocation.why} but "
                    f"co-product {co.id!r} names nothing it replaces; give "
                    "substitutes: {factor: ID (or process: ID), amount: ..., unit: ...}",
                    location=self.smap.where(path),
                )
            self.substituted[f"{process.id}#{co.id}"] = self.smap.where(path)
            self._add_input(
                process, (*path, "substitutes"), co.substitutes, [reference_col], np.ones(1),
                kind="substitution",
            )  # fmt: skip

    def _add_input(self, process, path, exchange, cols, split, kind: str | None = None) -> None:
        """One input (a burden) or, with ``kind`` or a negative amount, a credit entry."""
        where = self.smap.where(path)
        value = self.amount(exchange.amount, (*path, "amount"))
        if value < 0 and kind is not None:
            raise InvalidAmount(
                f"amount is {value:g}; write avoided and substituted amounts as positive numbers "
                "(the list they are in makes them credits)",
                location=self.smap.where((*path, "amount")),
            )
        if value < 0:
            kind = "avoided_product"  # a negative input is an avoided product (docs/model.md)
        factor: FactorData | None = None
        matched: Candidate | None = None
        if exchange.process is not None and exchange.process.startswith(LIBRARY_PREFIX):
            with located(self.smap.where((*path, "process"))):
                row, target_unit = self.library_column(exchange.process, process)
        elif exchange.process is not None:
            row, target_unit = self._process_target(exchange.process, path)
            self.linked.setdefault(exchange.process, where)
        else:
            factor, matched = self._input_factor(process, exchange, abs(value), path)
            row, target_unit = self.factor_col(factor, process), factor.unit
        rec = self._input_record(process, exchange, where, value, factor, matched, kind)
        if kind is not None:
            converted = self._converted(abs(value), exchange.unit, target_unit, where)
            self.credits.append(
                CreditEntry(
                    where, process.id, process.life_cycle_stage, kind, row, tuple(cols),
                    tuple(float(x) for x in split), converted,
                )
            )  # fmt: skip
            return
        if exchange.market is not None and self.rules.electricity == "market" and factor:
            parts = self._market_parts(process, path, exchange, value, factor)
        else:
            parts = [(row, self._converted(value, exchange.unit, target_unit, where))]
        for part_row, converted in parts:
            for col, share in zip(cols, split, strict=True):
                self.tech.add(part_row, col, -converted * share, rec)

    def _converted(self, value: float, unit: str, target_unit: str, where: str) -> float:
        with located(where):
            converted = units.convert(value, unit, target_unit, where=where)
        _refuse_overflow(converted, value, unit, target_unit, where)
        return converted

    def _input_record(self, process, exchange, where, value, factor, matched, kind) -> int:
        """Append the :class:`ExchangeRecord` of an input; its index."""
        pedigree = _pedigree(exchange.pedigree)
        match_fields: dict = {}
        if matched is not None and factor is not None:
            pedigree = _matched_pedigree(pedigree, factor.pedigree, matched.confidence)
            match_fields = self._record_match(process, exchange, where, factor, matched, pedigree)
        self.records.append(
            ExchangeRecord(
                where,
                process.id,
                "input" if kind is None else "credit",
                exchange.uncertainty.model_dump() if exchange.uncertainty else None,
                pedigree,
                exchange.primary,
                factor.id if factor is not None else None,
                amount=value,
                unit=exchange.unit,
                **match_fields,
            )
        )
        return len(self.records) - 1

    # -- electricity ---------------------------------------------------------------------------
    def _market_parts(self, process, path, exchange, value, grid) -> list[tuple[int, float]]:
        """Rows and amounts (in each factor's unit) of a market-based electricity input:
        qualifying instruments first, the rest residual mix or grid average."""
        where = self.smap.where(path)
        product = self.model.product
        consumption = country(process.geography or product.geography)
        remaining = value
        uses: list[InstrumentUse] = []
        parts: list[tuple[FactorData, float]] = []
        notes: list[str] = []
        per_run = self._per_run(path, exchange, value)
        for n, instrument in enumerate(exchange.market.instruments):
            ipath = (*path, "market", "instruments", n)
            amount = self.bounded(instrument.amount, (*ipath, "amount"), "amount", upper=None)
            at = self.smap.where(ipath)
            claimed = self._converted(amount, instrument.unit, exchange.unit, at) * per_run
            mwh = to_mwh(amount, instrument.unit, at)
            use = InstrumentUse(instrument, at, claimed)
            use.reasons = criteria_failures(instrument, mwh, consumption, product.reference_period)
            # Period totals (period_consumption) may back several inputs of one site, each
            # with its share; anything else is claimed by one input once.
            shared = exchange.market.period_consumption is not None
            earlier = [
                (i, w) for i, w, s, owner in self.claimed if not (shared and s) or owner == where
            ]
            twice = claimed_twice(instrument, earlier)
            if twice is not None:
                use.reasons.append(twice)
            if use.qualifies:
                self.claimed.append((instrument, at, shared, where))
                use.counted = min(claimed, remaining)
                remaining -= use.counted
                if use.counted < claimed:
                    notes.append(
                        f"{use.instrument.label()} claims {claimed:g} {exchange.unit} but only "
                        f"{use.counted:g} {exchange.unit} of the consumption were left to cover"
                    )
                with located(self.smap.where((*ipath, "factor"))):
                    generation = self.source.resolve(instrument.factor)
                self.factors[factor_identity(generation)] = generation
                parts.append((generation, use.counted))
            uses.append(use)
        residual = self._residual(process, path, exchange, grid, remaining, notes)
        if remaining > 0:
            parts.append((residual, remaining))
        self.electricity.append(
            ElectricityUse(
                where, process.id, value, exchange.unit, grid.id, uses,
                residual.id if residual is not grid else None, remaining, notes,
            )
        )  # fmt: skip
        return [
            (self.factor_col(f, process), self._converted(a, exchange.unit, f.unit, where))
            for f, a in parts
            if a > 0
        ]

    def _per_run(self, path, exchange, value: float) -> float:
        """Run share of period totals: input amount / period consumption (1 without it)."""
        market = exchange.market
        if market.period_consumption is None:
            return 1.0
        where = (*path, "market", "period_consumption")
        total = self.bounded(market.period_consumption, where, "period_consumption", upper=None)
        total = self._converted(total, market.period_unit, exchange.unit, self.smap.where(where))
        if not total > 0:
            raise InvalidAmount(
                "period_consumption is 0; give the electricity consumed over the reference period",
                location=self.smap.where(where),
            )
        return value / total

    def _residual(self, process, path, exchange, grid, remaining, notes) -> FactorData:
        """The residual mix of an input (GHG Protocol Scope 2 Guidance 6.11), else the grid."""
        market = exchange.market
        if market.residual_mix is None:
            if remaining > 0:
                notes.append(
                    f"no residual mix given: the {remaining:g} {exchange.unit} not covered by a "
                    f"qualifying instrument use the grid average {grid.id}, which still counts "
                    "attributes sold to others (Scope 2 Guidance 6.11); give market.residual_mix "
                    "where one is published"
                )
            return grid
        with located(self.smap.where((*path, "market", "residual_mix"))):
            residual = self.source.resolve(market.residual_mix)
        self.factors[factor_identity(residual)] = residual
        return residual

    def _process_target(self, target: str, path: tuple[str | int, ...]) -> tuple[int, str]:
        """Row and product unit of the model process an input links to."""
        if target not in self.column_of:
            known = ", ".join(sorted(k for k in self.column_of if "#" not in k)[:20])
            raise DanglingReference(
                f"input links to process {target!r}, which the model does not define; "
                f"defined processes: {known}",
                location=self.smap.where((*path, "process")),
            )
        row = self.column_of[target]
        return row, self.activities[row].unit

    def _input_factor(
        self, process: Process, exchange, value: float, path: tuple[str | int, ...]
    ) -> tuple[FactorData, Candidate | None]:
        """The factor an input names (``factor:``) or whose text matches it (``match:``)."""
        matched: Candidate | None = None
        if exchange.match is not None:
            factor, matched = self._matched_factor(process, exchange, value, path)
        else:
            with located(self.smap.where((*path, "factor"))):
                factor = self.source.resolve(exchange.factor)
        self.factors[factor_identity(factor)] = factor
        return factor, matched

    def _record_match(self, process, exchange, where, factor, matched, pedigree) -> dict:
        """Remember a ``match:`` input for the result; its ExchangeRecord fields."""
        self.matches.append(
            MatchedInput(
                where,
                process.id,
                exchange.match,
                *self._match_hints(process, exchange),
                factor,
                matched.confidence,
                matched.explanation,
                pedigree,
            )
        )
        return {
            "match_text": exchange.match,
            "match_confidence": matched.confidence,
            "match_explanation": matched.explanation,
        }

    def library_column(self, ref: str, process: Process) -> tuple[int, str]:
        """Column and unit of a library process (its library block added; docs/library.md)."""
        if self.library is None:
            raise DanglingReference(
                f"input links to library process {ref!r}, but no process library is available "
                "here; import one with `tanzuji library import` (docs/library.md) / "
                "没有可用的背景过程数据库"
            )
        return self.library.column(ref, process.life_cycle_stage, self)

    # -- inputs matched by text ----------------------------------------------------------------
    @property
    def matcher(self) -> FactorMatcher:
        """The matcher given, else the built-in starter factors (made on the first ``match:``)."""
        if self._matcher is None:
            self._matcher = StarterMatcher()
        return self._matcher

    def _match_hints(self, process: Process, exchange) -> tuple[str | None, int | None]:
        """Geography and year for the matcher: written on the input, else read from the text
        by the matcher, else the process's (or product's) geography and the reference period's
        end year."""
        parsed = factor_text.parse_activity(exchange.match)
        product = self.model.product
        geography = exchange.geography
        if geography is None and parsed.geography is None:
            geography = process.geography or product.geography
        year = exchange.year
        if year is None and parsed.year is None and product.reference_period is not None:
            year = product.reference_period.end.year
        return geography or parsed.geography, year or parsed.year

    def _matched_factor(
        self, process: Process, exchange, value: float, path: tuple[str | int, ...]
    ) -> tuple[FactorData, Candidate]:
        """The top candidate for a ``match:`` input, as the engine's factor."""
        where = self.smap.where((*path, "match"))
        geography, year = self._match_hints(process, exchange)
        with located(where):
            found = self.matcher.match(exchange.match, value, exchange.unit, geography, year)
        if not found:
            raise NoFactorMatch(
                f"no emission factor matches {exchange.match!r} in a unit convertible from "
                f"{exchange.unit!r} (没有与该活动描述匹配且单位可换算的排放因子); use words of a "
                f"factor's name (try `tanzuji factors match {exchange.match!r} --unit "
                f"{exchange.unit}`), check the unit, or name the factor with 'factor: ID'",
                location=where,
                found=exchange.match,
            )
        best = found[0]
        return best.record.to_factor_data(release=self.matcher.release), best

    def _add_emission(self, process, path, emission, cols, split) -> None:
        where = self.smap.where(path)
        with located(self.smap.where((*path, "gas"))):
            gas = gases.canonical_gas(emission.gas)
            gases.gwp(gas, emission.origin)  # fails early for gases without a GWP
        value = self.amount(emission.amount, (*path, "amount"))
        with located(where):
            kg = units.convert(value, emission.unit, "kg", where=where)
        _refuse_overflow(kg, value, emission.unit, "kg", where)
        removal = kg < 0
        if removal and not (gas == "CO2" and emission.origin in REMOVAL_ORIGINS):
            raise InvalidAmount(
                f"emission of {gas} ({emission.origin}) is negative ({value:g}); only CO2 removals "
                f"of origin {' or '.join(REMOVAL_ORIGINS)} may be negative (ISO 14067:2018 6.5.2)",
                location=self.smap.where((*path, "amount")),
            )
        row = self.flow_row(FlowKey(gas, emission.origin, emission.aircraft, removal))
        rec = len(self.records)
        self.records.append(
            ExchangeRecord(
                where,
                process.id,
                "emission",
                emission.uncertainty.model_dump() if emission.uncertainty else None,
                _pedigree(emission.pedigree),
                emission.primary,
                amount=value,
                unit=emission.unit,
            )
        )
        for col, share in zip(cols, split, strict=True):
            self.bio.add(row, col, kg * share, rec)

    # -- materials (recycled content and end of life) --------------------------------------
    def build_material(self, m: int, material: Material) -> None:
        """The two processes of a material, with the terms of its end-of-life formula."""
        base = ("materials", m)
        method = self.rules.end_of_life or material.method
        parameters = self._recycling_parameters(material, base, method)
        holders = {part: material_process(material, part) for part in _MATERIAL_PARTS}
        for holder in holders.values():
            col = self.column_of[holder.id]
            self.tech.add(col, col, 1.0)
        for term in recycling.terms(method, parameters):
            link = getattr(material, term.name)
            if link is None and term.name == "E_v_star":
                link = material.E_v  # the virgin material substituted is the one used
            path = (*base, term.name)
            if link is None:
                raise ModelError(
                    f"material {material.id!r} ({method}): the term {term.formula} of "
                    f"{term.name} is {term.amount:g} per kg, but '{term.name}' is not given; "
                    "name the process or factor it stands for",
                    location=self.smap.where(base),
                )
            self._add_term(holders[term.part], path, link, term)

    def _add_term(self, holder: Process, path, link: EndOfLifeLink, term) -> None:
        unit = "MJ" if term.name.startswith("E_se") else "kg"
        exchange = Exchange.model_construct(
            process=link.process, factor=link.factor, match=None, geography=None, year=None,
            amount=term.amount, unit=unit, comment=term.formula, uncertainty=None,
            pedigree=None, primary=False, allocation=None, market=None,
        )  # fmt: skip
        kind = None
        if term.credit:
            kind = "energy_recovery" if term.name.startswith("E_se") else "recycling"
        self._add_input(holder, path, exchange, [self.column_of[holder.id]], np.ones(1), kind)

    def _recycling_parameters(self, material: Material, base, method) -> recycling.Parameters:
        """The formula's parameters, each checked against its range."""

        def fraction(name: str) -> float:
            return self.bounded(getattr(material, name), (*base, name), name, upper=1.0)

        if method == "cff" and material.A is None:
            raise ModelError(
                f"material {material.id!r}: the calculation rules ({self.rules.source}) ask "
                "for the Circular Footprint Formula, which needs 'A' (and 'A_source')",
                location=self.smap.where(base),
            )
        values = {
            name: fraction(name) for name in ("B", "R1", "R2", "R3", "X_er_heat", "X_er_elec")
        }
        values["A"] = fraction("A") if material.A is not None else 1.0
        for name in ("Qsin_Qp", "Qsout_Qp", "LHV_mj_per_kg"):
            values[name] = self.bounded(getattr(material, name), (*base, name), name, upper=None)
        if values["R2"] + values["R3"] > 1 + 1e-12:
            raise InvalidAmount(
                f"R2 + R3 is {values['R2'] + values['R3']:g} ({values['R2']:g} recycled + "
                f"{values['R3']:g} to energy recovery); at most 1 of the material can leave "
                "the product (2021/2279 Annex I 4.4.8)",
                location=self.smap.where((*base, "R3")),
            )
        return recycling.Parameters(**values)

    # -- groups, sales unit, consistency ---------------------------------------------------------
    def analysis_groups(self) -> dict[int, str]:
        """Activity index of each grouped product -> its group (each product in one group)."""
        groups: dict[int, str] = {}
        for g, group in enumerate(self.model.analysis_groups or []):
            for k, ref in enumerate(group.processes):
                where = self.smap.where(("analysis_groups", g, "processes", k))
                if ref not in self.column_of:
                    raise DanglingReference(
                        f"analysis group {group.name!r} names {ref!r}, which the model does "
                        "not define",
                        location=where,
                    )
                col = self.column_of[ref]
                if col in groups:
                    raise DuplicateId(
                        f"{ref!r} is in analysis groups {groups[col]!r} and {group.name!r}; a "
                        "process belongs to one group",
                        location=where,
                    )
                groups[col] = group.name
        return groups

    def sales_unit_functional_units(self) -> float | None:
        sales = self.model.product.sales_unit
        if sales is None:
            return None
        path = ("product", "sales_unit", "functional_units")
        value = self.amount(sales.functional_units, path)
        if not value > 0:
            raise InvalidAmount(
                f"functional_units is {value:g}; one sales unit must hold more than 0 "
                "functional units",
                location=self.smap.where(path),
            )
        return value

    def refuse_consumed_substitutes(self) -> None:
        """A co-product credited by substitution cannot also be consumed inside the model."""
        for product, where in self.substituted.items():
            if product in self.linked:
                raise AllocationError(
                    f"co-product {product!r} is credited by substitution ({where}) and also "
                    f"consumed inside the model ({self.linked[product]}); allocate the process "
                    "instead, or stop crediting what the system itself uses",
                    location=where,
                )

    def demand(self) -> np.ndarray:
        ref = self.model.product.reference_flow
        path = ("product", "reference_flow")
        if ref.process not in self.column_of:
            raise DanglingReference(
                f"reference flow names process {ref.process!r}, which the model does not define",
                location=self.smap.where((*path, "process")),
            )
        value = self.amount(ref.amount, (*path, "amount"))
        if value <= 0:
            raise InvalidAmount(
                f"reference flow amount is {value:g}; it must be > 0",
                location=self.smap.where((*path, "amount")),
            )
        row = self.column_of[ref.process]
        if ref.unit is not None:
            where = self.smap.where((*path, "unit"))
            converted = units.convert(value, ref.unit, self.activities[row].unit, where=where)
            _refuse_overflow(converted, value, ref.unit, self.activities[row].unit, where)
            value = converted
        demand = np.zeros(len(self.activities))
        demand[row] = value
        return demand


def _refuse_overflow(converted: float, value: float, unit: str, target: str, where: str) -> None:
    """Refuse an amount whose conversion left the float range (1e308 t is inf kg)."""
    if not math.isfinite(converted):
        raise InvalidAmount(
            f"amount {value:g} {unit} is {converted} {target} after conversion: beyond the float "
            f"range (|x| <= 1.8e308); check the amount and its unit",
            location=where,
            found=value,
        )


def factor_identity(factor: FactorData) -> str:
    """Key of one exact factor version: ``id@version`` plus the release it came from."""
    return f"{factor.id}@{factor.version}" + (f"/{factor.release}" if factor.release else "")


def _pedigree(p) -> tuple[float, ...] | None:
    if p is None:
        return None
    return (p.reliability, p.completeness, p.temporal, p.geographical, p.technological)


def _matched_pedigree(
    own: tuple[float, ...] | None, factor: tuple[float, ...] | None, confidence: float
) -> tuple[float, ...] | None:
    """Scores of an input whose factor was chosen by text (docs/quality.md R5).

    The scores that rate the input under R1 (per indicator the worse of the input's and the
    factor's; one given: that one) are moved towards 5 by the doubt of the match. With no
    scores at all the input stays unknown (5 on every indicator under R1).
    """
    if own is None:
        if factor is None:
            return None
        base = factor
    elif factor is None:
        base = own
    else:
        base = tuple(max(a, b) for a, b in zip(own, factor, strict=True))
    return quality.degrade_for_match(base, confidence)


def compile_model(
    loaded: LoadedModel,
    factor_source: FactorSource | None = None,
    matcher: FactorMatcher | None = None,
    library: LibrarySource | None = None,
    *,
    rules: CalculationRules = DEFAULT_RULES,
    parameter_set: ParameterSet | None = None,
) -> CompiledModel:
    """Build the product system of a loaded model.

    Parameters
    ----------
    loaded : LoadedModel
        From :func:`tanzuji.model.files.load_model`.
    factor_source : FactorSource, optional
        Where factors not defined inline or in the model's factor files come from (the
        factor database).
    matcher : FactorMatcher, optional
        Chooses the factor of each ``match:`` input (default: the built-in starter factors;
        a service passes the matcher of its Context, over the same factors as
        ``factor_source``).
    library : LibrarySource, optional
        Resolves ``process: library:NAME/ID`` inputs to background process blocks.
    rules : CalculationRules, optional
        Allocation method, electricity basis and end-of-life method in force (a PCR's).
    parameter_set : ParameterSet, optional
        A scenario or sweep value replacing some parameters (:mod:`tanzuji.model.scenarios`).

    Raises
    ------
    DanglingReference, InvalidAmount, UnitMismatch, UnknownFactor, FormulaError, UnknownGas
        Each with the file, line and path of the offending value.
    NoFactorMatch
        A ``match:`` text matches no factor of a unit convertible from the input's unit.
    """
    source = factor_source_for(loaded, factor_source)
    builder = _Builder(loaded, source, matcher, library, rules, parameter_set)
    builder.declare_columns()
    for i, process in enumerate(loaded.model.processes):
        builder.build_process(i, process)
    for m, material in enumerate(loaded.model.materials or []):
        builder.build_material(m, material)
    builder.refuse_consumed_substitutes()
    demand = builder.demand()
    biogenic_carbon = builder.biogenic_carbon_content()
    system = ProductSystem(
        activities=builder.activities,
        flows=list(builder.flows),
        technosphere=builder.tech,
        biosphere=builder.bio,
        demand=demand,
        exchanges=builder.records,
    )
    return CompiledModel(
        system,
        loaded.model,
        loaded.content_hash,
        builder.params,
        builder.factors,
        builder.matches,
        biogenic_carbon,
        builder.factor_columns,
        builder.library.used if builder.library is not None else {},
        builder.credits,
        builder.electricity,
        rules,
        builder.parameter_set.name,
        builder.analysis_groups(),
        builder.sales_unit_functional_units(),
    )


__all__ = [
    "CompiledModel",
    "CreditEntry",
    "MatchedInput",
    "compile_model",
    "factor_source_for",
    "material_process",
]
