"""Importing a whole product system (openLCA JSON-LD, SimaPro CSV) into a model file.

The shared samples (shared/reference/samples, README there) are real exports; the two
packages written by :func:`package` re-express openLCA's own IPC test cases as JSON-LD
(olca-ipc.py tests/test_allocation.py and tests/test_analysis_groups.py), so the imported
model must reproduce openLCA's published numbers.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shared_data import SAMPLES, SKIP_WITHOUT_SHARED
from tanzuji.footprint import calculate
from tanzuji.model.files import load_model, load_model_text
from tanzuji.model.product_system import import_product_system
from tanzuji.model.rules import CalculationRules

pytestmark = SKIP_WITHOUT_SHARED
CO2 = {
    "@type": "Flow",
    "@id": "co2",
    "name": "Carbon dioxide, fossil",
    "flowType": "ELEMENTARY_FLOW",
    "category": "Elementary flows/Emission to air/unspecified",
}
KG = {"@type": "Unit", "name": "kg"}


def flow(fid: str) -> dict:
    return {"@type": "Flow", "@id": fid, "name": fid, "flowType": "PRODUCT_FLOW"}


def exchange(n: int, fid: str, amount, *, is_input=False, reference=False, formula=None):
    out = {
        "@type": "Exchange",
        "internalId": n,
        "flow": CO2 if fid == "co2" else flow(fid),
        "amount": amount,
        "input": is_input,
        "unit": KG,
    }
    if reference:
        out["quantitativeReference"] = True
    if formula:
        out["amountFormula"] = formula
    return out


def package(folder: Path, processes: list[dict], system: dict) -> Path:
    folder.mkdir()
    for doc in [*processes, system, CO2]:
        (folder / f"{doc['@id']}.json").write_text(json.dumps(doc), encoding="utf-8")
    return folder


def write_and_load(imported, path: Path):
    path.write_text(imported.yaml_text(), encoding="utf-8")
    return load_model(path)


def test_olca_allocation_case_through_json_ld(tmp_path):
    # olca-ipc.py tests/test_allocation.py: P makes p (reference) and q, emits 1 kg e; physical
    # 0.25 / 0.75, economic 0.4 / 0.6, causal (of e) 0.1 / 0.9, default method causal; the
    # calculation asks for 500 g p. openLCA: physical 0.125, economic 0.2, causal 0.05,
    # none 0.5.
    p = {
        "@type": "Process",
        "@id": "P",
        "name": "P",
        "defaultAllocationMethod": "CAUSAL_ALLOCATION",
        "exchanges": [
            exchange(1, "p", 1.0, reference=True),
            exchange(2, "q", 1.0),
            exchange(3, "co2", 1.0),
        ],
        "allocationFactors": [
            {"allocationType": "PHYSICAL_ALLOCATION", "product": flow("p"), "value": 0.25},
            {"allocationType": "PHYSICAL_ALLOCATION", "product": flow("q"), "value": 0.75},
            {"allocationType": "ECONOMIC_ALLOCATION", "product": flow("p"), "value": 0.4},
            {"allocationType": "ECONOMIC_ALLOCATION", "product": flow("q"), "value": 0.6},
            {
                "allocationType": "CAUSAL_ALLOCATION",
                "product": flow("p"),
                "value": 0.1,
                "exchange": {"internalId": 3},
            },
            {
                "allocationType": "CAUSAL_ALLOCATION",
                "product": flow("q"),
                "value": 0.9,
                "exchange": {"internalId": 3},
            },
        ],
    }
    system = {
        "@type": "ProductSystem",
        "@id": "S",
        "name": "allocation test",
        "referenceProcess": {"@id": "P"},
        "processes": [{"@id": "P"}],
        "targetAmount": 500,
        "targetUnit": {"name": "g"},
    }
    imported = import_product_system(package(tmp_path / "alloc", [p], system))
    loaded = write_and_load(imported, tmp_path / "alloc.yaml")
    for method, expected in [
        ("physical", 0.125),
        ("economic", 0.2),
        ("causal", 0.05),
        ("default", 0.05),
        ("none", 0.5),
    ]:
        footprint = calculate(loaded, rules=CalculationRules(allocation=method))
        assert footprint.total_kg_co2e == pytest.approx(expected, abs=1e-12), method


def loop_package(folder: Path) -> Path:
    # olca-ipc.py tests/test_analysis_groups.py: P makes p from 1 q and emits 2 e; Q makes q
    # from 0.5 p and emits 4 e; total e = 12 (s_P = s_Q = 2: 2 x 2 + 2 x 4). Here P's emission
    # is the formula "2 * f" with the process parameter f = 1, and Q's "4 * f" with its own
    # f = 1 too: the two f are renamed apart.
    p = {
        "@type": "Process",
        "@id": "P",
        "name": "P",
        "parameters": [{"name": "f", "value": 1.0, "isInputParameter": True}],
        "exchanges": [
            exchange(1, "p", 1.0, reference=True),
            exchange(2, "q", 1.0, is_input=True),
            exchange(3, "co2", 2.0, formula="2 * f"),
        ],
    }
    q = {
        "@type": "Process",
        "@id": "Q",
        "name": "Q",
        "parameters": [{"name": "f", "value": 1.0, "isInputParameter": True}],
        "exchanges": [
            exchange(1, "q", 1.0, reference=True),
            exchange(2, "p", 0.5, is_input=True),
            exchange(3, "co2", 4.0, formula="4 * f"),
        ],
    }
    link = {"@type": "ProcessLink", "flow": flow("q"), "exchange": {"internalId": 2}}
    system = {
        "@type": "ProductSystem",
        "@id": "S",
        "name": "groups test",
        "referenceProcess": {"@id": "P"},
        "processes": [{"@id": "P"}, {"@id": "Q"}],
        "processLinks": [
            {**link, "process": {"@id": "P"}, "provider": {"@id": "Q"}},
            {
                "@type": "ProcessLink",
                "flow": flow("p"),
                "exchange": {"internalId": 2},
                "process": {"@id": "Q"},
                "provider": {"@id": "P"},
            },
        ],
        "targetAmount": 1,
        "targetUnit": {"name": "kg"},
    }
    return package(folder, [p, q], system)


def test_olca_loop_with_parameters_through_json_ld(tmp_path):
    imported = import_product_system(loop_package(tmp_path / "loop"))
    document = imported.document
    assert document["parameters"] == {"f": 1.0, "q__f": 1.0}
    assert document["processes"][1]["emissions"][0]["amount"] == "4 * q__f"
    loaded = write_and_load(imported, tmp_path / "loop.yaml")
    assert calculate(loaded).total_kg_co2e == pytest.approx(12.0, rel=1e-12)


def test_shared_json_ld_product_system_sample(tmp_path):
    # olca-modules exchange_sync-all.zip: "Test process" takes 1 "Test flow 2" from
    # "Test process 2" (its unit 'test' is unknown to Tanzuji: written as piece).
    imported = import_product_system(SAMPLES / "jsonld" / "exchange_sync-all.zip")
    processes = {p["id"]: p for p in imported.document["processes"]}
    assert processes["test_process"]["inputs"] == [
        {"process": "test_process_2", "amount": 1.0, "unit": "piece"}
    ]
    assert imported.document["product"]["reference_flow"]["process"] == "test_process"
    assert any("'test'" in note for note in imported.notes)
    assert "# Imported by `tanzuji model import`" in imported.yaml_text()
    loaded = write_and_load(imported, tmp_path / "sync.yaml")
    assert calculate(loaded).total_kg_co2e == 0.0  # the sample has no emissions


def test_shared_simapro_sample_links_a_co_product(tmp_path):
    # bw_simapro_csv allocation.csv: the residues process takes 0.771 kg rice straw and
    # 0.388 kg rice; both come from the rice process (95.8 % rice, 4.2 % straw).
    imported = import_product_system(SAMPLES / "simapro_csv" / "allocation.csv")
    root, rice = imported.document["processes"]
    assert [i["process"] for i in root["inputs"]] == [
        "rice_at_farm_wfldb_3.0#rice_straw_at_farm_wfldb_3.0",
        "rice_at_farm_wfldb_3.0",
    ]
    assert (rice["allocation"], rice["reference_product"]["share"]) == ("shares", 0.958)
    assert rice["co_products"][0]["share"] == 0.042
    loaded = write_and_load(imported, tmp_path / "rice.yaml")
    calculate(loaded)  # compiles: links, co-product, shares


def test_shared_simapro_sample_parameters_and_unlinked_inputs():
    imported = import_product_system(SAMPLES / "simapro_csv" / "process.csv")
    document = imported.document
    assert document["parameters"]["calc_param"] == "input_param ** 2"
    (process,) = document["processes"]
    assert process["inputs"][1] == {
        "match": "Electricity, biomass, at power plant/US",
        "amount": 0.1,
        "unit": "kWh",
        "comment": "not produced in this file: factor chosen by matching",
    }
    assert process["avoided"][0]["match"] == "Wool, at field/US"
    load_model_text(imported.yaml_text(), "p.yaml")  # a valid model file


def test_not_a_product_system(tmp_path):
    from tanzuji.errors import ModelError

    with pytest.raises(ModelError, match="holds no openLCA ProductSystem"):
        import_product_system(SAMPLES / "jsonld" / "process.json")


def test_a_csv_that_is_not_simapro_says_so(tmp_path):
    # before: "not a JSON document" (the file was read as JSON-LD)
    from tanzuji.errors import ModelError

    path = tmp_path / "bom.csv"
    path.write_text("part,kg\nsteel,2\n", encoding="utf-8")
    with pytest.raises(ModelError, match=r"not a SimaPro CSV export: its first line is not a"):
        import_product_system(path)


def test_command_imports_a_json_ld_folder_through_the_service(tmp_path):
    # The loop case above as an unpacked folder: `tanzuji model import` reads its files, the
    # modelling service packs them for the reader and returns the model text (total 12, as
    # openLCA's test_analysis_groups).
    from typer.testing import CliRunner

    from tanzuji.cli import app

    folder = loop_package(tmp_path / "loop")
    out = tmp_path / "loop.yaml"
    runner = CliRunner()
    result = runner.invoke(app, ["model", "import", str(folder), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "2 process(es)" in result.output
    assert calculate(load_model(out)).total_kg_co2e == pytest.approx(12.0, rel=1e-12)
    assert f"from {folder}" in out.read_text("utf-8").splitlines()[0]  # never a temporary path
    wrong = runner.invoke(
        app, ["model", "import", str(SAMPLES / "jsonld" / "process.json"), "--out", str(out)]
    )
    assert wrong.exit_code == 1  # out exists
    wrong = runner.invoke(
        app,
        ["model", "import", str(SAMPLES / "jsonld" / "process.json"), "--out", str(tmp_path / "n")],
    )
    assert wrong.exit_code == 1
    message = str(wrong.exception)  # main() prints it; the runner keeps the exception
    assert "holds no openLCA ProductSystem" in message and "tanzuji-import-" not in message
