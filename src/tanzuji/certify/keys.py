"""Platform signing keys: Ed25519 keys with validity windows, behind one keyring interface.

Every key has a validity window: it signs from ``not_before`` until it is retired
(``retired_at``), and a verifier accepts its signature only on something dated inside that
window. A retired key therefore still verifies what it signed before its retirement (old
certificates stay valid), but a token or tree head dated after the retirement is refused, so
a leaked retired key cannot sign new statements that verify (and, with a maximum tree-head
age required by the verifier, not old-dated ones either; docs/certification.md).

Where the private keys live is behind :class:`KeyProvider`, so a ``Context`` holds either:

* :class:`FileKeyring` — ``<folder>/<key id>.pem`` files written 0600 in a 0700 folder plus the
  public ``keyring.json``; rotation makes a new key and retires the old ones. A private key file
  readable by group or others is refused, naming the file and the ``chmod`` that fixes it.
  Making the first key and rotating hold an exclusive lock on ``<folder>/keyring.lock``, and
  ``keyring.json`` is replaced atomically: several processes issuing at once on a fresh
  platform agree on one key instead of each making (and retiring) its own.
* :class:`SecretKeyring` — one private key handed in by the environment or a mounted secret file
  (servers, containers), with the public keyring beside it; rotation is done by the operator.

The key id is ``"ed25519:" + the first 16 hex digits of SHA-256(raw public key)``, so it names
the key and cannot be claimed by another key without a hash collision.

References
----------
.. [1] RFC 8032, Edwards-Curve Digital Signature Algorithm (EdDSA), IETF, January 2017.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import os
import stat
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from tanzuji.certify.encoding import b64, unb64
from tanzuji.errors import CertificationError, SigningKeyError, VerificationFailed

SIGNATURE_ALGORITHM = "Ed25519"
KEY_ID_PREFIX = "ed25519:"
#: Hex digits of SHA-256(public key) in a key id (8 bytes: the label token carries them raw).
KEY_ID_HEX_DIGITS = 16
#: Environment variables :func:`open_key_provider` reads (from the mapping it is given).
ENV_SIGNING_KEY = "TANZUJI_SIGNING_KEY"  # the private key PEM itself
ENV_SIGNING_KEY_FILE = "TANZUJI_SIGNING_KEY_FILE"  # path of a mounted secret holding the PEM
ENV_KEYRING_FILE = "TANZUJI_KEYRING_FILE"  # path of the public keyring JSON
#: Permission bits that must be clear on a private key file: group and others (chmod 600).
_GROUP_OR_OTHERS = stat.S_IRWXG | stat.S_IRWXO


def key_id_of(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return KEY_ID_PREFIX + hashlib.sha256(raw).hexdigest()[:KEY_ID_HEX_DIGITS]


def instant(text: str, what: str) -> dt.datetime:
    """An ISO 8601 date-time with its offset (a naive one is refused: it names no instant)."""
    try:
        value = dt.datetime.fromisoformat(text)
    except (TypeError, ValueError):
        raise VerificationFailed(f"{what} {text!r} is not an ISO 8601 date-time") from None
    if value.tzinfo is None:
        raise VerificationFailed(f"{what} {text!r} has no UTC offset; it names no instant")
    return value


class SigningKey:
    """An Ed25519 private key with its key id."""

    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self._private = private_key
        self.public_key = private_key.public_key()
        self.key_id = key_id_of(self.public_key)

    @classmethod
    def generate(cls) -> SigningKey:
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def from_pem(cls, pem: bytes, where: str) -> SigningKey:
        try:
            private = serialization.load_pem_private_key(pem, password=None)
        except (ValueError, TypeError) as exc:
            raise SigningKeyError(
                f"{where} does not hold an unencrypted PEM private key ({exc})"
            ) from None
        if not isinstance(private, Ed25519PrivateKey):
            raise SigningKeyError(f"{where} is not an Ed25519 private key")
        return cls(private)

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
        return b64(raw)


class PublicKeyInfo(BaseModel):
    """A public key and the window in which its signatures are accepted."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    key_id: str
    algorithm: str = SIGNATURE_ALGORITHM
    public_key: str = Field(description="raw 32-byte Ed25519 public key, base64url")
    not_before: str = Field(
        validation_alias=AliasChoices("not_before", "created_at"),
        description="ISO 8601 instant from which the key signs (older keyrings: created_at)",
    )
    retired_at: str | None = Field(None, description="ISO 8601 instant the key stopped signing")

    @field_validator("not_before", "retired_at")
    @classmethod
    def _an_instant(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None:
            try:
                instant(value, info.field_name or "time")
            except VerificationFailed as exc:
                raise ValueError(exc.message) from None
        return value

    def check_window(self, signed_at: dt.datetime, what: str) -> None:
        """Refuse a ``what`` dated outside this key's validity window."""
        start = instant(self.not_before, f"key {self.key_id} not_before")
        if signed_at < start:
            raise VerificationFailed(
                f"the {what} is dated {signed_at.isoformat()}, before key {self.key_id} came into "
                f"use ({self.not_before}); a signature outside the key's window is not accepted"
            )
        if self.retired_at is not None and signed_at >= instant(
            self.retired_at, f"key {self.key_id} retired_at"
        ):
            raise VerificationFailed(
                f"the {what} is dated {signed_at.isoformat()}, after key {self.key_id} was "
                f"retired ({self.retired_at}); a retired key verifies only what it signed before "
                "its retirement / 密钥已停用"
            )


class Keyring(BaseModel):
    """The platform's public keys: what a verifier needs, and nothing secret."""

    model_config = ConfigDict(extra="forbid")

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

    def verify(
        self, key_id: str, signature: bytes, message: bytes, what: str, signed_at: dt.datetime
    ) -> None:
        """Check an Ed25519 signature and that ``signed_at`` lies in the key's window."""
        info = self.find(key_id)
        public = Ed25519PublicKey.from_public_bytes(unb64(info.public_key, "public key"))
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
        info.check_window(signed_at, what)

    def to_json(self) -> str:
        return self.model_dump_json(indent=2)

    @classmethod
    def from_json(cls, text: str | bytes, where: str) -> Keyring:
        try:
            return cls.model_validate_json(text)
        except ValidationError as exc:
            raise VerificationFailed(
                f"{where} is not a public keyring ({exc.error_count()} problem(s), first: "
                f"{exc.errors()[0]['msg']} at {'.'.join(map(str, exc.errors()[0]['loc']))})"
            ) from None


class KeyProvider(Protocol):
    """Where the platform's keys come from (a ``Context`` holds one)."""

    def keyring(self) -> Keyring:
        """The public keyring (every key, active and retired)."""

    def signing_key(self, now: dt.datetime) -> SigningKey:
        """The key that signs at ``now`` (inside its window)."""

    def rotate(self, now: dt.datetime | None = None) -> SigningKey:
        """Make a new signing key and retire the current one (or say where to rotate)."""


def check_private_file(path: Path) -> None:
    """Refuse a private key file that group or others may read or write."""
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        raise SigningKeyError(
            f"private key file {path} cannot be read ({exc.strerror}); restore it from backup or "
            "rotate to a new key"
        ) from None
    if mode & _GROUP_OR_OTHERS:
        raise SigningKeyError(
            f"private key file {path} has mode {stat.S_IMODE(mode):04o}: group or others may "
            f"read it, so it is refused; fix with: chmod 600 {path} (and rotate the key if "
            "someone else may have copied it) / 私钥文件权限过宽"
        )


class FileKeyring:
    """Platform signing keys on disk: ``<folder>/<key id>.pem`` (0600) + ``keyring.json``."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    @property
    def keyring_path(self) -> Path:
        return self.folder / "keyring.json"

    @property
    def lock_path(self) -> Path:
        return self.folder / "keyring.lock"

    def keyring(self) -> Keyring:
        if not self.keyring_path.is_file():
            return Keyring()
        return Keyring.from_json(self.keyring_path.read_bytes(), str(self.keyring_path))

    def _write_keyring(self, keyring: Keyring) -> None:
        """Replace ``keyring.json`` atomically (write a temporary file, then rename it over)."""
        temporary = self.keyring_path.with_name(f".keyring.{os.getpid()}.tmp")
        temporary.write_text(keyring.to_json(), encoding="utf-8")
        os.replace(temporary, self.keyring_path)

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """Hold the keyring's exclusive lock (``flock`` on ``keyring.lock``) for the block.

        Other processes (and other keyrings on the same folder in this process) wait: key
        creation and rotation read and write ``keyring.json`` one at a time.
        """
        self.folder.mkdir(parents=True, exist_ok=True)
        os.chmod(self.folder, 0o700)
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing the descriptor releases the lock

    def _current(self) -> list[PublicKeyInfo]:
        return [k for k in self.keyring().keys if k.retired_at is None]

    def signing_key(self, now: dt.datetime) -> SigningKey:
        """The current signing key; the first call creates one.

        The check for a current key is repeated under the lock, so when several processes
        start signing on a fresh platform at once exactly one key is made and all sign with it.
        """
        current = self._current()
        if not current:
            with self._locked():
                current = self._current()
                if not current:
                    return self._rotate_locked(now)
        return self.load(current[-1].key_id)

    def active(self, now: dt.datetime | None = None) -> SigningKey:
        """:meth:`signing_key` at ``now`` (default: the current time)."""
        return self.signing_key(now or dt.datetime.now(dt.UTC))

    def private_path(self, key_id: str) -> Path:
        return self.folder / f"{key_id.replace(':', '_')}.pem"

    def load(self, key_id: str) -> SigningKey:
        path = self.private_path(key_id)
        check_private_file(path)
        key = SigningKey.from_pem(path.read_bytes(), str(path))
        if key.key_id != key_id:
            raise SigningKeyError(f"{path} holds key {key.key_id}, not {key_id}")
        return key

    def rotate(self, now: dt.datetime | None = None) -> SigningKey:
        """Make a new active key; earlier keys are retired but stay in the public keyring."""
        with self._locked():
            return self._rotate_locked(now)

    def _rotate_locked(self, now: dt.datetime | None) -> SigningKey:
        """:meth:`rotate` for a caller holding :meth:`_locked`."""
        stamp = (now or dt.datetime.now(dt.UTC)).isoformat()
        key = SigningKey.generate()
        fd = os.open(self.private_path(key.key_id), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(key.private_pem())
        keyring = self.keyring()
        for info in keyring.keys:
            if info.retired_at is None:
                info.retired_at = stamp
        keyring.keys.append(
            PublicKeyInfo(key_id=key.key_id, public_key=key.public_raw_b64(), not_before=stamp)
        )
        self._write_keyring(keyring)
        return key


#: The file keyring under its former name.
KeyStore = FileKeyring


class SecretKeyring:
    """One signing key handed in from outside (environment or mounted secret) + its keyring."""

    def __init__(self, key: SigningKey, keyring: Keyring, where: str) -> None:
        info = next((k for k in keyring.keys if k.key_id == key.key_id), None)
        if info is None or info.public_key != key.public_raw_b64():
            raise SigningKeyError(
                f"the signing key from {where} ({key.key_id}) is not in its public keyring; "
                "publish its public key (with not_before) in the keyring first"
            )
        self._key, self._keyring, self.where = key, keyring, where

    @classmethod
    def from_environment(cls, environ: Mapping[str, str], keyring: Keyring) -> SecretKeyring:
        """The key PEM in ``environ[TANZUJI_SIGNING_KEY]``, or in the file it names by
        ``TANZUJI_SIGNING_KEY_FILE`` (a mounted secret)."""
        if environ.get(ENV_SIGNING_KEY):
            pem = environ[ENV_SIGNING_KEY].encode()
            return cls(SigningKey.from_pem(pem, ENV_SIGNING_KEY), keyring, ENV_SIGNING_KEY)
        path = environ.get(ENV_SIGNING_KEY_FILE)
        if not path:
            raise SigningKeyError(f"neither {ENV_SIGNING_KEY} nor {ENV_SIGNING_KEY_FILE} is set")
        return cls.from_secret_file(Path(path), keyring)

    @classmethod
    def from_secret_file(cls, path: Path, keyring: Keyring) -> SecretKeyring:
        """The key PEM in a mounted secret file (mode 0400/0600, e.g. ``defaultMode: 0400``)."""
        check_private_file(path)
        return cls(SigningKey.from_pem(path.read_bytes(), str(path)), keyring, str(path))

    def keyring(self) -> Keyring:
        return self._keyring

    def signing_key(self, now: dt.datetime) -> SigningKey:
        info = self._keyring.find(self._key.key_id)
        try:
            info.check_window(now, "signature")
        except VerificationFailed as exc:
            raise SigningKeyError(
                f"the signing key from {self.where} cannot sign now: {exc.message}"
            ) from None
        return self._key

    def rotate(self, now: dt.datetime | None = None) -> SigningKey:
        raise SigningKeyError(
            f"the signing key comes from {self.where}; rotate it there (new secret and keyring "
            "with the old key's retired_at) and restart"
        )


def open_key_provider(keys_folder: Path, environ: Mapping[str, str]) -> FileKeyring | SecretKeyring:
    """A secret keyring when ``environ`` names a signing key, else the file keyring.

    The edge passes its environment in (nothing below the edges reads it). With a secret key the
    public keyring is read from ``TANZUJI_KEYRING_FILE`` (default ``<keys_folder>/keyring.json``).
    """
    if not (environ.get(ENV_SIGNING_KEY) or environ.get(ENV_SIGNING_KEY_FILE)):
        return FileKeyring(keys_folder)
    keyring_path = Path(environ.get(ENV_KEYRING_FILE) or keys_folder / "keyring.json")
    try:
        text = keyring_path.read_bytes()
    except OSError as exc:
        raise CertificationError(
            f"a signing key is set in the environment but its public keyring {keyring_path} "
            f"cannot be read ({exc.strerror}); set {ENV_KEYRING_FILE}"
        ) from None
    return SecretKeyring.from_environment(environ, Keyring.from_json(text, str(keyring_path)))
