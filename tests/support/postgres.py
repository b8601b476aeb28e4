"""A throwaway PostgreSQL cluster from Debian's packages, on loopback, for one test run."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from tests.support.live import free_port


@dataclass
class Server:
    """A server someone else runs (PORTAL_TEST_POSTGRES_URL): used, never stopped."""

    url: str

    def stop(self) -> None:
        pass


@dataclass
class Postgres:
    url: str
    data_dir: Path
    _run_as: list[str]
    _bin: Path

    def stop(self) -> None:
        subprocess.run(
            [
                *self._run_as,
                str(self._bin / "pg_ctl"),
                "-D",
                str(self.data_dir),
                "-m",
                "immediate",
                "stop",
            ],
            capture_output=True,
        )
        shutil.rmtree(self.data_dir.parent, ignore_errors=True)


def find_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


def start() -> Postgres:
    bin_dir = find_bin()
    if bin_dir is None:
        raise RuntimeError(
            "PostgreSQL is not installed: `make test` installs Debian's postgresql package "
            "(or run `apt-get install postgresql`)."
        )
    # PostgreSQL refuses to run as root, so as root the server runs as the postgres user.
    run_as = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    base = Path(tempfile.mkdtemp(prefix="portal-pg-", dir="/tmp"))
    data_dir, socket_dir = base / "data", base / "socket"
    socket_dir.mkdir()
    if run_as:
        os.chmod(base, 0o700)
        shutil.chown(base, "postgres")
        shutil.chown(socket_dir, "postgres")
    port = free_port()
    subprocess.run(
        [
            *run_as,
            str(bin_dir / "initdb"),
            "-D",
            str(data_dir),
            "-A",
            "trust",
            "-U",
            "portal",
            "--no-sync",
            "-E",
            "UTF8",
        ],
        check=True,
        capture_output=True,
    )
    # Durability is worth nothing to a throwaway cluster; the live app's workers and the
    # tests' own engines need more connections than the default 100.
    options = (
        f"-p {port} -k {socket_dir} -c listen_addresses=127.0.0.1 -c fsync=off "
        "-c synchronous_commit=off -c full_page_writes=off -c max_connections=400"
    )
    subprocess.run(
        [
            *run_as,
            str(bin_dir / "pg_ctl"),
            "-D",
            str(data_dir),
            "-o",
            options,
            "-w",
            "-l",
            str(base / "server.log"),
            "start",
        ],
        check=True,
        capture_output=True,
    )
    url = f"postgresql+psycopg://portal@127.0.0.1:{port}/postgres"
    deadline = time.monotonic() + 30
    import psycopg

    while True:
        try:
            psycopg.connect(f"postgresql://portal@127.0.0.1:{port}/postgres").close()
            break
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)
    return Postgres(url=url, data_dir=data_dir, _run_as=run_as, _bin=bin_dir)
