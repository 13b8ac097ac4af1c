"""PACT demo data: certified example products published as PACT footprints for a partner.

What ``tanzuji pact demo`` (and the conformance script) loads into a database:

1. the demo's factors, organisations and users (:mod:`tanzuji.services.demo`);
2. each example model certified end to end (disclosure label), with the demo's release;
3. the demo enterprise's PACT profile (company URN and product-URN domain under the reserved
   ``.example`` domain, RFC 2606: demo identifiers, not a real company's);
4. each certificate published as a ProductFootprint, shared with the partner organisation;
5. client credentials for the partner (the secret is in the result, once).

Fossil carbon content (PACT ``fossilCarbonContent``, which a Tanzuji model does not hold):
the owner states it per example in :data:`FOSSIL_CARBON_KG`, with the reason.
"""

from __future__ import annotations

from pydantic import Field

from tanzuji.context import Context
from tanzuji.errors import PactMappingError
from tanzuji.services import demo, organisations, pact
from tanzuji.services.base import Request, Result
from tanzuji.services.calculation import ModelInput

#: The demo data owner (an organisation of :data:`tanzuji.services.demo.DEMO_ORGANISATIONS`).
OWNER = "demo-enterprise"

#: Its PACT identity: identifiers under the reserved example domain (RFC 2606).
PROFILE_DOMAIN = "demo-electronics.example"
COMPANY_ID = f"urn:pact:{PROFILE_DOMAIN}:company-id:{OWNER}"

#: kg fossil carbon per declared unit of each example product, and why.
FOSSIL_CARBON_KG: dict[str, tuple[float, str]] = {
    "pv-module-550wp": (
        0.0,
        "declared unit 1 kWh of electricity, which holds no carbon (PACT: energy products)",
    ),
    "cotton-tshirt-200g": (
        0.0,
        "100 % cotton: its carbon is biogenic (sewing thread and dyes neglected)",
    ),
}


class PactDemoRequest(Request):
    models: list[ModelInput] = Field(min_length=1)
    partner: str = Field("pact-partner", description="the data recipient organisation's id")
    partner_name: str = "PACT 数据接收方 Demo PACT data recipient"
    release: str = demo.DEMO_RELEASE


class PactDemoResult(Result):
    certificates: list[str]
    footprints: list[str]
    client: pact.NewClient
    warnings: list[str]


def run(context: Context, request: PactDemoRequest) -> PactDemoResult:
    """Load the PACT demo data (see the module notes).

    Raises
    ------
    PactMappingError
        When a model's product has no fossil carbon content in :data:`FOSSIL_CARBON_KG`.
    CertificationError
        When an example fails its PCR.
    """
    demo.load_factors(context, request.release)
    pinned = context.with_release(request.release)
    demo.participants(context)
    known = {o.id for o in organisations.organisations(context)}
    if request.partner not in known:
        organisations.add_organisation(
            context,
            organisations.OrganisationRequest(
                id=request.partner, name=request.partner_name, kind="enterprise"
            ),
        )
    pact.set_profile(
        context,
        pact.ProfileRequest(
            organisation=OWNER, company_ids=[COMPANY_ID], product_domain=PROFILE_DOMAIN
        ),
    )
    certificates, footprints, warnings = [], [], []
    for model in request.models:
        product = model.load(context.limits).model.product.id
        if product not in FOSSIL_CARBON_KG:
            raise PactMappingError(
                f"the PACT demo has no fossil carbon content for product {product}; known: "
                f"{', '.join(FOSSIL_CARBON_KG)}"
            )
        fossil, why = FOSSIL_CARBON_KG[product]
        issued = demo.certify(pinned, model).issued
        certificate = issued.certificate_id or ""
        published = pact.publish(
            context,
            pact.PublishRequest(
                certificate_id=certificate,
                fossil_carbon_content_kg=fossil,
                comment=f"Tanzuji demo (illustrative example data). Fossil carbon content: {why}.",
            ),
        )
        certificates.append(certificate)
        footprints.append(published.footprint.id)
        warnings.extend(published.warnings)
    pact.share(context, pact.ShareRequest(owner=OWNER, partner=request.partner))
    client = pact.add_client(
        context, pact.ClientRequest(owner=OWNER, partner=request.partner, label="demo")
    )
    return PactDemoResult(
        certificates=certificates, footprints=footprints, client=client, warnings=warnings
    )


__all__ = ["COMPANY_ID", "FOSSIL_CARBON_KG", "OWNER", "PactDemoRequest", "PactDemoResult", "run"]
