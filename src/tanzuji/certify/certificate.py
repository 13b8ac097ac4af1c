"""Certificates: canonical JSON (RFC 8785) signed with Ed25519, verified as received.

A certificate is a :class:`Certificate` record serialised with the JSON Canonicalization
Scheme (RFC 8785, via the ``rfc8785`` package), so the same content always gives the same
bytes, and signed with the platform's Ed25519 key (RFC 8032; keys in :mod:`.keys`).

Verification works on the document *as received*: the signature is checked over the canonical
bytes of the certificate object exactly as it came in, every field must be one the format
defines (unknown fields are refused, in the certificate and in every object around it), and
the values read must canonicalise back to the signed bytes. A field slipped into the signed
object, or a value that changes type on the way in, therefore never verifies.

References
----------
.. [1] RFC 8785, JSON Canonicalization Scheme (JCS), IETF, June 2020.
.. [2] RFC 8032, Edwards-Curve Digital Signature Algorithm (EdDSA), IETF, January 2017.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import rfc8785
from pydantic import BaseModel, ConfigDict, Field

from tanzuji.certify.encoding import b64, unb64
from tanzuji.certify.keys import (
    SIGNATURE_ALGORITHM,
    FileKeyring,
    KeyProvider,
    Keyring,
    KeyStore,
    PublicKeyInfo,
    SecretKeyring,
    SigningKey,
    instant,
    key_id_of,
)
from tanzuji.errors import CertificationError, VerificationFailed
from tanzuji.model.files import validate_document

__all__ = [
    "SIGNATURE_ALGORITHM",
    "Certificate",
    "FileKeyring",
    "KeyProvider",
    "KeyStore",
    "Keyring",
    "PublicKeyInfo",
    "SecretKeyring",
    "SignatureBlock",
    "SignedCertificate",
    "SigningKey",
    "Validity",
    "canonical_bytes",
    "key_id_of",
    "load_json",
    "sha256_hex",
    "sign_certificate",
    "verify_signed_document",
]

_STRICT = ConfigDict(extra="forbid")


def canonical_bytes(data: Any) -> bytes:
    """RFC 8785 canonical JSON bytes of ``data`` (dicts, lists, str, int, float, bool, None)."""
    try:
        return rfc8785.dumps(data)
    except (rfc8785.CanonicalizationError, TypeError, ValueError) as exc:
        raise CertificationError(f"cannot canonicalise value for signing: {exc}") from exc


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class Validity(BaseModel):
    model_config = _STRICT

    valid_from: dt.date
    valid_until: dt.date


def _absent(value: object) -> bool:
    return value is None


class Certificate(BaseModel):
    """The certified statement (what is signed); no field outside this list is accepted."""

    model_config = _STRICT

    certificate_id: str
    version: int = Field(1, description="1 at issuance, +1 at every renewal")
    application_id: str
    company: dict[str, str]
    product: dict[str, str]
    functional_unit: dict[str, Any]
    footprint_kg_co2e: float = Field(description="kg CO2e per functional unit")
    stage_breakdown_kg_co2e: dict[str, float]
    gwp_set: str
    label: dict[str, Any] = Field(description="type plus reduction or neutrality details")
    pcr: dict[str, str]
    factor_release: str
    model_sha256: str
    factors_sha256: str
    verifier: dict[str, str]
    decision_maker: dict[str, str]
    validity: Validity
    issued_at: str
    # Added in wave 2 (issue 11). Absent when None, so certificates signed before keep their
    # canonical bytes and signatures.
    declared_unit: dict[str, Any] | None = Field(
        None,
        exclude_if=_absent,
        description="the PCR's declared unit (amount, unit) and the footprint per it",
    )
    sales_unit: dict[str, Any] | None = Field(
        None,
        exclude_if=_absent,
        description="the sales unit (name, amount, unit, functional units), footprint per it",
    )
    credits_kg_co2e: float | None = Field(
        None,
        exclude_if=_absent,
        description="credits reported apart, kg CO2e per functional unit (ISO 14067:2018 6.4.6)",
    )
    # Added with the factor gate (issue 8); absent when none, as above.
    factor_waivers: list[dict[str, Any]] | None = Field(
        None,
        exclude_if=_absent,
        description="draft, illustrative or unsourced factors the verifier let stand: factor "
        "id, version, concerns, reason, verifier (certify/provenance.py)",
    )
    surveillance: dict[str, Any] | None = Field(
        None,
        exclude_if=_absent,
        description="the scheme, its surveillance interval (months) and the due dates inside "
        "the validity period (certify/schemes.py)",
    )
    removals: dict[str, Any] | None = Field(
        None,
        exclude_if=_absent,
        description="what the label value counts under the PCR's removals rule, the values "
        "with and without biogenic removals, and the rule (certify/removals.py)",
    )

    def canonical(self) -> bytes:
        return canonical_bytes(self.model_dump(mode="json"))

    def sha256(self) -> str:
        return sha256_hex(self.canonical())

    def signed_at(self) -> dt.datetime:
        return instant(self.issued_at, "certificate issued_at")

    def functional_unit_text(self) -> str:
        """The functional unit as text: ``"1 kWh"`` (the label's "per" line and the token's
        declared unit; the PCR's declared unit, when it differs, is the field
        ``declared_unit``)."""
        fu = self.functional_unit
        return f"{fu.get('amount', 1):g} {fu.get('unit', '')}".strip()


class SignatureBlock(BaseModel):
    model_config = _STRICT

    algorithm: str = SIGNATURE_ALGORITHM
    key_id: str
    value: str


class SignedCertificate(BaseModel):
    """A certificate with its signature (the file a company hands its buyers)."""

    model_config = _STRICT

    certificate: Certificate
    signature: SignatureBlock

    @classmethod
    def of_file(cls, document: Mapping[str, Any]) -> SignedCertificate:
        """The signed certificate inside a certificate file (which also holds ledger proof,
        token and QR text); for verifying a file received from outside use
        :func:`tanzuji.certify.verify.verify_certificate`."""
        return cls.model_validate(
            {"certificate": document.get("certificate"), "signature": document.get("signature")}
        )

    def verify(self, keyring: Keyring) -> None:
        """Check the signature over this certificate's canonical bytes, in the key's window."""
        _verify_signature(self.signature, self.certificate.canonical(), self.certificate, keyring)


def _verify_signature(
    signature: SignatureBlock, message: bytes, certificate: Certificate, keyring: Keyring
) -> None:
    if signature.algorithm != SIGNATURE_ALGORITHM:
        raise VerificationFailed(
            f"signature algorithm {signature.algorithm!r} is not accepted; expected "
            f"{SIGNATURE_ALGORITHM}"
        )
    keyring.verify(
        signature.key_id,
        unb64(signature.value, "certificate signature"),
        message,
        "certificate",
        certificate.signed_at(),
    )


def verify_signed_document(data: Mapping[str, Any], keyring: Keyring) -> SignedCertificate:
    """Verify ``{"certificate": {...}, "signature": {...}}`` as received; return it parsed.

    The signature is checked over the canonical bytes of the ``certificate`` object exactly as
    given (so any added, removed or changed member breaks it); then the object must parse with
    no unknown field, and its values must canonicalise back to the same bytes.
    """
    raw = data.get("certificate")
    signed = validate_document(
        SignedCertificate,
        {"certificate": raw, "signature": data.get("signature")},
        None,
        what="the signed certificate (altered, or fields the format does not define)",
        error=VerificationFailed,
    )
    certificate, signature = signed.certificate, signed.signature
    signed_bytes = canonical_bytes(raw)
    _verify_signature(signature, signed_bytes, certificate, keyring)
    if certificate.canonical() != signed_bytes:
        raise VerificationFailed(
            "the certificate's values do not read back as the signed bytes (a value of the wrong "
            "type); it is refused"
        )
    return signed


def sign_certificate(certificate: Certificate, key: SigningKey) -> SignedCertificate:
    return SignedCertificate(
        certificate=certificate,
        signature=SignatureBlock(key_id=key.key_id, value=b64(key.sign(certificate.canonical()))),
    )


def load_json(path: Path) -> Any:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise CertificationError(f"cannot read {path}: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise CertificationError(f"{path}:{exc.lineno} is not valid JSON: {exc.msg}") from None
