"""Fixtures: a freshly migrated database per test, and the app served in production mode."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from sqlmodel import Session

from portal.db import engine_for
from portal.migrations import upgrade
from portal.services import refusal_log
from portal.settings import get_settings
from tests.support import live


@pytest.fixture(scope="session")
def template_db(tmp_path_factory) -> Path:
    """Migrated once per run; each test gets its own copy."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    url = f"sqlite:///{path}"
    upgrade(url)
    engine_for(url).dispose()
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


@pytest.fixture
def db_url(template_db, tmp_path, monkeypatch) -> str:
    path = tmp_path / "portal.db"
    shutil.copyfile(template_db, path)
    url = f"sqlite:///{path}"
    monkeypatch.setenv("PORTAL_DATABASE_URL", url)
    monkeypatch.setenv("PORTAL_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    refusal_log.forget()
    yield url
    refusal_log.forget()
    engine_for(url).dispose()
    get_settings.cache_clear()


@pytest.fixture
def session(db_url) -> Session:
    with Session(engine_for(db_url), expire_on_commit=False) as s:
        yield s


@pytest.fixture(scope="session")
def live_app(tmp_path_factory):
    """The real app, built and served in production mode on a free loopback port."""
    app = live.start(tmp_path_factory.mktemp("live"))
    yield app
    live.stop(app)


@pytest.fixture
def world(session):
    from tests.world import build_world

    return build_world(session)


@pytest.fixture(scope="session")
def browser():
    """Debian's chromium, driven by Playwright from PyPI."""
    from playwright.sync_api import sync_playwright

    from tests.support.browser import launch

    with sync_playwright() as pw:
        instance = launch(pw)
        yield instance
        instance.close()
