"""Labels service: the label artwork of an issued certificate, as bytes (SVG or PNG)."""

from __future__ import annotations

from enum import StrEnum

from tanzuji.certify.certificate import SignedCertificate
from tanzuji.certify.labels import render_png, render_svg
from tanzuji.context import Context
from tanzuji.services.base import Result
from tanzuji.services.certification import certificate_document


class LabelFormat(StrEnum):
    svg = "svg"
    png = "png"


class Label(Result):
    """Rendered label artwork."""

    certificate_id: str
    content: bytes
    media_type: str
    filename: str


def render(context: Context, certificate_id: str, fmt: LabelFormat = LabelFormat.png) -> Label:
    """The label of the newest version of ``certificate_id`` with its QR code (标识).

    Raises
    ------
    NotFound
        When no such certificate was issued.
    """
    document = certificate_document(context, certificate_id)
    return label_of(document, fmt)


def label_of(document: dict, fmt: LabelFormat = LabelFormat.png) -> Label:
    """The label of a certificate file (certificate, signature, QR text)."""
    certificate = SignedCertificate.of_file(document).certificate
    if fmt is LabelFormat.svg:
        content = render_svg(certificate, document["qr"]).encode("utf-8")
        media = "image/svg+xml"
    else:
        content, media = render_png(certificate, document["qr"]), "image/png"
    name = certificate.certificate_id
    return Label(
        certificate_id=name, content=content, media_type=media, filename=f"{name}.{fmt.value}"
    )


__all__ = ["Label", "LabelFormat", "label_of", "render"]
