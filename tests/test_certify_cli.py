"""The certification command line, in process: the whole walkthrough of docs/certification.md."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from certify_people import WIDGET
from tanzuji.cli import app
from tanzuji.cli.app import context
from tanzuji.errors import GateNotMet, PermissionDenied
from tanzuji.services import certification
from test_certify_factor_gate import JAM

runner = CliRunner()


def run(*args: object, ok: bool = True):
    result = runner.invoke(app, [str(a) for a in args])
    if ok:
        assert result.exit_code == 0, (result.output, result.exception)
    return result


def add_people() -> None:
    """The cast of docs/certification.md, through `tanzuji org add` and `tanzuji user add`."""
    run("org", "add", "acme", "--name", "Acme 电子", "--kind", "enterprise")
    run("org", "add", "smq", "--name", "SMQ 认证", "--kind", "certification_body", "--accredited")
    run("org", "add", "platform", "--name", "Platform", "--kind", "platform")
    for user, role, org in (
        ("applicant", "applicant", "acme"),
        ("verifier", "verifier", "smq"),
        ("decider", "decision_maker", "smq"),
        ("admin", "administrator", "platform"),
    ):
        run("user", "add", user, "--name", user.title(), "--role", role, "--org", org)


def test_organisations_and_users_are_listed():
    add_people()
    orgs = run("org", "list").output
    assert "acme" in orgs and "certification_body" in orgs and "yes 是" in orgs
    users = run("user", "list", "--org", "smq").output
    assert "verifier" in users and "decision_maker" in users and "applicant" not in users
    again = ("user", "add", "verifier", "--name", "x", "--role", "verifier", "--org", "smq")
    refused = run(*again, ok=False)
    assert refused.exit_code != 0 and "user 'verifier' already exists" in str(refused.exception)


def test_walkthrough(tmp_path):
    add_people()
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
    ).output
    assert "APP-" in out and "9.1298 kg CO2e" in out
    app_id = out.split()[1]
    run("certify", "submit", app_id, "--as", "applicant")
    run("certify", "review", app_id, "start", "--as", "verifier")
    findings = tmp_path / "pcr.json"
    findings.write_text(json.dumps([{"severity": "warning", "message": "cut-off not stated"}]))
    out = run(
        "certify", "review", app_id, "pcr-check", "--pcr-findings", findings, "--as", "verifier"
    ).output
    # the findings are printed and recorded, not only the transition
    assert "warning: cut-off not stated" in out and "0 error(s), 1 other finding(s)" in out
    run("certify", "review", app_id, "accept", "--as", "verifier")
    run("certify", "review", app_id, "finding", "--text", "source?", "--as", "verifier")
    run("certify", "answer", app_id, "1", "metered", "--as", "applicant")
    run("certify", "review", app_id, "close", "--finding", "1", "--as", "verifier")
    run("certify", "review", app_id, "sign-off", "--as", "verifier")
    refused = run(
        "certify", "decide", app_id, "--as", "verifier", "--approve", "--reason", "x", ok=False
    )
    assert isinstance(refused.exception, PermissionDenied)
    run("certify", "decide", app_id, "--as", "decider", "--approve", "--reason", "conforms")
    cert_file = tmp_path / "cert.json"
    out = run("certify", "issue", app_id, "--as", "admin", "--out", cert_file).output
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
    run("certify", "suspend", cert_id, "--as", "decider", "--reason", "meter under review")
    assert (
        "under_surveillance"
        in run(
            "certify", "reinstate", cert_id, "--as", "decider", "--reason", "meter recalibrated"
        ).output
    )
    run("certify", "revoke", cert_id, "--as", "decider", "--reason", "falsified")
    bundle = tmp_path / "bundle.json"
    run("ledger", "proof", cert_id, "--out", bundle)
    revoked = run("verify", "--qr", png, "--keys", keys, "--status", bundle, ok=False)
    assert revoked.exit_code == 2 and "REVOKED" in revoked.output
    head = json.loads(run("ledger", "head").output)
    assert head["tree_size"] == 4  # issued, suspended, reinstated, revoked
    assert "matches the signed tree head" in run("ledger", "audit").output
    status = run("certify", "status", cert_id).output
    assert "revoked" in status and "reinstate" in status


def test_pcr_check_runs_the_checker_on_the_stored_model_and_prints_its_findings():
    add_people()
    out = run(
        "certify", "apply", WIDGET, "--as", "applicant", "--pcr", "electronics-itu-l1410"
    ).output
    app_id = out.split()[1]
    run("certify", "submit", app_id, "--as", "applicant")
    run("certify", "review", app_id, "start", "--as", "verifier")
    out = run("certify", "review", app_id, "pcr-check", "--as", "verifier").output
    status = run("certify", "status", app_id).output
    # the checker's findings on widget.yaml, each printed with its rule, and the count recorded
    lines = [line for line in out.splitlines() if line.startswith("  ")]
    assert lines, out
    assert all(line.split()[0] in ("error", "warning", "info") for line in lines)
    count = out.splitlines()[-2].split(": ", 1)[1]
    assert "pcr_check" in status
    # every printed finding is recorded in the application, and the audit line names the
    # count and the rules in error (read through the service: the table wraps long lines)
    ctx = context(need_database=True)
    assert certification.status(ctx, app_id).audit[-1].reason == count
    recorded = certification.load(ctx, app_id).pcr_messages
    assert len(recorded) == len(lines)
    assert sorted(m.split(":")[0] for m in recorded) == sorted(line.split()[0] for line in lines)


def test_waivers_from_the_command_line_and_certify_show(tmp_path):
    add_people()
    model = tmp_path / "jam.yaml"
    model.write_text(JAM, encoding="utf-8")
    out = run("certify", "apply", model, "--as", "applicant", "--pcr", "electronics-itu-l1410")
    app_id = out.output.split()[1]
    # apply warns at once, naming the three factors
    assert "3 factor(s) are draft, illustrative or unsourced" in out.output
    assert "fert@1 (illustrative" in out.output and "ink@1 (unsourced" in out.output
    run("certify", "submit", app_id, "--as", "applicant")
    findings = tmp_path / "none.json"
    findings.write_text("[]", encoding="utf-8")
    for step in (("start",), ("pcr-check", "--pcr-findings", findings), ("accept",)):
        run("certify", "review", app_id, *step, "--as", "verifier")
    refused = run("certify", "review", app_id, "sign-off", "--as", "verifier", ok=False)
    assert isinstance(refused.exception, GateNotMet)
    assert "sign-off refused" in str(refused.exception)
    # the command line names its own commands (the page its form, the API its route)
    assert (
        f"Next: for each of fert, glue, ink, tanzuji certify review {app_id} waive --factor "
        f"FACTOR --text REASON --as VERIFIER; or tanzuji certify revise {app_id} MODEL_FILE"
    ) in str(refused.exception)
    assert "/api/v1" not in str(refused.exception)
    for factor in ("fert", "glue", "ink"):
        run("certify", "review", app_id, "waive", "--factor", factor, "--text",
            f"{factor}: below 1 % of the result", "--as", "verifier")  # fmt: skip
    run("certify", "review", app_id, "sign-off", "--as", "verifier")
    run("certify", "decide", app_id, "--approve", "--reason", "conforms", "--as", "decider")
    issued = run("certify", "issue", app_id, "--as", "admin").output
    cert_id = issued.split()[1]
    shown = run("certify", "show", cert_id).output
    assert f"{cert_id} v1 · issued" in shown
    assert "waiver 豁免 ink@1 (unsourced) by verifier: ink: below 1 % of the result" in shown
    assert "with removals 含清除 1.57" in shown
    assert "surveillance due 监督" in shown
