"""A certified result as a PACT ProductFootprint, and a received footprint as a factor (pure).

Expected values are the widget's hand arithmetic (tests/data/pact_widget.yaml header); the
documents are validated against the OpenAPI document in ../shared.
"""

from __future__ import annotations

import datetime as dt

import pytest

from pact_helpers import COMPANY, PRODUCT, WIDGET, WIDGET_PACT
from shared_data import PACT, SKIP_WITHOUT_SHARED
from tanzuji.errors import PactMappingError
from tanzuji.exchange import mapping
from tanzuji.exchange.model import decimal_value, dump
from tanzuji.exchange.openapi import OpenApiDocument
from tanzuji.factors.base import MappingSource
from tanzuji.footprint import Footprint, calculate
from tanzuji.model.files import load_model_text
from tanzuji.pcr.registry import get_pcr

CERTIFIED = mapping.Certified(
    certificate_id="GBA-CFL-2026-000001",
    certificate_version=1,
    certificate_url="https://tanzuji.example/c/GBA-CFL-2026-000001",
    certificate_sha256="0" * 64,
    issued_at=dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC),
    valid_from=dt.date(2026, 3, 2),
    valid_until=dt.date(2029, 3, 2),
    company_name="示例电子 Demo Electronics",
    verifier_name="示例认证机构 Demo Certification Body",
    factor_release="newest",
    label="disclosure",
)
DISCLOSURE = mapping.Disclosure(
    company_ids=(COMPANY,), product_ids=(PRODUCT,), fossil_carbon_content_kg=0.05
)
PF_ID = "5f0c8d1e-2a4b-4c6d-8e9f-0a1b2c3d4e5f"


def _widget(text: str | None = None):
    loaded = load_model_text(text or WIDGET.read_text(encoding="utf-8"), "pact_widget.yaml")
    return loaded, calculate(loaded, gwp_set="AR6")


def _mapped(text: str | None = None, certified: mapping.Certified = CERTIFIED) -> mapping.Mapped:
    loaded, footprint = _widget(text)
    return mapping.product_footprint(
        footprint,
        loaded.model.product,
        get_pcr("electronics-itu-l1410"),
        certified,
        DISCLOSURE,
        footprint_id=PF_ID,
        created=dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC),
        extension_schema_url="https://pact.example" + mapping.EXTENSION_SCHEMA_PATH,
        exclusions=loaded.model.exclusions or (),
        preceding=["3a6c14a7-4deb-498a-b5ea-16ce2535b576"],
    )


def test_the_widget_maps_field_by_field():
    mapped = _mapped()
    document = dump(mapped.footprint)
    pcf = document["pcf"]
    assert {k: pcf[k] for k in WIDGET_PACT} == WIDGET_PACT  # hand arithmetic
    assert pcf["landUseChangeGhgEmissions"] == "0"
    assert pcf["landManagementBiogenicCO2Removals"] == "0"
    assert (pcf["declaredUnitOfMeasurement"], pcf["declaredUnitAmount"]) == ("piece", "1")
    assert pcf["productMassPerDeclaredUnit"] == "2.1"  # product.mass_per_unit_kg
    assert pcf["geographyCountrySubdivision"] == "CN-GD"
    assert pcf["fossilCarbonContent"] == "0.05"  # the owner's disclosure
    assert pcf["biogenicCarbonContent"] == "0.2"  # product.biogenic_carbon_content_kg
    assert pcf["exemptedEmissionsPercent"] == "0.4"  # exclusion glue: 0.004 of the total
    assert pcf["exemptedEmissionsDescription"].startswith("glue (0.4 %)")
    assert (pcf["referencePeriodStart"], pcf["referencePeriodEnd"]) == (
        "2025-01-01T00:00:00Z",
        "2025-12-31T23:59:59Z",
    )
    assert pcf["ipccCharacterizationFactors"] == ["AR6"]
    assert pcf["crossSectoralStandards"] == ["ISO14067"]
    assert pcf["productOrSectorSpecificRules"][0]["ruleNames"][0].startswith(
        "electronics-itu-l1410@"
    )
    assert pcf["verification"] == {
        "coverage": "product level",
        "providerName": "示例认证机构 Demo Certification Body",
        "completedAt": "2026-03-02T09:00:00Z",
        "standardName": "ISO 14067:2018; PCR " + get_pcr("electronics-itu-l1410").ref,
        "comments": "certificate GBA-CFL-2026-000001 version 1: "
        "https://tanzuji.example/c/GBA-CFL-2026-000001",
    }
    # validity: the certificate's, cut at the PACT window end (reference end + 3 years)
    assert (document["validityPeriodStart"], document["validityPeriodEnd"]) == (
        "2026-03-02T00:00:00Z",
        "2028-12-31T23:59:59Z",
    )
    assert document["precedingPfIds"] == ["3a6c14a7-4deb-498a-b5ea-16ce2535b576"]
    assert document["productIds"] == [PRODUCT] and document["companyIds"] == [COMPANY]
    extension = mapping.tanzuji_certificate(mapped.footprint)
    _, footprint = _widget()
    assert extension["certificateId"] == "GBA-CFL-2026-000001"
    assert extension["footprintSha256"] == mapping.footprint_sha256(footprint)
    assert extension["modelSha256"] == footprint.inputs.model_sha256
    assert mapped.warnings == []


