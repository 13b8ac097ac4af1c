"""The platform's journeys in a real browser (Chromium from the Debian packages).

One ``tanzuji serve --demo`` (what ``make run`` starts) serves the whole module; the tests
follow one product through its life, in order, each step photographed into
``test-artifacts/<test>/``:

1. the enterprise builds a model from a bill of materials (factor suggestions with their
   confidence, one accepted, one overridden), calculates it and applies, adds evidence and
   submits;
2. the verifier takes it from the queue, runs the PCR check, accepts the documents, raises a
   finding that the enterprise answers, closes it and signs off;
3. the decision maker approves and the administrator issues the certificate;
4. a phone-sized browser opens the URL decoded from the label PNG's QR code and sees the
   verified certificate;
5. a buyer finds the product in the catalogue;
6. every page switches between Chinese (the default) and English.
"""

from __future__ import annotations

import re

import zxingcpp
from PIL import Image

from browser_support import PHONE, new_page

#: What the journeys pass on to the next one (they run in file order on one server).
STORY: dict[str, str] = {}
PCR = "vehicle-parts-catenax@1.0"
ROWS = [
    # stage, text, amount, unit, place
    ("raw_materials", "PET plastic", "0.2", "kg", ""),
    ("production", "外购电力 广东", "3", "kWh", "CN-GD"),
    ("distribution", "road freight truck", "0.05", "tkm", ""),
]


def state_of(page) -> str:
    return page.inner_text("#app-state")


def test_enterprise_builds_a_model_from_a_bom_table_and_applies(as_user, platform_url, journey):
    page = as_user("applicant")
    page.goto(platform_url + "enterprise/models/new")
    page.fill("#product-id", "desk-lamp-01")
    page.fill("#product-name-zh", "台灯")
    page.fill("#product-name-en", "Desk lamp")
    page.select_option("#product-pcr", PCR)
    for position, (stage, text, amount, unit, place) in enumerate(ROWS):
        if position:
            page.click("#add-row")
        row = page.locator("tr.bom-row").nth(position)
        row.locator(".stage").select_option(stage)
        row.locator(".text").fill(text)
        row.locator(".amount").fill(amount)
        row.locator(".unit").fill(unit)
        row.locator(".geography").fill(place)
    row = page.locator("tr.bom-row")
    row.nth(1).locator(".primary").check()
    journey.shot(page, "bom-filled")

    page.click("#suggest")
    page.wait_for_function(
        "[...document.querySelectorAll('tr.bom-row .factor')].every(s => s.options.length > 1)"
    )
    electricity = row.nth(1).locator(".factor")
    assert "cn-gd" in electricity.input_value()  # Guangdong's provincial factor first
    assert re.search(
        r"(置信度|confidence) 0\.\d\d", electricity.locator("option").first.inner_text()
    )
    assert row.nth(1).locator(".choice").inner_text() in ("已接受建议", "suggestion accepted")
    # override the PET suggestion with the second candidate: the choice is recorded
    pet = row.nth(0).locator(".factor")
    second = pet.locator("option").nth(1).get_attribute("value")
    pet.select_option(second)
    assert row.nth(0).locator(".choice").inner_text() in (
        "已更换建议（将记录）",
        "suggestion overridden (recorded)",
    )
    journey.shot(page, "suggestions")

    page.click("#calculate")
    page.wait_for_selector("#preview:not([hidden])")
    assert re.match(r"\d[\d.e+-]* kg CO2e / 1 piece", page.inner_text("#bom-total"))
    model_text = page.locator("#bom-model").text_content()
    assert f"overridden by {second}" in model_text
    assert "accepted (confidence 0." in model_text
    journey.shot(page, "calculated")

    page.click("#apply")
    page.wait_for_url(re.compile(r"/applications/APP-\d{4}-\d{6}\?done=apply"))
    STORY["application"] = page.url.split("/applications/")[1].split("?")[0]
    assert state_of(page) in ("草稿", "draft")
    journey.shot(page, "applied")

    page.set_input_files("#file-evidence", files=[{
        "name": "meter-2024.csv", "mimeType": "text/csv", "buffer": b"month,kWh\n1,250\n",
    }])  # fmt: skip
    page.click("#do-evidence")
    page.wait_for_selector("#evidence >> text=meter-2024.csv")
    page.click("#do-submit")
    page.wait_for_selector("#step-done")
    assert state_of(page) in ("已提交", "submitted")
    journey.shot(page, "submitted")
    assert page.script_errors == []


def test_verifier_reviews_and_signs_off(as_user, platform_url, journey):
    app_id = STORY["application"]
    page = as_user("verifier")
    page.goto(platform_url + "review")
    page.wait_for_selector(f"#waiting >> text={app_id}")
    journey.shot(page, "queue")
    page.click(f"#waiting >> text={app_id}")
    for step in ("start", "pcr-check", "accept"):
        page.click(f"#do-{step}")
        page.wait_for_selector("#step-done")
    assert state_of(page) in ("数据核查", "data verification")
    assert page.inner_text("#pcr-summary") in ("错误 0 项", "0 error(s)")
    journey.shot(page, "pcr-checked")
    page.fill(
        "#finding-text", "请提供电表读数的校准证书 / Give the meter's calibration certificate"
    )
    page.click("#do-finding")
    page.wait_for_selector("#findings >> text=calibration")
    journey.shot(page, "finding-raised")

    enterprise = as_user("applicant")
    enterprise.goto(platform_url + f"applications/{app_id}")
    enterprise.fill("#answer-1", "Calibrated 2024-03 by the provincial metrology institute")
    enterprise.click("#do-answer-1")
    enterprise.wait_for_selector("#findings >> text=provincial metrology")
    journey.shot(enterprise, "finding-answered")

    page.reload()
    page.click("#do-close-1")
    page.wait_for_selector("#step-done")
    page.click("#do-sign-off")
    page.wait_for_selector("#step-done")
    assert state_of(page) in ("待决定", "awaiting decision")
    journey.shot(page, "signed-off")


