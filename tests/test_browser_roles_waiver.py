"""Two journeys in a real browser (Chromium from the Debian packages) on ``tanzuji serve
--demo``, photographed in Chinese and English into ``test-artifacts/<test>/``:

1. the administrator changes a user's role on the admin page; the user's open page shows the
   new role at its next request; a role that does not fit the organisation and the last
   administrator's own demotion are refused on the page; the role is given back;
2. the factor gate on the application's page: a model with an illustrative, unsourced factor
   is refused the verifier's sign-off with the message naming the factor and pointing at the
   waiver form below it (not at the command line), the verifier records a waiver with a
   reason in that form, and then signs off.

Both leave the demo's users as they found them (the journeys of test_browser_journeys.py may
run on the same server afterwards).
"""

from __future__ import annotations

import re
from pathlib import Path

#: A steel bracket that passes its PCR's check, but whose steel factor is flagged illustrative
#: and cites a placeholder: the gate's two concerns at once (2.35 kg CO2e, by hand in the file).
MODEL = Path(__file__).parent / "data" / "bracket_placeholder.yaml"
PCR = "vehicle-parts-catenax@1.0"
FACTOR_EN = (
    "steel-sheet@1 (illustrative, unsourced; source 'placeholder until the steel supplier "
    "sends its PCF')"
)
FACTOR_ZH = "steel-sheet@1（示意值、无来源）"


def _switch(page, language: str) -> None:
    page.click(f"nav.languages >> text={'English' if language == 'en' else '中文'}")
    page.wait_for_selector(f"html[lang={'en' if language == 'en' else 'zh-Hans'}]")


def _change(page, user: str, role: str, organisation: str) -> None:
    page.select_option(f"#role-{user}", role)
    page.select_option(f"#organisation-{user}", organisation)
    page.click(f"#change-role-{user}")


def _role_cell(page, user: str) -> str:
    return page.inner_text(f"#user-{user} td.role")


def test_administrator_changes_a_role_on_the_admin_page(
    as_user, platform_url, platform_log, journey
):
    decider = as_user("decider")  # logged in before the change: an open session
    assert "(decision_maker, demo-body)" in decider.inner_text("header")
    admin = as_user("admin")
    admin.goto(platform_url + "admin")
    assert _role_cell(admin, "decider") == "认证决定人"
    journey.shot(admin, "users-zh")

    _change(admin, "decider", "verifier", "demo-body")
    admin.wait_for_selector("#admin-done")
    assert "已更改 decider 的角色与机构" in admin.inner_text("#admin-done")
    assert _role_cell(admin, "decider") == "核查员"
    journey.shot(admin, "role-changed-zh")

    decider.reload()  # the next request of the same session
    assert "(verifier, demo-body)" in decider.inner_text("header")
    assert decider.locator("header a[href='/review']").count() == 1
    assert decider.locator("header a[href='/operator']").count() == 0
    journey.shot(decider, "decider-now-verifier-zh")

    _switch(admin, "en")
    _change(admin, "decider", "verifier", "demo-enterprise")
    admin.wait_for_selector("#admin-error")
    refusal = admin.inner_text("#admin-error")
    assert refusal.startswith(
        "role verifier belongs to an organisation of kind certification_body; "
        "'demo-enterprise' is of kind enterprise"
    )
    assert "角色 verifier 须属于 certification_body 类机构" in refusal
    journey.shot(admin, "role-refused-en")
    _change(admin, "admin", "data_steward", "platform")
    admin.wait_for_selector("#admin-error")
    assert admin.inner_text("#admin-error").startswith("admin is the last active administrator")
    journey.shot(admin, "last-administrator-refused-en")

    _change(admin, "decider", "decision_maker", "demo-body")  # given back
    admin.wait_for_selector("#admin-done")
    assert "The role and organisation of decider are changed" in admin.inner_text("#admin-done")
    assert _role_cell(admin, "decider") == "decision maker"
    journey.shot(admin, "role-given-back-en")
    decider.reload()
    assert "(decision_maker, demo-body)" in decider.inner_text("header")
    assert admin.script_errors == [] and decider.script_errors == []
    # the server's audit log has both changes (and nothing for the refused ones), whatever
    # its --log-level (warning here)
    audit = [line for line in platform_log.read_text().splitlines() if "tanzuji.audit" in line]
    assert [re.sub(r" at \S+$", "", line.split("tanzuji.audit: ")[1]) for line in audit] == [
        "user decider: role decision_maker of demo-body -> role verifier of demo-body, by admin",
        "user decider: role verifier of demo-body -> role decision_maker of demo-body, by admin",
    ]


