"""``tanzuji model`` — product models: import a whole product system from another tool."""

from __future__ import annotations

from pathlib import Path

import typer

from tanzuji.cli.app import app, console, context
from tanzuji.cli.inputs import read_bytes
from tanzuji.errors import ModelError
from tanzuji.factors.importers import limits as import_limits
from tanzuji.library.sources import members
from tanzuji.services import modelling
from tanzuji.services.library import PackageFile, package_of

model_app = typer.Typer(
    help="Product models 产品模型: import from openLCA or SimaPro.", no_args_is_help=True
)
app.add_typer(model_app, name="model")


@model_app.command("import")
def import_(
    source: Path = typer.Argument(
        ..., help="openLCA JSON-LD (zip, folder or .json) or SimaPro CSV export."
    ),
    out: Path = typer.Option(..., "--out", help="Model file to write (YAML)."),
    force: bool = typer.Option(False, "--force", help="Overwrite OUT if it exists."),
) -> None:
    """Import a product system into a Tanzuji model file (导入产品系统为模型文件)."""
    if out.exists() and not force:
        raise ModelError(f"{out} exists; choose another --out or pass --force to overwrite it")
    ctx = context()
    if source.is_dir():
        with import_limits.applied(ctx.limits):
            files = package_of(list(members(source)))
    else:
        content = read_bytes(source, "product system export", ModelError, ctx.limits)
        files = [PackageFile(location=str(source), name=source.name, content=content)]
    request = modelling.ProductSystemImportRequest(name=str(source), files=files)
    imported = modelling.import_product_system_file(ctx, request)
    out.write_text(imported.text, encoding="utf-8")
    console.print(f"wrote 已写入 {out}: {imported.processes} process(es) 个过程", highlight=False)
    for note in imported.notes:
        console.print(f"  note 注意: {note}", markup=False, highlight=False)
