"""The transparency log in the database: race-free O(log n) appends, status map, proofs, audit.

An append (:class:`SqlEventLog`) runs inside the caller's transaction: it first locks the one
``cert_ledger_state`` row (an ``UPDATE`` of it: a row lock on PostgreSQL, the database write
lock on SQLite), so the next leaf index is allocated by one writer at a time and only becomes
visible with the entry that uses it. It then extends the stored frontier (RFC 9162 2.1.1: the
right-edge subtree roots, O(log n) hashes), updates the status map along one path
(:mod:`tanzuji.certify.statusmap`, O(depth) hashes and a constant number of queries), signs
the new tree head and writes entry, head and state — never reading the whole log.

Proofs of old entries read the stored leaf hashes once per process: a
:class:`~tanzuji.certify.ledger.MerkleTree` per database keeps them, with the hashes of complete
subtrees, and each later proof reads only the leaves appended since (checked against the signed
head's root; a database replaced under the same URL is read anew). The audit reads the whole
log. Neither is on the path of a certification event.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from tanzuji.certify import statusmap
from tanzuji.certify.encoding import b64
from tanzuji.certify.keys import Keyring, SigningKey
from tanzuji.certify.ledger import (
    Appended,
    AuditReport,
    Frontier,
    Ledger,
    LedgerEntry,
    MerkleTree,
    StatusBundle,
    StatusProof,
    TreeHead,
    audit_log,
    sign_tree_head,
)
from tanzuji.certify.token import read_token
from tanzuji.errors import LedgerInconsistent, NotFound, VerificationFailed
from tanzuji.store.certify_tables import CertificateRow, LedgerEntryRow, TreeHeadRow
from tanzuji.store.ledger_tables import LedgerStateRow, StatusLeafRow, StatusNodeRow, node_id

STATE_ID = 1
NOT_BUILT = -1

#: Appends begun or committed in this process (readers that keep a tree head read it again
#: when it moves).
APPENDS = 0


def _bump_appends() -> None:
    global APPENDS
    APPENDS += 1


def _bump_appends_after(_session: Session) -> None:
    _bump_appends()


class SqlMapNodes:
    """:class:`~tanzuji.certify.statusmap.MapNodes` in ``cert_status_leaves``/``_nodes``.

    Rows read are kept, so writing them back is an ``UPDATE`` at flush, not another ``SELECT``.
    """

    def __init__(self, session: Session) -> None:
        self.session = session
        self._nodes: dict[str, StatusNodeRow | None] = {}
        self._leaves: dict[str, StatusLeafRow | None] = {}

    def _leaf_row(self, key: bytes) -> StatusLeafRow | None:
        text = key.hex()
        if text not in self._leaves:
            self._leaves[text] = self.session.get(StatusLeafRow, text)
        return self._leaves[text]

    def _node_row(self, ident: str) -> StatusNodeRow | None:
        if ident not in self._nodes:
            self._nodes[ident] = self.session.get(StatusNodeRow, ident)
        return self._nodes[ident]

    def leaf(self, key: bytes) -> bytes | None:
        row = self._leaf_row(key)
        return None if row is None else bytes.fromhex(row.value)

    def branch(self, depth: int, key: bytes) -> tuple[bytes, bytes] | None:
        row = self._node_row(node_id(depth, key))
        return None if row is None else (bytes.fromhex(row.left), bytes.fromhex(row.right))

    def branches(self, key: bytes, deepest: int) -> dict[int, tuple[bytes, bytes]]:
        depths = range(min(deepest, statusmap.DEPTH - 1) + 1)
        wanted = [node_id(d, statusmap.prefix(key, d)) for d in depths]
        self._nodes.update(dict.fromkeys(wanted))
        for row in self.session.scalars(
            select(StatusNodeRow).where(StatusNodeRow.node.in_(wanted))
        ):
            self._nodes[row.node] = row
        found = {}
        for depth, ident in enumerate(wanted):
            node = self._nodes[ident]
            if node is not None:
                found[depth] = (bytes.fromhex(node.left), bytes.fromhex(node.right))
        return found

    def neighbours(self, key: bytes) -> list[bytes]:
        text = key.hex()
        below = select(func.max(StatusLeafRow.key)).where(StatusLeafRow.key < text)
        above = select(func.min(StatusLeafRow.key)).where(StatusLeafRow.key > text)
        pair = self.session.execute(select(below.scalar_subquery(), above.scalar_subquery())).one()
        return [bytes.fromhex(k) for k in pair if k is not None]

    def span(self, key: bytes, depth: int) -> tuple[bytes, bytes] | None:
        low, high = statusmap.prefix(key, depth).hex(), statusmap.last_key(key, depth).hex()
        first, last = self.session.execute(
            select(func.min(StatusLeafRow.key), func.max(StatusLeafRow.key)).where(
                StatusLeafRow.key >= low, StatusLeafRow.key <= high
            )
        ).one()
        return None if first is None else (bytes.fromhex(first), bytes.fromhex(last))

    def put_leaf(self, key: bytes, value: bytes) -> None:
        row = self._leaf_row(key)
        if row is None:
            row = StatusLeafRow(key=key.hex(), value=value.hex())
            self.session.add(row)
            self._leaves[key.hex()] = row
        else:
            row.value = value.hex()

    def put_branch(self, depth: int, key: bytes, left: bytes, right: bytes) -> None:
        ident = node_id(depth, key)
        row = self._node_row(ident)
        if row is None:
            row = StatusNodeRow(node=ident, left=left.hex(), right=right.hex())
            self.session.add(row)
            self._nodes[ident] = row
        else:
            row.left, row.right = left.hex(), right.hex()


def lock_state(session: Session) -> LedgerStateRow:
    """The ledger state row, locked for this transaction (appends are serialised on it).

    The no-op ``UPDATE`` takes PostgreSQL's row lock and SQLite's write lock before anything
    is read, so two appenders never both read the same size.
    """
    session.execute(
        update(LedgerStateRow)
        .where(LedgerStateRow.id == STATE_ID)
        .values(tree_size=LedgerStateRow.tree_size)
    )
    row = session.get(LedgerStateRow, STATE_ID, populate_existing=True)
    if row is None:
        raise LedgerInconsistent(
            "the ledger state row is missing (cert_ledger_state); the database was not migrated "
            "by Tanzuji or the row was deleted; run 'tanzuji db upgrade' or restore it"
        )
    if row.tree_size == NOT_BUILT:
        _build_state(session, row)
    return row


def _stored_size(session: Session) -> int:
    top = session.scalar(select(func.max(LedgerEntryRow.index)))
    return 0 if top is None else top + 1


def _build_state(session: Session, row: LedgerStateRow) -> None:
    """First use after the migration: frontier and status map from the entries stored so far."""
    entries = _entries(session)
    frontier = Frontier.of(e.leaf() for e in entries)
    latest = {statusmap.map_key(e.certificate_id): e.leaf() for e in entries}
    map_root, branches = statusmap.build(latest.items())
    write_map(session, latest, branches)
    _save_state(row, frontier, map_root)
    session.flush()


def write_map(
    session: Session,
    leaves: Mapping[bytes, bytes],
    branches: Mapping[tuple[int, bytes], tuple[bytes, bytes]],
) -> None:
    """Store a bulk-built status map (:func:`tanzuji.certify.statusmap.build`) in bulk."""
    if leaves:
        rows = [{"key": k.hex(), "value": v.hex()} for k, v in leaves.items()]
        session.execute(insert(StatusLeafRow), rows)
    if branches:
        session.execute(
            insert(StatusNodeRow),
            [
                {"node": node_id(depth, key), "left": left.hex(), "right": right.hex()}
                for (depth, key), (left, right) in branches.items()
            ],
        )


def _save_state(row: LedgerStateRow, frontier: Frontier, map_root: bytes) -> None:
    row.tree_size = frontier.size
    row.frontier = [h.hex() for h in frontier.hashes]
    row.map_root = map_root.hex()


def _entries(session: Session, size: int | None = None) -> list[LedgerEntry]:
    query = select(LedgerEntryRow.entry).order_by(LedgerEntryRow.index)
    if size is not None:
        query = query.where(LedgerEntryRow.index < size)
    return [LedgerEntry.model_validate(e) for e in session.scalars(query)]


def _leaves(session: Session, size: int, start: int = 0) -> list[bytes]:
    query = (
        select(LedgerEntryRow.leaf_hash)
        .where(LedgerEntryRow.index >= start, LedgerEntryRow.index < size)
        .order_by(LedgerEntryRow.index)
    )
    return [bytes.fromhex(h) for h in session.scalars(query)]


_TREES: dict[str, MerkleTree] = {}
_TREES_LOCK = threading.Lock()


def merkle_tree(session: Session, head: TreeHead) -> MerkleTree:
    """The log's leaves (at least ``head.tree_size`` of them) from this process's tree of the
    session's database, extended by the leaves appended since it was last read.

    The first ``head.tree_size`` leaves must hash to the head's root; when they do not (the
    database was made anew under the same URL) they are read again from the start, and the
    proofs built from them are whatever the stored leaves give (a verifier then sees them fail
    against the signed head, as it would have before).
    """
    key = session.get_bind().engine.url.render_as_string(hide_password=False)
    with _TREES_LOCK:
        tree = _TREES.get(key)
        if tree is None:
            tree = _TREES[key] = MerkleTree()
        if tree.size < head.tree_size:
            tree.extend(_leaves(session, head.tree_size, start=tree.size))
        if tree.size >= head.tree_size and b64(tree.root(head.tree_size)) == head.root_hash:
            return tree
        fresh = MerkleTree(_leaves(session, head.tree_size))
        _TREES[key] = fresh
        return fresh


def _head(row: TreeHeadRow) -> TreeHead:
    return TreeHead(
        tree_size=row.tree_size,
        root_hash=row.root_hash,
        map_root=row.map_root,
        timestamp=row.timestamp,
        key_id=row.key_id,
        signature=row.signature,
    )


class SqlEventLog:
    """:class:`~tanzuji.certify.ledger.EventLog` appending inside ``session``'s transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session

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
        session = self.session
        # readers of a cached head read it again: now and once the append is committed (a
        # head read between the two is then not kept)
        _bump_appends()
        sa_event.listen(session, "after_commit", _bump_appends_after, once=True)
        state = lock_state(session)
        stored = _stored_size(session)
        if stored != state.tree_size:
            raise LedgerInconsistent(
                f"the log holds {stored} entries but its frontier covers {state.tree_size}: "
                "entries were added or removed outside the platform; nothing is appended until "
                "'tanzuji ledger audit' passes"
            )
        entry = LedgerEntry(
            index=state.tree_size,
            event=event,
            certificate_id=certificate_id,
            certificate_sha256=certificate_sha256,
            status=status,
            at=at.isoformat(),
            reason=reason,
        )
        leaf = entry.leaf()
        before = Frontier(state.tree_size, tuple(bytes.fromhex(h) for h in state.frontier))
        frontier = before.append(leaf)
        map_root = statusmap.update(SqlMapNodes(session), statusmap.map_key(certificate_id), leaf)
        head = sign_tree_head(key, frontier.size, frontier.root(), map_root, at)
        session.add(
            LedgerEntryRow(
                index=entry.index,
                certificate_id=certificate_id,
                event=event,
                leaf_hash=leaf.hex(),
                entry=entry.model_dump(mode="json"),
            )
        )
        session.add(
            TreeHeadRow(
                tree_size=head.tree_size,
                root_hash=head.root_hash,
                map_root=head.map_root,
                timestamp=head.timestamp,
                key_id=head.key_id,
                signature=head.signature,
            )
        )
        _save_state(state, frontier, map_root)
        session.flush()
        return Appended(entry, head, [b64(h) for h in before.next_leaf_path()])


