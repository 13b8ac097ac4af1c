"""The Merkle transparency log against the RFC 6962 / RFC 9162 reference vectors.

Reference vectors: the Certificate Transparency test leaves and roots published with
transparency-dev/merkle (testonly/constants.go), used identically by google/certificate-
transparency; RFC 9162 keeps RFC 6962's hashing (2.1.1), so they hold for both.
"""

from __future__ import annotations

import datetime as dt
import random

import pytest

from tanzuji.certify.certificate import Keyring, PublicKeyInfo, SigningKey
from tanzuji.certify.ledger import (
    Ledger,
    consistency_path,
    inclusion_path,
    leaf_hash,
    merkle_root,
    verify_consistency,
    verify_inclusion,
)
from tanzuji.errors import LedgerInconsistent, VerificationFailed

LEAVES = [
    bytes.fromhex(h)
    for h in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]
ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
HASHES = [leaf_hash(d) for d in LEAVES]
NOW = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)


@pytest.mark.parametrize("size", range(9))
def test_roots_match_the_reference(size):
    assert merkle_root(HASHES[:size]).hex() == ROOTS[size]


def test_reference_inclusion_and_consistency_proofs():
    # Same source: inclusion of leaf 0 in the tree of 8, consistency from 2 to 8.
    assert [h.hex() for h in inclusion_path(0, HASHES)] == [
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ]
    assert [h.hex() for h in inclusion_path(5, HASHES)] == [
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ]
    assert [h.hex() for h in consistency_path(2, HASHES)] == [
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ]


def test_every_proof_verifies_and_tampered_ones_do_not():
    rng = random.Random(7)
    leaves = [leaf_hash(bytes([i, i * 7 % 256])) for i in range(23)]
    for n in range(1, len(leaves) + 1):
        tree = leaves[:n]
        root = merkle_root(tree)
        for i in range(n):
            path = inclusion_path(i, tree)
            verify_inclusion(tree[i], i, n, path, root)
            if path:
                bad = list(path)
                j = rng.randrange(len(bad))
                bad[j] = bytes(32)
                with pytest.raises(VerificationFailed, match="not included"):
                    verify_inclusion(tree[i], i, n, bad, root)
            with pytest.raises(VerificationFailed):
                verify_inclusion(leaf_hash(b"forged"), i, n, path, root)
        for m in range(1, n + 1):
            proof = consistency_path(m, tree)
            verify_consistency(m, n, merkle_root(tree[:m]), root, proof)
            if m < n:
                with pytest.raises(LedgerInconsistent):
                    verify_consistency(m, n, leaf_hash(b"other history"), root, proof)


def _keyring(*keys: SigningKey) -> Keyring:
    return Keyring(
        keys=[
            PublicKeyInfo(
                key_id=k.key_id,
                public_key=k.public_raw_b64(),
                not_before="2026-01-01T00:00:00+00:00",
            )
            for k in keys
        ]
    )


def _ledger(n: int) -> Ledger:
    ledger = Ledger()
    for i in range(n):
        ledger.append("issued", f"CERT-{i}", f"{i:064x}", "valid", NOW)
    return ledger


def test_signed_tree_head_and_audit():
    key = SigningKey.generate()
    ledger = _ledger(5)
    head = ledger.sign_head(key, NOW)
    ledger.audit(head, _keyring(key))
    assert head.tree_size == 5


def test_changed_reordered_and_truncated_logs_are_detected():
    key = SigningKey.generate()
    keyring = _keyring(key)
    ledger = _ledger(6)
    head = ledger.sign_head(key, NOW)
    changed = Ledger([e.model_copy() for e in ledger.entries])
    changed.entries[2] = changed.entries[2].model_copy(update={"status": "revoked"})
    with pytest.raises(LedgerInconsistent, match="do not hash to the signed root"):
        changed.audit(head, keyring)
    swapped = Ledger(list(ledger.entries))
    swapped.entries[1], swapped.entries[2] = swapped.entries[2], swapped.entries[1]
    with pytest.raises(LedgerInconsistent, match="reordered"):
        swapped.audit(head, keyring)
    truncated = Ledger(ledger.entries[:4])
    with pytest.raises(LedgerInconsistent, match="truncated"):
        truncated.audit(head, keyring)
