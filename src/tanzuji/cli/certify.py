"""``tanzuji certify`` — the certification workflow from the command line.

Who acts is named with ``--as USER``: a user of the database (``tanzuji user list``), one
person in one role for one organisation. The command line trusts the local operator to choose
``--as``; it authenticates no one. Each command parses its arguments, calls
:mod:`tanzuji.services.certification` and prints the result.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape
from rich.table import Table

from tanzuji.certify.provenance import FactorConcern
from tanzuji.certify.records import Application, LabelType, NeutralityClaim
from tanzuji.cli.app import app, console, context, echo_or_write
from tanzuji.cli.inputs import model_input, read_bytes, read_json
from tanzuji.errors import CertificationError, FactorsNotWaived
from tanzuji.limits import InputLimits
from tanzuji.model.files import parse_document, validate_document
from tanzuji.services import certification as service
from tanzuji.services import ledger
from tanzuji.services.certification import CertificateEvent, ReviewAction

certify_app = typer.Typer(help="Certification workflow 认证流程.", no_args_is_help=True)
keys_app = typer.Typer(help="Platform signing keys 平台签名密钥.", no_args_is_help=True)
app.add_typer(certify_app, name="certify")
certify_app.add_typer(keys_app, name="keys")

AS = typer.Option(..., "--as", help="User acting (tanzuji user list).")
REASON = typer.Option(..., "--reason")


def _evidence(paths: list[Path], limits: InputLimits) -> list[service.EvidenceInput]:
    return [
        service.EvidenceInput(
            name=p.name, content=read_bytes(p, "evidence file", CertificationError, limits)
        )
        for p in paths
    ]


def _neutrality(path: Path, limits: InputLimits) -> NeutralityClaim:
    raw = read_bytes(path, "neutrality claim", CertificationError, limits)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CertificationError(f"{path} is not UTF-8 text (byte {exc.start})") from None
    data, where = parse_document(
        text,
        str(path),
        "a neutrality claim (see docs/certification.md)",
        max_nodes=limits.max_document_nodes,
    )
    return validate_document(
        NeutralityClaim, data, where, what=f"the neutrality claim {path}", error=CertificationError
    )


def _said(application: Application) -> None:
    last = application.audit[-1]
    console.print(f"{application.id}: {last.action} -> {application.state.value}", highlight=False)


def certificate_file(document: dict[str, Any], out: Path | None, data_dir: Path) -> Path:
    cert_id = document["certificate"]["certificate_id"]
    path = out or data_dir / "certificates" / f"{cert_id}.json"
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# -- applicant --------------------------------------------------------------------------------
@certify_app.command()
def apply(
    model: Path = typer.Argument(..., help="Product model file (YAML or JSON)."),
    actor_id: str = AS,
    pcr: str = typer.Option(..., "--pcr", help="PCR id the model follows."),
    pcr_version: str = typer.Option("latest", "--pcr-version"),
    release: str = typer.Option(
        None,
        "--release",
        help="Factor release to pin (default: setting factor_release; 'builtin' for the "
        "starter data; none: the newest published factors).",
    ),
    label: LabelType = typer.Option(LabelType.disclosure, "--label"),
    baseline: str = typer.Option(None, "--baseline", help="Reduction: earlier certificate id."),
    neutrality: Path = typer.Option(None, "--neutrality", help="Neutrality claim YAML."),
    evidence: list[Path] = typer.Option([], "--evidence", help="Evidence file (repeatable)."),
) -> None:
    """Open an application for a product model (申请); the footprint is computed now."""
    ctx = context(actor=actor_id)
    # every file is read before anything is stored: a bad one leaves no half-made application
    request = service.ApplyRequest(
        model=model_input(model, ctx.limits),
        pcr_id=pcr,
        pcr_version=pcr_version,
        release=release,
        label=label,
        baseline_certificate_id=baseline,
        neutrality=_neutrality(neutrality, ctx.limits) if neutrality else None,
        evidence=_evidence(evidence, ctx.limits),
    )
    application = service.apply(ctx, request)
    version = application.model_versions[-1]
    console.print(
        f"application {application.id} (draft): {version.total_kg_co2e:.6g} kg CO2e per FU, "
        f"factor release {application.factor_release}",
        highlight=False,
    )
    print_factor_concerns(service.open_factor_concerns(application))


def print_factor_concerns(concerns: list[FactorConcern]) -> None:
    """Warn of factors that need a verifier's waiver before sign-off and approval."""
    if not concerns:
        return
    console.print(
        f"[yellow]warning 注意[/] {len(concerns)} factor(s) are draft, illustrative or unsourced "
        "(草稿、示意或无来源因子); sign-off and approval need a verifier's waiver for each, or "
        "sourced replacements / 签字与批准前须逐一豁免或替换:"
    )
    for concern in concerns:
        console.print(f"  {escape(concern.describe_en())}", highlight=False)