def newest_head(session: Session) -> TreeHead:
    row = session.scalar(select(TreeHeadRow).order_by(TreeHeadRow.tree_size.desc()).limit(1))
    if row is None:
        raise NotFound("the ledger has no signed tree head yet (nothing issued)")
    return _head(row)


def tree_head(session: Session, tree_size: int | None = None) -> TreeHead:
    if tree_size is None:
        return newest_head(session)
    row = session.get(TreeHeadRow, tree_size)
    if row is None:
        raise NotFound(f"the ledger has no signed tree head of size {tree_size}")
    return _head(row)


def load_ledger(session: Session) -> Ledger:
    """The whole log in memory (tests, tools; appends never need it)."""
    return Ledger(_entries(session))


def status_bundle(
    session: Session, certificate_id: str, since_sizes: Iterable[int] = ()
) -> StatusBundle:
    """The certificate's current status with its proofs under the newest signed tree head.

    Consistency proofs go from every size the certificate's own entries were logged at (and
    ``since_sizes``) to the newest head.
    """
    session.execute(  # hold appends off while the proofs are read (PostgreSQL FOR SHARE)
        select(LedgerStateRow.id).where(LedgerStateRow.id == STATE_ID).with_for_update(read=True)
    ).all()
    head = newest_head(session)
    if head.map_root is None:
        raise NotFound(
            "the newest tree head was signed before the status map existed; log an event first"
        )
    rows = session.scalars(
        select(LedgerEntryRow.entry)
        .where(
            LedgerEntryRow.certificate_id == certificate_id, LedgerEntryRow.index < head.tree_size
        )
        .order_by(LedgerEntryRow.index)
    )
    own = [LedgerEntry.model_validate(e) for e in rows]
    if not own:
        raise NotFound(f"certificate {certificate_id} is not in the ledger / 账本中无此证书")
    tree = merkle_tree(session, head)
    size = head.tree_size
    key = statusmap.map_key(certificate_id)
    value, map_proof = statusmap.prove(SqlMapNodes(session), key)
    latest = own[-1]
    if value != latest.leaf():
        raise LedgerInconsistent(
            f"the stored status map does not hold the latest entry of {certificate_id} "
            f"({latest.index}); run 'tanzuji ledger audit'"
        )
    sizes = sorted({e.index + 1 for e in own} | {s for s in since_sizes if 0 < s <= head.tree_size})
    return StatusBundle(
        certificate_id=certificate_id,
        tree_head=head,
        consistency={s: [b64(h) for h in tree.consistency(s, size)] for s in sizes},
        status=StatusProof(
            entry=latest,
            inclusion_proof=[b64(h) for h in tree.inclusion(latest.index, size)],
            map_proof=map_proof,
        ),
    )


