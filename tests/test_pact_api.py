"""The PACT host's API in process, on SQLite and PostgreSQL, with whole payloads.

Every JSON response is validated against the response schema of the OpenAPI document in
../shared for its path and status (:func:`checked`). Outgoing events are captured by a
recording dispatcher (the network path is the two-node test's) and validated too.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from pact_helpers import (
    BUYER,
    OUTSIDER,
    OWNER,
    PRODUCT,
    Clock,
    Recorder,
    bearer,
    certified_widget,
    host,
    pact_context,
    publish_widget,
    token,
)
from service_helpers import as_user
from shared_data import PACT, SKIP_WITHOUT_SHARED
from tanzuji.context import Context
from tanzuji.errors import GateNotMet, PermissionDenied
from tanzuji.exchange.credentials import SecretBox
from tanzuji.exchange.filters import FootprintQuery, matches
from tanzuji.exchange.model import PUBLISHED, REQUEST_CREATED, read_footprint
from tanzuji.exchange.openapi import OpenApiDocument
from tanzuji.pact_host import keys
from tanzuji.pact_host.app import AFTER_PARAMETER
from tanzuji.services import certification, pact, pact_client

pytestmark = SKIP_WITHOUT_SHARED

OPENAPI = PACT / "v3" / "openapi-3.0.3.json"


@pytest.fixture(scope="module")
def openapi() -> OpenApiDocument:
    return OpenApiDocument.load(OPENAPI)


@dataclass
class World:
    ctx: Context
    clock: Clock
    client: Any
    certificate: str
    document: dict
    buyer: pact.NewClient
    outsider: pact.NewClient
    openapi: OpenApiDocument

    def get(self, path: str, who: pact.NewClient | None = None, **kw: Any) -> httpx.Response:
        who = who or self.buyer
        headers = bearer(token(self.client, who.client_id, who.client_secret))
        return self.client.get(path, headers=headers, **kw)

    def post_event(self, event: dict, who: pact.NewClient | None = None) -> httpx.Response:
        who = who or self.buyer
        headers = {
            **bearer(token(self.client, who.client_id, who.client_secret)),
            "Content-Type": "application/cloudevents+json; charset=UTF-8",
        }
        return self.client.post("/3/events", json=event, headers=headers)


def _box(world: World) -> SecretBox:
    return keys.secret_box(world.ctx.data_dir)


def checked(world: World, response: httpx.Response, path: str, method: str = "get") -> Any:
    """The response's JSON, validated against the OpenAPI response schema of its status."""
    schema = world.openapi.response_schema(path, method, response.status_code)
    if schema is None:
        assert response.content == b"", response.text
        return None
    body = response.json()
    assert world.openapi.errors(schema, body) == [], body
    return body


@pytest.fixture
def world(database_url: str, tmp_path: Path, openapi: OpenApiDocument) -> World:
    clock = Clock()
    ctx = pact_context(database_url, tmp_path, clock)
    certificate = certified_widget(ctx)
    published = publish_widget(ctx, certificate)
    pact.share(ctx, pact.ShareRequest(owner=OWNER, partner=BUYER))
    buyer = pact.add_client(ctx, pact.ClientRequest(owner=OWNER, partner=BUYER, label="buyer"))
    outsider = pact.add_client(ctx, pact.ClientRequest(owner=OWNER, partner=OUTSIDER))
    client, _ = host(ctx)
    document = published.footprint.document
    return World(ctx, clock, client, certificate, document, buyer, outsider, openapi)


