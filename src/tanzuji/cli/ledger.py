"""``tanzuji label | verify | ledger`` — label artwork, offline verification, the ledger."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import typer

from tanzuji.certify.certificate import Keyring
from tanzuji.certify.labels import decode_qr_image
from tanzuji.certify.verify import Report, StatusBundle
from tanzuji.cli.app import app, console, context, write_output
from tanzuji.cli.inputs import read_bytes, read_json
from tanzuji.errors import CertificationError, VerificationFailed
from tanzuji.limits import InputLimits
from tanzuji.model.files import validate_document
from tanzuji.services import certification, labels, ledger

label_app = typer.Typer(help="Label artwork 标识.", no_args_is_help=True)
ledger_app = typer.Typer(help="Transparency ledger 透明账本.", no_args_is_help=True)
app.add_typer(label_app, name="label")
app.add_typer(ledger_app, name="ledger")

#: Longest text taken as QR or token text rather than as a file name.
_MAX_PATH = 4096


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
    ctx = context()
    keyring = _keyring(keys, ctx.data_dir, ctx.limits)
    bundle = None
    if status_bundle:
        bundle = validate_document(
            StatusBundle,
            read_json(status_bundle, "status bundle", VerificationFailed, ctx.limits),
            None,
            what=f"the status bundle {status_bundle}",
            error=VerificationFailed,
        )
    today = dt.date.today()
    if qr is not None:
        text = qr
        if len(qr) < _MAX_PATH and Path(qr).is_file():
            text = decode_qr_image(read_bytes(Path(qr), "label image", CertificationError))
        report = certification.verify_qr(text, keyring, today, bundle)
    elif certificate is not None:
        document = read_json(certificate, "certificate file", VerificationFailed, ctx.limits)
        if not isinstance(document, dict):
            raise VerificationFailed(
                f"{certificate} holds a {type(document).__name__}; expected a certificate "
                "document (certificate, signature, ledger, token)"
            )
        report = certification.verify_document(document, keyring, today, bundle)
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
    """Status bundle of a certificate: newest head, consistency and inclusion proofs."""
    text = ledger.proof(context(need_database=True), cert_id).model_dump_json(indent=2)
    if out is None:
        typer.echo(text)
    else:
        write_output((text + "\n").encode("utf-8"), out, "status bundle")


@ledger_app.command("audit")
def ledger_audit() -> None:
    """Check the stored log against its newest signed tree head."""
    result = ledger.audit(context(need_database=True))
    console.print(f"ledger of {result.tree_size} entries matches the signed tree head")
