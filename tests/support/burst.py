"""Many sign-in attempts at once against one account, each on its own connection."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from sqlmodel import Session

from portal.db import engine_for
from portal.services import signin


def burst(database_url: str, email: str, password: str, attempts: int, *, ip: str = "10.1.1.1"):
    engine = engine_for(database_url)

    def one(_):
        with Session(engine, expire_on_commit=False) as session:
            return signin.sign_in(session=session, email=email, password=password, ip=ip)

    with ThreadPoolExecutor(max_workers=min(attempts, 32)) as pool:
        return list(pool.map(one, range(attempts)))