def appended_since(
    session: Session, old_size: int, old_root: str, head: TreeHead
) -> list[str] | None:
    """The certificates named by the entries appended from ``old_size`` up to ``head``, or
    None when the log of ``head`` does not extend the one of size ``old_size`` and root
    ``old_root`` (its first ``old_size`` leaves hash to another root, or it is shorter)."""
    if head.tree_size < old_size:
        return None
    tree = merkle_tree(session, head)
    if b64(tree.root(head.tree_size)) != head.root_hash:
        return None
    if old_size and b64(tree.root(old_size)) != old_root:
        return None
    rows = session.scalars(
        select(LedgerEntryRow.certificate_id).where(
            LedgerEntryRow.index >= old_size, LedgerEntryRow.index < head.tree_size
        )
    )
    return sorted(set(rows))


def named_heads(session: Session, keyring: Keyring) -> tuple[dict[str, TreeHead], dict[str, int]]:
    """Tree heads named by stored certificate files, and log sizes named by their tokens."""
    heads: dict[str, TreeHead] = {}
    sizes: dict[str, int] = {}
    for row in session.scalars(select(CertificateRow)):
        what = f"certificate {row.certificate_id} v{row.version}"
        document: Mapping[str, Any] = row.document or {}
        ledger = document.get("ledger")
        if isinstance(ledger, dict) and "tree_head" in ledger:
            heads[what] = TreeHead.model_validate(ledger["tree_head"])
        token = document.get("token")
        if token:
            try:
                sizes[f"the label token of {what}"] = read_token(token, keyring).ledger_index + 1
            except VerificationFailed:
                continue  # a token of an older format names no size; its certificate head does
    return heads, sizes


