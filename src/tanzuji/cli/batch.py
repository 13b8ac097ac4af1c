"""``tanzuji batch``, ``tanzuji intensities``, ``tanzuji batch-runs`` and
``tanzuji batch-results`` — footprints of many product variants, and runs stored in the
database.

Parse, call :mod:`tanzuji.services.batch`, render; the long input format is in docs/scale.md.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
from rich.table import Table

from tanzuji.cli.app import app, console, console_err, context
from tanzuji.cli.inputs import model_input
from tanzuji.services import batch as batch_service


@contextmanager
def rows_progress(show: bool) -> Iterator[Callable[[int, int | None], None]]:
    """A rich progress bar over rows; yields ``progress(done, total)``."""
    if not show:
        yield lambda done, total: None
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console_err,
        transient=True,
    ) as bar:
        task = bar.add_task("rows 行", total=None)

        def advance(done: int, total: int | None) -> None:
            bar.update(task, completed=done, total=total)

        yield advance


@app.command()
def batch(
    variants: str = typer.Argument(
        ...,
        help="Variants in the long format (variant_id, input_id, amount): a .parquet or .csv "
        "file, or db:TABLE / db:SCHEMA.TABLE, a table or view of the database.",
    ),
    model: Path = typer.Option(..., "--model", help="Product model file (YAML or JSON)."),
    out: Path = typer.Option(None, "--out", help="Parquet file of the results."),
    to_db: bool = typer.Option(
        False,
        "--to-db",
        help="Also store the results in the database (a run in batch_runs, its rows in "
        "batch_results; see tanzuji batch-runs).",
    ),
    release: str = typer.Option(
        None, "--release", help="Factor release (default: setting factor_release)."
    ),
    gwp: str = typer.Option(None, "--gwp", help="GWP100 set: AR4, AR5 or AR6."),
    by_gas: bool = typer.Option(False, "--by-gas", help="Also one column per gas."),
    chunk_rows: int = typer.Option(
        None, "--chunk-rows", min=1, help="Rows per chunk (default: setting batch_chunk_rows)."
    ),
    distributed: bool = typer.Option(
        False,
        "--distributed",
        help="Run the chunks on dask.distributed (setting dask_scheduler, else a LocalCluster).",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the run summary as JSON."),
) -> None:
    """Footprints of product variants, streamed in chunks (产品变体批量碳足迹)."""
    ctx = context(need_database=to_db or variants.startswith("db:"))
    request = batch_service.BatchRequest(
        model=model_input(model, ctx.limits),
        release=release,
        gwp_set=gwp,
        variants=variants,
        out=str(out) if out else None,
        to_database=to_db,
        by_gas=by_gas,
        chunk_rows=chunk_rows,
        distributed=distributed,
    )
    with rows_progress(show=not as_json) as advance:
        result = batch_service.run_batch(ctx, request, progress=advance)
    if as_json:
        typer.echo(result.model_dump_json(indent=2))
        return
    rate = result.variants / result.seconds if result.seconds else 0.0
    places = [p for p in (result.out, result.run_id and f"database run {result.run_id}") if p]
    console.print(
        f"{result.variants:,} variants ({result.rows:,} rows, {result.chunks} chunks) in "
        f"{result.seconds:.1f} s ({rate:,.0f} variants/s) written to {' and '.join(places)}\n"
        f"snapshot 快照 {result.snapshot_key[:16]} (release {result.release}, "
        f"intensities from {result.cache})",
        highlight=False,
    )


@app.command(name="batch-runs")
def batch_runs(
    limit: int = typer.Option(20, "--limit", min=1, help="Newest runs to list."),
    as_json: bool = typer.Option(False, "--json", help="Print the runs as JSON."),
) -> None:
    """Batch runs stored in the database, newest first (数据库中的批量计算记录)."""
    ctx = context(need_database=True)
    result = batch_service.list_batch_runs(ctx, batch_service.BatchRunsRequest(limit=limit))
    if as_json:
        typer.echo(result.model_dump_json(indent=2))
        return
    table = Table()
    table.add_column("run 运行", justify="right")
    for column in ("status 状态", "started (UTC)", "variants", "release", "source 来源"):
        table.add_column(column)
    for run in result.runs:
        table.add_row(
            str(run.id),
            run.status,
            f"{run.created_at:%Y-%m-%d %H:%M:%S}",
            f"{run.variants:,}",
            run.release,
            run.source,
        )
    console.print(table)
    for run in result.runs:
        if run.error:
            console.print(f"{run.id} failed 失败: {run.error}", highlight=False)


@app.command(name="batch-results")
def batch_results(
    run_id: int = typer.Argument(..., help="A run id (tanzuji batch-runs lists them)."),
    out: Path = typer.Option(
        None, "--out", help="Write all the run's results to this Parquet file."
    ),
    offset: int = typer.Option(0, "--offset", min=0, help="Without --out: first variant shown."),
    limit: int = typer.Option(20, "--limit", min=1, help="Without --out: variants shown."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """The results of a batch run stored in the database: shown, or all to Parquet
    (读取数据库中的批量计算结果)."""
    ctx = context(need_database=True)
    if out is not None:
        with rows_progress(show=not as_json) as advance:
            exported = batch_service.export_batch_results(
                ctx, batch_service.BatchExportRequest(run_id=run_id, out=str(out)), advance
            )
        if as_json:
            typer.echo(exported.model_dump_json(indent=2))
            return
        console.print(
            f"{exported.variants:,} variants of run {run_id} written to {exported.out}",
            highlight=False,
        )
        return
    page = batch_service.read_batch_results(
        ctx, batch_service.BatchResultsRequest(run_id=run_id, offset=offset, limit=limit)
    )
    if as_json:
        typer.echo(page.model_dump_json(indent=2))
        return
    run = page.run
    table = Table(
        title=f"run 运行 {run.id} · {run.variants:,} variants · release {run.release} · "
        f"{run.gwp_set} · snapshot 快照 {run.snapshot_key[:16]}"
    )
    table.add_column("variant_id 变体")
    table.add_column("kg CO2e", justify="right")
    for gas in run.gases:
        table.add_column(f"kg CO2e {gas}", justify="right")
    for record in page.results:
        cells = [f"{record.by_gas[g]:.6g}" for g in run.gases]
        table.add_row(str(record.variant_id), f"{record.kg_co2e:.6g}", *cells)
    console.print(table)


@app.command()
def intensities(
    model: Path = typer.Argument(..., help="Product model file (YAML or JSON)."),
    release: str = typer.Option(
        None, "--release", help="Factor release (default: setting factor_release)."
    ),
    gwp: str = typer.Option(None, "--gwp", help="GWP100 set: AR4, AR5 or AR6."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """The inputs a batch variant may name, with kg CO2e per unit (单位强度)."""
    ctx = context()
    request = batch_service.SnapshotRequest(
        model=model_input(model, ctx.limits), release=release, gwp_set=gwp
    )
    result = batch_service.snapshot_intensities(ctx, request)
    if as_json:
        typer.echo(json.dumps(result.model_dump(mode="json"), ensure_ascii=False, indent=2))
        return
    table = Table(
        title=f"snapshot 快照 {result.key[:16]} · release {result.release} · {result.gwp_set} · "
        f"from {result.cache}"
    )
    table.add_column("input_id 输入")
    table.add_column("unit 单位")
    table.add_column("kg CO2e / unit", justify="right")
    for row in result.inputs:
        table.add_row(row.id, row.unit, f"{row.kg_co2e_per_unit:.6g}")
    console.print(table)


@app.command(name="recheck-release")
def recheck_release(
    release: str = typer.Argument(..., help="The new factor release."),
    threshold: float = typer.Option(
        None,
        "--threshold",
        min=0.0,
        help="Percent change that lists a certificate (default: recheck_threshold_percent).",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Recheck every certificate against a new factor release, one computation per model
    (新因子发布后批量复核证书)."""
    from tanzuji.services import recheck as recheck_service

    ctx = context(need_database=True)
    request = recheck_service.ReleaseRecheckRequest(release=release, threshold_percent=threshold)
    with rows_progress(show=not as_json) as advance:
        result = recheck_service.recheck_release(ctx, request, progress=advance)
    if as_json:
        typer.echo(result.model_dump_json(indent=2))
        return
    console.print(
        f"{result.checked:,} certificates ({result.models:,} models) rechecked against "
        f"release {result.release} in {result.seconds:.1f} s: {result.affected:,} use changed "
        f"factors, {len(result.moved):,} moved by more than {result.threshold_percent:g} % "
        f"(超出阈值), {len(result.problems):,} cannot be recomputed",
        highlight=False,
    )
    if result.moved or result.problems:
        table = Table()
        for column in ("certificate 证书", "certified", "recomputed", "change %", "factors"):
            table.add_column(column)
        for row in [*result.moved, *result.problems]:
            table.add_row(
                row.certificate_id,
                f"{row.certified_kg_co2e:.6g}",
                "-" if row.recomputed_kg_co2e is None else f"{row.recomputed_kg_co2e:.6g}",
                "-" if row.delta_percent is None else f"{row.delta_percent:+.2f}",
                ", ".join(row.changed_factors) or (row.problem or ""),
            )
        console.print(table)
