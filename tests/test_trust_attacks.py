"""The attacks of issue 8 ("Security") that got through before: each is tried, and refused with
its exact message. Companion store-level attacks (rolled-back and appended logs, concurrent
appends) are in test_ledger_store.py; keys in test_keys.py; credit serials in
test_credit_serials.py."""

from __future__ import annotations

import datetime as dt
import json
from types import SimpleNamespace

import pytest

from certify_people import DORA, NOW, issued
from tanzuji.certify import statusmap
from tanzuji.certify import workflow as wf
from tanzuji.certify.keys import FileKeyring
from tanzuji.certify.ledger import Ledger, StatusProof, sign_tree_head
from tanzuji.certify.publish import publish
from tanzuji.certify.token import make_token, read_token
from tanzuji.certify.verify import parse_age, verify_certificate, verify_token_text
from tanzuji.errors import VerificationFailed

BASE_URL = "https://tanzuji.example/c/"  # the certificate_base_url default (settings.py)
WEEK = dt.timedelta(days=7)


@pytest.fixture
def world(tmp_path):
    keys = FileKeyring(tmp_path / "keys")
    key = keys.signing_key(NOW)
    ledger = Ledger()
    first = issued(app_id="APP-1", cert_id="CERT-A")
    second = issued(app_id="APP-2", cert_id="CERT-B")
    a = publish(first, "issued", ledger, key, NOW, BASE_URL)
    b = publish(second, "issued", ledger, key, NOW, BASE_URL)
    return SimpleNamespace(keys=keys, key=key, ledger=ledger, app=first, a=a, b=b)


def _copy(document):
    return json.loads(json.dumps(document))


# 1. Fields added inside the signed certificate object -------------------------------------
def test_a_field_added_inside_the_signed_certificate_is_refused(world):
    document = _copy(world.a.certificate_file())
    document["certificate"]["carbon_neutral"] = True  # not in the format, not signed
    with pytest.raises(VerificationFailed, match=r"certificate.carbon_neutral: Extra inputs"):
        verify_certificate(document, world.keys.keyring(), NOW)


def test_a_field_added_in_a_nested_signed_object_is_refused(world):
    document = _copy(world.a.certificate_file())
    document["certificate"]["validity"]["valid_until_extended"] = "2040-01-01"
    with pytest.raises(VerificationFailed, match=r"validity.valid_until_extended: Extra inputs"):
        verify_certificate(document, world.keys.keyring(), NOW)


def test_an_unknown_field_beside_the_certificate_is_refused(world):
    document = _copy(world.a.certificate_file())
    document["approved_by_buyer"] = "yes"
    with pytest.raises(VerificationFailed, match="approved_by_buyer: Extra inputs"):
        verify_certificate(document, world.keys.keyring(), NOW)


def test_a_value_that_changes_type_on_the_way_in_is_refused(world):
    document = _copy(world.a.certificate_file())
    document["certificate"]["version"] = "1"  # reads as 1 but is not what was signed
    with pytest.raises(VerificationFailed, match="certificate signature does not verify"):
        verify_certificate(document, world.keys.keyring(), NOW)


def test_a_token_in_the_file_that_disagrees_with_the_certificate_is_refused(world):
    document = _copy(world.a.certificate_file())
    document["token"] = world.b.token  # a genuine token, of another certificate
    with pytest.raises(VerificationFailed, match=r"states other values .* certificate id 'CERT-B'"):
        verify_certificate(document, world.keys.keyring(), NOW)


# 2. Key validity windows -----------------------------------------------------------------
def test_a_retired_key_does_not_verify_a_tree_head_dated_after_its_retirement(world):
    world.keys.rotate(NOW + dt.timedelta(days=1))  # the first key retires
    keyring = world.keys.keyring()
    later = NOW + dt.timedelta(days=2)
    forged = sign_tree_head(world.key, 2, world.ledger.root(), world.ledger.map_root(), later)
    with pytest.raises(VerificationFailed, match=r"after key ed25519:[0-9a-f]{16} was retired"):
        forged.verify(keyring)
    # What it signed before its retirement still verifies.
    world.a.tree_head.verify(keyring)
    assert verify_certificate(world.a.certificate_file(), keyring, later).status == "valid"


def test_a_retired_key_does_not_verify_a_label_token_dated_after_its_retirement(world):
    world.keys.rotate(NOW + dt.timedelta(days=1))
    later = NOW + dt.timedelta(days=2)
    forged = make_token(world.a.signed.certificate, 0, world.key, later)
    with pytest.raises(VerificationFailed, match=r"label token is dated .* after key .* retired"):
        read_token(forged, world.keys.keyring())
    assert read_token(world.a.token, world.keys.keyring()).certificate_id == "CERT-A"


