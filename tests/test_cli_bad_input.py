"""Bad input on the command line: one clear message, exit code 1, no traceback, nothing stored.

Each case is a mistake a new user makes (found by following README.md with a fresh data_dir).
The CLI is run in process through :func:`tanzuji.cli.main`, the same entry point as the
``tanzuji`` script, so the error printing itself is under test.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import yaml

from tanzuji import settings
from tanzuji.cli import main
from tanzuji.context import Context
from tanzuji.services import demo

ROOT = Path(__file__).resolve().parents[1]
WIDGET = ROOT / "tests" / "data" / "widget.yaml"
BATTERY = ROOT / "examples" / "lfp_battery_pack.yaml"


def tanzuji(monkeypatch, capsys, *args: object) -> tuple[int, str, str]:
    """Run ``tanzuji ARGS`` through the script's entry point; (exit code, stdout, stderr)."""
    monkeypatch.setattr(sys, "argv", ["tanzuji", *(str(a) for a in args)])
    with pytest.raises(SystemExit) as exited:
        main()
    out = capsys.readouterr()
    return exited.value.code, out.out, out.err


def widget_with(tmp_path: Path, old: str, new: str) -> Path:
    text = WIDGET.read_text("utf-8")
    assert old in text
    path = tmp_path / "model.yaml"
    path.write_text(text.replace(old, new), "utf-8")
    return path


def demo_context() -> Context:
    return Context.from_settings(settings.load(), need_database=True)


@pytest.fixture
def people() -> None:
    """The demo's organisations and users (applicant, verifier, decider, admin)."""
    demo.participants(demo_context())


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        # a sum of 150 terms is 150 operations deep: refused before Python's recursion limit
        ('"steel_kg * 5"', '"' + "+".join(["1"] * 150) + '"', "more than 100 operations deep"),
        ('"steel_kg * 5"', '"' + "-" * 1500 + '1"', "more than 100 operations deep"),
        ('"steel_kg * 5"', '"9 ** 999 ** 999"', "overflows: the result is too large"),
        ('"steel_kg * 5"', '"((( 3"', "is not valid arithmetic"),
    ],
)
def test_formula_limits_are_clear_errors(tmp_path, monkeypatch, capsys, old, new, message):
    code, _, err = tanzuji(monkeypatch, capsys, "calc", widget_with(tmp_path, old, new))
    assert code == 1 and "Traceback" not in err
    assert message in err and "parameters.elec" in err and "model.yaml:8" in err


def test_long_parameter_chain_is_a_clear_error(tmp_path, monkeypatch, capsys):
    # defined top-down, so resolving p399 first walks the whole chain
    chain = "".join(f"  p{i}: p{i - 1} + 1\n" for i in reversed(range(1, 400)))
    model = widget_with(tmp_path, "  steel_kg: 2\n", "  steel_kg: 2\n  p0: 1\n" + chain)
    code, _, err = tanzuji(monkeypatch, capsys, "calc", model)
    assert code == 1 and "more than 200 levels deep" in err


def test_unit_mismatch_names_the_dimensions(tmp_path, monkeypatch, capsys):
    # rich markup used to swallow "[mass]", leaving "cannot convert 'kg' ()"
    model = widget_with(
        tmp_path, "factor: grid, amount: elec, unit: kWh", "factor: grid, amount: elec, unit: kg"
    )
    code, _, err = tanzuji(monkeypatch, capsys, "calc", model)
    assert code == 1
    assert "cannot convert 'kg' ([mass]) to 'kWh' ([mass] * [length] ** 2 / [time] ** 2)" in err


def test_a_deep_supply_chain_prints_its_tree(tmp_path, monkeypatch, capsys):
    """3,000 processes in a chain: the tree stops at 100 links instead of overflowing."""
    model = yaml.safe_load(WIDGET.read_text("utf-8"))
    n = 3000
    model["processes"] = [
        {
            "id": f"p{i}",
            "name": {"en": f"P{i}"},
            "life_cycle_stage": "production",
            "reference_product": {"amount": 1, "unit": "kg"},
            "inputs": [{"process": f"p{i + 1}", "amount": 1, "unit": "kg"}]
            if i < n - 1
            else [{"factor": "grid", "amount": 1, "unit": "kWh"}],
        }
        for i in range(n)
    ]
    model["product"]["reference_flow"] = {"process": "p0", "amount": 1, "unit": "kg"}
    model["product"]["functional_unit"] = {"amount": 1, "unit": "kg"}
    model["parameters"] = {}
    path = tmp_path / "chain.yaml"
    path.write_text(yaml.safe_dump(model), "utf-8")
    monkeypatch.setattr(sys, "argv", ["tanzuji", "calc", str(path), "--json", "--cutoff", "0"])
    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code in (0, None)
    tree = json.loads(capsys.readouterr().out)["tree"]
    depth = 0
    while tree["children"]:
        tree, depth = tree["children"][0], depth + 1
    assert depth == 100
    assert tree["cumulative_kg_co2e"] == pytest.approx(0.5)  # 1 kWh * 0.5 kg CO2/kWh below