def test_tokens_discovery_and_oauth_errors(world: World):
    client = world.client
    good = client.post(
        "/auth/token",
        data={"grant_type": "client_credentials"},
        auth=(world.buyer.client_id, world.buyer.client_secret),
    )
    body = good.json()
    assert good.status_code == 200 and set(body) == {
        "access_token",
        "token_type",
        "expires_in",
        "scope",
    }
    assert (body["token_type"], body["expires_in"]) == ("Bearer", 3600)
    # client credentials in the form (RFC 6749 2.3.1) work too
    form = client.post(
        "/auth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": world.buyer.client_id,
            "client_secret": world.buyer.client_secret,
        },
    )
    assert form.status_code == 200
    wrong = client.post(
        "/auth/token",
        data={"grant_type": "client_credentials"},
        auth=(world.buyer.client_id, "not the secret"),
    )
    assert (wrong.status_code, wrong.json()) == (
        401,
        {"error": "invalid_client", "error_description": "client authentication failed"},
    )
    grant = client.post("/auth/token", data={"grant_type": "password"}, auth=("a", "b"))
    assert (grant.status_code, grant.json()["error"]) == (400, "unsupported_grant_type")
    config = client.get("/.well-known/openid-configuration").json()
    assert config["token_endpoint"] == "https://testserver/auth/token"
    assert config["jwks_uri"] == "https://testserver/.well-known/jwks.json"
    assert client.get("/.well-known/jwks.json").json()["keys"][0]["crv"] == "Ed25519"


def test_list_and_get_whole_payloads(world: World):
    listed = world.get("/3/footprints")
    assert checked(world, listed, "/3/footprints") == {"data": [world.document]}
    assert "link" not in listed.headers
    one = world.get(f"/3/footprints/{world.document['id']}")
    assert checked(world, one, "/3/footprints/{id}") == {"data": world.document}
    # a partner the owner did not share with sees nothing, and is refused the footprint
    assert checked(world, world.get("/3/footprints", world.outsider), "/3/footprints") == {
        "data": []
    }
    refused = world.get(f"/3/footprints/{world.document['id']}", world.outsider)
    assert checked(world, refused, "/3/footprints/{id}") == {
        "code": "AccessDenied",
        "message": f"footprint {world.document['id']} is not shared with you",
    }
    missing = str(uuid.UUID(int=0))
    assert checked(world, world.get(f"/3/footprints/{missing}"), "/3/footprints/{id}") == {
        "code": "NotFound",
        "message": f"footprint {missing} does not exist",
    }
    bad = world.get("/3/footprints/not-a-uuid")
    assert checked(world, bad, "/3/footprints/{id}") == {
        "code": "BadRequest",
        "message": "footprint id 'not-a-uuid' is not a UUID",
    }


def test_authentication_errors(world: World):
    client = world.client
    for headers in (
        {},
        {"Authorization": "Bearer invalid-access-token"},
        {"Authorization": "Basic eA=="},
    ):
        response = client.get("/3/footprints", headers=headers)
        body = checked(world, response, "/3/footprints")
        assert response.status_code == 401 and body["code"] == "BadRequest"
        assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'
    stale = token(client, world.buyer.client_id, world.buyer.client_secret)
    world.clock.advance(3600)  # pact_token_lifetime_s
    expired = client.get("/3/footprints", headers=bearer(stale))
    assert checked(world, expired, "/3/footprints") == {
        "code": "TokenExpired",
        "message": "the access token has expired; request a new one",
    }
    fresh = token(client, world.buyer.client_id, world.buyer.client_secret)
    pact.revoke_client(world.ctx, world.buyer.client_id)
    revoked = client.get("/3/footprints", headers=bearer(fresh))
    assert (revoked.status_code, revoked.json()["code"]) == (401, "BadRequest")
    again = client.post(
        "/auth/token",
        data={"grant_type": "client_credentials"},
        auth=(world.buyer.client_id, world.buyer.client_secret),
    )
    assert again.status_code == 401


def test_bad_queries_are_400(world: World):
    cases = {
        "/3/footprints?$filter=created ge '2023-01-15T10:15:30Z'": "BadRequest",
        "/3/footprints?x-acme-invoice=1": "NotImplemented",
        "/3/footprints?limit=-1": "BadRequest",
        "/3/footprints?validOn=yesterday": "BadRequest",
        f"/3/footprints?{AFTER_PARAMETER}=nonsense": "BadRequest",
    }
    for path, code in cases.items():
        response = world.get(path)
        assert response.status_code == 400, path
        assert checked(world, response, "/3/footprints")["code"] == code


