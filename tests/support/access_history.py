"""A bookkeeper's past on a client, written through the services at chosen instants."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import Session

from models import Filing
from portal.services import access_changes, filings, steps
from tests.factories import make_filing

ASSIGNED = datetime(2026, 3, 3, 10, 2, tzinfo=UTC)
FILED = datetime(2026, 4, 30, 16, 40, tzinfo=UTC)
REOPENED = datetime(2026, 5, 10, 9, 0, tzinfo=UTC)
TEMP_ADDED = datetime(2026, 6, 2, 8, 0, tzinfo=UTC)
TEMP_REMOVED = datetime(2026, 6, 3, 8, 0, tzinfo=UTC)


class Clock:
    """The ledger's clock, set by the test: each change is written at a chosen instant."""

    def __init__(self, monkeypatch):
        self.now = ASSIGNED
        monkeypatch.setattr(access_changes, "utcnow", lambda: self.now)


def build_history(session: Session, world, monkeypatch) -> Filing:
    """Dev's past on Maple Leaf Cafe Inc.: assigned on Mar 3, the filing filed on Apr 30,
    reopened on May 10 (still open), and a step added and removed in June."""
    clock = Clock(monkeypatch)
    sam = world.actor(session, world.staff)
    q2 = make_filing(session, world.client, kind="GST/HST", period="Q2 2026")
    session.commit()
    step_id = steps.add_step(
        session=session, actor=sam, filing_id=q2.id, title="Enter Q2 bank transactions"
    )
    steps.assign_step(session=session, actor=sam, step_id=step_id, assignee_id=world.bk2.id)
    clock.now = FILED
    filings.change_status(session=session, actor=sam, filing_id=q2.id, action="file")
    clock.now = REOPENED
    filings.change_status(session=session, actor=sam, filing_id=q2.id, action="reopen")
    clock.now = TEMP_ADDED
    temp = steps.add_step(
        session=session, actor=sam, filing_id=q2.id, title="Temporary", assignee_id=world.bk2.id
    )
    clock.now = TEMP_REMOVED
    steps.remove_step(session=session, actor=sam, step_id=temp)
    session.commit()
    return q2
