"""The app built and served in production mode, on loopback, with its own data directory."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.support import smtp
from tests.support.smtp import Collector

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@dataclass
class LiveApp:
    base_url: str
    database_url: str
    data_dir: Path
    log_path: Path
    process: subprocess.Popen
    # Every email the app sends goes to this SMTP server on loopback.
    mail: Collector | None = None
    mail_server: object = None
    # More than one worker: the cluster mode, its workers sharing the Redis at redis_url.
    workers: int = 1
    redis_url: str | None = None

    def log_tail(self, lines: int = 60) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def live_env(
    data_dir: Path,
    port: int,
    smtp_port: int | None = None,
    *,
    database_url: str | None = None,
    workers: int = 1,
    redis_url: str | None = None,
) -> dict[str, str]:
    """The served app's environment: its own data directory and database (SQLite in the data
    directory unless a URL is given), and for several workers the Redis they share."""
    env = dict(os.environ)
    for name in ("REFLEX_REDIS_URL", "GRANIAN_WORKERS"):
        env.pop(name, None)
    if workers > 1:
        if not redis_url:
            raise ValueError("several workers need a Redis to share their state")
        env.update(REFLEX_REDIS_URL=redis_url, GRANIAN_WORKERS=str(workers))
    if smtp_port is not None:
        env.update(
            PORTAL_SMTP_HOST="127.0.0.1",
            PORTAL_SMTP_PORT=str(smtp_port),
            PORTAL_SMTP_STARTTLS="false",
        )
    env.update(
        PORTAL_DATA_DIR=str(data_dir),
        PORTAL_DATABASE_URL=database_url or f"sqlite:///{data_dir / 'portal.db'}",
        PORT=str(port),
        # Repeated refusals reach the audit log within 0.1 s, so tests wait little for them.
        PORTAL_AUDIT_FLUSH_MS="100",
        PATH=f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}",
        REFLEX_USE_NPM="1",
        REFLEX_TELEMETRY_ENABLED="false",
    )
    env.pop("PYTEST_ADDOPTS", None)
    return env


def start(
    data_dir: Path,
    *,
    timeout: float = 900,
    database_url: str | None = None,
    workers: int = 1,
    redis_url: str | None = None,
) -> LiveApp:
    """Migrate, load the demo and serve the app; `workers` > 1 serves it as the cluster mode
    does, every worker behind the one port and sharing the Redis at `redis_url`."""
    port = free_port()
    mail_server, mail = smtp.start()
    env = live_env(
        data_dir,
        port,
        mail_server.port,
        database_url=database_url,
        workers=workers,
        redis_url=redis_url,
    )
    portal = str(VENV_BIN / "portal")
    subprocess.run([portal, "migrate"], env=env, check=True, cwd=ROOT, capture_output=True)
    subprocess.run([portal, "demo"], env=env, check=True, cwd=ROOT, capture_output=True)
    log_path = data_dir / "server.log"
    log = log_path.open("w")
    process = subprocess.Popen(
        [
            str(VENV_BIN / "reflex"),
            "run",
            "--env",
            "prod",
            "--single-port",
            "--frontend-port",
            str(port),
            "--backend-port",
            str(port),
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    app = LiveApp(
        base_url=f"http://localhost:{port}",
        database_url=env["PORTAL_DATABASE_URL"],
        data_dir=data_dir,
        log_path=log_path,
        process=process,
        mail=mail,
        mail_server=mail_server,
        workers=workers,
        redis_url=redis_url,
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the app exited while starting:\n{app.log_tail()}")
        try:
            if httpx.get(f"{app.base_url}/login/", timeout=2).status_code == 200:
                return app
        except httpx.HTTPError:
            pass
        time.sleep(1)
    stop(app)
    raise RuntimeError(f"the app did not start within {timeout} s:\n{app.log_tail()}")


def stop(app: LiveApp) -> None:
    if app.mail_server is not None:
        app.mail_server.stop()
    if app.process.poll() is None:
        os.killpg(app.process.pid, signal.SIGTERM)
        try:
            app.process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(app.process.pid, signal.SIGKILL)
            app.process.wait(10)


def sign_in_cookie(app: LiveApp, email: str, password: str) -> str:
    """Sign in through the real service and redeem the code over HTTP, as a browser does.
    Returns the Cookie header value a browser would then send."""
    from sqlmodel import Session

    from portal.db import engine_for
    from portal.services import signin

    with Session(engine_for(app.database_url)) as session:
        result = signin.sign_in(session=session, email=email, password=password, ip="127.0.0.1")
    if not result.ok:
        raise AssertionError(f"sign-in failed for {email}: {result.message}")
    response = httpx.post(
        f"{app.base_url}/auth/session", data={"code": result.handoff_code}, timeout=10
    )
    response.raise_for_status()
    token = response.cookies.get("bp_session")
    assert token, "the handoff did not set the session cookie"
    return f"bp_session={token}"


@contextmanager
def live_settings(app: LiveApp):
    """Point this process's settings at the live app's database and data directory, so
    records made here (documents included) are the ones the server sees."""
    from portal.settings import get_settings

    saved = {k: os.environ.get(k) for k in ("PORTAL_DATABASE_URL", "PORTAL_DATA_DIR")}
    os.environ["PORTAL_DATABASE_URL"] = app.database_url
    os.environ["PORTAL_DATA_DIR"] = str(app.data_dir)
    get_settings.cache_clear()
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        get_settings.cache_clear()
