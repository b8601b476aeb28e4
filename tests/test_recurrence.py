"""Recurring filings: the next period's label and due date, made when filed or on the firm's
schedule, and never twice."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import Session, select

from models import AuditEvent, Filing, Firm, Step
from portal.db import get_engine
from portal.services import filings, recurrence, templates
from portal.services.errors import Conflict, Invalid, Refused
from tests.test_templates import DUE, make_template


@pytest.mark.parametrize(
    ("period", "every", "following"),
    [
        ("2026 Q2", "quarterly", "2026 Q3"),
        ("2026 Q4", "quarterly", "2027 Q1"),
        ("Q4 2026", "quarterly", "Q1 2027"),
        ("q1 2026", "quarterly", "q2 2026"),
        ("2026-07", "monthly", "2026-08"),
        ("2026-12", "monthly", "2027-01"),
        ("March 2026", "monthly", "April 2026"),
        ("December 2026", "monthly", "January 2027"),
        ("Dec 2026", "monthly", "Jan 2027"),
        ("2026", "yearly", "2027"),
        ("FY 2025-2026", "yearly", "FY 2026-2027"),
        ("Q1 2026", "yearly", "Q1 2027"),
    ],
)
def test_the_next_period_keeps_the_labels_style(period, every, following):
    assert recurrence.next_period(period, every) == following


@pytest.mark.parametrize(
    ("period", "every"),
    [("Spring", "quarterly"), ("2026", "quarterly"), ("Q3", "quarterly"), ("Opening", "yearly")],
)
def test_a_period_that_names_no_such_period_is_refused(period, every):
    with pytest.raises(Invalid):
        recurrence.next_period(period, every)


@pytest.mark.parametrize(
    ("due", "every", "following"),
    [
        (date(2026, 7, 15), "monthly", date(2026, 8, 15)),
        (date(2026, 1, 30), "monthly", date(2026, 2, 28)),
        (date(2026, 1, 31), "monthly", date(2026, 2, 28)),
        (date(2026, 2, 28), "monthly", date(2026, 3, 31)),
        (date(2024, 1, 31), "monthly", date(2024, 2, 29)),
        (date(2026, 12, 15), "monthly", date(2027, 1, 15)),
        (date(2026, 11, 30), "quarterly", date(2027, 2, 28)),
        (date(2026, 7, 31), "quarterly", date(2026, 10, 31)),
        (date(2024, 2, 29), "yearly", date(2025, 2, 28)),
        (date(2026, 4, 30), "yearly", date(2027, 4, 30)),
    ],
)
def test_the_next_due_date_adds_the_interval_clamped_to_the_months_end(due, every, following):
    assert recurrence.next_due(due, every) == following


def repeating(session, world, *, every="quarterly", period="2026 Q2"):
    template_id = make_template(session, world)
    made = templates.create_filing(
        session=session,
        actor=world.actor(session, world.staff),
        client_id=world.client.id,
        kind="",
        period=period,
        due_date=DUE.isoformat(),
        template_id=str(template_id),
        recurrence_value=every,
    )
    session.commit()
    return session.get(Filing, made.filing_id)


def following(session, filing) -> list[Filing]:
    session.expire_all()
    return session.exec(select(Filing).where(Filing.previous_filing_id == filing.id)).all()


def file(session, world, filing, action="file"):
    filings.change_status(
        session=session, actor=world.actor(session, world.staff), filing_id=filing.id, action=action
    )
    session.commit()


def test_filing_a_recurring_filing_makes_the_next_with_the_templates_steps(session, world):
    current = repeating(session, world)
    file(session, world, current)
    [nxt] = following(session, current)
    assert (nxt.kind, nxt.period, nxt.due_date, nxt.status) == (
        "GST/HST",
        "2026 Q3",
        recurrence.next_due(DUE, "quarterly"),
        "open",
    )
    assert (nxt.recurrence, nxt.template_id) == ("quarterly", current.template_id)
    rows = session.exec(select(Step).where(Step.filing_id == nxt.id).order_by(Step.position)).all()
    assert [(s.title, s.due_date, s.assignee_id) for s in rows] == [
        ("Enter the quarter's bank transactions", nxt.due_date - timedelta(days=14), world.bk2.id),
        ("Review the return", nxt.due_date - timedelta(days=3), world.staff.id),
    ]
    detail = session.exec(
        select(AuditEvent.detail).where(
            AuditEvent.action == "filing_created", AuditEvent.target_id == nxt.id
        )
    ).one()
    assert detail == f"GST/HST 2026 Q3: recurring from GST/HST 2026 Q2 (filing {current.id})"


def test_reopening_and_filing_again_makes_no_second_next_filing(session, world):
    current = repeating(session, world)
    file(session, world, current)
    file(session, world, current, "reopen")
    file(session, world, current)
    assert len(following(session, current)) == 1


def test_a_one_off_filing_or_a_cancelled_one_makes_no_next(session, world):
    once = repeating(session, world, every="")
    file(session, world, once)
    assert following(session, once) == []
    cancelled = repeating(session, world)
    file(session, world, cancelled, "cancel")
    assert following(session, cancelled) == []


def test_filing_makes_nothing_when_the_firm_uses_the_schedule(session, world):
    world.firm.recurring_on = recurrence.ON_SCHEDULE
    session.add(world.firm)
    session.commit()
    current = repeating(session, world)
    file(session, world, current)
    assert following(session, current) == []


def _today_plus(days: int) -> datetime:
    return datetime.combine(date.today() + timedelta(days=days), datetime.min.time(), UTC).replace(
        hour=12
    )


def test_the_schedule_makes_the_next_filing_n_days_before_its_due_date(session, world):
    world.firm.recurring_on = recurrence.ON_SCHEDULE
    world.firm.recurring_days_before = 20
    session.add(world.firm)
    session.commit()
    current = repeating(session, world, every="monthly", period="2026-07")
    next_due = recurrence.next_due(DUE, "monthly")
    day_before = (next_due - timedelta(days=21) - date.today()).days
    assert recurrence.run_schedule(now=_today_plus(day_before)) == 0
    assert following(session, current) == []
    on_the_day = (next_due - timedelta(days=20) - date.today()).days
    assert recurrence.run_schedule(now=_today_plus(on_the_day)) == 1
    [nxt] = following(session, current)
    assert (nxt.period, nxt.due_date) == ("2026-08", next_due)
    assert len(session.exec(select(Step).where(Step.filing_id == nxt.id)).all()) == 2
    # Run again (another worker, the next pass): nothing more.
    assert recurrence.run_schedule(now=_today_plus(on_the_day)) == 0
    assert len(following(session, current)) == 1


def test_two_calls_at_once_make_one_next_filing(session, world):
    current = repeating(session, world)
    staff = world.actor(session, world.staff)
    world.firm.recurring_on = recurrence.ON_SCHEDULE
    session.add(world.firm)
    session.commit()
    barrier = threading.Barrier(2)
    results: list[object] = []

    def worker():
        with Session(get_engine(), expire_on_commit=False) as own:
            filing = own.get(Filing, current.id)
            barrier.wait()
            try:
                results.append(recurrence.create_next(own, actor=staff, filing=filing))
                own.commit()
            except Exception as exc:  # the loser may be told the database was busy
                own.rollback()
                results.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(following(session, current)) == 1
    assert sum(isinstance(r, int) for r in results) == 1


def test_the_filing_page_sets_how_a_filing_repeats_over_what_it_showed(session, world):
    staff = world.actor(session, world.staff)
    filing = world.filing
    assert recurrence.set_recurrence(
        session=session, actor=staff, filing_id=filing.id, recurrence="quarterly", seen=""
    )
    session.commit()
    shown = recurrence.filing_recurrence(session=session, actor=staff, filing_id=filing.id)
    assert shown.label == "Quarterly"
    assert shown.plan == "The next filing (Q2 2026) is made when this one is filed."
    with pytest.raises(Conflict, match="Repeats is now Quarterly"):
        recurrence.set_recurrence(
            session=session, actor=staff, filing_id=filing.id, recurrence="yearly", seen=""
        )
    session.rollback()
    with pytest.raises(Invalid, match="monthly filing's period"):
        recurrence.set_recurrence(
            session=session,
            actor=staff,
            filing_id=filing.id,
            recurrence="monthly",
            seen="quarterly",
        )
    with pytest.raises(Refused):
        recurrence.set_recurrence(
            session=session,
            actor=world.actor(session, world.bk1),
            filing_id=filing.id,
            recurrence="",
            seen="quarterly",
        )


def test_the_firm_setting_is_admin_only_and_checked(session, world):
    admin = world.actor(session, world.admin)
    with pytest.raises(Refused):
        recurrence.set_firm_setting(
            session=session,
            actor=world.actor(session, world.staff),
            recurring_on="schedule",
            days_before="10",
        )
    with pytest.raises(Invalid):
        recurrence.set_firm_setting(
            session=session, actor=admin, recurring_on="schedule", days_before="-1"
        )
    recurrence.set_firm_setting(
        session=session, actor=admin, recurring_on="schedule", days_before="10"
    )
    session.commit()
    firm = session.get(Firm, world.firm.id)
    assert (firm.recurring_on, firm.recurring_days_before) == ("schedule", 10)
    assert recurrence.firm_setting(session=session, actor=admin) == recurrence.FirmSetting(
        "schedule", 10
    )
