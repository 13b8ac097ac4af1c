"""Access tokens of the PACT host: JWTs signed with Ed25519 (RFC 7519, RFC 8037 ``EdDSA``).

A token names the client (``sub``), the issuer, when it was issued and when it expires; it is
checked by signature and expiry here, and the client by the database on every request (a
revoked client's tokens stop working at once). The public key is published as a JWKS
(RFC 7517; ``kty: OKP``, ``crv: Ed25519``).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tanzuji.certify.encoding import b64, unb64
from tanzuji.errors import PactAuthError, VerificationFailed

#: Scopes a token grants (the OpenAPI document's BearerAuth scopes, plus events).
SCOPES = ("footprint:list", "footprint:read", "events:write")


class TokenExpired(PactAuthError):
    """The access token was valid but has expired (PACT: 401 TokenExpired)."""

    code = "pact_token_expired"


@dataclass(frozen=True)
class Claims:
    client_id: str
    issued_at: int
    expires_at: int


class TokenSigner:
    """Issues and checks the host's access tokens.

    Parameters
    ----------
    key : Ed25519PrivateKey
        The signing key (:func:`tanzuji.pact_host.keys.token_key`).
    lifetime_s : int
        Seconds a token is valid (``expires_in``).
    """

    def __init__(self, key: Ed25519PrivateKey, lifetime_s: int) -> None:
        self.key = key
        self.public = key.public_key()
        raw = self.public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        self.public_raw = raw
        self.key_id = hashlib.sha256(raw).hexdigest()[:16]
        self.lifetime_s = lifetime_s

    def issue(self, client_id: str, issuer: str, now_s: int) -> str:
        """A signed token for ``client_id``, valid from ``now_s`` (epoch seconds)."""
        header = {"alg": "EdDSA", "typ": "JWT", "kid": self.key_id}
        claims = {
            "iss": issuer,
            "sub": client_id,
            "iat": now_s,
            "exp": now_s + self.lifetime_s,
            "jti": str(uuid.uuid4()),
            "scope": " ".join(SCOPES),
        }
        signing_input = f"{_encode(header)}.{_encode(claims)}"
        signature = self.key.sign(signing_input.encode("ascii"))
        return f"{signing_input}.{b64(signature)}"

    def check(self, token: str, now_s: int) -> Claims:
        """The claims of a token this host signed and that has not expired.

        Raises
        ------
        TokenExpired
            When the signature holds but the token has expired.
        PactAuthError
            When it is not a token this host signed.
        """
        parts = token.split(".")
        if len(parts) != 3:
            raise PactAuthError("invalid access token")
        try:
            header = json.loads(unb64(parts[0]))
            self.public.verify(unb64(parts[2]), f"{parts[0]}.{parts[1]}".encode("ascii"))
            claims = json.loads(unb64(parts[1]))
        except (ValueError, VerificationFailed, InvalidSignature, UnicodeEncodeError):
            raise PactAuthError("invalid access token") from None
        if header.get("alg") != "EdDSA" or not isinstance(claims.get("sub"), str):
            raise PactAuthError("invalid access token")
        expires = int(claims.get("exp", 0))
        if now_s >= expires:
            raise TokenExpired("the access token has expired; request a new one")
        return Claims(claims["sub"], int(claims.get("iat", 0)), expires)

    def jwks(self) -> dict[str, Any]:
        """The public key set (RFC 7517, RFC 8037)."""
        return {
            "keys": [
                {
                    "kty": "OKP",
                    "crv": "Ed25519",
                    "x": b64(self.public_raw),
                    "kid": self.key_id,
                    "use": "sig",
                    "alg": "EdDSA",
                }
            ]
        }


def _encode(part: dict[str, Any]) -> str:
    return b64(json.dumps(part, separators=(",", ":"), sort_keys=True).encode())


__all__ = ["SCOPES", "Claims", "TokenExpired", "TokenSigner"]
