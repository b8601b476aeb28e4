"""The database every test runs on: a fresh, migrated one per test, made from a template.

`make test` runs on SQLite: the template is a migrated file, and each test gets a copy.
`make test-cluster` sets PORTAL_TEST_DATABASE=postgresql: the template is a migrated
PostgreSQL database, and each test gets `CREATE DATABASE ... TEMPLATE` (a file copy inside the
server), dropped again when the test ends; a helper thread makes them ahead and drops them
after, so no test waits for either. The server is a
throwaway cluster on loopback (tests/support/postgres.py), or the one named by
PORTAL_TEST_POSTGRES_URL (a URL of a database on a server where the user may create
databases).
"""

from __future__ import annotations

import itertools
import logging
import os
import queue
import shutil
import sqlite3
import threading
import uuid
from pathlib import Path
from typing import Protocol

from sqlalchemy.engine import make_url

from portal.db import engine_for
from portal.migrations import upgrade

log = logging.getLogger(__name__)

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

    def create(self, directory: Path, name: str = "portal") -> str:
        """A new database holding the migrated schema; returns its URL."""

    def empty(self, directory: Path, name: str = "fresh") -> str:
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
    """Databases on a PostgreSQL server, each a copy of one migrated template.

    CREATE DATABASE and DROP DATABASE each cost a round of file work on the server (tens of
    milliseconds on a quiet machine, far more on a busy one), and hundreds of tests and model
    examples ask for a database of their own. A helper thread, on a connection of its own,
    keeps a few copies made ahead and drops the used ones, so a test waits for neither; when
    the helper falls behind, a test makes its copy itself.
    """

    dialect = POSTGRESQL
    TEMPLATE = "portal_template"
    SPARES = 3

    def __init__(self, server_url: str):
        self._url = make_url(server_url).set(drivername="postgresql+psycopg")
        self._admin = self._connect()
        # Named afresh for each run, so runs sharing a server never touch each other's.
        self._template = f"{self.TEMPLATE}_{uuid.uuid4().hex[:8]}"
        self._admin.execute(f'CREATE DATABASE "{self._template}"')  # type: ignore[arg-type]
        template_url = self.url_of(self._template)
        upgrade(template_url)
        engine_for(template_url).dispose()
        self._lock = threading.Lock()
        self._made: set[str] = set()
        self._spares: queue.SimpleQueue[str] = queue.SimpleQueue()
        self._jobs: queue.SimpleQueue[tuple[str, str]] = queue.SimpleQueue()
        self._helper_connection = self._connect()
        self._helper = threading.Thread(target=self._run_jobs, name="test-databases", daemon=True)
        self._helper.start()
        for _ in range(self.SPARES):
            self._jobs.put(("create", ""))

    def _connect(self):
        import psycopg

        admin = self._url.set(drivername="postgresql").render_as_string(hide_password=False)
        return psycopg.connect(admin, autocommit=True)

    def url_of(self, name: str) -> str:
        return self._url.set(database=name).render_as_string(hide_password=False)

    def _make(self, connection, template: str | None) -> str:
        name = f"t_{uuid.uuid4().hex[:16]}"
        if template:
            # FILE_COPY copies the template's few files instead of logging every page.
            sql = f'CREATE DATABASE "{name}" TEMPLATE "{template}" STRATEGY FILE_COPY'
        else:
            sql = f'CREATE DATABASE "{name}"'
        connection.execute(sql)
        with self._lock:
            self._made.add(name)
        return name

    def _drop(self, connection, name: str) -> None:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        with self._lock:
            self._made.discard(name)

    def _run_jobs(self) -> None:
        while True:
            job, name = self._jobs.get()
            if job == "stop":
                return
            try:
                if job == "create":
                    self._spares.put(self._make(self._helper_connection, self._template))
                else:
                    self._drop(self._helper_connection, name)
            except Exception:
                # A test then makes its own copy, and close() drops what is left.
                log.exception("the test-database helper failed to %s a database", job)

    def create(self, directory: Path | None = None, name: str = "") -> str:
        try:
            made = self._spares.get_nowait()
        except queue.Empty:
            return self.url_of(self._make(self._admin, self._template))
        self._jobs.put(("create", ""))
        return self.url_of(made)

    def empty(self, directory: Path | None = None, name: str = "") -> str:
        return self.url_of(self._make(self._admin, None))

    def drop(self, url: str) -> None:
        """Close this process's connections to it now; the helper drops it (FORCE ends any
        connection left open elsewhere)."""
        engine_for(url).dispose()
        name = make_url(url).database
        with self._lock:
            ours = name in self._made
        if ours:
            self._jobs.put(("drop", name))

    def close(self) -> None:
        self._jobs.put(("stop", ""))
        self._helper.join()
        self._helper_connection.close()
        with self._lock:
            left = [*self._made, self._template]
        for name in left:
            self._drop(self._admin, name)
        self._admin.close()
