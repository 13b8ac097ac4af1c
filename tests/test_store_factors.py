"""The factor database service on SQLite and PostgreSQL: imports, versions, review, releases.

Factor values are real where a number matters: China Southern Grid 2022 average 0.3869 and
national 2022 average 0.5366 kg CO2/kWh (MEE & NBS announcement of 2024-12-20, via
shared/reference/factors/china_grid_co2_factors_mee.csv). The "corrected" value 0.4 used to make
a second version is a test input, not a published factor.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pytest

from shared_data import SAMPLES, SKIP_WITHOUT_SHARED
from tanzuji.errors import (
    FactorEditError,
    FactorImportError,
    ImmutableRecord,
    NotFound,
    ReleaseError,
    StatusTransitionError,
    UnknownFactor,
)
from tanzuji.factors.base import load_factor_csv
from tanzuji.factors.database import (
    DatabaseFactorSource,
    FactorDatabase,
    export_factor_csv,
    export_json,
    read_json,
)
from tanzuji.factors.importers import read as read_factors
from tanzuji.factors.record import FactorRecord
from tanzuji.footprint import calculate
from tanzuji.model.files import load_model_text
from tanzuji.store import db
from tanzuji.store.factors import FactorVersion, Release

MEE_2022 = {
    "publisher": "MEE & NBS",
    "document": "关于发布2022年电力二氧化碳排放因子的公告 (2024-12-20)",
}
LICENCE = "PRC official document (Copyright Law Art. 5)"

SOUTH = {
    "id": "cn-grid-south-2022",
    "name_en": "Electricity, China Southern Grid average, 2022",
    "name_zh": "南方区域电网平均二氧化碳排放因子 2022",
    "unit": "kWh",
    "gases": [{"gas": "CO2", "amount_kg": 0.3869}],
    "geography": "CN-SOUTH-GRID",
    "year": 2022,
    "boundary": "combustion",
    "source": MEE_2022,
    "licence": LICENCE,
}
NATIONAL = {
    **SOUTH,
    "id": "cn-grid-2022",
    "name_en": "Electricity, China national grid average, 2022",
    "name_zh": "全国电力平均二氧化碳排放因子 2022",
    "gases": [{"gas": "CO2", "amount_kg": 0.5366}],
    "geography": "CN",
}
CORRECTED = [{"gas": "CO2", "amount_kg": 0.4}]  # test input, not a published value


def publish(database: FactorDatabase, factor_id: str, version: int = 1) -> None:
    database.set_status(factor_id, version, "under_review", "submitter")
    database.set_status(factor_id, version, "published", "reviewer")


# -- imports ------------------------------------------------------------------------------


def test_import_reports_new_records(factor_db: FactorDatabase):
    report = factor_db.add_records([FactorRecord(**SOUTH), NATIONAL], "mee.csv")
    assert [(e.factor_id, e.version, e.action) for e in report.entries] == [
        ("cn-grid-south-2022", 1, "new"),
        ("cn-grid-2022", 1, "new"),
    ]
    assert (report.imported, report.skipped) == (2, 0)
    assert factor_db.count() == 2
    assert factor_db.get("cn-grid-2022").status == "draft"
    assert factor_db.imports()[0].entries == report.entries


def test_bad_batch_writes_nothing_and_names_every_problem(factor_db: FactorDatabase):
    factor_db.add_records([SOUTH], "first")
    before = factor_db.history("cn-grid-south-2022")
    bad = [
        {**SOUTH, "gases": CORRECTED},  # would be a new version of an existing factor
        {**NATIONAL, "gases": [{"gas": "CO2", "amount_kg": "zero point five"}]},
        {**NATIONAL, "id": "cn-grid-2021", "source": {"publisher": "", "document": "x"}},
        {**NATIONAL, "id": "cn-grid-south-2022"},
        {**NATIONAL, "id": "x", "unit": "bananas"},
    ]
    with pytest.raises(FactorImportError) as caught:
        factor_db.add_records(bad, "bad.csv")
    problems = caught.value.details["problems"]
    assert len(problems) == 4
    assert "bad.csv record 2 (id 'cn-grid-2022'): field 'gases.0.amount_kg'" in problems[0]
    assert "'zero point five'" in problems[0]
    assert "record 3 (id 'cn-grid-2021'): field 'source.publisher' is ''" in problems[1]
    assert "record 4 (id 'cn-grid-south-2022'): field 'id' repeats record 1" in problems[2]
    assert "record 5 (id 'x'): field 'unit'" in problems[3]
    assert "nothing was imported" in caught.value.message
    assert factor_db.count() == 1
    assert factor_db.history("cn-grid-south-2022") == before
    assert len(factor_db.imports()) == 1


def test_empty_batch_and_published_without_reviewer_are_refused(factor_db: FactorDatabase):
    with pytest.raises(FactorImportError, match="holds no factor records"):
        factor_db.add_records([], "empty.csv")
    with pytest.raises(FactorImportError, match=r"field 'reviewer' is empty but status"):
        factor_db.add_records([SOUTH], "x.csv", status="published")
    assert factor_db.count() == 0


def test_reimport_skips_identical_and_versions_changed(factor_db: FactorDatabase):
    factor_db.add_records([SOUTH, NATIONAL], "v1")
    report = factor_db.add_records([SOUTH, {**NATIONAL, "gases": CORRECTED}], "v2")
    assert [(e.action, e.version, e.reason) for e in report.entries] == [
        ("skipped", 1, "identical to stored version 1"),
        ("new_version", 2, "content differs from version 1"),
    ]
    assert factor_db.get("cn-grid-2022", version=1).gases[0].amount_kg == 0.5366
    assert factor_db.get("cn-grid-2022").gases[0].amount_kg == 0.4


def test_import_can_publish_with_a_reviewer(factor_db: FactorDatabase):
    factor_db.add_records([SOUTH], "mee.csv", status="published", reviewer="Li Wei")
    record = factor_db.get("cn-grid-south-2022")
    assert (record.status, record.reviewer) == ("published", "Li Wei")
    moves = factor_db.history("cn-grid-south-2022")[0].status_changes
    assert [(m.from_status, m.to_status, m.note) for m in moves] == [
        (None, "published", "imported from mee.csv")
    ]


def test_every_record_field_round_trips(factor_db: FactorDatabase):
    full = FactorRecord.model_validate(
        {
            **SOUTH,
            "activity": "purchased electricity 外购电力",
            "kg_co2e": 0.3869,
            "gwp_set": "AR6",
            "valid_from": "2022-01-01",
            "valid_to": "2022-12-31",
            "source": {
                **MEE_2022,
                "table": "2022年区域电力平均二氧化碳排放因子",
                "url": "https://www.mee.gov.cn/",
                "accessed": "2026-11-25",
            },
            "pedigree": {
                "reliability": 2,
                "completeness": 1,
                "temporal": 1,
                "geographical": 2,
                "technological": 1,
            },
            "uncertainty": {"distribution": "lognormal", "gsd": 1.1},
            "classification": {"CPC": "17100"},
            "primary_data": True,
            "comment": "location-based average",
        }
    )
    assert set(FactorRecord.model_fields) <= set(full.model_dump())
    factor_db.add_records([full], "all fields")
    stored = factor_db.get(full.id)
    ignore = {"created_at"}
    assert stored.model_dump(exclude=ignore) == full.model_dump(exclude=ignore)
    assert stored.created_at is not None and stored.created_at.tzinfo is not None


# -- versions -----------------------------------------------------------------------------


def test_edit_makes_a_new_version_and_keeps_the_old(factor_db: FactorDatabase):
    factor_db.add_records([SOUTH], "mee")
    publish(factor_db, "cn-grid-south-2022")
    v1 = factor_db.get("cn-grid-south-2022")
    v2 = factor_db.new_version("cn-grid-south-2022", {"gases": CORRECTED, "comment": "fix"})
    assert (v2.version, v2.status, v2.reviewer) == (2, "draft", None)
    assert factor_db.get("cn-grid-south-2022", version=1) == v1
    history = factor_db.history("cn-grid-south-2022")
    assert [h.record.version for h in history] == [1, 2]
    assert history[1].changed_fields == ["comment", "gases"]
    assert history[0].content_hash != history[1].content_hash


def test_bad_edits_are_refused(factor_db: FactorDatabase):
    factor_db.add_records([SOUTH], "mee")
    with pytest.raises(FactorEditError, match=r"fields \['status', 'version'\] cannot be edited"):
        factor_db.new_version("cn-grid-south-2022", {"version": 7, "status": "published"})
    with pytest.raises(FactorEditError, match=r"field 'unit' is 'bananas'"):
        factor_db.new_version("cn-grid-south-2022", {"unit": "bananas"})
    with pytest.raises(FactorEditError, match="identical to version 1"):
        factor_db.new_version("cn-grid-south-2022", {"year": 2022})
    with pytest.raises(NotFound, match="'nope' is not in the factor database"):
        factor_db.new_version("nope", {"year": 2022})
    assert len(factor_db.history("cn-grid-south-2022")) == 1


def test_stored_versions_cannot_be_updated_or_deleted(factor_db: FactorDatabase):
    factor_db.add_records([SOUTH], "mee")
    with pytest.raises(ImmutableRecord, match=r"version 1 is immutable; fields \['gases'\]"):
        with db.session_scope(factor_db.engine) as session:
            row = session.get(FactorVersion, ("cn-grid-south-2022", 1))
            row.gases = CORRECTED
    with pytest.raises(ImmutableRecord, match="cannot be deleted"):
        with db.session_scope(factor_db.engine) as session:
            session.delete(session.get(FactorVersion, ("cn-grid-south-2022", 1)))
    assert factor_db.get("cn-grid-south-2022").gases[0].amount_kg == 0.3869


# -- review workflow ----------------------------------------------------------------------


def test_status_workflow_with_reviewer_and_times(factor_db: FactorDatabase):
    factor_db.add_records([SOUTH], "mee")
    start = dt.datetime.now(dt.UTC)
    factor_db.set_status("cn-grid-south-2022", 1, "under_review", "Chen")
    factor_db.set_status("cn-grid-south-2022", 1, "draft", "Li", note="cite the table")
    factor_db.set_status("cn-grid-south-2022", 1, "under_review", "Chen")
    record = factor_db.set_status("cn-grid-south-2022", 1, "published", "Li")
    assert (record.status, record.reviewer) == ("published", "Li")
    assert record.reviewed_at >= start
    deprecated = factor_db.set_status("cn-grid-south-2022", 1, "deprecated", "Li")
    assert deprecated.status == "deprecated"
    moves = factor_db.history("cn-grid-south-2022")[0].status_changes
    assert [(m.from_status, m.to_status, m.reviewer) for m in moves] == [
        (None, "draft", None),
        ("draft", "under_review", "Chen"),
        ("under_review", "draft", "Li"),
        ("draft", "under_review", "Chen"),
        ("under_review", "published", "Li"),
        ("published", "deprecated", "Li"),
    ]
    assert moves[2].note == "cite the table"


@pytest.mark.parametrize(
    ("path", "target", "message"),
    [
        ([], "published", r"is 'draft' and cannot move to 'published'; allowed from 'draft': "),
        (["under_review", "published"], "draft", r"allowed from 'published': deprecated"),
        (["deprecated"], "under_review", r"allowed from 'deprecated': none \(final\)"),
        ([], "approved", r"status 'approved' is unknown"),
    ],
)
def test_illegal_status_moves_are_refused(factor_db: FactorDatabase, path, target, message):
    factor_db.add_records([SOUTH], "mee")
    for status in path:
        factor_db.set_status("cn-grid-south-2022", 1, status, "Li")
    with pytest.raises(StatusTransitionError, match=message):
        factor_db.set_status("cn-grid-south-2022", 1, target, "Li")
    assert factor_db.get("cn-grid-south-2022").status == (path[-1] if path else "draft")


def test_status_change_needs_a_reviewer_and_an_existing_version(factor_db: FactorDatabase):
    factor_db.add_records([SOUTH], "mee")
    with pytest.raises(StatusTransitionError, match="needs the reviewer's name"):
        factor_db.set_status("cn-grid-south-2022", 1, "under_review", " ")
    with pytest.raises(NotFound, match=r"has no version 3; versions are 1..1"):
        factor_db.set_status("cn-grid-south-2022", 3, "under_review", "Li")


# -- releases and resolution --------------------------------------------------------------


def test_release_pins_versions_against_later_edits(factor_db: FactorDatabase):
    factor_db.add_records([SOUTH, NATIONAL], "mee")
    publish(factor_db, "cn-grid-south-2022")  # NATIONAL stays draft: not in the release
    info = factor_db.create_release("2026.1", note="first", created_by="Li")
    assert (info.member_count, info.members) == (1, {"cn-grid-south-2022": 1})
    v1 = factor_db.get("cn-grid-south-2022")
    line = f"cn-grid-south-2022@1:{v1.content_hash()}"  # docs/factors.md: the release hash
    assert info.content_hash == hashlib.sha256(line.encode()).hexdigest()
    factor_db.new_version("cn-grid-south-2022", {"gases": CORRECTED})
    publish(factor_db, "cn-grid-south-2022", 2)

    source = DatabaseFactorSource(factor_db.engine)
    pinned = source.resolve("cn-grid-south-2022@2026.1")
    latest = source.resolve("cn-grid-south-2022")
    assert (pinned.version, pinned.release, pinned.flows[0].amount_kg) == ("1", "2026.1", 0.3869)
    assert (latest.version, latest.release, latest.flows[0].amount_kg) == ("2", None, 0.4)
    assert factor_db.get("cn-grid-south-2022", release="2026.1").version == 1
    assert factor_db.release("2026.1").content_hash == info.content_hash
    later = factor_db.create_release("2026.2")
    assert later.members == {"cn-grid-south-2022": 2}
    assert later.content_hash != info.content_hash
    assert [r.name for r in factor_db.releases()] == ["2026.1", "2026.2"]
    assert factor_db.history("cn-grid-south-2022")[0].releases == ["2026.1"]
    assert DatabaseFactorSource(factor_db.engine, "2026.1").resolve("cn-grid-south-2022") == pinned


def test_release_names_are_checked(factor_db: FactorDatabase):
    with pytest.raises(ReleaseError, match="would be empty: no factor version is published"):
        factor_db.create_release("2026.1")
    factor_db.add_records([SOUTH], "mee")
    publish(factor_db, "cn-grid-south-2022")
    for name in ("", "  ", "2026@1", "-x"):
        with pytest.raises(ReleaseError, match="is not valid"):
            factor_db.create_release(name)
    factor_db.create_release("2026.1")
    with pytest.raises(ReleaseError, match=r"'2026\.1' already exists"):
        factor_db.create_release("2026.1")
    with pytest.raises(ImmutableRecord, match="Release rows are immutable"):
        with db.session_scope(factor_db.engine) as session:
            session.query(Release).one().note = "rewritten"
    assert [r.name for r in factor_db.releases()] == ["2026.1"]


def test_unresolvable_references_say_why(factor_db: FactorDatabase):
    factor_db.add_records([SOUTH], "mee")
    source = DatabaseFactorSource(factor_db.engine)
    with pytest.raises(UnknownFactor, match=r"no published version .* version 1, 'draft'"):
        source.resolve("cn-grid-south-2022")
    with pytest.raises(UnknownFactor, match="'nope' is not in the factor database"):
        source.resolve("nope")
    with pytest.raises(UnknownFactor, match=r"release '2026.1' does not exist; known .*none yet"):
        source.resolve("cn-grid-south-2022@2026.1")
    publish(factor_db, "cn-grid-south-2022")
    factor_db.add_records([NATIONAL], "mee")
    factor_db.create_release("2026.1")
    with pytest.raises(UnknownFactor, match=r"'cn-grid-2022' is not in release '2026\.1'"):
        source.resolve("cn-grid-2022@2026.1")


MODEL = """\
product:
  id: assembly
  name: {{en: Assembly, zh: 组装}}
  functional_unit: {{unit: piece}}
  reference_flow: {{process: assemble}}
processes:
  - id: assemble
    name: Assemble
    life_cycle_stage: production
    reference_product: {{unit: piece}}
    inputs:
      - {{factor: {ref}, amount: 10, unit: kWh}}
      - {{factor: {other}, amount: 2, unit: MWh}}
"""


def test_footprint_resolves_factors_from_the_store(factor_db: FactorDatabase):
    factor_db.add_records([SOUTH, NATIONAL], "mee")
    publish(factor_db, "cn-grid-south-2022")
    publish(factor_db, "cn-grid-2022")
    factor_db.create_release("2026.1")
    factor_db.new_version("cn-grid-south-2022", {"gases": CORRECTED})
    publish(factor_db, "cn-grid-south-2022", 2)
    source = DatabaseFactorSource(factor_db.engine)
    text = MODEL.format(ref="cn-grid-south-2022@2026.1", other="cn-grid-2022")

    footprint = calculate(load_model_text(text, "m.yaml"), factor_source=source)
    # 10 kWh * 0.3869 (pinned v1) + 2 MWh = 2000 kWh * 0.5366 = 3.869 + 1073.2
    assert footprint.total_kg_co2e == pytest.approx(3.869 + 1073.2, rel=1e-12)
    used = {(f.id, f.version, f.release) for f in footprint.inputs.factors}
    assert used == {("cn-grid-south-2022", "1", "2026.1"), ("cn-grid-2022", "1", None)}

    unpinned = MODEL.format(ref="cn-grid-south-2022", other="cn-grid-2022@2026.1")
    footprint = calculate(load_model_text(unpinned, "m.yaml"), factor_source=source)
    # 10 kWh * 0.4 (newest published, v2) + 2000 kWh * 0.5366
    assert footprint.total_kg_co2e == pytest.approx(4.0 + 1073.2, rel=1e-12)


# -- exports ------------------------------------------------------------------------------


def test_json_export_round_trips(factor_db: FactorDatabase, tmp_path: Path):
    factor_db.add_records([SOUTH, NATIONAL], "mee", status="published", reviewer="Li")
    release = factor_db.create_release("2026.1")
    records = factor_db.records(release="2026.1")
    path = tmp_path / "factors.json"
    path.write_text(export_json(records, release), encoding="utf-8")
    assert read_json(path) == records
    other = FactorDatabase.open(f"sqlite:///{tmp_path / 'other.db'}")
    report = other.import_file(path)
    assert report.imported == 2
    assert other.records(status="published") == [
        r.model_copy(update={"created_at": o.created_at, "reviewed_at": o.reviewed_at})
        for r, o in zip(records, other.records(), strict=True)
    ]
    other.engine.dispose()


def test_csv_export_is_a_model_factor_file(factor_db: FactorDatabase, tmp_path: Path):
    factor_db.add_records([SOUTH, NATIONAL], "mee", status="published", reviewer="Li")
    factor_db.create_release("2026.1")
    path = tmp_path / "factors.csv"
    path.write_text(
        export_factor_csv(factor_db.records(release="2026.1"), "2026.1"), encoding="utf-8"
    )
    from_csv = load_factor_csv(path)
    source = DatabaseFactorSource(factor_db.engine)
    for factor_id in ("cn-grid-south-2022", "cn-grid-2022"):
        a, b = from_csv.resolve(factor_id), source.resolve(f"{factor_id}@2026.1")
        assert (a.unit, a.flows, a.version, a.source) == (b.unit, b.flows, b.version, b.source)


def test_read_json_names_bad_records(tmp_path: Path):
    path = tmp_path / "bad.json"
    path.write_text('{"format": "tanzuji-factors", "factors": [{"id": "a", "unit": "kg"}]}')
    with pytest.raises(FactorImportError, match=r"bad.json factors\[0\] \(id 'a'\): field"):
        read_json(path)
    path.write_text("[1, 2]")
    with pytest.raises(FactorImportError, match='expected a JSON object with "format"'):
        read_json(path)


# -- files through the importers ------------------------------------------------------------

needs_samples = SKIP_WITHOUT_SHARED


@needs_samples
def test_importer_file_with_skipped_rows_is_logged(factor_db: FactorDatabase):
    report = factor_db.import_file(SAMPLES / "emission_factors" / "co2_ch4_n2o_ef.csv")
    # US EPA eGRID table: 76 rows, 9 say "no EF" (see tests/test_importers_table_pact.py)
    assert (report.imported, report.skipped) == (67, 9)
    skipped = [e for e in factor_db.imports()[0].entries if e.action == "skipped"]
    assert skipped[0].reason.endswith("row 2: 'Nuclear': source says 'no EF'")
    anthracite = factor_db.get("epa-egrid:ANT_Anthracite")
    # 0.11413328 short ton CO2/mmBtu = 0.11413328 * 907.18474 kg / 1.055056 GJ
    assert anthracite.gases[0].amount_kg == pytest.approx(0.11413328 * 907.18474 / 1.055056)
    again = factor_db.import_file(SAMPLES / "emission_factors" / "co2_ch4_n2o_ef.csv")
    assert (again.imported, again.skipped) == (0, 76)


@needs_samples
def test_file_with_nothing_importable_is_refused(factor_db: FactorDatabase):
    path = SAMPLES / "simapro_csv" / "inventory.csv"
    (skipped,) = read_factors(path).skipped  # the importer's own reason is passed on
    with pytest.raises(FactorImportError, match="holds no factor records") as caught:
        factor_db.import_file(path)
    assert f"skipped {skipped.location}: {skipped.reason}" in caught.value.message
    assert factor_db.imports() == []
