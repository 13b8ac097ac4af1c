"""The ``tanzuji`` command line (an edge: it parses, calls a service, renders).

Sub-commands live in one module each and register themselves on :data:`app`; each builds its
:class:`~tanzuji.context.Context` with :func:`tanzuji.cli.app.context` and calls
:mod:`tanzuji.services`. Every
:class:`~tanzuji.errors.TanzujiError` becomes a one-paragraph message on stderr and exit code 1;
never a traceback. With ``--json`` on the command line the error is printed instead as the one
JSON error shape of :meth:`~tanzuji.errors.TanzujiError.to_dict` (one line on stderr), so
scripts read the same error whatever the command.
"""

from __future__ import annotations

import json
import sys

from rich.markup import escape

from tanzuji.cli.app import app, console_err
from tanzuji.errors import TanzujiError

# Sub-command modules register on import.
from tanzuji.cli import calc as _calc  # noqa: F401  isort: skip
from tanzuji.cli import demo as _demo  # noqa: F401  isort: skip
from tanzuji.cli import factors as _factors  # noqa: F401  isort: skip
from tanzuji.cli import certify as _certify  # noqa: F401  isort: skip
from tanzuji.cli import ledger as _ledger  # noqa: F401  isort: skip
from tanzuji.cli import organisations as _organisations  # noqa: F401  isort: skip
from tanzuji.cli import admin as _admin  # noqa: F401  isort: skip
from tanzuji.cli import pcr as _pcr  # noqa: F401  isort: skip
from tanzuji.cli import library as _library  # noqa: F401  isort: skip
from tanzuji.cli import model as _model  # noqa: F401  isort: skip
from tanzuji.cli import report as _report  # noqa: F401  isort: skip
from tanzuji.cli import pact as _pact  # noqa: F401  isort: skip
from tanzuji.cli import serve as _serve  # noqa: F401  isort: skip

from tanzuji.cli import batch as _batch  # noqa: F401  isort: skip
from tanzuji.cli import audit as _audit  # noqa: F401  isort: skip


def report_error(exc: TanzujiError, as_json: bool) -> None:
    """Print ``exc`` on stderr: its JSON shape, or one readable paragraph."""
    if as_json:
        sys.stderr.write(json.dumps(exc.to_dict(), ensure_ascii=False) + "\n")
        return
    # escape: messages quote user input and names such as [mass], not rich markup
    console_err.print(
        f"[bold red]error 错误[/] {escape(str(exc))}", highlight=False, soft_wrap=True
    )


def main() -> None:
    """Entry point of the ``tanzuji`` script."""
    try:
        app()
    except TanzujiError as exc:
        report_error(exc, "--json" in sys.argv[1:])
        sys.exit(1)


__all__ = ["app", "main"]
