"""The process library on the toy library of ``library_toy.py``: units, gas mapping, every
linking rule, allocation, waste treatment, loops, intensities by hand, the store round trip on
SQLite and PostgreSQL, derived factors, ``library:`` model inputs and the command line.

Expected numbers are the hand arithmetic written out in ``library_toy.py`` (AR6 GWP100:
CO2 1, CH4 fossil 29.8, data/gwp100.csv).
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import numpy as np
import pytest

import library_toy as toy
from service_helpers import as_user, certify, import_package, plain_context, service_context
from tanzuji.cli import main
from tanzuji.cli.app import console
from tanzuji.errors import DanglingReference, ImmutableRecord, LibraryError, NotFound
from tanzuji.factors.database import FactorDatabase
from tanzuji.library import elementary, jsonld, linking, matrices, quantities
from tanzuji.library.linking import LinkingRules
from tanzuji.library.shipped import About
from tanzuji.library.solve import gas_intensities, library_calculation
from tanzuji.model.compile import compile_model
from tanzuji.model.files import load_model_text
from tanzuji.services import calculation, certification
from tanzuji.services import library as service
from tanzuji.store import db
from tanzuji.store import library as repository
from tanzuji.store.library import DatabaseLibrarySource
from tanzuji.store.library_tables import LibraryVersion

RTOL = 1e-12
ABOUT = About(title="Toy library", publisher="Tanzuji tests", licence="CC0-1.0", notice="toy")


def solved(rules: LinkingRules | None = None, gwp_set: str = "AR6"):
    library = jsonld.read(toy.members())
    problems = quantities.normalise(library)
    mappings = {f.id: elementary.map_flow(f) for f in library.flows.values()}
    linked = linking.link(library, rules)
    system = matrices.build(library, linked, mappings)
    scores = library_calculation(system, gwp_set).intensities()
    by_id = {c.id: float(s) for c, s in zip(system.columns, scores, strict=True)}
    return library, problems, linked, system, by_id


def decisions(linked) -> dict[tuple[str, int], str]:
    return {(d.process, d.position): d.decision for d in linked.decisions}


# -- reading and units -------------------------------------------------------------------------


def test_reads_both_schema_spellings_and_converts_units():
    library, problems, *_ = solved()
    assert library.counts() == {
        "processes": 8,
        "flows": 15,
        "flow_properties": 3,
        "unit_groups": 3,
        "exchanges": 31,
    }
    user = library.process("user")  # olca-schema v2 spelling: isInput / isQuantitativeReference
    assert (
        user.reference.flow == "widget" and [e.is_input for e in user.exchanges[1:]] == [True] * 5
    )
    grid = library.process("grid")  # v1 spelling: input / quantitativeReference
    assert grid.reference.amount_ref == pytest.approx(3.6, rel=RTOL)  # 1 kWh = 3.6 MJ
    coal = library.process("coal")
    assert coal.reference.amount_ref == pytest.approx(1000, rel=RTOL)  # 1 t = 1000 kg
    assert coal.exchanges[1].amount_ref == pytest.approx(0.005, rel=RTOL)  # 5 l = 0.005 m3
    diesel_by_mass = user.exchanges[3]  # 1 kg diesel / 840 kg per m3
    assert diesel_by_mass.amount_ref == pytest.approx(1 / 840, rel=RTOL)
    pounds = user.exchanges[4]  # the unit group's 0.45 kg is replaced by 0.45359237 kg
    assert pounds.amount_ref == pytest.approx(10 * toy.LB_AV_KG, rel=RTOL)
    assert "gives 1 lb av = 0.45 kg" in pounds.unit_note and "0.45359237" in pounds.unit_note
    assert [(p.process, p.position, p.unit) for p in problems] == [("user", 5, "bananas")]


def test_elementary_flows_map_to_gases_and_origins():
    library = jsonld.read(toy.members())
    quantities.normalise(library)
    mapped = {f.id: elementary.map_flow(f) for f in library.flows.values()}
    assert (mapped["co2"].kind, mapped["co2"].gas, mapped["co2"].origin) == ("ghg", "CO2", "fossil")
    assert (mapped["ch4"].gas, mapped["ch4"].origin) == ("CH4", "fossil")
    assert (mapped["co2-air"].gas, mapped["co2-air"].origin) == ("CO2", "biogenic")
    assert mapped["so2"].kind == "other"
    assert mapped["cfc113"].kind == "uncharacterised" and "no GWP100" in mapped["cfc113"].note
    assert mapped["electricity"].kind == "other"


@pytest.mark.parametrize(
    ("name", "category", "expected"),
    [
        (
            "Methane [Organic emissions to air]",
            "Elementary Flows/NETL/Emission to air",
            ("CH4", "fossil"),
        ),
        ("Nitrous oxide (laughing gas)", "air/unspecified", ("N2O", "fossil")),
        ("Methane, tetrafluoro-, CFC-14", "air/unspecified", ("PFC-14", "fossil")),
        ("Ethane, hexafluoro-, HFC-116", "air/unspecified", ("PFC-116", "fossil")),
        ("Methane, chlorodifluoro-, HCFC-22", "air/low population density", ("HCFC-22", "fossil")),
        ("Methane, dichloro-, HCC-30", "air/unspecified", ("CH2Cl2", "fossil")),
        ("Carbon dioxide, biogenic", "Elementary Flows", ("CO2", "biogenic")),
        ("Carbon dioxide, land transformation", "air/unspecified", ("CO2", "land_use_change")),
        ("Carbon dioxide", "resource/in air", ("CO2", "biogenic")),
        ("Carbon dioxide, fossil", "water/river", None),
        ("Pit Methane (in MJ)", "resource/in ground", None),
    ],
)
def test_gas_mapping_of_uslci_names(name, category, expected):
    from tanzuji.library.model import Flow

    mapping = elementary.map_flow(Flow("f", name, "elementary", category, reference_unit="kg"))
    found = (mapping.gas, mapping.origin) if mapping.kind == "ghg" else None
    assert found == expected


# -- linking -----------------------------------------------------------------------------------


def test_every_exchange_needing_a_provider_gets_one_decision():
    _library, _, linked, *_ = solved()
    assert decisions(linked) == {
        ("steel", 1): "co_product_ignored",
        ("grid", 1): "single_producer",  # its own product: the grid's losses
        ("grid", 2): "single_producer",
        ("grid", 3): "cutoff",
        ("coal", 1): "ambiguous",
        ("coal", 2): "single_producer",  # waste output -> the landfill that treats it
        ("steel", 2): "single_producer",
        ("user", 1): "co_product_only",
        ("user", 2): "no_producer",
        ("user", 3): "default_provider",
        ("user", 4): "single_producer",
        ("user", 5): "unit",
        ("aggregated", 1): "lci_result_input",
    }
    ambiguous = next(d for d in linked.decisions if d.decision == "ambiguous")
    assert ambiguous.candidates == ("diesel_us", "diesel_cn")


def test_rules_the_user_picks():
    _, _, linked, *_ = solved(LinkingRules(prefer_same_location=True))
    assert decisions(linked)[("coal", 1)] == "same_location"  # coal is in the US
    assert linked.provider_of()[("coal", 1)] == "diesel_us"
    _, _, linked, *_ = solved(LinkingRules(preferred_providers=("diesel_cn",)))
    assert linked.provider_of()[("coal", 1)] == "diesel_cn"
    _, _, linked, *_ = solved(LinkingRules(match_names=True))
    assert decisions(linked)[("user", 2)] == "name_match"  # "Hard coal" under another id
    _, _, linked, *_ = solved(LinkingRules(link_lci_results=True))
    assert decisions(linked)[("aggregated", 1)] == "single_producer"
    _, _, linked, *_ = solved(LinkingRules(cutoff_prefix=""))
    assert decisions(linked)[("grid", 3)] == "no_producer"


def test_allocated_co_products_become_columns_and_providers():
    _, _, linked, _system, by_id = solved(LinkingRules(co_products="allocate"))
    assert decisions(linked)[("steel", 1)] == "co_product_allocated"
    assert decisions(linked)[("user", 1)] == "single_producer"
    assert linked.provider_of()[("user", 1)] == "steel#slag"
    # steel: 80 % of the process per 1 kg; slag: 20 % per 0.5 kg
    assert by_id["steel"] == pytest.approx(0.8 * toy.STEEL_PER_KG, rel=RTOL)
    assert by_id["steel#slag"] == pytest.approx(0.2 * toy.STEEL_PER_KG / 0.5, rel=RTOL)
    assert by_id["user"] == pytest.approx(toy.USER_PER_KG + 0.2 * toy.STEEL_PER_KG / 0.5, rel=RTOL)


# -- matrices and intensities ------------------------------------------------------------------


def test_intensities_by_hand():
    _, _, _, _, by_id = solved()
    assert by_id["landfill"] == pytest.approx(toy.LANDFILL_PER_KG, rel=RTOL)
    assert by_id["coal"] == pytest.approx(toy.COAL_PER_KG, rel=RTOL)
    assert by_id["grid"] * 3.6 == pytest.approx(toy.GRID_PER_KWH, rel=RTOL)  # per MJ -> kWh
    assert by_id["steel"] == pytest.approx(toy.STEEL_PER_KG, rel=RTOL)
    assert by_id["user"] == pytest.approx(toy.USER_PER_KG, rel=RTOL)
    assert by_id["aggregated"] == pytest.approx(5.0, rel=RTOL)
    _, _, _, _, by_id = solved(LinkingRules(prefer_same_location=True))
    assert by_id["coal"] == pytest.approx(toy.COAL_PER_KG_US_DIESEL, rel=RTOL)


def test_gas_intensities_sum_to_the_score():
    _, _, _, system, _by_id = solved()
    calculation = library_calculation(system, "AR6")
    amounts = gas_intensities(calculation)
    assert np.allclose(amounts @ calculation.characterization, calculation.intensities(), rtol=RTOL)
    steel = system.index()["steel"]
    removal = system.flows.index(next(f for f in system.flows if f.removal))
    assert amounts[steel, removal] == pytest.approx(-0.1, rel=RTOL)  # CO2 from air, per kg steel


def test_a_process_without_usable_reference_is_refused():
    library = jsonld.read(toy.members())
    library.process("landfill").exchanges[0].unit = "bananas"
    quantities.normalise(library)
    linked = linking.link(library)
    with pytest.raises(LibraryError, match=r"Landfill.*cannot be converted"):
        matrices.build(library, linked, {})


# -- store, derivation, model inputs, CLI ------------------------------------------------------


@pytest.fixture
def ctx(database_url: str, tmp_path: Path):
    return plain_context(database_url, tmp_path / "data")


@pytest.fixture
def engine(ctx):
    return ctx.require_database().engine


def test_store_round_trip_derive_and_model_input(ctx, engine, tmp_path: Path):
    folder = toy.write(tmp_path / "toy")
    summary = import_package(ctx, folder, "toy", ABOUT, with_report=True)
    assert summary.info.version == 1 and summary.info.counts["exchanges"] == 31
    assert summary.decisions["single_producer"] == 5 and summary.unit_problems == 1
    report = service.report_file(summary.info, summary.report, as_csv=True).decode("utf-8")
    rows = list(csv.DictReader(report.splitlines()))
    assert len(rows) == len(decisions(linking.link(_normalised()))) == 13
    assert {r["decision"] for r in rows if r["process_id"] == "user"} >= {
        "unit",
        "default_provider",
    }

    with db.session_scope(engine) as session:  # stored links, not relinked
        stored = repository.load_library(session, "toy")
    assert decisions(stored.linking) == decisions(linking.link(_normalised()))
    scores = service.scores_by_process(ctx, "toy")
    assert scores["user"] == pytest.approx(toy.USER_PER_KG, rel=RTOL)

    request = service.DeriveRequest(name="toy", gwp_set="AR6", reviewer="Li", release="toy-1")
    derived = service.derive_factors(ctx, request)
    assert derived.factors == 8 and derived.release.member_count == 8
    grid = FactorDatabase(engine).get("lib:toy:grid")
    assert (grid.unit, grid.boundary, grid.status) == ("kWh", "cradle_to_gate", "published")
    assert grid.kg_co2e == pytest.approx(toy.GRID_PER_KWH, rel=RTOL)
    assert "toy v1" in grid.source.table and "1 cutoff" in grid.comment
    landfill = FactorDatabase(engine).get("lib:toy:landfill")
    assert landfill.gases[0].gas == "CH4" and landfill.gases[0].amount_kg == pytest.approx(0.05)

    model = load_model_text(MODEL, "lamp.yaml")
    source = DatabaseLibrarySource(engine)
    compiled = compile_model(model, None, library=source)
    from tanzuji.engine.calculate import Calculation

    calculation = Calculation.from_system(compiled.system, "AR6")
    score = calculation.score(calculation.supply_array(compiled.system.demand))
    # 10 kWh of grid electricity and 2 kg of steel, both solved with the library's blocks
    assert score == pytest.approx(10 * toy.GRID_PER_KWH + 2 * toy.STEEL_PER_KG, rel=1e-10)
    assert compiled.libraries == {"toy@1": summary.info.content_hash}
    kinds = {a.kind for a in compiled.system.activities}
    assert kinds == {"process", "library"}

    again = import_package(ctx, toy.write(tmp_path / "toy"), "toy", ABOUT)
    assert again.info.version == 2 and again.info.content_hash == summary.info.content_hash
    with pytest.raises(ImmutableRecord), db.session_scope(engine) as session:
        session.get(LibraryVersion, summary.info.id).title = "changed"
        session.flush()


MODEL = """
product:
  id: lamp
  name: {en: Lamp}
  functional_unit: {amount: 1, unit: piece}
  reference_flow: {process: assembly, amount: 1, unit: piece}
