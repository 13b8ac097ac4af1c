"""Label artwork: the carbon-footprint label as SVG and PNG, with its QR code.

One layout for the three labels: the mark of the label type (碳披露 / 碳减排 / 碳中和, one
colour each), the bilingual title 大湾区碳足迹 / Carbon Footprint, the footprint per
functional unit (plus the computed reduction, or the neutrality period), the certificate id,
and the QR code (``segno``) that opens the public certificate page and carries the signed
token. The PNG is drawn with Pillow using the Noto Sans SC subset shipped in
``tanzuji/data/fonts`` (SIL OFL 1.1), so Chinese renders on any machine.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

import segno
from PIL import Image, ImageDraw, ImageFont

from tanzuji.certify.certificate import Certificate

FONT_DIR = Path(__file__).resolve().parents[1] / "data" / "fonts"
FONT_FILE = "NotoSansSC-Regular-GB2312.otf"
TITLE = ("大湾区碳足迹", "Carbon Footprint")
#: mark colours (RGB hex) per label type; design choice, not a scheme rule
COLOURS = {"disclosure": "#1b7f5b", "reduction": "#1f5fa8", "neutrality": "#2e8b2e"}
NAMES = {
    "disclosure": ("碳披露", "Disclosure"),
    "reduction": ("碳减排", "Reduction"),
    "neutrality": ("碳中和", "Neutral"),
}
WIDTH, HEIGHT = 760, 400
QR_BOX = 300  # px, side of the QR area (the token makes a dense code: keep it large)
TEXT_WIDTH = WIDTH - QR_BOX - 60  # px available left of the QR code


@dataclass(frozen=True)
class LabelText:
    """Every text on the label, computed once for both formats."""

    label_type: str
    mark_zh: str
    mark_en: str
    value: str
    unit: str
    detail: str
    #: The footprint per the PCR's declared unit and per sales unit, when they differ from
    #: the functional unit (empty otherwise).
    per_unit: str
    certificate_id: str
    product_zh: str
    product_en: str


def label_text(certificate: Certificate) -> LabelText:
    label: dict[str, Any] = certificate.label
    kind = str(label.get("type", "disclosure"))
    fu = certificate.functional_unit
    per = f"{fu.get('amount', 1):g} {fu.get('unit', '')}".strip()
    detail = ""
    if kind == "reduction":
        detail = (
            f"比{label['baseline_year']}年减少 {label['reduction_percent']:.1f} % / "
            f"{label['reduction_percent']:.1f} % lower than {label['baseline_year']}"
        )
    elif kind == "neutrality":
        period = label["period"]
        detail = f"碳中和 Carbon neutral {period['start']} – {period['end']}"
    zh, en = NAMES.get(kind, (kind, kind))
    product = certificate.product
    per_unit = fit(_per_unit(certificate, per), 15)
    return LabelText(
        label_type=kind,
        mark_zh=zh,
        mark_en=en,
        value=f"{certificate.footprint_kg_co2e:.3g}",
        unit=f"kg CO2e / {per}",
        detail=fit(detail, 15),
        per_unit=per_unit,
        certificate_id=certificate.certificate_id,
        product_zh=fit(product.get("zh") or "", 17),
        product_en=fit(product.get("en") or "", 15)
        if product.get("en") != product.get("zh")
        else "",
    )


def _per_unit(certificate: Certificate, per: str) -> str:
    """``= 2.55 kg CO2e / 1 kg · 1.53 kg CO2e / 一箱 case`` (declared and sales unit)."""
    parts = []
    declared = certificate.declared_unit
    if declared:
        unit = f"{declared['amount']:g} {declared['unit']}"
        if unit != per:
            parts.append(f"{declared['footprint_kg_co2e']:.3g} kg CO2e / {unit}")
    sales = certificate.sales_unit
    if sales:
        name = (
            sales.get("name_zh") or sales.get("name_en") or f"{sales['amount']:g} {sales['unit']}"
        )
        parts.append(f"{sales['footprint_kg_co2e']:.3g} kg CO2e / {name}")
    return ("= " + " · ".join(parts)) if parts else ""


def fit(text: str, size: int, width: int = TEXT_WIDTH) -> str:
    """``text`` cut with an ellipsis so that it fits ``width`` px at font ``size`` px."""
    font = _font(size)
    if font.getlength(text) <= width:
        return text
    while text and font.getlength(text + "…") > width:
        text = text[:-1]
    return text + "…"


def qr_modules(text: str) -> list[list[bool]]:
    """The QR code's dark modules (with the 4-module quiet zone), error correction M."""
    qr = segno.make(text, error="m", micro=False)
    return [[bool(v) for v in row] for row in qr.matrix_iter(scale=1, border=4)]


