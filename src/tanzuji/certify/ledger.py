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
``{"tree_size", "root_hash", "map_root", "timestamp"}``: the log root and the root of the status
map (:mod:`tanzuji.certify.statusmap`, the latest entry of every certificate) at that size.
Whoever keeps an STH can later prove that the log only grew: changing a stored entry,
reordering entries or dropping one changes the root. (Heads signed before the status map
existed carry no ``map_root`` and sign the three other fields.)

Appending needs only the *frontier*, the roots of the perfect subtrees that make up the tree
(one per set bit of its size, largest first; RFC 9162 2.1.1's split makes the root their fold
from the right): a new leaf merges with the frontier's smallest subtrees like a carry in binary
addition, so an append is O(log n) without reading the log, and the audit path of the appended
leaf is the old frontier, smallest subtree first.

References
----------
.. [1] RFC 9162, Certificate Transparency Version 2.0, IETF, December 2021, section 2.1.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field

from tanzuji.certify import statusmap
from tanzuji.certify.certificate import canonical_bytes
from tanzuji.certify.encoding import b64, unb64
from tanzuji.certify.keys import Keyring, SigningKey, instant
from tanzuji.errors import LedgerInconsistent, NotFound, VerificationFailed

#: Certificate status after each ledger event (one table for publishing and for verifying).
EVENT_STATUS = {
    "issued": "valid",
    "renewed": "valid",
    "reinstated": "valid",
    "suspended": "suspended",
    "revoked": "revoked",
    "expired": "expired",
    "superseded": "superseded",
}
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


EMPTY_TREE_ROOT = hashlib.sha256(b"").digest()  # RFC 9162 2.1.1: MTH({}) = SHA-256()


def merkle_root(leaves: Sequence[bytes]) -> bytes:
    """MTH over leaf hashes (RFC 9162 2.1.1); the empty tree hashes to SHA-256 of nothing."""
    n = len(leaves)
    if n == 0:
        return EMPTY_TREE_ROOT
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


class MerkleTree:
    """A growing log's leaf hashes with the hashes of its complete subtrees kept.

    The proofs of RFC 9162 are built from MTH of subranges ``[lo, hi)``; in a log that only
    grows, a complete subtree (a power-of-two range aligned on its size) never changes, so its
    hash is computed once and kept (ranges of :data:`MEMO_FROM` leaves or more: a tenth of the
    leaves' memory). A proof then costs O(log^2 n) hashes instead of O(n), the same bytes as
    :func:`inclusion_path` and :func:`consistency_path` over the whole list.
    """

    MEMO_FROM = 16

    def __init__(self, leaves: Sequence[bytes] = ()) -> None:
        self.leaves: list[bytes] = list(leaves)
        self._memo: dict[tuple[int, int], bytes] = {}

    @property
    def size(self) -> int:
        return len(self.leaves)

    def extend(self, leaves: Iterable[bytes]) -> None:
        self.leaves.extend(leaves)

    def root(self, size: int | None = None) -> bytes:
        """MTH of the first ``size`` leaves (all by default)."""
        n = self.size if size is None else size
        if not 0 <= n <= self.size:
            raise NotFound(f"no tree of size {n}: the log holds {self.size} leaves")
        return self._root(0, n) if n else EMPTY_TREE_ROOT

    def inclusion(self, index: int, size: int) -> list[bytes]:
        """``PATH(index, D[size])`` (as :func:`inclusion_path`)."""
        if not 0 <= index < size <= self.size:
            raise NotFound(f"leaf index {index} is outside the tree of size {size}")
        return self._path(index, 0, size)

    def consistency(self, old_size: int, size: int) -> list[bytes]:
        """``PROOF(old_size, D[size])`` (as :func:`consistency_path`)."""
        if not 0 < old_size <= size <= self.size:
            raise NotFound(
                f"no consistency proof from size {old_size} to size {size}; need 0 < m <= n"
            )
        return self._subproof(old_size, 0, size, True)

    def _root(self, lo: int, hi: int) -> bytes:
        n = hi - lo
        if n == 1:
            return self.leaves[lo]
        complete = n >= self.MEMO_FROM and n & (n - 1) == 0
        if complete:
            found = self._memo.get((lo, n))
            if found is not None:
                return found
        k = _split(n)
        value = node_hash(self._root(lo, lo + k), self._root(lo + k, hi))
        if complete:
            self._memo[(lo, n)] = value
        return value

    def _path(self, index: int, lo: int, hi: int) -> list[bytes]:
        n = hi - lo
        if n == 1:
            return []
        k = _split(n)
        if index < k:
            return [*self._path(index, lo, lo + k), self._root(lo + k, hi)]
        return [*self._path(index - k, lo + k, hi), self._root(lo, lo + k)]

    def _subproof(self, m: int, lo: int, hi: int, complete: bool) -> list[bytes]:
        n = hi - lo
        if m == n:
            return [] if complete else [self._root(lo, hi)]
        k = _split(n)
        if m <= k:
            return [*self._subproof(m, lo, lo + k, complete), self._root(lo + k, hi)]
        return [*self._subproof(m - k, lo + k, hi, False), self._root(lo, lo + k)]


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


