"""``tanzuji pact`` — supply-chain exchange with the WBCSD PACT Technical Specifications v3.

Data owner: ``serve`` (the HTTPS host), ``client add|list|revoke`` (credentials for partners),
``profile``, ``share`` / ``shares`` / ``unshare``, ``publish`` (a certificate as a footprint),
``footprints``, ``tasks`` / ``fulfil`` / ``reject`` (requests received), ``events`` (the
outbox) and ``deliver`` (send what is due now).

Data recipient: ``remote add|list|revoke`` (hosts and the credentials they issued us),
``fetch`` (footprints -> primary-data factors), ``request`` / ``requests``, ``received``,
``inbox``. ``demo`` loads certified demo footprints and a partner's credentials.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from tanzuji import settings
from tanzuji.cli.app import app, console, context
from tanzuji.cli.inputs import model_input
from tanzuji.context import Context
from tanzuji.exchange.openapi import OpenApiDocument
from tanzuji.pact_host import keys
from tanzuji.services import pact as service
from tanzuji.services import pact_client, pact_demo

pact_app = typer.Typer(
    help="PACT v3 exchange 供应链碳足迹交换: host, credentials, footprints, requests.",
    no_args_is_help=True,
)
client_app = typer.Typer(help="Credentials issued to partners 合作方凭据.", no_args_is_help=True)
remote_app = typer.Typer(help="Other PACT hosts we read from 外部主机.", no_args_is_help=True)
app.add_typer(pact_app, name="pact")
pact_app.add_typer(client_app, name="client")
pact_app.add_typer(remote_app, name="remote")

AS = typer.Option(None, "--as", help="User acting (default: the local operator).")
ORG = typer.Option(None, "--org", help="Organisation (default: the acting user's).")
JSON = typer.Option(False, "--json", help="Print as JSON.")

#: The examples the PACT demo certifies and publishes.
DEMO_EXAMPLES = ("pv_module.yaml", "cotton_tshirt.yaml")


def _ctx(actor: str | None) -> Context:
    return context(actor=actor, need_database=True)


def _print_json(value: Any) -> None:
    if isinstance(value, list):
        data = [v.model_dump(mode="json") for v in value]
    else:
        data = value.model_dump(mode="json")
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2))


def _table(title: str, headers: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
    table = Table(title=title)
    for header in headers:
        table.add_column(header)
    for row in rows:
        table.add_row(*("" if v is None else str(v) for v in row))
    console.print(table)


def _verify(ctx: Context) -> bool | str:
    """TLS trust of outgoing calls: the CA bundle of setting ``pact_tls_ca``, else the
    system's."""
    return str(ctx.settings.pact_tls_ca or "") or True


def _openapi(path: Path | None, ctx: Context) -> OpenApiDocument | None:
    chosen = path or (
        Path(str(ctx.settings.pact_openapi_file)) if ctx.settings.pact_openapi_file else None
    )
    return OpenApiDocument.load(chosen) if chosen else None


# -- the host ----------------------------------------------------------------------------------
@pact_app.command("serve")
def serve(
    port: int = typer.Option(None, "--port", help="TCP port (default: setting pact_port)."),
    bind: str = typer.Option(None, "--bind", help="Address (default: setting pact_bind)."),
    no_delivery: bool = typer.Option(
        False, "--no-delivery", help="Do not send outbox events from this process."
    ),
) -> None:
    """Serve the PACT v3 API over HTTPS (self-signed certificate unless one is configured)."""
    from tanzuji.pact_host import server

    changes = {k: v for k, v in (("pact_port", port), ("pact_bind", bind)) if v is not None}
    snapshot = settings.load().replace(**changes) if changes else settings.load()
    ctx = context(need_database=True)
    ctx = Context.from_settings(snapshot, database=ctx.database, keys=ctx.keys)
    where = server.listener(ctx)
    console.print(
        f"PACT host 主机 https://{where.bind}:{where.port} (certificate {where.certificate}); "
        f"base URL for partners: {service.public_url(ctx)}",
        highlight=False,
        soft_wrap=True,
    )
    server.serve(ctx, delivery=not no_delivery)


