"""A throwaway Redis from Debian's redis-server package, on loopback, for one test run."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from tests.support.live import free_port

SERVER = "redis-server"


@dataclass
class Redis:
    url: str
    base: Path
    process: subprocess.Popen

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        shutil.rmtree(self.base, ignore_errors=True)


def find_server() -> str | None:
    return shutil.which(SERVER) or (
        "/usr/bin/redis-server" if Path("/usr/bin/redis-server").exists() else None
    )


def start() -> Redis:
    server = find_server()
    if server is None:
        raise RuntimeError(
            "Redis is not installed: `make test` installs Debian's redis-server package "
            "(or run `apt-get install redis-server`)."
        )
    base = Path(tempfile.mkdtemp(prefix="portal-redis-", dir="/tmp"))
    port = free_port()
    process = subprocess.Popen(
        [
            server,
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--dir",
            str(base),
            "--save",
            "",
            "--appendonly",
            "no",
            "--protected-mode",
            "yes",
            "--logfile",
            str(base / "redis.log"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"redis://127.0.0.1:{port}/0"
    import redis

    deadline = time.monotonic() + 30
    with redis.Redis.from_url(url) as client:
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if process.poll() is not None or time.monotonic() > deadline:
                    log = (base / "redis.log").read_text(errors="replace")[-2000:]
                    process.kill()
                    raise RuntimeError(f"redis-server did not start:\n{log}") from None
                time.sleep(0.1)
    return Redis(url=url, base=base, process=process)
