"""Label artwork: SVG content, PNG with rendered Chinese, QR code that reads back."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET

import pytest
from PIL import Image, ImageChops, ImageDraw

from certify_people import NOW, issued
from tanzuji.certify import labels
from tanzuji.certify import workflow as wf
from tanzuji.certify.labels import decode_qr_image, label_text, render_png, render_svg

QR = "https://example.org/c/CERT-1#TZJ1.payload.signature"


@pytest.fixture(scope="module")
def certificate():
    return wf.certificate_for(issued(), NOW)


def test_label_text_of_a_disclosure_label(certificate):
    text = label_text(certificate)
    assert (text.mark_zh, text.mark_en) == ("碳披露", "Disclosure")
    assert text.value == "9.13"  # 9.1298 kg CO2e, three significant digits
    assert text.unit == "kg CO2e / 1 piece"
    assert (text.product_zh, text.product_en) == ("小部件", "Widget")


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


def test_svg_is_valid_xml_with_bilingual_text_and_qr(certificate):
    svg = render_svg(certificate, QR)
    root = ET.fromstring(svg)
    texts = "".join(t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text"))
    for expected in ("大湾区碳足迹", "Carbon Footprint", "碳披露", "9.13", "CERT-1"):
        assert expected in texts
    path = root.find("{http://www.w3.org/2000/svg}path")
    assert path is not None and path.get("d", "").count("z") > 100  # the QR modules


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
    chars |= set("证书编号比年减少小部件")
    for char in sorted(chars - set(" /Carbon Footprint")):
        assert ImageChops.difference(_glyph(char), notdef).getbbox() is not None, char


def test_png_renders_and_its_qr_code_reads_back(certificate):
    png = render_png(certificate, QR)
    image = Image.open(io.BytesIO(png))
    assert image.size == (2 * labels.WIDTH, 2 * labels.HEIGHT)
    assert decode_qr_image(png) == QR
