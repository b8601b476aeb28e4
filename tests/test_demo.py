"""The demo data: the product sheet's four tasks, with due dates that stay true."""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel import select

from models import Client, Filing, FilingTemplate, Firm, Step, TemplateStep, User
from portal import demo


def test_demo_loads_once_and_is_idempotent(session):
    today = date(2026, 4, 15)
    assert demo.load_demo(session, today=today) is True
    session.commit()
    assert demo.load_demo(session, today=today) is False
    assert len(session.exec(select(Firm)).all()) == 1
    roles = sorted(u.role for u in session.exec(select(User)).all())
    assert roles == ["admin", "bookkeeper", "bookkeeper", "bookkeeper", "staff", "staff"]


def test_the_product_sheet_tasks_are_there_with_relative_due_dates(session):
    today = date(2026, 4, 15)
    demo.load_demo(session, today=today)
    bea = session.exec(select(User).where(User.email == "bea@demo-practice.example")).one()
    rows = session.exec(
        select(Step, Filing, Client)
        .join(Filing, Filing.id == Step.filing_id)
        .join(Client, Client.id == Filing.client_id)
        .where(Step.assignee_id == bea.id, Filing.status.in_(("open", "in_review")))
    ).all()
    by_title = {step.title: (step, filing, client) for step, filing, client in rows}
    entry = by_title["Enter Q1 bank transactions"]
    assert entry[2].name == "Maple Leaf Cafe Inc." and entry[1].kind == "GST/HST"
    assert today < entry[0].due_date <= today + timedelta(days=7)
    assert by_title["Reconcile payroll accounts"][2].name == "River Valley Dental"
    overdue = by_title["Categorize expense receipts"]
    assert overdue[2].name == "Northside Logistics Ltd." and overdue[0].due_date < today
    waiting = by_title["Confirm opening balances with client"]
    assert waiting[2].name == "Bright Ideas Marketing"
    assert waiting[0].status == "waiting_on_client" and waiting[0].waiting_reason


def test_the_demo_has_clients_nobody_in_the_portal_works_on_and_a_filed_filing(session):
    demo.load_demo(session, today=date(2026, 4, 15))
    bookkeepers = {u.id for u in session.exec(select(User).where(User.role == "bookkeeper"))}
    reachable = set(
        session.exec(
            select(Filing.client_id)
            .join(Step, Step.filing_id == Filing.id)
            .where(Step.assignee_id.in_(bookkeepers), Filing.status.in_(("open", "in_review")))
        ).all()
    )
    all_clients = set(session.exec(select(Client.id)).all())
    assert len(all_clients - reachable) >= 2
    assert session.exec(select(Filing).where(Filing.status == "filed")).first() is not None


def test_the_demo_has_templates_for_its_recurring_work(session):
    demo.load_demo(session, today=date(2026, 4, 15))
    templates = {t.kind: t for t in session.exec(select(FilingTemplate))}
    assert sorted(templates) == ["Bookkeeping", "GST/HST", "Payroll"]
    people = {u.id: u.email.split("@")[0] for u in session.exec(select(User))}
    gst_steps = session.exec(
        select(TemplateStep)
        .where(TemplateStep.template_id == templates["GST/HST"].id)
        .order_by(TemplateStep.position)
    ).all()
    assert [(s.title, people[s.assignee_id], s.due_offset_days) for s in gst_steps] == [
        ("Enter the quarter's bank transactions", "bea", -6),
        ("Prepare the GST/HST return", "sam", -2),
        ("File the return with CRA", "sam", 0),
    ]
    assert gst_steps[0].checklist.splitlines()[0] == "Download the quarter's statements"
    assert len(session.exec(select(TemplateStep)).all()) == 9
    repeating = session.exec(select(Filing).where(Filing.recurrence != "")).all()
    assert sorted((f.kind, f.recurrence) for f in repeating) == [
        ("GST/HST", "quarterly"),
        ("GST/HST", "quarterly"),
        ("Payroll", "monthly"),
        ("Payroll", "monthly"),
        ("Payroll", "monthly"),
    ]
    assert all(f.template_id == templates[f.kind].id for f in repeating)
