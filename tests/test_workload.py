"""The Workload page's figures, against a small world with known numbers: open steps per person
by due state, time per person and per client by the firm's weeks, filings due per month by
status; each firm's own only, and none of it for a bookkeeper."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

import pytest
from sqlmodel import select

from models import AuditEvent, Filing, Step, TimeEntry
from portal import access, routes
from portal.access import Role
from portal.services import dashboard, workload
from portal.services.errors import Refused
from tests import test_download_route
from tests.factories import make_client, make_filing, make_firm, make_step, make_user, open_session

http, cookie = test_download_route.http, test_download_route.cookie

# A Wednesday evening in UTC: the firm's (UTC) today is Nov 25, 2026, in the week of Nov 23.
NOW = datetime(2026, 11, 25, 18, 0, tzinfo=UTC)
TODAY = NOW.date()


def due(session, filing, who, when: date | None, *, status: str = "todo", title: str = "") -> Step:
    step = make_step(session, filing, who, title=title or None, status=status)
    step.due_date = when
    session.add(step)
    session.flush()
    return step


def logged(session, step: Step, who, minutes: int, when: date) -> None:
    session.add(
        TimeEntry(
            firm_id=step.firm_id, step_id=step.id, user_id=who.id, minutes=minutes, work_date=when
        )
    )
    session.flush()


def filing_due(session, client, when: date | None, status: str = "open") -> Filing:
    filing = make_filing(session, client, status=status)
    filing.due_date = when
    session.add(filing)
    session.flush()
    return filing


def test_open_steps_per_person_by_due_state_on_active_filings_only(session, world):
    world.step.due_date = date(2026, 11, 27)  # Bea: due soon
    session.add(world.step)
    due(session, world.filing, world.bk1, date(2026, 11, 20))  # overdue
    due(session, world.filing, world.bk1, date(2026, 11, 1), status="done")  # done: not open
    due(session, world.filing, world.staff, date(2026, 12, 25))  # later
    due(session, world.filing, world.staff, None)  # no due date: later
    due(session, world.filing, world.staff, date(2026, 12, 2))  # today + 7: still due soon
    due(session, world.filing, world.staff, TODAY)  # due today: due soon, not overdue
    due(session, world.filing, None, date(2026, 11, 1))  # nobody's
    reviewing = filing_due(session, world.other_client, TODAY, status="in_review")
    due(session, reviewing, world.bk2, date(2026, 11, 24))  # in review is active: overdue
    filed = filing_due(session, world.other_client, TODAY, status="filed")
    due(session, filed, world.bk2, date(2026, 11, 1))  # on a filed filing: not counted
    cancelled = filing_due(session, world.other_client, TODAY, status="cancelled")
    due(session, cancelled, world.staff, date(2026, 11, 1))  # cancelled: not counted
    due(session, world.outsider_filing, world.outsider, date(2026, 11, 1))  # another firm
    session.commit()

    shown = workload.workload(session=session, actor=world.actor(session, world.staff), now=NOW)
    assert [(p.name, p.role_label, p.overdue, p.soon, p.later, p.total) for p in shown.people] == [
        ("Bea Books", "Bookkeeper", 1, 1, 0, 2),
        ("Dev Books", "Bookkeeper", 1, 0, 0, 1),
        ("Sam Staff", "Staff", 0, 2, 2, 4),
        ("Unassigned", "", 1, 0, 0, 1),
    ]
    assert shown.open_total == 8
    assert shown.open_summary == (
        "Bar chart of open steps per person: 8 open steps, 3 overdue and 3 due soon, held by "
        "3 people (1 unassigned)."
    )
    # The firm home's chart is the same one, from the home's own counts.
    home = dashboard.firm_home(
        session=session, actor=world.actor(session, world.admin), today=TODAY
    )
    assert home.people == shown.people and home.people_summary == shown.open_summary


def _time_world(session, world):
    """Bea and Sam log time on two clients; the firm keeps Vancouver's clock."""
    world.firm.time_zone = "America/Vancouver"
    session.add(world.firm)
    river = make_filing(session, world.other_client)
    maple_step, river_step = world.step, make_step(session, river, world.staff)
    logged(session, maple_step, world.bk1, 60, date(2026, 9, 7))  # first week's Monday
    logged(session, maple_step, world.bk1, 30, date(2026, 11, 29))  # the last week's Sunday
    logged(session, river_step, world.staff, 45, date(2026, 11, 23))
    logged(session, river_step, world.staff, 20, date(2026, 9, 6))  # the Sunday before: out
    logged(session, river_step, world.bk2, 15, date(2026, 11, 30))  # Vancouver's tomorrow: out
    logged(session, world.outsider_step, world.outsider, 500, date(2026, 11, 24))  # other firm
    session.commit()


# 03:00 UTC on Monday Nov 30 is still Sunday Nov 29 in Vancouver: the week of Nov 23 is the
# last one shown, not the week of Nov 30 that UTC would begin.
MONDAY_UTC = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)


