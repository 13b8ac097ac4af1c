"""The product model file format (pydantic v2). Documented in ``docs/model.md``.

A model is a product (functional or declared unit, reference flow), named parameters, and
processes. Each process has a life-cycle stage, a reference product, optional co-products with
an allocation rule, inputs (from another process of the model or from an emission factor) and
direct emissions per gas with their origin.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

#: Life-cycle stages (ISO 14067:2018 6.3.4; GHG Protocol Product Standard ch. 7). A model may
#: use other stage names too (the list is extensible); these are the ones reports know.
LIFE_CYCLE_STAGES = ("raw_materials", "production", "distribution", "use", "end_of_life")

Amount = float | str  # a number or a formula over parameters
#: One rule per multi-output process (ISO 14067:2018 6.4.6): physical (mass, energy), economic,
#: explicit shares, substitution of the co-products (system expansion), or none (the reference
#: product carries everything). Causal factors on single exchanges come on top (docs/model.md).
ProcessAllocation = Literal["mass", "energy", "economic", "shares", "substitution", "none"]
Origin = Literal["fossil", "biogenic", "land_use_change", "land_management"]  # gases.ORIGINS
Identifier = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_.:\-/]+$")]
#: A product of the model: a process id, or ``PROCESS#CO_PRODUCT`` for one of its co-products.
ProductRef = Annotated[
    str, Field(min_length=1, max_length=401, pattern=r"^[A-Za-z0-9_.:\-/]+(#[A-Za-z0-9_.:\-/]+)?$")
]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Name(Strict):
    """A name in Chinese and English; at least one of them."""

    zh: str | None = None
    en: str | None = None

    @model_validator(mode="after")
    def _one_language(self) -> Name:
        if not (self.zh or self.en):
            raise ValueError("give the name in zh, en or both")
        return self

    def text(self, language: str = "en") -> str:
        first, second = (self.en, self.zh) if language == "en" else (self.zh, self.en)
        return first or second or ""


def _coerce_name(value: object) -> object:
    return {"en": value} if isinstance(value, str) else value


class UnitSpec(Strict):
    """The functional or declared unit (ISO 14067:2018 3.1.1.7 / 3.1.1.8)."""

    kind: Literal["functional", "declared"] = "declared"
    amount: float = Field(1.0, gt=0)
    unit: str
    description: Name | None = None

    _name = field_validator("description", mode="before")(_coerce_name)


class ReferenceFlow(Strict):
    """How much of which process's product fulfils one functional unit."""

    process: ProductRef
    amount: Amount = 1.0
    unit: str | None = None


class Period(Strict):
    start: dt.date
    end: dt.date

    @model_validator(mode="after")
    def _ordered(self) -> Period:
        if self.end < self.start:
            raise ValueError(f"reference period ends ({self.end}) before it starts ({self.start})")
        return self


class SalesUnit(Strict):
    """The unit a buyer sees (one bottle, one pack) and how many functional units it holds."""

    name: Name
    amount: float = Field(1.0, gt=0)
    unit: str = Field(min_length=1)
    functional_units: Amount = Field(
        description="functional (declared) units in one sales unit, a number or formula > 0"
    )

    _name = field_validator("name", mode="before")(_coerce_name)


class Product(Strict):
    id: Identifier
    name: Name
    functional_unit: UnitSpec
    reference_flow: ReferenceFlow
    pcr: str | None = None
    geography: str | None = None
    reference_period: Period | None = None
    mass_per_unit_kg: float | None = Field(None, gt=0)
    #: System boundary the study claims (checked against the PCR; ISO 14067:2018 6.3.4).
    boundary: Literal["cradle-to-gate", "cradle-to-gate-with-options", "cradle-to-grave"] | None = (
        None
    )
    #: Biogenic carbon content of the product per functional unit, kg C (ISO 14067:2018 7.2;
    #: EN 15804+A2 7.2.4), a number or formula >= 0. Needed when a PCR asks for it (see
    #: docs/pcr.md).
    biogenic_carbon_content_kg: Amount | None = None
    #: The unit the product is sold in (one bottle), when it differs from the functional or
    #: declared unit the PCR demands (1 kg); results are given per both.
    sales_unit: SalesUnit | None = None

    _name = field_validator("name", mode="before")(_coerce_name)


