"""The public pages and API, no login: the certificate page the label's QR code opens, the
re-check, revocation shown, the catalogue (search, filters, comparison), the signed log head;
on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest

from service_helpers import certify
from tanzuji.certify.labels import decode_qr_image
from tanzuji.services import certification, labels, ledger
from tanzuji.web.certificate_pages import CertificatePages
from web_helpers import apply, login, web_client, web_context


@pytest.fixture
def world(database_url: str, tmp_path: Path):
    """Two issued certificates: the widget (with uncertainty) and the plain widget."""
    ctx = web_context(database_url, tmp_path / "data", certificate_base_url="http://testserver/c/")
    # widget_uncertain's grid factor is an illustrative test factor: the verifier waives it
    waivers = {"grid": "illustrative test factor of the test model"}
    first = certify(ctx, apply(ctx, model="widget_uncertain.yaml"), waivers).application
    first = first.certificate_id
    second = certify(ctx, apply(ctx, model="widget.yaml")).application.certificate_id
    return ctx, first, second


def _expected_view(ctx, certificate_id: str) -> dict:
    """The public view built from the stored certificate file (the fields it must show)."""
    document = certification.certificate_document(ctx, certificate_id)
    cert = document["certificate"]
    total = cert["footprint_kg_co2e"]
    head = ledger.tree_head(ctx)
    fu = cert["functional_unit"]
    return {
        "certificate_id": certificate_id,
        "version": 1,
        "product": cert["product"],
        "company": cert["company"],
        "footprint_kg_co2e": total,
        "unit": f"{fu.get('amount', 1):g} {fu.get('unit', '')}",
        "declared_unit": cert.get("declared_unit"),
        "stages": [
            {"stage": name, "kg_co2e": value, "share": value / total}
            for name, value in cert["stage_breakdown_kg_co2e"].items()
        ],
        "gwp_set": cert["gwp_set"],
        "label": cert["label"],
        "pcr": {"id": "electronics-itu-l1410", "version": "1.0"},
        "factor_release": "builtin",
        "body": {"name": "示例认证机构 Demo Certification Body", "verifier": "Chan Verifier"},
        "valid_from": cert["validity"]["valid_from"],
        "valid_until": cert["validity"]["valid_until"],
        "issued_at": cert["issued_at"],
        "status": "valid",
        "verified": True,
        "problem": None,
        "tree_size": head.tree_size,
        "status_as_of": head.timestamp,
        "key_id": document["signature"]["key_id"],
        "qr": document["qr"],
    }


def test_certificate_api_whole_payload(world) -> None:
    ctx, first, _ = world
    client = web_client(ctx)
    answer = client.get(f"/api/v1/public/certificates/{first}").json()
    checks = answer.pop("checks")
    assert answer == _expected_view(ctx, first)
    assert checks[0].startswith("certificate signature valid (key ed25519:")
    assert any(c.startswith("included in the ledger as entry 0 of") for c in checks)
    assert checks[-1].startswith("status valid")
    again = client.post(f"/api/v1/public/certificates/{first}/verify").json()
    assert again["verified"] and again["checks"] == checks
    missing = client.get("/api/v1/public/certificates/GBA-CFL-2026-999999")
    assert missing.status_code == 404
    assert missing.json()["error"]["message"] == "no certificate 'GBA-CFL-2026-999999' / 无此证书"


def test_the_label_qr_opens_the_certificate_page(world) -> None:
    """The QR code read back from the label PNG is a URL whose path is this page."""
    ctx, first, _ = world
    qr = decode_qr_image(labels.render(ctx, first, labels.LabelFormat.png).content)
    url = urlsplit(qr)
    assert (url.scheme, url.netloc, url.path) == ("http", "testserver", f"/c/{first}")
    assert url.fragment.startswith("TZJ2")
    client = web_client(ctx)
    page = client.get(f"{url.path}?lang=en")
    assert page.status_code == 200
    text = page.text
    for shown in (
        first,
        "Widget",
        "示例电子有限公司 Demo Electronics Ltd",
        "kg CO₂e per",
        "electronics-itu-l1410 1.0",
        "builtin",
        "The certificate is valid",
        f'src="/c/{first}/label.png"',
        'id="recheck"',
        "raw materials",
    ):
        assert shown in text, shown
    assert client.get(f"/c/{first}/label.png").headers["content-type"] == "image/png"
    # the browser's re-check sends the QR text it was opened with
    token = client.post("/api/v1/public/verify-token", json={"text": qr}).json()
    assert (token["certificate_id"], token["status"]) == (first, "valid")
    tampered = qr[:-6] + ("A" if qr[-6] != "A" else "B") + qr[-5:]
    refused = client.post("/api/v1/public/verify-token", json={"text": tampered})
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "verification_failed"


def test_revocation_is_shown_everywhere(world) -> None:
    ctx, first, second = world
    client = web_client(ctx)
    assert client.get(f"/c/{first}").status_code == 200  # cached while valid
    certification.certificate_event(
        ctx.with_user("decider"),
        first,
        certification.CertificateEvent.revoked,
        "misleading claim / 声明误导",
    )
    page = client.get(f"/c/{first}?lang=en").text
    assert 'class="banner bad" role="alert"' in page
    assert "This certificate has been REVOKED" in page
    assert "此证书已被撤销" in client.get(f"/c/{first}?lang=zh").text
    view = client.get(f"/api/v1/public/certificates/{first}").json()
    assert (view["status"], view["verified"]) == ("revoked", True)
    valid = client.get("/api/v1/public/catalogue").json()
    assert [i["certificate_id"] for i in valid["items"]] == [second]
    revoked = client.get("/api/v1/public/catalogue?status=revoked").json()
    assert [i["certificate_id"] for i in revoked["items"]] == [first]


def test_a_superseded_certificate_says_so(world) -> None:
    ctx, _, second = world
    client = web_client(ctx)
    # the same product, PCR, label type and declared unit certified again: it supersedes
    third = certify(ctx, apply(ctx, model="widget.yaml")).application.certificate_id
    page = client.get(f"/c/{second}?lang=en").text
    assert 'class="banner warn" role="alert"' in page and "was SUPERSEDED" in page
    assert "已被同一产品的新证书取代" in client.get(f"/c/{second}?lang=zh").text
    view = client.get(f"/api/v1/public/certificates/{second}").json()
    assert (view["status"], view["verified"]) == ("superseded", True)
    gone = client.get("/api/v1/public/catalogue?status=superseded").json()
    assert [i["certificate_id"] for i in gone["items"]] == [second]
    assert client.get(f"/api/v1/public/certificates/{third}").json()["status"] == "valid"


def test_catalogue_search_filters_and_comparison(world) -> None:
    ctx, first, second = world
    client = web_client(ctx)
    everything = client.get("/api/v1/public/catalogue").json()
    values = {i["certificate_id"]: i["footprint_kg_co2e"] for i in everything["items"]}
    assert set(values) == {first, second}
    # sorted by footprint, lowest first
    assert [i["footprint_kg_co2e"] for i in everything["items"]] == sorted(values.values())
    assert everything["categories"] == {"electronics-itu-l1410": 2}
    assert everything["total"] == 2
    item = next(i for i in everything["items"] if i["certificate_id"] == first)
    assert item == {
        "certificate_id": first,
        "version": 1,
        "product_id": "widget_uncertain",
        "product": item["product"],
        "company": {"id": "demo-enterprise", "name": "示例电子有限公司 Demo Electronics Ltd"},
        "category": "electronics-itu-l1410",
        "pcr_version": "1.0",
        "label": "disclosure",
        "footprint_kg_co2e": values[first],
        "unit": "1 piece",
        "valid_until": item["valid_until"],
        "status": "valid",
        "issued_at": item["issued_at"],
    }
    lowest = min(values.values())
    cheap = client.get(f"/api/v1/public/catalogue?max_kg_co2e={lowest}").json()
    assert [i["footprint_kg_co2e"] for i in cheap["items"]] == [lowest]
    assert client.get("/api/v1/public/catalogue?q=nothing+like+this").json()["total"] == 0
    assert client.get("/api/v1/public/catalogue?q=demo+electronics").json()["total"] == 2
    assert client.get("/api/v1/public/catalogue?label=neutrality").json()["total"] == 0
    assert client.get("/api/v1/public/catalogue?category=other").json()["total"] == 0
    paged = client.get("/api/v1/public/catalogue?limit=1&offset=1").json()
    assert (len(paged["items"]), paged["total"]) == (1, 2)
    page = client.get("/catalogue?lang=en&q=widget")
    assert page.status_code == 200 and f'href="/c/{first}"' in page.text
    compared = client.get(f"/catalogue/compare?ids={first}&ids={second}&lang=en")
    assert compared.status_code == 200
    assert f'href="/c/{first}"' in compared.text and f'href="/c/{second}"' in compared.text
    assert "cannot be compared directly" not in compared.text  # both per 1 piece


def test_log_page_and_api(world) -> None:
    ctx, _, _ = world
    client = web_client(ctx)
    head = ledger.tree_head(ctx)
    assert client.get("/api/v1/public/log").json() == head.model_dump(mode="json")
    page = client.get("/log?lang=en").text
    assert f'<dd id="tree-size">{head.tree_size}</dd>' in page
    assert head.root_hash in page and head.signature in page


def test_factor_search_needs_login(world) -> None:
    ctx, _, _ = world
    client = web_client(ctx)
    assert client.get("/api/v1/factors?q=electricity").status_code == 401
    login(client, "applicant")
    answer = client.get("/api/v1/factors?q=electricity")
    # no factors loaded into this database: the service says so
    assert answer.status_code == 404
    assert "load the starter data" in answer.json()["error"]["message"]


def test_views_stay_current_while_the_log_grows(world) -> None:
    # a view verified at one log size is served at the next one (the new head is signed and
    # extends the log; no new entry names the certificate), saying so; the certificate the new
    # entry names is verified again and shows its new status at once
    from tanzuji.services import public

    ctx, first, second = world
    client = web_client(ctx)
    before = client.get(f"/api/v1/public/certificates/{first}").json()
    assert before["verified"] and before["tree_size"] == ledger.tree_head(ctx).tree_size
    client.get(f"/api/v1/public/certificates/{second}")
    certification.certificate_event(
        ctx.with_user("decider"), second, certification.CertificateEvent.suspended, "audit"
    )
    head = ledger.tree_head(ctx)
    after = client.get(f"/api/v1/public/certificates/{first}").json()
    assert (after["tree_size"], after["status_as_of"]) == (head.tree_size, head.timestamp)
    assert after["checks"][:-1] == before["checks"]
    assert after["checks"][-1].startswith(
        f"still current at log size {head.tree_size}: the log grew consistently from size "
        f"{before['tree_size']}"
    )
    fresh = public.verify(ctx, first)  # what a verification now gives: the same outcome
    assert (fresh.status, fresh.verified, fresh.tree_size) == ("valid", True, head.tree_size)
    suspended = client.get(f"/api/v1/public/certificates/{second}").json()
    assert (suspended["status"], suspended["tree_size"]) == ("suspended", head.tree_size)


def test_an_older_head_of_the_same_log_keeps_the_views(world) -> None:
    # a request that read the head before the log grew must not throw the newer views away
    from tanzuji.services import public
    from tanzuji.store.certify import CertificationRepository

    ctx, first, _ = world
    newest = ledger.tree_head(ctx)
    public.certificate(ctx, first)
    views = public._views(ctx)
    assert views.size == newest.tree_size and len(views.cache.kept.items) == 1
    with ctx.unit_of_work(write=False) as session:
        older = CertificationRepository(session).tree_head(newest.tree_size - 1)
    views.follow(ctx, older)
    assert views.size == newest.tree_size and len(views.cache.kept.items) == 1


def _memory(app) -> CertificatePages:
    """The app's CertificatePages middleware (the stack is built by the first request)."""
    layer = app.middleware_stack
    while not isinstance(layer, CertificatePages):
        layer = layer.app
    return layer