def test_time_per_person_and_client_by_the_firms_weeks(session, world):
    _time_world(session, world)
    shown = workload.workload(
        session=session, actor=world.actor(session, world.staff), now=MONDAY_UTC
    )
    assert shown.weeks == "Sep 7 to Nov 29, 2026"
    person = shown.by_person
    assert [s.name for s in person.series] == ["Bea Books", "Sam Staff"]
    assert person.columns == ["Bea Books", "Sam Staff", "Total"]
    assert len(person.rows) == workload.WEEKS
    rows = {r.label: r.cells for r in person.rows}
    assert rows["Sep 7"] == ["1:00", "0:00", "1:00"]
    assert rows["Nov 23"] == ["0:30", "0:45", "1:15"]
    assert all(
        cells == ["0:00", "0:00", "0:00"]
        for label, cells in rows.items()
        if label not in ("Sep 7", "Nov 23")
    )
    assert person.points[0] == {"label": "Sep 7", "s0": 1.0, "s1": 0.0}
    assert person.points[-1] == {"label": "Nov 23", "s0": 0.5, "s1": 0.75}
    assert person.total_minutes == 135
    assert person.summary.endswith("by person: 2:15 hours in all.")

    client = shown.by_client
    assert client.columns == ["Maple Leaf Cafe Inc.", "River Valley Dental", "Total"]
    assert {r.label: r.cells for r in client.rows}["Nov 23"] == ["0:30", "0:45", "1:15"]
    assert client.total_minutes == 135


def test_the_rest_of_the_people_and_clients_are_other(session, world, monkeypatch):
    _time_world(session, world)
    monkeypatch.setattr(workload, "TOP", 1)
    shown = workload.workload(
        session=session, actor=world.actor(session, world.staff), now=MONDAY_UTC
    )
    assert [(s.key, s.name) for s in shown.by_person.series] == [
        ("s0", "Bea Books"),
        ("other", "Other"),
    ]
    assert {r.label: r.cells for r in shown.by_person.rows}["Nov 23"] == ["0:30", "0:45", "1:15"]
    assert [s.name for s in shown.by_client.series] == ["Maple Leaf Cafe Inc.", "Other"]
    assert shown.by_client.points[-1] == {"label": "Nov 23", "s0": 0.5, "other": 0.75}


def test_filings_due_per_month_by_status(session, world):
    world.filing.due_date = date(2026, 11, 10)
    session.add(world.filing)
    filing_due(session, world.client, date(2026, 11, 3), "filed")
    filing_due(session, world.client, date(2027, 1, 15), "in_review")
    filing_due(session, world.client, date(2025, 12, 1), "cancelled")  # the first month shown
    filing_due(session, world.client, date(2025, 11, 30))  # before it: out
    filing_due(session, world.client, date(2027, 3, 1))  # after the third month ahead: out
    filing_due(session, world.client, None)  # no due date: out
    world.outsider_filing.due_date = date(2026, 11, 10)  # another firm's: out
    session.add(world.outsider_filing)
    session.commit()

    months = workload.workload(
        session=session, actor=world.actor(session, world.staff), now=NOW
    ).filings
    assert months.period == "Dec 2025 to Feb 2027"
    assert len(months.rows) == 15
    rows = {r.label: r.cells for r in months.rows}
    assert rows["Dec 2025"] == ["0", "0", "0", "1", "1"]
    assert rows["Nov 2026"] == ["1", "0", "1", "0", "2"]
    assert rows["Jan 2027"] == ["0", "1", "0", "0", "1"]
    assert rows["Feb 2027"] == ["0", "0", "0", "0", "0"]
    assert months.total == 4
    nov = next(p for p in months.points if p["label"] == "Nov 2026")
    assert nov == {"label": "Nov 2026", "open": 1, "in_review": 0, "filed": 1, "cancelled": 0}


def test_a_firm_with_nothing_yet_gets_empty_charts(session):
    firm = make_firm(session, "Empty Books")
    staff = make_user(session, firm, "staff")
    session.commit()
    from tests.factories import actor_for

    shown = workload.workload(session=session, actor=actor_for(staff), now=NOW)
    assert shown.people == [] and shown.open_total == 0 and shown.open_summary == ""
    assert shown.by_person.summary == "" and shown.by_person.series == []
    assert shown.by_client.summary == "" and shown.filings.total == 0
    assert shown.filings.summary == ""


def test_a_bookkeeper_gets_none_of_it(session, world):
    bea = world.actor(session, world.bk1)
    for call in (workload.workload, dashboard.firm_home):
        with pytest.raises(Refused):
            call(session=session, actor=bea)
    with pytest.raises(Refused):
        workload.export(session=session, actor=bea, chart="open-steps")
    # Layer 1: neither the page nor its events.
    decision = access.route_decision(Role.BOOKKEEPER, routes.WORKLOAD)
    assert not decision.allowed and decision.redirect is None
    for name in ("state.workload.WorkloadState.load", "state.home.HomeState.load"):
        assert not access.event_allowed(Role.BOOKKEEPER, name)
        assert access.event_allowed(Role.STAFF, name) and access.event_allowed(Role.ADMIN, name)
    assert access.route_decision(Role.STAFF, routes.WORKLOAD).allowed


