"""The schema comes only from Alembic, and the models agree with it."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

import models  # noqa: F401
from portal.db import engine_for
from portal.migrations import alembic_config, upgrade


@pytest.fixture
def empty_url(databases, tmp_path):
    """An empty database of this run's kind (SQLite, or PostgreSQL in `make test-cluster`)."""
    url = databases.empty(tmp_path)
    yield url
    databases.drop(url)


def test_autogenerate_finds_no_difference_between_models_and_migrations(empty_url):
    url = empty_url
    upgrade(url)
    with engine_for(url).connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, SQLModel.metadata)
    engine_for(url).dispose()
    assert diff == []


def test_migrations_go_down_and_up_again(empty_url):
    url = empty_url
    upgrade(url)
    command.downgrade(alembic_config(url), "base")
    assert set(inspect(engine_for(url)).get_table_names()) <= {"alembic_version"}
    upgrade(url)
    assert "step" in inspect(engine_for(url)).get_table_names()
    engine_for(url).dispose()


def test_the_app_never_creates_tables_itself():
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    offenders = [
        str(path.relative_to(root))
        for folder in ("portal", "models", "state", "pages")
        for path in (root / folder).rglob("*.py")
        if "create_all(" in path.read_text()
    ]
    assert offenders == []


def test_clients_made_before_the_search_key_are_found_after_the_upgrade(tmp_path):
    from sqlalchemy import text

    url = f"sqlite:///{tmp_path / 'old.db'}"
    command.upgrade(alembic_config(url), "0003")
    engine = engine_for(url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO firm (id, name, staff_seats, filing_steps_enabled, portal_enabled, "
                "created_at, updated_at, version) VALUES (1, 'Old firm', 3, 1, 1, '2026-01-01', "
                "'2026-01-01', 1)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO client (firm_id, name, business_number, name_key, bn_key, "
                "contact_name, contact_email, phone, address, notes, created_at, updated_at, "
                "version) VALUES (1, 'Grüne  Wiese GmbH', '98765 4321', 'x', 'x', 'Ana Díaz', "
                "'', '', '', '', '2026-01-01', '2026-01-01', 1)"
            )
        )
    upgrade(url)
    with engine.connect() as conn:
        key = conn.execute(text("SELECT search_key FROM client")).scalar_one()
    engine.dispose()
    assert key.split("\x1f") == ["grüne wiese gmbh", "98765 4321", "987654321", "ana díaz"]


def _one_row_in_every_table(engine) -> dict[str, int]:
    """Fill a database at an old revision with one row per table, every foreign key pointing
    at the row of the table it names: the shape of any firm's data, in miniature."""
    from datetime import date, datetime

    from sqlalchemy import MetaData

    def value(column):
        if column.foreign_keys or column.primary_key:
            return 1
        try:
            kind = column.type.python_type
        except NotImplementedError:
            return "x"
        samples = {int: 1, float: 1.0, bool: True, date: date(2026, 1, 5)}
        samples[datetime] = datetime(2026, 1, 5, 9, 30)
        return samples.get(kind, "x")

    metadata = MetaData()
    metadata.reflect(engine)
    with engine.begin() as conn:
        for table in metadata.sorted_tables:
            if table.name == "alembic_version":
                continue
            conn.execute(table.insert().values({c.name: value(c) for c in table.columns}))
    return {t.name: 1 for t in metadata.sorted_tables if t.name != "alembic_version"}


def test_a_database_with_data_in_it_upgrades_to_the_latest_schema(tmp_path):
    """A firm that ran an earlier version has rows that point at each other. Changing a
    table on SQLite rebuilds it, and with foreign keys on, dropping the old table under
    rows that point at it failed: `make run` on an existing data folder could not start.
    The upgrade must keep every row and leave no reference broken."""
    from sqlalchemy import text

    url = f"sqlite:///{tmp_path / 'in-use.db'}"
    command.upgrade(alembic_config(url), "0001")
    engine = engine_for(url)
    rows = _one_row_in_every_table(engine)
    assert {"client", "filing", "step", "user_account"} <= set(rows)

    upgrade(url)

    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == (
            command.ScriptDirectory.from_config(alembic_config(url)).get_current_head()
        )
        for table, count in rows.items():
            # Table names from the reflected schema, not from input.
            counted = conn.execute(text(f'SELECT count(*) FROM "{table}"'))  # noqa: S608
            assert counted.scalar_one() == count
        assert conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall() == []
        # The app's connections still enforce the keys after an upgrade.
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1
    engine.dispose()


def test_an_upgrade_that_fails_changes_nothing(tmp_path):
    """A database whose rows already point at nothing cannot be upgraded safely: the upgrade
    stops with the reason, and the database is left exactly as it was (no table of the new
    schema half made), so the old version still runs on it."""
    from sqlalchemy import inspect, text

    url = f"sqlite:///{tmp_path / 'broken.db'}"
    command.upgrade(alembic_config(url), "0001")
    engine = engine_for(url)
    _one_row_in_every_table(engine)
    with engine.begin() as conn:
        conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
    with engine.begin() as conn:
        conn.execute(text("UPDATE filing SET client_id = 999"))
    before = sorted(inspect(engine).get_table_names())
    engine.dispose()

    with pytest.raises(RuntimeError, match="point at rows that do not exist"):
        upgrade(url)

    engine = engine_for(url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == "0001"
    assert sorted(inspect(engine).get_table_names()) == before
    engine.dispose()
