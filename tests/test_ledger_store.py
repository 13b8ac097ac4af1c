"""The ledger in SQLite and PostgreSQL: frontier appends, the persisted status map, concurrent
appends from several processes, the audit against rolled-back and unsigned logs, and the
migration of a log written before revision 0005."""

from __future__ import annotations

import datetime as dt
import hashlib
import multiprocessing
import random
from pathlib import Path

import pytest
from sqlalchemy import text

from certify_people import DORA, NOW, issued
from tanzuji.certify import statusmap
from tanzuji.certify import workflow as wf
from tanzuji.certify.encoding import b64
from tanzuji.certify.keys import FileKeyring
from tanzuji.certify.ledger import (
    Frontier,
    Ledger,
    LedgerEntry,
    TreeHead,
    inclusion_path,
    leaf_hash,
    merkle_root,
)
from tanzuji.certify.verify import verify_certificate, verify_token_text
from tanzuji.errors import LedgerInconsistent
from tanzuji.store import ledger as ledger_store
from tanzuji.store.certify import CertificationStore
from tanzuji.store.certify_tables import LedgerEntryRow
from tanzuji.store.db import engine_for, session_scope, upgrade

BASE_URL = "https://tanzuji.example/c/"
WORKERS, APPENDS = 4, 12


@pytest.fixture
def store(database_url):
    engine = engine_for(database_url)
    upgrade(engine)
    yield CertificationStore(engine)
    engine.dispose()


@pytest.fixture
def keys(tmp_path):
    return FileKeyring(tmp_path / "keys")


def test_frontier_root_and_next_path_match_rfc_9162(tmp_path):
    leaves = [leaf_hash(bytes([i])) for i in range(40)]
    frontier = Frontier()
    for n in range(len(leaves)):
        assert frontier.root() == merkle_root(leaves[:n])
        assert frontier.next_leaf_path() == inclusion_path(n, leaves[: n + 1])
        frontier = frontier.append(leaves[n])
        assert len(frontier.hashes) == bin(n + 1).count("1")  # one subtree per set bit


def test_the_persisted_status_map_equals_the_reference(store):
    rng = random.Random(5)
    memory = statusmap.MemoryNodes()
    reference: dict[bytes, bytes] = {}
    with session_scope(store.engine) as session:
        nodes = ledger_store.SqlMapNodes(session)
        for step in range(80):
            key = statusmap.map_key(f"CERT-{rng.randrange(30)}")
            value = hashlib.sha256(f"entry {step}".encode()).digest()
            root = statusmap.update(nodes, key, value)
            assert root == statusmap.update(memory, key, value)
            reference[key] = value
        assert root == statusmap.reference_root(reference.items())
        for certificate in ("CERT-3", "CERT-29", "NEVER-ISSUED"):
            key = statusmap.map_key(certificate)
            value, proof = statusmap.prove(nodes, key)
            assert value == reference.get(key)
            statusmap.verify_map_proof(key, value, proof, root)


def test_the_bulk_built_map_equals_the_incremental_one():
    rng = random.Random(9)
    leaves = {
        statusmap.map_key(f"CERT-{i}"): hashlib.sha256(
            bytes([i % 256, rng.randrange(256)])
        ).digest()
        for i in range(150)
    }
    incremental = statusmap.MemoryNodes()
    for key, value in leaves.items():
        root = statusmap.update(incremental, key, value)
    built, branches = statusmap.build(leaves.items())
    assert built == root == statusmap.reference_root(leaves.items())
    assert branches == incremental._branches  # the same nodes stored, whichever way


def _publish_issued(store, keys, app_id, cert_id, at=NOW):
    application = issued(app_id=app_id, cert_id=cert_id, now=at)
    store.save(application)
    return application, store.publish(application, "issued", keys.signing_key(at), at, BASE_URL)


