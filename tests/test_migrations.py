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
