"""The database every test runs on: a fresh, migrated one per test, made from a template.

`make test` runs on SQLite: the template is a migrated file, and each test gets a copy.
`make test-cluster` sets PORTAL_TEST_DATABASE=postgresql: the template is a migrated
PostgreSQL database, and each test gets `CREATE DATABASE ... TEMPLATE` (a file copy inside the
server, a few tens of milliseconds), dropped again when the test ends. The server is a
throwaway cluster on loopback (tests/support/postgres.py), or the one named by
PORTAL_TEST_POSTGRES_URL (a URL of a database on a server where the user may create
databases).
"""

from __future__ import annotations

import itertools
import os
import shutil
import sqlite3
import uuid
from pathlib import Path
from typing import Protocol

from sqlalchemy.engine import make_url

from portal.db import engine_for
from portal.migrations import upgrade

SQLITE = "sqlite"
POSTGRESQL = "postgresql"


def backend() -> str:
    """Which database this run uses: PORTAL_TEST_DATABASE, sqlite by default."""
    value = os.environ.get("PORTAL_TEST_DATABASE", "").strip().lower() or SQLITE
    if value in ("postgres", "pg"):
        value = POSTGRESQL
    if value not in (SQLITE, POSTGRESQL):
        raise ValueError(f"PORTAL_TEST_DATABASE must be sqlite or postgresql, not {value!r}")
    return value


class Databases(Protocol):
    dialect: str

    def create(self, directory: Path) -> str:
        """A new database holding the migrated schema; returns its URL."""

    def empty(self, directory: Path) -> str:
        """A new database with nothing in it, not even the schema."""

    def drop(self, url: str) -> None:
        """Close every pooled connection to it and remove it."""

    def close(self) -> None: ...


class SqliteDatabases:
    dialect = SQLITE

    def __init__(self, workdir: Path):
        self.template = workdir / "template.db"
        url = f"sqlite:///{self.template}"
        upgrade(url)
        engine_for(url).dispose()
        with sqlite3.connect(self.template) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self._serial = itertools.count()

    def create(self, directory: Path, name: str = "portal") -> str:
        path = directory / f"{name}.db"
        if path.exists():
            path = directory / f"{name}-{next(self._serial)}.db"
        shutil.copyfile(self.template, path)
        return f"sqlite:///{path}"

    def empty(self, directory: Path, name: str = "fresh") -> str:
        return f"sqlite:///{directory / f'{name}-{next(self._serial)}.db'}"

    def drop(self, url: str) -> None:
        engine_for(url).dispose()

    def close(self) -> None:
        pass


class PostgresDatabases:
    dialect = POSTGRESQL
    TEMPLATE = "portal_template"

    def __init__(self, server_url: str):
        import psycopg

        self._url = make_url(server_url).set(drivername="postgresql+psycopg")
        self._admin = psycopg.connect(
            self._url.set(drivername="postgresql").render_as_string(hide_password=False),
            autocommit=True,
        )
        # Named afresh for each run, so runs sharing a server never touch each other's.
        self._template = f"{self.TEMPLATE}_{uuid.uuid4().hex[:8]}"
        self._execute(f'CREATE DATABASE "{self._template}"')
        template_url = self.url_of(self._template)
        upgrade(template_url)
        engine_for(template_url).dispose()
        self._made: set[str] = set()

    def _execute(self, sql: str) -> None:
        self._admin.execute(sql)  # type: ignore[arg-type]

    def url_of(self, name: str) -> str:
        return self._url.set(database=name).render_as_string(hide_password=False)

    def _new(self, template: str | None) -> str:
        name = f"t_{uuid.uuid4().hex[:16]}"
        if template:
            # FILE_COPY copies the template's few files instead of logging every page.
            self._execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}" STRATEGY FILE_COPY')
        else:
            self._execute(f'CREATE DATABASE "{name}"')
        self._made.add(name)
        return self.url_of(name)

    def create(self, directory: Path | None = None, name: str = "") -> str:
        return self._new(self._template)

    def empty(self, directory: Path | None = None, name: str = "") -> str:
        return self._new(None)

    def drop(self, url: str) -> None:
        engine_for(url).dispose()
        name = make_url(url).database
        if name in self._made:
            self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            self._made.discard(name)

    def close(self) -> None:
        for name in [*self._made, self._template]:
            self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self._made.clear()
        self._admin.close()
