"""Alembic revision scripts, applied in order by ``tanzuji.store.db.upgrade``."""