class LedgerEntry(BaseModel):
    """One logged event about a certificate (the leaf data is its canonical JSON)."""

    model_config = ConfigDict(extra="forbid")

    index: int
    event: str  # issued | renewed | suspended | reinstated | revoked | expired | superseded
    certificate_id: str
    certificate_sha256: str
    status: str
    at: str
    reason: str = ""

    def leaf(self) -> bytes:
        return leaf_hash(canonical_bytes(self.model_dump(mode="json")))


class TreeHead(BaseModel):
    """A signed tree head (STH): log size and root, status-map root, time, signature."""

    model_config = ConfigDict(extra="forbid")

    tree_size: int
    root_hash: str  # base64url
    map_root: str | None = None  # base64url; None only on heads signed before the status map
    timestamp: str
    key_id: str
    signature: str  # base64url Ed25519 over signed_part()

    def signed_part(self) -> bytes:
        fields: dict[str, object] = {
            "tree_size": self.tree_size,
            "root_hash": self.root_hash,
            "timestamp": self.timestamp,
        }
        if self.map_root is not None:
            fields["map_root"] = self.map_root
        return canonical_bytes(fields)

    def signed_at(self) -> dt.datetime:
        return instant(self.timestamp, "tree head timestamp")

    def verify(self, keyring: Keyring) -> None:
        """Check the STH signature and that its time lies in the signing key's window."""
        keyring.verify(
            self.key_id, unb64(self.signature), self.signed_part(), "tree head", self.signed_at()
        )


class StatusProof(BaseModel):
    """A certificate's latest entry (None: the map holds none) with its map and log proofs."""

    model_config = ConfigDict(extra="forbid")

    entry: LedgerEntry | None
    inclusion_proof: list[str] = Field(default_factory=list)
    map_proof: statusmap.MapProof


class StatusBundle(BaseModel):
    """A newer signed tree head, consistency proofs to it, and the certificate's status in it."""

    model_config = ConfigDict(extra="forbid")

    certificate_id: str
    tree_head: TreeHead
    consistency: dict[int, list[str]] = Field(
        default_factory=dict, description="older tree size -> consistency proof to tree_head"
    )
    status: StatusProof


def sign_tree_head(
    key: SigningKey, tree_size: int, root: bytes, map_root: bytes, at: dt.datetime
) -> TreeHead:
    """A tree head over ``root`` and ``map_root`` at ``tree_size``, signed by ``key``."""
    unsigned = TreeHead(
        tree_size=tree_size,
        root_hash=b64(root),
        map_root=b64(map_root),
        timestamp=at.isoformat(),
        key_id=key.key_id,
        signature="",
    )
    return unsigned.model_copy(update={"signature": b64(key.sign(unsigned.signed_part()))})


@dataclass(frozen=True)
class Frontier:
    """The right edge of the log: roots of its perfect subtrees, largest first (RFC 9162 2.1.1)."""

    size: int = 0
    hashes: tuple[bytes, ...] = ()

    def append(self, leaf: bytes) -> Frontier:
        """The frontier after appending ``leaf``: O(log n) node hashes."""
        hashes, carry, size = list(self.hashes), leaf, self.size
        while size & 1:  # a subtree of the same size to the left: merge, like a binary carry
            carry = node_hash(hashes.pop(), carry)
            size >>= 1
        return Frontier(self.size + 1, (*hashes, carry))

    def root(self) -> bytes:
        """MTH of the log: the subtree roots folded from the right."""
        if not self.hashes:
            return EMPTY_TREE_ROOT
        current = self.hashes[-1]
        for left in reversed(self.hashes[:-1]):
            current = node_hash(left, current)
        return current

    def next_leaf_path(self) -> list[bytes]:
        """The audit path (RFC 9162 2.1.3.1) of the next leaf appended: smallest subtree first."""
        return list(reversed(self.hashes))

    @classmethod
    def of(cls, leaves: Iterable[bytes]) -> Frontier:
        frontier = cls()
        for leaf in leaves:
            frontier = frontier.append(leaf)
        return frontier


