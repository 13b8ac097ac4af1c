"""Label artwork: the carbon-footprint label as SVG and PNG, with its QR code.

One layout for the three labels (:func:`label_layout`), drawn by both renderers: the mark of
the label type (碳披露 / 碳减排 / 碳中和, one colour each), the bilingual title 大湾区碳足迹 /
Carbon Footprint, the footprint and the functional unit it is per (每 1 kWh / per 1 kWh), the
footprint per the PCR's declared unit and per sales unit when they differ (``= 2.55 kg CO2e /
1 kg · 1.53 kg CO2e / 一箱``), the computed reduction or the neutrality period, the product,
the validity (有效期至 / valid until), the certification body, the certificate id, and the QR
code (``segno``) that opens the public certificate page and carries the compact signed claim
(:mod:`tanzuji.certify.token`).

The QR code is at most version 10 (57 x 57 modules) at error correction M (15 %, ISO/IEC
18004:2015 Table 7), so it stays readable at about 2 cm printed: the URL is a byte segment and
the base32 token an alphanumeric one. The PNG is drawn with Pillow using the Noto Sans SC
subset shipped in ``tanzuji/data/fonts`` (SIL OFL 1.1), so Chinese renders on any machine.
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
from tanzuji.certify.token import qr_segments
from tanzuji.errors import CertificationError

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
QR_BOX = 260  # px, side of the QR area
QR_TOP = 80  # px
TEXT_WIDTH = WIDTH - QR_BOX - 70  # px available left of the QR code
#: The largest QR version a label carries (57 x 57 modules; ISO/IEC 18004:2015 Table 1).
MAX_QR_VERSION = 10
#: Error correction tried in order: M (15 % of codewords restorable), then L (7 %).
QR_ERROR_LEVELS = ("M", "L")
QUIET_ZONE_MODULES = 4  # ISO/IEC 18004:2015 9.1
SVG_FONT = "'Noto Sans SC','Noto Sans CJK SC','Source Han Sans SC','Microsoft YaHei',sans-serif"


@dataclass(frozen=True)
class LabelText:
    """Every text on the label, computed once for both formats."""

    label_type: str
    mark_zh: str
    mark_en: str
    value: str
    unit: str
    per_unit: str
    #: The footprint per the PCR's declared unit and per sales unit, when they differ from
    #: the functional unit (empty otherwise).
    other_units: str
    detail: str
    certificate_id: str
    product_zh: str
    product_en: str
    validity: str
    body: str


def label_text(certificate: Certificate) -> LabelText:
    label: dict[str, Any] = certificate.label
    kind = str(label.get("type", "disclosure"))
    per = certificate.functional_unit_text()
    detail = ""
    if kind == "reduction":
        # the year of the baseline's data; certificates signed before it was stated name the
        # baseline's issue year (baseline_year)
        year = label.get("baseline_data_year") or label["baseline_year"]
        detail = (
            f"比{year}年减少 {label['reduction_percent']:.1f} % / "
            f"{label['reduction_percent']:.1f} % lower than {year}"
        )
    elif kind == "neutrality":
        period = label["period"]
        detail = f"碳中和 Carbon neutral {period['start']} – {period['end']}"
    zh, en = NAMES.get(kind, (kind, kind))
    product = certificate.product
    return LabelText(
        label_type=kind,
        mark_zh=zh,
        mark_en=en,
        value=f"{certificate.footprint_kg_co2e:.3g}",
        unit="kg CO2e",
        per_unit=fit(f"每 {per} / per {per}", 16, WIDTH - QR_BOX - 200),
        other_units=fit(_other_units(certificate, per), 15),
        detail=fit(detail, 15),
        certificate_id=certificate.certificate_id,
        product_zh=fit(product.get("zh") or "", 17),
        product_en=fit(product.get("en") or "", 15)
        if product.get("en") != product.get("zh")
        else "",
        validity=f"有效期至 Valid until {certificate.validity.valid_until.isoformat()}",
        body=fit(f"认证机构 Certified by {certificate.verifier.get('body', '')}", 14),
    )


def _other_units(certificate: Certificate, per: str) -> str:
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


def qr_code(text: str) -> segno.QRCode:
    """The label's QR code: URL and token segments, version <= 10, error correction M (or L).

    Raises
    ------
    CertificationError
        When even level L needs a version above 10 (a long base URL or declared unit).
    """
    segments = [(part, segno.consts.MODE_MAPPING[mode]) for part, mode in qr_segments(text)]
    for level in QR_ERROR_LEVELS:
        # segno takes a list of (content, mode) segments (see segno.encoder.prepare_data);
        # its type hints name only a single content.
        code = segno.make(segments, error=level, boost_error=True, micro=False)  # type: ignore[arg-type]
        # micro=False: the version is a number (only Micro QR versions are "M1".."M4")
        if isinstance(code.version, int) and code.version <= MAX_QR_VERSION:
            return code
    raise CertificationError(
        f"the label's QR text ({len(text)} characters) needs QR version {code.version} even "
        f"at error correction L; at most {MAX_QR_VERSION} is printed: shorten the "
        "certificate_base_url setting or the declared unit"
    )


def qr_modules(text: str) -> list[list[bool]]:
    """The QR code's dark modules, with the 4-module quiet zone."""
    code = qr_code(text)
    return [[bool(v) for v in row] for row in code.matrix_iter(scale=1, border=QUIET_ZONE_MODULES)]


