"""The compact signed claim carried by the label's QR code (token format ``TZJ2``).

The QR code holds ``<certificate page URL>#TZJ2<base32 claim>``: a phone opens the public page
(the fragment is never sent to the server), and ``tanzuji verify --qr`` checks the claim offline
with the public keyring. The claim states what the label shows — certificate id and version,
label type, the footprint per declared unit, the declared unit, the validity — plus the first
16 bytes of the certificate's SHA-256, its ledger entry index, the signing key id and time, and
the full 64-byte Ed25519 signature (nothing truncated). Binary it is 114 bytes + the id and the
unit; in base32 (all QR alphanumeric characters) the token and a 46-character URL fit a QR code
of version 10 (57 x 57 modules) at error correction level M (15 %), where the former JSON token
needed version 29.

Layout (big-endian; ISO/IEC 18004 does not constrain it, this is our format)::

    version u8 (=2) | key id 8 bytes | signed_at u32 (Unix seconds) | ledger index u32 |
    label type u8 | certificate version u16 | valid_from u16 | valid_until u16 (days since
    1970-01-01) | footprint f64 (kg CO2e per declared unit) | certificate SHA-256[:16] |
    id length u8 + id (ASCII) | unit length u8 + unit (UTF-8) | signature 64 bytes

The signature covers ``b"TZJ2\\x00"`` followed by everything before it, so it cannot be taken
for a signature over a certificate or a tree head (those sign JSON objects).
"""

from __future__ import annotations

import datetime as dt
import math
import struct
from urllib.parse import unquote, urlsplit

from pydantic import BaseModel, ConfigDict

from tanzuji.certify.certificate import Certificate
from tanzuji.certify.encoding import b32, unb32
from tanzuji.certify.keys import KEY_ID_HEX_DIGITS, KEY_ID_PREFIX, Keyring, SigningKey
from tanzuji.errors import CertificationError, VerificationFailed

PREFIX = "TZJ2"
FORMAT_VERSION = 2
_DOMAIN = b"TZJ2\x00"
_FIXED = struct.Struct(">B8sIIBHHHd16s")
_SIGNATURE_BYTES = 64  # Ed25519, RFC 8032 5.1.6
_EPOCH = dt.date(1970, 1, 1)
_MAX_DAY = 0xFFFF  # u16 days: 2149-06-06
LABEL_CODES = {"disclosure": 0, "reduction": 1, "neutrality": 2}
SHA_PREFIX_BYTES = 16


class LabelClaim(BaseModel):
    """What the label's QR code states, signed by the platform."""

    model_config = ConfigDict(extra="forbid")

    certificate_id: str
    certificate_version: int
    certificate_sha256_prefix: str  # hex, the first 16 bytes
    label: str
    footprint_kg_co2e: float
    declared_unit: str
    valid_from: dt.date
    valid_until: dt.date
    ledger_index: int
    key_id: str
    signed_at: dt.datetime

    def agrees_with(self, certificate: Certificate) -> list[str]:
        """Fields in which the claim differs from ``certificate`` (empty: they agree)."""
        pairs = {
            "certificate id": (self.certificate_id, certificate.certificate_id),
            "version": (self.certificate_version, certificate.version),
            "sha256": (
                self.certificate_sha256_prefix,
                certificate.sha256()[: 2 * SHA_PREFIX_BYTES],
            ),
            "label": (self.label, str(certificate.label.get("type"))),
            "footprint": (self.footprint_kg_co2e, certificate.footprint_kg_co2e),
            "declared unit": (self.declared_unit, certificate.functional_unit_text()),
            "valid from": (self.valid_from, certificate.validity.valid_from),
            "valid until": (self.valid_until, certificate.validity.valid_until),
        }
        return [f"{name} {a!r} vs {b!r}" for name, (a, b) in pairs.items() if a != b]


def _day(value: dt.date) -> int:
    days = (value - _EPOCH).days
    if not 0 <= days <= _MAX_DAY:
        raise CertificationError(f"date {value} cannot be carried by the label token (1970-2149)")
    return days


def _short(text: str, what: str) -> bytes:
    data = text.encode("utf-8")
    if len(data) > 0xFF:
        raise CertificationError(f"the {what} {text[:40]!r}… is too long for the label token")
    return bytes([len(data)]) + data


def make_token(
    certificate: Certificate, ledger_index: int, key: SigningKey, signed_at: dt.datetime
) -> str:
    """The ``TZJ2`` token of ``certificate`` logged as entry ``ledger_index``."""
    label = str(certificate.label.get("type"))
    if label not in LABEL_CODES:
        raise CertificationError(f"label type {label!r} has no code in the label token")
    body = _FIXED.pack(
        FORMAT_VERSION,
        bytes.fromhex(key.key_id.removeprefix(KEY_ID_PREFIX)),
        math.ceil(signed_at.timestamp()),  # whole seconds, never before the real time
        ledger_index,
        LABEL_CODES[label],
        certificate.version,
        _day(certificate.validity.valid_from),
        _day(certificate.validity.valid_until),
        certificate.footprint_kg_co2e,
        bytes.fromhex(certificate.sha256())[:SHA_PREFIX_BYTES],
    )
    body += _short(certificate.certificate_id, "certificate id")
    body += _short(certificate.functional_unit_text(), "declared unit")
    return PREFIX + b32(body + key.sign(_DOMAIN + body))