@dataclass(frozen=True)
class Appended:
    """What appending one event gives: the entry, the new signed head, the entry's audit path."""

    entry: LedgerEntry
    tree_head: TreeHead
    inclusion_proof: list[str]


class EventLog(Protocol):
    """A log that appends an event and signs the new head in one step (memory or database)."""

    def append_event(
        self,
        event: str,
        certificate_id: str,
        certificate_sha256: str,
        status: str,
        at: dt.datetime,
        reason: str,
        key: SigningKey,
    ) -> Appended: ...


@dataclass
class Ledger:
    """The log in memory, with its status map (the store persists the same structures)."""

    entries: list[LedgerEntry] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._frontier = Frontier.of(e.leaf() for e in self.entries)
        latest = {statusmap.map_key(e.certificate_id): e.leaf() for e in self.entries}
        self._nodes, self._map_root = statusmap.MemoryNodes.of(latest.items())

    def _index(self, entry: LedgerEntry) -> None:
        leaf = entry.leaf()
        self._frontier = self._frontier.append(leaf)
        key = statusmap.map_key(entry.certificate_id)
        self._map_root = statusmap.update(self._nodes, key, leaf)

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
        self._index(entry)
        return entry

    def append_event(
        self,
        event: str,
        certificate_id: str,
        certificate_sha256: str,
        status: str,
        at: dt.datetime,
        reason: str,
        key: SigningKey,
    ) -> Appended:
        path = [b64(h) for h in self._frontier.next_leaf_path()]
        entry = self.append(event, certificate_id, certificate_sha256, status, at, reason)
        return Appended(entry, self.sign_head(key, at), path)

    def root(self, size: int | None = None) -> bytes:
        if size is None or size == self.size:
            return self._frontier.root()
        return merkle_root(self.leaves(size))

    def map_root(self) -> bytes:
        return self._map_root

    def sign_head(self, key: SigningKey, at: dt.datetime) -> TreeHead:
        return sign_tree_head(key, self.size, self.root(), self._map_root, at)

    def inclusion(self, index: int, size: int | None = None) -> list[str]:
        return [b64(h) for h in inclusion_path(index, self.leaves(size))]

    def consistency(self, old_size: int, size: int | None = None) -> list[str]:
        return [b64(h) for h in consistency_path(old_size, self.leaves(size))]

    def entries_for(self, certificate_id: str) -> list[LedgerEntry]:
        return [e for e in self.entries if e.certificate_id == certificate_id]

    def status_proof(self, certificate_id: str) -> tuple[LedgerEntry | None, statusmap.MapProof]:
        """The certificate's latest entry (None if it has none) and its map proof."""
        latest = next(
            (e for e in reversed(self.entries) if e.certificate_id == certificate_id), None
        )
        _value, proof = statusmap.prove(self._nodes, statusmap.map_key(certificate_id))
        return latest, proof

    def status_bundle(
        self, certificate_id: str, head: TreeHead, since_sizes: Iterable[int] = ()
    ) -> StatusBundle:
        """The certificate's status under ``head`` (signed at the current size) with proofs."""
        if head.tree_size != self.size:
            raise NotFound(f"the head covers {head.tree_size} entries; the log holds {self.size}")
        latest, proof = self.status_proof(certificate_id)
        own = {e.index + 1 for e in self.entries_for(certificate_id)}
        sizes = sorted(own | {s for s in since_sizes if 0 < s <= self.size})
        return StatusBundle(
            certificate_id=certificate_id,
            tree_head=head,
            consistency={s: self.consistency(s) for s in sizes},
            status=StatusProof(
                entry=latest,
                inclusion_proof=[] if latest is None else self.inclusion(latest.index),
                map_proof=proof,
            ),
        )

    def audit(
        self, head: TreeHead, keyring: Keyring, named: Mapping[str, TreeHead] | None = None
    ) -> AuditReport:
        """:func:`audit_log` of these entries with ``head`` as the only stored head."""
        return audit_log(self.entries, [head], keyring, named or {})