@pact_app.command("demo")
def demo_command(
    partner: str = typer.Option("pact-partner", "--partner", help="Partner organisation id."),
    examples: Path = typer.Option(None, "--examples", help="Folder of the example models."),
    as_json: bool = JSON,
) -> None:
    """Certify and publish demo footprints, share them with a partner and issue its
    credentials (shown once)."""
    from tanzuji.cli.demo import examples_dir

    ctx = _ctx(None)
    folder = examples or examples_dir()
    models = [model_input(folder / name, ctx.limits) for name in DEMO_EXAMPLES]
    result = pact_demo.run(ctx, pact_demo.PactDemoRequest(models=models, partner=partner))
    if as_json:
        _print_json(result)
        return
    for certificate, footprint in zip(result.certificates, result.footprints, strict=True):
        console.print(
            f"certificate 证书 {certificate} -> footprint 足迹 {footprint}", highlight=False
        )
    for warning in result.warnings:
        console.print(f"note 注意: {warning}", highlight=False, soft_wrap=True)
    _print_new_client(result.client)


# -- credentials -------------------------------------------------------------------------------
def _print_new_client(new: service.NewClient) -> None:
    console.print(
        f"client for 合作方 {new.partner} (owner 数据所有者 {new.owner})\n"
        f"  client id: {new.client_id}\n  secret 密钥: {new.client_secret}\n"
        "The secret is shown once; only its hash is kept. 密钥仅显示一次。",
        highlight=False,
        soft_wrap=True,
    )


@client_app.command("add")
def client_add(
    partner: str = typer.Argument(..., help="Partner organisation id (tanzuji org list)."),
    owner: str = ORG,
    label: str = typer.Option("", "--label"),
    actor: str = AS,
    as_json: bool = JSON,
) -> None:
    """Issue client credentials to a partner (the secret is shown once)."""
    new = service.add_client(
        _ctx(actor), service.ClientRequest(owner=owner, partner=partner, label=label)
    )
    if as_json:
        _print_json(new)
    else:
        _print_new_client(new)


@client_app.command("list")
def client_list(owner: str = ORG, actor: str = AS, as_json: bool = JSON) -> None:
    """Credentials issued (never their secrets)."""
    found = service.clients(_ctx(actor), owner)
    if as_json:
        _print_json(found)
        return
    rows = [
        (c.client_id, c.owner, c.partner, c.label, c.created_at, c.revoked_at or "active")
        for c in found
    ]
    _table(
        "PACT clients 凭据", ("client id", "owner", "partner", "label", "created", "revoked"), rows
    )


@client_app.command("revoke")
def client_revoke(client_id: str = typer.Argument(...), actor: str = AS) -> None:
    """Revoke credentials: their tokens stop working at once."""
    view = service.revoke_client(_ctx(actor), client_id)
    console.print(f"client {view.client_id} revoked 已撤销 at {view.revoked_at}", highlight=False)


# -- profile, sharing, publishing -------------------------------------------------------------
@pact_app.command("profile")
def profile(
    company_id: list[str] = typer.Option(..., "--company-id", help="Company URN (repeat)."),
    domain: str = typer.Option(..., "--domain", help="Domain of product URNs."),
    organisation: str = ORG,
    actor: str = AS,
) -> None:
    """Set the organisation's PACT identity (company URNs, product-URN domain)."""
    view = service.set_profile(
        _ctx(actor),
        service.ProfileRequest(
            organisation=organisation, company_ids=company_id, product_domain=domain
        ),
    )
    console.print(
        f"{view.organisation}: company ids {', '.join(view.company_ids)}; product ids "
        f"urn:pact:{view.product_domain}:supplier-id:PRODUCT",
        highlight=False,
    )


@pact_app.command("share")
def share(
    partner: str = typer.Option(None, "--partner", help="Partner organisation (omit: all)."),
    product: str = typer.Option(None, "--product", help="Product id (omit: every product)."),
    owner: str = ORG,
    actor: str = AS,
) -> None:
    """Let a partner (or every partner) read a product's footprints (or all)."""
    view = service.share(
        _ctx(actor), service.ShareRequest(owner=owner, partner=partner, product=product)
    )
    console.print(
        f"share {view.id}: {view.owner} -> {view.partner or 'every partner 所有合作方'}, "
        f"{view.product or 'every product 所有产品'}",
        highlight=False,
    )


