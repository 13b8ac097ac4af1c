"""The status map: a sparse Merkle tree holding the latest ledger entry of every certificate.

Each signed tree head commits to the log (RFC 9162) *and* to this map, so a status answer is
provably complete: a verifier given a certificate's latest entry and a map proof checks it
against the signed map root, and a holder who leaves out a revocation is caught, because the
root commits to the revocation entry and to nothing else for that certificate.

Construction (a sparse Merkle tree, as proposed for revocation status by Laurie & Kasper [1]_
and defined recursively by Dahlberg, Pulls & Peeters [2]_):

* a perfect binary tree of depth 256 with one leaf per SHA-256 value; the leaf of a certificate
  sits at ``key = SHA-256(UTF-8 certificate id)``, bit ``d`` of the key (most significant bit
  first) choosing the right child at depth ``d``;
* a leaf holds ``value = SHA-256(0x00 || canonical JSON of the certificate's latest ledger
  entry)`` — the entry's RFC 9162 leaf hash, the same bytes as its leaf in the log — or, when the
  certificate has no entry, the empty value of 32 zero bytes;
* an interior node hashes ``SHA-256(0x01 || left || right)`` (the RFC 9162 node hash); the hash
  of an empty subtree at depth ``d`` is the default ``E[d]``: ``E[256]`` = 32 zero bytes,
  ``E[d] = SHA-256(0x01 || E[d+1] || E[d+1])``;
* a proof for a key lists the siblings on its path, from depth 255 up to 0, leaving out those
  equal to the default, with a 256-bit map of which depths are listed. The same proof shows
  membership (the leaf holds the entry) or non-membership (the leaf is empty).

Only the non-empty part is stored (:class:`MapNodes`): the leaves, and the *branch* nodes whose
two children are both non-empty, each with its two child hashes. An update or a proof reads
the branch nodes on one path, the nearest leaves and one subtree span — a constant number of
queries — and hashes 256 levels, O(depth) per event, whatever the number of certificates.

References
----------
.. [1] B. Laurie and E. Kasper, "Revocation Transparency", Google Research, 2012.
.. [2] R. Dahlberg, T. Pulls and R. Peeters, "Efficient Sparse Merkle Trees: Caching
   Strategies and Secure (Non-)Membership Proofs", NordSec 2016, Cryptology ePrint Archive
   2016/683, https://eprint.iacr.org/2016/683.
"""

from __future__ import annotations

import bisect
import hashlib
from collections.abc import Iterable, Sequence
from typing import Protocol

from pydantic import BaseModel, ConfigDict

from tanzuji.certify.encoding import b64, unb64
from tanzuji.errors import VerificationFailed

DEPTH = 256
KEY_BYTES = DEPTH // 8
EMPTY_VALUE = bytes(32)
_NODE_PREFIX = b"\x01"  # RFC 9162 2.1.1 interior node


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(_NODE_PREFIX + left + right).digest()


def _defaults() -> list[bytes]:
    table = [EMPTY_VALUE] * (DEPTH + 1)
    for depth in range(DEPTH - 1, -1, -1):
        table[depth] = _node(table[depth + 1], table[depth + 1])
    return table


#: ``DEFAULTS[d]``: the hash of an empty subtree whose root is at depth ``d`` (256 = a leaf).
DEFAULTS = _defaults()
EMPTY_ROOT = DEFAULTS[0]


def map_key(certificate_id: str) -> bytes:
    """The 256-bit position of a certificate in the map: SHA-256 of its id (UTF-8)."""
    return hashlib.sha256(certificate_id.encode("utf-8")).digest()


def bit(key: bytes, depth: int) -> int:
    """Bit ``depth`` of ``key``, most significant first (0 = left child at that depth)."""
    return (key[depth >> 3] >> (7 - (depth & 7))) & 1


def prefix(key: bytes, depth: int) -> bytes:
    """``key`` with every bit from ``depth`` on set to zero (the path to depth ``depth``)."""
    whole, rest = divmod(depth, 8)
    if whole >= KEY_BYTES:
        return key
    head = key[:whole] + (bytes([key[whole] & (0xFF << (8 - rest)) & 0xFF]) if rest else b"")
    return head + bytes(KEY_BYTES - len(head))


