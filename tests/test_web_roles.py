"""The role pages' API and forms in process, on SQLite and PostgreSQL: a product from a bill
of materials to an issued certificate through /api/v1 alone (whole payloads where they are
fixed), the same steps as page forms, refusals shown on the page (the factor gate's pointing
at the page's waiver form), accreditation and recheck as a body's job. The message catalogue
is checked in test_web_i18n.py.

Factor values: MEE & NBS 2023 Southern grid average 0.4042 kg CO2/kWh and DESNZ 2023 PET
primary production 4018.4834 kg CO2e/t, both from the starter data (as in test_model_bom.py).
"""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import pytest

from tanzuji.certify.records import State
from tanzuji.services import certification
from web_helpers import apply, form_csrf, login, run_jobs, web_client, web_context

CSG_2023 = "cn-mee.electricity.2023.cn-csg.avg"
PET = "desnz2023.material-use.plastic.plastics-pet-incl-forming.primary-material-production.t"
PRODUCT = {
    "id": "desk-lamp-01",
    "name_zh": "台灯",
    "name_en": "Desk lamp",
    "pcr": "vehicle-parts-catenax@1.0",
    "geography": "CN",
    "year": 2024,
}


@pytest.fixture
def ctx(database_url: str, tmp_path: Path):
    """The demo cast with passwords, and the starter factors in the database (published)."""
    from tanzuji.services import factors

    ctx = web_context(database_url, tmp_path / "data")
    factors.load_starter(ctx)
    return ctx


def _ok(answer, status: int = 200) -> dict:
    assert answer.status_code == status, answer.text
    return answer.json()


def _bom_application(client) -> str:
    """Suggest, build and apply through the API as the logged-in applicant; the id."""
    suggested = _ok(
        client.post(
            "/api/v1/bom/suggest",
            json={
                "lines": [
                    {"text": "外购电力 广东", "amount": 3, "unit": "kWh", "geography": "CN-GD"},
                    {"text": "PET plastic", "amount": 0.2, "unit": "kg"},
                ],
                "limit": 3,
            },
        )
    )
    assert [s["row"] for s in suggested] == [0, 1]
    top = suggested[0]["candidates"][0]
    assert "cn-gd" in top["id"] and 0 < top["confidence"] <= 1  # Guangdong's own factor first
    rows = [
        {"stage": "production", "text": "外购电力 广东", "amount": 3, "unit": "kWh",
         "primary": True,  # the PCR asks for primary data in production
         "factor_id": CSG_2023, "suggested_id": top["id"], "confidence": top["confidence"]},
        {"stage": "raw_materials", "text": "PET plastic", "amount": 0.2, "unit": "kg",
         "factor_id": PET},
    ]  # fmt: skip
    built = _ok(client.post("/api/v1/bom/model", json={"product": PRODUCT, "rows": rows}))
    assert built["footprint"]["by_stage"] == pytest.approx(
        {"production": 3 * 0.4042, "raw_materials": 0.2 * 4018.4834060710423 / 1000}, rel=1e-9
    )
    assert "factor chosen by hand" in built["model"]["text"]
    applied = _ok(
        client.post(
            "/api/v1/applications",
            json={"model": built["model"], "pcr_id": "vehicle-parts-catenax", "pcr_version": "1.0"},
        ),
        201,
    )
    assert (applied["state"], applied["product_id"], applied["applicant"]["id"]) == (
        "draft",
        "desk-lamp-01",
        "demo-enterprise",
    )
    return applied["id"]


def test_bill_of_materials_to_certificate_through_the_api(ctx) -> None:
    client = web_client(ctx)
    login(client, "applicant")
    app_id = _bom_application(client)
    assert (
        _ok(client.post(f"/api/v1/applications/{app_id}/submit", json={}))["state"] == "submitted"
    )

    client.cookies.clear()
    login(client, "verifier")
    review = f"/api/v1/applications/{app_id}/review"
    assert _ok(client.post(review, json={"action": "start"}))["application"]["state"] == (
        "document_review"
    )
    checked = _ok(client.post(review, json={"action": "pcr-check"}))
    assert checked["application"]["pcr_error_count"] == 0, checked["findings"]
    for action, state in (("accept", "data_verification"), ("sign-off", "decision")):
        assert _ok(client.post(review, json={"action": action}))["application"]["state"] == state

    client.cookies.clear()
    login(client, "decider")
    decision = {"approve": True, "reason": "conforms / 符合"}
    decided = _ok(client.post(f"/api/v1/applications/{app_id}/decision", json=decision))
    assert (decided["state"], decided["decision"]) == ("approved", "approve")

    client.cookies.clear()
    login(client, "admin")
    issued = _ok(client.post(f"/api/v1/applications/{app_id}/issue"))
    certificate_id = issued["application"]["certificate_id"]
    assert issued["application"]["state"] == "issued" and certificate_id
    label = client.get(f"/api/v1/applications/{app_id}/label.png")
    assert label.status_code == 200 and label.content.startswith(b"\x89PNG")

    client.cookies.clear()
    login(client, "decider")
    suspended = client.post(
        f"/api/v1/certificates/{certificate_id}/events?event=suspended",
        json={"reason": "surveillance found a metering error"},
    )
    assert _ok(suspended)["state"] == "suspended"


