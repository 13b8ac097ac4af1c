"""Offline verification of certificates and label tokens with only the public keyring.

Checks, in order: the signature (certificate or token), the signed tree head, the inclusion of
the certificate's ledger entry under that head (RFC 9162 2.1.3.2), and the status. A *status
bundle* (``tanzuji ledger proof CERT_ID``) brings a newer signed tree head, a consistency proof
from the older head (RFC 9162 2.1.4.2) and every later ledger entry about the certificate
with its inclusion proof; a revocation or suspension in it is then reported.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, Field

from tanzuji.certify.certificate import Keyring, SignedCertificate
from tanzuji.certify.ledger import (
    LedgerEntry,
    TreeHead,
    unb64,
    verify_consistency,
    verify_inclusion,
)
from tanzuji.certify.token import read_token
from tanzuji.errors import VerificationFailed
from tanzuji.model.files import validate_document

STATUS_BY_EVENT = {
    "issued": "valid",
    "renewed": "valid",
    "reinstated": "valid",
    "suspended": "suspended",
    "revoked": "revoked",
    "expired": "expired",
}


class LedgerProof(BaseModel):
    """A ledger entry with its inclusion proof under a signed tree head."""

    entry: LedgerEntry
    inclusion_proof: list[str]
    tree_head: TreeHead


class EntryProof(BaseModel):
    entry: LedgerEntry
    inclusion_proof: list[str]


class StatusBundle(BaseModel):
    """A newer tree head, consistency proofs to it, and the certificate's entries under it."""

    certificate_id: str
    tree_head: TreeHead
    consistency: dict[int, list[str]] = Field(
        default_factory=dict, description="older tree size -> consistency proof to tree_head"
    )
    entries: list[EntryProof]


class Report(BaseModel):
    certificate_id: str
    status: str
    checks: list[str]
    footprint_kg_co2e: float
    valid_until: str
    tree_size: int

    @property
    def ok(self) -> bool:
        return self.status == "valid"


def _check_entry(proof: LedgerProof, keyring: Keyring) -> None:
    proof.tree_head.verify(keyring)
    verify_inclusion(
        proof.entry.leaf(),
        proof.entry.index,
        proof.tree_head.tree_size,
        [unb64(p) for p in proof.inclusion_proof],
        unb64(proof.tree_head.root_hash),
    )


def _status(
    certificate_id: str,
    certificate_sha256: str,
    proof: LedgerProof,
    valid_until: str,
    keyring: Keyring,
    today: dt.date,
    bundle: StatusBundle | None,
    checks: list[str],
) -> tuple[str, int]:
    entry = proof.entry
    if entry.certificate_id != certificate_id or entry.certificate_sha256 != certificate_sha256:
        raise VerificationFailed(
            f"the ledger entry is about {entry.certificate_id} ({entry.certificate_sha256[:12]}…), "
            f"not this certificate {certificate_id} ({certificate_sha256[:12]}…)"
        )
    _check_entry(proof, keyring)
    checks.append(f"included in the ledger as entry {entry.index} of {proof.tree_head.tree_size}")
    latest, size = entry, proof.tree_head.tree_size
    if bundle is not None:
        if bundle.certificate_id != certificate_id:
            raise VerificationFailed(
                f"the status bundle is about {bundle.certificate_id}, not {certificate_id}"
            )
        head = bundle.tree_head
        head.verify(keyring)
        old = proof.tree_head
        if head.tree_size < old.tree_size:
            raise VerificationFailed(
                f"the status bundle's tree head (size {head.tree_size}) is older than the "
                f"certificate's (size {old.tree_size}); fetch a newer one"
            )
        consistency = bundle.consistency.get(old.tree_size, [])
        verify_consistency(
            old.tree_size,
            head.tree_size,
            unb64(old.root_hash),
            unb64(head.root_hash),
            [unb64(p) for p in consistency],
        )
        checks.append(f"log grew consistently from size {old.tree_size} to {head.tree_size}")
        for item in bundle.entries:
            if item.entry.certificate_id != certificate_id:
                continue
            _check_entry(LedgerProof(**item.model_dump(), tree_head=head), keyring)
            if item.entry.index > latest.index:
                latest = item.entry
        size = head.tree_size
    status = STATUS_BY_EVENT.get(latest.event, latest.event)
    if status == "valid" and dt.date.fromisoformat(valid_until) < today:
        status = "expired"
    checks.append(f"status {status} (latest ledger event: {latest.event} at {latest.at})")
    return status, size


def verify_certificate(
    data: dict[str, Any],
    keyring: Keyring,
    today: dt.date,
    bundle: StatusBundle | None = None,
) -> Report:
    """Verify a certificate file (``{"certificate", "signature", "ledger"}``)."""
    signed = validate_document(
        SignedCertificate,
        {"certificate": data.get("certificate"), "signature": data.get("signature")},
        None,
        what="the certificate file (altered or not a certificate)",
        error=VerificationFailed,
    )
    signed.verify(keyring)
    cert = signed.certificate
    checks = [f"certificate signature valid (key {signed.signature.key_id})"]
    if "ledger" not in data:
        raise VerificationFailed("the certificate file carries no ledger proof ('ledger')")
    proof = validate_document(
        LedgerProof, data["ledger"], None, what="its ledger proof", error=VerificationFailed
    )
    until = cert.validity.valid_until.isoformat()
    status, size = _status(
        cert.certificate_id, cert.sha256(), proof, until, keyring, today, bundle, checks
    )
    return Report(
        certificate_id=cert.certificate_id,
        status=status,
        checks=checks,
        footprint_kg_co2e=cert.footprint_kg_co2e,
        valid_until=until,
        tree_size=size,
    )


def verify_token_text(
    text: str, keyring: Keyring, today: dt.date, bundle: StatusBundle | None = None
) -> Report:
    """Verify a label token (or the full QR text ``URL#token``)."""
    payload = read_token(text, keyring)
    checks = ["token signature valid"]
    proof = LedgerProof(
        entry=payload.entry, inclusion_proof=payload.inclusion_proof, tree_head=payload.tree_head
    )
    status, size = _status(
        payload.certificate_id,
        payload.certificate_sha256,
        proof,
        payload.valid_until,
        keyring,
        today,
        bundle,
        checks,
    )
    return Report(
        certificate_id=payload.certificate_id,
        status=status,
        checks=checks,
        footprint_kg_co2e=payload.footprint_kg_co2e,
        valid_until=payload.valid_until,
        tree_size=size,
    )