processes:
  - id: assembly
    name: {en: Assembly}
    life_cycle_stage: production
    reference_product: {amount: 1, unit: piece}
    inputs:
      - {process: "library:toy/grid", amount: 10, unit: kWh}
      - {process: "library:steel", amount: 2, unit: kg}
"""


def _normalised():
    library = jsonld.read(toy.members())
    quantities.normalise(library)
    return library


def test_every_service_that_computes_a_model_resolves_library_inputs(
    database_url: str, tmp_path: Path
):
    """calc (with Monte Carlo), certify apply and revise, and recheck take ``library:`` inputs
    from the Context's stored libraries (10 kWh grid + 2 kg steel, hand arithmetic in
    library_toy.py)."""
    ctx = service_context(database_url, tmp_path / "data")
    import_package(ctx, toy.write(tmp_path / "toy"), "toy", ABOUT)
    expected = 10 * toy.GRID_PER_KWH + 2 * toy.STEEL_PER_KG
    model = calculation.ModelInput(name="lamp.yaml", text=MODEL)
    request = calculation.CalculationRequest(model=model, monte_carlo_iterations=10)
    footprint = calculation.calculate(ctx, request).footprint
    assert footprint.total_kg_co2e == pytest.approx(expected, rel=1e-10)
    assert footprint.uncertainty is not None and footprint.uncertainty.iterations == 10
    assert [(f.id, f.version) for f in footprint.inputs.factors] == [("library:toy", "1")]

    applicant = as_user(ctx, "applicant")
    apply = certification.ApplyRequest(model=model, pcr_id="electronics-itu-l1410")
    applied = certification.apply(applicant, apply)
    assert applied.model_versions[0].total_kg_co2e == pytest.approx(expected, rel=1e-10)
    revised_text = MODEL.replace("amount: 10, unit: kWh", "amount: 20, unit: kWh")
    revise = certification.ReviseRequest(
        application_id=applied.id,
        model=calculation.ModelInput(name="lamp.yaml", text=revised_text),
        reason="more light",
    )
    revised = certification.revise(applicant, revise)
    more = 20 * toy.GRID_PER_KWH + 2 * toy.STEEL_PER_KG
    assert revised.model_versions[-1].total_kg_co2e == pytest.approx(more, rel=1e-10)
    certify(ctx, applied.id)
    release = service.DeriveRequest(name="toy", reviewer="Li", release="toy-1")
    service.derive_factors(ctx, release)
    # recomputed from the store with the stored library: unchanged, so nothing to report (a
    # model that could not be recomputed would be a row with its problem)
    assert certification.recheck(ctx, "toy-1") == []


def test_calc_command_resolves_library_inputs(
    database_url: str, tmp_path: Path, capsys, monkeypatch
):
    db.database_for(database_url).upgrade()
    monkeypatch.setenv("TANZUJI_DATABASE_URL", database_url)
    import_package(
        plain_context(database_url, tmp_path / "data"), toy.write(tmp_path / "toy"), "toy", ABOUT
    )
    model = tmp_path / "lamp.yaml"
    model.write_text(MODEL, encoding="utf-8")
    code, out, err = run(["calc", str(model), "--json"], capsys, monkeypatch)
    assert code == 0, err
    expected = 10 * toy.GRID_PER_KWH + 2 * toy.STEEL_PER_KG
    assert json.loads(out)["total_kg_co2e"] == pytest.approx(expected, rel=1e-10)


def test_library_input_without_a_library_is_a_clear_error():
    model = load_model_text(MODEL, "lamp.yaml")
    with pytest.raises(DanglingReference, match=r"lamp.yaml:\d+.*no process library"):
        compile_model(model, None)


def test_unknown_library_process_is_named(ctx, engine, tmp_path: Path):
    import_package(ctx, toy.write(tmp_path / "toy"), "toy", ABOUT)
    source = DatabaseLibrarySource(engine)
    with pytest.raises(NotFound, match="has no process 'nothing'"):
        source.resolve("library:toy/nothing")
    with pytest.raises(NotFound, match="0 stored libraries hold process 'nothing'"):
        source.resolve("library:nothing")


def run(args, capsys, monkeypatch) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["tanzuji", *args])
    code = 0
    try:
        main()
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_command_line(database_url: str, tmp_path: Path, capsys, monkeypatch):
    monkeypatch.setenv("TANZUJI_DATABASE_URL", database_url)
    db.database_for(database_url).upgrade()
    monkeypatch.setattr(console, "_width", 200)  # "width" would pin it after undo
    about = tmp_path / "toy.about.json"
    about.write_text(
        json.dumps({"format": "tanzuji-library-about", **vars(ABOUT), "accessed": None}),
        encoding="utf-8",
    )
    package = toy.write(tmp_path / "toy")
    code, out, _ = run(
        [
            "library",
            "import",
            str(package),
            "--name",
            "toy",
            "--about",
            str(about),
            "--prefer-location",
        ],
        capsys,
        monkeypatch,
    )
    assert code == 0, out
    assert "toy v1 (jsonld): 8 processes" in out and "same_location" in out
    code, out, _ = run(["library", "links", "toy", "--decision", "cutoff"], capsys, monkeypatch)
    assert "CUTOFF Water, tap" in out and "1 decisions" in out
    code, out, _ = run(
        ["library", "derive", "toy", "--gwp", "AR6", "--export", str(tmp_path / "d.json")],
        capsys,
        monkeypatch,
    )
    assert code == 0 and "derived 推导 8 factors" in out and "status draft" in out
    exported = json.loads((tmp_path / "d.json").read_text(encoding="utf-8"))
    assert exported["notice"] == "toy" and len(exported["factors"]) == 8
    code, _, err = run(["library", "derive", "toy", "--release", "x"], capsys, monkeypatch)
    assert code == 1 and "--reviewer" in err
    code, out, _ = run(["library", "show", "toy", "--notice"], capsys, monkeypatch)
    assert out.strip() == "toy"
    code, _, err = run(["library", "import", str(package), "--name", "toy"], capsys, monkeypatch)
    assert code == 1 and "--about" in err
    code, out, _ = run(["library", "list"], capsys, monkeypatch)
    assert code == 0 and "Toy library" in out
    code, out, _ = run(["library", "show", "toy", "--json"], capsys, monkeypatch)
    shown = json.loads(out)
    assert shown["version"] == 1 and shown["derivations"][0]["factors"] == 8
    assert shown["rules"]["prefer_same_location"] is True


def test_shipped_derived_factors_load(database_url: str, capsys, monkeypatch):
    """The shipped USLCI factors (package data) list and load without the shared folder."""
    monkeypatch.setenv("TANZUJI_DATABASE_URL", database_url)
    db.database_for(database_url).upgrade()
    monkeypatch.setattr(console, "_width", 200)
    code, out, _ = run(["library", "shipped"], capsys, monkeypatch)
    assert code == 0 and "uslci-ar6" in out and "766" in out
    code, out, _ = run(["library", "load-shipped", "uslci-ar6"], capsys, monkeypatch)
    assert code == 0 and "imported 导入 766 · skipped 跳过 0" in out
    engine = db.engine_for(database_url)
    grid = FactorDatabase(engine).get("lib:uslci:96bffbb9-b875-36cf-8a11-5723c9d239d9")
    engine.dispose()
    assert grid.status == "draft" and grid.unit == "kWh" and grid.gwp_set == "AR6"


def test_a_singular_library_is_not_stored(ctx, engine, tmp_path: Path):
    """A process that uses up all it makes (1 kWh in per 1 kWh out) cannot be solved."""
    from tanzuji.errors import SingularTechnosphere

    folder = toy.write(tmp_path / "toy")
    grid = folder / "process" / "grid.json"
    document = json.loads(grid.read_text(encoding="utf-8"))
    document["exchanges"][1]["amount"] = 1.0  # its own electricity: 1 kWh per kWh
    grid.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(SingularTechnosphere, match="Grid"):
        import_package(ctx, folder, "toy", ABOUT)
    with db.session_scope(engine) as session:
        assert repository.versions(session) == []