def test_steps_as_page_forms_and_a_refusal_shown_on_the_page(ctx) -> None:
    client = web_client(ctx)
    login(client, "applicant")
    app_id = _bom_application(client)
    page = client.get(f"/applications/{app_id}")
    assert page.status_code == 200 and 'id="do-submit"' in page.text
    done = client.post(
        f"/applications/{app_id}/do/submit",
        data={"csrf_token": form_csrf(page.text)},
        follow_redirects=False,
    )
    assert (done.status_code, done.headers["location"]) == (
        303,
        f"/applications/{app_id}?done=submit",
    )

    client.cookies.clear()
    login(client, "verifier")
    page = client.get(f"/applications/{app_id}")
    token = form_csrf(page.text)
    client.post(f"/applications/{app_id}/do/start", data={"csrf_token": token})
    client.post(f"/applications/{app_id}/do/accept", data={"csrf_token": token})
    refused = client.post(f"/applications/{app_id}/do/sign-off", data={"csrf_token": token})
    # no PCR check recorded yet: the gate is shown on the page, the state unchanged
    assert refused.status_code == 422  # GateNotMet
    assert 'id="step-error"' in refused.text and "PCR check" in refused.text
    assert certification.load(ctx, app_id).state is State.data_verification
    without_token = client.post(
        f"/applications/{app_id}/do/pcr-check", data={}, headers={"X-CSRF-Token": ""}
    )
    assert without_token.status_code == 403


def test_verifier_waives_an_illustrative_factor_on_the_page_before_signing_off(ctx) -> None:
    # widget_uncertain uses "grid", an illustrative test factor (tests/data): the factor gate
    # refuses the sign-off until the verifier records a waiver, offered as a form per factor.
    app_id = apply(ctx, model="widget_uncertain.yaml")
    certification.submit(ctx.with_user("applicant"), app_id)
    client = web_client(ctx)
    login(client, "verifier")
    token = form_csrf(client.get(f"/applications/{app_id}").text)
    for step in ("start", "pcr-check", "accept"):
        client.post(f"/applications/{app_id}/do/{step}", data={"csrf_token": token})
    page = client.get(f"/applications/{app_id}")
    assert 'id="do-waive-1"' in page.text and 'name="factor_id" value="grid"' in page.text
    refused = client.post(f"/applications/{app_id}/do/sign-off", data={"csrf_token": token})
    assert refused.status_code == 422 and "grid@1" in refused.text  # GateNotMet names it
    # the refusal points at the waiver form below it, in the page's language, not at the CLI
    assert _step_error_hint(refused.text) == (
        "请在本页下方的“记录因子豁免”表单中为每个因子填写豁免理由（将载入证书）；"
        "或由申请人通过“上传新模型版本”替换为有来源、已发布的因子。"
    )
    assert "tanzuji certify" not in refused.text and "/api/v1" not in _step_error(refused.text)
    client.get(f"/applications/{app_id}?lang=en")  # the cookie keeps English
    refused = client.post(f"/applications/{app_id}/do/sign-off", data={"csrf_token": token})
    assert _step_error_hint(refused.text) == (
        "Use the form “Record the factor waiver” below on this page: one reason for each "
        "factor (printed in the certificate); or the applicant replaces the factor with a "
        "sourced, published one (“Upload a new model version” on their page of this "
        "application)."
    )
    assert "tanzuji certify" not in refused.text
    # the API names its own call; the error keeps the one shape, its details the factors
    answer = client.post(f"/api/v1/applications/{app_id}/review", json={"action": "sign-off"})
    error = answer.json()["error"]
    assert (answer.status_code, error["code"], error["details"]) == (
        422,
        "gate_not_met",
        {"application_id": app_id, "step": "sign-off", "factor_ids": ["grid"]},
    )
    assert set(error) == {"code", "status", "title", "message", "location", "details"}
    assert error["message"].startswith(_step_error(refused.text))  # the service's words first
    assert (
        f"the verifier calls POST /api/v1/applications/{app_id}/review with "
        '{"action": "waive", "factor_id": FACTOR, "text": REASON}' in error["message"]
    )
    assert "tanzuji certify" not in error["message"]
    waived = client.post(
        f"/applications/{app_id}/do/waive",
        data={"csrf_token": token, "factor_id": "grid", "text": "test factor, not a product"},
    )
    assert waived.status_code == 200 and 'id="do-waive-1"' not in waived.text
    client.post(f"/applications/{app_id}/do/sign-off", data={"csrf_token": token})
    assert certification.load(ctx, app_id).state is State.decision


