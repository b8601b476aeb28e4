"""Notifications in the browser: staff assign a step, the served app's mail server catches
the email within seconds, and the link in it opens the task for the signed-in assignee, whose
header counts it, lists it and marks it read; their account page keeps their switches."""

from __future__ import annotations

import re
import time
import uuid

import pytest
from playwright.sync_api import expect

from portal.demo import BOOKKEEPER_PASSWORD, STAFF_PASSWORD
from tests.browser.conftest import sign_in
from tests.browser.test_portal import record_id

pytestmark = pytest.mark.browser

BEA = "bea@demo-practice.example"


def caught(live_app, subject: str, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = live_app.mail.with_subject(subject)
        if found:
            return found
        time.sleep(0.1)
    return []


def test_the_assignment_email_link_opens_the_task_for_the_assignee(open_context, live_app):
    title = f"Enter bank feed {uuid.uuid4().hex[:6]}"
    filing = record_id(
        live_app.database_url,
        "SELECT f.id FROM filing f JOIN client c ON c.id = f.client_id "
        "WHERE c.name = 'Maple Leaf Cafe Inc.' AND f.status = 'open' ORDER BY f.id LIMIT 1",
    )
    sam = open_context().new_page()
    sign_in(sam, "sam@demo-practice.example", STAFF_PASSWORD)
    expect(sam.get_by_role("heading", name="Firm home")).to_be_visible()
    sam.goto(f"/filings/{filing}")
    sam.get_by_label("Step title").fill(title)
    sam.get_by_label("Assign to").select_option(label="Bea Martin (bookkeeper)")
    assigned_at = time.monotonic()
    sam.get_by_role("button", name="Add step").click()
    expect(sam.get_by_role("status")).to_have_text("Step added.")

    [message] = caught(live_app, f"Task assigned to you: {title}")
    assert time.monotonic() - assigned_at < 5
    assert message["To"].addresses[0].addr_spec == BEA
    text = message.get_body(("plain",)).get_content()
    assert "Client:  Maple Leaf Cafe Inc." in text
    [link] = re.findall(rf"{re.escape(live_app.base_url)}/tasks/\d+", text)

    bea = open_context().new_page()
    sign_in(bea, BEA, BOOKKEEPER_PASSWORD)
    expect(bea.get_by_role("heading", name="My tasks")).to_be_visible()
    bell = bea.get_by_role("button", name=re.compile(r"^Notifications, \d+ unread$"))
    expect(bell).to_be_visible()
    bell.click()
    expect(bea.get_by_role("link", name=f"Assigned to you: {title}")).to_be_visible()
    bea.get_by_role("button", name="Mark all read").click()
    expect(bea.get_by_role("button", name="Notifications", exact=True)).to_be_visible()
    bea.keyboard.press("Escape")

    bea.goto(link)
    expect(bea.get_by_role("heading", name=title, level=1)).to_be_visible()
    expect(bea.get_by_role("main")).to_contain_text("Maple Leaf Cafe Inc.")


def test_the_account_page_keeps_the_switches(page):
    sign_in(page, BEA, BOOKKEEPER_PASSWORD)
    expect(page.get_by_role("heading", name="My tasks")).to_be_visible()
    page.get_by_role("link", name="Your account: Bea Martin").click()
    expect(page.get_by_role("heading", name="Your account", level=1)).to_be_visible()
    digest = page.get_by_role("checkbox", name=re.compile("Email me each morning"))
    assignments = page.get_by_role("checkbox", name=re.compile("assigned to me"))
    expect(digest).to_be_checked()
    digest.click()
    page.get_by_role("button", name="Save notification settings").click()
    expect(page.get_by_role("status")).to_have_text("Your notification settings are saved.")
    page.reload()
    expect(digest).not_to_be_checked()
    expect(assignments).to_be_checked()
    # Back as it was, for the tests after this one.
    digest.click()
    page.get_by_role("button", name="Save notification settings").click()
    expect(page.get_by_role("status")).to_have_text("Your notification settings are saved.")