def test_the_page_for_anyone_comes_from_memory(world) -> None:
    # the busiest page is answered before routing once this process has verified the view;
    # the bytes are those the ordinary route renders, statuses show at once, logged-in callers
    # and unknown certificates go the ordinary way
    ctx, first, _ = world
    client = web_client(ctx)
    assert client.get(f"/c/{first}").status_code == 200  # verifies and keeps the view
    memory = _memory(client.app)
    assert memory.pages.kept.items == {}  # the ordinary route answered
    kept = client.get(f"/c/{first}")
    assert list(memory.pages.kept.items) == [(first, "zh")]
    assert kept.content == memory.pages.kept.items[(first, "zh")][1]
    assert "set-cookie" not in kept.headers and '<meta name="csrf-token" content="">' in kept.text
    assert "证书有效" in kept.text and 'href="/c/' + first + '?lang=en"' in kept.text
    # the ordinary route renders the same bytes (?lang= goes the ordinary way and sets a cookie)
    ordinary = client.get(f"/c/{first}?lang=zh")
    assert ordinary.content == kept.content and "lang=zh" in ordinary.headers["set-cookie"]
    client.cookies.set("lang", "en")
    english = client.get(f"/c/{first}")
    assert "The certificate is valid" in english.text
    assert set(memory.pages.kept.items) == {(first, "zh"), (first, "en")}
    # a revocation logged by this process shows on the next request from memory
    certification.certificate_event(
        ctx.with_user("decider"), first, certification.CertificateEvent.revoked, "test"
    )
    client.get(f"/c/{first}")  # the view is verified anew (the new entry names it)
    revoked = client.get(f"/c/{first}")
    assert "This certificate has been REVOKED" in revoked.text
    assert revoked.content == memory.pages.kept.items[(first, "en")][1]
    # a logged-in caller gets the page with the session's CSRF token and who is signed in
    token = login(client, "applicant")
    mine = client.get(f"/c/{first}")
    assert f'<meta name="csrf-token" content="{token}">' in mine.text
    assert '<strong id="whoami">applicant</strong>' in mine.text
    assert client.get("/c/NO-SUCH-CERTIFICATE").status_code == 404