def _step_error(html: str) -> str:
    """The refusal's message shown on the application's page (without the hint)."""
    found = re.search(r'id="step-error">(.*?)\n', html)
    assert found, "no refusal on the page"
    return unescape(found.group(1))


def _step_error_hint(html: str) -> str:
    found = re.search(r'<p id="step-error-hint">(.*?)</p>', html)
    assert found, "no hint under the refusal"
    return unescape(found.group(1))


def test_other_tenants_see_nothing_of_an_application(ctx) -> None:
    from tanzuji.services import organisations

    admin = ctx.with_user("admin")
    organisations.add_organisation(
        admin, organisations.OrganisationRequest(id="rival-co", name="Rival", kind="enterprise")
    )
    organisations.add_user(
        admin,
        organisations.UserRequest(
            id="rival", name="Rival", role="applicant", organisation="rival-co"
        ),
    )
    from tanzuji.services import accounts

    accounts.set_password(admin, accounts.PasswordRequest(user_id="rival", password="rival-pass-1"))
    client = web_client(ctx)
    login(client, "applicant")
    app_id = _bom_application(client)
    client.cookies.clear()
    answer = client.post(
        "/api/v1/auth/login", json={"user_id": "rival", "password": "rival-pass-1"}
    )
    client.headers["X-CSRF-Token"] = _ok(answer)["csrf_token"]
    for path in (
        f"/applications/{app_id}",
        f"/applications/{app_id}/diff?a=1&b=1",
        f"/api/v1/applications/{app_id}/diff?a=1&b=1",
        f"/api/v1/applications/{app_id}/charts",
        f"/api/v1/applications/{app_id}/label.png",
    ):
        assert client.get(path).status_code == 404, path
    refused = client.post(f"/api/v1/applications/{app_id}/submit", json={})
    assert refused.status_code == 404
    assert "/enterprise" in client.get("/enterprise").text  # their own (empty) products page
    assert app_id not in client.get("/enterprise").text


def test_accreditation_api_is_for_administrators(ctx) -> None:
    client = web_client(ctx)
    login(client, "verifier")
    path = "/api/v1/organisations/demo-body/accreditation"
    assert client.put(path, json={"accredited": False}).status_code == 403
    client.cookies.clear()
    login(client, "admin")
    assert _ok(client.put(path, json={"accredited": False})) == {
        "id": "demo-body",
        "name": "示例认证机构 Demo Certification Body",
        "kind": "certification_body",
        "accredited": False,
    }
    assert _ok(client.put(path, json={"accredited": True}))["accredited"] is True


def test_a_verifier_rechecks_its_bodys_certificates_as_a_job(ctx) -> None:
    from tanzuji.services import factors

    client = web_client(ctx)
    login(client, "applicant")
    app_id = _bom_application(client)
    client.post(f"/api/v1/applications/{app_id}/submit", json={})
    client.cookies.clear()
    login(client, "verifier")
    review = f"/api/v1/applications/{app_id}/review"
    for action in ("start", "pcr-check", "accept", "sign-off"):
        _ok(client.post(review, json={"action": action}))
    client.cookies.clear()
    login(client, "decider")
    _ok(
        client.post(
            f"/api/v1/applications/{app_id}/decision", json={"approve": True, "reason": "ok"}
        )
    )
    client.cookies.clear()
    login(client, "admin")
    _ok(client.post(f"/api/v1/applications/{app_id}/issue"))

    # the grid factor corrected (0.5 kg CO2/kWh: a test input, not a published value), then
    # a release with it: the recheck must find the certificate and recompute it
    database = ctx.factor_database()
    database.new_version(CSG_2023, {"gases": [{"gas": "CO2", "amount_kg": 0.5}]})
    database.set_status(CSG_2023, 2, "under_review", "steward")
    database.set_status(CSG_2023, 2, "published", "admin")
    factors.create_release(ctx.with_user("admin"), "R1", created_by="admin")
    client.cookies.clear()
    login(client, "verifier")
    queued = _ok(
        client.post("/api/v1/jobs", json={"kind": "recheck", "parameters": {"release": "R1"}}), 202
    )
    run_jobs(client)
    done = _ok(client.get(f"/api/v1/jobs/{queued['id']}"))
    assert done["state"] == "succeeded", done["error"]
    rows = done["result"]["rows"]
    # the verifier's body handled this one certificate: 3 kWh x 0.5 + 0.2 kg PET x 4.0184834
    (row,) = rows
    assert (row["application_id"], row["changed_factors"]) == (app_id, [CSG_2023])
    assert row["certified_kg_co2e"] == pytest.approx(3 * 0.4042 + 0.2 * 4.0184834060710423)
    assert row["recomputed_kg_co2e"] == pytest.approx(3 * 0.5 + 0.2 * 4.0184834060710423)
    page = client.get("/review")
    assert page.status_code == 200 and queued["id"] in page.text


