"""The Typer application shared by the sub-command modules, and how a command gets its Context.

A command parses its arguments, builds one :class:`~tanzuji.context.Context` with
:func:`context` (the settings are read here, once, at the edge), calls a service and renders
the result. Nothing else in a command: no orchestration, no database session, no file
written except the output the user asked for.
"""

from __future__ import annotations

import os
from pathlib import Path

import typer
from rich.console import Console

from tanzuji import settings
from tanzuji.certify.keys import open_key_provider
from tanzuji.context import Context

app = typer.Typer(
    name="tanzuji",
    help="Tanzuji 碳足迹 — product carbon footprints (ISO 14067) and label certification.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
console_err = Console(stderr=True)

#: The participants file of earlier versions, imported once into the database.
PARTICIPANTS_FILE = "participants.yaml"


@app.callback()
def _root() -> None:
    """Tanzuji 碳足迹 — product carbon footprints (ISO 14067) and label certification."""


def context(
    *,
    actor: str | None = None,
    need_database: bool = False,
    release: str | None = None,
) -> Context:
    """The Context of this command: settings read now, database opened (and checked) once,
    signing keys chosen from the environment (a secret key when ``TANZUJI_SIGNING_KEY`` or
    ``TANZUJI_SIGNING_KEY_FILE`` is set, else the key files in ``data_dir/keys``).

    Parameters
    ----------
    actor : str, optional
        The user named with ``--as`` (looked up in the database).
    need_database : bool
        Create the embedded database when it does not exist yet.
    release : str, optional
        Pin the factors to this release (default: setting ``factor_release``).
    """
    snapshot = settings.load()
    ctx = Context.from_settings(
        snapshot,
        release=release,
        need_database=need_database or actor is not None,
        keys=open_key_provider(snapshot.data_path / "keys", os.environ),
    )
    if ctx.database is not None:
        migrate_participants_file(ctx)
    return ctx.with_user(actor) if actor else ctx


def migrate_participants_file(ctx: Context) -> None:
    """Import ``<data_dir>/participants.yaml`` once into empty organisation tables; rename it."""
    from tanzuji.services import organisations

    path = ctx.data_dir / PARTICIPANTS_FILE
    if not path.is_file():
        return
    done = organisations.import_participants(ctx, path.read_bytes(), str(path), only_if_empty=True)
    if done is None:
        target = path.with_name(PARTICIPANTS_FILE + ".unused")
        path.rename(target)
        console_err.print(
            f"note 注意: {path} was not imported (the database already has organisations); "
            f"kept as {target}. Users live in the database now: `tanzuji user list`.",
            highlight=False,
        )
        return
    target = path.with_name(PARTICIPANTS_FILE + ".imported")
    path.rename(target)
    console_err.print(
        f"note 注意: imported {len(done.organisations)} organisation(s) and {len(done.users)} "
        f"user(s) from {path} into the database (renamed to {target}); `--as USER` now names "
        "a user of `tanzuji user list` / 参与方已导入数据库",
        highlight=False,
    )


def write_output(content: bytes, out: Path, what: str, *, quiet: bool = False) -> Path:
    """Write ``content`` to ``out`` (folders made) and say so (unless ``quiet``: stdout
    carries JSON)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(content)
    if not quiet:
        console.print(f"{what} written to {out}", highlight=False)
    return out


def echo_or_write(text: str, out: Path | None, what: str) -> None:
    """``text`` to stdout, or to the file ``out`` (saying so)."""
    if out is None:
        typer.echo(text)
    else:
        write_output((text + "\n").encode("utf-8"), out, what)
