"""The firm home: open steps by assignee, due soon and overdue, across the firm only."""

from __future__ import annotations

from datetime import date

from portal.services import dashboard, filings
from tests.factories import make_filing, make_step


def test_firm_home_counts(session, world):
    today = date.today()
    make_step(session, world.filing, world.bk1, title="Late one", due_in=-3)
    make_step(session, world.filing, world.staff, title="Soon one", due_in=2)
    make_step(session, world.filing, None, title="Nobody's", due_in=30)
    make_step(session, world.filing, world.bk2, title="Finished", due_in=-10, status="done")
    closed = make_filing(session, world.other_client, status="filed")
    make_step(session, closed, world.bk2, title="On a filed filing", due_in=-5)
    session.commit()
    home = dashboard.firm_home(
        session=session, actor=world.actor(session, world.staff), today=today
    )
    assert home.open_steps == 4 and home.unassigned == 1
    loads = {a.name: (a.open_steps, a.due_soon, a.overdue) for a in home.by_assignee}
    assert loads == {"Bea Books": (2, 1, 1), "Sam Staff": (1, 1, 0)}
    assert [s.title for s in home.overdue] == ["Late one"]
    assert [s.title for s in home.due_soon] == ["Soon one", "Enter Q1 bank transactions"]
    assert home.overdue[0].due_label.startswith("Overdue since")
    assert "Beta step" not in {s.title for s in home.overdue + home.due_soon}


def test_filing_a_filing_takes_its_steps_off_the_home(session, world):
    staff = world.actor(session, world.staff)
    filings.change_status(session=session, actor=staff, filing_id=world.filing.id, action="file")
    assert dashboard.firm_home(session=session, actor=staff).open_steps == 0
