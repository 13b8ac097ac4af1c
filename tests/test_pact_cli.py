"""``tanzuji pact`` on the embedded database: credentials, sharing, and errors as one paragraph
(or the JSON error shape), never a traceback."""

from __future__ import annotations

import json
import sys

from tanzuji.cli import main


def tanzuji(monkeypatch, capsys, *args: object) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["tanzuji", *(str(a) for a in args)])
    code = 0
    try:
        main()
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_credentials_and_shares(monkeypatch, capsys):
    run = lambda *a: tanzuji(monkeypatch, capsys, *a)  # noqa: E731
    assert run("org", "add", "acme", "--name", "Acme 电子", "--kind", "enterprise")[0] == 0
    assert run("org", "add", "buyer", "--name", "Buyer Co", "--kind", "enterprise")[0] == 0
    code, out, _ = run("pact", "client", "add", "buyer", "--org", "acme", "--json")
    issued = json.loads(out)
    assert code == 0 and (issued["owner"], issued["partner"]) == ("acme", "buyer")
    assert len(issued["client_secret"]) == 43  # 32 random bytes, URL-safe base64
    code, out, _ = run("pact", "client", "list", "--org", "acme", "--json")
    [listed] = json.loads(out)
    assert code == 0 and "client_secret" not in listed and listed["revoked_at"] is None
    code, out, _ = run("pact", "client", "revoke", issued["client_id"])
    assert code == 0 and f"client {issued['client_id']} revoked" in out
    _, out, _ = run("pact", "client", "list", "--org", "acme", "--json")
    assert json.loads(out)[0]["revoked_at"] is not None
    code, out, _ = run("pact", "share", "--org", "acme", "--partner", "buyer")
    assert (code, out.strip()) == (0, "share 1: acme -> buyer, every product 所有产品")
    code, out, _ = run("pact", "shares", "--org", "acme", "--json")
    assert [(s["partner"], s["product"]) for s in json.loads(out)] == [("buyer", None)]


def test_errors_are_one_paragraph_or_the_json_shape(monkeypatch, capsys):
    run = lambda *a: tanzuji(monkeypatch, capsys, *a)  # noqa: E731
    run("org", "add", "buyer", "--name", "Buyer Co", "--kind", "enterprise")
    code, _, err = run("pact", "publish", "GBA-CFL-2026-999999", "--fossil-carbon-content", "0")
    assert code == 1 and "no certificate 'GBA-CFL-2026-999999'" in err
    assert "Traceback" not in err
    code, _, err = run(
        "pact", "fetch", "--host", "http://supplier.example", "--client-id", "a", "--secret", "b",
        "--org", "buyer", "--json",
    )  # fmt: skip
    error = json.loads(err)["error"]
    assert code == 1 and error["code"] == "pact_invalid"
    assert error["message"].startswith("http://supplier.example uses plain HTTP")
    code, _, err = run("pact", "client", "add", "nobody", "--org", "buyer")
    assert code == 1 and "no organisation 'nobody'" in err
