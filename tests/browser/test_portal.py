"""The Bookkeeper Portal in a real browser, on the demo data."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import text

from portal.db import engine_for
from portal.demo import BOOKKEEPER_PASSWORD, STAFF_PASSWORD
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser

BEA = "bea@demo-practice.example"


def expected_counters(database_url: str) -> tuple[int, int, int]:
    """A plain-SQL oracle of Bea's dashboard, independent of the service that draws it."""
    today = date.today()
    soon = today + timedelta(days=7)
    with engine_for(database_url).connect() as conn:
        rows = conn.execute(
            text(
                "SELECT s.due_date, s.status FROM step s JOIN filing f ON f.id = s.filing_id "
                "JOIN user_account u ON u.id = s.assignee_id "
                "WHERE u.email = :email AND f.status IN ('open', 'in_review')"
            ),
            {"email": BEA},
        ).all()
    dues = [(date.fromisoformat(str(d)[:10]) if d else None, s) for d, s in rows]
    due_soon = sum(1 for d, s in dues if s != "done" and d and today <= d <= soon)
    overdue = sum(1 for d, s in dues if s != "done" and d and d < today)
    return len(dues), due_soon, overdue


def record_id(database_url: str, sql: str, **params) -> int:
    with engine_for(database_url).connect() as conn:
        return conn.execute(text(sql), params).scalar_one()


def test_the_bookkeepers_day(page, live_app, tmp_path):
    sign_in(page, BEA, BOOKKEEPER_PASSWORD)
    expect(page.get_by_role("heading", name="My tasks")).to_be_visible()
    assigned, due_soon, overdue = expected_counters(live_app.database_url)
    dashboard = page.get_by_role("group", name="Dashboard")
    expect(dashboard).to_contain_text(f"Assigned{assigned}")
    expect(dashboard).to_contain_text(f"Due soon{due_soon}")
    expect(dashboard).to_contain_text(f"Overdue{overdue}")
    expect(page.get_by_text("Maple Leaf Cafe Inc. · GST/HST · Due")).to_be_visible()
    expect(
        page.get_by_text("Northside Logistics Ltd. · Bookkeeping · Overdue since")
    ).to_be_visible()
    expect(
        page.get_by_text("Bright Ideas Marketing · Bookkeeping · Waiting on client")
    ).to_be_visible()

    page.get_by_label("Status").select_option("waiting_on_client")
    expect(page.get_by_role("link", name=re.compile("Confirm opening balances"))).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("Enter Q1 bank transactions"))).to_have_count(0)
    page.get_by_label("Status").select_option("")

    page.get_by_role("link", name=re.compile("Enter Q1 bank transactions")).click()
    expect(page.get_by_role("heading", name="Enter Q1 bank transactions", level=1)).to_be_visible()
    expect(page.get_by_role("link", name="Maple Leaf Cafe Inc. · GST/HST Q1")).to_be_visible()
    page.get_by_role("checkbox", name="Enter deposits").click()
    expect(page.get_by_role("checkbox", name="Enter deposits")).to_be_checked()
    page.get_by_label("Time spent").fill("45")
    page.get_by_label("Date", exact=True).fill(date.today().isoformat())
    page.get_by_label("Note", exact=True).fill("January deposits")
    page.get_by_role("button", name="Log time").click()
    expect(page.get_by_text("Total 0:45")).to_be_visible()
    page.get_by_label("Add a comment").fill("Deposits are in; withdrawals next.")
    page.get_by_role("button", name="Comment").click()
    expect(page.get_by_text("Deposits are in; withdrawals next.")).to_be_visible()
    page.get_by_label("Status of Enter Q1 bank transactions").select_option("waiting_on_client")
    page.get_by_label("What are you waiting for from the client?").fill("March statement")
    page.get_by_role("button", name="Mark waiting on client").click()
    expect(page.get_by_text("Waiting on client: March statement")).to_be_visible()
    # No control that manages steps is offered here.
    for absent in ("Add item", "Remove", "Move up", "Mark as filed"):
        expect(page.get_by_role("button", name=absent)).to_have_count(0)

    page.get_by_role("link", name="Maple Leaf Cafe Inc.", exact=True).click()
    expect(page.get_by_role("heading", name="Maple Leaf Cafe Inc.", level=1)).to_be_visible()
    for absent in ("Edit client", "New filing", "Upload", "Compose email", "Delete", "Send"):
        expect(page.get_by_role("button", name=absent)).to_have_count(0)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download Q1 bank transactions.csv").click()
    saved = tmp_path / "statement.csv"
    download.value.save_as(saved)
    assert saved.read_text().startswith("date,description,amount")
    expect(page.get_by_text("Q1 statements")).to_be_visible()  # the client's emails, read-only

    thread = page.locator(".rt-Card", has_text="GST/HST Q1")
    thread.get_by_label("Write a message").fill("Statements received, thanks.")
    thread.get_by_role("button", name="Post message").click()
    expect(thread.get_by_text("Statements received, thanks.")).to_be_visible()
    payroll = page.locator(".rt-Card", has_text="Payroll March")
    expect(payroll.get_by_role("button", name="Post message")).to_have_count(0)