class Exclusion(Strict):
    """A flow or process left out of the model under the cut-off rule, with its estimated effect.

    ISO 14067:2018 6.3.4.3 asks that cut-off criteria be stated and the effect of exclusions
    assessed; a PCR's cut-off rule (``tanzuji pcr check``) compares these estimates with its
    per-flow and total limits. Give ``estimated_share`` (fraction of the footprint) or
    ``estimated_kg_co2e`` (per functional unit).
    """

    id: Identifier
    name: Name | None = None
    life_cycle_stage: str | None = None
    estimated_share: float | None = Field(None, ge=0, le=1)
    estimated_kg_co2e: float | None = Field(None, ge=0)
    justification: str | None = None

    _name = field_validator("name", mode="before")(_coerce_name)


class Uncertainty(Strict):
    """A distribution for an amount (used by Monte Carlo)."""

    distribution: Literal["lognormal", "normal", "triangular", "uniform"]
    gsd: float | None = Field(None, gt=1, description="geometric standard deviation (lognormal)")
    sd: float | None = Field(None, gt=0, description="standard deviation (normal)")
    minimum: float | None = None
    maximum: float | None = None
    mode: float | None = None


class Pedigree(Strict):
    """Pedigree matrix scores 1 (best) .. 5 (worst) (Weidema & Wesnaes 1996; ecoinvent v3)."""

    reliability: int = Field(ge=1, le=5)
    completeness: int = Field(ge=1, le=5)
    temporal: int = Field(ge=1, le=5)
    geographical: int = Field(ge=1, le=5)
    technological: int = Field(ge=1, le=5)


class Instrument(Strict):
    """A contractual instrument for electricity (market-based method; ISO 14067:2018 6.4.9.4,
    GHG Protocol Scope 2 Guidance ch. 7).

    ``type``: ``gec`` (China Green Electricity Certificate 绿证, 1 certificate = 1 MWh),
    ``i-rec`` (International REC, 1 certificate = 1 MWh), ``ppa`` (power purchase agreement),
    ``green_power_trading`` (绿电交易 contract), ``supplier_specific`` (a supplier's
    disclosed product). Certificates carry a block of serials (``serial_prefix`` +
    ``serial_start``..``serial_end``) that certification refuses to see claimed twice.
    """

    type: Literal["gec", "i-rec", "ppa", "green_power_trading", "supplier_specific"]
    amount: Amount = Field(description="electricity covered by this instrument")
    unit: str = "MWh"
    factor: str = Field(
        min_length=1,
        description="emission factor of the contracted generation (life cycle, per kWh)",
    )
    registry: str = Field(min_length=1, max_length=200)
    serial_prefix: str = Field("", max_length=200)
    serial_start: int | None = Field(None, ge=0)
    serial_end: int | None = Field(None, ge=0)
    certificate_mwh: float = Field(1.0, gt=0, description="MWh one certificate stands for")
    contract_id: str | None = Field(None, min_length=1, max_length=200)
    vintage: int | None = Field(None, ge=1990, le=2100, description="year of generation")
    region: str | None = Field(None, min_length=2, max_length=40, description="ISO 3166 code")
    retired: bool = False
    retirement_date: dt.date | None = None
    beneficiary: str | None = None
    comment: str | None = None

    @model_validator(mode="after")
    def _serials(self) -> Instrument:
        given = (self.serial_start is None, self.serial_end is None)
        if given[0] != given[1]:
            raise ValueError("give both serial_start and serial_end, or neither")
        if self.serial_start is not None and self.serial_end < self.serial_start:  # type: ignore[operator]
            raise ValueError(
                f"serial range ends ({self.serial_end}) before it starts ({self.serial_start})"
            )
        return self

    @property
    def has_serials(self) -> bool:
        return self.serial_start is not None

    def label(self) -> str:
        """``registry prefix start-end`` (the form of :meth:`CreditRetirement.label`)."""
        if not self.has_serials:
            return f"{self.registry} contract {self.contract_id or '?'}"
        return f"{self.registry} {self.serial_prefix}{self.serial_start}-{self.serial_end}"


class MarketElectricity(Strict):
    """Market-based data of an electricity input: instruments and the residual mix.

    The input's own ``factor`` (or ``match``) is its location-based grid average. Electricity
    not covered by a qualifying instrument takes ``residual_mix`` (a published residual-mix
    factor) or, when none is given, the grid average with a note (GHG Protocol Scope 2
    Guidance 6.11: the residual mix avoids double counting attributes claimed by others).
    """

    instruments: list[Instrument] = Field(default_factory=list)
    residual_mix: str | None = Field(None, min_length=1)
    #: The site's electricity over the reference period (metered), when the instruments are
    #: written as totals for that period: each run's input is then covered in the proportion
    #: instruments / period consumption. Without it instrument amounts are per run.
    period_consumption: Amount | None = None
    period_unit: str = "MWh"


