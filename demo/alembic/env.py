"""Alembic environment of the FinGood demo.

The database comes from DEMO_DATABASE_URL, a SQLAlchemy URL with the psycopg 3 driver:
postgresql+psycopg://USER:PASSWORD@HOST:PORT/DB. It is never written to a file nor printed
with its password.
"""

import os
import sys

from alembic import context
from sqlalchemy import create_engine, pool
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

config = context.config

if config.config_file_name is not None:
    from logging.config import fileConfig

    fileConfig(config.config_file_name)

# The migrations are hand-written (op.create_table, op.execute); there is no model to compare with.
target_metadata = None


def database_url():
    raw = os.environ.get("DEMO_DATABASE_URL", "").strip()
    if not raw:
        sys.exit("DEMO_DATABASE_URL is not set: export it as postgresql+psycopg://USER:PASSWORD@HOST:PORT/DB")
    try:
        url = make_url(raw)
    except ArgumentError:
        sys.exit("DEMO_DATABASE_URL is not a database URL: expected postgresql+psycopg://USER:PASSWORD@HOST:PORT/DB")
    if url.drivername != "postgresql+psycopg":
        sys.exit(
            f"DEMO_DATABASE_URL uses {url.drivername!r}: the demo needs psycopg 3, "
            "postgresql+psycopg://USER:PASSWORD@HOST:PORT/DB"
        )
    return url


def run_migrations_offline():
    """`alembic upgrade --sql`: writes the SQL instead of running it."""
    context.configure(
        url=database_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    engine = create_engine(database_url(), poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            context.configure(
                connection=connection,
                target_metadata=target_metadata,
                # One transaction per revision: a failed revision leaves the ones before it applied
                # and alembic_version pointing at the last good one.
                transaction_per_migration=True,
            )
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
