"""Library readers of EcoSpold 1 and 2, ILCD, SimaPro CSV and JSON-LD packages, and reference
data (flows, flow properties, unit groups) into the reference tables.

Counts of the USLCI FY21.Q3.01 EcoSpold 1 file (639 datasets, 45,656 exchanges) are from
``shared/reference/lci/README.md``; the sample files are described in
``shared/reference/samples/README.md``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from service_helpers import package, plain_context
from shared_data import LCI, SAMPLES, SKIP_WITHOUT_SHARED
from tanzuji.errors import LibraryError
from tanzuji.library import elementary, formats, linking, matrices, quantities
from tanzuji.library.linking import LinkingRules
from tanzuji.library.solve import library_calculation
from tanzuji.library.sources import Member, members
from tanzuji.services import library as service
from tanzuji.services.factors import ImportRequest
from tanzuji.store import library as repository

pytestmark = SKIP_WITHOUT_SHARED


def read(*paths: Path, fmt: str | None = None):
    files = [m for path in paths for m in members(path)]
    library = formats.read(fmt or formats.detect(files), files)
    quantities.normalise(library)
    return library


def solve(library, rules: LinkingRules | None = None):
    mappings = {f.id: elementary.map_flow(f) for f in library.flows.values()}
    linked = linking.link(library, rules)
    system = matrices.build(library, linked, mappings)
    return linked, system, library_calculation(system, "AR6").intensities()


def test_uslci_ecospold1_library_links_and_solves():
    library = read(LCI / "uslci" / "uslci_fy21_q3_01_olca_10_3_ecospold2.zip")
    assert library.format == "ecospold1"  # despite its name (README: "it is EcoSpold 1")
    counts = library.counts()
    assert (counts["processes"], counts["exchanges"]) == (639, 45656)
    linked, system, intensities = solve(library)
    decided = linked.counts()
    assert decided["single_producer"] > 3000 and decided["location_hint"] >= 1
    provided = sum(decided.get(k, 0) for k in decided if not k.startswith("co_product"))
    assert provided == sum(1 for d in linked.decisions if not d.decision.startswith("co_product"))
    assert system.size == 639 and (intensities >= -1e-9).sum() > 600


def test_ecospold1_sample_reference_and_gases():
    library = read(SAMPLES / "ecospold1" / "Acetic acid, at plant.xml")
    (process,) = library.processes
    assert process.name == "Acetic acid, at plant" and process.location == "RNA"
    gases = {elementary.map_flow(library.flows[e.flow]).gas for e in process.exchanges}
    assert gases == {"CO2", None}  # "Carbon dioxide" is its only greenhouse gas


ECOSPOLD2 = """<?xml version="1.0" encoding="UTF-8"?>
<ecoSpold xmlns="http://www.EcoInvent.org/EcoSpold02">
<activityDataset>
<activityDescription><activity id="{id}" type="1"><activityName>{name}</activityName></activity>
<geography><shortname>{geo}</shortname></geography></activityDescription>
<flowData>{exchanges}</flowData>
</activityDataset></ecoSpold>"""
OUT = (
    '<intermediateExchange intermediateExchangeId="{flow}" amount="{amount}">'
    "<name>{name}</name><unitName>{unit}</unitName><outputGroup>0</outputGroup>"
    "</intermediateExchange>"
)
IN = (
    '<intermediateExchange intermediateExchangeId="{flow}" activityLinkId="{link}" '
    'amount="{amount}"><name>{name}</name><unitName>{unit}</unitName><inputGroup>5</inputGroup>'
    "</intermediateExchange>"
)
EMIT = (
    '<elementaryExchange elementaryExchangeId="{flow}" amount="{amount}"><name>{name}</name>'
    "<unitName>kg</unitName><compartment><compartment>air</compartment>"
    "<subcompartment>unspecified</subcompartment></compartment><outputGroup>4</outputGroup>"
    "</elementaryExchange>"
)


def _spold(id_: str, name: str, geo: str, *exchanges: str) -> Member:
    text = ECOSPOLD2.format(id=id_, name=name, geo=geo, exchanges="".join(exchanges))
    return Member(f"{id_}.spold", f"{id_}.spold", text.encode())


def test_ecospold2_activity_link_is_the_default_provider():
    files = [
        _spold(
            "a-grid-de",
            "electricity, DE",
            "DE",
            OUT.format(flow="elec", amount=1, name="electricity", unit="kWh"),
            EMIT.format(flow="co2", amount=0.4, name="Carbon dioxide, fossil"),
        ),
        _spold(
            "a-grid-fr",
            "electricity, FR",
            "FR",
            OUT.format(flow="elec", amount=1, name="electricity", unit="kWh"),
            EMIT.format(flow="co2", amount=0.1, name="Carbon dioxide, fossil"),
        ),
        _spold(
            "a-user",
            "widget",
            "FR",
            OUT.format(flow="widget", amount=1, name="widget", unit="kg"),
            IN.format(flow="elec", link="a-grid-fr", amount=2, name="electricity", unit="kWh"),
        ),
    ]
    library = formats.read(formats.detect(files), files)
    quantities.normalise(library)
    linked, system, intensities = solve(library)
    (decision,) = [d for d in linked.decisions if d.process == "ecospold2:a-user"]
    assert (decision.decision, decision.provider) == ("default_provider", "ecospold2:a-grid-fr")
    assert intensities[system.index()["ecospold2:a-user"]] == pytest.approx(2 * 0.1, rel=1e-12)


def test_ilcd_process_uses_its_flows_reference_units():
    library = read(SAMPLES / "ilcd" / "process.xml")
    (process,) = library.processes
    assert process.process_type == "lci_result"  # ELCD "LCI result": inputs not linked
    linked, _, intensities = solve(library)
    assert set(linked.counts()) <= {"lci_result_input", "co_product_ignored"}
    assert intensities[0] > 0


def test_simapro_allocation_splits_co_products():
    library = read(SAMPLES / "simapro_csv" / "allocation.csv")
    linked, system, _ = solve(library, LinkingRules(co_products="allocate"))
    split = [c for c in system.columns if "#" in c.id]
    assert len(split) == 1 and linked.counts()["co_product_allocated"] == 1
    rice = next(p for p in library.processes if p.name.startswith("Rice, at farm"))
    shares = sorted(round(a.value, 3) for a in rice.allocation)
    assert shares == [0.042, 0.958]  # the Products rows' allocation column, percent / 100


def test_jsonld_package_with_v2_spellings():
    library = read(SAMPLES / "jsonld" / "exchange_sync-all.zip")
    assert library.counts()["processes"] == 2
    linked, *_ = solve(library)
    assert linked.counts() == {"single_producer": 1}


def test_unknown_package_is_refused():
    with pytest.raises(LibraryError, match="cannot tell the format"):
        formats.detect([Member("x.txt", "x.txt", b"hello")])


def test_reference_data_into_reference_tables(database_url: str, tmp_path: Path):
    ctx = plain_context(database_url, tmp_path / "data")
    counts = service.import_reference(ctx, package(SAMPLES / "ilcd" / "ilcd_folder.zip"))
    assert counts["reference_unit_groups"]["new"] == 15
    assert counts["reference_flow_properties"]["new"] == 18
    again = service.import_reference(ctx, package(SAMPLES / "ilcd" / "ilcd_folder.zip"))
    assert again["reference_unit_groups"] == {"new": 0, "new_version": 0, "unchanged": 15}
    flow_file = SAMPLES / "ilcd" / "flow.xml"
    request = ImportRequest(name=flow_file.name, content=flow_file.read_bytes())
    flow = service.import_factor_file(ctx, request)
    assert flow.factors is None and flow.reference["reference_flows"]["new"] == 1
    with ctx.unit_of_work(write=False) as session:
        assert repository.reference_counts(session) == {
            "reference_unit_groups": 15,
            "reference_flow_properties": 18,
            "reference_flows": 1,
        }
    with pytest.raises(LibraryError, match="reference data come in"):
        service.import_reference(ctx, package(SAMPLES / "simapro_csv" / "inventory.csv"))
    with pytest.raises(LibraryError, match="holds no flow"):
        service.import_reference(ctx, package(SAMPLES / "jsonld" / "impact_category.json"))