def _renew(world: World) -> None:
    world.clock.advance(60)  # listings are in creation order (ties: by id)
    certification.certificate_event(
        as_user(world.ctx, "admin"),
        world.certificate,
        certification.CertificateEvent.renewed,
        "annual renewal",
    )


def test_renewal_makes_a_new_footprint_and_pagination_links_hold(world: World):
    _renew(world)  # follow_certificate_in republishes: a new footprint, the old one deprecated
    _renew(world)
    everything = checked(world, world.get("/3/footprints"), "/3/footprints")["data"]
    assert [d["status"] for d in everything] == ["Deprecated", "Deprecated", "Active"]
    assert everything[1]["precedingPfIds"] == [everything[0]["id"]]
    assert everything[2]["precedingPfIds"] == [everything[1]["id"]]
    assert everything[0] == {**world.document, "status": "Deprecated"}  # nothing else changed
    versions = [d["extensions"][0]["data"]["certificateVersion"] for d in everything]
    assert versions == [1, 2, 3]
    # limit=1: three pages joined by absolute links on the request's host
    pages, url = [], "/3/footprints?limit=1&status=Active&status=Deprecated"
    first_link = None
    while url:
        response = world.get(url)
        body = checked(world, response, "/3/footprints")
        assert len(body["data"]) == 1
        pages += body["data"]
        link = response.headers.get("link")
        if link is None:
            break
        target = link.split(">")[0].lstrip("<")
        assert target.startswith("https://testserver/3/footprints?") and link.endswith(
            '; rel="next"'
        )
        first_link = first_link or target
        url = target.replace("https://testserver", "")
    assert pages == everything
    # a link still works 200 s later (PACT: >= 180 s) and after a new footprint was added
    world.clock.advance(200)
    _renew(world)
    later = checked(world, world.get(first_link.replace("https://testserver", "")), "/3/footprints")
    assert later["data"] == [everything[1]]


def test_sql_filters_agree_with_the_reference_semantics(world: World):
    _renew(world)
    everything = checked(world, world.get("/3/footprints"), "/3/footprints")["data"]
    parsed = [read_footprint(d) for d in everything]
    start = everything[-1]["validityPeriodStart"]
    queries = [
        f"productId={PRODUCT}",
        f"productId={PRODUCT.upper()}&productId=urn:pact:other",
        "companyId=urn:bogus:company:1",
        "geography=CN-GD",
        "geography=cn-gd&geography=DE",
        "geography=CN",
        "classification=urn:bogus",
        "status=active",
        "status=Deprecated",
        "status=BogusStatus",
        f"validOn={start}",
        "validOn=1900-01-01T00:00:00Z",
        "validAfter=2026-03-01T00:00:00Z",
        "validAfter=2099-12-31T23:59:59Z",
        "validBefore=2029-01-01T00:00:00Z",
        "validBefore=1900-01-01T00:00:00Z",
        f"status=Active&productId={PRODUCT}&validOn={start}",
    ]
    for query in queries:
        got = checked(world, world.get(f"/3/footprints?{query}"), "/3/footprints")["data"]
        pairs = [tuple(p.split("=", 1)) for p in query.split("&")]
        reference = FootprintQuery.of_parameters(pairs)
        expected = [d for d, pf in zip(everything, parsed, strict=True) if matches(pf, reference)]
        assert got == expected, query
    assert checked(world, world.get("/3/footprints?status=Deprecated"), "/3/footprints")[
        "data"
    ] == [{**world.document, "status": "Deprecated"}]


def _created(product_ids: list[str], event_id: str = "request-1") -> dict:
    return {
        "type": REQUEST_CREATED,
        "specversion": "1.0",
        "id": event_id,
        "source": "https://buyer.example",
        "time": "2026-03-02T09:00:00Z",
        "data": {"productId": product_ids, "comment": "please"},
    }