class Exchange(Strict):
    """An input: from a process of the model, from an emission factor, or from a factor chosen
    by matching activity text (``match:``; see docs/model.md and docs/matching.md).

    A negative ``amount`` is an avoided product (a credit by system expansion, reported
    apart; ISO 14067:2018 6.4.6). ``allocation`` gives causal allocation factors of this
    exchange per product of a multi-output process (keys: the process id for the reference
    product, co-product ids for the others).
    """

    process: ProductRef | None = None
    factor: str | None = None
    #: Activity text ("外购电力 广东 2023", "diesel for forklifts") matched to a factor at compile
    #: time; the match's confidence lowers the exchange's data quality (docs/quality.md R5).
    match: str | None = Field(None, min_length=1, max_length=500)
    #: Hints for ``match``: ISO 3166 code or grid region, and the activity year. Defaults: what
    #: the text names, else the process's or product's geography and reference period year.
    geography: str | None = Field(None, min_length=1, max_length=40)
    year: int | None = Field(None, ge=1900, le=2100)
    amount: Amount
    unit: str
    comment: str | None = None
    uncertainty: Uncertainty | None = None
    pedigree: Pedigree | None = None
    primary: bool = False
    allocation: dict[str, Amount] | None = None
    market: MarketElectricity | None = None

    @model_validator(mode="after")
    def _one_link(self) -> Exchange:
        links = [self.process, self.factor, self.match]
        if sum(link is not None for link in links) != 1:
            raise ValueError("an input links to exactly one of 'process', 'factor' or 'match'")
        if self.match is None and (self.geography is not None or self.year is not None):
            raise ValueError("'geography' and 'year' on an input are hints for 'match' only")
        if self.market is not None and self.process is not None:
            raise ValueError(
                "'market' belongs on an electricity input with a grid 'factor' or 'match' "
                "(its location-based factor), not on a link to a process"
            )
        return self


class AvoidedExchange(Exchange):
    """An avoided product or avoided waste treatment (system expansion): a credit of the
    amount times the footprint per unit of the linked product, reported apart."""

    kind: Literal["product", "waste"] = "product"


class Emission(Strict):
    """A direct emission (positive) or a CO2 removal (negative) of one gas."""

    gas: str
    amount: Amount
    unit: str = "kg"
    origin: Origin = "fossil"
    aircraft: bool = False
    comment: str | None = None
    uncertainty: Uncertainty | None = None
    pedigree: Pedigree | None = None
    primary: bool = True
    allocation: dict[str, Amount] | None = None


class CoProduct(Strict):
    """A further product of a multi-output process, with its allocation properties."""

    id: Identifier
    name: Name | None = None
    amount: Amount
    unit: str
    mass_kg: Amount | None = None
    energy_mj: Amount | None = None
    price: Amount | None = None
    share: Amount | None = None  # 0..1, checked when the model is compiled
    #: What this co-product replaces when the process is solved by substitution (system
    #: expansion, ISO 14067:2018 6.4.6.1): amount per run of the process.
    substitutes: Exchange | None = None

    _name = field_validator("name", mode="before")(_coerce_name)


class ReferenceProduct(Strict):
    name: Name | None = None
    amount: Amount = 1.0
    unit: str
    mass_kg: Amount | None = None
    energy_mj: Amount | None = None
    price: Amount | None = None
    share: Amount | None = None  # 0..1, checked when the model is compiled

    _name = field_validator("name", mode="before")(_coerce_name)


class Process(Strict):
    id: Identifier
    name: Name
    life_cycle_stage: Annotated[str, Field(min_length=1, pattern=r"^[a-z][a-z0-9_]*$")]
    reference_product: ReferenceProduct
    co_products: list[CoProduct] = Field(default_factory=list)
    allocation: ProcessAllocation | None = None
    inputs: list[Exchange] = Field(default_factory=list)
    emissions: list[Emission] = Field(default_factory=list)
    #: Avoided products and avoided waste treatments (credits, reported apart). None, not [],
    #: keeps the content hash of models written before the field stable.
    avoided: list[AvoidedExchange] | None = None
    geography: str | None = None
    comment: str | None = None

    _name = field_validator("name", mode="before")(_coerce_name)

    @model_validator(mode="after")
    def _allocation_given(self) -> Process:
        if self.co_products and self.allocation is None:
            raise ValueError(
                "a process with co_products needs 'allocation': mass, energy, economic, shares, "
                "substitution or none (ISO 14067:2018 6.4.6)"
            )
        return self


class FactorGas(Strict):
    gas: str
    amount: float = Field(allow_inf_nan=False)
    origin: Origin = "fossil"
    aircraft: bool = False


