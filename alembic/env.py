"""Alembic environment: the schema comes from these migrations, never from create_all."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import models  # noqa: F401  (registers every table on SQLModel.metadata)
from portal.db import migration_engine
from portal.settings import get_settings

target_metadata = SQLModel.metadata


def _url() -> str:
    return context.config.attributes.get("database_url") or get_settings().database_url


def run_migrations_offline() -> None:
    context.configure(
        url=_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connectable = migration_engine(_url())
    with connectable.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=True,
            compare_type=True,
            # One transaction for the whole upgrade, on SQLite too (whose driver the
            # migration engine stops from committing DDL on its own).
            transactional_ddl=True,
        )
        with context.begin_transaction():
            context.run_migrations()
            if connection.dialect.name == "sqlite":
                # Keys are off while SQLite rebuilds tables (portal.db.migration_engine):
                # nothing may commit that leaves a row pointing at nothing.
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(
                        "the upgrade was not applied: these rows point at rows that do not "
                        f"exist (table, row, referenced table, key): {broken[:10]}"
                    )


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
