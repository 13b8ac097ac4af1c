"""The ``tanzuji`` command line (an edge: it orchestrates, the core computes).

Sub-commands live in one module each and register themselves on :data:`app`. Every
:class:`~tanzuji.errors.TanzujiError` becomes a one-paragraph message on stderr and exit code 1;
never a traceback.
"""

from __future__ import annotations

import sys

from tanzuji.cli.app import app, console_err
from tanzuji.errors import TanzujiError

# Sub-command modules register on import.
from tanzuji.cli import calc as _calc  # noqa: F401  isort: skip
from tanzuji.cli import demo as _demo  # noqa: F401  isort: skip
from tanzuji.cli import factors as _factors  # noqa: F401  isort: skip
from tanzuji.cli import pcr as _pcr  # noqa: F401  isort: skip


def main() -> None:
    """Entry point of the ``tanzuji`` script."""
    try:
        app()
    except TanzujiError as exc:
        console_err.print(f"[bold red]error 错误[/] {exc}", highlight=False, soft_wrap=True)
        sys.exit(1)


__all__ = ["app", "main"]