@SKIP_WITHOUT_SHARED
def test_the_mapped_footprint_conforms_to_the_openapi_document():
    openapi = OpenApiDocument.load(PACT / "v3" / "openapi-3.0.3.json")
    document = dump(_mapped().footprint)
    assert openapi.errors(openapi.schema("ProductFootprint"), document) == []


def test_a_certificate_beyond_the_pact_window_gives_no_validity_and_says_so():
    late = mapping.Certified(
        **{
            **CERTIFIED.__dict__,
            "valid_from": dt.date(2029, 1, 5),
            "valid_until": dt.date(2032, 1, 5),
        }
    )
    mapped = _mapped(certified=late)
    document = dump(mapped.footprint)
    assert "validityPeriodStart" not in document and "validityPeriodEnd" not in document
    assert "does not overlap PACT's window" in mapped.warnings[0]


@pytest.mark.parametrize(
    "unit,expected",
    [
        ({"amount": 1000, "unit": "g"}, ("kilogram", 1.0)),
        ({"amount": 2, "unit": "MWh"}, ("kilowatt hour", 2000.0)),
        ({"amount": 1, "unit": "kilowatt hour"}, ("kilowatt hour", 1.0)),
        ({"amount": 3, "unit": "tkm"}, ("ton kilometer", 3.0)),
        ({"amount": 1, "unit": "piece"}, ("piece", 1.0)),
    ],
)
def test_declared_units(unit, expected):
    pact_unit, amount = mapping.declared_unit(unit)
    assert pact_unit == expected[0] and amount == pytest.approx(expected[1], rel=1e-12)


def test_a_unit_pact_does_not_declare_is_refused():
    with pytest.raises(PactMappingError, match="no PACT declared unit"):
        mapping.declared_unit({"amount": 1, "unit": "km"})


def test_mass_is_required_for_pieces_and_zero_for_energy():
    text = WIDGET.read_text(encoding="utf-8").replace("  mass_per_unit_kg: 2.1\n", "")
    with pytest.raises(PactMappingError, match="mass_per_unit_kg"):
        _mapped(text)
    # PACT: "if the product mass is not relevant (energy ...) ... populated with 0"
    energy = text.replace(
        "functional_unit: {amount: 1, unit: piece}", "functional_unit: {amount: 1, unit: kWh}"
    )
    pcf = dump(_mapped(energy).footprint)["pcf"]
    assert (pcf["declaredUnitOfMeasurement"], pcf["productMassPerDeclaredUnit"]) == (
        "kilowatt hour",
        "0",
    )


def test_a_credit_that_makes_fossil_emissions_negative_is_refused():
    # a model cannot emit negative fossil CO2, but an avoided-burden credit (a negative input)
    # can leave the fossil line below zero; PACT has no place for credits
    loaded, footprint = _widget()
    credited = footprint.model_copy(
        update={"pact": footprint.pact.model_copy(update={"fossilGhgEmissions": -1.5})}
    )
    with pytest.raises(PactMappingError, match=r"fossilGhgEmissions is -1\.5 .* requires it >= 0"):
        mapping.product_footprint(
            credited,
            loaded.model.product,
            None,
            CERTIFIED,
            DISCLOSURE,
            footprint_id=PF_ID,
            created=dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC),
            extension_schema_url="https://pact.example" + mapping.EXTENSION_SCHEMA_PATH,
        )


def test_a_received_footprint_becomes_a_factor_that_reproduces_both_totals():
    footprint = _mapped().footprint
    record = mapping.factor_record(
        footprint,
        factor_id="pact:host/widget",
        host="https://pact.example",
        accessed=dt.date(2026, 3, 3),
    )
    assert record.id == "pact:host/widget" and record.primary_data
    assert record.unit == "piece" and record.boundary == "cradle_to_gate"
    assert record.source.publisher == "示例电子 Demo Electronics"
    assert record.source.url == f"https://pact.example/3/footprints/{PF_ID}"
    assert "verified by 示例认证机构 Demo Certification Body" in record.source.document
    assert record.source.table == "GBA-CFL-2026-000001"
    # a model using 3 widgets of the factor gives 3 x each PACT total
    model = """
product:
  id: box
  name: {en: Box of widgets}
  functional_unit: {amount: 1, unit: piece}
  reference_flow: {process: pack, amount: 1, unit: piece}
processes:
  - id: pack
    name: {en: Pack}
    life_cycle_stage: production
    reference_product: {amount: 1, unit: piece}
    inputs:
      - {factor: "pact:host/widget", amount: 3, unit: piece}
"""
    loaded = load_model_text(model, "box.yaml")
    source = MappingSource([record.to_factor_data()], "the received factors")
    result: Footprint = calculate(loaded, gwp_set="AR6", factor_source=source)
    assert result.pact.pcfIncludingBiogenicUptake == pytest.approx(
        3 * decimal_value(WIDGET_PACT["pcfIncludingBiogenicUptake"]), rel=1e-9
    )
    assert result.pact.pcfExcludingBiogenicUptake == pytest.approx(
        3 * decimal_value(WIDGET_PACT["pcfExcludingBiogenicUptake"]), rel=1e-9
    )
    assert result.pact.aircraftGhgEmissions == pytest.approx(3 * 0.3, rel=1e-9)
