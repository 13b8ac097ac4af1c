"""Persistence (an edge module): SQLAlchemy 2 tables and Alembic migrations.

SQLite file in ``data_dir`` by default; PostgreSQL (psycopg 3) through the ``database_url``
setting (``TANZUJI_DATABASE_URL``). :mod:`tanzuji.store.db` opens databases and migrates them;
:mod:`tanzuji.store.factors` holds the emission-factor tables.
"""