@pact_app.command("shares")
def shares(owner: str = ORG, actor: str = AS, as_json: bool = JSON) -> None:
    """Sharing rules."""
    found = service.shares(_ctx(actor), owner)
    if as_json:
        _print_json(found)
        return
    rows = [(s.id, s.owner, s.partner or "*", s.product or "*", s.created_at) for s in found]
    _table("PACT shares 共享", ("id", "owner", "partner", "product", "created"), rows)


@pact_app.command("unshare")
def unshare(share_id: int = typer.Argument(...), actor: str = AS) -> None:
    """Remove a sharing rule."""
    view = service.unshare(_ctx(actor), share_id)
    console.print(f"share {view.id} removed 已删除", highlight=False)


@pact_app.command("publish")
def publish(
    certificate_id: str = typer.Argument(...),
    fossil_carbon: float = typer.Option(
        ..., "--fossil-carbon-content", help="kg fossil carbon per declared unit (0 if none)."
    ),
    product_id: list[str] = typer.Option(None, "--product-id", help="Product URN (repeat)."),
    company_id: list[str] = typer.Option(None, "--company-id", help="Company URN (repeat)."),
    classification: list[str] = typer.Option(None, "--classification", help="URN (repeat)."),
    packaging: bool = typer.Option(None, "--packaging/--no-packaging"),
    comment: str = typer.Option("", "--comment"),
    actor: str = AS,
    as_json: bool = JSON,
) -> None:
    """Publish a certificate's result as a PACT ProductFootprint (发布 PACT 足迹)."""
    result = service.publish(
        _ctx(actor),
        service.PublishRequest(
            certificate_id=certificate_id,
            fossil_carbon_content_kg=fossil_carbon,
            product_ids=product_id or [],
            company_ids=company_id or [],
            classifications=classification or [],
            packaging_included=packaging,
            comment=comment,
        ),
    )
    if as_json:
        _print_json(result)
        return
    said = "published 已发布" if result.created else "unchanged 无变化 (same as the newest)"
    console.print(f"footprint 足迹 {result.footprint.id} {said}", highlight=False)
    for old in result.deprecated:
        console.print(f"  deprecated 已废弃 {old}", highlight=False)
    for url in result.notices:
        console.print(f"  PublishedEvent queued for {url}", highlight=False)
    for warning in result.warnings:
        console.print(f"note 注意: {warning}", highlight=False, soft_wrap=True)


@pact_app.command("footprints")
def footprints(owner: str = ORG, actor: str = AS, as_json: bool = JSON) -> None:
    """Footprints published (withdrawn and deprecated ones too)."""
    found = service.footprints_of(_ctx(actor), owner)
    if as_json:
        _print_json(found)
        return
    rows = [
        (
            f.id,
            f.owner,
            f.product,
            f.certificate_id,
            f.status,
            f.withdrawn_reason or "",
            f.superseded_by,
        )
        for f in found
    ]
    _table(
        "PACT footprints 足迹",
        ("id", "owner", "product", "certificate", "status", "withdrawn", "superseded by"),
        rows,
    )


# -- requests received ----------------------------------------------------------------------
@pact_app.command("tasks")
def tasks(
    owner: str = ORG,
    status: str = typer.Option(None, "--status", help="open, fulfilled or rejected."),
    actor: str = AS,
    as_json: bool = JSON,
) -> None:
    """Requests received from partners (RequestCreatedEvents) and their answers."""
    found = service.tasks(_ctx(actor), owner, status)
    if as_json:
        _print_json(found)
        return
    rows = [
        (
            t.id,
            t.partner,
            ", ".join(t.criteria.get("productId") or []),
            t.status,
            t.decided_by,
            ", ".join(t.footprint_ids or t.candidates),
            t.error_message,
        )
        for t in found
    ]
    _table(
        "PACT tasks 请求任务",
        ("id", "partner", "product ids", "status", "by", "footprints (sent or matching)", "error"),
        rows,
    )


@pact_app.command("fulfil")
def fulfil(
    task_id: int = typer.Argument(...),
    footprint: list[str] = typer.Option(None, "--footprint", help="Footprint id (repeat)."),
    actor: str = AS,
) -> None:
    """Answer a request with footprints (default: those that match it)."""
    view = service.fulfil(
        _ctx(actor), service.FulfilRequest(task_id=task_id, footprint_ids=footprint or [])
    )
    console.print(
        f"task {view.id} fulfilled 已完成: {', '.join(view.footprint_ids)} "
        "(RequestFulfilledEvent queued)",
        highlight=False,
    )


