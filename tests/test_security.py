"""Attacks on certificates, tokens, the ledger, credits and roles: each refused, clearly."""

from __future__ import annotations

import base64
import datetime as dt
import json
import struct

import pytest

from certify_people import ADMIN, ALICE, DORA, MALLORY, NOW, PUBLIC, VIC, draft, issued
from tanzuji.certify import workflow as wf
from tanzuji.certify.certificate import KeyStore
from tanzuji.certify.credits import UsedSerial
from tanzuji.certify.ledger import Ledger
from tanzuji.certify.publish import publish
from tanzuji.certify.records import CreditRetirement, LabelType, NeutralityClaim
from tanzuji.certify.verify import verify_certificate, verify_token_text
from tanzuji.errors import (
    CreditSerialReused,
    LedgerInconsistent,
    PermissionDenied,
    VerificationFailed,
)


@pytest.fixture
def issued_file(tmp_path):
    keys = KeyStore(tmp_path / "keys")
    key = keys.active(NOW)
    ledger = Ledger()
    application = issued()
    publication = publish(application, "issued", ledger, key, NOW, "https://example.org/c")
    return publication.certificate_file(), keys, ledger, application, publication


def test_genuine_certificate_verifies(issued_file):
    document, keys, *_ = issued_file
    report = verify_certificate(document, keys.keyring(), NOW)
    assert report.status == "valid"


def test_forged_signature_is_refused(issued_file):
    document, keys, *_ = issued_file
    forged = json.loads(json.dumps(document))
    forged["signature"]["value"] = base64.urlsafe_b64encode(bytes(64)).decode().rstrip("=")
    with pytest.raises(VerificationFailed, match="certificate signature does not verify"):
        verify_certificate(forged, keys.keyring(), NOW)


def test_altered_value_is_refused(issued_file):
    document, keys, *_ = issued_file
    altered = json.loads(json.dumps(document))
    altered["certificate"]["footprint_kg_co2e"] = 1.0
    with pytest.raises(VerificationFailed, match="was altered or the signature forged"):
        verify_certificate(altered, keys.keyring(), NOW)


def test_altered_token_is_refused(issued_file):
    _, keys, _, _, publication = issued_file
    text = publication.token.removeprefix("TZJ2")
    data = bytearray(base64.b32decode(text + "=" * (-len(text) % 8)))
    footprint_at = 1 + 8 + 4 + 4 + 1 + 2 + 2 + 2  # token.py layout: the f64 after the dates
    data[footprint_at : footprint_at + 8] = struct.pack(">d", 0.5)
    forged = "TZJ2" + base64.b32encode(bytes(data)).decode().rstrip("=")
    with pytest.raises(VerificationFailed, match="label token signature does not verify"):
        verify_token_text(forged, keys.keyring(), NOW)


def test_swapped_key_is_refused(issued_file, tmp_path):
    document, _, _ledger, application, _ = issued_file
    # An attacker signs their own certificate with their own key and ships their keyring id.
    attacker = KeyStore(tmp_path / "attacker")
    own_ledger = Ledger()
    mine = publish(application, "issued", own_ledger, attacker.active(NOW), NOW, "https://x")
    platform_keyring = KeyStore(tmp_path / "keys").keyring()
    with pytest.raises(VerificationFailed, match="not in the trusted keyring"):
        verify_certificate(mine.certificate_file(), platform_keyring, NOW)
    # Swapping the public key inside a keyring entry is detected by the key id hash.
    tampered = platform_keyring.model_copy(deep=True)
    tampered.keys[0].public_key = attacker.keyring().keys[0].public_key
    with pytest.raises(VerificationFailed, match="keyring was tampered with"):
        verify_certificate(document, tampered, NOW)


def test_rotated_keys_keep_old_certificates_valid(issued_file):
    document, keys, *_ = issued_file
    new_key = keys.rotate(NOW + dt.timedelta(days=1))
    keyring = keys.keyring()
    assert [k.retired_at is None for k in keyring.keys] == [False, True]
    assert keyring.keys[-1].key_id == new_key.key_id
    assert verify_certificate(document, keyring, NOW).status == "valid"
    assert (
        keys.folder / (new_key.key_id.replace(":", "_") + ".pem")
    ).stat().st_mode & 0o777 == 0o600


