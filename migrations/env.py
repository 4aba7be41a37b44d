"""Alembic environment: runs migrations on the async engine named by `sqlalchemy.url`."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import text
from sqlalchemy.engine import Connection

import models
from models.session import create_engine

config = context.config
target_metadata = models.Base.metadata


# Instances started together must not both migrate: the first takes this lock, the others wait
# for its commit and then find the schema at head. Any fixed 64-bit number will do.
MIGRATION_LOCK_KEY = 0x546F756368  # "Touch"


def _lock_out_other_instances(connection: Connection) -> None:
    """Hold the database's migration lock until the upgrade commits.

    Taken before Alembic looks at the version table; the transaction it opens becomes the one
    all migrations run in.
    """
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
    elif connection.dialect.name == "sqlite":
        # The write lock at once, not at the first write: a second process waits here (up to
        # the connection's 30-second timeout) instead of creating the same tables.
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def _run(connection: Connection) -> None:
    _lock_out_other_instances(connection)
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_async() -> None:
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "")
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run)
            await connection.commit()
    finally:
        await engine.dispose()


if context.is_offline_mode():
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()
else:
    asyncio.run(_run_async())
