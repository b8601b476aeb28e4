"""Staff build a template on /templates, make a repeating filing from it on a client's page,
find its steps assigned, file it, and find the next quarter's filing made from it too."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, select

from models import Filing
from portal.db import engine_for
from tests.browser.conftest import sign_in
from tests.factories import PASSWORD, make_client, make_firm, make_user

pytestmark = pytest.mark.browser


def test_staff_build_a_template_and_a_repeating_filing_from_it(live_app, open_context):
    tag = uuid.uuid4().hex[:8]
    with Session(engine_for(live_app.database_url)) as session:
        firm = make_firm(session, f"Template Firm {tag}")
        staff = make_user(session, firm, "staff", email=f"t-{tag}@tmpl.example", name="Tia Staff")
        books = make_user(
            session, firm, "bookkeeper", email=f"b-{tag}@tmpl.example", name="Bo Books"
        )
        client = make_client(session, firm, f"Quarterly Client {tag}")
        session.commit()
        client_id, staff_id, staff_email, books_id = client.id, staff.id, staff.email, books.id
    due = date.today() + timedelta(days=90)

    page = open_context().new_page()
    sign_in(page, staff_email, PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Templates").click()
    expect(page.get_by_role("heading", name="Filing templates", level=1)).to_be_visible()
    expect(page.get_by_text("No templates yet")).to_be_visible()

    page.get_by_role("button", name="New template").click()
    page.get_by_label("Template name").fill("GST/HST quarterly")
    page.get_by_label("Filing kind").select_option("GST/HST")
    page.get_by_label("Step 1 title").fill("Review the return")
    page.get_by_label("Step 1 default assignee").select_option(label="Tia Staff")
    page.get_by_label("Step 1 due, in days").fill("-3")
    page.get_by_role("button", name="Add step").click()
    page.get_by_label("Step 2 title").fill("Enter the quarter's transactions")
    page.get_by_label("Step 2 default assignee").select_option(label="Bo Books (bookkeeper)")
    page.get_by_label("Step 2 due, in days").fill("-14")
    page.get_by_label("Step 2 checklist").fill("Download statements\nEnter deposits")
    # By keyboard: the second step moves up, and what was typed moves with it.
    page.get_by_role("button", name="Move step 2 up").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_label("Step 1 title")).to_have_value("Enter the quarter's transactions")
    expect(page.get_by_label("Step 2 title")).to_have_value("Review the return")
    page.get_by_role("button", name="Save template").click()
    expect(page.get_by_role("status")).to_have_text("Template saved.")
    template = page.get_by_role("heading", name="GST/HST quarterly", level=3)
    expect(template).to_be_visible()

    page.goto(f"/clients/{client_id}")
    page.get_by_role("button", name="New filing").click()
    page.get_by_label("Template").select_option(label="GST/HST quarterly (GST/HST)")
    page.get_by_label("Period").fill("2026 Q3")
    page.get_by_label("Due date").fill(due.isoformat())
    page.get_by_label("Repeats").select_option(label="Quarterly")
    page.get_by_role("button", name="Create filing").click()
    heading = f"Quarterly Client {tag} · GST/HST 2026 Q3"
    expect(page.get_by_role("heading", name=heading)).to_be_visible()
    first = page.get_by_label("Assignee for Enter the quarter's transactions")
    expect(first).to_have_value(str(books_id))
    expect(page.get_by_label("Assignee for Review the return")).to_have_value(str(staff_id))
    expect(page.get_by_label("Repeats")).to_have_value("quarterly")
    plan = "The next filing (2026 Q4) is made when this one is filed."
    expect(page.get_by_text(plan)).to_be_visible()

    page.get_by_role("button", name="Mark as filed").click()
    expect(page.get_by_role("status")).to_have_text("Filing marked as filed.")
    page.get_by_role("link", name="GST/HST 2026 Q4").click()
    expect(
        page.get_by_role("heading", name=f"Quarterly Client {tag} · GST/HST 2026 Q4")
    ).to_be_visible()
    expect(page.get_by_label("Assignee for Enter the quarter's transactions")).to_have_value(
        str(books_id)
    )
    with Session(engine_for(live_app.database_url)) as session:
        periods = session.exec(
            select(Filing.period).where(Filing.client_id == client_id).order_by(Filing.id)
        ).all()
    assert periods == ["2026 Q3", "2026 Q4"]