def test_store_appends_match_the_in_memory_log_and_verify(store, keys):
    app_a, a = _publish_issued(store, keys, "APP-1", "CERT-A")
    _app_b, b = _publish_issued(store, keys, "APP-2", "CERT-B")
    later = NOW + dt.timedelta(days=3)
    revoked = wf.revoke(app_a, DORA, later, "falsified")
    sha = a.signed.certificate.sha256()
    store.publish(revoked, "revoked", keys.signing_key(later), later, BASE_URL, "x", sha)
    memory = Ledger(store.ledger().entries)
    head = store.tree_head()
    assert (head.tree_size, head.root_hash, head.map_root) == (
        3,
        b64(memory.root()),
        b64(memory.map_root()),
    )
    assert b.inclusion_proof == memory.inclusion(1, 2)  # the frontier gave the audit path
    bundle = store.status_bundle("CERT-A")
    keyring = keys.keyring()
    assert verify_certificate(a.certificate_file(), keyring, later, bundle).status == "revoked"
    assert verify_token_text(b.qr, keyring, later, store.status_bundle("CERT-B")).ok
    assert store.audit_ledger(keyring).map_checked_at == 3


def _append_worker(url: str, keys_folder: str, worker: int) -> None:
    engine = engine_for(url)
    key = FileKeyring(Path(keys_folder)).signing_key(NOW)
    for i in range(APPENDS):
        with session_scope(engine) as session:
            ledger_store.SqlEventLog(session).append_event(
                "issued", f"CERT-{worker}-{i}", f"{worker:032x}{i:032x}", "valid", NOW, "", key
            )
    engine.dispose()


def test_concurrent_appends_from_several_processes_never_share_a_leaf_index(
    store, keys, database_url
):
    keys.signing_key(NOW)  # made once, before the workers load it
    context = multiprocessing.get_context("fork")
    workers = [
        context.Process(target=_append_worker, args=(database_url, str(keys.folder), w))
        for w in range(WORKERS)
    ]
    for process in workers:
        process.start()
    for process in workers:
        process.join(timeout=120)
    assert [p.exitcode for p in workers] == [0] * WORKERS
    entries = store.ledger().entries
    assert [e.index for e in entries] == list(range(WORKERS * APPENDS))
    assert len({e.certificate_id for e in entries}) == WORKERS * APPENDS
    report = store.audit_ledger(keys.keyring())  # every head's root and the map recomputed
    assert (report.log_size, report.heads_checked) == (WORKERS * APPENDS, WORKERS * APPENDS)


def _without_append_only(store, statements):
    """Run ``statements`` as a database administrator would, append-only triggers off."""
    postgres = store.engine.dialect.name == "postgresql"
    with store.engine.begin() as connection:
        if postgres:
            connection.execute(text("ALTER TABLE cert_ledger_entries DISABLE TRIGGER USER"))
        else:
            connection.execute(text("DROP TRIGGER cert_ledger_entries_no_delete"))
        for statement in statements:
            connection.execute(text(statement))
        if postgres:
            connection.execute(text("ALTER TABLE cert_ledger_entries ENABLE TRIGGER USER"))


def test_audit_refuses_a_log_rolled_back_below_what_certificates_name(store, keys):
    _publish_issued(store, keys, "APP-1", "CERT-A")
    _publish_issued(store, keys, "APP-2", "CERT-B")
    store.audit_ledger(keys.keyring())
    # The operator rolls the log, its heads and its state back to before CERT-B.
    _without_append_only(
        store,
        [
            'DELETE FROM cert_ledger_entries WHERE "index" >= 1',
            "DELETE FROM cert_tree_heads WHERE tree_size >= 2",
            "UPDATE cert_ledger_state SET tree_size = -1",
        ],
    )
    with pytest.raises(
        LedgerInconsistent,
        match=r"certificate CERT-B v1 names a log of 2 entries \(its signed tree head\) but the "
        "log holds only 1: the log was rolled back",
    ):
        store.audit_ledger(keys.keyring())