def _delivered(world: World, recorder: Recorder) -> list[dict]:
    pact.deliver_due(world.ctx, _box(world), recorder)
    return [event for _, _, event in recorder.sent]


def test_requests_are_answered_by_rule_and_answers_conform(world: World):
    accepted = world.post_event(_created([PRODUCT]))
    assert (accepted.status_code, accepted.content) == (200, b"")
    rejected = world.post_event(_created(["urn:pact:null"], "request-2"))
    assert rejected.status_code == 200
    repeat = world.post_event(_created([PRODUCT]))  # the same event again: no second task
    assert repeat.status_code == 200
    tasks = pact.tasks(world.ctx)
    assert [(t.id, t.status, t.decided_by) for t in tasks] == [
        (1, "fulfilled", "rule: exactly one shared footprint matches"),
        (2, "rejected", "rule: unknown product"),
    ]
    recorder = Recorder()
    sent = _delivered(world, recorder)
    assert [base for base, _, _ in recorder.sent] == ["https://buyer.example"] * 2
    fulfilled, refused = sent
    assert world.openapi.errors(world.openapi.schema("RequestFulfilledEvent"), fulfilled) == []
    assert world.openapi.errors(world.openapi.schema("RequestRejectedEvent"), refused) == []
    assert fulfilled["data"] == {"requestEventId": "request-1", "pfs": [world.document]}
    assert refused["data"] == {
        "requestEventId": "request-2",
        "error": {
            "code": "NotFound",
            "message": "no footprint of product urn:pact:null exists at this host",
        },
    }
    assert (fulfilled["source"], fulfilled["specversion"]) == ("https://127.0.0.1:8443", "1.0")
    states = {e.type: (e.state, e.attempts, e.last_status) for e in pact.events(world.ctx)}
    assert set(states.values()) == {("delivered", 1, 200)}


def test_the_owner_answers_requests_no_rule_decides(world: World):
    ctx = world.ctx
    # the outsider may not read the widget: its request waits for a person
    assert world.post_event(_created([PRODUCT], "r-out"), world.outsider).status_code == 200
    [task] = pact.tasks(ctx)
    assert (task.status, task.candidates, task.partner) == ("open", [], OUTSIDER)
    # a verifier (another organisation) may not answer the owner's requests
    with pytest.raises(PermissionDenied, match="acts for demo-body"):
        pact.reject(as_user(ctx, "verifier"), pact.RejectRequest(task_id=task.id, message="no"))
    with pytest.raises(GateNotMet, match="no footprint matches"):
        pact.fulfil(as_user(ctx, "applicant"), pact.FulfilRequest(task_id=task.id))
    done = pact.fulfil(
        as_user(ctx, "applicant"),
        pact.FulfilRequest(task_id=task.id, footprint_ids=[world.document["id"]]),
    )
    assert (done.status, done.decided_by, done.footprint_ids) == (
        "fulfilled",
        "applicant",
        [world.document["id"]],
    )
    # PACT v3: what was sent through events is readable through the API from now on
    listed = checked(world, world.get("/3/footprints", world.outsider), "/3/footprints")
    assert listed == {"data": [world.document]}
    with pytest.raises(GateNotMet, match="already fulfilled"):
        pact.reject(as_user(ctx, "applicant"), pact.RejectRequest(task_id=task.id, message="no"))
    [event] = pact.events(ctx)
    assert (event.type, event.partner, event.task_id) == (
        "org.wbcsd.pact.ProductFootprint.RequestFulfilledEvent.3",
        OUTSIDER,
        task.id,
    )


