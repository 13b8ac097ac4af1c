"""Client credentials a data owner issues, and secrets a data recipient keeps.

* A client id is 16 random bytes, a secret 32 (256 bits, URL-safe base64): unguessable.
* Issued secrets are stored as a scrypt hash only (RFC 7914; n = 2**14, r = 8, p = 1, a
  16-byte salt), compared in constant time; the secret itself is shown once.
* Secrets of other hosts that this platform must present (it cannot hash them) are sealed
  with AES-256-GCM (:class:`SecretBox`) under a key the edge keeps outside the database
  (``data_dir/pact/secret-box.key``): a copy of the database alone does not reveal them.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from tanzuji.certify.encoding import b64, unb64
from tanzuji.errors import PactError, VerificationFailed

#: scrypt cost parameters (RFC 7914 section 2: n = CPU/memory cost, r = block size,
#: p = parallelism); 2**14 / 8 / 1 takes 16 MiB and a few tens of ms.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
SCRYPT_SALT_BYTES = 16
SCRYPT_HASH_BYTES = 32

#: Random bytes in a client id and a client secret.
CLIENT_ID_BYTES = 16
SECRET_BYTES = 32

#: AES-GCM key and nonce sizes (NIST SP 800-38D: a 96-bit nonce).
SECRET_BOX_KEY_BYTES = 32
NONCE_BYTES = 12


def new_client_id() -> str:
    """A new client id (hex, 32 characters)."""
    return secrets.token_hex(CLIENT_ID_BYTES)


def new_secret() -> str:
    """A new client secret (URL-safe base64, 43 characters)."""
    return secrets.token_urlsafe(SECRET_BYTES)


def hash_secret(secret: str) -> str:
    """``scrypt$N$r$p$salt$hash`` of ``secret`` (salt and hash in base64)."""
    salt = os.urandom(SCRYPT_SALT_BYTES)
    digest = _scrypt(secret, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    return "$".join(["scrypt", str(SCRYPT_N), str(SCRYPT_R), str(SCRYPT_P), b64(salt), b64(digest)])


def verify_secret(secret: str, stored: str) -> bool:
    """Whether ``secret`` is the one ``stored`` (a :func:`hash_secret` value) was made from."""
    try:
        kind, n, r, p, salt, digest = stored.split("$")
        if kind != "scrypt":
            return False
        computed = _scrypt(secret, unb64(salt), int(n), int(r), int(p))
        return hmac.compare_digest(computed, unb64(digest))
    except (ValueError, TypeError, VerificationFailed):
        return False


def _scrypt(secret: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        secret.encode(), salt=salt, n=n, r=r, p=p, dklen=SCRYPT_HASH_BYTES, maxmem=64 * 2**20
    )


class SecretBox:
    """Seals and opens short secrets with AES-256-GCM under one key.

    Parameters
    ----------
    key : bytes
        32 random bytes (:func:`new_key`), kept by the edge.
    """

    def __init__(self, key: bytes) -> None:
        if len(key) != SECRET_BOX_KEY_BYTES:
            raise PactError(f"a secret-box key has {SECRET_BOX_KEY_BYTES} bytes; found {len(key)}")
        self._aead = AESGCM(key)

    @staticmethod
    def new_key() -> bytes:
        return AESGCM.generate_key(bit_length=8 * SECRET_BOX_KEY_BYTES)

    def seal(self, secret: str, context: str) -> str:
        """``secret`` encrypted and bound to ``context`` (e.g. the remote's URL)."""
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, secret.encode(), context.encode())
        return b64(nonce + sealed)

    def open(self, sealed: str, context: str) -> str:
        """The secret :meth:`seal` sealed with the same ``context``.

        Raises
        ------
        PactError
            When it was sealed under another key or context (or altered).
        VerificationFailed
            When the stored text is not base64url at all.
        """
        raw = unb64(sealed, f"stored secret of {context}")
        try:
            return self._aead.decrypt(
                raw[:NONCE_BYTES], raw[NONCE_BYTES:], context.encode()
            ).decode()
        except InvalidTag:
            raise PactError(
                f"the stored secret of {context} does not open with this host's secret-box key "
                "(data_dir/pact/secret-box.key changed?); add the remote again"
            ) from None


__all__ = [
    "SecretBox",
    "hash_secret",
    "new_client_id",
    "new_secret",
    "verify_secret",
]
