"""The PACT host's key material, in ``data_dir/pact/`` (files 0600, made once, under a lock):

* ``token-ed25519.pem``: the Ed25519 key that signs access tokens (its public half is the
  JWKS at ``/.well-known/jwks.json``);
* ``secret-box.key``: the AES-256-GCM key that seals the secrets of other hosts kept in the
  database (:class:`~tanzuji.exchange.credentials.SecretBox`);
* ``tls-cert.pem`` / ``tls-key.pem``: a self-signed certificate for ``localhost``,
  ``127.0.0.1`` and ``::1`` when no certificate is configured (settings ``pact_tls_cert``,
  ``pact_tls_key``). Clients trust it by its PEM (``NODE_EXTRA_CA_CERTS``, setting
  ``pact_tls_ca`` of another Tanzuji, ``curl --cacert``).
"""

from __future__ import annotations

import datetime as dt
import fcntl
import ipaddress
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.x509.oid import NameOID

from tanzuji.errors import PactError
from tanzuji.exchange.credentials import SecretBox

#: Folder of the PACT key material under ``data_dir``.
FOLDER = "pact"

#: Validity of the generated self-signed certificate, days (a local, test certificate).
SELF_SIGNED_DAYS = 825

#: Names the self-signed certificate covers (loopback only).
SELF_SIGNED_DNS = ("localhost",)
SELF_SIGNED_IPS = ("127.0.0.1", "::1")


def folder(data_dir: Path) -> Path:
    return Path(data_dir) / FOLDER


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path.parent / "keys.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _write(path: Path, content: bytes) -> None:
    """Write ``content`` to ``path`` (mode 0600) atomically."""
    temporary = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(content)
    os.replace(temporary, path)


def _made_once(path: Path, make: Callable[[], bytes]) -> bytes:
    """The file's bytes, written by ``make`` the first time (under the folder's lock)."""
    with _locked(path):
        if not path.exists():
            _write(path, make())
        return path.read_bytes()


def token_key(data_dir: Path) -> Ed25519PrivateKey:
    """The token-signing key (made on first use)."""

    def make() -> bytes:
        return Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    pem = _made_once(folder(data_dir) / "token-ed25519.pem", make)
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise PactError(f"{folder(data_dir) / 'token-ed25519.pem'} is not an Ed25519 key")
    return key


def secret_box(data_dir: Path) -> SecretBox:
    """The secret box of this data directory (its key made on first use)."""
    raw = _made_once(
        folder(data_dir) / "secret-box.key", lambda: SecretBox.new_key().hex().encode()
    )
    try:
        return SecretBox(bytes.fromhex(raw.decode().strip()))
    except ValueError:
        raise PactError(f"{folder(data_dir) / 'secret-box.key'} is not a hex key") from None


def self_signed(data_dir: Path) -> tuple[Path, Path]:
    """Paths of the self-signed certificate and its key (both made on first use)."""
    base = folder(data_dir)
    key_path, cert_path = base / "tls-key.pem", base / "tls-cert.pem"
    with _locked(cert_path):
        if not (key_path.exists() and cert_path.exists()):
            key = ec.generate_private_key(ec.SECP256R1())
            pem = key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            _write(key_path, pem)
            _write(cert_path, _certificate(key).public_bytes(serialization.Encoding.PEM))
    return cert_path, key_path


def _certificate(key: object) -> x509.Certificate:
    # a name of its own (and key identifiers): a client trusting several local hosts finds
    # each one's certificate by issuer name, and equal names would shadow each other
    common_name = f"Tanzuji PACT host (local) {os.urandom(6).hex()}"
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    identifier = x509.SubjectKeyIdentifier.from_public_key(key.public_key())  # type: ignore[attr-defined]
    now = dt.datetime.now(dt.UTC)
    alternative = [x509.DNSName(n) for n in SELF_SIGNED_DNS] + [
        x509.IPAddress(ipaddress.ip_address(a)) for a in SELF_SIGNED_IPS
    ]
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())  # type: ignore[attr-defined]
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=SELF_SIGNED_DAYS))
        .add_extension(x509.SubjectAlternativeName(alternative), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(identifier, critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(identifier),
            critical=False,
        )
        .sign(key, hashes.SHA256())  # type: ignore[arg-type]
    )


def tls_files(data_dir: Path, cert: str, key: str) -> tuple[Path, Path]:
    """The certificate and key to serve: the configured ones, else the self-signed pair.

    Raises
    ------
    PactError
        When only one of the two is configured, or a configured file does not exist.
    """
    if bool(cert) != bool(key):
        raise PactError("set both pact_tls_cert and pact_tls_key, or neither (self-signed)")
    if not cert:
        return self_signed(data_dir)
    for path in (cert, key):
        if not Path(path).is_file():
            raise PactError(f"TLS file {path} does not exist (settings pact_tls_cert/pact_tls_key)")
    return Path(cert), Path(key)


__all__ = ["folder", "secret_box", "self_signed", "tls_files", "token_key"]
