"""The product category rule (PCR) file format (pydantic v2). Documented in ``docs/pcr.md``.

A PCR says how the footprint of one product category must be computed: the functional or
declared unit, the life-cycle stages (mapped onto the model's ``life_cycle_stage`` values),
the boundary, the inputs a model must contain, the cut-off, allocation and data-quality rules,
the GWP set and what must be reported apart. Every number carries its status: ``standard``
(stated in the cited standard) or ``parameter`` (not public or not verified; the file says
why, and the value may be null or overridden at check time).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from tanzuji import gases, units
from tanzuji.model.rules import AllocationChoice
from tanzuji.model.schema import LIFE_CYCLE_STAGES, Name

Severity = Literal["error", "warning", "info"]
ModelStage = Literal["raw_materials", "production", "distribution", "use", "end_of_life"]
Boundary = Literal["cradle-to-gate", "cradle-to-gate-with-options", "cradle-to-grave"]
Slug = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[a-z0-9][a-z0-9_.\-]*$")]

#: Dimension names a PCR may use for its unit, with a unit of that dimension (units.py).
DIMENSIONS: dict[str, str] = {
    "energy": "kWh",
    "mass": "kg",
    "count": "piece",
    "area": "m**2",
    "volume": "m**3",
    "length": "m",
    "power": "W",
}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Citation(Strict):
    """A published standard or PCR the file encodes.

    ``verified`` is ``S`` when the cited content was read in a public source and ``K`` when
    it is the standard's content as commonly known, not checked against the licensed text
    (the convention of /work/shared/reference/standards.md).
    """

    title: str = Field(min_length=1)
    publisher: str | None = None
    year: int | None = None
    clause: str | None = None
    url: str | None = None
    verified: Literal["S", "K"] = "K"
    note: str | None = None


class Category(Strict):
    """The product category, with UN CPC (v2.1) and HS (2022) codes."""

    name: Name
    cpc: list[str] = Field(default_factory=list)
    hs: list[str] = Field(default_factory=list)
    note: str | None = None


class PcrUnit(Strict):
    """The functional or declared unit the PCR prescribes (ISO 14067:2018 6.3.2)."""

    kind: Literal["functional", "declared"]
    amount: float = Field(1.0, gt=0)
    unit: str
    dimension: Literal["energy", "mass", "count", "area", "volume", "length", "power"]
    description: Name

    @model_validator(mode="after")
    def _unit_has_dimension(self) -> PcrUnit:
        reference = DIMENSIONS[self.dimension]
        if not units.convertible(self.unit, reference):
            raise ValueError(
                f"unit {self.unit!r} is not of dimension {self.dimension!r} "
                f"(a unit convertible to {reference!r} was expected)"
            )
        return self


class PcrStage(Strict):
    """A life-cycle stage as the standard names it, mapped to model stage values."""

    id: Slug
    name: Name
    model_stages: list[ModelStage] = Field(min_length=1)
    mandatory: bool = True
    note: str | None = None


class ExcludedStage(Strict):
    """A model stage that must not appear (e.g. use for batteries under 2023/1542 Art. 7)."""

    model_stage: ModelStage
    reason: Name


class InputRule(Strict):
    """An input a model must (or may) contain, recognised by factor-id pattern or keyword.

    An exchange matches when its factor id matches one of ``factor`` (shell-style patterns,
    case-insensitive) or when one of ``keywords`` occurs (case-insensitive) in its factor id,
    linked process id, comment, or the inline factor's name. ``stages`` restricts the
    search to processes of those model stages.
    """

    id: Slug
    name: Name
    unit: str
    factor: list[str] = Field(default_factory=list)
    keywords: list[str] = Field(default_factory=list)
    stages: list[ModelStage] = Field(default_factory=list)
    note: str | None = None

    @field_validator("unit")
    @classmethod
    def _unit_parses(cls, value: str) -> str:
        units.parse_unit(value)
        return value

    @model_validator(mode="after")
    def _has_matcher(self) -> InputRule:
        if not (self.factor or self.keywords):
            raise ValueError(
                "give 'factor' patterns or 'keywords' (or both) to recognise the input"
            )
        return self


class Inputs(Strict):
    required: list[InputRule] = Field(default_factory=list)
    optional: list[InputRule] = Field(default_factory=list)


class Threshold(Strict):
    """A number of a rule: from the standard, or a parameter (then say why in ``note``)."""

    value: float | None = Field(None, ge=0)
    status: Literal["standard", "parameter"]
    source: str = Field(min_length=1)
    note: str | None = None

    @model_validator(mode="after")
    def _standard_has_value(self) -> Threshold:
        if self.status == "standard" and self.value is None:
            raise ValueError("a threshold with status 'standard' needs its value")
        if self.status == "parameter" and not self.note:
            raise ValueError("a 'parameter' threshold needs a note saying why it is not fixed")
        return self


class CutoffRule(Strict):
    """Cut-off limits as fractions of the footprint (ISO 14067:2018 6.3.4.3)."""

    per_flow: Threshold
    total: Threshold
    basis: str = Field(min_length=1)


AllocationStep = Literal["subdivision", "system_expansion", "physical", "economic"]


class AllocationRule(Strict):
    """The allocation hierarchy (ISO 14067:2018 6.4.6; ISO 14044 4.3.4.2) and allowed methods.

    ``calculation`` makes one method apply to every multi-output process of a calculation under
    this PCR (``physical``, ``economic``, ``causal``, ``none``, ``substitution``; ``default``
    or absent: each process's own rule, checked against ``allowed``).
    """

    hierarchy: list[AllocationStep] = Field(min_length=1)
    allowed: list[Literal["mass", "energy", "economic", "shares", "substitution", "none"]] = Field(
        min_length=1
    )
    calculation: AllocationChoice | None = None
    end_of_life: str | None = None
    source: str = Field(min_length=1)


class CreditsRule(Strict):
    """Whether credits count in the declared value (ISO 14067:2018 6.4.6): ``substitution``
    for avoided products, avoided waste and substituted co-products, ``recycling`` for the
    credit terms of end-of-life formulas (CFF E*v, ESE). Both are always reported apart."""

    substitution: Literal["include", "separate"]
    recycling: Literal["include", "separate"]
    source: str = Field(min_length=1)


class EndOfLifeRule(Strict):
    """The end-of-life and recycled-content method every material must use (``materials:``),
    and the severity when a model with an end-of-life stage models no material."""

    method: Literal["cff", "cut_off", "avoided_burden"]
    missing_severity: Literal["error", "warning"] = "warning"
    source: str = Field(min_length=1)
    verified: Literal["S", "K"] = "K"
    note: str | None = None


class ElectricityRule(Strict):
    """Which electricity result is the declared one (both are reported; ISO 14067:2018
    6.4.9.4, GHG Protocol Scope 2 Guidance), and whether a residual mix must be given."""

    reported: Literal["market", "location"]
    residual_mix_required: bool = False
    source: str = Field(min_length=1)
    verified: Literal["S", "K"] = "K"
    note: str | None = None


class DataQualityRule(Strict):
    """Minimum data quality: a DQR ceiling and stages that need primary (site) data."""

    dqr_max: Threshold
    primary_data_stages: list[ModelStage] = Field(default_factory=list)
    primary_severity: Literal["error", "warning"] = "error"
    source: str = Field(min_length=1)


class GwpSetConsistency(Strict):
    """Whether factors known only as CO2e of another GWP set may enter the result.

    Per-gas factors are recomputed in the result's set; a CO2e total is not, so mixing sets
    makes the result a sum of different metrics. ``forbid``: each such factor is an error
    finding (certification blocked until the factor is replaced by one with a gas breakdown
    or of the PCR's set); ``flag``: a warning. Without this rule the PCR check is silent (the
    result still lists the factors in ``gwp_set_mismatches``).
    """

    other_sets: Literal["forbid", "flag"] = "forbid"
    source: str = Field(min_length=1)


class RemovalsRule(Strict):
    """Whether the label value includes biogenic CO2 removals (uptake), and the clause that says
    so. ISO 14067:2018 6.4.9.2 includes them (documented apart, 7.2); PAS 2050:2011 does not
    count carbon stored in food and feed. Both values are on the certificate either way
    (:mod:`tanzuji.certify.removals`)."""

    label_value: Literal["include", "exclude"]
    clause: str = Field(min_length=1, description="the standard and clause the rule follows")
    verified: Literal["S", "K"] = "K"
    note: str | None = None

    def statement(self) -> str:
        """One line for the certificate: what the label counts, and why."""
        what = "includes" if self.label_value == "include" else "excludes"
        return f"the label value {what} biogenic CO2 removals: {self.clause}"


class Reporting(Strict):
    """What the result must show apart (ISO 14067:2018 7.2, 7.3)."""

    per_stage: bool = True
    biogenic_separately: bool = True
    biogenic_carbon_content: bool = False
    aircraft_separately: bool = True
    dluc_separately: bool = True
    source: str = Field(min_length=1)


class Pcr(Strict):
    """A whole PCR file."""

    schema_version: Literal[1] = 1
    id: Slug
    version: Annotated[str, Field(pattern=r"^\d+(\.\d+)*$")]
    name: Name
    category: Category
    standard: list[Citation] = Field(min_length=1)
    unit: PcrUnit
    boundary: Boundary
    stages: list[PcrStage] = Field(min_length=1)
    excluded_stages: list[ExcludedStage] = Field(default_factory=list)
    inputs: Inputs = Field(default_factory=Inputs)
    cutoff: CutoffRule
    allocation: AllocationRule
    credits: CreditsRule | None = None
    end_of_life: EndOfLifeRule | None = None
    electricity: ElectricityRule | None = None
    gwp_sets: list[str] = Field(min_length=1)
    gwp_note: str | None = None
    gwp_set_consistency: GwpSetConsistency | None = None
    #: Whether the label value includes biogenic removals; every shipped PCR states it.
    removals: RemovalsRule | None = None
    data_quality: DataQualityRule
    reporting: Reporting
    notes: list[str] = Field(default_factory=list)

    @field_validator("gwp_sets")
    @classmethod
    def _known_sets(cls, value: list[str]) -> list[str]:
        return [gases.check_gwp_set(v) for v in value]

    @model_validator(mode="after")
    def _stages_consistent(self) -> Pcr:
        mapped = [s for stage in self.stages for s in stage.model_stages]
        if len(mapped) != len(set(mapped)):
            raise ValueError(f"a model stage is mapped by two PCR stages: {mapped}")
        excluded = {e.model_stage for e in self.excluded_stages}
        both = excluded & set(mapped)
        if both:
            raise ValueError(f"model stage(s) {sorted(both)} are both mapped and excluded")
        ids = [s.id for s in self.stages]
        if len(ids) != len(set(ids)):
            raise ValueError(f"stage ids repeat: {ids}")
        return self

    @property
    def ref(self) -> str:
        """``id@version``, the name a model and a certificate record."""
        return f"{self.id}@{self.version}"

    def stage_of(self, model_stage: str) -> PcrStage | None:
        """The PCR stage a model stage belongs to, if any."""
        for stage in self.stages:
            if model_stage in stage.model_stages:
                return stage
        return None


__all__ = [
    "DIMENSIONS",
    "LIFE_CYCLE_STAGES",
    "Citation",
    "CreditsRule",
    "CutoffRule",
    "ElectricityRule",
    "EndOfLifeRule",
    "GwpSetConsistency",
    "Pcr",
    "PcrStage",
    "RemovalsRule",
    "Severity",
    "Threshold",
]
