"""Fixtures: a freshly migrated database per test, and the app served in production mode."""

from __future__ import annotations

import os

import pytest
from sqlmodel import Session

from portal.db import engine_for
from portal.services import refusal_log
from portal.settings import get_settings
from tests.support import live, postgres
from tests.support.databases import (
    POSTGRESQL,
    Databases,
    PostgresDatabases,
    SqliteDatabases,
    backend,
)

LIVE_FIXTURES = frozenset({"live_app", "cluster_app"})


def pytest_collection_modifyitems(items):
    """Every test that needs the app served is marked `live`, whether its module says so or
    not, so `-m live` and `-m "not live"` split the suite exactly (make test-cluster runs the
    two halves side by side)."""
    for item in items:
        if LIVE_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.live)


@pytest.fixture(scope="session")
def postgres_server():
    """A PostgreSQL server for the run: PORTAL_TEST_POSTGRES_URL, or a throwaway cluster on
    loopback started the first time a test asks for one."""
    url = os.environ.get("PORTAL_TEST_POSTGRES_URL", "").strip()
    if url:
        yield postgres.Server(url=url)
        return
    server = postgres.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def databases(request, tmp_path_factory) -> Databases:
    """Where each test's database comes from: a migrated template, copied per test, on
    SQLite or (PORTAL_TEST_DATABASE=postgresql) on PostgreSQL."""
    if backend() == POSTGRESQL:
        made: Databases = PostgresDatabases(request.getfixturevalue("postgres_server").url)
    else:
        made = SqliteDatabases(tmp_path_factory.mktemp("template"))
    yield made
    made.close()


@pytest.fixture(scope="session")
def template_db(databases):
    """The migrated SQLite file every test's database is copied from (SQLite runs only; a test
    that needs its own databases on either kind asks for `databases`)."""
    if databases.dialect != "sqlite":
        raise RuntimeError("template_db is a SQLite file: use the databases fixture instead")
    return databases.template


@pytest.fixture
def db_url(databases, tmp_path, monkeypatch) -> str:
    """A freshly migrated database of this test's own."""
    url = databases.create(tmp_path)
    monkeypatch.setenv("PORTAL_DATABASE_URL", url)
    monkeypatch.setenv("PORTAL_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    refusal_log.forget()
    yield url
    refusal_log.forget()
    databases.drop(url)
    get_settings.cache_clear()


@pytest.fixture
def session(db_url) -> Session:
    with Session(engine_for(db_url), expire_on_commit=False) as s:
        yield s


def live_workers() -> int:
    """How many workers serve the live app: PORTAL_TEST_WORKERS, 1 by default. More than one
    means the cluster mode: the workers share a throwaway Redis (Reflex's state and token
    manager, the rate-limit counters) and PostgreSQL, as `make run WORKERS=N` demands."""
    raw = os.environ.get("PORTAL_TEST_WORKERS", "").strip() or "1"
    if not raw.isdigit() or int(raw) < 1:
        raise ValueError(f"PORTAL_TEST_WORKERS must be a whole number of at least 1, not {raw!r}")
    if int(raw) > 1 and backend() != POSTGRESQL:
        raise ValueError("PORTAL_TEST_WORKERS above 1 needs PORTAL_TEST_DATABASE=postgresql")
    return int(raw)


@pytest.fixture(scope="session")
def live_app(request, tmp_path_factory):
    """The real app, built and served in production mode on a free loopback port: on this
    run's database kind, with PORTAL_TEST_WORKERS workers."""
    data_dir = tmp_path_factory.mktemp("live")
    database_url = None
    if backend() == POSTGRESQL:
        # The app migrates and loads the demo into an empty database itself, as in production.
        database_url = request.getfixturevalue("databases").empty(data_dir)
    workers = live_workers()
    redis = None
    if workers > 1:
        from tests.support import redis_server

        redis = redis_server.start()
    try:
        app = live.start(
            data_dir,
            database_url=database_url,
            workers=workers,
            redis_url=redis.url if redis else None,
        )
    except BaseException:
        if redis is not None:
            redis.stop()
        raise
    yield app
    live.stop(app)
    if redis is not None:
        redis.stop()


@pytest.fixture(scope="session")
def cluster_app(live_app):
    """The live app, when it is served in the cluster mode (`make test-cluster`: 2 workers
    sharing Redis and PostgreSQL); tests that compare workers are skipped otherwise."""
    if live_app.workers < 2:
        pytest.skip("needs the app served by 2 workers sharing Redis: `make test-cluster`")
    return live_app


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
