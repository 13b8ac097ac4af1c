"""``tanzuji demo`` — the main job of ``make run``: one story from factors to a verified label.

The story is :mod:`tanzuji.services.demo`; this command calls its steps in order and tells
what each did:

1. load the starter factor database into the embedded (or configured) database and pin it as a
   release (reused on later runs);
2. compute the three example products with factors resolved from that release;
3. check each against the PCR it names;
4. certify the battery pack end to end: a signed certificate, a label PNG with its QR code, and
   an offline verification of the QR read back from the PNG.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import typer

from tanzuji.cli.app import app, console, context
from tanzuji.cli.calc import By, print_footprint
from tanzuji.cli.certify import certificate_file
from tanzuji.cli.inputs import model_input
from tanzuji.cli.ledger import print_report
from tanzuji.cli.pcr import print_verdict
from tanzuji.context import Context
from tanzuji.footprint import Footprint
from tanzuji.services import demo as service

#: The example models of the story, in the order they are shown; the first is certified.
DEMO_MODELS: tuple[str, ...] = ("lfp_battery_pack.yaml", "pv_module.yaml", "cotton_tshirt.yaml")
DEMO_RELEASE = service.DEMO_RELEASE


def examples_dir() -> Path:
    """The ``examples/`` folder of the source checkout."""
    return Path(__file__).resolve().parents[3] / "examples"


def heading(number: int, zh: str, en: str) -> None:
    """A numbered, bilingual step heading."""
    console.rule(f"[bold]{number}. {zh} · {en}")


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


@app.command()
def demo(
    examples: Path = typer.Option(None, help="Folder of the example models (default: examples/)."),
    release: str = typer.Option(
        None, help="Factor release to create or reuse (default: setting factor_release or 2026.1)."
    ),
) -> None:
    """Run the demo: factor database, footprints, PCR checks, certification and label (演示)."""
    folder = examples or examples_dir()
    paths = [folder / name for name in DEMO_MODELS]
    missing = [str(m) for m in paths if not m.is_file()]
    if missing:
        raise typer.BadParameter(f"example models missing: {', '.join(missing)}")
    ctx = context(need_database=True, release="")
    release_name = release or str(ctx.settings.factor_release or "") or DEMO_RELEASE
    models = [model_input(p, ctx.limits) for p in paths]

    heading(1, "因子库", "Factor database: starter data and release")
    step = service.load_factors(ctx, release_name)
    console.print(
        f"starter data 初始数据: imported 导入 {step.imported.imported} · unchanged 未变 "
        f"{step.imported.skipped} · database 数据库 {ctx.require_database().display_url}",
        highlight=False,
    )
    info = step.release
    console.print(
        f"release 版本 {info.name}: {info.member_count} factors 因子, "
        f"{'created 新建' if step.created else 'reused 沿用'}, sha256 {info.content_hash[:16]}",
        highlight=False,
    )

    pinned = ctx.with_release(release_name)
    heading(2, "碳足迹核算", "Footprints, factors from the database release")
    results = service.compute(pinned, models)
    for path, example in zip(paths, results, strict=True):
        console.print(f"[bold]{path.name}[/]")
        print_footprint(example.footprint, By.stage)
        console.print(
            f"factors 因子 — {factor_summary(example.footprint)}", highlight=False, soft_wrap=True
        )

    heading(3, "产品种类规则核查", "PCR checks")
    for report in service.check(pinned, results):
        print_verdict(report)

    heading(4, "认证与标识", "Certification, label and offline verification")
    tell_certification(pinned, service.certify(pinned, models[0]), paths[0].name, release_name)


def tell_certification(
    ctx: Context, done: service.Certification, model_name: str, release: str
) -> Path:
    """Print step 4 and write the certificate file and the label artwork; the PNG's path."""
    say = console.print
    applied = done.applied
    version = applied.model_versions[-1]
    applicant = applied.audit[0]
    say(
        f"apply 申请 {applied.id} ({applicant.actor_id}): {model_name}, "
        f"{version.total_kg_co2e:.6g} kg CO2e per FU, PCR {applied.pcr_id}@{applied.pcr_version}, "
        f"factor release 因子库版本 {release}",
        highlight=False,
    )
    verifier = done.issued.verifier
    say(f"submit 提交 -> review 审核 by {verifier.name if verifier else '?'}", highlight=False)
    say(f"PCR check 产品种类规则核查: {done.pcr_check}", highlight=False)
    say("finding 发现项 raised, answered, closed -> sign-off 核查签字", highlight=False)
    maker = done.decided.decision_maker
    say(
        f"decide 决定 by {maker.name if maker else '?'}: {done.decided.state.value}",
        highlight=False,
    )
    cert_file = certificate_file(done.document, None, ctx.data_dir)
    issued = done.issued
    png = ctx.data_dir / "labels" / f"{issued.certificate_id}.png"
    png.parent.mkdir(parents=True, exist_ok=True)
    png.write_bytes(done.label_png)
    png.with_suffix(".svg").write_bytes(done.label_svg)
    say(
        f"issue 发证 {issued.certificate_id}, valid until 有效期至 {issued.valid_until}: "
        f"{cert_file}",
        highlight=False,
    )
    say(f"label 标识 (disclosure 碳披露, QR): {png}", highlight=False)
    say("offline verification of the QR code read from the label PNG 离线验证标识二维码:")
    print_report(done.verification)
    return png
