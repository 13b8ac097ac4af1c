"""Render every chart and every report page of the example products to PNG, to look at them.

    make pictures                  # = .venv/bin/python scripts/report_pictures.py
    .venv/bin/python scripts/report_pictures.py [OUT_DIR] [--lang zh en] [--mc N]
                                                [--only lfp_battery_pack ...]

Writes under OUT_DIR (default ``report-pictures/``, git-ignored), per example product and
language: ``NAME/LANG/charts/CHART.png`` (each chart from its SVG, rendered by vl-convert:
stages by gas and by origin, Pareto by process and by factor, Sankey with the 1 % cut-off,
Monte Carlo histogram with the 95 % interval, sensitivity tornado), ``NAME/LANG/report.pdf``
and ``NAME/LANG/report-pN.png`` (each page of the CFP study report, rendered with pypdfium2
from the dev extras); for the battery the declaration (``declaration.pdf`` and its pages) and
the comparison with a variant (a lighter enclosure, assembly on the national grid average:
``compare/CHART.png``, ``compare.pdf`` and its pages). It ends with the list
of files to look at (docs/reports.md, "Looking at the pictures"). Uses the built-in starter
factors (no database).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from tanzuji.engine.montecarlo import MonteCarlo
from tanzuji.engine.sensitivity import summarize
from tanzuji.factors.starter import StarterFactorSource
from tanzuji.footprint import Footprint, calculate
from tanzuji.model.compile import compile_model
from tanzuji.model.files import load_model, load_model_text
from tanzuji.pcr.checks import check_model
from tanzuji.report import charts, compare, declaration, documents, vega
from tanzuji.report.study import StudyInputs

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
NAMES = ("lfp_battery_pack", "pv_module", "cotton_tshirt", "pet_bottle")
PAGE_SCALE = 1.5  # 1.5 x 72 dpi = 108 dpi: legible, small files
SEED = 1
#: The comparison variant of the battery: (old, new) text replaced in the model file.
VARIANT = (
    ("enclosure_aluminium_kg: 60", "enclosure_aluminium_kg: 45"),
    ("cn-mee.electricity.2022.cn-ecg.avg", "cn-mee.electricity.2022.cn.avg"),
)
VARIANT_LABELS = ("A: as modelled", "B: 45 kg enclosure, national grid")


def pdf_pages(pdf: bytes, stem: Path) -> list[Path]:
    """Each page of ``pdf`` as ``STEM-pN.png``."""
    import pypdfium2

    out = []
    document = pypdfium2.PdfDocument(pdf)
    for i in range(len(document)):
        path = stem.with_name(f"{stem.name}-p{i + 1}.png")
        document[i].render(scale=PAGE_SCALE).to_pil().save(path)
        out.append(path)
    return out


def _footprint(loaded, iterations: int) -> tuple[Footprint, object]:
    source = StarterFactorSource()
    footprint = calculate(loaded, factor_source=source, tree_cutoff=0.01)
    scores = None
    if iterations:
        result = MonteCarlo(compile_model(loaded, source).system, footprint.gwp_set).run(
            iterations, SEED
        )
        footprint.uncertainty, scores = summarize(result), result.scores
    return footprint, scores


def example(name: str, out: Path, langs: list[str], iterations: int) -> list[Path]:
    """Charts and report pages of one example in each language; the files written."""
    # a path relative to the repository, as a user types it (it appears in PCR findings)
    loaded = load_model(EXAMPLES.relative_to(ROOT) / f"{name}.yaml")
    footprint, scores = _footprint(loaded, iterations)
    inputs = StudyInputs(footprint, loaded.model, check_model(loaded, footprint), None, scores)
    written: list[Path] = []
    for lang in langs:
        folder = out / name / lang
        (folder / "charts").mkdir(parents=True, exist_ok=True)
        for chart in charts.footprint_charts(footprint, lang, scores=scores, model=loaded.model):
            path = folder / "charts" / f"{chart.name}.png"
            path.write_bytes(vega.svg_to_png(chart.svg()))
            written.append(path)
        pdf = documents.study_document(inputs, "pdf", lang)
        (folder / "report.pdf").write_bytes(pdf)
        written += pdf_pages(pdf, folder / "report")
        if name == "lfp_battery_pack":
            details = declaration.load_details(EXAMPLES / "declarations" / f"{name}.yaml")
            declared = declaration.to_pdf(declaration.declare(footprint, details), lang)
            (folder / "declaration.pdf").write_bytes(declared)
            written += pdf_pages(declared, folder / "declaration")
            written += comparison(footprint, folder, lang)
    return written


def _variant():
    """The battery with a lighter enclosure, assembled on the national grid average."""
    path = EXAMPLES.relative_to(ROOT) / "lfp_battery_pack.yaml"
    text = path.read_text("utf-8")
    for old, new in VARIANT:
        if old not in text:
            raise SystemExit(f"{path} no longer contains {old!r}; update VARIANT in {__file__}")
        text = text.replace(old, new)
    factors = {"factors.csv": (EXAMPLES / "factors.csv").read_bytes()}
    return load_model_text(text, str(path), factors)


def comparison(footprint: Footprint, folder: Path, lang: str) -> list[Path]:
    """The two comparison charts and the comparison PDF of the battery and its variant."""
    other, _ = _footprint(_variant(), 0)
    result = compare.compare(footprint, other, VARIANT_LABELS, lang)
    (folder / "compare").mkdir(exist_ok=True)
    written = []
    for chart in compare.comparison_charts(result, lang):
        path = folder / "compare" / f"{chart.name}.png"
        path.write_bytes(vega.svg_to_png(chart.svg()))
        written.append(path)
    pdf = compare.document(result, "pdf", lang)
    (folder / "compare.pdf").write_bytes(pdf)
    return written + pdf_pages(pdf, folder / "compare")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", default=ROOT / "report-pictures", type=Path)
    parser.add_argument("--lang", nargs="+", default=["zh", "en"], choices=["zh", "en", "both"])
    parser.add_argument("--mc", default=500, type=int, help="Monte Carlo iterations (0 = none)")
    parser.add_argument("--only", nargs="+", choices=NAMES, default=list(NAMES))
    args = parser.parse_args()
    for name in args.only:
        start = time.perf_counter()
        written = example(name, args.out, args.lang, args.mc)
        seconds = time.perf_counter() - start
        print(f"{name}: {len(written)} pictures in {seconds:.0f} s")
        for path in written:
            print(f"  {path}")


if __name__ == "__main__":
    main()