def last_key(key: bytes, depth: int) -> bytes:
    """The largest key sharing the first ``depth`` bits of ``key``."""
    low = prefix(key, depth)
    whole, rest = divmod(depth, 8)
    if whole >= KEY_BYTES:
        return low
    return low[:whole] + bytes([low[whole] | (0xFF >> rest)]) + b"\xff" * (KEY_BYTES - whole - 1)


def common_depth(a: bytes, b: bytes) -> int:
    """Number of leading bits ``a`` and ``b`` share (256 when equal)."""
    value = int.from_bytes(a, "big") ^ int.from_bytes(b, "big")
    return DEPTH - value.bit_length()


def _combine(child: bytes, sibling: bytes, key: bytes, depth: int) -> bytes:
    """The node at ``depth`` on ``key``'s path from its child on the path and the sibling."""
    return _node(child, sibling) if bit(key, depth) == 0 else _node(sibling, child)


def fold(value: bytes, key: bytes, from_depth: int, to_depth: int) -> bytes:
    """Hash of the node at ``to_depth`` above a node ``value`` at ``from_depth`` on ``key``'s
    path, every sibling on the way being empty."""
    for depth in range(from_depth - 1, to_depth - 1, -1):
        value = _combine(value, DEFAULTS[depth + 1], key, depth)
    return value


class MapNodes(Protocol):
    """Storage of the non-empty part of the map (leaves and branch nodes)."""

    def leaf(self, key: bytes) -> bytes | None:
        """The value stored at ``key``, or None."""

    def branch(self, depth: int, key: bytes) -> tuple[bytes, bytes] | None:
        """The branch node at ``depth`` on ``key``'s path: (left, right) child hashes, or None."""

    def branches(self, key: bytes, deepest: int) -> dict[int, tuple[bytes, bytes]]:
        """Branch nodes on ``key``'s path down to depth ``deepest``: depth -> (left, right)."""

    def neighbours(self, key: bytes) -> list[bytes]:
        """The stored keys just below and just above ``key`` (at most two, ``key`` excluded)."""

    def span(self, key: bytes, depth: int) -> tuple[bytes, bytes] | None:
        """Smallest and largest stored key sharing ``key``'s first ``depth`` bits, or None."""

    def put_leaf(self, key: bytes, value: bytes) -> None: ...

    def put_branch(self, depth: int, key: bytes, left: bytes, right: bytes) -> None:
        """Store the branch node at ``depth`` on ``key``'s path (key masked by the caller)."""


def subtree_hash(nodes: MapNodes, key: bytes, depth: int) -> bytes:
    """Hash of the subtree at ``depth`` on ``key``'s path."""
    ends = nodes.span(key, depth)
    if ends is None:
        return DEFAULTS[depth]
    low, high = ends
    if low == high:
        value = nodes.leaf(low)
        if value is None:
            raise ValueError(f"map storage lists key {low.hex()} without a value")
        return fold(value, low, DEPTH, depth)
    top = common_depth(low, high)
    node = nodes.branch(top, prefix(low, top))
    if node is None:
        raise ValueError(f"map storage lacks the branch node at depth {top} over {low.hex()}")
    return fold(_node(*node), low, top, depth)


def _path(nodes: MapNodes, key: bytes) -> tuple[dict[int, tuple[bytes, bytes]], int]:
    """The branch nodes on ``key``'s path and the longest prefix ``key`` shares with another
    stored key (-1: none). A branch node at depth d on the path has a leaf on its other side
    sharing exactly d bits with ``key``, and the nearest keys in sorted order share the most,
    so no branch node lies deeper than that prefix: only those depths are read."""
    near = nodes.neighbours(key)
    shared = max((common_depth(key, other) for other in near), default=-1)
    return (nodes.branches(key, shared) if shared >= 0 else {}), shared


