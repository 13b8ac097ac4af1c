"""``tanzuji demo`` — the main job of ``make run``: one story from factors to a verified label.

1. load the starter factor database into the embedded (or configured) database and pin it as a
   release (reused on later runs);
2. compute the three example products with factors resolved from that release;
3. check each against the PCR it names;
4. certify the battery pack end to end: a signed certificate, a label PNG with its QR code, and
   an offline verification of the QR read back from the PNG.

Every step is idempotent: a second run reuses the release and opens a new application.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import typer

from tanzuji import settings
from tanzuji.cli.app import app, console
from tanzuji.cli.calc import By, SourcesInOrder, print_footprint
from tanzuji.cli.certify import certification_demo
from tanzuji.cli.factors import load_starter_data, open_database
from tanzuji.cli.pcr import print_verdict
from tanzuji.errors import CertificationError, NotFound
from tanzuji.factors.database import DatabaseFactorSource, FactorDatabase, ReleaseInfo
from tanzuji.footprint import Footprint, calculate
from tanzuji.model.files import LoadedModel, load_model
from tanzuji.pcr.checks import check_model

#: The example models of the story, in the order they are shown; the first is certified.
DEMO_MODELS: tuple[str, ...] = ("lfp_battery_pack.yaml", "pv_module.yaml", "cotton_tshirt.yaml")
#: Release the demo pins the starter data as when the ``factor_release`` setting is empty.
DEMO_RELEASE = "2026.1"


def examples_dir() -> Path:
    """The ``examples/`` folder of the source checkout."""
    return Path(__file__).resolve().parents[3] / "examples"


def heading(number: int, zh: str, en: str) -> None:
    """A numbered, bilingual step heading."""
    console.rule(f"[bold]{number}. {zh} · {en}")


def ensure_release(database: FactorDatabase, name: str) -> tuple[ReleaseInfo, bool]:
    """Release ``name``, created from the newest published factors unless it exists.

    Returns the release and whether it was created now.
    """
    try:
        return database.release(name), False
    except NotFound:
        return database.create_release(name, note="make run: starter data", created_by="demo"), True


def load_factor_database(release_name: str) -> FactorDatabase:
    """Step 1: the starter data in the database, pinned as ``release_name``."""
    heading(1, "因子库", "Factor database: starter data and release")
    database = open_database()
    report = load_starter_data(database)
    console.print(
        f"starter data 初始数据: imported 导入 {report.imported} · unchanged 未变 "
        f"{report.skipped} · database 数据库 {database.engine.url.render_as_string()}",
        highlight=False,
    )
    release, created = ensure_release(database, release_name)
    console.print(
        f"release 版本 {release.name}: {release.member_count} factors 因子, "
        f"{'created 新建' if created else 'reused 沿用'}, sha256 {release.content_hash[:16]}",
        highlight=False,
    )
    return database


def factor_summary(footprint: Footprint) -> str:
    """Where the factors of a result came from, e.g. ``release 2026.1: 8 factors (v1)``.

    Factors of a database release are counted with their versions; factors from the model's
    own files are named (``inputs.factors`` of the result lists every one).
    """
    in_release: dict[str, list[str]] = defaultdict(list)
    in_files: list[str] = []
    for factor in footprint.inputs.factors:
        if factor.release:
            in_release[factor.release].append(factor.version)
        else:
            in_files.append(f"{factor.id} v{factor.version}")
    parts = [
        f"release 版本 {name}: {len(versions)} factors 因子 "
        f"({', '.join(f'v{v}' for v in sorted(set(versions)))})"
        for name, versions in sorted(in_release.items())
    ]
    if in_files:
        parts.append(f"model factor file 模型因子文件: {', '.join(in_files)}")
    return "; ".join(parts)


def compute(models: list[Path], source: SourcesInOrder) -> list[tuple[LoadedModel, Footprint]]:
    """Step 2: each product's footprint by life-cycle stage, and the factors behind it."""
    heading(2, "碳足迹核算", "Footprints, factors from the database release")
    results = []
    for path in models:
        loaded = load_model(path)
        footprint = calculate(loaded, factor_source=source)
        console.print(f"[bold]{path.name}[/]")
        print_footprint(footprint, By.stage)
        console.print(f"factors 因子 — {factor_summary(footprint)}", highlight=False)
        results.append((loaded, footprint))
    return results


def check_pcrs(results: list[tuple[LoadedModel, Footprint]]) -> None:
    """Step 3: each model against the PCR it names; the demo stops on a failure."""
    heading(3, "产品种类规则核查", "PCR checks")
    for loaded, footprint in results:
        report = check_model(loaded, footprint)
        print_verdict(report)
        if not report.passed:
            raise CertificationError(
                f"example {loaded.source_map.file} fails its PCR {report.pcr}; see "
                f"`tanzuji pcr check {loaded.source_map.file}`"
            )


@app.command()
def demo(
    examples: Path = typer.Option(None, help="Folder of the example models (default: examples/)."),
    release: str = typer.Option(
        None, help="Factor release to create or reuse (default: setting factor_release or 2026.1)."
    ),
) -> None:
    """Run the demo: factor database, footprints, PCR checks, certification and label (演示)."""
    folder = examples or examples_dir()
    models = [folder / name for name in DEMO_MODELS]
    missing = [str(m) for m in models if not m.is_file()]
    if missing:
        raise typer.BadParameter(f"example models missing: {', '.join(missing)}")
    release_name = release or str(settings.get("factor_release") or "") or DEMO_RELEASE
    database = load_factor_database(release_name)
    source = SourcesInOrder([DatabaseFactorSource(database.engine, default_release=release_name)])
    results = compute(models, source)
    check_pcrs(results)
    heading(4, "认证与标识", "Certification, label and offline verification")
    certification_demo(models[0], source, release_name)