@dataclass(frozen=True)
class Text:
    x: float
    y: float  # baseline
    text: str
    size: int
    colour: str
    middle: bool = False
    bold: bool = False


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    width: float
    height: float
    fill: str | None
    radius: float = 0
    outline: str | None = None
    outline_width: float = 0


@dataclass(frozen=True)
class Circle:
    cx: float
    cy: float
    r: float
    fill: str


@dataclass(frozen=True)
class Layout:
    """The label drawn in px of the SVG canvas; renderers only translate it."""

    width: int
    height: int
    colour: str
    title: str
    shapes: tuple[Box | Circle, ...]
    texts: tuple[Text, ...]
    qr_x: float
    qr_y: float
    qr_modules: list[list[bool]]


def label_layout(certificate: Certificate, qr: str) -> Layout:
    """Positions, sizes and colours of everything on the label."""
    t = label_text(certificate)
    colour = COLOURS.get(t.label_type, "#333333")
    white, dark, grey = "#ffffff", "#111111", "#333333"
    shapes = (
        Box(0, 0, WIDTH, HEIGHT, white, 18, colour, 6),
        Box(0, 0, WIDTH, 56, colour, 18),
        Box(0, 38, WIDTH, 18, colour),
        Circle(85, 140, 58, colour),
    )
    texts = (
        Text(24, 38, f"{TITLE[0]}  {TITLE[1]}", 26, white, bold=True),
        Text(85, 140, t.mark_zh, 26, white, middle=True, bold=True),
        Text(85, 168, t.mark_en, 15, white, middle=True),
        Text(165, 132, t.value, 48, dark, bold=True),
        Text(165, 160, t.unit, 18, grey),
        Text(165, 186, t.per_unit, 16, grey),
        Text(24, 214, t.other_units, 15, grey),
        Text(24, 235, t.detail, 15, grey),
        Text(24, 265, t.product_zh, 17, dark),
        Text(24, 289, t.product_en, 15, dark),
        Text(24, 318, t.validity, 14, dark),
        Text(24, 344, t.body, 14, grey),
        Text(24, 372, f"证书编号 Certificate {t.certificate_id}", 14, "#555555"),
    )
    return Layout(
        width=WIDTH,
        height=HEIGHT,
        colour=colour,
        title=f"{TITLE[0]} {TITLE[1]} {t.certificate_id}",
        shapes=shapes,
        texts=tuple(x for x in texts if x.text),
        qr_x=WIDTH - QR_BOX - 24,
        qr_y=QR_TOP,
        qr_modules=qr_modules(qr),
    )


