"""Turn a validated product model into a :class:`~tanzuji.engine.system.ProductSystem`.

A ``match:`` input is resolved here too: its activity text goes to a
:class:`~tanzuji.factors.matchers.FactorMatcher`, the top candidate becomes the input's factor
and the match confidence lowers the input's pedigree (docs/quality.md R5).

Conversions happen here, once: every input amount is converted to the unit of the product or
factor it links to, every emission to kg. Co-products are split into one column per product
with the process's inputs and emissions multiplied by that product's allocation share
(ISO 14067:2018 6.4.6.2; shares computed by :func:`tanzuji.engine.allocation.shares`).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np

from tanzuji import gases, quality, units
from tanzuji.engine.allocation import shares as allocation_shares
from tanzuji.engine.system import (
    Activity,
    ExchangeRecord,
    FlowKey,
    ProductSystem,
    Triplets,
)
from tanzuji.errors import (
    DanglingReference,
    DuplicateId,
    InvalidAmount,
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
from tanzuji.model.files import LoadedModel, SourceMap
from tanzuji.model.schema import InlineFactor, Model, Process

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


class _Builder:
    def __init__(
        self,
        loaded: LoadedModel,
        source: FactorSource,
        matcher: FactorMatcher | None = None,
        library: LibrarySource | None = None,
    ) -> None:
        self.loaded = loaded
        self.library = ForegroundLibrary(library) if library is not None else None
        self.model = loaded.model
        self.smap: SourceMap = loaded.source_map
        self.source = source
        self._matcher = matcher
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
        with located(self.smap.where(("parameters",))):
            self.params = formula.resolve_parameters(
                self.model.parameters,
                where=self.smap.where(("parameters",)),
                where_of=lambda name: self.smap.where(("parameters", name)),
            )

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

    def _add_column(self, cid, process: Process, name, unit, i, j=None) -> None:
        where = ("processes", i) + (
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
        if process.co_products:
            props = [
                self._allocation_property(process.allocation, p, a, path)
                for (_, p, path), a in zip(products, amounts, strict=True)
            ]
            with located(self.smap.where((*base, "allocation"))):
                split = allocation_shares(process.allocation, props)
        else:
            split = np.ones(1)
        cols = [self.column_of[process.id + suffix] for suffix, _, _ in products]
        for col, amount in zip(cols, amounts, strict=True):
            self.tech.add(col, col, amount)
        for k, exchange in enumerate(process.inputs):
            self._add_input(process, i, k, exchange, cols, split)
        for k, emission in enumerate(process.emissions):
            self._add_emission(process, i, k, emission, cols, split)

    def _allocation_property(self, method, product, amount, path) -> float:
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
            f"allocation by {method} needs '{attr}' for this product (its unit "
            f"{product.unit!r} is not {'a mass' if method == 'mass' else 'an energy'})"
            if unit
            else "allocation 'economic' needs 'price' (per unit) on every product",
            location=where,
        )

    def _add_input(self, process, i, k, exchange, cols, split) -> None:
        path = ("processes", i, "inputs", k)
        where = self.smap.where(path)
        value = self._input_amount(exchange, path)
        factor: FactorData | None = None
        matched: Candidate | None = None
        if exchange.process is not None and exchange.process.startswith(LIBRARY_PREFIX):
            with located(self.smap.where((*path, "process"))):
                row, target_unit = self.library_column(exchange.process, process)
        elif exchange.process is not None:
            row, target_unit = self._process_target(exchange.process, path)
        else:
            factor, matched = self._input_factor(process, exchange, value, path)
            row, target_unit = self.factor_col(factor, process), factor.unit
        with located(where):
            converted = units.convert(value, exchange.unit, target_unit, where=where)
        _refuse_overflow(converted, value, exchange.unit, target_unit, where)
        pedigree = _pedigree(exchange.pedigree)
        match_fields: dict = {}
        if matched is not None and factor is not None:
            pedigree = _matched_pedigree(pedigree, factor.pedigree, matched.confidence)
            match_fields = self._record_match(process, exchange, where, factor, matched, pedigree)
        rec = len(self.records)
        self.records.append(
            ExchangeRecord(
                where,
                process.id,
                "input",
                exchange.uncertainty.model_dump() if exchange.uncertainty else None,
                pedigree,
                exchange.primary,
                factor.id if factor is not None else None,
                amount=value,
                unit=exchange.unit,
                **match_fields,
            )
        )
        for col, share in zip(cols, split, strict=True):
            self.tech.add(row, col, -converted * share, rec)

    def _input_amount(self, exchange, path: tuple[str | int, ...]) -> float:
        value = self.amount(exchange.amount, (*path, "amount"))
        if value < 0:
            raise InvalidAmount(
                f"input amount is {value:g}; inputs must be >= 0 (model outputs as co_products)",
                location=self.smap.where((*path, "amount")),
            )
        return value

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

    def _add_emission(self, process, i, k, emission, cols, split) -> None:
        path = ("processes", i, "emissions", k)
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


def _pedigree(p) -> tuple[int, int, int, int, int] | None:
    if p is None:
        return None
    return (p.reliability, p.completeness, p.temporal, p.geographical, p.technological)


def _matched_pedigree(
    own: tuple[int, ...] | None, factor: tuple[int, ...] | None, confidence: float
) -> tuple[float, ...] | None:
    """Scores of an input whose factor was chosen by text (docs/quality.md R5).

    The scores that rate the input under R1 (per indicator the worse of the input's and the
    factor's; one given: that one) are moved towards 5 by the doubt of the match. With no
    scores at all the input stays unknown (5 on every indicator under R1).
    """
    if own is None and factor is None:
        return None
    if own is None or factor is None:
        base = own or factor
    else:
        base = tuple(max(a, b) for a, b in zip(own, factor, strict=True))
    return quality.degrade_for_match(base, confidence)


def compile_model(
    loaded: LoadedModel,
    factor_source: FactorSource | None = None,
    matcher: FactorMatcher | None = None,
    library: LibrarySource | None = None,
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

    Raises
    ------
    DanglingReference, InvalidAmount, UnitMismatch, UnknownFactor, FormulaError, UnknownGas
        Each with the file, line and path of the offending value.
    NoFactorMatch
        A ``match:`` text matches no factor of a unit convertible from the input's unit.
    """
    source = factor_source_for(loaded, factor_source)
    builder = _Builder(loaded, source, matcher, library)
    builder.declare_columns()
    for i, process in enumerate(loaded.model.processes):
        builder.build_process(i, process)
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
    )


__all__ = ["CompiledModel", "MatchedInput", "compile_model", "factor_source_for"]