@certify_app.command("evidence")
def add_evidence(
    application_id: str,
    files: list[Path] = typer.Argument(..., help="Evidence files."),
    actor_id: str = AS,
) -> None:
    """Attach evidence files to an application (证据)."""
    ctx = context(actor=actor_id)
    _said(service.add_evidence(ctx, application_id, _evidence(files, ctx.limits)))


@certify_app.command()
def submit(application_id: str, actor_id: str = AS) -> None:
    """Submit a draft application (提交)."""
    _said(service.submit(context(actor=actor_id), application_id))


@certify_app.command()
def answer(application_id: str, finding_id: int, text: str, actor_id: str = AS) -> None:
    """Applicant answers a finding (答复)."""
    _said(service.answer(context(actor=actor_id), application_id, finding_id, text))


@certify_app.command()
def revise(application_id: str, model: Path, actor_id: str = AS, reason: str = REASON) -> None:
    """Applicant changes the model: a new model version, recalculated (修改模型)."""
    ctx = context(actor=actor_id)
    request = service.ReviseRequest(
        application_id=application_id, model=model_input(model, ctx.limits), reason=reason
    )
    application = service.revise(ctx, request)
    console.print(f"{application.id}: {application.audit[-1].reason}", highlight=False)


# -- verifier and decision maker --------------------------------------------------------------
def waiver_hint(refusal: FactorsNotWaived) -> str:
    """How to resolve the factor gate's refusal on the command line (its commands)."""
    app_id = refusal.details["application_id"]
    factors = ", ".join(refusal.details["factor_ids"])
    return (
        f"Next: for each of {factors}, tanzuji certify review {app_id} waive --factor FACTOR "
        f"--text REASON --as VERIFIER; or tanzuji certify revise {app_id} MODEL_FILE --reason "
        f"REASON --as APPLICANT / 下一步：核查员对每个因子（{factors}）执行 tanzuji certify "
        f"review {app_id} waive --factor 因子 --text 理由 --as 核查员；或申请人执行 tanzuji "
        f"certify revise {app_id} 模型文件 --reason 理由 --as 申请人"
    )


@contextmanager
def _cli_hints() -> Iterator[None]:
    """The factor gate's refusal with the commands that resolve it."""
    try:
        yield
    except FactorsNotWaived as refusal:
        raise refusal.with_hint(waiver_hint(refusal)) from None


def read_pcr_findings(path: Path, limits: InputLimits) -> list[service.PcrFinding]:
    """Findings from a JSON list of ``{severity, message}`` (a checker's result)."""
    items = read_json(path, "PCR findings file", CertificationError, limits)
    if not isinstance(items, list) or not all(
        isinstance(i, dict) and isinstance(i.get("severity"), str) for i in items
    ):
        raise CertificationError(
            f"{path}: expected a JSON list of {{severity, message}} objects, found "
            f"{type(items).__name__}"
            + ("" if not isinstance(items, list) else " items without a text 'severity'")
        )
    return [
        service.PcrFinding(severity=i["severity"], message=str(i.get("message", ""))) for i in items
    ]