def _path_siblings(
    nodes: MapNodes, key: bytes, branches: dict[int, tuple[bytes, bytes]], shared: int
) -> tuple[dict[int, bytes], bytes | None, int]:
    """Non-default siblings on ``key``'s path, the stored value, and the depth a new leaf
    at ``key`` would branch off its nearest neighbour (-1 when it would not)."""
    value = nodes.leaf(key)
    siblings = {
        depth: (right if bit(key, depth) == 0 else left)
        for depth, (left, right) in branches.items()
    }
    split = -1
    if value is None:
        if shared >= 0:
            split = shared
            other_side = prefix(key, split + 1)
            flipped = bytearray(other_side)
            flipped[split >> 3] ^= 0x80 >> (split & 7)
            siblings[split] = subtree_hash(nodes, bytes(flipped), split + 1)
    return siblings, value, split


def update(nodes: MapNodes, key: bytes, value: bytes) -> bytes:
    """Set the leaf at ``key`` to ``value``; store the changed nodes; return the new root."""
    branches, shared = _path(nodes, key)
    siblings, _old, split = _path_siblings(nodes, key, branches, shared)
    current = value
    for depth in range(DEPTH - 1, -1, -1):
        sibling = siblings.get(depth, DEFAULTS[depth + 1])
        if depth in branches or depth == split:
            left, right = (current, sibling) if bit(key, depth) == 0 else (sibling, current)
            nodes.put_branch(depth, prefix(key, depth), left, right)
        current = _combine(current, sibling, key, depth)
    nodes.put_leaf(key, value)
    return current


def build(
    leaves: Iterable[tuple[bytes, bytes]],
) -> tuple[bytes, dict[tuple[int, bytes], tuple[bytes, bytes]]]:
    """Root and branch nodes of the map holding ``leaves`` (key, value), built in one pass.

    For bulk loads (a log taken over after migration, benchmarks); the branch nodes are keyed
    by ``(depth, prefix(key, depth))`` as :class:`MapNodes` stores them.
    """
    branches: dict[tuple[int, bytes], tuple[bytes, bytes]] = {}
    root = _build(sorted(leaves), 0, branches)
    return root, branches


def _build(
    items: Sequence[tuple[bytes, bytes]],
    depth: int,
    branches: dict[tuple[int, bytes], tuple[bytes, bytes]],
) -> bytes:
    if not items:
        return DEFAULTS[depth]
    if len(items) == 1:
        key, value = items[0]
        return fold(value, key, DEPTH, depth)
    split = next((i for i, (key, _v) in enumerate(items) if bit(key, depth)), len(items))
    left = _build(items[:split], depth + 1, branches)
    right = _build(items[split:], depth + 1, branches)
    if 0 < split < len(items):
        branches[(depth, prefix(items[0][0], depth))] = (left, right)
    return _node(left, right)


class MapProof(BaseModel):
    """The siblings on one key's path: a bitmap of the non-default ones, then those, bottom up."""

    model_config = ConfigDict(extra="forbid")

    bitmap: str  # base64url of 32 bytes; bit d (MSB first) = sibling at depth d is listed
    siblings: list[str]  # base64url hashes, from depth 255 up to depth 0


def prove(nodes: MapNodes, key: bytes) -> tuple[bytes | None, MapProof]:
    """The value at ``key`` (None when empty) and its proof against the current root."""
    siblings, value, _split = _path_siblings(nodes, key, *_path(nodes, key))
    bitmap = bytearray(KEY_BYTES)
    listed = []
    for depth in range(DEPTH - 1, -1, -1):
        sibling = siblings.get(depth)
        if sibling is not None and sibling != DEFAULTS[depth + 1]:
            bitmap[depth >> 3] |= 0x80 >> (depth & 7)
            listed.append(b64(sibling))
    return value, MapProof(bitmap=b64(bytes(bitmap)), siblings=listed)


