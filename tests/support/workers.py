"""Which worker of the cluster mode holds a tab's socket, and a socket on each worker.

All workers listen on the one port, and the kernel hands each new connection to one of them,
so a test cannot dial a worker by address. It can ask instead: Reflex's Redis token manager
records, for each tab's token, the worker (its instance id, fresh in every worker process)
that holds the tab's socket. A test opens sockets until every worker holds one.
"""

from __future__ import annotations

import pickle
import uuid

import redis
from reflex.utils.token_manager import RedisTokenManager
from sqlmodel import Session, select

from models import Firm, User
from portal.db import engine_for
from portal.demo import DEMO_FIRM
from tests.factories import make_user
from tests.support.live import LiveApp
from tests.support.reflex_socket import ReflexSocket


def worker_of(app: LiveApp, token: str) -> str | None:
    """The instance id of the worker holding the socket of this tab token, if connected."""
    if not app.redis_url:
        raise RuntimeError("the app is not served in the cluster mode (no Redis)")
    key = f"{RedisTokenManager._token_socket_record_prefix}{token}"
    with redis.Redis.from_url(app.redis_url) as client:
        raw = client.get(key)
    # Written by Reflex itself into the test's own throwaway Redis.
    return pickle.loads(raw).instance_id if raw else None  # noqa: S301


async def socket_on_each_worker(
    app: LiveApp,
    *,
    cookie: str = "",
    path: str = "/",
    query: dict | None = None,
    attempts: int = 60,
) -> list[ReflexSocket]:
    """One connected socket on each of the app's workers (in no particular order), each
    opened on `path` (with the route's `query`, as the browser sends it)."""
    found: dict[str, ReflexSocket] = {}
    spare: list[ReflexSocket] = []
    for _ in range(attempts):
        sock = ReflexSocket(app.base_url, cookie=cookie)
        await sock.connect(path, query)
        worker = worker_of(app, sock.token)
        assert worker is not None, "the token manager recorded no worker for a connected tab"
        if worker in found:
            spare.append(sock)
        else:
            found[worker] = sock
        if len(found) == app.workers:
            break
    for sock in spare:
        await sock.close()
    assert len(found) == app.workers, (
        f"{attempts} connections reached {len(found)} of the {app.workers} workers"
    )
    return list(found.values())


async def socket_on_worker(
    app: LiveApp,
    worker: str,
    *,
    cookie: str = "",
    path: str = "/",
    query: dict | None = None,
    attempts: int = 60,
) -> ReflexSocket:
    """A connected socket on the given worker, opened on `path`."""
    for _ in range(attempts):
        sock = ReflexSocket(app.base_url, cookie=cookie)
        await sock.connect(path, query)
        if worker_of(app, sock.token) == worker:
            return sock
        await sock.close()
    raise AssertionError(f"{attempts} connections never reached worker {worker}")


def new_login(app: LiveApp, role: str = "bookkeeper", prefix: str = "workers") -> User:
    """A fresh login of the demo firm (password tests.factories.PASSWORD), so a test that
    signs in, out or fails on purpose never disturbs the people other tests use."""
    with Session(engine_for(app.database_url), expire_on_commit=False) as session:
        firm = session.exec(select(Firm).where(Firm.name == DEMO_FIRM)).one()
        user = make_user(
            session, firm, role, email=f"{prefix}-{uuid.uuid4().hex[:10]}@demo-practice.example"
        )
        session.commit()
        return user
