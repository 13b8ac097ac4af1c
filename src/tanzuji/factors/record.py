"""The emission-factor record: what the database stores and importers produce.

One :class:`FactorRecord` is one *version* of a factor. Versions are immutable: an edit makes a
new version of the same ``id``. Importers (``factors/importers/*``) return records; the store
(``store/``) persists them; :meth:`FactorRecord.to_factor_data` turns a record into the
:class:`~tanzuji.factors.base.FactorData` the engine consumes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from typing import Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_serializer,
    model_validator,
)

from tanzuji import gases, units
from tanzuji.errors import TanzujiError
from tanzuji.factors.base import FactorData, FactorFlow

Boundary = Literal["cradle_to_gate", "gate_to_gate", "cradle_to_grave", "combustion", "unknown"]
Status = Literal["draft", "under_review", "published", "deprecated"]
Origin = Literal["fossil", "biogenic", "land_use_change", "land_management"]
HeatingValue = Literal["HHV", "LHV"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class GasAmount(_Strict):
    """kg of one gas per reference unit (``CO2e`` when only the CO2-equivalent is known).

    A source that publishes CO2e *per gas* (UK DESNZ: "kg CO2e of CH4 per unit") gives
    ``kg_co2e`` instead of ``amount_kg``, in the record's ``gwp_set``, and ``gwp100`` when the
    publisher applied another GWP100 than Tanzuji's table value of that set for the gas and
    origin; the record fills ``amount_kg = kg_co2e / GWP100`` (:func:`gases.mass_from_co2e`),
    so results are recomputed in any GWP set (docs/factors.md, "GWP sets").
    """

    gas: str
    origin: Origin = "fossil"
    amount_kg: float | None = Field(None, allow_inf_nan=False)
    aircraft: bool = False
    kg_co2e: float | None = Field(
        None, allow_inf_nan=False, description="kg CO2e of this gas as published (gwp_set)"
    )
    gwp100: float | None = Field(
        None, gt=0, allow_inf_nan=False, description="GWP100 the publisher applied to kg_co2e"
    )

    @field_validator("gas")
    @classmethod
    def _known_gas(cls, value: str) -> str:
        return gases.canonical_gas(value)

    @model_validator(mode="after")
    def _one_amount(self) -> GasAmount:
        if self.amount_kg is None and self.kg_co2e is None:
            raise ValueError(f"gas {self.gas}: give amount_kg (kg of gas) or kg_co2e")
        if self.gwp100 is not None and self.kg_co2e is None:
            raise ValueError(f"gas {self.gas}: gwp100 belongs to a kg_co2e amount")
        if self.kg_co2e is not None and self.gas == gases.CO2E:
            raise ValueError("a CO2e total goes in the record's kg_co2e, not in gases")
        return self

    @model_serializer(mode="wrap")
    def _omit_absent(self, handler):
        # Records without per-gas CO2e keep their stored JSON and content hash unchanged.
        data = handler(self)
        for key in ("kg_co2e", "gwp100"):
            if data.get(key) is None:
                data.pop(key, None)
        return data


class Source(_Strict):
    """Where a value comes from (every number has a source)."""

    publisher: str = Field(min_length=1)
    document: str = Field(min_length=1)
    table: str | None = None
    url: str | None = None
    doi: str | None = None
    accessed: dt.date | None = None


class PedigreeScores(_Strict):
    """Pedigree matrix scores 1 (best) .. 5 (worst) (Weidema & Wesnaes 1996; ecoinvent v3)."""

    reliability: int = Field(ge=1, le=5)
    completeness: int = Field(ge=1, le=5)
    temporal: int = Field(ge=1, le=5)
    geographical: int = Field(ge=1, le=5)
    technological: int = Field(ge=1, le=5)

    def as_tuple(self) -> tuple[int, int, int, int, int]:
        return (
            self.reliability,
            self.completeness,
            self.temporal,
            self.geographical,
            self.technological,
        )


class UncertaintySpec(_Strict):
    distribution: Literal["lognormal", "normal", "triangular", "uniform", "none"] = "none"
    gsd: float | None = Field(None, gt=1)
    sd: float | None = Field(None, gt=0)
    minimum: float | None = None
    maximum: float | None = None
    mode: float | None = None


def _fill_mass(gas: GasAmount, gwp_set: str | None) -> None:
    """Fill ``amount_kg`` of a per-gas CO2e amount; check it when both are given."""
    if gas.kg_co2e is None:
        return
    try:
        mass = gases.mass_from_co2e(gas.gas, gas.origin, gas.kg_co2e, gwp_set, gas.gwp100)
    except TanzujiError as exc:  # reported as a validation error of the record
        raise ValueError(f"gas {gas.gas}: {exc.message}") from None
    if gas.amount_kg is None:
        gas.amount_kg = mass
    elif not math.isclose(gas.amount_kg, mass, rel_tol=1e-9, abs_tol=1e-15):
        raise ValueError(
            f"gas {gas.gas}: amount_kg {gas.amount_kg!r} disagrees with kg_co2e "
            f"{gas.kg_co2e!r} / GWP100 = {mass!r}; give one of them"
        )


class FactorRecord(_Strict):
    """One version of an emission factor."""

    id: str = Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_.:\-/]+$")
    version: int = Field(1, ge=1)
    name_en: str = ""
    name_zh: str = ""
    activity: str = ""
    unit: str
    heating_value: HeatingValue | None = Field(
        None,
        description="heating-value basis of an energy unit of fuel: HHV (= GCV, gross) or "
        "LHV (= NCV, net); None for units that are not an energy amount of fuel",
    )
    kg_co2e: float | None = Field(
        None, description="kg CO2e per unit as published (when the source gives a CO2e total)"
    )
    gases: list[GasAmount] = Field(default_factory=list)
    gwp_set: str | None = Field(None, description="GWP set behind kg_co2e / CO2e gas amounts")
    boundary: Boundary = "unknown"
    geography: str = Field("GLO", description="ISO 3166-1/-2 code, grid region id, or GLO")
    year: int | None = Field(None, ge=1900, le=2100)
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None
    source: Source
    licence: str = Field(min_length=1)
    pedigree: PedigreeScores | None = None
    uncertainty: UncertaintySpec | None = None
    classification: dict[str, str] = Field(
        default_factory=dict, description="codes by system: CPC, HS, ISIC, NACE"
    )
    status: Status = "draft"
    reviewer: str | None = None
    created_at: dt.datetime | None = None
    reviewed_at: dt.datetime | None = None
    primary_data: bool = False
    comment: str = ""

    @field_validator("unit")
    @classmethod
    def _unit_parses(cls, value: str) -> str:
        units.parse_unit(value)
        return value

    @field_validator("heating_value", mode="before")
    @classmethod
    def _basis_word(cls, value: object) -> object:
        return units.heating_value_basis(value) if isinstance(value, str) else value

    @model_validator(mode="before")
    @classmethod
    def _basis_in_unit(cls, data: object) -> object:
        """``unit: "GJ (NCV)"`` becomes ``unit: "GJ"``, ``heating_value: "LHV"``."""
        if isinstance(data, dict) and isinstance(data.get("unit"), str):
            unit, basis = units.split_basis(data["unit"])
            if basis:
                given = data.get("heating_value")
                if given and units.heating_value_basis(given) != basis:
                    raise ValueError(
                        f"unit {data['unit']!r} names the {basis} basis but heating_value is "
                        f"{given!r}"
                    )
                data = {**data, "unit": unit, "heating_value": basis}
        return data

    @model_validator(mode="after")
    def _has_amounts(self) -> FactorRecord:
        if not self.gases and self.kg_co2e is None:
            raise ValueError("a factor needs per-gas amounts ('gases') or a 'kg_co2e' total")
        if not (self.name_en or self.name_zh):
            raise ValueError("a factor needs a name in English (name_en) or Chinese (name_zh)")
        for gas in self.gases:
            _fill_mass(gas, self.gwp_set)
        return self

    def flows(self) -> tuple[FactorFlow, ...]:
        """Gas amounts for the engine (kg of gas); a CO2e-only factor becomes one ``CO2e``
        flow, characterized by 1 (its GWP set travels as ``FactorData.gwp_set_of_co2e``)."""
        if self.gases:
            return tuple(
                FactorFlow(g.gas, g.origin, float(g.amount_kg or 0.0), g.aircraft)
                for g in self.gases
            )
        return (FactorFlow(gases.CO2E, "fossil", float(self.kg_co2e or 0.0)),)

    def content_hash(self) -> str:
        """SHA-256 of the record's canonical JSON (status and review fields excluded)."""
        # fields added later are left out while unset, so that stored hashes stay valid
        unset_new = {"heating_value"} if self.heating_value is None else set()
        data = self.model_dump(
            mode="json",
            exclude={"status", "reviewer", "created_at", "reviewed_at", *unset_new},
        )
        text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(text.encode()).hexdigest()

    def to_factor_data(self, release: str | None = None) -> FactorData:
        """The engine's view of this record."""
        citation = "; ".join(
            p
            for p in (
                self.source.publisher,
                self.source.document,
                self.source.table,
                self.source.url or self.source.doi,
            )
            if p
        )
        return FactorData(
            id=self.id,
            version=str(self.version),
            # "GJ (LHV)": unit conversion refuses an amount on the other basis
            unit=units.with_basis(self.unit, self.heating_value),
            flows=self.flows(),
            name_en=self.name_en,
            name_zh=self.name_zh,
            source=citation,
            release=release,
            pedigree=self.pedigree.as_tuple() if self.pedigree else None,
            gwp_set_of_co2e=self.gwp_set,
            status=self.status,
        )
