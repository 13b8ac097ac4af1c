"""Benchmark: recheck 10,000 certificates against a new factor release (issue 14).

Setup (not timed as the recheck): a fresh database (SQLite in a temporary directory, or
PostgreSQL with ``--postgres URL`` of an empty database), the China Southern Grid 2022 factor
(0.3869 kg CO2/kWh, MEE & NBS 2024-12-20) published and released as R1, ``--models``
different product models (10 to 10 + models kWh of grid electricity and 0 to models kg of an
illustrative part) each applied for and certified through the real workflow (apply, review,
decision, issue: signed certificate and ledger entry), then the stored applications cloned in
bulk (new application and certificate ids, same certified model version) up to
``--certificates``. The grid factor then gets a second version (0.4, a test input, not a
published value), released as R2.

Timed: :func:`tanzuji.services.recheck.recheck_release` against R2 (read every application,
group by model, one computation per model, compare each certificate), and, for the ratio,
the one-by-one recompute of :func:`tanzuji.certify.recheck.recheck` on ``--sample``
certificates (its rate extrapolated to all). Results: ``bench/results/recheck-<date>.json``.

    .venv/bin/python bench/recheck.py                  # 10,000 certificates of 20 models
    .venv/bin/python bench/recheck.py --quick          # 200 certificates of 4 models
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import cpus, versions

from tanzuji.certify.recheck import recheck as recheck_one_by_one
from tanzuji.context import Context
from tanzuji.services import certification, demo, factors
from tanzuji.services import recheck as recheck_service
from tanzuji.services.calculation import ModelInput
from tanzuji.settings import Settings
from tanzuji.store import db
from tanzuji.store.certify import CertificationRepository
from tanzuji.store.certify_tables import ApplicationRow, ModelVersionRow

RESULTS = Path(__file__).resolve().parent / "results"
SOURCE = {
    "publisher": "MEE & NBS",
    "document": "关于发布2022年电力二氧化碳排放因子的公告 (2024-12-20)",
}
GRID = {
    "id": "cn-grid-south-2022",
    "name_en": "Electricity, China Southern Grid average, 2022",
    "name_zh": "南方区域电网平均二氧化碳排放因子 2022",
    "unit": "kWh",
    "gases": [{"gas": "CO2", "amount_kg": 0.3869}],
    "geography": "CN-SOUTH-GRID",
    "year": 2022,
    "boundary": "combustion",
    "source": SOURCE,
    "licence": "PRC official document (Copyright Law Art. 5)",
}
CORRECTED = [{"gas": "CO2", "amount_kg": 0.4}]  # a test input, not a published value

MODEL = """
product:
  id: widget-{k}
  name: {{en: Widget {k}}}
  functional_unit: {{amount: 1, unit: piece}}
  reference_flow: {{process: make, amount: 1, unit: piece}}
processes:
  - id: make
    name: {{en: Make}}
    life_cycle_stage: production
    reference_product: {{amount: 1, unit: piece}}
    inputs:
      - {{factor: cn-grid-south-2022, amount: {kwh}, unit: kWh}}
      - {{factor: part, amount: {kg}, unit: kg}}
factors:
  - id: part
    name: {{en: Part (illustrative)}}
    unit: kg
    gases: [{{gas: CO2e, amount: 1.0}}]
    source: "ILLUSTRATIVE placeholder, not a sourced value"
    illustrative: true
"""


def context(url: str, data_dir: Path) -> Context:
    db.database_for(url).upgrade()
    settings = Settings.defaults().replace(database_url=url, data_dir=str(data_dir))
    ctx = Context.from_settings(settings)
    demo.participants(ctx)
    return ctx


def certify_templates(ctx: Context, models: int) -> list[str]:
    """Certify ``models`` different models through the whole workflow; their ids."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from service_helpers import as_user, certify

    ids = []
    for k in range(models):
        text = MODEL.format(k=k, kwh=10 + k, kg=k)
        request = certification.ApplyRequest(
            model=ModelInput(name=f"widget-{k}.yaml", text=text),
            pcr_id="electronics-itu-l1410",
            pcr_version="1.0",
            release="R1",
        )
        application_id = certification.apply(as_user(ctx, "applicant"), request).id
        certify(ctx, application_id)
        ids.append(application_id)
    return ids


def clone(ctx: Context, templates: list[str], total: int, batch: int = 1000) -> None:
    """Copies of the certified templates (new ids) up to ``total`` certified applications."""
    with ctx.unit_of_work() as session:
        apps = {
            r.id: r
            for r in session.scalars(select(ApplicationRow).where(ApplicationRow.id.in_(templates)))
        }
        versions_ = {}
        for r in session.scalars(
            select(ModelVersionRow).where(ModelVersionRow.application_id.in_(templates))
        ):
            versions_.setdefault(r.application_id, []).append(r)
        rows, model_rows = [], []
        for n in range(total - len(templates)):
            template = apps[templates[n % len(templates)]]
            application_id, certificate_id = f"APP-BENCH-{n:06d}", f"CERT-BENCH-{n:06d}"
            record = dict(template.record, id=application_id, certificate_id=certificate_id)
            rows.append(
                {
                    "id": application_id,
                    "applicant_id": template.applicant_id,
                    "product_id": template.product_id,
                    "label_type": template.label_type,
                    "state": template.state,
                    "certificate_id": certificate_id,
                    "record": record,
                    "updated_at": template.updated_at,
                    "version": template.version,
                }
            )
            for v in versions_.get(template.id, []):
                model_rows.append(
                    {
                        "application_id": application_id,
                        "version": v.version,
                        "model_sha256": v.model_sha256,
                        "model_text": v.model_text,
                        "total_kg_co2e": v.total_kg_co2e,
                        "footprint": v.footprint,
                        "created_at": v.created_at,
                    }
                )
            if len(rows) >= batch:
                session.execute(insert(ApplicationRow), rows)
                session.execute(insert(ModelVersionRow), model_rows)
                rows, model_rows = [], []
        if rows:
            session.execute(insert(ApplicationRow), rows)
            session.execute(insert(ModelVersionRow), model_rows)