def qr_text(base_url: str, certificate_id: str, token: str) -> str:
    """The text encoded in the QR code: the certificate page URL with the token as fragment."""
    return f"{base_url.rstrip('/')}/{certificate_id}#{token}"


def qr_segments(text: str) -> list[tuple[str, str]]:
    """QR segments for ``text``: the URL in byte mode, the token in alphanumeric mode."""
    url, sep, token = text.rpartition("#")
    if sep and token.startswith(PREFIX) and token.isalnum() and token == token.upper():
        return [(url + "#", "byte"), (token, "alphanumeric")]
    return [(text, "byte")]


def is_qr_text(value: str) -> bool:
    """True when ``value`` is a token or a QR text (URL#token) rather than an image path."""
    text = value.strip()
    return text.upper().startswith("TZJ") or "#TZJ" in text or "://" in text


def split_qr_text(text: str) -> tuple[str | None, str]:
    """``(certificate id named by the URL or None, token)`` of a QR text or a bare token."""
    text = text.strip()
    url, sep, token = text.rpartition("#")
    if not token.startswith(PREFIX):
        legacy = token.startswith("TZJ1")
        raise VerificationFailed(
            f"not a Tanzuji label token (expected it to start with {PREFIX}, found "
            f"{token[:12]!r})"
            + (
                "; TZJ1 tokens of earlier labels are no longer read, re-render the label"
                if legacy
                else ""
            )
            + " / 不是碳足迹标识二维码"
        )
    if not sep:
        return None, token
    path = urlsplit(url).path.rstrip("/")
    return unquote(path.rsplit("/", 1)[-1]) or None, token


def read_token(text: str, keyring: Keyring) -> LabelClaim:
    """Check a token (or QR text) and return its claim.

    Raises
    ------
    VerificationFailed
        When the token is malformed, the signature does not verify with a key of the keyring
        valid at the signing time, or the URL of the QR text names another certificate.
    """
    url_id, token = split_qr_text(text)
    data = unb32(token[len(PREFIX) :], "label token")
    claim, body = _parse(data)
    keyring.verify(claim.key_id, data[len(body) :], _DOMAIN + body, "label token", claim.signed_at)
    if url_id is not None and url_id != claim.certificate_id:
        raise VerificationFailed(
            f"the QR code's link names certificate {url_id} but its signed token is about "
            f"{claim.certificate_id}: the label was tampered with / 二维码链接与签名内容不符"
        )
    return claim


def _parse(data: bytes) -> tuple[LabelClaim, bytes]:
    """The claim and the signed body of a decoded token."""
    if len(data) < _FIXED.size + 2 + _SIGNATURE_BYTES:
        raise VerificationFailed(f"the label token is too short ({len(data)} bytes)")
    fields = _FIXED.unpack_from(data)
    if fields[0] != FORMAT_VERSION:
        raise VerificationFailed(f"label token format {fields[0]} is not {FORMAT_VERSION}")
    at = _FIXED.size
    texts = []
    for what in ("certificate id", "declared unit"):
        length = data[at] if at < len(data) else 0
        raw = data[at + 1 : at + 1 + length]
        if len(raw) != length:
            raise VerificationFailed(f"the label token is cut short in its {what}")
        try:
            texts.append(raw.decode("ascii" if what == "certificate id" else "utf-8"))
        except UnicodeDecodeError:
            raise VerificationFailed(f"the label token's {what} is not valid text") from None
        at += 1 + length
    if len(data) - at != _SIGNATURE_BYTES:
        raise VerificationFailed(
            f"the label token has {len(data) - at} bytes after its claim; expected the "
            f"{_SIGNATURE_BYTES}-byte signature"
        )
    labels = {code: name for name, code in LABEL_CODES.items()}
    if fields[4] not in labels:
        raise VerificationFailed(f"the label token names an unknown label type {fields[4]}")
    claim = LabelClaim(
        certificate_id=texts[0],
        certificate_version=fields[5],
        certificate_sha256_prefix=fields[9].hex(),
        label=labels[fields[4]],
        footprint_kg_co2e=fields[8],
        declared_unit=texts[1],
        valid_from=_EPOCH + dt.timedelta(days=fields[6]),
        valid_until=_EPOCH + dt.timedelta(days=fields[7]),
        ledger_index=fields[3],
        key_id=KEY_ID_PREFIX + fields[1].hex().rjust(KEY_ID_HEX_DIGITS, "0"),
        signed_at=dt.datetime.fromtimestamp(fields[2], dt.UTC),
    )
    return claim, data[:at]