def test_reordered_log_is_detected(issued_file):
    document, keys, ledger, application, _ = issued_file
    key = keys.active(NOW)
    later = wf.revoke(application, DORA, NOW, "fraud")
    publish(later, "revoked", ledger, key, NOW, "https://x", "fraud", document_sha(document))
    head = ledger.sign_head(key, NOW)
    # Entries swapped as stored (positions no longer match their indices) ...
    swapped = Ledger(list(reversed(ledger.entries)))
    with pytest.raises(LedgerInconsistent, match="reordered"):
        swapped.audit(head, keys.keyring())
    # ... or swapped and renumbered so positions look right: the signed root no longer matches.
    renumbered = Ledger(
        [e.model_copy(update={"index": i}) for i, e in enumerate(reversed(ledger.entries))]
    )
    with pytest.raises(LedgerInconsistent, match="do not hash to the signed root"):
        renumbered.audit(head, keys.keyring())


def document_sha(document):
    from tanzuji.certify.certificate import SignedCertificate

    return SignedCertificate.of_file(document).certificate.sha256()


def test_truncated_log_is_detected_by_consistency(issued_file):
    document, keys, ledger, _application, _publication = issued_file
    key = keys.active(NOW)
    for i in range(3):
        ledger.append("issued", f"OTHER-{i}", f"{i:064x}", "valid", NOW)
    head = ledger.sign_head(key, NOW)
    # The operator now drops the first entry (the certificate) and re-signs a new history.
    rewritten = Ledger(
        [e.model_copy(update={"index": i}) for i, e in enumerate(ledger.entries[1:])]
    )
    rewritten.append("issued", "OTHER-9", "f" * 64, "valid", NOW)
    new_head = rewritten.sign_head(key, NOW)
    bundle = rewritten.status_bundle("CERT-1", new_head, since_sizes=[1])
    assert bundle.status.entry is None  # the rewritten log's map does not know CERT-1
    with pytest.raises(LedgerInconsistent, match="not an append-only extension"):
        verify_certificate(document, keys.keyring(), NOW, bundle)
    assert head.tree_size == 4


def test_revoked_certificate_is_reported_revoked_given_a_newer_head(issued_file):
    document, keys, ledger, application, publication = issued_file
    key = keys.active(NOW)
    revoked = wf.revoke(application, DORA, NOW, "falsified data")
    publish(revoked, "revoked", ledger, key, NOW, "https://x", "falsified", document_sha(document))
    bundle = ledger.status_bundle("CERT-1", ledger.sign_head(key, NOW))
    report = verify_token_text(publication.qr, keys.keyring(), NOW, bundle)
    assert report.status == "revoked"
    assert verify_token_text(publication.qr, keys.keyring(), NOW).status == "valid"


def _claim(start: int, end: int) -> NeutralityClaim:
    return NeutralityClaim(
        declared_units=1000,
        period_start=dt.date(2025, 1, 1),
        period_end=dt.date(2025, 12, 31),
        retirements=[
            CreditRetirement(
                registry="Verra VCS",
                serial_prefix="VCS-1234-",
                serial_start=start,
                serial_end=end,
                vintage=2023,
                quantity_t_co2e=end - start + 1,
                retirement_date=dt.date(2026, 1, 15),
            )
        ],
        reduction_plan="Switch the assembly line to green electricity by 2028 (PPA).",
    )


def test_reused_credit_serial_is_refused():
    used = (UsedSerial("APP-0", _claim(100, 119).retirements[0]),)
    application = wf.sign_off(
        wf.accept_documents(
            wf.record_pcr_check(
                wf.start_review(
                    wf.submit(draft(LabelType.neutrality, neutrality=_claim(110, 129)), ALICE, NOW),
                    VIC,
                    NOW,
                ),
                VIC,
                [],
                NOW,
            ),
            VIC,
            NOW,
        ),
        VIC,
        NOW,
    )
    with pytest.raises(CreditSerialReused, match="already used by application APP-0"):
        wf.decide(application, DORA, True, "ok", NOW, wf.LabelContext(used_serials=used))


@pytest.mark.parametrize(
    ("actor", "step"),
    [
        (MALLORY, lambda a, who: wf.submit(a, who, NOW)),
        (PUBLIC, lambda a, who: wf.submit(a, who, NOW)),
        (ALICE, lambda a, who: wf.start_review(wf.submit(a, ALICE, NOW), who, NOW)),
        (VIC, lambda a, who: wf.issue(a, who, "CERT-X", NOW)),
        (ADMIN, lambda a, who: wf.decide(a, who, True, "self-approved", NOW)),
    ],
)
def test_roles_acting_beyond_their_rights_are_refused(actor, step):
    with pytest.raises(PermissionDenied, match="/"):  # every message is bilingual
        step(draft(), actor)