@pact_app.command("reject")
def reject(
    task_id: int = typer.Argument(...),
    message: str = typer.Option(..., "--message"),
    code: str = typer.Option("NotFound", "--code", help="PACT error code."),
    actor: str = AS,
) -> None:
    """Answer a request with an error (RequestRejectedEvent)."""
    view = service.reject(
        _ctx(actor), service.RejectRequest(task_id=task_id, code=code, message=message)
    )
    console.print(f"task {view.id} rejected 已拒绝 ({view.error_code})", highlight=False)


# -- the outbox -----------------------------------------------------------------------------------
@pact_app.command("events")
def events(
    organisation: str = ORG,
    state: str = typer.Option(None, "--state", help="pending, delivered or abandoned."),
    actor: str = AS,
    as_json: bool = JSON,
) -> None:
    """Outgoing events and their delivery state (发送队列)."""
    found = service.events(_ctx(actor), organisation, state)
    if as_json:
        _print_json(found)
        return
    rows = [
        (
            e.id,
            e.type.rsplit(".", 2)[-2],
            e.target_url,
            e.state,
            e.attempts,
            e.next_attempt_at or e.delivered_at,
            e.last_status,
            e.last_error,
        )
        for e in found
    ]
    _table(
        "PACT events 事件",
        ("id", "type", "to", "state", "attempts", "next / delivered", "status", "last error"),
        rows,
    )


@pact_app.command("deliver")
def deliver(actor: str = AS) -> None:
    """Send the events that are due now (what the host's loop does)."""
    ctx = _ctx(actor)
    done = service.deliver_due(
        ctx, keys.secret_box(ctx.data_dir), service.http_dispatcher(_verify(ctx))
    )
    for event in done:
        console.print(
            f"{event.id} {event.type} -> {event.target_url}: {event.state}"
            + (f" ({event.last_error})" if event.last_error else ""),
            highlight=False,
            soft_wrap=True,
        )
    if not done:
        console.print("nothing due 无待发送事件", highlight=False)


# -- data recipient ----------------------------------------------------------------------------
@remote_app.command("add")
def remote_add(
    partner: str = typer.Argument(..., help="Organisation running the host."),
    base_url: str = typer.Argument(..., help="The host's base URL (https://...)."),
    client_id: str = typer.Option(..., "--client-id"),
    secret: str = typer.Option(..., "--secret", help="The secret the host's owner issued."),
    auth_url: str = typer.Option(None, "--auth-url", help="Auth base URL, when different."),
    organisation: str = ORG,
    actor: str = AS,
) -> None:
    """Record another host and the credentials it issued us (the secret is sealed)."""
    ctx = _ctx(actor)
    view = pact_client.add_remote(
        ctx,
        keys.secret_box(ctx.data_dir),
        pact_client.RemoteRequest(
            organisation=organisation,
            partner=partner,
            base_url=base_url,
            client_id=client_id,
            client_secret=secret,
            auth_base_url=auth_url,
        ),
    )
    console.print(
        f"remote {view.id}: {view.organisation} -> {view.base_url} ({view.partner})",
        highlight=False,
    )


@remote_app.command("list")
def remote_list(organisation: str = ORG, actor: str = AS, as_json: bool = JSON) -> None:
    found = pact_client.remotes(_ctx(actor), organisation)
    if as_json:
        _print_json(found)
        return
    rows = [
        (r.id, r.organisation, r.partner, r.base_url, r.client_id, r.revoked_at or "active")
        for r in found
    ]
    _table(
        "PACT remotes 外部主机", ("id", "us", "partner", "base URL", "client id", "revoked"), rows
    )


@remote_app.command("revoke")
def remote_revoke(remote_id: int = typer.Argument(...), actor: str = AS) -> None:
    view = pact_client.revoke_remote(_ctx(actor), remote_id)
    console.print(f"remote {view.id} ({view.base_url}) no longer used", highlight=False)