def test_apply_refuses_unknown_pcr_release_and_missing_evidence(
    tmp_path, monkeypatch, capsys, people
):
    common = (BATTERY, "--as", "applicant")
    cases = [
        (("--pcr", "nosuch"), "no PCR with id 'nosuch'"),
        (("--pcr", "battery-eu-2023", "--pcr-version", "9.9"), "has no version '9.9'"),
        (("--pcr", "battery-eu-2023", "--pcr-version", "1.0", "--release", "nosuch"), "release"),
        (
            ("--pcr", "battery-eu-2023", "--pcr-version", "1.0", "--evidence", tmp_path / "x.pdf"),
            "cannot read evidence file",
        ),
    ]
    for extra, message in cases:
        code, _, err = tanzuji(monkeypatch, capsys, "certify", "apply", *common, *extra)
        assert code == 1 and message in err and "Traceback" not in err
    # nothing half-written: the next application is still the first one
    code, out, _ = tanzuji(
        monkeypatch,
        capsys,
        "certify",
        "apply",
        *common,
        "--pcr",
        "battery-eu-2023",
        "--pcr-version",
        "1.0",
    )
    assert code in (0, None) and "APP-" in out and out.split()[1].endswith("-000001")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("just text\n", "holds a str; expected a mapping with 'organisations'"),
        ("organisations:\n  - {id: o1}\n", "organisations[0]"),
        (
            "organisations:\n  - {id: o1, name: O, kind: enterprise}\n"
            "actors:\n  - {id: a, organisation: o1, role: king}\n",
            "role: Input should be",
        ),
        ("actors:\n  - {id: a}\n", "an actor needs 'id', 'role' and 'organisation'"),
    ],
)
def test_malformed_participants_file(tmp_path, monkeypatch, capsys, content, message):
    path = tmp_path / "p.yaml"
    path.write_text(content, "utf-8")
    code, _, err = tanzuji(monkeypatch, capsys, "org", "import", path)
    assert code == 1 and message in err and "Traceback" not in err
    code, out, _ = tanzuji(monkeypatch, capsys, "org", "list")
    assert "o1" not in out  # nothing half-imported


def test_unknown_user_names_the_known_ones(monkeypatch, capsys, people):
    code, _, err = tanzuji(monkeypatch, capsys, "certify", "submit", "APP-1", "--as", "nobody")
    assert code == 1 and "no user 'nobody'; known: admin, applicant, decider, verifier" in err


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: {}, "certificate: Field required"),
        (
            lambda d: {**d, "certificate": {**d["certificate"], "footprint_kg_co2e": "abc"}},
            "certificate.footprint_kg_co2e",
        ),
        (lambda d: {**d, "ledger": {"x": 1}}, "ledger.x: Extra inputs are not permitted"),
        (lambda d: [1, 2], "holds a list; expected a certificate document"),
    ],
)
def test_tampered_certificate_json(tmp_path, monkeypatch, capsys, people, edit, message):
    certificate = issue_one(tmp_path, monkeypatch, capsys, people)
    document = json.loads(certificate.read_text("utf-8"))
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(edit(document)), "utf-8")
    code, _, err = tanzuji(monkeypatch, capsys, "verify", bad)
    assert code == 1 and message in err and "Traceback" not in err


def test_bad_keyring_and_status_bundle(tmp_path, monkeypatch, capsys, people):
    certificate = issue_one(tmp_path, monkeypatch, capsys, people)
    other = tmp_path / "other.json"
    other.write_text('{"x": 1}', "utf-8")
    code, _, err = tanzuji(monkeypatch, capsys, "verify", certificate, "--status", other)
    assert code == 1 and "problem(s) in the status bundle" in err
    other.write_text("[1]", "utf-8")
    code, _, err = tanzuji(monkeypatch, capsys, "verify", certificate, "--keys", other)
    assert code == 1 and "problem(s) in the keyring" in err


def test_verify_qr_takes_a_bare_token_and_refuses_other_text_clearly(
    tmp_path, monkeypatch, capsys, people
):
    certificate = issue_one(tmp_path, monkeypatch, capsys, people)
    token = json.loads(certificate.read_text("utf-8"))["token"]
    code, out, err = tanzuji(monkeypatch, capsys, "verify", "--qr", token)
    assert code in (0, None) and "VALID" in out and "Traceback" not in err
    code, _, err = tanzuji(monkeypatch, capsys, "verify", "--qr", "x" * 300)
    assert code == 1 and "cannot read label image" in err and "Traceback" not in err
    code, _, err = tanzuji(monkeypatch, capsys, "verify", "--qr", "TZJ1.e30.c2ln")
    assert code == 1 and "TZJ1 tokens of earlier labels are no longer read" in err


def issue_one(tmp_path, monkeypatch, capsys, people) -> Path:
    """An issued certificate file, through the demo's certification step."""
    from tanzuji.cli.certify import certificate_file
    from tanzuji.cli.inputs import model_input

    ctx = demo_context().with_release("builtin")
    done = demo.certify(ctx, model_input(BATTERY, ctx.limits))
    return certificate_file(done.document, tmp_path / "certificate.json", ctx.data_dir)


def test_json_flag_prints_the_one_error_shape(tmp_path, monkeypatch, capsys):
    """With --json the error is TanzujiError.to_dict on stderr, for every --json command."""
    model = widget_with(tmp_path, "factor: grid, amount: elec", "factor: nosuch, amount: elec")
    code, out, err = tanzuji(monkeypatch, capsys, "calc", model, "--json")
    assert code == 1 and out == ""
    shape = json.loads(err)
    assert set(shape) == {"error"}
    assert set(shape["error"]) == {"code", "message", "location", "details"}
    assert shape["error"]["code"] == "unknown_factor"
    assert shape["error"]["location"].endswith("processes[0].inputs[1].factor")
    for args, code_name in [
        (("pcr", "check", model, "--pcr", "nosuch", "--json"), "unknown_pcr"),
        (("pcr", "show", "nosuch", "--json"), "unknown_pcr"),
        (("factors", "show", "nosuch", "--json"), "not_found"),
    ]:
        code, out, err = tanzuji(monkeypatch, capsys, *args)
        assert code == 1 and json.loads(err)["error"]["code"] == code_name, (args, err)
