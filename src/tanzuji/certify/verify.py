"""Offline verification of certificates and label tokens with only the public keyring.

Checks, in order: the signature (certificate over its canonical bytes as received, or label
token), each signing key's validity window, the signed tree head, the inclusion of the
certificate's ledger entry, and the status.

A *status bundle* (``tanzuji ledger proof CERT_ID``) proves the current status: a newer signed
tree head, a consistency proof from the certificate's own head (RFC 9162 2.1.4.2), and the
certificate's latest ledger entry with its proof in the head's status map (a sparse Merkle tree,
:mod:`tanzuji.certify.statusmap`) and its inclusion in the log. Because the head signs the map,
a bundle that leaves the revocation out does not verify. How fresh the status must be is the
verifier's choice: ``max_head_age`` refuses a status proven only by a head older than that.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict

from tanzuji.certify import statusmap
from tanzuji.certify.certificate import Certificate, verify_signed_document
from tanzuji.certify.encoding import unb64
from tanzuji.certify.keys import Keyring
from tanzuji.certify.ledger import (
    EVENT_STATUS,
    LedgerEntry,
    StatusBundle,
    StatusProof,
    TreeHead,
    verify_consistency,
    verify_inclusion,
)
from tanzuji.certify.token import SHA_PREFIX_BYTES, LabelClaim, read_token
from tanzuji.errors import VerificationFailed
from tanzuji.model.files import validate_document

#: How far a tree head's time may lie ahead of the verifier's clock (clock skew); design choice.
CLOCK_SKEW = dt.timedelta(minutes=5)
_STRICT = ConfigDict(extra="forbid")
__all__ = ["StatusBundle", "StatusProof", "parse_age", "verify_certificate", "verify_token_text"]
_AGE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*")
_AGE_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


class LedgerProof(BaseModel):
    """A ledger entry with its inclusion proof under a signed tree head."""

    model_config = _STRICT

    entry: LedgerEntry
    inclusion_proof: list[str]
    tree_head: TreeHead


class CertificateFile(BaseModel):
    """The certificate file: signed certificate, ledger proof, and the label token it carries."""

    model_config = _STRICT

    certificate: dict[str, Any]
    signature: dict[str, Any]
    ledger: LedgerProof
    token: str | None = None
    qr: str | None = None


class Report(BaseModel):
    certificate_id: str
    status: str
    checks: list[str]
    footprint_kg_co2e: float
    declared_unit: str
    valid_until: str
    tree_size: int | None
    status_as_of: str | None

    @property
    def ok(self) -> bool:
        return self.status == "valid"


def parse_age(text: str) -> dt.timedelta:
    """A maximum age such as ``7d``, ``12h``, ``30m``, ``90s`` or ``2w``."""
    match = _AGE.fullmatch(text)
    if match is None:
        raise VerificationFailed(
            f"maximum tree-head age {text!r} is not a number with a unit s, m, h, d or w "
            "(e.g. 7d, 12h)"
        )
    return dt.timedelta(**{_AGE_UNITS[match[2]]: float(match[1])})


def format_age(age: dt.timedelta) -> str:
    """An age as ``3d 4h 5m 6s`` (zero parts left out)."""
    seconds = max(0, round(age.total_seconds()))
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return " ".join(parts) or "0s"


def _check_head(head: TreeHead, keyring: Keyring, now: dt.datetime, what: str) -> None:
    head.verify(keyring)
    if head.signed_at() > now + CLOCK_SKEW:
        raise VerificationFailed(
            f"{what} is dated {head.timestamp}, in the future of this clock ({now.isoformat()})"
        )


def _check_entry(proof: LedgerProof, keyring: Keyring, now: dt.datetime) -> None:
    _check_head(proof.tree_head, keyring, now, "the certificate's tree head")
    verify_inclusion(
        proof.entry.leaf(),
        proof.entry.index,
        proof.tree_head.tree_size,
        [unb64(p, "inclusion proof") for p in proof.inclusion_proof],
        unb64(proof.tree_head.root_hash, "root hash"),
    )


def status_from_bundle(
    bundle: StatusBundle,
    certificate_id: str,
    keyring: Keyring,
    now: dt.datetime,
    since: TreeHead | None,
    checks: list[str],
) -> LedgerEntry:
    """The certificate's latest ledger entry, proven complete by ``bundle``'s signed map."""
    if bundle.certificate_id != certificate_id:
        raise VerificationFailed(
            f"the status bundle is about {bundle.certificate_id}, not {certificate_id}"
        )
    head = bundle.tree_head
    _check_head(head, keyring, now, "the status bundle's tree head")
    if head.map_root is None:
        raise VerificationFailed(
            f"the status bundle's tree head (size {head.tree_size}) commits to no status map; "
            "fetch a new bundle"
        )
    if since is not None:
        _check_grew(since, head, bundle.consistency, checks)
    proof = bundle.status
    entry = proof.entry
    if entry is not None and entry.certificate_id != certificate_id:
        raise VerificationFailed(
            f"the status bundle's entry is about {entry.certificate_id}, not {certificate_id}"
        )
    statusmap.verify_map_proof(
        statusmap.map_key(certificate_id),
        None if entry is None else entry.leaf(),
        proof.map_proof,
        unb64(head.map_root, "map root"),
    )
    if entry is None:
        raise VerificationFailed(
            f"the signed status map of the ledger (size {head.tree_size}) holds no entry for "
            f"{certificate_id}: the ledger does not know this certificate / 账本中无此证书"
        )
    verify_inclusion(
        entry.leaf(),
        entry.index,
        head.tree_size,
        [unb64(p, "inclusion proof") for p in proof.inclusion_proof],
        unb64(head.root_hash, "root hash"),
    )
    checks.append(
        f"status map of the ledger at size {head.tree_size} ({head.timestamp}) proves the latest "
        f"entry is {entry.index} ({entry.event})"
    )
    return entry


def _check_grew(
    old: TreeHead, head: TreeHead, consistency: Mapping[int, list[str]], checks: list[str]
) -> None:
    if head.tree_size < old.tree_size:
        raise VerificationFailed(
            f"the status bundle's tree head (size {head.tree_size}) is older than the "
            f"certificate's (size {old.tree_size}); fetch a newer one"
        )
    verify_consistency(
        old.tree_size,
        head.tree_size,
        unb64(old.root_hash, "root hash"),
        unb64(head.root_hash, "root hash"),
        [unb64(p, "consistency proof") for p in consistency.get(old.tree_size, [])],
    )
    checks.append(f"log grew consistently from size {old.tree_size} to {head.tree_size}")


def _fresh_enough(
    as_of: dt.datetime | None, now: dt.datetime, max_age: dt.timedelta | None
) -> None:
    if max_age is None:
        return
    if as_of is None:
        raise VerificationFailed(
            f"a status younger than {format_age(max_age)} is required but none is proven: give a "
            "status "
            "bundle (tanzuji ledger proof CERT_ID --out status.json; verify … --status "
            "status.json) / 需要最新状态证明"
        )
    if now - as_of > max_age:
        raise VerificationFailed(
            f"the newest signed tree head proving the status is from {as_of.isoformat()} "
            f"({format_age(now - as_of)} old); this check requires one younger than "
            f"{format_age(max_age)}: fetch a "
            "fresh status bundle (tanzuji ledger proof CERT_ID) / 状态证明已过期"
        )


def _final_status(entry: LedgerEntry, valid_until: dt.date, now: dt.datetime) -> str:
    status = EVENT_STATUS.get(entry.event, entry.event)
    if status == "valid" and valid_until < now.date():
        return "expired"
    return status


def verify_certificate(
    data: Mapping[str, Any],
    keyring: Keyring,
    now: dt.datetime,
    bundle: StatusBundle | None = None,
    max_head_age: dt.timedelta | None = None,
) -> Report:
    """Verify a certificate file (``{"certificate", "signature", "ledger", "token", "qr"}``)."""
    document = validate_document(
        CertificateFile,
        dict(data),
        None,
        what="the certificate file (altered, or fields the format does not define)",
        error=VerificationFailed,
    )
    signed = verify_signed_document(data, keyring)
    cert = signed.certificate
    checks = [f"certificate signature valid (key {signed.signature.key_id}, {cert.issued_at})"]
    proof = document.ledger
    entry = proof.entry
    if entry.certificate_id != cert.certificate_id or entry.certificate_sha256 != cert.sha256():
        raise VerificationFailed(
            f"the ledger entry is about {entry.certificate_id} ({entry.certificate_sha256[:12]}…), "
            f"not this certificate {cert.certificate_id} ({cert.sha256()[:12]}…)"
        )
    _check_entry(proof, keyring, now)
    checks.append(f"included in the ledger as entry {entry.index} of {proof.tree_head.tree_size}")
    if document.token is not None:
        _check_token_matches(document.token, cert, keyring, checks)
    latest, head = entry, proof.tree_head
    if bundle is not None:
        latest = status_from_bundle(bundle, cert.certificate_id, keyring, now, head, checks)
        head = bundle.tree_head
    _fresh_enough(head.signed_at(), now, max_head_age)
    status = _final_status(latest, cert.validity.valid_until, now)
    checks.append(f"status {status} (latest ledger event: {latest.event} at {latest.at})")
    return Report(
        certificate_id=cert.certificate_id,
        status=status,
        checks=checks,
        footprint_kg_co2e=cert.footprint_kg_co2e,
        declared_unit=cert.functional_unit_text(),
        valid_until=cert.validity.valid_until.isoformat(),
        tree_size=head.tree_size,
        status_as_of=head.timestamp,
    )


def _check_token_matches(
    token: str, certificate: Certificate, keyring: Keyring, checks: list[str]
) -> None:
    claim = read_token(token, keyring)
    differences = claim.agrees_with(certificate)
    if differences:
        raise VerificationFailed(
            "the label token in the certificate file states other values than the signed "
            f"certificate: {'; '.join(differences)}"
        )
    checks.append("label token agrees with the certificate")


def verify_token_text(
    text: str,
    keyring: Keyring,
    now: dt.datetime,
    bundle: StatusBundle | None = None,
    max_head_age: dt.timedelta | None = None,
) -> Report:
    """Verify a label token (bare, or the full QR text ``URL#token``)."""
    claim = read_token(text, keyring)
    checks = [f"label token signature valid (key {claim.key_id}, {claim.signed_at.isoformat()})"]
    as_of: dt.datetime | None = None
    size = None
    status = "valid"
    if bundle is not None:
        latest = status_from_bundle(bundle, claim.certificate_id, keyring, now, None, checks)
        _check_claim_logged(claim, latest, checks)
        as_of, size = bundle.tree_head.signed_at(), bundle.tree_head.tree_size
        status = _final_status(latest, claim.valid_until, now)
    elif claim.valid_until < now.date():
        status = "expired"
    _fresh_enough(as_of, now, max_head_age)
    if bundle is None:
        checks.append(f"status {status} as signed at issuance (no newer status given)")
    else:
        checks.append(f"status {status}")
    return Report(
        certificate_id=claim.certificate_id,
        status=status,
        checks=checks,
        footprint_kg_co2e=claim.footprint_kg_co2e,
        declared_unit=claim.declared_unit,
        valid_until=claim.valid_until.isoformat(),
        tree_size=size,
        status_as_of=None if as_of is None else as_of.isoformat(),
    )


def _check_claim_logged(claim: LabelClaim, latest: LedgerEntry, checks: list[str]) -> None:
    """The claim's ledger entry is the latest one, or one before it (a later event)."""
    same = latest.certificate_sha256[: 2 * SHA_PREFIX_BYTES] == claim.certificate_sha256_prefix
    if latest.index < claim.ledger_index or (latest.index == claim.ledger_index and not same):
        raise VerificationFailed(
            f"the label token says its certificate was logged as entry {claim.ledger_index}, but "
            f"the ledger's latest entry for {claim.certificate_id} is {latest.index} "
            f"({latest.certificate_sha256[:12]}…): the token was not issued by this ledger"
        )
    if not same:
        checks.append(
            f"a newer version of the certificate was logged ({latest.event} at {latest.at})"
        )
