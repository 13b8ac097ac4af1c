"""The compact signed token carried by the label's QR code.

The QR code holds ``<certificate page URL>#<token>`` so a phone opens the public page and a
verifier can check the label offline with only the platform's public keyring. The token is
``TZJ1.<payload>.<signature>``: the payload is the RFC 8785 canonical JSON (base64url) of the
certified claim, the ledger entry, its inclusion proof and the signed tree head it leads to;
the signature is the platform's Ed25519 signature over the payload bytes.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ValidationError

from tanzuji.certify.certificate import Keyring, SignedCertificate, SigningKey, canonical_bytes
from tanzuji.certify.ledger import LedgerEntry, TreeHead, b64, unb64
from tanzuji.errors import VerificationFailed

PREFIX = "TZJ1"


class TokenPayload(BaseModel):
    """What the token states (short names keep the QR code small)."""

    certificate_id: str
    certificate_sha256: str
    label: str
    footprint_kg_co2e: float
    functional_unit: str
    valid_until: str
    entry: LedgerEntry
    inclusion_proof: list[str]
    tree_head: TreeHead


def make_token(
    signed: SignedCertificate,
    entry: LedgerEntry,
    inclusion_proof: list[str],
    tree_head: TreeHead,
    key: SigningKey,
) -> str:
    cert = signed.certificate
    fu = cert.functional_unit
    payload = TokenPayload(
        certificate_id=cert.certificate_id,
        certificate_sha256=cert.sha256(),
        label=str(cert.label.get("type")),
        footprint_kg_co2e=cert.footprint_kg_co2e,
        functional_unit=f"{fu.get('amount', 1):g} {fu.get('unit', '')}".strip(),
        valid_until=cert.validity.valid_until.isoformat(),
        entry=entry,
        inclusion_proof=inclusion_proof,
        tree_head=tree_head,
    )
    body = canonical_bytes(payload.model_dump(mode="json"))
    return f"{PREFIX}.{b64(body)}.{b64(key.sign(body))}"


def qr_text(url: str, token: str) -> str:
    """The text encoded in the QR code: the page URL with the token as fragment."""
    return f"{url}#{token}"


def extract_token(text: str) -> str:
    """The token inside a QR text (URL#token) or the token itself."""
    text = text.strip()
    if "#" in text:
        text = text.rsplit("#", 1)[1]
    if not text.startswith(PREFIX + "."):
        raise VerificationFailed(
            f"not a Tanzuji label token (expected it to start with {PREFIX}., found "
            f"{text[:12]!r}) / 不是碳足迹标识二维码"
        )
    return text


def read_token(token: str, keyring: Keyring) -> TokenPayload:
    """Check the token signature and return its payload."""
    parts = extract_token(token).split(".")
    if len(parts) != 3:
        raise VerificationFailed(f"a token has 3 parts separated by '.', found {len(parts)}")
    body, signature = unb64(parts[1]), unb64(parts[2])
    try:
        data: Any = json.loads(body)
        payload = TokenPayload.model_validate(data)
    except (json.JSONDecodeError, UnicodeDecodeError, ValidationError) as exc:
        raise VerificationFailed(f"the token payload is malformed: {exc}") from None
    keyring.verify(payload.tree_head.key_id, signature, body, "token")
    return payload
