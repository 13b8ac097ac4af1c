"""Alembic environment: run revisions on the connection handed in by ``tanzuji.store.db``.

:func:`tanzuji.store.db.upgrade` passes an open connection in ``config.attributes``; the
``alembic`` command line (``alembic -c ...``) falls back to ``sqlalchemy.url``.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

import tanzuji.store.certify_tables  # registers the certification tables on Base.metadata
import tanzuji.store.factors  # noqa: F401  (registers the factor tables on Base.metadata)
from tanzuji.errors import StoreUnavailable
from tanzuji.store.db import load_all_tables
from tanzuji.store.search import include_name

config = context.config
target_metadata = load_all_tables()  # every table module of tanzuji.store, for autogenerate


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        include_name=include_name,  # the search index is derived data, not modelled
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    url = config.get_main_option("sqlalchemy.url")
    if url is None:
        raise StoreUnavailable(
            "no database to migrate: give alembic a sqlalchemy.url option; "
            "没有可迁移的数据库：请设置 sqlalchemy.url"
        )
    with create_engine(url).begin() as own:
        _run(own)
