"""A staff member runs the whole cycle in the browser, from a new client to a filed filing."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, select

from models import Firm
from portal.db import engine_for
from portal.demo import ADMIN_PASSWORD, DEMO_FIRM, STAFF_PASSWORD
from portal.services import team
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser


def test_staff_run_a_client_from_creation_to_a_filed_filing(page, tmp_path):
    sign_in(page, "sam@demo-practice.example", STAFF_PASSWORD)
    expect(page.get_by_role("heading", name="Firm home")).to_be_visible()

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Clients").click()
    expect(page.get_by_role("heading", name="Clients", level=1)).to_be_visible()
    page.get_by_role("button", name="New client").click()
    page.get_by_role("button", name="Create client").click()
    expect(page.get_by_role("alert")).to_have_text("Client name cannot be empty.")
    page.get_by_label("Client name").fill("Golden Crust Bakery")
    page.get_by_label("Contact email").fill("owner@goldencrust.example")
    page.get_by_role("button", name="Create client").click()
    expect(page.get_by_role("heading", name="Golden Crust Bakery", level=1)).to_be_visible()

    page.get_by_role("button", name="New filing").click()
    page.get_by_label("Kind").select_option("GST/HST")
    page.get_by_label("Period").fill("Q2 2026")
    page.get_by_label("Due date").fill("2026-07-31")
    page.get_by_role("button", name="Create filing").click()
    expect(
        page.get_by_role("heading", name="Golden Crust Bakery · GST/HST Q2 2026")
    ).to_be_visible()

    page.get_by_label("Step title").fill("Enter Q2 sales")
    page.get_by_label("Assign to").select_option(label="Bea Martin (bookkeeper)")
    page.get_by_role("button", name="Add step").click()
    expect(page.get_by_role("status")).to_have_text("Step added.")
    page.get_by_label("Step title").fill("Review the return")
    page.get_by_role("button", name="Add step").click()
    expect(page.get_by_text("Review the return", exact=True)).to_be_visible()

    # Reassign the second step from its own picker, to a bookkeeper.
    page.get_by_text("Review the return", exact=True).click()
    page.get_by_label("Assignee for Review the return").select_option(
        label="Dev Singh (bookkeeper)"
    )
    expect(page.get_by_role("status")).to_have_text("Step assigned.")
    expect(page.get_by_label("Assignee for Review the return")).to_have_value(re.compile(r"\d+"))
    step = page.locator("details", has_text="Review the return")
    step.get_by_label("New checklist item for Review the return").fill("Compare to last quarter")
    step.get_by_role("button", name="Add item").click()
    step.get_by_role("checkbox", name="Compare to last quarter").click()
    expect(step.get_by_role("checkbox", name="Compare to last quarter")).to_be_checked()
    step.get_by_label("Time spent").fill("0:45")
    step.get_by_label("Date", exact=True).fill("2026-07-02")
    step.get_by_role("button", name="Log time").click()
    expect(step.get_by_text("Total 0:45")).to_be_visible()

    page.get_by_role("button", name="Mark as filed").click()
    expect(page.get_by_role("status")).to_have_text("Filing marked as filed.")
    expect(page.get_by_text("Filed", exact=True)).to_be_visible()
    page.get_by_role("button", name="Reopen filing").click()
    expect(page.get_by_role("status")).to_have_text("Filing reopened.")
    expect(page.get_by_role("button", name="Mark as filed")).to_be_visible()

    # Upload two documents to the client and download one back.
    page.get_by_role("link", name="Golden Crust Bakery").click()
    expect(page.get_by_role("heading", name="Golden Crust Bakery", level=1)).to_be_visible()
    receipts = tmp_path / "receipts.csv"
    receipts.write_text("date,amount\n2026-04-02,12.50\n")
    statement = tmp_path / "statement.pdf"
    statement.write_bytes(b"%PDF-1.4\n% a tiny statement\n%%EOF\n")
    page.locator("input[type=file]").set_input_files([str(receipts), str(statement)])
    page.get_by_label("For filing (optional)").select_option(label="GST/HST Q2 2026")
    page.get_by_role("button", name="Upload", exact=True).click()
    expect(page.get_by_role("status")).to_have_text("2 documents uploaded.")
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    with page.expect_download() as download:
        page.get_by_role("link", name="Download receipts.csv").click()
    saved = tmp_path / "downloaded.csv"
    download.value.save_as(saved)
    assert saved.read_text() == receipts.read_text()
    # Downloading is not leaving the page: its live connection must stay up.
    assert not [m for m in console if "Disconnect websocket" in m]

    refused = tmp_path / "run.exe"
    refused.write_bytes(b"MZ not a document")
    page.locator("input[type=file]").set_input_files([str(refused)])
    page.get_by_role("button", name="Upload", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("run.exe")


def _seats(live_app) -> tuple[int, int]:
    """(used, allowed) for the demo firm, as the service counts them: other tests in this run
    may have added staff of their own."""
    with Session(engine_for(live_app.database_url)) as session:
        firm = session.exec(select(Firm).where(Firm.name == DEMO_FIRM)).one()
        return team.seats_used(session, firm.id), firm.staff_seats


def test_the_seat_limit_message(page, live_app):
    used, allowed = _seats(live_app)
    sign_in(page, "admin@demo-practice.example", ADMIN_PASSWORD)
    expect(page.get_by_role("heading", name="Firm home")).to_be_visible()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Settings").click()
    expect(page.get_by_text("Bookkeeper logins:")).to_be_visible()
    expect(page.get_by_text(f"{used} of {allowed} used")).to_be_visible()
    tag = uuid.uuid4().hex[:6]
    added = []
    for n in range(allowed - used + 1):
        email = f"seat{n}-{tag}@demo-practice.example"
        page.get_by_label("Name", exact=True).fill(f"New Staff {tag} {n}")
        page.get_by_label("Email", exact=True).fill(email)
        page.get_by_role("button", name="Add login").click()
        if n < allowed - used:
            expect(page.get_by_role("status").first).to_contain_text(f"Invitation sent to {email}")
            added.append(email)
    expect(page.get_by_role("alert")).to_contain_text(f"{allowed} staff seats are all in use")
    expect(page.get_by_text(f"{allowed} of {allowed} used")).to_be_visible()
    # The seats this test filled are freed again for the tests that count them after it.
    for n in range(len(added)):
        page.get_by_role("button", name=f"Deactivate New Staff {tag} {n}", exact=True).click()
        expect(page.get_by_text(f"{allowed - n - 1} of {allowed} used")).to_be_visible()