def test_events_in_are_validated(world: World):
    published = {
        "type": PUBLISHED,
        "specversion": "1.0",
        "id": str(uuid.uuid4()),
        "source": "https://buyer.example",
        "time": "2026-03-02T09:00:00Z",
        "data": {"pfIds": ["3a6c14a7-4deb-498a-b5ea-16ce2535b576"]},
    }
    assert world.post_event(published).status_code == 200
    [notice] = pact_client.notices(world.ctx)
    assert (notice.type, notice.footprint_ids, notice.handled) == (
        PUBLISHED,
        ["3a6c14a7-4deb-498a-b5ea-16ce2535b576"],
        False,
    )
    malformed = {**published, "id": "x", "data": {"pfIds": ["urn:gtin:4712345060507"]}}
    response = world.post_event(malformed)
    body = checked(world, response, "/3/events", "post")
    assert response.status_code == 400 and body["code"] == "BadRequest"
    assert "data.pfIds.0" in body["message"]
    headers = {**bearer(token(world.client, world.buyer.client_id, world.buyer.client_secret))}
    not_json = world.client.post(
        "/3/events",
        content=b"{not json",
        headers={**headers, "Content-Type": "application/cloudevents+json"},
    )
    assert checked(world, not_json, "/3/events", "post") == {
        "code": "BadRequest",
        "message": "the event body is not JSON",
    }
    text = world.client.post(
        "/3/events", content=b"{}", headers={**headers, "Content-Type": "text/plain"}
    )
    assert text.status_code == 400
    plain = world.client.post(
        "/3/events", json=published, headers={"Authorization": "Bearer invalid"}
    )
    assert (
        plain.status_code == 401
        and checked(world, plain, "/3/events", "post")["code"] == "BadRequest"
    )


def test_revocation_withdraws_and_notifies(world: World):
    pact_client.add_remote(
        world.ctx,
        _box(world),
        pact_client.RemoteRequest(
            organisation=OWNER,
            partner=BUYER,
            base_url="https://buyer.example",
            client_id="owner-at-buyer",
            client_secret="s3cret",
        ),
    )
    certification.certificate_event(
        as_user(world.ctx, "decider"),
        world.certificate,
        certification.CertificateEvent.revoked,
        "misstated data",
    )
    assert checked(world, world.get("/3/footprints"), "/3/footprints") == {"data": []}
    gone = world.get(f"/3/footprints/{world.document['id']}")
    assert checked(world, gone, "/3/footprints/{id}") == {
        "code": "NotFound",
        "message": f"footprint {world.document['id']} was withdrawn (certificate "
        f"{world.certificate} revoked)",
    }
    recorder = Recorder()
    [event] = _delivered(world, recorder)
    base, credentials, _ = recorder.sent[0]
    assert (base, credentials.client_id, credentials.client_secret) == (
        "https://buyer.example",
        "owner-at-buyer",
        "s3cret",
    )
    assert event["type"] == PUBLISHED and event["data"] == {"pfIds": [world.document["id"]]}
    assert world.openapi.errors(world.openapi.schema("PublishedEvent"), event) == []
    with pytest.raises(GateNotMet, match="revoked; only a certificate in force"):
        publish_widget(world.ctx, world.certificate)


def test_delivery_backs_off_and_gives_up(world: World):
    assert world.post_event(_created([PRODUCT])).status_code == 200
    failing = Recorder(status=503)
    waits = []
    for _ in range(4):
        [view] = pact.deliver_due(world.ctx, _box(world), failing)
        waits.append((view.next_attempt_at - world.clock.now).total_seconds())
        assert (view.state, view.last_status) == ("pending", 503)
        assert pact.deliver_due(world.ctx, _box(world), failing) == []  # not due yet
        world.clock.advance(waits[-1])
    assert waits == [2.0, 4.0, 8.0, 16.0]  # pact_retry_base_s x 2^(attempt - 1)
    world.clock.advance(259_200)  # pact_retry_give_up_s: 3 days
    [view] = pact.deliver_due(world.ctx, _box(world), failing)
    assert (view.state, view.attempts) == ("abandoned", 5)
    assert pact.events(world.ctx, state="abandoned")[0].last_error.endswith("answered 503")
