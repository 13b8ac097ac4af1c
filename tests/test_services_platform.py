"""Organisations and users, the participants.yaml migration, the database commands, and the
factor service's byte-level import and export."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml

from service_helpers import service_context
from tanzuji import settings
from tanzuji.certify.records import Role
from tanzuji.cli import main
from tanzuji.errors import FactorImportError, ParticipantError, PermissionDenied
from tanzuji.services import factors, organisations
from tanzuji.store import db
from test_store_factors import NATIONAL, SOUTH

#: The participants file the demo of earlier versions wrote into data_dir.
OLD_PARTICIPANTS = {
    "organisations": [
        {"id": "demo-enterprise", "name": "Demo Electronics", "kind": "enterprise"},
        {
            "id": "demo-body",
            "name": "Demo Body",
            "kind": "certification_body",
            "accredited": True,
        },
    ],
    "actors": [
        {"id": "applicant", "name": "Li", "role": "applicant", "organisation": "demo-enterprise"},
        {"id": "verifier", "name": "Chan", "role": "verifier", "organisation": "demo-body"},
    ],
}


def tanzuji(monkeypatch, capsys, *args: object) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["tanzuji", *(str(a) for a in args)])
    code = 0
    try:
        main()
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_participants_file_is_imported_once_and_renamed(monkeypatch, capsys):
    data_dir = settings.load().data_path
    data_dir.mkdir(parents=True, exist_ok=True)
    people = data_dir / "participants.yaml"
    people.write_text(yaml.safe_dump(OLD_PARTICIPANTS), "utf-8")
    code, out, err = tanzuji(monkeypatch, capsys, "user", "list")
    assert code == 0 and "imported 2 organisation(s) and 2 user(s)" in err
    assert "applicant" in out and "verifier" in out
    assert not people.exists() and (data_dir / "participants.yaml.imported").is_file()
    code, _, err = tanzuji(monkeypatch, capsys, "user", "list")
    assert code == 0 and err == ""  # once only
    # a participants file appearing later is not merged into stored organisations
    people.write_text(yaml.safe_dump(OLD_PARTICIPANTS), "utf-8")
    code, _, err = tanzuji(monkeypatch, capsys, "org", "list")
    assert code == 0 and "was not imported" in err
    assert (data_dir / "participants.yaml.unused").is_file()


def test_only_an_administrator_adds_organisations_and_users(database_url, tmp_path):
    ctx = service_context(database_url, tmp_path / "data")  # the demo's cast
    verifier = ctx.with_user("verifier")
    request = organisations.OrganisationRequest(id="x", name="X", kind="enterprise")
    with pytest.raises(PermissionDenied, match="only an administrator"):
        organisations.add_organisation(verifier, request)
    added = organisations.add_organisation(ctx.with_user("admin"), request)
    assert added.kind == "enterprise"
    steward = organisations.UserRequest(
        id="wu", name="Wu", role=Role.data_steward, organisation="platform"
    )
    organisations.add_user(ctx.with_user("admin"), steward)
    assert ctx.with_user("wu").require_actor().role is Role.data_steward
    with pytest.raises(ParticipantError, match="kind 'bank' is not one of"):
        organisations.add_organisation(
            ctx, organisations.OrganisationRequest(id="b", name="B", kind="bank")
        )
    with pytest.raises(ParticipantError, match="'public' is reserved"):
        organisations.add_user(
            ctx,
            organisations.UserRequest(
                id="public", name="P", role=Role.public, organisation="platform"
            ),
        )
    assert ctx.with_user("public").require_actor().role is Role.public


def test_db_upgrade_and_status_on_a_configured_database(database_url, monkeypatch, capsys):
    monkeypatch.setenv("TANZUJI_DATABASE_URL", database_url)
    code, out, _ = tanzuji(monkeypatch, capsys, "db", "status")
    assert code == 0 and "revision none" in out and "run `tanzuji db upgrade`" in out
    code, _, err = tanzuji(monkeypatch, capsys, "factors", "release", "list")
    assert code == 1 and "has no Tanzuji tables yet" in err and "`tanzuji db upgrade`" in err
    assert len(err.strip().splitlines()) == 1  # one sentence, no traceback
    code, out, _ = tanzuji(monkeypatch, capsys, "db", "upgrade")
    assert code == 0 and f"empty -> {db.head_revision()}" in out
    code, out, _ = tanzuji(monkeypatch, capsys, "db", "upgrade")
    assert code == 0 and f"already at {db.head_revision()}" in out
    code, out, _ = tanzuji(monkeypatch, capsys, "db", "status")
    assert code == 0 and "up to date" in out


def test_the_embedded_database_is_created_and_upgraded_on_first_use(monkeypatch, capsys):
    path = db.default_sqlite_path(settings.load().data_path)
    assert not path.exists()
    code, _, _ = tanzuji(monkeypatch, capsys, "org", "list")
    assert code == 0 and path.is_file()
    assert db.current_revision(db.engine_for(f"sqlite:///{path}")) == db.head_revision()


def test_factor_import_takes_bytes_and_names_the_upload(database_url, tmp_path):
    ctx = service_context(database_url, tmp_path / "data")
    content = factors.export(ctx, factors.ExportFormat.json).content  # empty database
    assert factors.export(ctx, factors.ExportFormat.json).count == 0
    ctx.factor_database().add_records([SOUTH, NATIONAL], "mee", status="published", reviewer="Li")
    exported = factors.export(ctx, factors.ExportFormat.csv)
    assert exported.count == 2 and exported.media_type == "text/csv"
    other = service_context(f"sqlite:///{tmp_path / 'other.db'}", tmp_path / "other")
    report = factors.import_file(
        other, factors.ImportRequest(name="uploads/mee.csv", content=exported.content)
    )
    assert (report.imported, report.source_name) == (2, "mee.csv")
    with pytest.raises(FactorImportError) as caught:
        factors.import_file(
            other, factors.ImportRequest(name="bad.json", content=content[:20], format="json")
        )
    assert "bad.json" in str(caught.value) and "tanzuji-import-" not in str(caught.value)
    assert all("tanzuji-import-" not in p for p in caught.value.details.get("problems", []))


def test_factor_import_refuses_an_oversized_upload_before_reading(database_url, tmp_path):
    ctx = service_context(database_url, tmp_path / "data")
    small = ctx.settings.replace(max_upload_bytes=10)
    limited = type(ctx).from_settings(small, database=ctx.database)
    with pytest.raises(FactorImportError, match="at most 10 bytes"):
        factors.import_file(limited, factors.ImportRequest(name="f.csv", content=b"x" * 11))


def test_jsonld_export_is_a_zip_that_imports_back(database_url, tmp_path: Path):
    ctx = service_context(database_url, tmp_path / "data")
    ctx.factor_database().add_records([SOUTH], "mee", status="published", reviewer="Li")
    exported = factors.export(ctx, factors.ExportFormat.jsonld)
    assert exported.content[:2] == b"PK" and exported.filename == "factors.zip"
    other = service_context(f"sqlite:///{tmp_path / 'o.db'}", tmp_path / "o")
    report = factors.import_file(
        other,
        factors.ImportRequest(name="factors.zip", content=exported.content, format="jsonld"),
    )
    assert report.imported == 1


def test_demo_service_loads_the_demo_data(database_url, tmp_path):
    """What the web will call to load demo data: the whole story through the services."""
    from tanzuji.cli.inputs import model_input
    from tanzuji.services import demo

    ctx = service_context(database_url, tmp_path / "data")
    examples = Path(__file__).resolve().parents[1] / "examples"
    models = [model_input(examples / name) for name in ("lfp_battery_pack.yaml", "pv_module.yaml")]
    result = demo.run(ctx, demo.DemoRequest(models=models, release="demo-1"))
    assert result.factors.created and result.factors.release.name == "demo-1"
    assert all(r.passed for r in result.checks)
    issued = result.certification.issued
    assert issued.factor_release == "demo-1" and issued.state.value == "issued"
    assert result.certification.verification.ok
    assert result.certification.label_png[:8] == b"\x89PNG\r\n\x1a\n"


def test_only_stewards_and_administrators_write_factors(database_url, tmp_path):
    ctx = service_context(database_url, tmp_path / "data")
    request = factors.ImportRequest(name="mee.json", content=b"{}", format="json")
    with pytest.raises(PermissionDenied, match="only a data steward or an administrator"):
        factors.import_file(ctx.with_user("verifier"), request)
    with pytest.raises(PermissionDenied, match="only a data steward"):
        factors.create_release(ctx.with_user("applicant"), "R1")
    with pytest.raises(FactorImportError):  # an administrator gets as far as reading the file
        factors.import_file(ctx.with_user("admin"), request)


def test_requests_travel_as_json_with_their_bytes():
    """A job queue or a web client sends requests as JSON: bytes go as base64 and come back."""
    from tanzuji.services import certification
    from tanzuji.services.calculation import ModelInput

    model = ModelInput(name="m.yaml", text="product: {}\n", files={"f.csv": b"id\n\xff\x00"})
    request = certification.ApplyRequest(
        model=model,
        pcr_id="battery-eu-2023",
        evidence=[certification.EvidenceInput(name="meter.pdf", content=b"%PDF\x00\x01")],
    )
    assert certification.ApplyRequest.model_validate_json(request.model_dump_json()) == request
    upload = factors.ImportRequest(name="f.zip", content=b"PK\x03\x04\x00")
    assert factors.ImportRequest.model_validate_json(upload.model_dump_json()) == upload
    with pytest.raises(ValueError, match="Extra inputs are not permitted"):
        factors.ImportRequest(name="f", content=b"", colour="red")
