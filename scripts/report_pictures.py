"""Render every chart and every report page of the example products to PNG, to look at them.

    .venv/bin/python scripts/report_pictures.py [OUT_DIR] [--lang zh|en|both] [--mc N]

Writes, per example: ``NAME/charts/CHART.png`` (each chart, from its SVG, via vl-convert),
``NAME/report-LANG.pdf`` and ``NAME/report-LANG-pN.png`` (each page, rendered with pypdfium2
from the dev extras), and for the battery the declaration PDF and its page. Uses the built-in
starter factors (no database). See docs/reports.md.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from tanzuji.engine.montecarlo import MonteCarlo
from tanzuji.engine.sensitivity import summarize
from tanzuji.factors.starter import StarterFactorSource
from tanzuji.footprint import calculate
from tanzuji.model.compile import compile_model
from tanzuji.model.files import load_model
from tanzuji.pcr.checks import check_model
from tanzuji.report import charts, declaration, documents, vega
from tanzuji.report.study import StudyInputs

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
NAMES = ("lfp_battery_pack", "pv_module", "cotton_tshirt")
PAGE_SCALE = 1.4  # 1.4 x 72 dpi ~ 100 dpi: legible, small files


def pdf_pages(pdf: bytes, stem: Path) -> list[Path]:
    import pypdfium2

    out = []
    document = pypdfium2.PdfDocument(pdf)
    for i in range(len(document)):
        path = stem.with_name(f"{stem.name}-p{i + 1}.png")
        document[i].render(scale=PAGE_SCALE).to_pil().save(path)
        out.append(path)
    return out


def example(name: str, out: Path, lang: str, iterations: int) -> None:
    loaded = load_model(EXAMPLES / f"{name}.yaml")
    source = StarterFactorSource()
    footprint = calculate(loaded, factor_source=source, tree_cutoff=0.01)
    scores = None
    if iterations:
        result = MonteCarlo(compile_model(loaded, source).system, footprint.gwp_set).run(
            iterations, 1
        )
        footprint.uncertainty, scores = summarize(result), result.scores
    inputs = StudyInputs(footprint, loaded.model, check_model(loaded, footprint), None, scores)
    folder = out / name / "charts"
    folder.mkdir(parents=True, exist_ok=True)
    for chart in charts.footprint_charts(footprint, lang, scores=scores, model=loaded.model):
        (folder / f"{chart.name}.png").write_bytes(vega.svg_to_png(chart.svg()))
    pdf = documents.study_document(inputs, "pdf", lang)
    (out / name / f"report-{lang}.pdf").write_bytes(pdf)
    pages = pdf_pages(pdf, out / name / f"report-{lang}")
    print(f"{name}: {len(list(folder.iterdir()))} charts, {len(pages)} pages")
    if name == "lfp_battery_pack":
        details = declaration.load_details(EXAMPLES / "declarations" / "lfp_battery_pack.yaml")
        declared = declaration.to_pdf(declaration.declare(footprint, details), lang)
        (out / name / "declaration.pdf").write_bytes(declared)
        pdf_pages(declared, out / name / "declaration")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", default="report-pictures", type=Path)
    parser.add_argument("--lang", default="both", choices=["zh", "en", "both"])
    parser.add_argument("--mc", default=500, type=int, help="Monte Carlo iterations (0 = none)")
    args = parser.parse_args()
    for name in NAMES:
        example(name, args.out, args.lang, args.mc)


if __name__ == "__main__":
    main()