def test_audit_refuses_entries_no_signed_tree_head_covers(store, keys):
    _publish_issued(store, keys, "APP-1", "CERT-A")
    forged = LedgerEntry(
        index=1,
        event="revoked",
        certificate_id="CERT-RIVAL",
        certificate_sha256="0" * 64,
        status="revoked",
        at=NOW.isoformat(),
    )
    with session_scope(store.engine) as session:  # written past the platform's signing
        session.add(
            LedgerEntryRow(
                index=1,
                certificate_id=forged.certificate_id,
                event=forged.event,
                leaf_hash=forged.leaf().hex(),
                entry=forged.model_dump(mode="json"),
            )
        )
    with pytest.raises(
        LedgerInconsistent,
        match=r"entries 1 \(1 in all\) are covered by no signed tree head \(the newest covers 1\)",
    ):
        store.audit_ledger(keys.keyring())
    application = issued(app_id="APP-2", cert_id="CERT-B")
    store.save(application)
    with pytest.raises(
        LedgerInconsistent, match="the log holds 2 entries but its frontier covers 1"
    ):
        store.publish(application, "issued", keys.signing_key(NOW), NOW, BASE_URL)


def test_a_log_written_before_0005_is_taken_over_by_the_first_append(database_url, keys):
    engine = engine_for(database_url)
    upgrade(engine, "0003_factor_search")
    key = keys.signing_key(NOW)
    old = Ledger()
    with session_scope(engine) as session:  # two events and heads in the 0002 format
        for i in range(2):
            entry = old.append("issued", f"OLD-{i}", f"{i:064x}", "valid", NOW)
            head = old.sign_head(key, NOW).model_copy(update={"map_root": None})
            head = head.model_copy(update={"signature": b64(key.sign(head.signed_part()))})
            session.add(
                LedgerEntryRow(
                    index=entry.index,
                    certificate_id=entry.certificate_id,
                    event=entry.event,
                    leaf_hash=entry.leaf().hex(),
                    entry=entry.model_dump(mode="json"),
                )
            )
            session.execute(  # the 0002 columns only
                text(
                    "INSERT INTO cert_tree_heads (tree_size, root_hash, timestamp, key_id, "
                    "signature) VALUES (:tree_size, :root_hash, :timestamp, :key_id, :signature)"
                ),
                head.model_dump(exclude={"map_root"}),
            )
    upgrade(engine)
    store = CertificationStore(engine)
    assert store.audit_ledger(keys.keyring()).map_checked_at is None  # legacy heads verify
    _app, publication = _publish_issued(store, keys, "APP-1", "CERT-NEW")
    assert publication.entry.index == 2
    expected = Ledger([*old.entries, publication.entry])
    assert store.tree_head().map_root == b64(expected.map_root())
    assert store.audit_ledger(keys.keyring()).map_checked_at == 3
    assert isinstance(store.tree_head(2), TreeHead) and store.tree_head(2).map_root is None
    engine.dispose()


def test_merkle_tree_proofs_equal_the_plain_rfc9162_functions():
    # the memoised tree must give the bytes of inclusion_path / consistency_path (RFC 9162
    # 2.1.3.1, 2.1.4.1) for every index and size of a log that grows, memo or no memo
    import hashlib

    from tanzuji.certify.ledger import MerkleTree, consistency_path, inclusion_path, merkle_root

    leaves = [hashlib.sha256(str(i).encode()).digest() for i in range(70)]
    tree = MerkleTree()
    for size in range(1, len(leaves) + 1):
        tree.extend(leaves[size - 1 : size])
        assert tree.root(size) == merkle_root(leaves[:size])
        for index in range(0, size, 7):
            assert tree.inclusion(index, size) == inclusion_path(index, leaves[:size])
        for old in range(1, size + 1, 5):
            assert tree.consistency(old, size) == consistency_path(old, leaves[:size])
    # proofs for an older size after the tree grew (memoised subtrees reused)
    assert tree.consistency(33, 48) == consistency_path(33, leaves[:48])
    assert tree.inclusion(40, 64) == inclusion_path(40, leaves[:64])
