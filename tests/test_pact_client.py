"""The data recipient side: fetching a supplier's footprints into the factor database.

The supplier's host runs in process (Starlette's TestClient); the buyer fetches through
:class:`~tanzuji.exchange.client.PactClient` over it, validating against the OpenAPI document
in ../shared. Expected numbers: the widget's hand arithmetic (tests/data/pact_widget.yaml)
and, for the updated widget with 2.5 kg of steel:
  fossil = 0.0025 t x 2050 + 12.5 kWh x 0.5 + 0.0298 + 0.3 = 11.7048,
  pcfIncluding = 11.7048 + 0.027 - 0.8 = 10.9318 kg CO2e per widget.
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from pact_helpers import (
    BUYER,
    OWNER,
    PRODUCT,
    WIDGET,
    Clock,
    certified_widget,
    host,
    pact_context,
    publish_widget,
)
from service_helpers import as_user, certify
from shared_data import PACT, SKIP_WITHOUT_SHARED
from tanzuji.errors import NotFound, PactAuthError, PactInvalid
from tanzuji.exchange.model import decimal_value
from tanzuji.exchange.openapi import OpenApiDocument
from tanzuji.pact_host import keys
from tanzuji.services import certification, pact, pact_client
from tanzuji.services.calculation import ModelInput

pytestmark = SKIP_WITHOUT_SHARED

FACTOR = f"pact:testserver/{PRODUCT}"

BOX = f"""
product:
  id: widget-box
  name: {{en: Box of three widgets, zh: 三件装小部件}}
  functional_unit: {{amount: 1, unit: piece}}
  reference_flow: {{process: pack, amount: 1, unit: piece}}
processes:
  - id: pack
    name: {{en: Packing}}
    life_cycle_stage: production
    reference_product: {{amount: 1, unit: piece}}
    inputs:
      - {{factor: "{FACTOR}", amount: 3, unit: piece}}
