"""Platform keys behind one interface: file keyring (0600 files, exposed files refused) and the
secret keyring of servers (environment variable or mounted secret file)."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
from pathlib import Path

import pytest

from certify_people import NOW, issued
from tanzuji.certify.keys import (
    ENV_KEYRING_FILE,
    ENV_SIGNING_KEY,
    ENV_SIGNING_KEY_FILE,
    FileKeyring,
    Keyring,
    PublicKeyInfo,
    SecretKeyring,
    SigningKey,
    open_key_provider,
)
from tanzuji.certify.ledger import Ledger
from tanzuji.certify.publish import publish
from tanzuji.certify.verify import verify_certificate
from tanzuji.errors import SigningKeyError, VerificationFailed


def test_file_keyring_writes_private_keys_0600_in_a_0700_folder(tmp_path):
    keys = FileKeyring(tmp_path / "keys")
    key = keys.signing_key(NOW)
    assert keys.private_path(key.key_id).stat().st_mode & 0o777 == 0o600
    assert keys.folder.stat().st_mode & 0o777 == 0o700
    assert keys.signing_key(NOW).key_id == key.key_id  # loaded back, not made again


def _first_signer(folder: str, start, results) -> None:
    """One process of a fresh platform signing at once with the others."""
    start.wait(timeout=30)
    results.put(FileKeyring(folder).signing_key(NOW).key_id)


def test_processes_signing_at_once_on_a_fresh_platform_make_one_key(tmp_path):
    """Several processes issue the first certificates together: one key is made, all sign
    with it, and the keyring lists it alone (nobody's key is lost or retired by another)."""
    workers = 6
    context = multiprocessing.get_context("fork")
    start, results = context.Barrier(workers), context.Queue()
    folder = str(tmp_path / "keys")
    processes = [
        context.Process(target=_first_signer, args=(folder, start, results)) for _ in range(workers)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=60)
    assert [p.exitcode for p in processes] == [0] * workers
    signed_with = {results.get(timeout=5) for _ in range(workers)}
    keyring = FileKeyring(folder).keyring()
    assert len(signed_with) == 1
    assert [k.key_id for k in keyring.keys] == list(signed_with)
    assert keyring.keys[0].retired_at is None
    assert sorted(p.name for p in (tmp_path / "keys").glob("*.pem")) == [
        FileKeyring(folder).private_path(keyring.keys[0].key_id).name
    ]


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o644, 0o666])
def test_a_group_or_world_readable_private_key_file_is_refused(tmp_path, mode):
    keys = FileKeyring(tmp_path / "keys")
    path = keys.private_path(keys.signing_key(NOW).key_id)
    os.chmod(path, mode)
    with pytest.raises(
        SigningKeyError,
        match=rf"private key file {path} has mode 0{mode:o}: .* fix with: chmod 600 {path}",
    ):
        keys.signing_key(NOW)


def test_rotation_retires_the_old_key_at_the_new_keys_start(tmp_path):
    keys = FileKeyring(tmp_path / "keys")
    old = keys.signing_key(NOW)
    later = NOW + dt.timedelta(days=30)
    new = keys.rotate(later)
    first, second = keys.keyring().keys
    assert (first.key_id, first.retired_at) == (old.key_id, later.isoformat())
    assert (second.key_id, second.not_before, second.retired_at) == (
        new.key_id,
        later.isoformat(),
        None,
    )
    assert keys.signing_key(later).key_id == new.key_id


def test_keyrings_written_before_windows_read_created_at_as_not_before():
    old = '{"keys": [{"key_id": "ed25519:0011223344556677", "algorithm": "Ed25519", '
    old += '"public_key": "AA", "created_at": "2026-03-02T09:00:00+00:00", "retired_at": null}]}'
    assert Keyring.from_json(old, "keyring.json").keys[0].not_before == "2026-03-02T09:00:00+00:00"


def test_a_keyring_with_a_naive_time_is_refused():
    bad = '{"keys": [{"key_id": "k", "public_key": "AA", "not_before": "2026-03-02T09:00:00"}]}'
    with pytest.raises(VerificationFailed, match="has no UTC offset"):
        Keyring.from_json(bad, "keyring.json")


