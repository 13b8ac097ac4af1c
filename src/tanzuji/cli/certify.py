"""``tanzuji certify | label | verify | ledger`` — certification from the command line.

Who acts is named with ``--as ACTOR`` and looked up in the participants file
(``<data_dir>/participants.yaml`` or ``--participants``): organisations (enterprise,
certification body with its accreditation, platform) and their people with one role each.
The command line trusts the local operator to choose ``--as``; the web edge authenticates.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import typer
import yaml
from rich.table import Table

from tanzuji import settings
from tanzuji.certify import workflow as wf
from tanzuji.certify.certificate import (
    Certificate,
    Keyring,
    KeyStore,
    SignedCertificate,
    load_json,
)
from tanzuji.certify.labels import decode_qr_image, render_png, render_svg
from tanzuji.certify.publish import publish
from tanzuji.certify.recheck import recheck
from tanzuji.certify.records import (
    Actor,
    Application,
    LabelType,
    NeutralityClaim,
    Organisation,
    Role,
)
from tanzuji.certify.verify import Report, StatusBundle, verify_certificate, verify_token_text
from tanzuji.cli.app import app, console
from tanzuji.cli.calc import default_factor_source
from tanzuji.errors import (
    CertificationError,
    ModelFileError,
    NotFound,
    TanzujiError,
    VerificationFailed,
)
from tanzuji.factors.database import DatabaseFactorSource
from tanzuji.model.files import (
    SourceMap,
    T,
    parse_document,
    read_input_bytes,
    validate_document,
)
from tanzuji.store.certify import CertificationStore
from tanzuji.store.db import engine_for, upgrade

certify_app = typer.Typer(help="Certification workflow 认证流程.", no_args_is_help=True)
label_app = typer.Typer(help="Label artwork 标识.", no_args_is_help=True)
ledger_app = typer.Typer(help="Transparency ledger 透明账本.", no_args_is_help=True)
keys_app = typer.Typer(help="Platform signing keys 平台签名密钥.", no_args_is_help=True)
app.add_typer(certify_app, name="certify")
app.add_typer(label_app, name="label")
app.add_typer(ledger_app, name="ledger")
certify_app.add_typer(keys_app, name="keys")


# -- context ----------------------------------------------------------------------------------
def data_dir() -> Path:
    return Path(settings.get("data_dir")).expanduser()


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def open_store() -> CertificationStore:
    engine = engine_for()
    upgrade(engine)
    return CertificationStore(engine)


def key_store() -> KeyStore:
    return KeyStore(data_dir() / "keys")


def participants_path(path: Path | None) -> Path:
    return path or data_dir() / "participants.yaml"


def load_participants(path: Path | None) -> dict[str, Actor]:
    """Actors by id from the participants file."""
    file = participants_path(path)
    if not file.is_file():
        raise CertificationError(
            f"participants file {file} is missing; write one with 'organisations' and 'actors' "
            "(see docs/certification.md) or pass --participants"
        )
    data, where = read_yaml(file, "a participants file (organisations, actors)")
    data = data or {}
    if not isinstance(data, dict):
        raise CertificationError(
            f"{file} holds a {type(data).__name__}; expected a mapping with 'organisations' and "
            "'actors' (see docs/certification.md)"
        )
    orgs = {}
    for i, item in enumerate(data.get("organisations") or []):
        org = validated(Organisation, item, where, f"{file} organisations[{i}]")
        orgs[org.id] = org
    actors = {}
    for i, item in enumerate(data.get("actors") or []):
        line = where.where(("actors", i))
        if not isinstance(item, dict) or not item.get("id") or not item.get("role"):
            raise CertificationError(
                f"{line}: an actor needs 'id', 'role' and 'organisation'; found {item!r}"
            )
        org_id = item.get("organisation")
        if org_id not in orgs:
            raise CertificationError(
                f"{line}: actor {item.get('id')!r} names organisation {org_id!r}, which is not "
                f"listed; known: {sorted(orgs)}"
            )
        actors[item["id"]] = validated(
            Actor,
            {
                "id": item["id"],
                "name": item.get("name", item["id"]),
                "role": item["role"],
                "organisation": orgs[org_id],
            },
            None,
            f"{line} actor {item['id']!r}",
        )
    return actors


def actor_for(actor_id: str, participants: Path | None) -> Actor:
    if actor_id == "public":
        return Actor(
            id="public",
            name="public",
            role=Role.public,
            organisation=Organisation(id="public", name="public", kind="public"),
        )
    actors = load_participants(participants)
    if actor_id not in actors:
        raise NotFound(f"no participant {actor_id!r}; known: {', '.join(sorted(actors))}")
    return actors[actor_id]


def read_file_bytes(path: Path, what: str) -> bytes:
    """Bytes of a file the operator named (size-limited); a missing file is a clear error."""
    return read_input_bytes(Path(path), what, CertificationError)


def read_yaml(path: Path, what: str) -> tuple[Any, SourceMap]:
    """Parse a YAML/JSON file the operator named, with the line of every value."""
    raw = read_file_bytes(path, what)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CertificationError(f"{path} is not UTF-8 text (byte {exc.start})") from None
    try:
        return parse_document(text, str(path), expected=what)
    except ModelFileError as exc:
        raise CertificationError(exc.message) from None


def validated(schema: type[T], data: Any, source_map: SourceMap | None, what: str) -> T:
    """``schema`` validated from ``data``; problems become one :class:`CertificationError`."""
    return validate_document(schema, data, source_map, what=what, error=CertificationError)


AS = typer.Option(..., "--as", help="Participant id acting (participants file).")
PARTICIPANTS = typer.Option(None, "--participants", help="Participants YAML file.")
REASON = typer.Option(..., "--reason")


def stored_certificate(store: CertificationStore, cert_id: str) -> Certificate:
    """The newest signed version of certificate ``cert_id`` held in ``store``."""
    return SignedCertificate.model_validate(store.certificate_document(cert_id)).certificate


def write_or_echo(text: str, out: Path | None, what: str) -> None:
    """Write ``text`` to ``out`` (saying so) or, without ``out``, echo it to stdout."""
    if out:
        out.write_text(text + "\n", encoding="utf-8")
        console.print(f"{what} written to {out}")
    else:
        typer.echo(text)


def _publish_event(
    store: CertificationStore, application: Application, event: str, now: dt.datetime, reason: str
) -> dict[str, Any] | None:
    ledger = store.ledger()
    keys = key_store()
    key = keys.active(now)
    store.sync_keys(keys.keyring())
    current = None
    if event not in ("issued", "renewed"):
        current = stored_certificate(store, application.certificate_id or "").sha256()
    publication = publish(
        application,
        event,
        ledger,
        key,
        now,
        str(settings.get("certificate_base_url")),
        reason,
        certificate_sha256=current,
    )
    store.record_publication(publication, application.id)
    if publication.signed is None:
        return None
    return publication.certificate_file(ledger)


def write_certificate_file(document: dict[str, Any], out: Path | None) -> Path:
    cert_id = document["certificate"]["certificate_id"]
    path = out or data_dir() / "certificates" / f"{cert_id}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


# -- certify ----------------------------------------------------------------------------------
@certify_app.command()
def apply(
    model: Path = typer.Argument(..., help="Product model file (YAML or JSON)."),
    actor_id: str = AS,
    pcr: str = typer.Option(..., "--pcr", help="PCR id the model follows."),
    pcr_version: str = typer.Option("1", "--pcr-version"),
    release: str = typer.Option("inline", "--release", help="Factor release used."),
    label: LabelType = typer.Option(LabelType.disclosure, "--label"),
    baseline: str = typer.Option(None, "--baseline", help="Reduction: earlier certificate id."),
    neutrality: Path = typer.Option(None, "--neutrality", help="Neutrality claim YAML."),
    evidence: list[Path] = typer.Option([], "--evidence", help="Evidence file (repeatable)."),
    participants: Path = PARTICIPANTS,
) -> None:
    """Open an application for a product model (申请); the footprint is computed now."""
    actor = actor_for(actor_id, participants)
    store = open_store()
    now = now_utc()
    text = read_model_text(model)
    check_references(store, pcr, pcr_version, release)
    # read every file before anything is stored: a bad one leaves no half-made application
    evidence_files = [(path.name, read_file_bytes(path, "evidence file")) for path in evidence]
    claim = None
    if neutrality is not None:
        data, where = read_yaml(neutrality, "a neutrality claim (see docs/certification.md)")
        claim = validated(NeutralityClaim, data, where, f"the neutrality claim {neutrality}")
    # with a named release, database factors resolve to the versions pinned in it
    factor_source = (
        default_factor_source()
        if release == "inline"
        else DatabaseFactorSource(store.engine, default_release=release)
    )
    application = open_application(
        store,
        text,
        model,
        actor,
        now,
        factor_source,
        pcr_id=pcr,
        pcr_version=pcr_version,
        release=release,
        label=label,
        baseline_certificate_id=baseline,
        neutrality=claim,
    )
    version = application.model_versions[-1]
    contents = {}
    for name, content in evidence_files:
        application = wf.add_evidence(application, actor, name, content, now)
        contents[application.evidence[-1].sha256] = content
    store.save(application, contents)
    console.print(
        f"application {application.id} (draft): {version.total_kg_co2e:.6g} kg CO2e per FU"
    )


def open_application(
    store: CertificationStore,
    model_text: str,
    model: Path,
    actor: Actor,
    now: dt.datetime,
    factor_source: Any,
    *,
    pcr_id: str,
    pcr_version: str,
    release: str,
    label: LabelType,
    baseline_certificate_id: str | None = None,
    neutrality: NeutralityClaim | None = None,
) -> Application:
    """A draft application with model version 1 (reason "initial") computed from ``model_text``.

    The footprint is computed with ``factor_source``; the application id is the next one of
    ``now.year`` in ``store``. Nothing is saved.
    """
    version = wf.compute_model_version(
        model_text,
        version=1,
        reason="initial",
        actor=actor,
        now=now,
        factor_source=factor_source,
        source_path=model,
        pcr=f"{pcr_id}@{pcr_version}",
    )
    return wf.new_application(
        store.next_application_id(now.year),
        actor,
        version,
        pcr_id=pcr_id,
        pcr_version=pcr_version,
        factor_release=release,
        label_type=label,
        now=now,
        baseline_certificate_id=baseline_certificate_id,
        neutrality=neutrality,
    )


def read_model_text(model: Path) -> str:
    """Text of a model file for an application (size-limited, UTF-8)."""
    raw = read_input_bytes(Path(model), "model file", ModelFileError)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ModelFileError(
            f"{model} is not UTF-8 text (byte {exc.start}); save it as UTF-8"
        ) from None


def check_references(store: CertificationStore, pcr: str, pcr_version: str, release: str) -> None:
    """The PCR (id and version) and the factor release an application names must exist."""
    from tanzuji.factors.database import FactorDatabase
    from tanzuji.pcr.registry import get_pcr

    get_pcr(pcr if pcr_version in ("", "latest") else f"{pcr}@{pcr_version}")
    if release != "inline":
        FactorDatabase(store.engine).release(release)


def _step(application_id: str, actor_id: str, participants: Path | None, fn, *args) -> Application:
    actor = actor_for(actor_id, participants)
    store = open_store()
    application = fn(store.load(application_id), actor, *args)
    store.save(application)
    last = application.audit[-1]
    console.print(f"{application.id}: {last.action} -> {application.state.value}")
    return application


@certify_app.command()
def submit(application_id: str, actor_id: str = AS, participants: Path = PARTICIPANTS) -> None:
    """Submit a draft application (提交)."""
    _step(application_id, actor_id, participants, wf.submit, now_utc())


class _PcrFinding:
    def __init__(self, severity: str, message: str) -> None:
        self.severity = severity
        self.message = message


def read_pcr_findings(path: Path) -> list[_PcrFinding]:
    """Findings from a JSON list of ``{severity, message}`` (a checker's result)."""
    items = load_json(path)
    if not isinstance(items, list) or not all(
        isinstance(i, dict) and isinstance(i.get("severity"), str) for i in items
    ):
        raise CertificationError(
            f"{path}: expected a JSON list of {{severity, message}} objects, found "
            f"{type(items).__name__}"
            + ("" if not isinstance(items, list) else " items without a text 'severity'")
        )
    return [_PcrFinding(i["severity"], str(i.get("message", ""))) for i in items]


def run_pcr_check(application: Application) -> list[Any]:
    """Findings of the PCR checker (``tanzuji.pcr.check``) on the current model version.

    Raises
    ------
    CertificationError
        When this build has no PCR checker; pass ``--pcr-findings`` instead.
    """
    try:
        from tanzuji.pcr import check  # type: ignore[import-not-found]
    except ImportError:
        raise CertificationError(
            "this build has no PCR checker (tanzuji.pcr); pass the checker's result with "
            "--pcr-findings FILE (JSON list of {severity, message})"
        ) from None
    model = application.current_model
    if model is None:
        raise CertificationError(f"application {application.id} has no model")
    from tanzuji.model.files import load_model_text

    loaded = load_model_text(model.model_text, f"{application.id} model v{model.version}")
    version = application.pcr_version
    pcr = application.pcr_id if version in ("", "latest") else f"{application.pcr_id}@{version}"
    from tanzuji.footprint import Footprint

    return list(check(loaded, Footprint.model_validate(model.footprint), pcr=pcr))


@certify_app.command()
def review(
    application_id: str,
    action: str = typer.Argument(
        ..., help="start | pcr-check | accept | finding | close | sign-off | surveil"
    ),
    actor_id: str = AS,
    text: str = typer.Option("", "--text", help="Finding text or reason."),
    finding_id: int = typer.Option(0, "--finding", help="Finding number (close)."),
    pcr_findings: Path = typer.Option(
        None, "--pcr-findings", help="PCR check result: JSON list of {severity, message}."
    ),
    participants: Path = PARTICIPANTS,
) -> None:
    """Verifier steps: review, PCR check, findings, sign-off, surveillance (审核/核查)."""
    now = now_utc()
    if action == "pcr-check":
        if pcr_findings is not None:
            findings = read_pcr_findings(pcr_findings)
        else:
            findings = run_pcr_check(open_store().load(application_id))
        _step(application_id, actor_id, participants, wf.record_pcr_check, findings, now)
        return
    steps = {
        "start": lambda a, who: wf.start_review(a, who, now, text),
        "accept": lambda a, who: wf.accept_documents(a, who, now, text),
        "finding": lambda a, who: wf.raise_finding(a, who, text, now),
        "close": lambda a, who: wf.close_finding(a, who, finding_id, now, text),
        "sign-off": lambda a, who: wf.sign_off(a, who, now, text),
        "surveil": lambda a, who: wf.start_surveillance(a, who, now, text),
    }
    if action not in steps:
        raise CertificationError(f"unknown review action {action!r}; one of {sorted(steps)}")
    _step(application_id, actor_id, participants, steps[action])


@certify_app.command()
def answer(
    application_id: str,
    finding_id: int,
    text: str,
    actor_id: str = AS,
    participants: Path = PARTICIPANTS,
) -> None:
    """Applicant answers a finding (答复)."""
    _step(application_id, actor_id, participants, wf.answer_finding, finding_id, text, now_utc())


@certify_app.command()
def revise(
    application_id: str,
    model: Path,
    actor_id: str = AS,
    reason: str = REASON,
    participants: Path = PARTICIPANTS,
) -> None:
    """Applicant changes the model: a new model version, recalculated (修改模型)."""
    actor = actor_for(actor_id, participants)
    store = open_store()
    application = store.load(application_id)
    now = now_utc()
    version = wf.compute_model_version(
        read_model_text(model),
        version=len(application.model_versions) + 1,
        reason=reason,
        actor=actor,
        now=now,
        factor_source=default_factor_source(),
        source_path=model,
        pcr=f"{application.pcr_id}@{application.pcr_version}",
    )
    application = wf.revise_model(application, actor, version, now)
    store.save(application)
    console.print(f"{application.id}: {application.audit[-1].reason}")


@certify_app.command()
def decide(
    application_id: str,
    actor_id: str = AS,
    approve: bool = typer.Option(..., "--approve/--reject"),
    reason: str = REASON,
    participants: Path = PARTICIPANTS,
) -> None:
    """Decision maker approves or rejects (决定)."""
    actor = actor_for(actor_id, participants)
    store = open_store()
    application = store.load(application_id)
    baseline = None
    if application.baseline_certificate_id:
        baseline = stored_certificate(store, application.baseline_certificate_id)
    context = wf.LabelContext(baseline=baseline, used_serials=store.used_serials())
    application = wf.decide(application, actor, approve, reason, now_utc(), context)
    store.save(application)
    console.print(f"{application.id}: {application.state.value}")


@certify_app.command()
def issue(
    application_id: str,
    actor_id: str = AS,
    out: Path = typer.Option(None, "--out", help="Certificate file (default in data_dir)."),
    participants: Path = PARTICIPANTS,
) -> None:
    """Issue, sign and log the certificate of an approved application (发证)."""
    actor = actor_for(actor_id, participants)
    store = open_store()
    now = now_utc()
    application = store.load(application_id)
    cert_id = store.next_certificate_id(now.year)
    application = wf.issue(application, actor, cert_id, now)
    store.save(application)
    document = _publish_event(store, application, "issued", now, "issued")
    path = write_certificate_file(document or {}, out)
    console.print(f"certificate {cert_id} issued, valid until {application.valid_until}: {path}")


def _status_event(
    cert_id: str, actor_id: str, participants: Path | None, fn, event: str, reason: str | None
) -> None:
    actor = actor_for(actor_id, participants)
    store = open_store()
    now = now_utc()
    application = store.by_certificate(cert_id)
    application = (
        fn(application, actor, now, reason) if reason is not None else fn(application, actor, now)
    )
    store.save(application)
    document = _publish_event(store, application, event, now, reason or event)
    console.print(f"certificate {cert_id}: {application.state.value}")
    if document is not None:
        console.print(f"new version: {write_certificate_file(document, None)}")


@certify_app.command()
def renew(
    cert_id: str,
    actor_id: str = AS,
    reason: str = typer.Option("renewal", "--reason"),
    participants: Path = PARTICIPANTS,
) -> None:
    """Renew a certificate (换证): a new signed version, logged."""
    _status_event(cert_id, actor_id, participants, wf.renew, "renewed", reason)


@certify_app.command()
def suspend(
    cert_id: str,
    actor_id: str = AS,
    reason: str = REASON,
    participants: Path = PARTICIPANTS,
) -> None:
    """Suspend a certificate (暂停)."""
    _status_event(cert_id, actor_id, participants, wf.suspend, "suspended", reason)


@certify_app.command()
def revoke(
    cert_id: str,
    actor_id: str = AS,
    reason: str = REASON,
    participants: Path = PARTICIPANTS,
) -> None:
    """Revoke a certificate (撤销)."""
    _status_event(cert_id, actor_id, participants, wf.revoke, "revoked", reason)


@certify_app.command()
def expire(cert_id: str, actor_id: str = AS, participants: Path = PARTICIPANTS) -> None:
    """Mark a certificate expired after its validity ended (到期)."""
    _status_event(cert_id, actor_id, participants, wf.expire, "expired", None)


@certify_app.command()
def status(identifier: str = typer.Argument(..., help="Application or certificate id.")) -> None:
    """Public status and audit trail of an application or certificate (状态)."""
    store = open_store()
    try:
        application = store.load(identifier)
    except NotFound:
        application = store.by_certificate(identifier)
    view = wf.public_view(application)
    console.print(" · ".join(f"{k}: {v}" for k, v in view.items() if v is not None))
    table = Table("seq", "at", "who", "action", "state", "why")
    for line in application.audit:
        table.add_row(
            str(line.seq),
            line.at.isoformat(),
            f"{line.actor_id} ({line.role.value})",
            line.action,
            line.to_state.value if line.to_state else "",
            line.reason,
        )
    console.print(table)


@certify_app.command(name="recheck")
def recheck_command(
    release: str = typer.Option(..., "--release", help="New factor release name."),
) -> None:
    """Certificates affected by a new factor release, with footprint deltas (复核)."""

    store = open_store()
    source = DatabaseFactorSource(store.engine, default_release=release)
    rows = recheck(store.applications(), source)
    if not rows:
        console.print(f"no certificate depends on a factor changed in release {release}")
        return
    table = Table("certificate", "changed factors", "certified", "recomputed", "delta %")
    for row in rows:
        table.add_row(
            row.certificate_id,
            ", ".join(row.changed_factors),
            f"{row.certified_kg_co2e:.6g}",
            f"{row.recomputed_kg_co2e:.6g}",
            f"{row.delta_percent:+.2f}",
        )
    console.print(table)


@keys_app.command("export")
def keys_export(out: Path = typer.Option(None, "--out")) -> None:
    """Write the public keyring verifiers need (公钥)."""
    keys = key_store()
    keys.active()
    write_or_echo(keys.keyring().to_json(), out, "public keyring")


@keys_app.command("rotate")
def keys_rotate() -> None:
    """Make a new signing key; earlier keys stay in the keyring for old certificates."""
    key = key_store().rotate()
    open_store().sync_keys(key_store().keyring())
    console.print(f"new signing key {key.key_id}")


# -- label, verify, ledger --------------------------------------------------------------------
@label_app.command("render")
def label_render(
    cert_id: str,
    fmt: str = typer.Option("png", "--format", help="svg or png"),
    out: Path = typer.Option(None, "--out"),
) -> None:
    """Render the label artwork with its QR code (标识)."""
    document = open_store().certificate_document(cert_id)
    signed = SignedCertificate.model_validate(document)
    if fmt not in ("svg", "png"):
        raise CertificationError(f"--format must be svg or png, found {fmt!r}")
    path = out or data_dir() / "labels" / f"{cert_id}.{fmt}"
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "svg":
        path.write_text(render_svg(signed.certificate, document["qr"]), encoding="utf-8")
    else:
        path.write_bytes(render_png(signed.certificate, document["qr"]))
    console.print(f"label written to {path}")


def _keyring(path: Path | None) -> Keyring:
    file = path or data_dir() / "keys" / "keyring.json"
    if not file.is_file():
        raise CertificationError(
            f"public keyring {file} not found; get it with 'tanzuji certify keys export'"
        )
    return validate_document(
        Keyring, load_json(file), None, what=f"the keyring {file}", error=VerificationFailed
    )


def print_report(report: Report) -> None:
    colour = "green" if report.ok else "red"
    console.print(
        f"[bold {colour}]{report.status.upper()}[/] {report.certificate_id}: "
        f"{report.footprint_kg_co2e:.6g} kg CO2e per FU, valid until {report.valid_until}"
    )
    for check in report.checks:
        console.print(f"  ✓ {check}")


@app.command()
def verify(
    certificate: Path = typer.Argument(None, help="Certificate JSON file."),
    qr: str = typer.Option(None, "--qr", help="Label image (PNG/JPEG) or the QR/token text."),
    keys: Path = typer.Option(None, "--keys", help="Public keyring JSON."),
    status_bundle: Path = typer.Option(
        None, "--status", help="Newer status bundle from 'tanzuji ledger proof'."
    ),
) -> None:
    """Verify a certificate or label offline with only the public keys (验证)."""
    keyring = _keyring(keys)
    bundle = None
    if status_bundle:
        bundle = validate_document(
            StatusBundle,
            load_json(status_bundle),
            None,
            what=f"the status bundle {status_bundle}",
            error=VerificationFailed,
        )
    today = dt.date.today()
    if qr is not None:
        candidate = Path(qr)
        text = qr
        if len(qr) < 4096 and candidate.is_file():
            text = decode_qr_image(read_file_bytes(candidate, "label image"))
        report = verify_token_text(text, keyring, today, bundle)
    elif certificate is not None:
        document = load_json(certificate)
        if not isinstance(document, dict):
            raise VerificationFailed(
                f"{certificate} holds a {type(document).__name__}; expected a certificate "
                "document (certificate, signature, ledger, token)"
            )
        report = verify_certificate(document, keyring, today, bundle)
    else:
        raise CertificationError("give a certificate file or --qr IMAGE_OR_TEXT")
    print_report(report)
    if not report.ok:
        raise typer.Exit(2)


@ledger_app.command("head")
def ledger_head() -> None:
    """The newest signed tree head (签名树头)."""
    typer.echo(open_store().tree_head().model_dump_json(indent=2))


@ledger_app.command("proof")
def ledger_proof(
    cert_id: str, out: Path = typer.Option(None, "--out", help="Write the bundle here.")
) -> None:
    """Status bundle of a certificate: newest head, consistency and inclusion proofs."""
    store = open_store()
    ledger = store.ledger()
    head = store.tree_head()
    ledger.audit(head, key_store().keyring())
    entries = ledger.entries_for(cert_id)
    if not entries:
        raise NotFound(f"certificate {cert_id} is not in the ledger")
    bundle = StatusBundle(
        certificate_id=cert_id,
        tree_head=head,
        consistency={e.index + 1: ledger.consistency(e.index + 1) for e in entries},
        entries=[{"entry": e, "inclusion_proof": ledger.inclusion(e.index)} for e in entries],
    )
    write_or_echo(bundle.model_dump_json(indent=2), out, "status bundle")


@ledger_app.command("audit")
def ledger_audit() -> None:
    """Check the stored log against its newest signed tree head."""
    store = open_store()
    head = store.tree_head()
    try:
        store.ledger().audit(head, key_store().keyring())
    except TanzujiError:
        raise
    console.print(f"ledger of {head.tree_size} entries matches the signed tree head")


# -- demo -------------------------------------------------------------------------------------
DEMO_PARTICIPANTS = {
    "organisations": [
        {
            "id": "demo-enterprise",
            "name": "示例电子有限公司 Demo Electronics Ltd",
            "kind": "enterprise",
        },
        {
            "id": "demo-body",
            "name": "示例认证机构 Demo Certification Body",
            "kind": "certification_body",
            "accredited": True,
        },
        {"id": "platform", "name": "大湾区碳足迹平台 GBA Platform", "kind": "platform"},
    ],
    "actors": [
        {
            "id": "applicant",
            "name": "Li Applicant",
            "role": "applicant",
            "organisation": "demo-enterprise",
        },
        {
            "id": "verifier",
            "name": "Chan Verifier",
            "role": "verifier",
            "organisation": "demo-body",
        },
        {
            "id": "decider",
            "name": "Wong Decider",
            "role": "decision_maker",
            "organisation": "demo-body",
        },
        {
            "id": "admin",
            "name": "Platform Admin",
            "role": "administrator",
            "organisation": "platform",
        },
    ],
}


def _pcr_ref(model: Path) -> tuple[str, str]:
    """(id, version) of the PCR a model names in ``product.pcr``; version "latest" if unpinned."""
    named = (yaml.safe_load(model.read_text("utf-8")).get("product") or {}).get("pcr")
    if not named:
        raise CertificationError(
            f"{model}: product.pcr is not set; the demo certifies only a model that names its PCR"
        )
    pcr_id, _, version = str(named).partition("@")
    return pcr_id, version or "latest"


def certification_demo(model: Path, factor_source: Any, release: str) -> Path:
    """Certify ``model`` end to end with a disclosure label; return the label PNG path.

    apply -> submit -> review -> PCR check (tanzuji.pcr) -> documents accepted -> finding
    answered and closed -> sign-off -> approve -> issue (signed, logged) -> label PNG with QR
    -> offline verification of the QR read back from the PNG.

    Raises
    ------
    CertificationError
        When the model fails its PCR or the issued label does not verify.
    """
    folder = data_dir()
    folder.mkdir(parents=True, exist_ok=True)
    people = folder / "participants.yaml"
    if not people.is_file():
        people.write_text(yaml.safe_dump(DEMO_PARTICIPANTS, allow_unicode=True), "utf-8")
    actors = load_participants(people)
    applicant, verifier, decider, admin = (
        actors[a] for a in ("applicant", "verifier", "decider", "admin")
    )
    store = open_store()
    now = now_utc()
    pcr_id, pcr_version = _pcr_ref(model)
    a = open_application(
        store,
        model.read_text("utf-8"),
        model,
        applicant,
        now,
        factor_source,
        pcr_id=pcr_id,
        pcr_version=pcr_version,
        release=release,
        label=LabelType.disclosure,
    )
    version = a.model_versions[-1]
    say = console.print
    say(
        f"apply 申请 {a.id} ({applicant.name}): {model.name}, "
        f"{version.total_kg_co2e:.6g} kg CO2e per FU, PCR {pcr_id}@{pcr_version}, "
        f"factor release 因子库版本 {release}",
        highlight=False,
    )
    a = wf.submit(a, applicant, now)
    a = wf.start_review(a, verifier, now)
    say(f"submit 提交 -> review 审核 by {verifier.name}: {a.state.value}", highlight=False)
    a = wf.record_pcr_check(a, verifier, run_pcr_check(a), now)
    say(f"PCR check 产品种类规则核查 ({pcr_id}@{pcr_version}): {a.audit[-1].reason}")
    if a.pcr_error_count:
        raise CertificationError(f"{model} fails its PCR: {'; '.join(a.pcr_messages)}")
    a = wf.accept_documents(a, verifier, now)
    a = wf.raise_finding(
        a, verifier, "Give the source of the electricity data / 请提供电力数据来源", now
    )
    a = wf.answer_finding(a, applicant, 1, "Metered plant data / 工厂电表数据", now)
    a = wf.close_finding(a, verifier, 1, now)
    a = wf.sign_off(a, verifier, now)
    say("finding 发现项 raised, answered, closed -> sign-off 核查签字", highlight=False)
    a = wf.decide(
        a, decider, True, "conforms / 符合", now, wf.LabelContext(used_serials=store.used_serials())
    )
    say(f"decide 决定 by {decider.name}: {a.state.value}", highlight=False)
    a = wf.issue(a, admin, store.next_certificate_id(now.year), now)
    store.save(a)
    document = _publish_event(store, a, "issued", now, "issued")
    if document is None:
        raise CertificationError(f"certificate of {a.id} was not published")
    cert_file = write_certificate_file(document, None)
    signed = SignedCertificate.model_validate(document)
    png = folder / "labels" / f"{a.certificate_id}.png"
    png.parent.mkdir(parents=True, exist_ok=True)
    png.write_bytes(render_png(signed.certificate, document["qr"]))
    png.with_suffix(".svg").write_text(render_svg(signed.certificate, document["qr"]), "utf-8")
    say(f"issue 发证 {a.certificate_id}, valid until 有效期至 {a.valid_until}: {cert_file}")
    say(f"label 标识 (disclosure 碳披露, QR): {png}")
    report = verify_token_text(decode_qr_image(png.read_bytes()), key_store().keyring(), now.date())
    say("offline verification of the QR code read from the label PNG 离线验证标识二维码:")
    print_report(report)
    if not report.ok:
        raise CertificationError(f"demo certificate {a.certificate_id} did not verify")
    return png
