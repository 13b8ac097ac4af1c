"""Alembic environment and revisions of the Tanzuji database (see docs/factors.md)."""