def test_operator_decides_and_issues(as_user, platform_url, journey):
    app_id = STORY["application"]
    decider = as_user("decider")
    decider.goto(platform_url + "operator")
    decider.click(f"#decisions >> text={app_id}")
    decider.fill("#decision-reason", "符合 PCR 与 ISO 14067 / conforms")
    journey.shot(decider, "decision")
    decider.click("#do-approve")
    decider.wait_for_selector("#step-done")
    assert state_of(decider) in ("已批准", "approved")

    admin = as_user("admin")
    admin.goto(platform_url + "operator")
    admin.click(f"#approved >> text={app_id}")
    admin.click("#do-issue")
    admin.wait_for_selector("#certificate-link")
    assert state_of(admin) in ("已发证", "issued")
    STORY["certificate"] = admin.inner_text("#certificate-link")
    journey.shot(admin, "issued")
    label = admin.request.get(platform_url + f"api/v1/applications/{app_id}/label.png")
    assert label.ok and label.headers["content-type"] == "image/png"
    STORY["label_png"] = label.body().hex()


def test_phone_opens_the_qr_url_from_the_label_and_sees_the_verified_certificate(
    chromium, platform_url, journey, tmp_path
):
    png = tmp_path / "label.png"
    png.write_bytes(bytes.fromhex(STORY["label_png"]))
    (decoded,) = zxingcpp.read_barcodes(Image.open(png))
    url = decoded.text
    assert url.startswith(platform_url + "c/" + STORY["certificate"])
    phone = new_page(chromium, viewport=PHONE)
    try:
        phone.goto(url)
        banner = phone.locator("#status-banner")
        assert banner.inner_text().startswith(("证书有效", "The certificate is valid"))
        assert phone.inner_text("#server-verdict") in ("通过", "passed")
        assert "台灯" in phone.inner_text("#product")
        # the page fits the phone: nothing (hashes, key ids, tables) scrolls it sideways
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"page is {width} px wide on a {PHONE['width']} px phone"
        journey.shot(phone, "phone-certificate")
        phone.click("#recheck")  # the check in the browser itself
        phone.wait_for_selector("#recheck-result:has-text('✓'), #recheck-result .ok")
        journey.shot(phone, "phone-rechecked")
        assert phone.script_errors == []
    finally:
        phone.context.close()


def test_buyer_finds_the_product_in_the_catalogue(page, platform_url, journey):
    page.goto(platform_url + "catalogue")
    page.fill("#q", "台灯")
    page.press("#q", "Enter")
    page.wait_for_url(re.compile(r"/catalogue\?q="))
    journey.shot(page, "catalogue")
    row = page.locator("#catalogue-results tr", has=page.locator(f"#pick-{STORY['certificate']}"))
    row.locator("a", has_text="台灯").click()
    page.wait_for_selector("#certificate-id")
    assert page.inner_text("#certificate-id") == STORY["certificate"]


#: Each page and a text it shows in Chinese and in English (user, path, zh, en).
PAGES = [
    (None, "catalogue", "认证产品目录", "Catalogue of certified products"),
    (None, "log", "透明日志", "transparency log"),
    (None, "c/{certificate}", "碳足迹标识证书", "Carbon-footprint label certificate"),
    ("applicant", "enterprise", "我的产品与申请", "My products and applications"),
    ("applicant", "enterprise/models/new", "新建产品模型", "New product model"),
    ("applicant", "applications/{application}", "碳足迹结果", "Footprint result"),
    ("verifier", "review", "核查任务", "Review queue"),
    ("decider", "operator", "决定、发证与证书管理", "Decisions, issuance and certificates"),
    ("steward", "steward", "排放因子管理", "Emission factors"),
    ("admin", "admin", "更改角色或机构", "Change role or organisation"),
    ("applicant", "tokens", "API 令牌", "API tokens"),
    ("applicant", "jobs", "后台任务", "Background jobs"),
]


def test_language_switch_works_on_each_page(as_user, page, platform_url, journey):
    users = {}
    for user, path, zh, en in PAGES:
        tab = page if user is None else users.get(user) or users.setdefault(user, as_user(user))
        address = platform_url + path.format(**STORY)
        tab.goto(address)
        assert zh in tab.inner_text("main"), path  # Chinese by default
        tab.click("nav.languages >> text=English")
        tab.wait_for_selector("html[lang=en]")
        assert en in tab.inner_text("main"), path
        journey.shot(tab, path.split("/")[0] + "-en")
        tab.click("nav.languages >> text=中文")
        tab.wait_for_selector("html[lang=zh-Hans]")
        assert zh in tab.inner_text("main"), path
