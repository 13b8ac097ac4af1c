"""``tanzuji db | settings`` — the database schema and the settings in force."""

from __future__ import annotations

import json

import typer
from rich.markup import escape
from rich.table import Table

from tanzuji import settings
from tanzuji.cli.app import app, console
from tanzuji.store import db

db_app = typer.Typer(help="The database 数据库: schema migrations.", no_args_is_help=True)
app.add_typer(db_app, name="db")


def _database() -> db.Database:
    """The database the settings name (not checked: these commands migrate or inspect it)."""
    snapshot = settings.load()
    url = str(snapshot.database_url or "")
    timeout = int(snapshot.database_busy_timeout_ms)
    if url:
        return db.database_for(url, busy_timeout_ms=timeout)
    embedded = db.database_url(None, snapshot.data_path)
    return db.database_for(embedded, embedded=True, busy_timeout_ms=timeout)


@db_app.command("upgrade")
def db_upgrade(
    revision: str = typer.Option("head", "--revision", help="Target revision (default newest)."),
) -> None:
    """Create or migrate the database schema to this version of Tanzuji (升级数据库)."""
    database = _database()
    before = database.revision()
    database.upgrade(revision)
    after = database.revision()
    change = "already at" if before == after else f"{before or 'empty'} ->"
    console.print(f"database {database.display_url}: {change} {after}", highlight=False)


@db_app.command("status")
def db_status() -> None:
    """The database, its schema revision and the newest this version ships (数据库状态)."""
    snapshot = settings.load()
    url = str(snapshot.database_url or "")
    if not url and not db.default_sqlite_path(snapshot.data_path).is_file():
        console.print(
            f"no database yet at {db.default_sqlite_path(snapshot.data_path)} (created on first "
            "use, or by `tanzuji db upgrade`)",
            highlight=False,
        )
        return
    database = _database()
    found, head = database.revision(), db.head_revision()
    state = "up to date 最新" if found == head else "behind 需升级: run `tanzuji db upgrade`"
    console.print(
        f"database {database.display_url}: revision {found or 'none'}, newest {head} — {state}",
        highlight=False,
    )


@app.command("settings")
def settings_command(
    as_json: bool = typer.Option(False, "--json", help="Print the settings as JSON."),
) -> None:
    """Every setting: name, value, source (default, config file, environment) and help (设置)."""
    rows = settings.load().describe()
    if as_json:
        typer.echo(
            json.dumps(
                [
                    {
                        "name": r.name,
                        "value": r.value,
                        "source": r.source,
                        "default": r.default,
                        "unit": r.unit,
                        "type": r.type_name,
                        "env_var": r.env_var,
                        "help": r.help,
                    }
                    for r in rows
                ],
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    table = Table(title="settings 设置", show_lines=False)
    for header in ("name 名称", "value 值", "source 来源", "unit", "help 说明"):
        table.add_column(header, overflow="fold")
    for r in rows:
        table.add_row(r.name, escape(str(r.value)), r.source, r.unit, escape(r.help))
    console.print(table)