class InlineFactor(Strict):
    """An emission factor written in the model itself (before the factor database exists)."""

    id: str
    name: Name
    unit: str
    gases: list[FactorGas] = Field(min_length=1)
    source: str = Field(min_length=1)
    illustrative: bool = False
    version: str = "1"
    boundary: str | None = None
    geography: str | None = None
    year: int | None = None
    pedigree: Pedigree | None = None
    #: GWP set behind ``CO2e`` amounts (``AR4``, ``AR5``, ``AR6``); a result in another set
    #: lists the factor in ``gwp_set_mismatches`` (docs/factors.md, "GWP sets").
    gwp_set: str | None = Field(None, min_length=1, max_length=16)

    _name = field_validator("name", mode="before")(_coerce_name)


class EndOfLifeLink(Strict):
    """What one term of a recycling formula stands for: a process of the model or an emission
    factor. Material terms are amounts in kg of material, substituted energy in MJ; each is
    converted to the unit of the linked product or factor."""

    process: ProductRef | None = None
    factor: str | None = None

    @model_validator(mode="after")
    def _one_link(self) -> EndOfLifeLink:
        if (self.process is None) == (self.factor is None):
            raise ValueError("give exactly one of 'process' or 'factor'")
        return self


class Material(Strict):
    """Recycled content and end of life of one material, by the Circular Footprint Formula
    (Commission Recommendation (EU) 2021/2279 Annex I 4.4.8), cut-off or avoided burden.

    Defines two processes the model links to like any other: ``ID`` (1 kg of the material as
    supplied, stage ``life_cycle_stage``) and ``ID#end_of_life`` (1 kg of it at end of life,
    stage ``end_of_life``). Parameters are numbers or formulas; docs/model.md gives the
    formula term by term.
    """

    id: Identifier
    name: Name
    method: Literal["cff", "cut_off", "avoided_burden"] = "cff"
    life_cycle_stage: Annotated[str, Field(min_length=1, pattern=r"^[a-z][a-z0-9_]*$")] = (
        "raw_materials"
    )
    A: Amount | None = None
    B: Amount = 0.0
    R1: Amount = 0.0
    R2: Amount = 0.0
    R3: Amount = 0.0
    Qsin_Qp: Amount = 1.0
    Qsout_Qp: Amount = 1.0
    LHV_mj_per_kg: Amount = 0.0
    X_er_heat: Amount = 0.0
    X_er_elec: Amount = 0.0
    E_v: EndOfLifeLink
    E_v_star: EndOfLifeLink | None = None
    E_recycled: EndOfLifeLink | None = None
    E_recycling_eol: EndOfLifeLink | None = None
    E_er: EndOfLifeLink | None = None
    E_se_heat: EndOfLifeLink | None = None
    E_se_elec: EndOfLifeLink | None = None
    E_d: EndOfLifeLink | None = None
    #: Citation of the A value (e.g. "PEF Annex C, row 'Aluminium'") and of R1, R2, R3, Q.
    A_source: str | None = None
    parameters_source: str | None = None

    _name = field_validator("name", mode="before")(_coerce_name)

    @model_validator(mode="after")
    def _a_for_cff(self) -> Material:
        if self.method == "cff" and self.A is None:
            raise ValueError(
                "the Circular Footprint Formula needs 'A' (0.2 to 0.8 by the PEF Annex C list; "
                "see data/cff_parameters.csv) and 'A_source' naming where it comes from"
            )
        if self.method == "cff" and not self.A_source:
            raise ValueError("give 'A_source': where the A value comes from (PEF Annex C row)")
        return self


class AnalysisGroup(Strict):
    """A named group of processes whose results include their upstream chain up to the next
    group (openLCA analysis groups; docs/model.md "Stage results")."""

    name: str = Field(min_length=1, max_length=200)
    processes: list[ProductRef] = Field(min_length=1)


class Model(Strict):
    """A whole product model file."""

    schema_version: Literal[1] = 1
    product: Product
    parameters: dict[str, Amount] = Field(default_factory=dict)
    processes: list[Process] = Field(min_length=1)
    factors: list[InlineFactor] = Field(default_factory=list)
    factor_files: list[str] = Field(default_factory=list)
    #: Flows/processes excluded under the cut-off rule (None, not [], keeps old hashes stable).
    exclusions: list[Exclusion] | None = None
    #: Named parameter sets: each overrides some ``parameters`` (``tanzuji calc --scenario``).
    scenarios: dict[str, dict[str, Amount]] | None = None
    #: Recycled content and end of life per material (CFF, cut-off, avoided burden).
    materials: list[Material] | None = None
    #: Named groups of processes for upstream-of-group results (openLCA analysis groups).
    analysis_groups: list[AnalysisGroup] | None = None