def run(args: argparse.Namespace) -> dict[str, Any]:
    results: dict[str, Any] = {
        "date": dt.date.today().isoformat(),
        "arguments": vars(args),
        "cpus": cpus(),
        "versions": versions(),
        "load_average_start": os.getloadavg()[0],
    }
    with tempfile.TemporaryDirectory(prefix="tanzuji-recheck-") as tmp:
        url = args.postgres or f"sqlite:///{tmp}/bench.db"
        results["database"] = "postgresql" if args.postgres else "sqlite"
        ctx = context(url, Path(tmp) / "data")
        database = ctx.factor_database()
        database.add_records([GRID], "mee", status="published", reviewer="Li")
        factors.create_release(ctx, "R1")
        start = time.perf_counter()
        templates = certify_templates(ctx, args.models)
        results["certify_templates_s"] = time.perf_counter() - start
        start = time.perf_counter()
        clone(ctx, templates, args.certificates)
        results["clone_s"] = time.perf_counter() - start
        database.new_version(GRID["id"], {"gases": CORRECTED})
        database.set_status(GRID["id"], 2, "under_review", "Chen")
        database.set_status(GRID["id"], 2, "published", "Li")
        factors.create_release(ctx, "R2")
        print(
            f"setup: {args.models} models certified in {results['certify_templates_s']:.1f} s, "
            f"cloned to {args.certificates:,} in {results['clone_s']:.1f} s",
            flush=True,
        )
        reported: list[tuple[float, int]] = []
        start = time.perf_counter()
        result = recheck_service.recheck_release(
            ctx,
            recheck_service.ReleaseRecheckRequest(release="R2", threshold_percent=args.threshold),
            progress=lambda done, total: reported.append((time.perf_counter() - start, done)),
        )
        seconds = time.perf_counter() - start
        results["grouped"] = {
            "seconds": seconds,
            "compare_seconds": result.seconds,
            "read_seconds": seconds - result.seconds,
            "checked": result.checked,
            "models": result.models,
            "affected": result.affected,
            "moved": len(result.moved),
            "threshold_percent": result.threshold_percent,
            "certificates_per_s": result.checked / seconds,
            "progress_calls": len(reported),
        }
        print(
            f"grouped recheck: {result.checked:,} certificates ({result.models} models) in "
            f"{seconds:.1f} s (reading {seconds - result.seconds:.1f} s); {result.affected:,} "
            f"affected, {len(result.moved):,} moved > {result.threshold_percent:g} %",
            flush=True,
        )
        with ctx.unit_of_work(write=False) as session:
            sample = CertificationRepository(session).applications()[: args.sample]
        pinned = ctx.with_release("R2")
        start = time.perf_counter()
        rows = recheck_one_by_one(
            sample, pinned.factors.source, matcher=pinned.factors.matcher, files={}
        )
        one_s = time.perf_counter() - start
        per_s = len(sample) / one_s
        results["one_by_one"] = {
            "sample": len(sample),
            "seconds": one_s,
            "certificates_per_s": per_s,
            "extrapolated_seconds": result.checked / per_s,
            "affected_in_sample": len(rows),
        }
        results["ratio"] = (result.checked / per_s) / seconds
        print(
            f"one by one: {len(sample)} certificates in {one_s:.1f} s ({per_s:.1f}/s) -> "
            f"{result.checked / per_s:.0f} s for all; grouped is {results['ratio']:.0f}x faster",
            flush=True,
        )
    results["load_average_end"] = os.getloadavg()[0]
    return results


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="200 certificates of 4 models")
    parser.add_argument("--certificates", type=int, default=10_000)
    parser.add_argument("--models", type=int, default=20)
    parser.add_argument("--sample", type=int, default=100)
    parser.add_argument(
        "--threshold",
        type=float,
        default=2.0,
        help="percent (2: the first models of the bench move beyond it, the later ones not)",
    )
    parser.add_argument("--postgres", type=str, default=None, help="URL of an empty database")
    parser.add_argument("--no-save", action="store_true")
    args = parser.parse_args(argv)
    if args.quick:
        args.certificates, args.models, args.sample = 200, 4, 10
    results = run(args)
    if not args.no_save:
        RESULTS.mkdir(exist_ok=True)
        name = f"recheck-{results['date']}{'-quick' if args.quick else ''}.json"
        (RESULTS / name).write_text(json.dumps(results, indent=2, default=str) + "\n")
        print(f"written to {RESULTS / name}")
    return results


if __name__ == "__main__":
    main()
