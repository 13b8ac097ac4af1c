"""``tanzuji label | verify | ledger`` — label artwork, offline verification, the ledger."""

from __future__ import annotations

from pathlib import Path

import typer

from tanzuji.certify.certificate import Keyring
from tanzuji.certify.labels import decode_qr_image
from tanzuji.certify.token import is_qr_text
from tanzuji.certify.verify import Report, StatusBundle, parse_age
from tanzuji.cli.app import app, console, context, echo_or_write, write_output
from tanzuji.cli.inputs import read_bytes, read_json
from tanzuji.errors import CertificationError, VerificationFailed
from tanzuji.limits import InputLimits
from tanzuji.model.files import validate_document
from tanzuji.services import certification, labels, ledger

label_app = typer.Typer(help="Label artwork 标识.", no_args_is_help=True)
ledger_app = typer.Typer(help="Transparency ledger 透明账本.", no_args_is_help=True)
app.add_typer(label_app, name="label")
app.add_typer(ledger_app, name="ledger")


@label_app.command("render")
def label_render(
    cert_id: str,
    fmt: labels.LabelFormat = typer.Option(labels.LabelFormat.png, "--format"),
    out: Path = typer.Option(None, "--out"),
) -> None:
    """Render the label artwork with its QR code (标识)."""
    ctx = context(need_database=True)
    label = labels.render(ctx, cert_id, fmt)
    write_output(label.content, out or ctx.data_dir / "labels" / label.filename, "label")


def _keyring(path: Path | None, data_dir: Path, limits: InputLimits) -> Keyring:
    file = path or data_dir / "keys" / "keyring.json"
    if not file.is_file():
        raise CertificationError(
            f"public keyring {file} not found; get it with 'tanzuji certify keys export'"
        )
    return validate_document(
        Keyring,
        read_json(file, "keyring", VerificationFailed, limits),
        None,
        what=f"the keyring {file}",
        error=VerificationFailed,
    )


def print_report(report: Report) -> None:
    colour = "green" if report.ok else "red"
    console.print(
        f"[bold {colour}]{report.status.upper()}[/] {report.certificate_id}: "
        f"{report.footprint_kg_co2e:.6g} kg CO2e / {report.declared_unit}, valid until "
        f"{report.valid_until}"
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
    max_head_age: str = typer.Option(
        None,
        "--max-head-age",
        help="Require the status proven by a signed tree head younger than this (7d, 12h).",
    ),
) -> None:
    """Verify a certificate or label offline with only the public keys (验证)."""
    ctx = context()
    keyring = _keyring(keys, ctx.data_dir, ctx.limits)
    max_age = parse_age(max_head_age) if max_head_age else None
    bundle = None
    if status_bundle:
        bundle = validate_document(
            StatusBundle,
            read_json(status_bundle, "status bundle", VerificationFailed, ctx.limits),
            None,
            what=f"the status bundle {status_bundle}",
            error=VerificationFailed,
        )
    now = ctx.now()
    if qr is not None:
        text = qr
        if not is_qr_text(qr):  # a bare token or URL#token is text, anything else an image
            text = decode_qr_image(
                read_bytes(Path(qr), "label image", CertificationError, ctx.limits)
            )
        report = certification.verify_qr(text, keyring, now, bundle, max_age)
    elif certificate is not None:
        document = read_json(certificate, "certificate file", VerificationFailed, ctx.limits)
        if not isinstance(document, dict):
            raise VerificationFailed(
                f"{certificate} holds a {type(document).__name__}; expected a certificate "
                "document (certificate, signature, ledger, token)"
            )
        report = certification.verify_document(document, keyring, now, bundle, max_age)
    else:
        raise CertificationError("give a certificate file or --qr IMAGE_OR_TEXT")
    print_report(report)
    if not report.ok:
        raise typer.Exit(2)


@ledger_app.command("head")
def ledger_head() -> None:
    """The newest signed tree head (签名树头)."""
    typer.echo(ledger.tree_head(context(need_database=True)).model_dump_json(indent=2))


@ledger_app.command("proof")
def ledger_proof(
    cert_id: str, out: Path = typer.Option(None, "--out", help="Write the bundle here.")
) -> None:
    """Status bundle of a certificate: newest head, its status-map proof, consistency proofs."""
    echo_or_write(
        ledger.proof(context(need_database=True), cert_id).model_dump_json(indent=2),
        out,
        "status bundle",
    )


@ledger_app.command("audit")
def ledger_audit() -> None:
    """Check the stored log against every signed tree head and the certificates naming one."""
    report = ledger.audit(context(need_database=True))
    console.print(
        f"ledger of {report.log_size} entries matches the signed tree heads "
        f"({report.heads_checked} stored, {report.named_checked} named by certificates; status "
        f"map checked at size {report.map_checked_at})",
        highlight=False,
    )
