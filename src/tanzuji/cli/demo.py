"""``tanzuji demo`` — the main job of ``make run``: the demo products end to end."""

from __future__ import annotations

from pathlib import Path

import typer

from tanzuji.cli.app import app, console
from tanzuji.cli.calc import By, default_factor_source, print_footprint
from tanzuji.footprint import calculate
from tanzuji.model.files import load_model

#: Steps other modules add to the demo (factor database load, certification ...), in order.
#: Each is a callable ``(examples_dir: Path) -> None``.
DEMO_STEPS: list = []


def examples_dir() -> Path:
    """The ``examples/`` folder of the source checkout."""
    return Path(__file__).resolve().parents[3] / "examples"


@app.command()
def demo(
    examples: Path = typer.Option(None, help="Folder of example models (default: examples/)."),
) -> None:
    """Run the demo: footprints of the example products by life-cycle stage (演示)."""
    folder = examples or examples_dir()
    models = sorted(folder.glob("*.yaml"))
    if not models:
        raise typer.BadParameter(f"no example models (*.yaml) in {folder}")
    for step in DEMO_STEPS:
        step(folder)
    for path in models:
        console.rule(f"[bold]{path.name}")
        footprint = calculate(load_model(path), factor_source=default_factor_source())
        print_footprint(footprint, By.stage)