@certify_app.command()
def review(
    application_id: str,
    action: ReviewAction = typer.Argument(..., help="The verifier's step, or reassign."),
    actor_id: str = AS,
    text: str = typer.Option("", "--text", help="Finding text or reason."),
    to_user: str = typer.Option(
        "", "--to", help="reassign: the verifier who takes over (with --text, the reason)."
    ),
    finding_id: int = typer.Option(0, "--finding", help="Finding number (close)."),
    factor_id: str = typer.Option(
        "", "--factor", help="waive: the draft, illustrative or unsourced factor (with --text)."
    ),
    pcr_findings: Path = typer.Option(
        None,
        "--pcr-findings",
        help="pcr-check: a checker's result, JSON list of {severity, message} (default: run "
        "the PCR checker on the stored model).",
    ),
) -> None:
    """Verifier steps: review, PCR check, findings, factor waivers, sign-off, surveillance
    (审核/核查); reassign: the body's decision maker or an administrator hands the review to
    another verifier (更换核查员)."""
    ctx = context(actor=actor_id)
    findings = read_pcr_findings(pcr_findings, ctx.limits) if pcr_findings else None
    request = service.ReviewRequest(
        application_id=application_id,
        action=action,
        text=text,
        finding_id=finding_id,
        factor_id=factor_id,
        to_user=to_user,
        findings=findings,
    )
    with _cli_hints():
        result = service.review(ctx, request)
    if action is ReviewAction.pcr_check:
        print_pcr_findings(result)
    _said(result.application)
    if action is ReviewAction.reassign:
        console.print(f"核查员 {escape(result.application.audit[-1].reason)}", highlight=False)


def print_pcr_findings(result: service.ReviewResult) -> None:
    """The findings a PCR check recorded, errors first, and their count."""
    order = {"error": 0, "warning": 1, "info": 2}
    for finding in sorted(result.findings, key=lambda f: order.get(f.severity, 3)):
        where = f" {finding.location}" if finding.location else ""
        rule = f" {finding.rule}" if finding.rule else ""
        console.print(
            f"  {finding.severity}{escape(rule)}{escape(where)}: {escape(finding.message)}",
            highlight=False,
        )
    console.print(f"PCR check 产品种类规则核查: {result.application.audit[-1].reason}")


@certify_app.command()
def decide(
    application_id: str,
    actor_id: str = AS,
    approve: bool = typer.Option(..., "--approve/--reject"),
    reason: str = REASON,
) -> None:
    """Decision maker approves or rejects (决定)."""
    request = service.DecideRequest(application_id=application_id, approve=approve, reason=reason)
    with _cli_hints():
        decided = service.decide(context(actor=actor_id), request)
    _said(decided)


# -- certificates -----------------------------------------------------------------------------
@certify_app.command()
def issue(
    application_id: str,
    actor_id: str = AS,
    out: Path = typer.Option(None, "--out", help="Certificate file (default in data_dir)."),
) -> None:
    """Issue, sign and log the certificate of an approved application (发证)."""
    ctx = context(actor=actor_id)
    result = service.issue(ctx, application_id)
    path = certificate_file(result.document or {}, out, ctx.data_dir)
    a = result.application
    console.print(
        f"certificate {a.certificate_id} issued, valid until {a.valid_until}: {path}",
        highlight=False,
    )
    for earlier in result.superseded:
        console.print(f"certificate {earlier} superseded 已被取代", highlight=False)


def _event(cert_id: str, actor_id: str, event: CertificateEvent, reason: str) -> None:
    ctx = context(actor=actor_id)
    result = service.certificate_event(ctx, cert_id, event, reason)
    console.print(f"certificate {cert_id}: {result.application.state.value}", highlight=False)
    if result.document is not None:
        path = certificate_file(result.document, None, ctx.data_dir)
        console.print(f"new version: {path}", highlight=False)


@certify_app.command()
def renew(
    cert_id: str, actor_id: str = AS, reason: str = typer.Option("renewal", "--reason")
) -> None:
    """Renew a certificate (换证): a new signed version, logged."""
    _event(cert_id, actor_id, CertificateEvent.renewed, reason)


@certify_app.command()
def suspend(cert_id: str, actor_id: str = AS, reason: str = REASON) -> None:
    """Suspend a certificate (暂停)."""
    _event(cert_id, actor_id, CertificateEvent.suspended, reason)


@certify_app.command()
def reinstate(cert_id: str, actor_id: str = AS, reason: str = REASON) -> None:
    """Reinstate a suspended certificate (恢复); it returns to surveillance."""
    _event(cert_id, actor_id, CertificateEvent.reinstated, reason)


@certify_app.command()
def revoke(cert_id: str, actor_id: str = AS, reason: str = REASON) -> None:
    """Revoke a certificate (撤销)."""
    _event(cert_id, actor_id, CertificateEvent.revoked, reason)