# The CSV files, over HTTP.

HYPERLINK = '=HYPERLINK("http://x","y")'


def rows_of(response) -> list[list[str]]:
    assert response.content.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"), newline="")))


def test_names_like_formulas_arrive_as_text_and_odd_unicode_survives(session, http, world):
    trap = make_user(session, world.firm, "bookkeeper", name=HYPERLINK)
    plus = make_user(session, world.firm, "bookkeeper", name="+Plus Person")
    accented = make_client(session, world.firm, "@Zoë Ünïcödé 🧾 Ltée\u200b")
    minus = make_client(session, world.firm, "-Minus Ltd")
    for who, client in ((trap, accented), (plus, minus)):
        step = make_step(session, make_filing(session, client), who)
        logged(session, step, who, 30, date.today())
    session.commit()
    staff = cookie(open_session(session, world.staff))

    steps = rows_of(http.get(routes.workload_export("open-steps"), headers=staff))
    assert steps[0] == ["Person", "Role", "Overdue", "Due soon", "Later", "Open steps"]
    names = [row[0] for row in steps[1:]]
    assert "'" + HYPERLINK in names and "'+Plus Person" in names

    people = rows_of(http.get(routes.workload_export("time-by-person"), headers=staff))
    assert people[0] == ["Week starting", "Person", "Role", "Minutes", "Hours"]
    assert {row[1] for row in people[1:]} == {"'" + HYPERLINK, "'+Plus Person"}
    assert {row[3] for row in people[1:]} == {"30"} and {row[4] for row in people[1:]} == {"0.5"}

    response = http.get(routes.workload_export("time-by-client"), headers=staff)
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["cache-control"] == "private, no-store"
    assert response.headers["content-disposition"].startswith(
        f'attachment; filename="workload-time-by-client-{date.today().isoformat()}.csv"'
    )
    clients = {row[1] for row in rows_of(response)[1:]}
    assert clients == {"'@Zoë Ünïcödé 🧾 Ltée\u200b", "'-Minus Ltd"}

    months = rows_of(http.get(routes.workload_export("filings-by-month"), headers=staff))
    assert months[0] == ["Month", "Open", "In review", "Filed", "Cancelled", "Total"]
    assert len(months) == 16
    every_cell = [cell for body in (steps, people, months) for row in body[1:] for cell in row]
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in every_cell)
    exported = session.exec(
        select(AuditEvent.detail).where(AuditEvent.action == "workload_exported")
    ).all()
    assert sorted(exported) == sorted(
        ["open-steps", "time-by-person", "time-by-client", "filings-by-month"]
    )


def test_every_refusal_of_a_workload_file_is_the_same_404(session, http, world):
    bookkeeper = cookie(open_session(session, world.bk1))
    admin = cookie(open_session(session, world.admin))
    assert http.get(routes.workload_export("open-steps"), headers=admin).status_code == 200
    answers = [
        http.get(routes.workload_export("open-steps"), headers=bookkeeper),
        http.get(routes.workload_export("time-by-client"), headers=bookkeeper),
        http.get(routes.workload_export("open-steps")),  # signed out
        http.get(routes.workload_export("open-steps"), headers=cookie("not-a-session")),
        http.get(routes.workload_export("everything"), headers=admin),
        http.get(routes.workload_export("..%2F..%2Fetc"), headers=admin),
    ]
    assert {(a.status_code, a.content, a.headers["content-type"]) for a in answers} == {
        (404, b"Not found.\n", "text/plain; charset=utf-8")
    }
    refused = session.exec(
        select(AuditEvent.actor_id).where(
            AuditEvent.outcome == "refused", AuditEvent.detail.contains("/workload/export")
        )
    ).all()
    assert world.bk1.id in set(refused)
    exported = session.exec(
        select(AuditEvent.actor_id).where(AuditEvent.action == "workload_exported")
    ).all()
    assert exported == [world.admin.id]


def test_another_firms_figures_never_appear(session, world):
    """The outsider's firm: its own step and time only, never Alpha's."""
    logged(session, world.step, world.bk1, 60, TODAY)
    logged(session, world.outsider_step, world.outsider, 25, TODAY)
    world.outsider_step.due_date = TODAY
    session.add(world.outsider_step)
    session.commit()
    shown = workload.workload(session=session, actor=world.actor(session, world.outsider), now=NOW)
    assert [(p.name, p.total) for p in shown.people] == [("Olga", 1)]
    assert [s.name for s in shown.by_person.series] == ["Olga"]
    assert [s.name for s in shown.by_client.series] == ["Beta Client Co."]
    assert shown.by_person.total_minutes == 25
