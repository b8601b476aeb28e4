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
