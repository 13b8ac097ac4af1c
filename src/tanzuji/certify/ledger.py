"""The transparency log: an append-only Merkle tree in the style of Certificate Transparency.

Every issuance, renewal, suspension, revocation and expiry is one entry. The tree, the
inclusion proofs and the consistency proofs follow RFC 9162 (Certificate Transparency 2.0)
section 2.1 exactly, so any RFC 9162 verifier can check them:

* leaf hash  ``MTH({d0}) = SHA-256(0x00 || d0)``                (RFC 9162 2.1.1)
* node hash  ``SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n]))``,  k the largest power of two
  smaller than n                                                  (RFC 9162 2.1.1)
* inclusion proof ``PATH(m, D[n])`` and its verification         (RFC 9162 2.1.3.1, 2.1.3.2)
* consistency proof ``PROOF(m, D[n])`` and its verification       (RFC 9162 2.1.4.1, 2.1.4.2)

A signed tree head (STH) is the platform's Ed25519 signature over the canonical JSON of
``{"tree_size", "root_hash", "timestamp"}``. Whoever keeps an STH can later prove that the log
only grew: changing a stored entry, reordering entries or dropping one changes the root.

References
----------
.. [1] RFC 9162, Certificate Transparency Version 2.0, IETF, December 2021, section 2.1.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field

from pydantic import BaseModel

from tanzuji.certify.certificate import Keyring, SigningKey, canonical_bytes
from tanzuji.errors import LedgerInconsistent, NotFound, VerificationFailed

LEAF_PREFIX = b"\x00"  # RFC 9162 2.1.1
NODE_PREFIX = b"\x01"  # RFC 9162 2.1.1


def leaf_hash(entry: bytes) -> bytes:
    """``SHA-256(0x00 || entry)`` (RFC 9162 2.1.1)."""
    return hashlib.sha256(LEAF_PREFIX + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """``SHA-256(0x01 || left || right)`` (RFC 9162 2.1.1)."""
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def _split(n: int) -> int:
    """Largest power of two strictly smaller than ``n`` (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def merkle_root(leaves: Sequence[bytes]) -> bytes:
    """MTH over leaf hashes (RFC 9162 2.1.1); the empty tree hashes to SHA-256 of nothing."""
    n = len(leaves)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return leaves[0]
    k = _split(n)
    return node_hash(merkle_root(leaves[:k]), merkle_root(leaves[k:]))


def inclusion_path(index: int, leaves: Sequence[bytes]) -> list[bytes]:
    """``PATH(m, D[n])``: the audit path of leaf ``index`` (RFC 9162 2.1.3.1)."""
    n = len(leaves)
    if not 0 <= index < n:
        raise NotFound(f"leaf index {index} is outside the tree of size {n}")
    if n == 1:
        return []
    k = _split(n)
    if index < k:
        return [*inclusion_path(index, leaves[:k]), merkle_root(leaves[k:])]
    return [*inclusion_path(index - k, leaves[k:]), merkle_root(leaves[:k])]


def consistency_path(old_size: int, leaves: Sequence[bytes]) -> list[bytes]:
    """``PROOF(m, D[n])`` between the tree of size ``old_size`` and this one (RFC 9162 2.1.4.1)."""
    n = len(leaves)
    if not 0 < old_size <= n:
        raise NotFound(f"no consistency proof from size {old_size} to size {n}; need 0 < m <= n")
    return _subproof(old_size, leaves, True)


def _subproof(m: int, leaves: Sequence[bytes], complete: bool) -> list[bytes]:
    n = len(leaves)
    if m == n:
        return [] if complete else [merkle_root(leaves)]
    k = _split(n)
    if m <= k:
        return [*_subproof(m, leaves[:k], complete), merkle_root(leaves[k:])]
    return [*_subproof(m - k, leaves[k:], False), merkle_root(leaves[:k])]


def verify_inclusion(
    leaf: bytes, index: int, tree_size: int, path: Sequence[bytes], root: bytes
) -> None:
    """Check an inclusion proof (RFC 9162 2.1.3.2); raise :class:`VerificationFailed`."""
    if not 0 <= index < tree_size:
        raise VerificationFailed(f"leaf index {index} is outside the tree of size {tree_size}")
    fn, sn = index, tree_size - 1
    r = leaf
    for p in path:
        if sn == 0:
            raise VerificationFailed("inclusion proof is longer than the tree allows")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn & 1 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0 or r != root:
        raise VerificationFailed(
            f"entry {index} is not included in the log of size {tree_size}: the inclusion proof "
            "does not lead to the signed root hash (entry altered, reordered or proof forged)"
        )


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> None:
    """Check a consistency proof (RFC 9162 2.1.4.2); raise :class:`LedgerInconsistent`."""
    if not 0 < old_size <= new_size:
        raise LedgerInconsistent(
            f"the newer tree head has size {new_size}, smaller than the older size {old_size}: "
            "the log was truncated"
        )
    if old_size == new_size:
        if proof or old_root != new_root:
            raise LedgerInconsistent(
                f"two tree heads of the same size {old_size} have different roots: the log was "
                "rewritten"
            )
        return
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # exact power of two: prepend the old root
        path = [old_root, *path]
    if not path:
        raise LedgerInconsistent("empty consistency proof")
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise LedgerInconsistent("consistency proof is longer than the trees allow")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn & 1 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if fr != old_root or sr != new_root or sn != 0:
        raise LedgerInconsistent(
            f"the log of size {new_size} is not an append-only extension of the log of size "
            f"{old_size}: an entry was changed, reordered or dropped"
        )


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError) as exc:
        raise VerificationFailed(f"not valid base64url: {text[:20]!r}…") from exc


