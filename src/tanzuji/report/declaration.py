"""The carbon-footprint declaration of a battery: Regulation (EU) 2023/1542, Article 7(1).

Article 7(1) lists what the declaration contains: (a) administrative information about the
manufacturer; (b) the battery model; (c) the geographic location of the manufacturing plant;
(d) the carbon footprint in kg CO2e per kWh of the total energy the battery provides over its
expected service life; (e) the carbon footprint per life-cycle stage as Annex II point 4 lists
them — raw material acquisition and pre-processing, main product production, distribution, end
of life and recycling (the use stage is excluded); (f) the identification number of the EU
declaration of conformity; (g) a web link to a public version of the supporting study.
Source: /work/shared/reference/standards.md 4d (Regulation text as summarised there).

:func:`declare` builds it from a footprint (declared unit 1 kWh, stages mapped as below) and the
manufacturer's details (a YAML file, :class:`DeclarationDetails`); :func:`to_json` writes JSON
that validates against the schema shipped in ``schemas/battery-cfp-declaration.schema.json``;
:func:`to_pdf` the printable declaration.

The Commission's delegated act on the calculation method (draft Ares(2024)3131389, PEF-based)
is not applied here: the value is an ISO 14067 footprint, and the declaration says so.
"""

from __future__ import annotations

import datetime as dt
import json
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, HttpUrl

from tanzuji.errors import DeclarationError, TanzujiError
from tanzuji.footprint import Footprint
from tanzuji.report import terms

SCHEMA_FILE = Path(__file__).resolve().parent / "schemas" / "battery-cfp-declaration.schema.json"
REGULATION = "Regulation (EU) 2023/1542, Article 7(1)"
#: Model life-cycle stages -> Annex II point 4 stages (the use stage is excluded).
ANNEX_II_STAGES: dict[str, str] = {
    "raw_materials": "raw_material_acquisition_and_pre_processing",
    "production": "main_product_production",
    "distribution": "distribution",
    "end_of_life": "end_of_life_and_recycling",
}
ANNEX_II_NAMES: dict[str, tuple[str, str]] = {
    "raw_material_acquisition_and_pre_processing": (
        "原材料获取与预处理",
        "Raw material acquisition and pre-processing",
    ),
    "main_product_production": ("主要产品生产", "Main product production"),
    "distribution": ("分销", "Distribution"),
    "end_of_life_and_recycling": ("生命末期与回收", "End of life and recycling"),
}
#: Relative tolerance of "the stages sum to the total" (float summation order only).
SUM_RTOL = 1e-9
METHOD_NOTE = (
    "Carbon footprint per ISO 14067:2018 computed with Tanzuji; the calculation method of the "
    "delegated act under Article 7(1) of Regulation (EU) 2023/1542 is not yet applied."
)
#: The same note in Chinese, printed in the zh (and bilingual) PDF; the JSON keeps the English.
METHOD_NOTE_ZH = (
    "按 ISO 14067:2018 以 Tanzuji 计算的碳足迹；尚未采用欧盟电池法规（(EU) 2023/1542）"
    "第 7(1) 条授权法案规定的计算方法。"
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Manufacturer(_Strict):
    name: str = Field(min_length=1)
    address: str = Field(min_length=1)
    contact: str = Field(min_length=1, description="e-mail or web address")
    registration: str | None = Field(None, description="trade register or EORI number")


class BatteryModel(_Strict):
    name: str = Field(min_length=1)
    identifier: str = Field(min_length=1)
    category: str = Field(pattern="^(ev|industrial|lmt)$", description="ev, industrial or lmt")
    chemistry: str | None = None


class Plant(_Strict):
    name: str = Field(min_length=1)
    address: str = Field(min_length=1)
    country: str = Field(pattern="^[A-Z]{2}$", description="ISO 3166-1 alpha-2")


class DeclarationDetails(_Strict):
    """What the manufacturer supplies beside the footprint (a YAML file)."""

    declaration_id: str = Field(min_length=1, max_length=100)
    date: dt.date = Field(description="date of the declaration (no clock is read)")
    manufacturer: Manufacturer
    battery_model: BatteryModel
    plant: Plant
    eu_declaration_of_conformity_id: str = Field(min_length=1)
    public_study_url: HttpUrl


class CarbonFootprintValues(_Strict):
    total_kg_co2e_per_kwh: float
    by_life_cycle_stage_kg_co2e_per_kwh: dict[str, float]


class Calculation(_Strict):
    gwp_set: str
    model_sha256: str
    factors_sha256: str
    software: str
    method_note: str


class BatteryDeclaration(_Strict):
    """The declaration (Art. 7(1) a–g), as written to JSON."""

    schema_version: int = 1
    regulation: str = REGULATION
    declaration_id: str
    date: dt.date
    manufacturer: Manufacturer
    battery_model: BatteryModel
    manufacturing_plant: Plant
    declared_unit: str = "1 kWh of total energy provided over the expected service life"
    carbon_footprint: CarbonFootprintValues
    eu_declaration_of_conformity_id: str
    public_study_url: str
    calculation: Calculation


def load_details(path: Path) -> DeclarationDetails:
    """Read and validate the manufacturer's declaration details (YAML or JSON) from a file."""
    from tanzuji.model.files import read_input_bytes

    raw = read_input_bytes(Path(path), "declaration details", DeclarationError)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DeclarationError(f"{path} is not UTF-8 text (byte {exc.start})") from None
    return parse_details(text, str(path))


def parse_details(text: str, name: str = "<declaration details>") -> DeclarationDetails:
    """Validate the manufacturer's declaration details given as YAML or JSON text; errors name
    ``name``, the line and the field."""
    from tanzuji.model.files import parse_document, validate_document

    try:
        data, where = parse_document(text, name, expected="declaration details")
    except TanzujiError as exc:
        raise DeclarationError(exc.message) from None
    return validate_document(
        DeclarationDetails, data, where, what="declaration details", error=DeclarationError
    )


def _check_unit(footprint: Footprint) -> None:
    fu = footprint.functional_unit
    if fu.get("unit") != "kWh" or float(fu.get("amount", 0)) != 1.0:
        raise DeclarationError(
            f"Art. 7(1)(d) declares kg CO2e per 1 kWh of total energy over the service life; "
            f"the result is per {fu.get('amount', 1):g} {fu.get('unit')}: model the battery per "
            "1 kWh delivered (examples/lfp_battery_pack.yaml)"
        )


def _stages(footprint: Footprint) -> dict[str, float]:
    values = dict.fromkeys(ANNEX_II_STAGES.values(), 0.0)
    for stage, kg in footprint.by_stage.items():
        if stage not in ANNEX_II_STAGES:
            if kg != 0.0:
                raise DeclarationError(
                    f"stage {stage!r} carries {kg:.4g} kg CO2e/kWh but Annex II point 4 has no "
                    f"such stage (the use stage is excluded); known: {', '.join(ANNEX_II_STAGES)}"
                )
            continue
        values[ANNEX_II_STAGES[stage]] += kg
    total = footprint.total_kg_co2e
    if abs(sum(values.values()) - total) > SUM_RTOL * max(abs(total), 1e-300):
        raise DeclarationError(f"the stages sum to {sum(values.values())!r}, not {total!r}")
    return values


def declare(footprint: Footprint, details: DeclarationDetails) -> BatteryDeclaration:
    """The Art. 7 declaration of a battery footprint (per 1 kWh delivered over its life)."""
    _check_unit(footprint)
    illustrative = [f.id for f in footprint.inputs.factors if f.illustrative]
    if illustrative:
        raise DeclarationError(
            "illustrative (unsourced) factors cannot enter a declaration: "
            + ", ".join(illustrative)
        )
    return BatteryDeclaration(
        declaration_id=details.declaration_id,
        date=details.date,
        manufacturer=details.manufacturer,
        battery_model=details.battery_model,
        manufacturing_plant=details.plant,
        carbon_footprint=CarbonFootprintValues(
            total_kg_co2e_per_kwh=footprint.total_kg_co2e,
            by_life_cycle_stage_kg_co2e_per_kwh=_stages(footprint),
        ),
        eu_declaration_of_conformity_id=details.eu_declaration_of_conformity_id,
        public_study_url=str(details.public_study_url),
        calculation=Calculation(
            gwp_set=footprint.gwp_set,
            model_sha256=footprint.inputs.model_sha256,
            factors_sha256=footprint.inputs.factors_sha256,
            software=f"Tanzuji {footprint.engine.get('tanzuji', '')}".strip(),
            method_note=METHOD_NOTE,
        ),
    )


@cache
def schema() -> dict[str, Any]:
    """The JSON Schema of the declaration shipped with the package."""
    return json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))


