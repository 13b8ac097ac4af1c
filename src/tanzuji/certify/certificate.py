"""Certificates: canonical JSON (RFC 8785), Ed25519 signatures, key ids and key rotation.

A certificate is a :class:`Certificate` record serialised with the JSON Canonicalization
Scheme (RFC 8785, via the ``rfc8785`` package), so the same content always gives the same
bytes, and signed with the platform's Ed25519 key (RFC 8032). The key id is
``"ed25519:" + the first 16 hex digits of SHA-256(raw public key)``, so it names the key and
cannot be claimed by another key without a hash collision.

Keys rotate: :class:`KeyStore` keeps every key it ever made under ``<data_dir>/keys``; the
newest active one signs, retired ones stay in the public keyring so that certificates signed
before the rotation keep verifying. Private key files are written with mode 0600.

References
----------
.. [1] RFC 8785, JSON Canonicalization Scheme (JCS), IETF, June 2020.
.. [2] RFC 8032, Edwards-Curve Digital Signature Algorithm (EdDSA), IETF, January 2017.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import os
from pathlib import Path
from typing import Any

import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pydantic import BaseModel, Field

from tanzuji.errors import CertificationError, VerificationFailed

SIGNATURE_ALGORITHM = "Ed25519"


def canonical_bytes(data: Any) -> bytes:
    """RFC 8785 canonical JSON bytes of ``data`` (dicts, lists, str, int, float, bool, None)."""
    try:
        return rfc8785.dumps(data)
    except (rfc8785.CanonicalizationError, TypeError, ValueError) as exc:
        raise CertificationError(f"cannot canonicalise value for signing: {exc}") from exc


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError) as exc:
        raise VerificationFailed(f"signature is not valid base64url: {text[:20]!r}") from exc


def key_id_of(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return "ed25519:" + hashlib.sha256(raw).hexdigest()[:16]


class SigningKey:
    """An Ed25519 private key with its key id."""

    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self._private = private_key
        self.public_key = private_key.public_key()
        self.key_id = key_id_of(self.public_key)

    @classmethod
    def generate(cls) -> SigningKey:
        return cls(Ed25519PrivateKey.generate())

    def sign(self, message: bytes) -> bytes:
        return self._private.sign(message)

    def private_pem(self) -> bytes:
        return self._private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    def public_raw_b64(self) -> str:
        raw = self.public_key.public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        return _b64(raw)


class PublicKeyInfo(BaseModel):
    key_id: str
    algorithm: str = SIGNATURE_ALGORITHM
    public_key: str = Field(description="raw 32-byte Ed25519 public key, base64url")
    created_at: str
    retired_at: str | None = None


class Keyring(BaseModel):
    """The platform's public keys: what a verifier needs, and nothing secret."""

    keys: list[PublicKeyInfo] = Field(default_factory=list)

    def find(self, key_id: str) -> PublicKeyInfo:
        for info in self.keys:
            if info.key_id == key_id:
                return info
        raise VerificationFailed(
            f"signed with key {key_id}, which is not in the trusted keyring "
            f"({', '.join(k.key_id for k in self.keys) or 'empty'}); the signature cannot be "
            "trusted (swapped or unknown key)"
        )

    def verify(self, key_id: str, signature: bytes, message: bytes, what: str) -> None:
        info = self.find(key_id)
        public = Ed25519PublicKey.from_public_bytes(_unb64(info.public_key))
        if key_id_of(public) != key_id:
            raise VerificationFailed(
                f"keyring entry {key_id} holds a different public key (its hash is "
                f"{key_id_of(public)}): the keyring was tampered with"
            )
        try:
            public.verify(signature, message)
        except InvalidSignature:
            raise VerificationFailed(
                f"the {what} signature does not verify with key {key_id}: the {what} was altered "
                "or the signature forged"
            ) from None

    def to_json(self) -> str:
        return self.model_dump_json(indent=2)


class KeyStore:
    """Platform signing keys on disk: ``<folder>/<key id>.pem`` (0600) + ``keyring.json``."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    @property
    def keyring_path(self) -> Path:
        return self.folder / "keyring.json"

    def keyring(self) -> Keyring:
        if not self.keyring_path.is_file():
            return Keyring()
        return Keyring.model_validate_json(self.keyring_path.read_text(encoding="utf-8"))

    def _write_keyring(self, keyring: Keyring) -> None:
        self.keyring_path.write_text(keyring.to_json(), encoding="utf-8")

    def active(self, now: dt.datetime | None = None) -> SigningKey:
        """The current signing key; the first call creates one."""
        keyring = self.keyring()
        current = [k for k in keyring.keys if k.retired_at is None]
        if not current:
            return self.rotate(now)
        return self.load(current[-1].key_id)

    def load(self, key_id: str) -> SigningKey:
        path = self.folder / f"{key_id.replace(':', '_')}.pem"
        try:
            private = serialization.load_pem_private_key(path.read_bytes(), password=None)
        except OSError as exc:
            raise CertificationError(
                f"private key {key_id} is missing at {path} ({exc.strerror}); restore it from "
                "backup or rotate to a new key"
            ) from None
        if not isinstance(private, Ed25519PrivateKey):
            raise CertificationError(f"{path} is not an Ed25519 private key")
        return SigningKey(private)

    def rotate(self, now: dt.datetime | None = None) -> SigningKey:
        """Make a new active key; earlier keys are retired but stay in the public keyring."""
        stamp = (now or dt.datetime.now(dt.UTC)).isoformat()
        self.folder.mkdir(parents=True, exist_ok=True)
        os.chmod(self.folder, 0o700)
        key = SigningKey.generate()
        path = self.folder / f"{key.key_id.replace(':', '_')}.pem"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(key.private_pem())
        keyring = self.keyring()
        for info in keyring.keys:
            if info.retired_at is None:
                info.retired_at = stamp
        keyring.keys.append(
            PublicKeyInfo(key_id=key.key_id, public_key=key.public_raw_b64(), created_at=stamp)
        )
        self._write_keyring(keyring)
        return key


class Validity(BaseModel):
    valid_from: dt.date
    valid_until: dt.date


def _absent(value: object) -> bool:
    return value is None


class Certificate(BaseModel):
    """The certified statement (what is signed)."""

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

    def canonical(self) -> bytes:
        return canonical_bytes(self.model_dump(mode="json"))

    def sha256(self) -> str:
        return sha256_hex(self.canonical())


class SignatureBlock(BaseModel):
    algorithm: str = SIGNATURE_ALGORITHM
    key_id: str
    value: str


class SignedCertificate(BaseModel):
    """A certificate with its signature (the file a company hands its buyers)."""

    certificate: Certificate
    signature: SignatureBlock

    def verify(self, keyring: Keyring) -> None:
        if self.signature.algorithm != SIGNATURE_ALGORITHM:
            raise VerificationFailed(
                f"signature algorithm {self.signature.algorithm!r} is not accepted; expected "
                f"{SIGNATURE_ALGORITHM}"
            )
        keyring.verify(
            self.signature.key_id,
            _unb64(self.signature.value),
            self.certificate.canonical(),
            "certificate",
        )


def sign_certificate(certificate: Certificate, key: SigningKey) -> SignedCertificate:
    return SignedCertificate(
        certificate=certificate,
        signature=SignatureBlock(key_id=key.key_id, value=_b64(key.sign(certificate.canonical()))),
    )


def load_json(path: Path) -> Any:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise CertificationError(f"cannot read {path}: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise CertificationError(f"{path}:{exc.lineno} is not valid JSON: {exc.msg}") from None