@certify_app.command()
def expire(cert_id: str, actor_id: str = AS) -> None:
    """Mark a certificate expired after its validity ended (到期)."""
    _event(cert_id, actor_id, CertificateEvent.expired, "")


@certify_app.command()
def status(identifier: str = typer.Argument(..., help="Application or certificate id.")) -> None:
    """Public status and audit trail of an application or certificate (状态)."""
    view = service.status(context(need_database=True), identifier)
    console.print(
        " · ".join(f"{k}: {v}" for k, v in view.public.items() if v is not None), highlight=False
    )
    table = Table("seq", "at", "who", "action", "state", "why")
    for line in view.audit:
        table.add_row(
            str(line.seq),
            line.at.isoformat(),
            f"{line.actor_id} ({line.role.value})",
            line.action,
            line.to_state.value if line.to_state else "",
            escape(line.reason),
        )
    console.print(table)


@certify_app.command()
def show(identifier: str = typer.Argument(..., help="Certificate or application id.")) -> None:
    """A certificate as it stands today: value, removals, waivers, validity, surveillance (证书)."""
    print_certificate(service.show(context(need_database=True), identifier))


def print_certificate(view: service.CertificateView) -> None:
    cert, public = view.certificate, view.public
    line = f"{cert.certificate_id} v{cert.version} · {public['state']}"
    if public.get("superseded_by"):
        line += f" by {public['superseded_by']}"
    console.print(line, highlight=False)
    console.print(
        f"  {cert.company.get('name', '')} · {cert.product.get('zh', '')} "
        f"{cert.product.get('en', '')} · {cert.label.get('type')} label · PCR "
        f"{cert.pcr.get('id')} {cert.pcr.get('version')}",
        highlight=False,
    )
    console.print(
        f"  label value 标识值 {cert.footprint_kg_co2e:.6g} kg CO2e per "
        f"{cert.functional_unit_text()}",
        highlight=False,
    )
    if cert.removals:
        r = cert.removals
        console.print(
            f"  with removals 含清除 {r['with_removals_kg_co2e']:.6g} · without removals 不含清除 "
            f"{r['without_removals_kg_co2e']:.6g} kg CO2e (biogenic removals "
            f"{r['biogenic_removals_kg_co2e']:.6g}); {escape(r['rule'])}",
            highlight=False,
        )
    console.print(
        f"  valid 有效期 {cert.validity.valid_from} – {cert.validity.valid_until}"
        + (
            f" · surveillance due 监督 {', '.join(view.surveillance_due)}"
            if view.surveillance_due
            else ""
        ),
        highlight=False,
    )
    if public.get("surveillance_overdue"):
        console.print(f"  [red]surveillance overdue 监督逾期[/] (due {public['surveillance_due']})")
    for waiver in cert.factor_waivers or []:
        console.print(
            f"  waiver 豁免 {escape(waiver['factor_id'])}@{escape(waiver['version'])} "
            f"({', '.join(waiver['concerns'])}) by {escape(waiver['waived_by'])}: "
            f"{escape(waiver['reason'])}",
            highlight=False,
        )


@certify_app.command(name="recheck")
def recheck_command(
    release: str = typer.Option(..., "--release", help="New factor release name."),
) -> None:
    """Certificates affected by a new factor release, with footprint deltas (复核)."""
    rows = service.recheck(context(need_database=True), release)
    if not rows:
        console.print(f"no certificate depends on a factor changed in release {release}")
        return
    table = Table("certificate", "changed factors", "certified", "recomputed", "delta %")
    for row in rows:
        table.add_row(
            row.certificate_id,
            ", ".join(row.changed_factors) or escape(row.problem or ""),
            f"{row.certified_kg_co2e:.6g}",
            "—" if row.recomputed_kg_co2e is None else f"{row.recomputed_kg_co2e:.6g}",
            "—" if row.delta_percent is None else f"{row.delta_percent:+.2f}",
        )
    console.print(table)


@keys_app.command("export")
def keys_export(out: Path = typer.Option(None, "--out")) -> None:
    """Write the public keyring verifiers need (公钥)."""
    echo_or_write(ledger.keyring(context()).to_json(), out, "public keyring")


@keys_app.command("rotate")
def keys_rotate() -> None:
    """Make a new signing key; earlier keys stay in the keyring for old certificates."""
    console.print(f"new signing key {ledger.rotate_key(context())}", highlight=False)
