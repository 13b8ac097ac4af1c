"""Publishing a certificate event: sign, append to the ledger, sign the tree head, make the token.

Pure over its inputs (an in-memory :class:`~tanzuji.certify.ledger.Ledger` and a signing key);
:mod:`tanzuji.store.certify` persists what it returns.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from tanzuji.certify.certificate import SignedCertificate, SigningKey, sign_certificate
from tanzuji.certify.ledger import Ledger, LedgerEntry, TreeHead
from tanzuji.certify.records import Application
from tanzuji.certify.token import make_token, qr_text
from tanzuji.certify.workflow import certificate_for

EVENT_STATUS = {
    "issued": "valid",
    "renewed": "valid",
    "reinstated": "valid",
    "suspended": "suspended",
    "revoked": "revoked",
    "expired": "expired",
}


@dataclass(frozen=True)
class Publication:
    """Everything one ledger event produces."""

    entry: LedgerEntry
    tree_head: TreeHead
    signed: SignedCertificate | None = None
    token: str | None = None
    qr: str | None = None

    def certificate_file(self, ledger: Ledger) -> dict[str, Any]:
        """The certificate file handed to the company: certificate, signature, ledger proof."""
        if self.signed is None:
            raise ValueError("only issuance and renewal publish a certificate file")
        return {
            **self.signed.model_dump(mode="json"),
            "ledger": {
                "entry": self.entry.model_dump(mode="json"),
                "inclusion_proof": ledger.inclusion(self.entry.index, self.tree_head.tree_size),
                "tree_head": self.tree_head.model_dump(mode="json"),
            },
            "token": self.token,
            "qr": self.qr,
        }


def publish(
    application: Application,
    event: str,
    ledger: Ledger,
    key: SigningKey,
    now: dt.datetime,
    base_url: str,
    reason: str = "",
    certificate_sha256: str | None = None,
) -> Publication:
    """Log ``event`` for the application's certificate; sign a certificate when it is new."""
    if application.certificate_id is None:
        raise ValueError(f"application {application.id} has no certificate yet")
    signed = None
    if event in ("issued", "renewed"):
        signed = sign_certificate(certificate_for(application, now), key)
        certificate_sha256 = signed.certificate.sha256()
    if certificate_sha256 is None:
        raise ValueError("status events need the sha256 of the certificate they are about")
    entry = ledger.append(
        event, application.certificate_id, certificate_sha256, EVENT_STATUS[event], now, reason
    )
    head = ledger.sign_head(key, now)
    if signed is None:
        return Publication(entry=entry, tree_head=head)
    token = make_token(signed, entry, ledger.inclusion(entry.index), head, key)
    return Publication(
        entry=entry,
        tree_head=head,
        signed=signed,
        token=token,
        qr=qr_text(base_url.rstrip("/") + "/" + application.certificate_id, token),
    )
