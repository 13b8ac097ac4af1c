"""PACT v3 data model, filters, credentials and tokens (pure; no database).

The official examples and the OpenAPI document are read from ../shared (their licence forbids
copying them into the project): every example parses, round-trips to the same JSON and
validates against the 3.0.3 document; Tanzuji's model and the document agree on documents
made invalid one property at a time.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from shared_data import PACT, SKIP_WITHOUT_SHARED
from tanzuji.errors import PactAuthError, PactError, PactInvalid, PactMappingError
from tanzuji.exchange import model
from tanzuji.exchange.credentials import SecretBox, hash_secret, verify_secret
from tanzuji.exchange.filters import FootprintQuery, matches, validity_window
from tanzuji.exchange.openapi import OpenApiDocument
from tanzuji.pact_host.tokens import TokenExpired, TokenSigner

EXAMPLES = PACT / "v3" / "examples"
OPENAPI = PACT / "v3" / "openapi-3.0.3.json"
EXAMPLE_FILES = sorted(EXAMPLES.glob("*.json")) if EXAMPLES.is_dir() else []


def _load(path: Path):
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def openapi() -> OpenApiDocument:
    return OpenApiDocument.load(OPENAPI)


@SKIP_WITHOUT_SHARED
def test_the_shared_examples_are_all_here():
    names = {p.name for p in EXAMPLE_FILES}
    assert {f"example-{i}.json" for i in range(1, 5)} <= names
    assert len(names) == 9


@SKIP_WITHOUT_SHARED
@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.name)
def test_every_example_parses_and_round_trips(path: Path, openapi: OpenApiDocument):
    document = _load(path)
    if "pcf" in document:
        footprints, schema = [document], openapi.schema("ProductFootprint")
    elif "type" in document:
        event = model.read_event(document)
        assert model.dump(event) == document
        assert isinstance(event, model.RequestFulfilledEvent)
        footprints, schema = [], openapi.schema("RequestFulfilledEvent")
    elif isinstance(document.get("data"), list):
        footprints = document["data"]
        schema = openapi.response_schema("/3/footprints", "get", 200)
    elif isinstance(document.get("data"), dict):
        footprints = [document["data"]]
        schema = openapi.response_schema("/3/footprints/{id}", "get", 200)
    else:
        assert model.dump(model.ErrorBody.model_validate(document)) == document
        footprints, schema = [], openapi.response_schema("/3/footprints/{id}", "get", 403)
    for footprint in footprints:
        assert model.dump(model.read_footprint(footprint)) == footprint
    assert openapi.errors(schema, document) == []


def _mutations() -> list[tuple[str, object]]:
    """(path, value) changes that each make a valid footprint invalid; None deletes."""
    return [
        ("pcf.pcfExcludingBiogenicUptake", "1.2e3"),
        ("pcf.fossilGhgEmissions", "-0.1"),
        ("pcf.biogenicCO2Uptake", "0.5"),
        ("pcf.declaredUnitAmount", "0"),
        ("pcf.declaredUnitOfMeasurement", "tonne"),
        ("pcf.geographyCountry", "de"),
        ("pcf.ipccCharacterizationFactors", ["AR6", "AR6"]),
        ("pcf.crossSectoralStandards", []),
        ("pcf.fossilCarbonContent", None),
        ("pcf.referencePeriodEnd", "2024-12-31"),
        ("id", "not-a-uuid"),
        ("productIds", []),
        ("productIds", ["gtin:123"]),
        ("companyName", ""),
        ("status", "Withdrawn"),
        ("specVersion", "3.0"),
        ("pcf", None),
    ]


def _mutated(document: dict, path: str, value: object) -> dict:
    changed = copy.deepcopy(document)
    *parents, last = path.split(".")
    node = changed
    for part in parents:
        node = node[part]
    if value is None:
        del node[last]
    else:
        node[last] = value
    return changed


@SKIP_WITHOUT_SHARED
@pytest.mark.parametrize("path,value", _mutations(), ids=lambda v: str(v)[:30])
def test_model_and_openapi_document_refuse_the_same_documents(path, value, openapi):
    valid = _load(EXAMPLES / "example-1.json")
    invalid = _mutated(valid, path, value)
    assert openapi.errors(openapi.schema("ProductFootprint"), invalid) != []
    with pytest.raises(PactInvalid, match="not a PACT v3 ProductFootprint"):
        model.read_footprint(invalid)


@SKIP_WITHOUT_SHARED
def test_two_geographies_are_refused_by_both(openapi):
    valid = _load(EXAMPLES / "example-1.json")
    invalid = _mutated(valid, "pcf.geographyCountry", "US")  # beside geographyCountrySubdivision
    assert openapi.errors(openapi.schema("ProductFootprint"), invalid) != []
    with pytest.raises(PactInvalid, match="at most one geography"):
        model.read_footprint(invalid)


def _published(pf_ids: list[str]) -> dict:
    return {
        "type": model.PUBLISHED,
        "specversion": "1.0",
        "id": "e1",
        "source": "https://supplier.example",
        "time": "2026-03-02T09:00:00Z",
        "data": {"pfIds": pf_ids},
    }


def test_a_published_event_naming_a_urn_is_refused():
    # conformance TC40: pfIds must be UUIDs
    with pytest.raises(PactInvalid, match=r"data\.pfIds\.0.*not a UUID"):
        model.read_event(_published(["urn:gtin:4712345060507"]))
    event = model.read_event(_published(["3a6c14a7-4deb-498a-b5ea-16ce2535b576"]))
    assert isinstance(event, model.PublishedEvent)


def test_events_without_time_or_of_another_type_are_refused():
    missing = _published(["3a6c14a7-4deb-498a-b5ea-16ce2535b576"])
    del missing["time"]
    with pytest.raises(PactInvalid, match="time"):
        model.read_event(missing)
    with pytest.raises(PactInvalid, match="not a PACT v3 event"):
        model.read_event({**missing, "type": "org.wbcsd.pathfinder.ProductFootprint.Published.v1"})
    with pytest.raises(PactInvalid, match="JSON object"):
        model.read_event(["not", "an", "object"])


def test_request_status_is_read_as_text_and_as_a_list():
    # v3.0.3 writes status as a string, the 3.0.4 draft as an array of strings
    base = {**_published([]), "type": model.REQUEST_CREATED}
    for status, expected in (
        ("Active", ("Active",)),
        (["Active", "Deprecated"], ("Active", "Deprecated")),
    ):
        event = model.read_event({**base, "data": {"productId": ["urn:x:1"], "status": status}})
        assert FootprintQuery.of_criteria(event.data).statuses == expected


def test_decimal_text_is_plain_notation_without_float_noise():
    assert model.decimal_text(0.1 + 0.2) == "0.3"
    assert model.decimal_text(-0.0) == "0"
    assert model.decimal_text(1e-20) == "0.00000000000000000001"
    assert model.decimal_text(123456789.123) == "123456789.123"
    assert model.decimal_text(2.0) == "2"
    with pytest.raises(PactMappingError, match="finite"):
        model.decimal_text(float("nan"), "pcf")


# -- filters ---------------------------------------------------------------------------------
def _footprint(**changes) -> model.ProductFootprint:
    pcf = {
        "declaredUnitOfMeasurement": "kilogram",
        "declaredUnitAmount": "1",
        "productMassPerDeclaredUnit": "1",
        "referencePeriodStart": "2024-01-01T00:00:00Z",
        "referencePeriodEnd": "2024-02-29T00:00:00Z",
        "geographyCountry": "DE",
        "pcfExcludingBiogenicUptake": "1",
        "pcfIncludingBiogenicUptake": "1",
        "fossilGhgEmissions": "1",
        "fossilCarbonContent": "0",
        "ipccCharacterizationFactors": ["AR6"],
        "crossSectoralStandards": ["ISO14067"],
        "exemptedEmissionsPercent": "0",
    }
    document = {
        "id": "3a6c14a7-4deb-498a-b5ea-16ce2535b576",
        "specVersion": "3.0.3",
        "created": "2026-03-02T09:00:00Z",
        "status": "Active",
        "companyName": "Acme",
        "companyIds": ["urn:lei:ACME"],
        "productDescription": "steel",
        "productIds": ["urn:gtin:1", "urn:gtin:2"],
        "productClassifications": ["urn:cpc:4621"],
        "productNameCompany": "Steel",
        "pcf": pcf,
    }
    document.update(changes)
    return model.read_footprint(document)


def _at(text: str) -> dt.datetime:
    return model.parse_datetime(text)


def test_validity_falls_back_to_the_reference_period_plus_three_years():
    start, end = validity_window(_footprint())
    # 29 February 2024 + 3 years has no 29th: 28 February 2027
    assert (start, end) == (_at("2024-02-29T00:00:00Z"), _at("2027-02-28T00:00:00Z"))
    given = _footprint(validityPeriodStart="2024-06-01T00:00:00Z")
    assert validity_window(given) == (_at("2024-06-01T00:00:00Z"), end)


def test_filter_semantics_or_within_and_across():
    pf = _footprint(
        validityPeriodStart="2025-01-01T00:00:00Z", validityPeriodEnd="2026-01-01T00:00:00Z"
    )
    cases = [
        (FootprintQuery(product_ids=("URN:GTIN:2", "urn:gtin:9")), True),  # OR, case-insensitive
        (FootprintQuery(product_ids=("urn:gtin:9",)), False),
        (FootprintQuery(product_ids=("urn:gtin:1",), company_ids=("urn:lei:other",)), False),
        (FootprintQuery(geographies=("de",), classifications=("urn:cpc:4621",)), True),
        (FootprintQuery(statuses=("active",)), True),
        (FootprintQuery(statuses=("BogusStatus",)), False),
        (FootprintQuery(valid_on=_at("2025-01-01T00:00:00Z")), True),  # start <= on
        (FootprintQuery(valid_on=_at("2026-01-01T00:00:00Z")), True),  # on <= end
        (FootprintQuery(valid_on=_at("2026-01-01T00:00:01Z")), False),
        (FootprintQuery(valid_after=_at("2025-01-01T00:00:00Z")), False),  # start > after
        (FootprintQuery(valid_after=_at("2024-12-31T00:00:00Z")), True),
        (FootprintQuery(valid_before=_at("2026-01-01T00:00:00Z")), False),  # end < before
        (FootprintQuery(valid_before=_at("2026-01-02T00:00:00Z")), True),
    ]
    assert [matches(pf, q) for q, _ in cases] == [expected for _, expected in cases]


def test_query_parameters_are_read_case_insensitively_and_checked():
    query = FootprintQuery.of_parameters(
        [("productId", "urn:x"), ("productid", "urn:y"), ("validOn", "2025-04-01T00:00:00Z")]
    )
    assert query.product_ids == ("urn:x", "urn:y")
    assert query.valid_on == _at("2025-04-01T00:00:00Z")
    assert FootprintQuery.of_parameters(query.parameters()) == query
    with pytest.raises(PactInvalid, match=r"unknown query parameter '\$filter'"):
        FootprintQuery.of_parameters([("$filter", "created ge '2023-01-15T10:15:30Z'")])
    with pytest.raises(PactInvalid, match=r"validOn.*not an ISO 8601"):
        FootprintQuery.of_parameters([("validOn", "yesterday")])


# -- credentials and tokens ---------------------------------------------------------------------
def test_secrets_are_hashed_and_sealed():
    stored = hash_secret("s3cret")
    assert "s3cret" not in stored and verify_secret("s3cret", stored)
    assert not verify_secret("s3cret!", stored) and not verify_secret("s3cret", "garbage")
    box = SecretBox(SecretBox.new_key())
    sealed = box.seal("partner secret", "https://supplier.example")
    assert box.open(sealed, "https://supplier.example") == "partner secret"
    with pytest.raises(PactError, match="does not open"):
        box.open(sealed, "https://attacker.example")  # bound to the remote's URL
    with pytest.raises(PactError, match="does not open"):
        SecretBox(SecretBox.new_key()).open(sealed, "https://supplier.example")


def test_tokens_are_signed_expire_and_match_the_jwks():
    import base64

    signer = TokenSigner(Ed25519PrivateKey.generate(), lifetime_s=3600)
    token = signer.issue("client-1", "https://host.example", now_s=1_000_000)
    assert signer.check(token, 1_000_000 + 3599).client_id == "client-1"
    with pytest.raises(TokenExpired):
        signer.check(token, 1_000_000 + 3600)
    header, claims, signature = token.split(".")
    forged = base64.urlsafe_b64encode(b'{"sub":"client-2","exp":9999999999}').decode().rstrip("=")
    with pytest.raises(PactAuthError, match="invalid access token"):
        signer.check(f"{header}.{forged}.{signature}", 1_000_000)
    other = TokenSigner(Ed25519PrivateKey.generate(), lifetime_s=3600)
    with pytest.raises(PactAuthError, match="invalid access token"):
        other.check(token, 1_000_000)
    jwk = signer.jwks()["keys"][0]
    public = Ed25519PublicKey.from_public_bytes(
        base64.urlsafe_b64decode(jwk["x"] + "=" * (-len(jwk["x"]) % 4))
    )
    public.verify(  # the JWKS key verifies the token's signature (raises otherwise)
        base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4)),
        f"{header}.{claims}".encode(),
    )
    assert (jwk["kty"], jwk["crv"], jwk["alg"]) == ("OKP", "Ed25519", "EdDSA")
