"""The generated databases the benchmarks run on, built once and kept under data/bench/.

A pristine copy per database, scale, generator version and schema revision is generated the
first time it is asked for; every run then works on a fresh copy of it (a file copy on
SQLite, CREATE DATABASE ... TEMPLATE on PostgreSQL), so ticks and refusals written by one
run never reach the next. PostgreSQL runs on a local cluster kept under data/bench/,
started on loopback for the run and stopped after it (as tests/support/postgres.py does,
but with its data kept).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from portal import generate
from portal.services import refusal_log
from portal.settings import PROJECT_ROOT, get_settings

BENCH_DIR = PROJECT_ROOT / "data" / "bench"
SEED = 1


def schema_head() -> str:
    from alembic.script import ScriptDirectory

    from portal.migrations import alembic_config

    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head() or "none"


def cache_key(scale: str) -> str:
    return f"{scale}-g{generate.GENERATOR_VERSION}-s{SEED}-r{schema_head()}"


@dataclass
class Dataset:
    database: str  # sqlite or postgresql
    scale: str
    url: str
    data_dir: Path
    document_dir: Path
    firm_id: int
    generated_seconds: float
    generated_at: str


@contextmanager
def settings_for(url: str, data_dir: Path, document_dir: Path):
    """Point this process's settings (and so runner.perform's unit of work) at a dataset."""
    names = ("PORTAL_DATABASE_URL", "PORTAL_DATA_DIR", "PORTAL_DOCUMENT_DIR")
    saved = {name: os.environ.get(name) for name in names}
    os.environ.update(
        PORTAL_DATABASE_URL=url,
        PORTAL_DATA_DIR=str(data_dir),
        PORTAL_DOCUMENT_DIR=str(document_dir),
    )
    get_settings.cache_clear()
    refusal_log.forget()
    try:
        yield
    finally:
        refusal_log.flush()
        refusal_log.forget()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        get_settings.cache_clear()


def _generate_into(url: str, data_dir: Path, document_dir: Path, scale: str, log) -> dict:
    from portal.db import engine_for
    from portal.migrations import upgrade

    with settings_for(url, data_dir, document_dir):
        upgrade(url)
        log(f"Generating the {scale} firm into {url.split('@')[-1]} ...")
        result = generate.generate(engine_for(url), scale, seed=SEED, progress=True)
        engine_for(url).dispose()
    for line in generate.report(result):
        log(f"  {line}")
    return {
        "firm_id": result.firm_id,
        "seconds": round(result.seconds, 1),
        "at": time.strftime("%Y-%m-%d %H:%M"),
        "counts": result.counts,
    }


# --- SQLite -------------------------------------------------------------------------------


def sqlite_dataset(scale: str, log=print) -> Dataset:
    base = BENCH_DIR / f"sqlite-{cache_key(scale)}"
    pristine, marker, documents = base / "portal.db", base / "generated.json", base / "documents"
    if not marker.exists():
        for stale in BENCH_DIR.glob(f"sqlite-{scale}-*"):
            shutil.rmtree(stale, ignore_errors=True)
        base.mkdir(parents=True, exist_ok=True)
        info = _generate_into(f"sqlite:///{pristine}", base, documents, scale, log)
        marker.write_text(json.dumps(info, indent=2))
    info = json.loads(marker.read_text())
    work = BENCH_DIR / "run" / f"sqlite-{scale}-{os.getpid()}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    shutil.copyfile(pristine, work / "portal.db")
    return Dataset(
        database="sqlite",
        scale=scale,
        url=f"sqlite:///{work / 'portal.db'}",
        data_dir=work,
        document_dir=documents,
        firm_id=info["firm_id"],
        generated_seconds=info["seconds"],
        generated_at=info["at"],
    )


# --- PostgreSQL ---------------------------------------------------------------------------


class Cluster:
    """A PostgreSQL cluster kept under data/bench/, served on loopback while a run lasts."""

    def __init__(self, log=print):
        from tests.support.postgres import find_bin

        self.log = log
        self.bin = find_bin()
        if self.bin is None:
            raise RuntimeError(
                "PostgreSQL is not installed: `make bench` installs Debian's postgresql "
                "package (or run `apt-get install postgresql`)."
            )
        self.base = BENCH_DIR / f"postgres-g{generate.GENERATOR_VERSION}"
        self.data = self.base / "data"
        # PostgreSQL refuses to run as root, so as root the server runs as the postgres user.
        self.run_as = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        self.port = 0
        self.socket_dir: Path | None = None

    @property
    def admin_url(self) -> str:
        return f"postgresql://portal@127.0.0.1:{self.port}/postgres"

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://portal@127.0.0.1:{self.port}/{database}"

    def _own(self, path: Path) -> None:
        if self.run_as:
            shutil.chown(path, "postgres")

    def start(self) -> None:
        from tests.support.live import free_port

        self.base.mkdir(parents=True, exist_ok=True)
        self._own(self.base)  # the server writes its log here
        if not (self.data / "PG_VERSION").exists():
            shutil.rmtree(self.data, ignore_errors=True)
            self.data.mkdir(mode=0o700)
            self._own(self.data)
            subprocess.run(
                [*self.run_as, str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust",
                 "-U", "portal", "-E", "UTF8"],
                check=True,
                capture_output=True,
            )  # fmt: skip
        self.socket_dir = Path(tempfile.mkdtemp(prefix="portal-bench-pg-", dir="/tmp"))
        self._own(self.socket_dir)
        self.port = free_port()
        # Commits do not wait for the WAL flush, like the app's SQLite (WAL, synchronous=NORMAL).
        options = (
            f"-p {self.port} -k {self.socket_dir} -c listen_addresses=127.0.0.1 "
            "-c synchronous_commit=off -c shared_buffers=256MB"
        )
        log_file = self.base / "server.log"
        if self.run_as and log_file.exists():
            self._own(log_file)
        started = subprocess.run(
            [*self.run_as, str(self.bin / "pg_ctl"), "-D", str(self.data), "-o", options, "-w",
             "-l", str(log_file), "start"],
            capture_output=True,
            text=True,
        )  # fmt: skip
        if started.returncode:
            raise RuntimeError(f"PostgreSQL did not start: {started.stderr or started.stdout}")
        import psycopg

        deadline = time.monotonic() + 30
        while True:
            try:
                psycopg.connect(self.admin_url).close()
                return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)

    def stop(self) -> None:
        if not self.port:
            return
        subprocess.run(
            [*self.run_as, str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "stop"],
            capture_output=True,
        )
        self.port = 0
        if self.socket_dir is not None:
            shutil.rmtree(self.socket_dir, ignore_errors=True)

    def _sql(self, statement: str) -> list[tuple]:
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            cursor = conn.execute(statement)
            return cursor.fetchall() if cursor.description else []

    def dataset(self, scale: str) -> Dataset:
        key = cache_key(scale)
        pristine = "bench_" + key.replace("-", "_")
        marker = self.base / f"{key}.json"
        documents = self.base / f"documents-{key}"
        existing = {name for (name,) in self._sql("SELECT datname FROM pg_database")}
        if not marker.exists() or pristine not in existing:
            for name in existing:
                if name.startswith(f"bench_{scale}_"):
                    self._sql(f'DROP DATABASE "{name}" WITH (FORCE)')
            for stale in self.base.glob(f"{scale}-*.json"):
                stale.unlink()
            for stale in self.base.glob(f"documents-{scale}-*"):
                shutil.rmtree(stale, ignore_errors=True)
            self._sql(f'CREATE DATABASE "{pristine}"')
            info = _generate_into(self.url(pristine), self.base, documents, scale, self.log)
            marker.write_text(json.dumps(info, indent=2))
        info = json.loads(marker.read_text())
        work = f"run_{scale}_{os.getpid()}"
        self._sql(f'DROP DATABASE IF EXISTS "{work}" WITH (FORCE)')
        self._sql(f'CREATE DATABASE "{work}" TEMPLATE "{pristine}"')
        return Dataset(
            database="postgresql",
            scale=scale,
            url=self.url(work),
            data_dir=self.base,
            document_dir=documents,
            firm_id=info["firm_id"],
            generated_seconds=info["seconds"],
            generated_at=info["at"],
        )


def release(dataset: Dataset, cluster: Cluster | None = None) -> None:
    """Close this process's connections to a dataset and drop its working copy."""
    from portal.db import engine_for

    with suppress(Exception):
        engine_for(dataset.url).dispose()
    if dataset.database == "sqlite":
        shutil.rmtree(dataset.data_dir, ignore_errors=True)
    elif cluster is not None and cluster.port:
        work = dataset.url.rsplit("/", 1)[-1]
        with suppress(Exception):
            cluster._sql(f'DROP DATABASE IF EXISTS "{work}" WITH (FORCE)')
