"""Label artwork: SVG content, PNG with rendered Chinese, a small QR code that reads back and
verifies offline."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET

import pytest
from PIL import Image, ImageChops, ImageDraw

from certify_people import NOW, issued
from tanzuji.certify import labels
from tanzuji.certify import workflow as wf
from tanzuji.certify.keys import FileKeyring
from tanzuji.certify.labels import decode_qr_image, label_text, qr_code, render_png, render_svg
from tanzuji.certify.ledger import Ledger
from tanzuji.certify.publish import publish
from tanzuji.certify.verify import verify_token_text

#: The default certificate_base_url setting (settings.py) and the demo's certificate id form.
BASE_URL = "https://tanzuji.example/c/"


@pytest.fixture(scope="module")
def certificate():
    return wf.certificate_for(issued(), NOW)


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    keys = FileKeyring(tmp_path_factory.mktemp("keys"))
    application = issued(cert_id="GBA-CFL-2026-000001")
    publication = publish(application, "issued", Ledger(), keys.signing_key(NOW), NOW, BASE_URL)
    return publication, keys


def test_label_text_of_a_disclosure_label(certificate):
    text = label_text(certificate)
    assert (text.mark_zh, text.mark_en) == ("碳披露", "Disclosure")
    assert text.value == "9.13"  # 9.1298 kg CO2e, three significant digits
    assert (text.unit, text.per_unit) == ("kg CO2e", "每 1 piece / per 1 piece")
    assert (text.product_zh, text.product_en) == ("小部件", "Widget")
    assert text.validity == "有效期至 Valid until 2029-03-02"  # issued 2026-03-02, 3 years
    assert text.body == "认证机构 Certified by SMQ 认证"


def test_reduction_and_neutrality_details(certificate):
    reduction = certificate.model_copy(
        update={"label": {"type": "reduction", "baseline_year": 2024, "reduction_percent": 12.345}}
    )
    assert label_text(reduction).detail == "比2024年减少 12.3 % / 12.3 % lower than 2024"
    neutral = certificate.model_copy(
        update={
            "label": {"type": "neutrality", "period": {"start": "2025-01-01", "end": "2025-12-31"}}
        }
    )
    assert label_text(neutral).mark_zh == "碳中和"
    assert "2025-01-01 – 2025-12-31" in label_text(neutral).detail


def test_svg_is_valid_xml_with_bilingual_text_and_qr(published):
    publication, _keys = published
    svg = render_svg(publication.signed.certificate, publication.qr)
    root = ET.fromstring(svg)
    texts = "".join(t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text"))
    for expected in (
        "大湾区碳足迹",
        "Carbon Footprint",
        "碳披露",
        "9.13",
        "per 1 piece",
        "Valid until 2029-03-02",
        "Certified by SMQ 认证",
        "GBA-CFL-2026-000001",
    ):
        assert expected in texts
    path = root.find("{http://www.w3.org/2000/svg}path")
    dark = sum(map(sum, labels.qr_modules(publication.qr)))
    assert path is not None and path.get("d", "").count("z") == dark  # one square per module


def test_the_qr_code_is_version_10_or_less_at_level_m(published):
    # Version 29 (133 x 133 modules) before: the JSON token with proofs did not fit a small label.
    publication, _keys = published
    code = qr_code(publication.qr)
    assert code.version <= 10 and code.error in ("M", "Q", "H")
    assert len(labels.qr_modules(publication.qr)) == 17 + 4 * code.version + 8  # ISO 18004 6.3.1


def _glyph(char: str, size: int = 40) -> Image.Image:
    font = labels._font(size)
    image = Image.new("L", (size * 2, size * 2), 0)

    ImageDraw.Draw(image).text((4, 4), char, font=font, fill=255)
    return image


def test_the_shipped_font_has_every_chinese_character_of_the_labels():
    # A missing glyph renders as .notdef (the same box for every missing character), so each
    # character must differ from the rendering of a code point the font cannot have.
    notdef = _glyph("\ue000")
    chars = set("".join((*labels.TITLE, *(zh for zh, _ in labels.NAMES.values()))))
    chars |= set("证书编号比年减少小部件每有效期至认证机构")
    for char in sorted(chars - set(" /Carbon Footprint")):
        assert ImageChops.difference(_glyph(char), notdef).getbbox() is not None, char


def test_png_renders_and_its_qr_code_reads_back_and_verifies(published):
    publication, keys = published
    png = render_png(publication.signed.certificate, publication.qr)
    image = Image.open(io.BytesIO(png))
    assert image.size == (2 * labels.WIDTH, 2 * labels.HEIGHT)
    text = decode_qr_image(png)
    assert text == publication.qr
    report = verify_token_text(text, keys.keyring(), NOW)
    assert (report.status, report.certificate_id, report.declared_unit) == (
        "valid",
        "GBA-CFL-2026-000001",
        "1 piece",
    )


def test_the_qr_code_reads_back_printed_small(published):
    """Rendered at one pixel per module (65 x 65 px with the quiet zone), zxing still reads it."""
    publication, _keys = published
    code = qr_code(publication.qr)
    out = io.BytesIO()
    code.save(out, kind="png", scale=1, border=4)
    assert decode_qr_image(out.getvalue()) == publication.qr


def test_one_layout_feeds_both_renderers(published):
    publication, _keys = published
    layout = labels.label_layout(publication.signed.certificate, publication.qr)
    svg = render_svg(publication.signed.certificate, publication.qr)
    for text in layout.texts:
        assert f'y="{text.y}" font-size="{text.size}"' in svg