def audit(session: Session, keyring: Keyring) -> AuditReport:
    """Audit the stored log: :func:`~tanzuji.certify.ledger.audit_log` plus the stored state."""
    entries = _entries(session)
    heads = [_head(r) for r in session.scalars(select(TreeHeadRow).order_by(TreeHeadRow.tree_size))]
    named, sizes = named_heads(session, keyring)
    problems = [
        f"{what} names log entry {size - 1}, but the log holds only {len(entries)} entries: the "
        "log was rolled back / 账本被回滚"
        for what, size in sizes.items()
        if size > len(entries)
    ]
    state = session.get(LedgerStateRow, STATE_ID)
    if state is not None and state.tree_size not in (NOT_BUILT, len(entries)):
        problems.append(
            f"the ledger state covers {state.tree_size} entries but the log holds {len(entries)}"
        )
    try:
        report = audit_log(entries, heads, keyring, named)
    except LedgerInconsistent as exc:
        problems += list(exc.details.get("problems") or [exc.message])
    if problems:
        raise LedgerInconsistent("; ".join(problems), problems=problems)
    return report


__all__ = [
    "SqlEventLog",
    "SqlMapNodes",
    "audit",
    "load_ledger",
    "lock_state",
    "named_heads",
    "newest_head",
    "status_bundle",
    "tree_head",
]
