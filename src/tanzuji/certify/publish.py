"""Publishing a certificate event: sign, append to the ledger, sign the tree head, make the token.

Pure over its inputs: the ledger is an :class:`~tanzuji.certify.ledger.EventLog` (the in-memory
:class:`~tanzuji.certify.ledger.Ledger`, or the database log of :mod:`tanzuji.store.ledger`,
which appends under a lock in the caller's transaction) and the signing key is passed in.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from tanzuji.certify.certificate import SignedCertificate, SigningKey, sign_certificate
from tanzuji.certify.ledger import EVENT_STATUS, EventLog, LedgerEntry, TreeHead
from tanzuji.certify.records import Application
from tanzuji.certify.token import make_token, qr_text
from tanzuji.certify.workflow import certificate_for

#: Events that sign a new certificate version.
SIGNING_EVENTS = ("issued", "renewed")


@dataclass(frozen=True)
class Publication:
    """Everything one ledger event produces."""

    entry: LedgerEntry
    tree_head: TreeHead
    inclusion_proof: list[str]
    signed: SignedCertificate | None = None
    token: str | None = None
    qr: str | None = None

    def certificate_file(self) -> dict[str, Any]:
        """The certificate file handed to the company: certificate, signature, ledger proof."""
        if self.signed is None:
            raise ValueError("only issuance and renewal publish a certificate file")
        return {
            **self.signed.model_dump(mode="json"),
            "ledger": {
                "entry": self.entry.model_dump(mode="json"),
                "inclusion_proof": self.inclusion_proof,
                "tree_head": self.tree_head.model_dump(mode="json"),
            },
            "token": self.token,
            "qr": self.qr,
        }


def publish(
    application: Application,
    event: str,
    log: EventLog,
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
    if event in SIGNING_EVENTS:
        signed = sign_certificate(certificate_for(application, now), key)
        certificate_sha256 = signed.certificate.sha256()
    if certificate_sha256 is None:
        raise ValueError("status events need the sha256 of the certificate they are about")
    appended = log.append_event(
        event,
        application.certificate_id,
        certificate_sha256,
        EVENT_STATUS[event],
        now,
        reason,
        key,
    )
    if signed is None:
        return Publication(appended.entry, appended.tree_head, appended.inclusion_proof)
    token = make_token(signed.certificate, appended.entry.index, key, now)
    return Publication(
        entry=appended.entry,
        tree_head=appended.tree_head,
        inclusion_proof=appended.inclusion_proof,
        signed=signed,
        token=token,
        qr=qr_text(base_url, application.certificate_id, token),
    )
