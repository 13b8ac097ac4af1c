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
factors (no database) and goes through the report service, so each picture shows what
``tanzuji report NAME.yaml --mc 500 --seed 1`` prints (the PCR's calculation rules applied).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from tanzuji import settings
from tanzuji.cli.inputs import model_input
from tanzuji.context import Context
from tanzuji.report import charts, compare, declaration, documents, vega
from tanzuji.report.study import StudyInputs
from tanzuji.services import report as report_service
from tanzuji.services.calculation import ModelInput

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


def study(context: Context, model: ModelInput, iterations: int) -> StudyInputs:
    """What ``tanzuji report MODEL --mc N --seed 1`` reports: the model computed under its
    PCR's calculation rules, the PCR check, the Monte Carlo run (services/report.py)."""
    source = report_service.StudySource(
        model=model, sankey_cutoff=0.01, monte_carlo_iterations=iterations, seed=SEED
    )
    return report_service.study(context, source).inputs


def example(context: Context, name: str, out: Path, langs: list[str], iterations: int):
    """Charts and report pages of one example in each language; the files written."""
    # a path relative to the repository, as a user types it (it appears in PCR findings)
    inputs = study(context, model_input(EXAMPLES.relative_to(ROOT) / f"{name}.yaml"), iterations)
    footprint = inputs.footprint
    written: list[Path] = []
    for lang in langs:
        folder = out / name / lang
        (folder / "charts").mkdir(parents=True, exist_ok=True)
        drawn = charts.footprint_charts(footprint, lang, scores=inputs.scores, model=inputs.model)
        for chart in drawn:
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
            written += comparison(context, footprint, folder, lang)
    return written


def _variant() -> ModelInput:
    """The battery with a lighter enclosure, assembled on the national grid average."""
    path = EXAMPLES.relative_to(ROOT) / "lfp_battery_pack.yaml"
    model = model_input(path)
    text = model.text
    for old, new in VARIANT:
        if old not in text:
            raise SystemExit(f"{path} no longer contains {old!r}; update VARIANT in {__file__}")
        text = text.replace(old, new)
    return ModelInput(name=model.name, text=text, files=model.files)


def comparison(context: Context, footprint, folder: Path, lang: str) -> list[Path]:
    """The two comparison charts and the comparison PDF of the battery and its variant."""
    other = study(context, _variant(), 0).footprint
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
    # no database: the built-in starter factors, as on a fresh machine
    with tempfile.TemporaryDirectory() as data_dir:
        context = Context.from_settings(settings.load({"TANZUJI_DATA_DIR": data_dir}))
        for name in args.only:
            render(context, name, args)


def render(context: Context, name: str, args: argparse.Namespace) -> None:
    """Render one example and print the files to look at."""
    start = time.perf_counter()
    written = example(context, name, args.out, args.lang, args.mc)
    seconds = time.perf_counter() - start
    print(f"{name}: {len(written)} pictures in {seconds:.0f} s")
    for path in written:
        print(f"  {path}")


if __name__ == "__main__":
    main()
