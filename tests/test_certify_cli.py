"""The certification command line, in process: the whole walkthrough of docs/certification.md."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from typer.testing import CliRunner

from certify_people import WIDGET
from tanzuji.cli import app
from tanzuji.cli.calc import default_factor_source
from tanzuji.cli.certify import DEMO_PARTICIPANTS, certification_demo
from tanzuji.errors import PermissionDenied

runner = CliRunner()


def run(*args: str, ok: bool = True):
    result = runner.invoke(app, [str(a) for a in args])
    if ok:
        assert result.exit_code == 0, (result.output, result.exception)
    return result


def test_walkthrough(tmp_path, monkeypatch):
    people = tmp_path / "participants.yaml"
    people.write_text(yaml.safe_dump(DEMO_PARTICIPANTS, allow_unicode=True), "utf-8")
    p = ("--participants", people)
    out = run(
        "certify",
        "apply",
        WIDGET,
        "--as",
        "applicant",
        "--pcr",
        "electronics-itu-l1410",
        "--pcr-version",
        "1.0",
        "--evidence",
        WIDGET,
        *p,
    ).output
    assert "APP-" in out and "9.1298 kg CO2e" in out
    app_id = out.split()[1]
    run("certify", "submit", app_id, "--as", "applicant", *p)
    run("certify", "review", app_id, "start", "--as", "verifier", *p)
    findings = tmp_path / "pcr.json"
    findings.write_text(json.dumps([{"severity": "warning", "message": "cut-off not stated"}]))
    run(
        "certify", "review", app_id, "pcr-check", "--pcr-findings", findings, "--as", "verifier", *p
    )
    run("certify", "review", app_id, "accept", "--as", "verifier", *p)
    run("certify", "review", app_id, "finding", "--text", "source?", "--as", "verifier", *p)
    run("certify", "answer", app_id, "1", "metered", "--as", "applicant", *p)
    run("certify", "review", app_id, "close", "--finding", "1", "--as", "verifier", *p)
    run("certify", "review", app_id, "sign-off", "--as", "verifier", *p)
    refused = run(
        "certify", "decide", app_id, "--as", "verifier", "--approve", "--reason", "x", *p, ok=False
    )
    assert isinstance(refused.exception, PermissionDenied)
    run("certify", "decide", app_id, "--as", "decider", "--approve", "--reason", "conforms", *p)
    cert_file = tmp_path / "cert.json"
    out = run("certify", "issue", app_id, "--as", "admin", "--out", cert_file, *p).output
    cert_id = json.loads(cert_file.read_text())["certificate"]["certificate_id"]
    assert cert_id in out
    png, svg, keys = tmp_path / "l.png", tmp_path / "l.svg", tmp_path / "keyring.json"
    run("label", "render", cert_id, "--format", "png", "--out", png)
    run("label", "render", cert_id, "--format", "svg", "--out", svg)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and "大湾区碳足迹" in svg.read_text()
    run("certify", "keys", "export", "--out", keys)
    assert "VALID" in run("verify", cert_file, "--keys", keys).output
    assert "VALID" in run("verify", "--qr", png, "--keys", keys).output
    token = json.loads(cert_file.read_text())["token"]
    assert "VALID" in run("verify", "--qr", token, "--keys", keys).output  # a bare token
    fresh = tmp_path / "fresh.json"
    run("ledger", "proof", cert_id, "--out", fresh)
    out = run("verify", "--qr", png, "--keys", keys, "--status", fresh, "--max-head-age", "1d")
    assert "VALID" in out.output and "status map of the ledger at size 1" in out.output
    unproven = run("verify", "--qr", token, "--keys", keys, "--max-head-age", "7d", ok=False)
    assert "younger than 7d is required but none is proven" in str(unproven.exception)
    run("certify", "revoke", cert_id, "--as", "decider", "--reason", "falsified", *p)
    bundle = tmp_path / "bundle.json"
    run("ledger", "proof", cert_id, "--out", bundle)
    revoked = run("verify", "--qr", png, "--keys", keys, "--status", bundle, ok=False)
    assert revoked.exit_code == 2 and "REVOKED" in revoked.output
    head = json.loads(run("ledger", "head").output)
    assert head["tree_size"] == 2
    assert "matches the signed tree head" in run("ledger", "audit").output
    assert "revoked" in run("certify", "status", cert_id).output


def test_demo_step_issues_a_label_that_verifies_offline():
    model = Path(__file__).resolve().parents[1] / "examples" / "lfp_battery_pack.yaml"
    png = certification_demo(model, default_factor_source(), "builtin")
    assert png.is_file() and png.with_suffix(".svg").is_file()