@dataclass(frozen=True)
class AuditReport:
    """What an audit checked (it raises :class:`LedgerInconsistent` on any problem)."""

    log_size: int
    heads_checked: int
    named_checked: int
    map_checked_at: int | None


def audit_log(
    entries: Sequence[LedgerEntry],
    heads: Sequence[TreeHead],
    keyring: Keyring,
    named: Mapping[str, TreeHead],
) -> AuditReport:
    """Check a stored log against every signed tree head it has published.

    ``named`` maps what names a head (``"certificate GBA-… v1"``) to the head it carries: the
    log must not have been rolled back below it, and must still hash to it. Every problem found
    is listed in one :class:`LedgerInconsistent`.

    Checks: entry positions (reordered or dropped entries); every head's signature and key
    window; the root of the log's first ``tree_size`` entries against every head (stored and
    named); the status map of the newest head against the latest entries; entries that no
    signed head covers.
    """
    problems: list[str] = []
    for position, entry in enumerate(entries):
        if entry.index != position:
            problems.append(
                f"ledger entry at position {position} says it is entry {entry.index}: entries "
                "were reordered or one was dropped"
            )
            break
    all_heads = [("stored tree head", h) for h in heads] + list(
        (what, h) for what, h in named.items()
    )
    for what, head in all_heads:
        try:
            head.verify(keyring)
        except VerificationFailed as exc:
            problems.append(f"{what} of size {head.tree_size}: {exc.message}")
    problems += _rolled_back(len(entries), named)
    problems += _roots_differ(entries, all_heads)
    newest = max(heads, key=lambda h: h.tree_size, default=None)
    covered = newest.tree_size if newest else 0
    if len(entries) > covered:
        extra = [e.index for e in entries[covered:]]
        shown = ", ".join(map(str, extra[:20])) + (" …" if len(extra) > 20 else "")
        problems.append(
            f"entries {shown} ({len(extra)} in all) are covered by no signed tree head (the "
            f"newest covers {covered}): appended outside the platform's signing / 未经签名的条目"
        )
    if newest is not None and newest.tree_size > len(entries):
        problems.append(
            f"the newest signed tree head covers {newest.tree_size} entries but the log holds "
            f"only {len(entries)}: the log was truncated"
        )
    map_at = None
    if newest is not None and newest.map_root is not None and newest.tree_size <= len(entries):
        map_at = newest.tree_size
        latest = {statusmap.map_key(e.certificate_id): e.leaf() for e in entries[:map_at]}
        if b64(statusmap.reference_root(latest.items())) != newest.map_root:
            problems.append(
                f"the status map signed at size {map_at} does not match the latest entries of "
                "the log: a status was changed or left out"
            )
    if problems:
        raise LedgerInconsistent("; ".join(problems), problems=problems)
    return AuditReport(len(entries), len(heads), len(named), map_at)


def _rolled_back(size: int, named: Mapping[str, TreeHead]) -> list[str]:
    return [
        f"{what} names a log of {head.tree_size} entries (its signed tree head) but the log "
        f"holds only {size}: the log was rolled back / 账本被回滚"
        for what, head in named.items()
        if head.tree_size > size
    ]


def _roots_differ(
    entries: Sequence[LedgerEntry], heads: Sequence[tuple[str, TreeHead]]
) -> list[str]:
    """Heads whose root the log's first ``tree_size`` entries do not hash to (one pass)."""
    wanted: dict[int, list[tuple[str, TreeHead]]] = {}
    for what, head in heads:
        if 0 < head.tree_size <= len(entries):
            wanted.setdefault(head.tree_size, []).append((what, head))
    problems = []
    frontier = Frontier()
    for entry in entries:
        frontier = frontier.append(entry.leaf())
        for what, head in wanted.get(frontier.size, []):
            if b64(frontier.root()) != head.root_hash:
                problems.append(
                    f"the first {head.tree_size} stored entries do not hash to the signed root "
                    f"of the {what}: an entry was changed, reordered or dropped"
                )
    return problems