def render_svg(certificate: Certificate, qr: str) -> str:
    """The label as a standalone SVG document."""
    layout = label_layout(certificate, qr)
    lines = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{layout.width}" '
        f'height="{layout.height}" viewBox="0 0 {layout.width} {layout.height}" '
        f'font-family="{SVG_FONT}">',
        f"<title>{escape(layout.title)}</title>",
    ]
    for shape in layout.shapes:
        lines.append(_svg_shape(shape))
    for text in layout.texts:
        anchor = ' text-anchor="middle"' if text.middle else ""
        weight = ' font-weight="bold"' if text.bold else ""
        lines.append(
            f'<text x="{text.x}" y="{text.y}" font-size="{text.size}" fill="{text.colour}"'
            f"{anchor}{weight}>{escape(text.text)}</text>"
        )
    cell = QR_BOX / len(layout.qr_modules)
    x0, y0 = layout.qr_x, layout.qr_y
    path = "".join(
        f"M{x0 + c * cell:.2f},{y0 + r * cell:.2f}h{cell:.2f}v{cell:.2f}h-{cell:.2f}z"
        for r, row in enumerate(layout.qr_modules)
        for c, on in enumerate(row)
        if on
    )
    lines += [f'<path d="{path}" fill="#000000"/>', "</svg>"]
    return "\n".join(lines) + "\n"


def _svg_shape(shape: Box | Circle) -> str:
    if isinstance(shape, Circle):
        return f'<circle cx="{shape.cx}" cy="{shape.cy}" r="{shape.r}" fill="{shape.fill}"/>'
    radius = f' rx="{shape.radius}"' if shape.radius else ""
    stroke = (
        f' stroke="{shape.outline}" stroke-width="{shape.outline_width}"' if shape.outline else ""
    )
    return (
        f'<rect x="{shape.x}" y="{shape.y}" width="{shape.width}" height="{shape.height}"'
        f'{radius} fill="{shape.fill or "none"}"{stroke}/>'
    )


def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT_DIR / FONT_FILE), size)


def render_png(certificate: Certificate, qr: str, scale: int = 2) -> bytes:
    """The label as PNG bytes (``scale`` x the SVG size, for print)."""
    layout = label_layout(certificate, qr)
    s = scale
    image = Image.new("RGB", (layout.width * s, layout.height * s), "#ffffff")
    draw = ImageDraw.Draw(image)
    for shape in layout.shapes:
        _png_shape(draw, shape, s)
    for text in layout.texts:
        bold: dict[str, Any] = {}
        if text.bold:
            bold = {"stroke_width": s // 2 or 1, "stroke_fill": text.colour}
        draw.text(
            (text.x * s, text.y * s),
            text.text,
            font=_font(text.size * s),
            fill=text.colour,
            anchor="ms" if text.middle else "ls",
            **bold,
        )
    modules = layout.qr_modules
    cell = max(1, (QR_BOX * s) // len(modules))
    x0, y0 = round(layout.qr_x * s), round(layout.qr_y * s)
    for r, row in enumerate(modules):
        for c, on in enumerate(row):
            if on:
                box = (
                    x0 + c * cell,
                    y0 + r * cell,
                    x0 + (c + 1) * cell - 1,
                    y0 + (r + 1) * cell - 1,
                )
                draw.rectangle(box, fill="#000000")
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _png_shape(draw: ImageDraw.ImageDraw, shape: Box | Circle, s: int) -> None:
    if isinstance(shape, Circle):
        box = ((shape.cx - shape.r) * s, (shape.cy - shape.r) * s)
        draw.ellipse((*box, (shape.cx + shape.r) * s, (shape.cy + shape.r) * s), fill=shape.fill)
        return
    corners = (
        shape.x * s,
        shape.y * s,
        (shape.x + shape.width) * s - 1,
        (shape.y + shape.height) * s - 1,
    )
    if shape.radius:
        draw.rounded_rectangle(
            corners,
            radius=shape.radius * s,
            fill=shape.fill,
            outline=shape.outline,
            width=round(shape.outline_width * s),
        )
    else:
        draw.rectangle(corners, fill=shape.fill)


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