@pact_app.command("fetch")
def fetch(
    host: str = typer.Option(..., "--host", help="The supplier's PACT host (base URL)."),
    client_id: str = typer.Option(None, "--client-id", help="Default: the remote's."),
    secret: str = typer.Option(None, "--secret"),
    product_id: list[str] = typer.Option(None, "--product-id", help="productId filter (repeat)."),
    openapi: Path = typer.Option(
        None, "--openapi", help="PACT OpenAPI document to validate against (JSON/YAML)."
    ),
    draft: bool = typer.Option(False, "--draft", help="Store the factors as draft."),
    organisation: str = ORG,
    actor: str = AS,
    as_json: bool = JSON,
) -> None:
    """Fetch a supplier's footprints and store them as primary-data factors (获取供应商足迹)."""
    ctx = _ctx(actor)
    result = pact_client.fetch(
        ctx,
        keys.secret_box(ctx.data_dir),
        pact_client.FetchRequest(
            organisation=organisation,
            base_url=host,
            client_id=client_id,
            client_secret=secret,
            product_ids=product_id or [],
            publish=not draft,
        ),
        verify=_verify(ctx),
        openapi=_openapi(openapi, ctx),
    )
    if as_json:
        _print_json(result)
        return
    console.print(
        f"{result.host}: {result.listed} listed, {len(result.received)} stored, "
        f"{len(result.unchanged)} known or inactive, {len(result.refused)} refused "
        f"(validated against {result.validated_against})",
        highlight=False,
        soft_wrap=True,
    )
    for r in result.received:
        update = " (new version 新版本)" if r.new_version else ""
        console.print(
            f"  {r.footprint_id} -> factor 因子 {r.factor_id} v{r.factor_version}{update}; "
            f"{r.verification}",
            highlight=False,
            soft_wrap=True,
        )
    for reason in result.refused:
        console.print(f"  refused 拒收: {reason}", highlight=False, soft_wrap=True)
    for a in result.affected:
        change = f"{a.delta_percent:+.2f} %" if a.delta_percent is not None else a.problem
        console.print(
            f"  affects certificate 影响证书 {a.certificate_id}: {a.certified_kg_co2e:g} -> "
            f"{a.recomputed_kg_co2e} kg CO2e ({change})",
            highlight=False,
            soft_wrap=True,
        )


@pact_app.command("request")
def request(
    host: str = typer.Option(..., "--host", help="The supplier's host (a remote)."),
    product_id: list[str] = typer.Option(..., "--product-id", help="Product URN (repeat)."),
    comment: str = typer.Option("", "--comment"),
    organisation: str = ORG,
    actor: str = AS,
) -> None:
    """Ask a supplier's host for footprints (RequestCreatedEvent, sent by the outbox)."""
    view = pact_client.request_footprints(
        _ctx(actor),
        pact_client.FootprintRequest(
            organisation=organisation, base_url=host, product_ids=product_id, comment=comment
        ),
    )
    console.print(f"request 请求 {view.id} queued for {view.base_url}", highlight=False)


@pact_app.command("requests")
def requests(organisation: str = ORG, actor: str = AS, as_json: bool = JSON) -> None:
    """Requests sent and their answers."""
    found = pact_client.requests(_ctx(actor), organisation)
    if as_json:
        _print_json(found)
        return
    rows = [
        (
            r.id,
            r.base_url,
            ", ".join(r.criteria.get("productId") or []),
            r.status,
            json.dumps(r.answer or {}),
        )
        for r in found
    ]
    _table("PACT requests 请求", ("id", "host", "product ids", "status", "answer"), rows)


@pact_app.command("received")
def received(as_json: bool = JSON) -> None:
    """Footprints received and the factor versions they became."""
    found = pact_client.received(_ctx(None))
    if as_json:
        _print_json(found)
        return
    rows = [
        (r.host, r.footprint_id, r.supplier, r.factor_id, r.factor_version, r.verification, r.via)
        for r in found
    ]
    _table(
        "PACT received 已接收",
        ("host", "footprint", "supplier", "factor", "v", "verification", "via"),
        rows,
    )


@pact_app.command("inbox")
def inbox(organisation: str = ORG, actor: str = AS, as_json: bool = JSON) -> None:
    """PublishedEvents (and other notices) received."""
    found = pact_client.notices(_ctx(actor), organisation)
    if as_json:
        _print_json(found)
        return
    rows = [
        (n.id, n.partner, n.type.rsplit(".", 2)[-2], ", ".join(n.footprint_ids), n.handled, n.note)
        for n in found
    ]
    _table("PACT inbox 收件箱", ("id", "partner", "type", "footprints", "handled", "note"), rows)