def test_verifier_waives_a_placeholder_factor_then_signs_off(as_user, platform_url, journey):
    applicant = as_user("applicant")
    applicant.goto(platform_url + "enterprise/models/new")
    applicant.set_input_files("#model-file", str(MODEL))
    applicant.select_option("#upload-pcr", PCR)
    applicant.click("#upload-apply")
    applicant.wait_for_url(re.compile(r"/applications/APP-\d{4}-\d{6}"))
    app_id = applicant.url.split("/applications/")[1].split("?")[0]
    applicant.click("#do-submit")
    applicant.wait_for_selector("#step-done")

    verifier = as_user("verifier")
    verifier.goto(platform_url + f"applications/{app_id}")
    for step in ("start", "pcr-check", "accept"):
        verifier.click(f"#do-{step}")
        verifier.wait_for_selector("#step-done")
    assert verifier.inner_text("#app-state") == "数据核查"
    assert verifier.inner_text("#pcr-summary") == "错误 0 项"  # the model passes its PCR
    # the form names the factor and its concerns in the page's language
    assert verifier.inner_text("label[for=waive-1]").endswith(FACTOR_ZH)
    verifier.click("#do-sign-off")
    verifier.wait_for_selector("#step-error")
    refusal = verifier.inner_text("#step-error")
    assert (
        f"sign-off refused: the footprint of application {app_id} rests on 1 factor(s) that "
        f"are draft, illustrative or unsourced: {FACTOR_EN}" in refusal
    )
    assert (
        f"拒绝：申请 {app_id} 的碳足迹依赖 1 个草稿、示意或无来源的排放因子：" + FACTOR_ZH
        in refusal
    )
    # the refusal points at the form right below it, in the page's language, not at the
    # command line (or the API)
    assert verifier.inner_text("#step-error-hint") == (
        "请在本页下方的“记录因子豁免”表单中为每个因子填写豁免理由（将载入证书）；"
        "或由申请人通过“上传新模型版本”替换为有来源、已发布的因子。"
    )
    assert "tanzuji certify" not in refusal and "/api/v1" not in refusal
    assert verifier.inner_text("#do-waive-1") == "记录因子豁免"  # the form it names
    assert verifier.inner_text("#app-state") == "数据核查"  # nothing moved
    journey.shot(verifier, "sign-off-refused-zh")

    _switch(verifier, "en")
    verifier.click("#do-sign-off")
    verifier.wait_for_selector("#step-error")
    refusal = verifier.inner_text("#step-error")
    assert FACTOR_EN in refusal
    assert verifier.inner_text("#step-error-hint") == (
        "Use the form “Record the factor waiver” below on this page: one reason for each "
        "factor (printed in the certificate); or the applicant replaces the factor with a "
        "sourced, published one (“Upload a new model version” on their page of this "
        "application)."
    )
    assert "tanzuji certify" not in refusal and "/api/v1" not in refusal
    assert verifier.inner_text("#do-waive-1") == "Record the factor waiver"
    assert verifier.inner_text("label[for=waive-1]") == (
        "Draft, illustrative or unsourced factor; reason for the waiver (printed in the "
        f"certificate): {FACTOR_EN}"
    )
    journey.shot(verifier, "sign-off-refused-en")
    reason = "The steel supplier's own PCF is due in Q3 / 供应商三季度提供其碳足迹，届时替换"
    verifier.fill("#waive-1", reason)
    journey.shot(verifier, "waiver-filled-en")
    verifier.click("#do-waive-1")
    verifier.wait_for_selector("#step-done")
    assert verifier.inner_text("#step-done") == "Done: Record the factor waiver"
    assert verifier.locator("#do-waive-1").count() == 0  # nothing left to waive
    assert reason in verifier.inner_text("#audit")
    journey.shot(verifier, "waived-en")

    _switch(verifier, "zh")
    journey.shot(verifier, "waived-zh")
    verifier.click("#do-sign-off")
    verifier.wait_for_selector("#step-done")
    assert verifier.inner_text("#app-state") == "待决定"
    journey.shot(verifier, "signed-off-zh")
    assert verifier.script_errors == [] and applicant.script_errors == []