def render_svg(certificate: Certificate, qr: str) -> str:
    """The label as a standalone SVG document."""
    t = label_text(certificate)
    colour = COLOURS.get(t.label_type, "#333333")
    modules = qr_modules(qr)
    cell = QR_BOX / len(modules)
    x0, y0 = WIDTH - QR_BOX - 20, 76
    path = "".join(
        f"M{x0 + c * cell:.2f},{y0 + r * cell:.2f}h{cell:.2f}v{cell:.2f}h-{cell:.2f}z"
        for r, row in enumerate(modules)
        for c, dark in enumerate(row)
        if dark
    )
    font = "'Noto Sans SC','Noto Sans CJK SC','Source Han Sans SC','Microsoft YaHei',sans-serif"
    lines = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="{font}">',
        f"<title>{escape(TITLE[0])} {escape(TITLE[1])} {escape(t.certificate_id)}</title>",
        f'<rect width="{WIDTH}" height="{HEIGHT}" rx="18" fill="#ffffff" stroke="{colour}" '
        'stroke-width="6"/>',
        f'<rect x="0" y="0" width="{WIDTH}" height="56" rx="18" fill="{colour}"/>',
        f'<rect x="0" y="38" width="{WIDTH}" height="18" fill="{colour}"/>',
        f'<text x="24" y="38" font-size="26" font-weight="bold" fill="#ffffff">'
        f"{escape(TITLE[0])}  {escape(TITLE[1])}</text>",
        f'<circle cx="85" cy="140" r="58" fill="{colour}"/>',
        f'<text x="85" y="140" font-size="26" font-weight="bold" fill="#ffffff" '
        f'text-anchor="middle">{escape(t.mark_zh)}</text>',
        f'<text x="85" y="168" font-size="15" fill="#ffffff" text-anchor="middle">'
        f"{escape(t.mark_en)}</text>",
        f'<text x="165" y="135" font-size="48" font-weight="bold" fill="#111111">'
        f"{escape(t.value)}</text>",
        f'<text x="165" y="165" font-size="18" fill="#333333">{escape(t.unit)}</text>',
        f'<text x="24" y="218" font-size="15" fill="#333333">{escape(t.per_unit)}</text>',
        f'<text x="24" y="240" font-size="15" fill="#333333">{escape(t.detail)}</text>',
        f'<text x="24" y="275" font-size="17" fill="#111111">{escape(t.product_zh)}</text>',
        f'<text x="24" y="300" font-size="15" fill="#111111">{escape(t.product_en)}</text>',
        f'<text x="24" y="370" font-size="14" fill="#555555">证书编号 Certificate '
        f"{escape(t.certificate_id)}</text>",
        f'<path d="{path}" fill="#000000"/>',
        "</svg>",
    ]
    return "\n".join(lines) + "\n"


def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT_DIR / FONT_FILE), size)


def render_png(certificate: Certificate, qr: str, scale: int = 2) -> bytes:
    """The label as PNG bytes (``scale`` x the SVG size, for print)."""
    t = label_text(certificate)
    colour = COLOURS.get(t.label_type, "#333333")
    s = scale
    image = Image.new("RGB", (WIDTH * s, HEIGHT * s), "#ffffff")
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle(
        (0, 0, WIDTH * s - 1, HEIGHT * s - 1), radius=18 * s, outline=colour, width=6 * s
    )
    draw.rounded_rectangle((0, 0, WIDTH * s - 1, 56 * s), radius=18 * s, fill=colour)
    draw.rectangle((0, 38 * s, WIDTH * s - 1, 56 * s), fill=colour)
    bold = {"stroke_width": s // 2 or 1}
    draw.text(
        (24 * s, 38 * s),
        f"{TITLE[0]}  {TITLE[1]}",
        font=_font(26 * s),
        fill="#ffffff",
        anchor="ls",
        stroke_fill="#ffffff",
        **bold,
    )
    draw.ellipse((27 * s, 82 * s, 143 * s, 198 * s), fill=colour)
    draw.text(
        (85 * s, 140 * s),
        t.mark_zh,
        font=_font(26 * s),
        fill="#ffffff",
        anchor="ms",
        stroke_fill="#ffffff",
        **bold,
    )
    draw.text((85 * s, 168 * s), t.mark_en, font=_font(15 * s), fill="#ffffff", anchor="ms")
    draw.text(
        (165 * s, 135 * s),
        t.value,
        font=_font(48 * s),
        fill="#111111",
        anchor="ls",
        stroke_fill="#111111",
        **bold,
    )
    draw.text((165 * s, 165 * s), t.unit, font=_font(18 * s), fill="#333333", anchor="ls")
    draw.text((24 * s, 218 * s), t.per_unit, font=_font(15 * s), fill="#333333", anchor="ls")
    draw.text((24 * s, 240 * s), t.detail, font=_font(15 * s), fill="#333333", anchor="ls")
    draw.text((24 * s, 275 * s), t.product_zh, font=_font(17 * s), fill="#111111", anchor="ls")
    draw.text((24 * s, 300 * s), t.product_en, font=_font(15 * s), fill="#111111", anchor="ls")
    draw.text(
        (24 * s, 370 * s),
        f"证书编号 Certificate {t.certificate_id}",
        font=_font(14 * s),
        fill="#555555",
        anchor="ls",
    )
    modules = qr_modules(qr)
    cell = max(1, (QR_BOX * s) // len(modules))
    x0, y0 = (WIDTH - QR_BOX - 20) * s, 76 * s
    draw.rectangle((x0, y0, x0 + QR_BOX * s, y0 + QR_BOX * s), fill="#ffffff")
    for r, row in enumerate(modules):
        for c, dark in enumerate(row):
            if dark:
                draw.rectangle(
                    (
                        x0 + c * cell,
                        y0 + r * cell,
                        x0 + (c + 1) * cell - 1,
                        y0 + (r + 1) * cell - 1,
                    ),
                    fill="#000000",
                )
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def decode_qr_image(data: bytes) -> str:
    """Read the QR text from a label image (PNG/JPEG) with zxing-cpp."""
    from tanzuji.errors import VerificationFailed

    try:
        import zxingcpp
    except ImportError as exc:  # pragma: no cover - zxing-cpp is a declared dependency
        raise VerificationFailed(
            "reading QR codes from images needs the zxing-cpp package (pip install zxing-cpp); "
            "pass the token text instead"
        ) from exc
    try:
        image = Image.open(io.BytesIO(data)).convert("L")
    except OSError as exc:
        raise VerificationFailed(f"not a readable image: {exc}") from None
    found = zxingcpp.read_barcodes(image)
    texts = [r.text for r in found if r.text]
    if not texts:
        raise VerificationFailed("no QR code found in the image / 图片中未找到二维码")
    return texts[0]