@pytest.fixture
def published_keyring(tmp_path):
    """A key made elsewhere (by the operator) and its public keyring file."""
    key = SigningKey.generate()
    keyring = tmp_path / "keyring.json"
    stamp = (NOW - dt.timedelta(days=1)).isoformat()
    info = PublicKeyInfo(key_id=key.key_id, public_key=key.public_raw_b64(), not_before=stamp)
    keyring.write_text(Keyring(keys=[info]).to_json())
    return key, keyring


def test_secret_keyring_from_the_environment_signs_verifiable_certificates(
    tmp_path, published_keyring
):
    key, keyring_file = published_keyring
    environ = {ENV_SIGNING_KEY: key.private_pem().decode(), ENV_KEYRING_FILE: str(keyring_file)}
    provider = open_key_provider(tmp_path / "unused", environ)
    assert isinstance(provider, SecretKeyring)
    signer = provider.signing_key(NOW)
    assert signer.key_id == key.key_id
    publication = publish(issued(), "issued", Ledger(), signer, NOW, "https://x/c")
    report = verify_certificate(publication.certificate_file(), provider.keyring(), NOW)
    assert report.status == "valid"
    assert not (tmp_path / "unused").exists()  # no key files written
    with pytest.raises(SigningKeyError, match="rotate it there"):
        provider.rotate(NOW)


def test_secret_keyring_from_a_mounted_file(tmp_path, published_keyring):
    key, keyring_file = published_keyring
    secret = tmp_path / "signing.pem"
    secret.write_bytes(key.private_pem())
    environ = {ENV_SIGNING_KEY_FILE: str(secret), ENV_KEYRING_FILE: str(keyring_file)}
    os.chmod(secret, 0o644)  # a secret volume mounted with the default mode 0644
    with pytest.raises(SigningKeyError, match=f"fix with: chmod 600 {secret}"):
        open_key_provider(tmp_path, environ)
    os.chmod(secret, 0o400)
    assert open_key_provider(tmp_path, environ).signing_key(NOW).key_id == key.key_id


def test_a_secret_key_missing_from_its_keyring_is_refused(tmp_path, published_keyring):
    _key, keyring_file = published_keyring
    other = SigningKey.generate()
    environ = {ENV_SIGNING_KEY: other.private_pem().decode(), ENV_KEYRING_FILE: str(keyring_file)}
    with pytest.raises(SigningKeyError, match="is not in its public keyring"):
        open_key_provider(tmp_path, environ)


def test_a_secret_key_outside_its_window_does_not_sign(tmp_path, published_keyring):
    key, keyring_file = published_keyring
    environ = {ENV_SIGNING_KEY: key.private_pem().decode(), ENV_KEYRING_FILE: str(keyring_file)}
    provider = open_key_provider(tmp_path, environ)
    with pytest.raises(SigningKeyError, match=r"cannot sign now: .* before key"):
        provider.signing_key(NOW - dt.timedelta(days=2))


def test_without_a_secret_the_file_keyring_is_used(tmp_path):
    assert isinstance(open_key_provider(tmp_path / "keys", {}), FileKeyring)


def test_the_command_line_takes_a_secret_key_from_its_environment(tmp_path, monkeypatch):
    """The edge builds the Context's key provider from its environment: with a secret set,
    the keyring exported is the published one and no key file is written."""
    from typer.testing import CliRunner

    from tanzuji.cli import app

    key = SigningKey.generate()
    info = PublicKeyInfo(
        key_id=key.key_id, public_key=key.public_raw_b64(), not_before="2020-01-01T00:00:00+00:00"
    )
    keyring_file = tmp_path / "published.json"
    keyring_file.write_text(Keyring(keys=[info]).to_json())
    monkeypatch.setenv(ENV_SIGNING_KEY, key.private_pem().decode())
    monkeypatch.setenv(ENV_KEYRING_FILE, str(keyring_file))
    exported = CliRunner().invoke(app, ["certify", "keys", "export"])
    assert exported.exit_code == 0, exported.output
    assert Keyring.from_json(exported.output, "stdout").keys == [info]
    data_dir = Path(os.environ["TANZUJI_DATA_DIR"])
    assert not (data_dir / "keys").exists()
    rotated = CliRunner().invoke(app, ["certify", "keys", "rotate"])
    assert isinstance(rotated.exception, SigningKeyError)
    assert "rotate it there" in str(rotated.exception)