def test_kept_pages_are_bounded_least_recently_used_first() -> None:
    from typing import Any, cast

    from tanzuji.web.certificate_pages import _Pages

    pages, view, other = _Pages(max_bytes=10), cast(Any, "view"), cast(Any, "another view")
    pages.put(("a", "zh"), view, b"12345")
    pages.put(("b", "zh"), view, b"12345")
    assert pages.get(("a", "zh"), view) == b"12345"  # now the most recently used
    pages.put(("c", "zh"), view, b"123")
    assert list(pages.kept.items) == [("a", "zh"), ("c", "zh")] and pages.kept.used == 8
    assert pages.get(("a", "zh"), other) is None  # kept for another view: rendered again


def test_a_held_head_is_read_again_by_one_worker_thread(world) -> None:
    # past web_public_head_s the kept view is still given while one thread reads the head
    # again; past twice that time nothing held is given (the ordinary path reads it)
    import threading
    import time

    from tanzuji.services import public

    ctx, first, _ = world
    public.certificate(ctx, first)  # reads the head and keeps the view
    key = public._database_key(ctx)
    read_at, appends, head = public._HEADS[key]
    fresh_s = float(ctx.settings.web_public_head_s)
    assert public.cached_certificate(ctx, first) is not None
    public._HEADS[key] = (read_at - 1.5 * fresh_s, appends, head)
    assert public.cached_certificate(ctx, first) is not None
    for thread in threading.enumerate():
        if thread.name == "tanzuji-tree-head":
            thread.join(timeout=30)
    assert public._HEADS[key][0] >= read_at  # read again
    public._HEADS[key] = (time.monotonic() - 2 * fresh_s, appends, head)
    assert public.cached_certificate(ctx, first) is None


def test_the_catalogue_follows_the_day_and_pages_one_result(world) -> None:
    # the listing is of one day: after their validity the certificates are listed as expired
    # (and not as valid); the pages of one query are slices of one result
    import datetime as dt

    from tanzuji.context import Context
    from tanzuji.services import public

    ctx, first, second = world
    today = public.catalogue(ctx, public.CatalogueQuery())
    assert today.total == 2 and {i.status for i in today.items} == {"valid"}
    last_day = max(i.valid_until for i in today.items)
    after = dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time(12), dt.UTC)
    later = Context.from_settings(ctx.settings, clock=lambda: after)
    assert public.catalogue(later, public.CatalogueQuery()).total == 0
    expired = public.catalogue(later, public.CatalogueQuery(status="expired"))
    assert {(i.certificate_id, i.status) for i in expired.items} == {
        (first, "expired"),
        (second, "expired"),
    }
    pages = [public.catalogue(ctx, public.CatalogueQuery(offset=n, limit=1)) for n in (0, 1, 2)]
    assert [len(p.items) for p in pages] == [1, 1, 0] and {p.total for p in pages} == {2}
    assert [p.items[0] for p in pages[:2]] == today.items
