"""Run Alembic from code, so `portal migrate` and the tests use one path to the schema."""

from __future__ import annotations

from alembic import command
from alembic.config import Config

from portal.db import engine_for, refresh_statistics
from portal.settings import PROJECT_ROOT, get_settings


def alembic_config(database_url: str | None = None) -> Config:
    cfg = Config(str(PROJECT_ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(PROJECT_ROOT / "alembic"))
    cfg.attributes["database_url"] = database_url or get_settings().database_url
    return cfg


def upgrade(database_url: str | None = None) -> None:
    command.upgrade(alembic_config(database_url), "head")
    refresh_statistics(engine_for(database_url or get_settings().database_url))