def validate_json(document: dict[str, Any]) -> None:
    """Raise :class:`DeclarationError` naming the first place ``document`` breaks the schema."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(schema(), format_checker=jsonschema.FormatChecker())
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        where = "/".join(str(p) for p in first.absolute_path) or "(root)"
        raise DeclarationError(f"declaration does not validate at {where}: {first.message}")


def to_json(declaration: BatteryDeclaration) -> str:
    """The declaration as JSON (sorted keys), validated against the shipped schema."""
    document = json.loads(declaration.model_dump_json())
    validate_json(document)
    return json.dumps(document, ensure_ascii=False, sort_keys=True, indent=2) + "\n"


def to_pdf(declaration: BatteryDeclaration, lang: str = "both") -> bytes:
    """The printable declaration (A4, CJK font embedded)."""
    from tanzuji.report import documents
    from tanzuji.report.study import number

    terms.check_language(lang)
    stages = [
        {"name": terms.pick(*ANNEX_II_NAMES[key], lang), "kg": number(value)}
        for key, value in declaration.carbon_footprint.by_life_cycle_stage_kg_co2e_per_kwh.items()
    ]
    content = {
        "d": declaration,
        "total": number(declaration.carbon_footprint.total_kg_co2e_per_kwh),
        "method_note_zh": METHOD_NOTE_ZH,
        "stages": stages,
    }
    return documents.html_to_pdf(
        documents.render("declaration.html.j2", content, lang, for_pdf=True)
    )
