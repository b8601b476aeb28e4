"""The audit log page's service: firm only, filters by person and client, admins only."""

from __future__ import annotations

import pytest

from portal.services import audit, filings, steps
from portal.services.errors import Refused


def test_grants_and_ends_of_access_are_listed_and_filterable(session, world):
    staff = world.actor(session, world.staff)
    steps.assign_step(session=session, actor=staff, step_id=world.step.id, assignee_id=world.bk2.id)
    filings.change_status(session=session, actor=staff, filing_id=world.filing.id, action="file")
    filings.change_status(session=session, actor=staff, filing_id=world.filing.id, action="reopen")
    other_firm = world.actor(session, world.outsider)
    filings.change_status(
        session=session, actor=other_firm, filing_id=world.outsider_filing.id, action="file"
    )
    session.commit()
    admin = world.actor(session, world.admin)
    page = audit.list_events(session=session, actor=admin)
    actions = [r.action for r in page.rows]
    assert actions[:3] == ["filing reopened", "filing filed", "step reassigned"]
    assert all("Beta" not in r.client_name for r in page.rows)
    by_staff = audit.list_events(session=session, actor=admin, person_id=world.staff.id)
    assert {r.who for r in by_staff.rows} == {"Sam Staff"}
    by_client = audit.list_events(session=session, actor=admin, client_id=world.client.id)
    assert {r.client_name for r in by_client.rows} == {"Maple Leaf Cafe Inc."}
    assert len(by_client.rows) == 3
    assert {o.label for o in page.people} >= {"Bea Books (Bookkeeper)", "Sam Staff (Staff)"}


def test_only_admins_read_the_log(session, world):
    for user in (world.staff, world.bk1):
        with pytest.raises(Refused):
            audit.list_events(session=session, actor=world.actor(session, user))