def root_from_proof(key: bytes, value: bytes | None, proof: MapProof) -> bytes:
    """The root a proof leads to for ``key`` holding ``value`` (None: the empty value)."""
    bitmap = unb64(proof.bitmap, "map proof bitmap")
    if len(bitmap) != KEY_BYTES:
        raise VerificationFailed(f"the map proof bitmap has {len(bitmap)} bytes; expected 32")
    listed = [unb64(s, "map proof sibling") for s in proof.siblings]
    if sum(bin(b).count("1") for b in bitmap) != len(listed):
        raise VerificationFailed(
            f"the map proof lists {len(listed)} siblings but its bitmap marks "
            f"{sum(bin(b).count('1') for b in bitmap)}"
        )
    current = EMPTY_VALUE if value is None else value
    position = 0
    for depth in range(DEPTH - 1, -1, -1):
        if bit(bitmap, depth):
            sibling = listed[position]
            position += 1
        else:
            sibling = DEFAULTS[depth + 1]
        current = _combine(current, sibling, key, depth)
    return current


def verify_map_proof(key: bytes, value: bytes | None, proof: MapProof, root: bytes) -> None:
    """Refuse a proof that does not lead from ``key`` holding ``value`` to ``root``."""
    if root_from_proof(key, value, proof) != root:
        held = "no entry" if value is None else "this entry"
        raise VerificationFailed(
            f"the status map proof does not lead to the signed map root with {held} for the "
            "certificate: the status answer is incomplete or altered (an entry left out or "
            "replaced) / 状态证明与签名树头不符"
        )


class MemoryNodes:
    """:class:`MapNodes` in memory (tests, the in-memory ledger, audits)."""

    def __init__(self) -> None:
        self._leaves: dict[bytes, bytes] = {}
        self._keys: list[bytes] = []
        self._branches: dict[tuple[int, bytes], tuple[bytes, bytes]] = {}

    def leaf(self, key: bytes) -> bytes | None:
        return self._leaves.get(key)

    def branch(self, depth: int, key: bytes) -> tuple[bytes, bytes] | None:
        return self._branches.get((depth, key))

    def branches(self, key: bytes, deepest: int) -> dict[int, tuple[bytes, bytes]]:
        found = {}
        for depth in range(min(deepest, DEPTH - 1) + 1):
            node = self._branches.get((depth, prefix(key, depth)))
            if node is not None:
                found[depth] = node
        return found

    def neighbours(self, key: bytes) -> list[bytes]:
        at = bisect.bisect_left(self._keys, key)
        below = self._keys[at - 1 : at] if at else []
        above_at = at + 1 if at < len(self._keys) and self._keys[at] == key else at
        return below + self._keys[above_at : above_at + 1]

    def span(self, key: bytes, depth: int) -> tuple[bytes, bytes] | None:
        low = bisect.bisect_left(self._keys, prefix(key, depth))
        high = bisect.bisect_right(self._keys, last_key(key, depth))
        if low >= high:
            return None
        return self._keys[low], self._keys[high - 1]

    def put_leaf(self, key: bytes, value: bytes) -> None:
        if key not in self._leaves:
            bisect.insort(self._keys, key)
        self._leaves[key] = value

    def put_branch(self, depth: int, key: bytes, left: bytes, right: bytes) -> None:
        self._branches[(depth, key)] = (left, right)

    @classmethod
    def of(cls, leaves: Iterable[tuple[bytes, bytes]]) -> tuple[MemoryNodes, bytes]:
        """Nodes holding ``leaves`` (bulk-built) and the root."""
        nodes = cls()
        nodes._leaves = dict(leaves)
        nodes._keys = sorted(nodes._leaves)
        root, nodes._branches = build(nodes._leaves.items())
        return nodes, root


def reference_root(leaves: Iterable[tuple[bytes, bytes]]) -> bytes:
    """The map root computed from scratch by the recursive definition (tests, audits)."""
    return _root(sorted(leaves), 0)


def _root(items: Sequence[tuple[bytes, bytes]], depth: int) -> bytes:
    if not items:
        return DEFAULTS[depth]
    if len(items) == 1:
        key, value = items[0]
        return fold(value, key, DEPTH, depth)
    split = next((i for i, (key, _v) in enumerate(items) if bit(key, depth)), len(items))
    return _node(_root(items[:split], depth + 1), _root(items[split:], depth + 1))
