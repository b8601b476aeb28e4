"""Local PostgreSQL and Redis for trying the cluster mode on one machine (`make cluster`).

Both come from Debian's packages and live under data/cluster/ (CLUSTER_DIR): a PostgreSQL
cluster listening on 127.0.0.1 only, with a `portal` database, and a Redis listening on
127.0.0.1 only. They keep running until `make cluster-stop`; starting them again reuses the data.

    python scripts/local_cluster.py start   # start both (idempotent), print the environment
    python scripts/local_cluster.py env     # print the environment the app needs
    python scripts/local_cluster.py stop    # stop both
    python scripts/local_cluster.py status

This is for trying the mode on a laptop or a CI machine. In production, point
PORTAL_DATABASE_URL and REFLEX_REDIS_URL at your real servers instead (see README.md).
"""

from __future__ import annotations

import argparse
import glob
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATABASE = "portal"
USER = "portal"


def _dir() -> Path:
    raw = os.environ.get("CLUSTER_DIR", "").strip()
    path = Path(raw) if raw else ROOT / "data" / "cluster"
    return (path if path.is_absolute() else ROOT / path).resolve()


def _pg_port() -> int:
    return int(os.environ.get("CLUSTER_PG_PORT", "") or 55432)


def _redis_port() -> int:
    return int(os.environ.get("CLUSTER_REDIS_PORT", "") or 56379)


def database_url() -> str:
    return f"postgresql+psycopg://{USER}@127.0.0.1:{_pg_port()}/{DATABASE}"


def redis_url() -> str:
    return f"redis://127.0.0.1:{_redis_port()}/0"


def _fail(message: str) -> None:
    print(f"local_cluster: {message}", file=sys.stderr)
    raise SystemExit(1)


def _pg_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        _fail("PostgreSQL is not installed: run `make postgres` (or apt-get install postgresql).")
    return Path(found[-1]).parent


def _run_as() -> list[str]:
    # PostgreSQL refuses to run as root, so as root the server runs as the postgres user.
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _pg_running(data: Path) -> bool:
    if not (data / "PG_VERSION").exists():
        return False
    result = subprocess.run(
        [*_run_as(), str(_pg_bin() / "pg_ctl"), "-D", str(data), "status"],
        capture_output=True,
        check=False,
    )
    return result.returncode == 0


def start_postgres() -> None:
    base = _dir() / "postgres"
    data, sockets = base / "data", base / "socket"
    run_as = _run_as()
    if _pg_running(data):
        print(f"PostgreSQL is already running ({database_url()}).")
    else:
        if _port_open(_pg_port()):
            _fail(f"port {_pg_port()} is taken by another program: set CLUSTER_PG_PORT.")
        sockets.mkdir(parents=True, exist_ok=True)
        if run_as:
            for path in (base, sockets):
                shutil.chown(path, "postgres")
            base.chmod(0o700)
        if not (data / "PG_VERSION").exists():
            subprocess.run(
                [
                    *run_as,
                    str(_pg_bin() / "initdb"),
                    "-D",
                    str(data),
                    "-U",
                    USER,
                    "-A",
                    "trust",
                    "-E",
                    "UTF8",
                    "--no-sync",
                ],
                check=True,
                capture_output=True,
            )
        options = f"-p {_pg_port()} -k {sockets} -c listen_addresses=127.0.0.1"
        subprocess.run(
            [
                *run_as,
                str(_pg_bin() / "pg_ctl"),
                "-D",
                str(data),
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
        print(f"PostgreSQL started on 127.0.0.1:{_pg_port()} (data in {data}).")
    import psycopg

    admin = f"postgresql://{USER}@127.0.0.1:{_pg_port()}/postgres"
    deadline = time.monotonic() + 30
    while True:
        try:
            with psycopg.connect(admin, autocommit=True) as conn:
                exists = conn.execute(
                    "SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,)
                ).fetchone()
                if not exists:
                    conn.execute(f'CREATE DATABASE "{DATABASE}"')
            return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


def stop_postgres() -> None:
    data = _dir() / "postgres" / "data"
    if _pg_running(data):
        subprocess.run(
            [*_run_as(), str(_pg_bin() / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"],
            check=True,
            capture_output=True,
        )
        print("PostgreSQL stopped.")
    else:
        print("PostgreSQL was not running.")


def _redis_pid() -> int | None:
    pidfile = _dir() / "redis" / "redis.pid"
    try:
        pid = int(pidfile.read_text().strip())
    except (OSError, ValueError):
        return None
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    return pid if b"redis-server" in cmdline else None


def start_redis() -> None:
    base = _dir() / "redis"
    if _redis_pid() is not None:
        print(f"Redis is already running ({redis_url()}).")
        return
    server = shutil.which("redis-server")
    if server is None:
        _fail("Redis is not installed: run `make redis` (or apt-get install redis-server).")
    if _port_open(_redis_port()):
        _fail(f"port {_redis_port()} is taken by another program: set CLUSTER_REDIS_PORT.")
    base.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            server,
            "--bind",
            "127.0.0.1",
            "--port",
            str(_redis_port()),
            "--dir",
            str(base),
            "--daemonize",
            "yes",
            "--pidfile",
            str(base / "redis.pid"),
            "--logfile",
            str(base / "redis.log"),
            # Reflex's state is a cache of the browser tabs' page data; nothing to persist.
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        check=True,
    )
    deadline = time.monotonic() + 30
    while not _port_open(_redis_port()):
        if time.monotonic() > deadline:
            _fail(f"Redis did not start; see {base / 'redis.log'}")
        time.sleep(0.1)
    print(f"Redis started on 127.0.0.1:{_redis_port()}.")


def stop_redis() -> None:
    pid = _redis_pid()
    if pid is None:
        print("Redis was not running.")
        return
    os.kill(pid, 15)
    deadline = time.monotonic() + 30
    while _redis_pid() is not None and time.monotonic() < deadline:
        time.sleep(0.1)
    print("Redis stopped.")


def print_env() -> None:
    print(f"PORTAL_DATABASE_URL={database_url()}")
    print(f"REFLEX_REDIS_URL={redis_url()}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["start", "stop", "status", "env"])
    command = parser.parse_args(argv).command
    if command == "start":
        start_postgres()
        start_redis()
    elif command == "stop":
        stop_redis()
        stop_postgres()
    elif command == "status":
        pg = "running" if _pg_running(_dir() / "postgres" / "data") else "stopped"
        redis = "running" if _redis_pid() is not None else "stopped"
        print(f"PostgreSQL: {pg} ({database_url()})")
        print(f"Redis: {redis} ({redis_url()})")
    else:
        print_env()


if __name__ == "__main__":
    main()