def test_steward_reviews_releases_and_compares(ctx) -> None:
    client = web_client(ctx)
    login(client, "applicant")
    assert client.get("/api/v1/factors/review-queue").status_code == 403
    assert client.get("/steward").status_code == 403
    client.cookies.clear()
    login(client, "admin")  # administrators act as data stewards too
    first = _ok(client.post("/api/v1/releases", json={"name": "R1", "note": "starter"}), 201)
    assert first["member_count"] > 0
    # a corrected grid factor (test input 0.5 kg CO2/kWh) waits for review, is published and
    # lands in the next release as version 2
    ctx.factor_database().new_version(CSG_2023, {"gases": [{"gas": "CO2", "amount_kg": 0.5}]})
    queue = _ok(client.get("/api/v1/factors/review-queue"))
    assert [(f["id"], f["version"], f["status"]) for f in queue] == [(CSG_2023, 2, "draft")]
    for status in ("under_review", "published"):
        reviewed = client.post(f"/api/v1/factors/{CSG_2023}/review", json={"status": status})
        assert _ok(reviewed)["status"] == status
    assert _ok(client.get("/api/v1/factors/review-queue")) == []
    _ok(client.post("/api/v1/releases", json={"name": "R2"}), 201)
    assert _ok(client.get("/api/v1/releases/R1/diff/R2")) == {
        "a": "R1",
        "b": "R2",
        "added": [],
        "removed": [],
        "changed": [[CSG_2023, 1, 2]],
        "unchanged": first["member_count"] - 1,
    }
    preview = client.post(
        "/api/v1/factors/import-preview",
        files={"file": ("mine.csv", b"id,name_en,unit\nx.1,Thing,kg\n", "text/csv")},
    )
    problems = _ok(preview)["problems"]
    assert any("licence" in p for p in problems)  # a dry run names what is missing
    page = client.get("/steward?a=R1&b=R2&q=electricity")
    assert page.status_code == 200 and 'id="release-diff"' in page.text
    assert CSG_2023 in page.text


def test_monte_carlo_from_the_result_section_shows_its_interval(ctx) -> None:
    client = web_client(ctx)
    login(client, "applicant")
    app_id = _bom_application(client)
    page = client.get(f"/applications/{app_id}")
    queued = client.post(
        f"/applications/{app_id}/uncertainty",
        data={"csrf_token": form_csrf(page.text), "iterations": "200"},
        follow_redirects=False,
    )
    assert queued.status_code == 303 and queued.headers["location"].startswith("/jobs/")
    job_id = queued.headers["location"].removeprefix("/jobs/")
    run_jobs(client)
    total = _ok(client.get(f"/api/v1/jobs/{job_id}"))["result"]["uncertainty"]["total"]
    shown = client.get(f"/applications/{app_id}").text
    interval = f"{total['p2_5']:.4g} – {total['p97_5']:.4g} kg CO2e"
    assert 'id="interval"' in shown and interval in shown and job_id in shown


def test_a_revised_model_and_the_diff_of_its_versions(ctx) -> None:
    client = web_client(ctx)
    login(client, "applicant")
    app_id = _bom_application(client)
    model = _ok(client.get(f"/api/v1/applications/{app_id}/models/1"))
    text = model["model_text"].replace("amount: 3.0", "amount: 4.0", 1)
    revised = client.post(
        f"/api/v1/applications/{app_id}/revisions",
        json={"model": {"name": "lamp-v2.yaml", "text": text}, "reason": "metered again"},
    )
    assert [v["reason"] for v in _ok(revised)["model_versions"]] == ["initial", "metered again"]
    diff = _ok(client.get(f"/api/v1/applications/{app_id}/diff?a=1&b=2"))
    # one more kWh at 0.4042 kg CO2/kWh
    assert diff["comparison"]["b_total"] - diff["comparison"]["a_total"] == pytest.approx(0.4042)
    assert [line for line in diff["text_diff"] if line.startswith(("-  ", "+  "))] == [
        "-    amount: 3.0",
        "+    amount: 4.0",
    ]
    page = client.get(f"/applications/{app_id}/diff?a=1&b=2")
    assert page.status_code == 200 and "+    amount: 4.0" in page.text