class LedgerEntry(BaseModel):
    """One logged event about a certificate (the leaf data is its canonical JSON)."""

    index: int
    event: str  # issued | renewed | suspended | reinstated | revoked | expired
    certificate_id: str
    certificate_sha256: str
    status: str
    at: str
    reason: str = ""

    def leaf(self) -> bytes:
        return leaf_hash(canonical_bytes(self.model_dump(mode="json")))


class TreeHead(BaseModel):
    """A signed tree head (STH)."""

    tree_size: int
    root_hash: str  # base64url
    timestamp: str
    key_id: str
    signature: str  # base64url Ed25519 over canonical JSON of the three fields above

    def signed_part(self) -> bytes:
        return canonical_bytes(
            {"tree_size": self.tree_size, "root_hash": self.root_hash, "timestamp": self.timestamp}
        )

    def verify(self, keyring: Keyring) -> None:
        """Check the STH signature with the platform's public keys."""
        keyring.verify(self.key_id, unb64(self.signature), self.signed_part(), "tree head")


@dataclass
class Ledger:
    """The log in memory: entries in order plus their leaf hashes (persisted by ``store``)."""

    entries: list[LedgerEntry] = field(default_factory=list)

    @property
    def size(self) -> int:
        return len(self.entries)

    def leaves(self, size: int | None = None) -> list[bytes]:
        chosen = self.entries if size is None else self.entries[:size]
        return [e.leaf() for e in chosen]

    def append(
        self,
        event: str,
        certificate_id: str,
        certificate_sha256: str,
        status: str,
        at: dt.datetime,
        reason: str = "",
    ) -> LedgerEntry:
        entry = LedgerEntry(
            index=self.size,
            event=event,
            certificate_id=certificate_id,
            certificate_sha256=certificate_sha256,
            status=status,
            at=at.isoformat(),
            reason=reason,
        )
        self.entries.append(entry)
        return entry

    def root(self, size: int | None = None) -> bytes:
        return merkle_root(self.leaves(size))

    def sign_head(self, key: SigningKey, at: dt.datetime) -> TreeHead:
        unsigned = TreeHead(
            tree_size=self.size,
            root_hash=b64(self.root()),
            timestamp=at.isoformat(),
            key_id=key.key_id,
            signature="",
        )
        return unsigned.model_copy(update={"signature": b64(key.sign(unsigned.signed_part()))})

    def inclusion(self, index: int, size: int | None = None) -> list[str]:
        return [b64(h) for h in inclusion_path(index, self.leaves(size))]

    def consistency(self, old_size: int, size: int | None = None) -> list[str]:
        return [b64(h) for h in consistency_path(old_size, self.leaves(size))]

    def entries_for(self, certificate_id: str) -> list[LedgerEntry]:
        return [e for e in self.entries if e.certificate_id == certificate_id]

    def audit(self, head: TreeHead, keyring: Keyring) -> None:
        """Check the stored entries against a signed tree head: order, content, count."""
        head.verify(keyring)
        for i, entry in enumerate(self.entries):
            if entry.index != i:
                raise LedgerInconsistent(
                    f"ledger entry at position {i} says it is entry {entry.index}: entries were "
                    "reordered or one was dropped"
                )
        if head.tree_size > self.size:
            raise LedgerInconsistent(
                f"the signed tree head covers {head.tree_size} entries but the log holds only "
                f"{self.size}: the log was truncated"
            )
        if b64(self.root(head.tree_size)) != head.root_hash:
            raise LedgerInconsistent(
                f"the first {head.tree_size} stored entries do not hash to the signed root: an "
                "entry was changed, reordered or dropped"
            )