def test_a_key_does_not_verify_what_is_dated_before_it_came_into_use(world):
    new_key = world.keys.rotate(NOW + dt.timedelta(days=1))
    backdated = sign_tree_head(new_key, 2, world.ledger.root(), world.ledger.map_root(), NOW)
    with pytest.raises(VerificationFailed, match=r"before key .* came into use"):
        backdated.verify(world.keys.keyring())


# 3. QR: URL and token must agree; a bare token is accepted ---------------------------------
def test_a_qr_whose_url_names_another_certificate_than_its_token_is_refused(world):
    url_a = world.a.qr.split("#")[0]
    spliced = f"{url_a}#{world.b.token}"
    with pytest.raises(
        VerificationFailed,
        match="link names certificate CERT-A but its signed token is about CERT-B",
    ):
        verify_token_text(spliced, world.keys.keyring(), NOW)


def test_a_bare_token_verifies(world):
    report = verify_token_text(world.a.token, world.keys.keyring(), NOW)
    assert (report.status, report.certificate_id) == ("valid", "CERT-A")


# 4. Revocation offline: a status answer is complete and fresh ------------------------------
@pytest.fixture
def revoked(world):
    before = world.ledger.status_bundle("CERT-A", world.ledger.sign_head(world.key, NOW))
    sha = world.a.signed.certificate.sha256()
    later = NOW + dt.timedelta(days=10)
    app = wf.revoke(world.app, DORA, later, "falsified meter data")
    publish(app, "revoked", world.ledger, world.key, later, BASE_URL, "falsified", sha)
    after = world.ledger.status_bundle("CERT-A", world.ledger.sign_head(world.key, later))
    return SimpleNamespace(before=before, after=after, at=later)


def test_the_full_status_bundle_reports_the_revocation(world, revoked):
    report = verify_token_text(world.a.qr, world.keys.keyring(), revoked.at, revoked.after)
    assert report.status == "revoked"
    file_report = verify_certificate(
        world.a.certificate_file(), world.keys.keyring(), revoked.at, revoked.after
    )
    assert file_report.status == "revoked"


def test_dropping_the_revocation_from_the_status_bundle_is_refused(world, revoked):
    # The holder keeps the new signed head but shows the issuance entry as the latest one,
    # with the map proof it had before the revocation (and a valid log inclusion proof).
    issued_entry = revoked.before.status.entry
    dropped = revoked.after.model_copy(
        update={
            "status": StatusProof(
                entry=issued_entry,
                inclusion_proof=world.ledger.inclusion(issued_entry.index),
                map_proof=revoked.before.status.map_proof,
            )
        }
    )
    with pytest.raises(VerificationFailed, match="status map proof does not lead to the signed"):
        verify_token_text(world.a.qr, world.keys.keyring(), revoked.at, dropped)


def test_claiming_the_certificate_is_unknown_to_the_map_is_refused(world, revoked):
    _value, empty_proof = statusmap.prove(statusmap.MemoryNodes(), statusmap.map_key("CERT-A"))
    nothing = revoked.after.model_copy(
        update={"status": StatusProof(entry=None, map_proof=empty_proof)}
    )
    with pytest.raises(VerificationFailed, match="with no entry for the certificate"):
        verify_token_text(world.a.qr, world.keys.keyring(), revoked.at, nothing)


def test_an_old_status_bundle_is_refused_when_a_fresh_head_is_required(world, revoked):
    at = revoked.at
    # The pre-revocation bundle is genuine; it proves "valid" only as of its head's time.
    assert verify_token_text(world.a.qr, world.keys.keyring(), at, revoked.before).ok
    with pytest.raises(VerificationFailed, match="this check requires one younger than 7d"):
        verify_token_text(world.a.qr, world.keys.keyring(), at, revoked.before, WEEK)
    with pytest.raises(VerificationFailed, match="required but none is proven"):
        verify_token_text(world.a.qr, world.keys.keyring(), at, None, WEEK)
    fresh = verify_token_text(world.a.qr, world.keys.keyring(), at, revoked.after, WEEK)
    assert fresh.status == "revoked" and fresh.status_as_of == at.isoformat()


def test_a_tree_head_from_the_future_is_refused(world):
    ahead = NOW + dt.timedelta(hours=1)
    bundle = world.ledger.status_bundle("CERT-A", world.ledger.sign_head(world.key, ahead))
    with pytest.raises(VerificationFailed, match="in the future of this clock"):
        verify_token_text(world.a.qr, world.keys.keyring(), NOW, bundle)


@pytest.mark.parametrize(
    ("text", "age"),
    [("7d", dt.timedelta(days=7)), ("12h", dt.timedelta(hours=12)), ("1.5w", 1.5 * WEEK)],
)
def test_maximum_ages(text, age):
    assert parse_age(text) == age


def test_a_malformed_maximum_age_is_a_clear_error():
    with pytest.raises(VerificationFailed, match="is not a number with a unit"):
        parse_age("a week")
