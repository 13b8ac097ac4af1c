"""Byte encodings shared by certificates, keys, the ledger and label tokens.

``b64`` / ``unb64`` are base64url without padding (RFC 4648 section 5), the form JSON carries
signatures, hashes and public keys in; ``b32`` / ``unb32`` are base32 without padding (RFC 4648
section 6), whose alphabet (A-Z, 2-7) is all QR-code alphanumeric characters, so a label token
packs into the QR alphanumeric mode (5.5 bits per character, ISO/IEC 18004:2015 7.4.4).

References
----------
.. [1] RFC 4648, The Base16, Base32, and Base64 Data Encodings, IETF, October 2006.
"""

from __future__ import annotations

import base64
import binascii

from tanzuji.errors import VerificationFailed


def b64(data: bytes) -> str:
    """base64url text of ``data`` without padding."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text: str, what: str = "value") -> bytes:
    """Bytes of base64url ``text`` (padding optional); :class:`VerificationFailed` if malformed."""
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError, TypeError) as exc:
        raise VerificationFailed(f"the {what} is not valid base64url: {str(text)[:20]!r}…") from exc


def b32(data: bytes) -> str:
    """base32 text of ``data`` (upper case, no padding)."""
    return base64.b32encode(data).rstrip(b"=").decode()


def unb32(text: str, what: str = "value") -> bytes:
    """Bytes of base32 ``text`` (padding optional); :class:`VerificationFailed` if malformed."""
    try:
        return base64.b32decode(text + "=" * (-len(text) % 8))
    except (binascii.Error, ValueError, TypeError) as exc:
        raise VerificationFailed(f"the {what} is not valid base32: {str(text)[:20]!r}…") from exc
