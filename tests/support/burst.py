"""Bursts on many connections at once: sign-in attempts against one account, and the same
refusal written to the audit log."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from sqlmodel import Session

from models import utcnow
from portal.db import engine_for
from portal.services import audit, signin


def burst(database_url: str, email: str, password: str, attempts: int, *, ip: str = "10.1.1.1"):
    engine = engine_for(database_url)

    def one(_):
        with Session(engine, expire_on_commit=False) as session:
            return signin.sign_in(session=session, email=email, password=password, ip=ip)

    with ThreadPoolExecutor(max_workers=min(attempts, 32)) as pool:
        return list(pool.map(one, range(attempts)))


def refusal_burst(url: str, actor, *, threads: int, each: int) -> None:
    """`threads` connections each record the same refusal `each` times, all in one minute."""
    engine = engine_for(url)
    at = utcnow()
    start = threading.Barrier(threads)
    errors = []

    def work():
        try:
            start.wait()
            for _ in range(each):
                with Session(engine) as s:
                    audit.record_refusal(
                        session=s, actor=actor, detail="flood", target_type="event", at=at
                    )
                    s.commit()
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []
