"""The Typer application object shared by the sub-command modules."""

from __future__ import annotations

import typer
from rich.console import Console

app = typer.Typer(
    name="tanzuji",
    help="Tanzuji 碳足迹 — product carbon footprints (ISO 14067) and label certification.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
console_err = Console(stderr=True)


@app.callback()
def _root() -> None:
    """Tanzuji 碳足迹 — product carbon footprints (ISO 14067) and label certification."""