"""


@pytest.fixture
def supplier(database_url: str, tmp_path: Path):
    """One platform: the demo enterprise publishes the widget for the buyer, who fetches."""
    clock = Clock()
    ctx = pact_context(database_url, tmp_path, clock)
    certificate = certified_widget(ctx)
    publish_widget(ctx, certificate)
    pact.share(ctx, pact.ShareRequest(owner=OWNER, partner=BUYER))
    credentials = pact.add_client(ctx, pact.ClientRequest(owner=OWNER, partner=BUYER))
    client, _ = host(ctx)
    return ctx, clock, client, credentials


def _fetch(ctx, client, credentials=None, **options) -> pact_client.FetchResult:
    request = pact_client.FetchRequest(
        organisation=BUYER,
        base_url="https://testserver",
        client_id=credentials.client_id if credentials else None,
        client_secret=credentials.client_secret if credentials else None,
        **options,
    )
    openapi = OpenApiDocument.load(PACT / "v3" / "openapi-3.0.3.json")
    return pact_client.fetch(
        ctx, keys.secret_box(ctx.data_dir), request, openapi=openapi, http=client
    )


def test_fetch_stores_a_primary_data_factor_with_its_provenance(supplier):
    ctx, _, client, credentials = supplier
    result = _fetch(ctx, client, credentials)
    assert (result.listed, result.refused, result.unchanged) == (1, [], [])
    assert result.validated_against == "openapi-3.0.3.json (3.0.3)"
    [received] = result.received
    assert (received.factor_id, received.factor_version, received.new_version) == (FACTOR, 1, False)
    assert received.supplier == "示例电子有限公司 Demo Electronics Ltd"
    assert received.verification.startswith("verified by 示例认证机构 Demo Certification Body")
    record = ctx.factor_database().get(FACTOR)
    assert (record.primary_data, record.status, record.unit) == (True, "published", "piece")
    assert record.source.url == f"https://testserver/3/footprints/{received.footprint_id}"
    assert received.footprint_id in record.source.document
    assert record.source.table  # the certificate id, from the Tanzuji extension
    assert _fetch(ctx, client, credentials).unchanged == [received.footprint_id]  # nothing new


def test_a_suppliers_update_is_a_new_version_and_names_the_certificates_it_affects(supplier):
    ctx, clock, client, credentials = supplier
    _fetch(ctx, client, credentials)
    # the buyer certifies a box of three widgets made with the supplier's factor
    applied = certification.apply(
        as_user(ctx, "applicant"),
        certification.ApplyRequest(
            model=ModelInput(name="box.yaml", text=BOX), pcr_id="electronics-itu-l1410"
        ),
    )
    box_certificate = certify(ctx, applied.id).application.certificate_id
    box = certification.load(ctx, applied.id).current_model
    assert box.total_kg_co2e == pytest.approx(3 * 8.6568, rel=1e-9)
    # the supplier certifies and publishes a heavier widget (2.5 kg steel): a new footprint
    clock.advance(60)
    heavier = WIDGET.read_text(encoding="utf-8").replace("steel_kg: 2", "steel_kg: 2.5")
    update = publish_widget(ctx, certified_widget(ctx, heavier))
    assert update.created and update.footprint.document["precedingPfIds"]
    assert decimal_value(update.footprint.document["pcf"]["pcfIncludingBiogenicUptake"]) == (
        pytest.approx(10.9318, rel=1e-12)
    )
    result = _fetch(ctx, client, credentials)
    [received] = result.received
    assert (received.factor_id, received.factor_version, received.new_version) == (FACTOR, 2, True)
    [affected] = result.affected
    assert affected.certificate_id == box_certificate
    assert affected.changed_factors == [FACTOR]
    assert affected.certified_kg_co2e == pytest.approx(3 * 8.6568, rel=1e-9)
    assert affected.recomputed_kg_co2e == pytest.approx(3 * 10.9318, rel=1e-9)
    history = [r.factor_version for r in pact_client.received(ctx, FACTOR)]
    assert history == [1, 2]


def test_fetch_with_the_remotes_sealed_credentials(supplier):
    ctx, _, client, credentials = supplier
    with pytest.raises(NotFound, match="has no credentials for https://testserver"):
        _fetch(ctx, client)
    pact_client.add_remote(
        ctx,
        keys.secret_box(ctx.data_dir),
        pact_client.RemoteRequest(
            organisation=BUYER,
            partner=OWNER,
            base_url="https://testserver",
            client_id=credentials.client_id,
            client_secret=credentials.client_secret,
        ),
    )
    stored = (
        ctx.database.engine.connect()
        .exec_driver_sql("SELECT secret_sealed FROM pact_remotes")
        .scalar()
    )
    assert credentials.client_secret not in stored  # sealed, not kept in clear
    assert len(_fetch(ctx, client).received) == 1


def test_wrong_credentials_and_plain_http_are_refused(supplier):
    ctx, _, client, credentials = supplier
    wrong = pact.NewClient(**{**credentials.model_dump(), "client_secret": "wrong"})
    with pytest.raises(PactAuthError, match="refused client"):
        _fetch(ctx, client, wrong)
    request = pact_client.FetchRequest(
        organisation=BUYER, base_url="http://supplier.example", client_id="a", client_secret="b"
    )
    with pytest.raises(PactInvalid, match="plain HTTP"):
        pact_client.fetch(ctx, keys.secret_box(ctx.data_dir), request)


def test_nonconforming_footprints_are_refused_and_nothing_of_them_is_stored(supplier):
    ctx, _, client, credentials = supplier
    good = client.get(
        "/3/footprints",
        headers={
            "Authorization": "Bearer "
            + client.post(
                "/auth/token",
                data={"grant_type": "client_credentials"},
                auth=(credentials.client_id, credentials.client_secret),
            ).json()["access_token"]
        },
    ).json()["data"][0]
    bad = json.loads(json.dumps(good))
    bad["id"] = "0c9c3f7e-8a55-4b8e-9d0e-1f2a3b4c5d6e"
    bad["pcf"]["fossilGhgEmissions"] = "-1"

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/auth/token":
            return httpx.Response(200, json={"access_token": "t", "expires_in": 3600})
        if request.url.path == "/3/footprints":
            return httpx.Response(200, json={"data": [bad]})
        return httpx.Response(404)

    fake = httpx.Client(transport=httpx.MockTransport(answer))
    result = _fetch(ctx, fake, credentials)
    assert result.received == [] and len(result.refused) == 1
    assert "pcf/fossilGhgEmissions" in result.refused[0]  # the OpenAPI document's finding
    assert pact_client.received(ctx) == []


def test_a_published_event_from_a_known_host_is_fetched_into_a_factor(supplier):
    ctx, _, client, credentials = supplier
    pact_client.add_remote(
        ctx,
        keys.secret_box(ctx.data_dir),
        pact_client.RemoteRequest(
            organisation=BUYER,
            partner=OWNER,
            base_url="https://testserver",
            client_id=credentials.client_id,
            client_secret=credentials.client_secret,
        ),
    )
    # the owner notifies the buyer with credentials the buyer issued to it
    for_owner = pact.add_client(ctx, pact.ClientRequest(owner=BUYER, partner=OWNER))
    [published] = pact.footprints_of(ctx, OWNER)
    access = client.post(
        "/auth/token",
        data={"grant_type": "client_credentials"},
        auth=(for_owner.client_id, for_owner.client_secret),
    ).json()["access_token"]
    event = {
        "type": "org.wbcsd.pact.ProductFootprint.PublishedEvent.3",
        "specversion": "1.0",
        "id": "notice-1",
        "source": "https://testserver/3/events",
        "time": "2026-03-02T09:00:00Z",
        "data": {"pfIds": [published.id]},
    }
    posted = client.post("/3/events", json=event, headers={"Authorization": f"Bearer {access}"})
    assert posted.status_code == 200
    [notice] = pact_client.follow_notices(ctx, keys.secret_box(ctx.data_dir), http=client)
    assert (notice.handled, notice.note) == (True, f"stored {FACTOR} v1")
    [received] = pact_client.received(ctx)
    assert (received.footprint_id, received.via) == (published.id, "published")
    assert pact_client.follow_notices(ctx, keys.secret_box(ctx.data_dir), http=client) == []
