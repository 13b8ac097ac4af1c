"""Shared helpers of the PACT tests (not a test module): a certified widget, a host in process.

The widget (``tests/data/pact_widget.yaml``) has hand-checked PACT quantities (its header).
The clock is fixed at :data:`NOW`, so certificates, validity periods and tokens do not depend
on the day the tests run.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from service_helpers import as_user, certify
from tanzuji.context import Context
from tanzuji.exchange.openapi import OpenApiDocument
from tanzuji.pact_host import keys
from tanzuji.pact_host.app import HostState, create_app
from tanzuji.pact_host.tokens import TokenSigner
from tanzuji.services import certification, demo, organisations, pact
from tanzuji.services.calculation import ModelInput
from tanzuji.settings import Settings
from tanzuji.store import db

ROOT = Path(__file__).resolve().parents[1]
WIDGET = ROOT / "tests" / "data" / "pact_widget.yaml"
NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
OWNER = "demo-enterprise"
BUYER = "buyer"
OUTSIDER = "outsider"
COMPANY = "urn:pact:widgets.example:company-id:demo-enterprise"
PRODUCT = "urn:pact:widgets.example:supplier-id:pact-widget"

#: The widget's PACT quantities by hand (tests/data/pact_widget.yaml header).
WIDGET_PACT = {
    "fossilGhgEmissions": "9.4298",
    "pcfExcludingBiogenicUptake": "9.4568",
    "pcfIncludingBiogenicUptake": "8.6568",
    "biogenicCO2Uptake": "-0.8",
    "biogenicNonCO2Emissions": "0.027",
    "aircraftGhgEmissions": "0.3",
}


class Clock:
    """A settable clock (starts at :data:`NOW`)."""

    def __init__(self, now: dt.datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)


def pact_context(
    database_url: str,
    data_dir: Path,
    clock: Callable[[], dt.datetime] | None = None,
    **changes: Any,
) -> Context:
    """A Context on a migrated database with the demo cast, a buyer and an outsider."""
    db.database_for(database_url).upgrade()
    snapshot = Settings.defaults().replace(
        database_url=database_url, data_dir=str(data_dir), **changes
    )
    ctx = Context.from_settings(snapshot, clock=clock or Clock())
    demo.participants(ctx)
    for org in (BUYER, OUTSIDER):
        organisations.add_organisation(
            ctx, organisations.OrganisationRequest(id=org, name=f"{org} 公司", kind="enterprise")
        )
    return ctx


def widget_model(text: str | None = None) -> ModelInput:
    return ModelInput(name="pact_widget.yaml", text=text or WIDGET.read_text(encoding="utf-8"))


def certified_widget(ctx: Context, text: str | None = None) -> str:
    """Apply for and certify the widget (or a variant of its text); the certificate id."""
    applied = certification.apply(
        as_user(ctx, "applicant"),
        certification.ApplyRequest(model=widget_model(text), pcr_id="electronics-itu-l1410"),
    )
    return certify(ctx, applied.id).application.certificate_id or ""


def publish_widget(ctx: Context, certificate_id: str, **options: Any) -> pact.PublishResult:
    request = {
        "certificate_id": certificate_id,
        "product_ids": [PRODUCT],
        "company_ids": [COMPANY],
        "fossil_carbon_content_kg": 0.05,
        **options,
    }
    return pact.publish(ctx, pact.PublishRequest(**request))


def host(ctx: Context, openapi: OpenApiDocument | None = None) -> tuple[TestClient, HostState]:
    """The PACT host app in process (no delivery loop: tests call deliver_due themselves)."""
    state = HostState(
        context=ctx,
        signer=TokenSigner(keys.token_key(ctx.data_dir), int(ctx.settings.pact_token_lifetime_s)),
        box=keys.secret_box(ctx.data_dir),
        openapi=openapi,
        delivery=False,
    )
    client = TestClient(create_app(state), base_url="https://testserver")
    return client, state


def token(client: TestClient, client_id: str, secret: str) -> str:
    response = client.post(
        "/auth/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret)
    )
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def bearer(value: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {value}"}


class Recorder:
    """A dispatcher that keeps what it was asked to send (the network is the two-node test's)."""

    def __init__(self, status: int = 200) -> None:
        self.sent: list[tuple[str, Any, dict[str, Any]]] = []
        self.status = status

    def __call__(self, base: str, credentials: Any, auth: Any, event: dict[str, Any]) -> int:
        self.sent.append((base, credentials, json.loads(json.dumps(event))))
        if self.status >= 300:
            from tanzuji.errors import PactRemoteError

            raise PactRemoteError(f"{base} answered {self.status}", status=self.status)
        return self.status