def test_foreign_urls_read_as_not_found(page, live_app):
    url = live_app.database_url
    unassigned_client = record_id(url, "SELECT id FROM client WHERE name = 'Harbourview Florists'")
    filed_client = record_id(url, "SELECT id FROM client WHERE name = 'Summit Engineering Ltd.'")
    others_step = record_id(url, "SELECT id FROM step WHERE title = 'Scan and upload receipts'")
    a_filing = record_id(url, "SELECT MIN(id) FROM filing")
    sign_in(page, BEA, BOOKKEEPER_PASSWORD)
    expect(page.get_by_role("heading", name="My tasks")).to_be_visible()
    for path in (
        f"/clients/{unassigned_client}",
        f"/clients/{filed_client}",
        "/clients/999999",
        f"/tasks/{others_step}",
        "/tasks/999999",
        "/tasks/not-a-number",
    ):
        page.goto(path)
        expect(page.get_by_role("heading", name="Not found")).to_be_visible()
        expect(page.get_by_role("main")).not_to_contain_text("Florists")
        expect(page.get_by_role("main")).not_to_contain_text("Scan and upload")
    for path in (
        "/clients",
        f"/filings/{a_filing}",
        "/staff",
        "/settings",
        "/audit",
        "/admin/bookkeepers",
    ):
        response = page.goto(path)
        assert response.status == 404, path
        expect(page.get_by_role("heading", name="Not found")).to_be_visible()


def test_reassigning_while_the_bookkeeper_has_the_client_open(open_context, live_app):
    northside = record_id(
        live_app.database_url, "SELECT id FROM client WHERE name = 'Northside Logistics Ltd.'"
    )
    filing = record_id(
        live_app.database_url,
        "SELECT f.id FROM filing f JOIN step s ON s.filing_id = f.id "
        "WHERE s.title = 'Categorize expense receipts'",
    )
    bookkeeper = open_context()
    staff = open_context()
    bea = bookkeeper.new_page()
    sign_in(bea, BEA, BOOKKEEPER_PASSWORD)
    expect(bea.get_by_role("heading", name="My tasks")).to_be_visible()
    bea.goto(f"/clients/{northside}")
    expect(bea.get_by_role("heading", name="Northside Logistics Ltd.")).to_be_visible()
    link = bea.get_by_role("link", name="Download Fuel receipts.csv")
    download_url = f"{live_app.base_url}{link.get_attribute('href')}"
    assert bea.request.get(download_url).status == 200

    bea.get_by_label("Write a message").fill("Still on it?")

    sam = staff.new_page()
    sign_in(sam, "sam@demo-practice.example", STAFF_PASSWORD)
    expect(sam.get_by_role("heading", name="Firm home")).to_be_visible()
    sam.goto(f"/filings/{filing}")
    sam.get_by_text("Categorize expense receipts", exact=True).click()
    sam.get_by_label("Assignee for Categorize expense receipts").select_option(
        label="Dev Singh (bookkeeper)"
    )
    expect(sam.get_by_role("status")).to_have_text("Step assigned.")

    # The bookkeeper's open page clears itself, with no click of hers, and hands back what
    # she was typing.
    expect(bea.get_by_role("heading", name="Your access has ended")).to_be_visible()
    expect(bea.get_by_role("textbox", name="Your message (not saved)")).to_have_value(
        "Still on it?"
    )
    expect(bea.get_by_role("main")).not_to_contain_text("Northside")
    expect(bea.get_by_role("main")).not_to_contain_text("Fuel receipts")
    assert bea.request.get(download_url).status == 404
    bea.goto(f"/clients/{northside}")
    expect(bea.get_by_role("heading", name="Not found")).to_be_visible()
