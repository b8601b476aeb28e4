"""What a person typed is never lost to a refusal, and never silently dropped.

A refusal keeps the form as it was typed; only a success clears it. When a bookkeeper's
access ends while they type, their text is shown back to copy. Dates the browser cannot
read, likely duplicates, deleted documents and invisible characters are all said plainly.
"""

from __future__ import annotations

import io
import re
from datetime import date

import pytest
from playwright.sync_api import Page, expect

from models.clients import name_key
from portal.demo import BOOKKEEPER_PASSWORD, STAFF_PASSWORD
from portal.services import documents, steps
from tests.browser.conftest import sign_in
from tests.support.records import (
    ALEX,
    KIM,
    SAM,
    act,
    make_work,
    scalar,
    tag,
)

pytestmark = pytest.mark.browser

PASSWORDS = {SAM: STAFF_PASSWORD, ALEX: STAFF_PASSWORD, KIM: BOOKKEEPER_PASSWORD}
LANDING = {SAM: "Firm home", ALEX: "Firm home", KIM: "My tasks"}


def person(open_context, email: str, path: str) -> Page:
    """A browser of its own, signed in as `email`, on `path`."""
    page = open_context().new_page()
    sign_in(page, email, PASSWORDS[email])
    expect(page.get_by_role("heading", name=LANDING[email])).to_be_visible()
    page.goto(path)
    return page


def count(app, table: str, column: str, value) -> int:
    return scalar(app, f"SELECT COUNT(*) FROM {table} WHERE {column} = :v", v=value)  # noqa: S608


def expect_access_ended(page: Page, reason: str, client_name: str) -> None:
    expect(page.get_by_role("heading", name="Your access has ended")).to_be_visible()
    expect(page.get_by_text(reason, exact=True)).to_be_visible()
    expect(page.get_by_text("This was not saved. Copy what you need")).to_be_visible()
    # The work itself is cleared from the page: only the person's own text stays.
    expect(page.get_by_role("main")).not_to_contain_text(client_name)


def unsent(page: Page, label: str):
    box = page.get_by_role("textbox", name=f"{label} (not saved)")
    expect(box).not_to_be_editable()
    return box


# Access ends mid-task.


def test_reassigned_while_logging_time_the_entry_is_shown_back(open_context, live_app):
    title = f"Enter payroll {tag()}"
    work = make_work(live_app, steps={title: KIM})
    step_id = work.steps[title]
    kim = person(open_context, KIM, f"/tasks/{step_id}")
    expect(kim.get_by_role("heading", name=title, level=1)).to_be_visible()

    note = f"Payroll journal for March, all four employees {tag()}"
    kim.get_by_label("Time spent").fill("40")
    kim.get_by_label("Date", exact=True).fill(date.today().isoformat())
    kim.get_by_label("Note", exact=True).fill(note)

    # Meanwhile, staff give the step to someone else.
    sam_id = scalar(live_app, "SELECT id FROM user_account WHERE email = :e", e=SAM)
    act(live_app, SAM, steps.assign_step, step_id=step_id, assignee_id=sam_id)

    kim.get_by_role("button", name="Log time").click()
    expect_access_ended(kim, "The task was reassigned to someone else.", work.client_name)
    expect(unsent(kim, "Time spent")).to_have_value("40")
    expect(unsent(kim, "Note")).to_have_value(note)
    assert count(live_app, "time_entry", "step_id", step_id) == 0


def test_filing_filed_while_commenting_the_comment_is_shown_back(open_context, live_app):
    title = f"Confirm balances {tag()}"
    work = make_work(live_app, steps={title: KIM})
    step_id = work.steps[title]
    kim = person(open_context, KIM, f"/tasks/{step_id}")
    expect(kim.get_by_role("heading", name=title, level=1)).to_be_visible()
    sam = person(open_context, SAM, f"/filings/{work.filing_id}")
    expect(sam.get_by_role("button", name="Mark as filed")).to_be_visible()

    comment = "\n".join(
        f"Line {n}: the opening balance for account {1000 + n} matches the statement."
        for n in range(40)
    )
    kim.get_by_label("Add a comment").fill(comment)

    # Meanwhile, staff file the filing from their own browser.
    sam.get_by_role("button", name="Mark as filed").click()
    expect(sam.get_by_role("status")).to_have_text("Filing marked as filed.")

    # The filing is pushed to Kim's open page, which clears before she can send: what she
    # had typed is read from the form as it goes, and shown back.
    expect_access_ended(kim, "Its filing was filed.", work.client_name)
    expect(unsent(kim, "Your message")).to_have_value(comment)
    assert count(live_app, "step_comment", "step_id", step_id) == 0


# A refusal keeps what was typed; a success clears the form.


def test_a_refused_comment_and_step_keep_what_was_typed(open_context, live_app):
    title = f"Review ledger {tag()}"
    work = make_work(live_app, steps={title: SAM})
    step_id = work.steps[title]
    sam = person(open_context, SAM, f"/filings/{work.filing_id}")
    sam.get_by_text(title, exact=True).click()
    step = sam.locator("details", has_text=title)

    mark = tag()
    too_long = (f"Ledger note {mark}. " + "x" * 6000)[:6000]
    box = step.get_by_label("Add a comment")
    box.fill(too_long)
    step.get_by_role("button", name="Comment").click()
    expect(sam.get_by_role("alert")).to_have_text("Comment can be at most 5000 characters.")
    expect(box).to_have_value(too_long)
    assert count(live_app, "step_comment", "step_id", step_id) == 0

    box.fill(f"Ledger reviewed {mark}")
    step.get_by_role("button", name="Comment").click()
    expect(step.get_by_text(f"Ledger reviewed {mark}")).to_be_visible()
    expect(box).to_have_value("")
    expect(sam.get_by_role("alert")).to_have_count(0)

    adding = sam.get_by_role("form", name="Add a step")
    description = f"Ask the client for the December statements {mark}."
    adding.get_by_label("Description").fill(description)
    adding.get_by_role("button", name="Add step").click()
    expect(sam.get_by_role("alert")).to_have_text("Step title cannot be empty.")
    expect(adding.get_by_label("Description")).to_have_value(description)
    assert count(live_app, "step", "filing_id", work.filing_id) == 1

    adding.get_by_label("Step title").fill(f"Collect statements {mark}")
    adding.get_by_role("button", name="Add step").click()
    expect(sam.get_by_role("status")).to_have_text("Step added.")
    expect(sam.get_by_text(f"Collect statements {mark}", exact=True)).to_be_visible()
    expect(adding.get_by_label("Step title")).to_have_value("")
    expect(adding.get_by_label("Description")).to_have_value("")
    assert count(live_app, "step", "filing_id", work.filing_id) == 2


# Dates the browser cannot read.


def test_an_impossible_due_date_typed_is_refused(open_context, live_app):
    work = make_work(live_app)
    sam = person(open_context, SAM, f"/clients/{work.client_id}")
    sam.get_by_role("button", name="New filing").click()
    form = sam.get_by_role("form", name="New filing")
    form.get_by_label("Kind").select_option("Payroll")
    form.get_by_label("Period").fill("February 2026")
    due = form.get_by_label("Due date")
    due.focus()
    sam.keyboard.type("02302026")
    # Chromium keeps February 30 in the field, and sends it as an empty value.
    assert due.evaluate("input => [input.value, input.validity.badInput]") == ["", True]

    form.get_by_role("button", name="Create filing").click()
    expect(sam.get_by_role("alert")).to_have_text(
        "Due date is not a real date. Check the day and the month, or clear the field."
    )
    expect(form.get_by_label("Period")).to_have_value("February 2026")
    assert count(live_app, "filing", "client_id", work.client_id) == 1  # only make_work's

    due.fill("2026-02-28")
    form.get_by_role("button", name="Create filing").click()
    expect(
        sam.get_by_role("heading", name=f"{work.client_name} · Payroll February 2026")
    ).to_be_visible()
    assert count(live_app, "filing", "client_id", work.client_id) == 2
    filing_id = scalar(
        live_app, "SELECT MAX(id) FROM filing WHERE client_id = :c", c=work.client_id
    )

    # The same on Edit details: the date the filing had is kept, not cleared.
    sam.get_by_role("button", name="Edit details").click()
    editor = sam.get_by_role("form", name="Edit filing")
    due = editor.get_by_label("Due date")
    expect(due).to_have_value("2026-02-28")
    due.focus()
    sam.keyboard.type("02302026")
    assert due.evaluate("input => [input.value, input.validity.badInput]") == ["", True]
    editor.get_by_role("button", name="Save filing").click()
    expect(sam.get_by_role("alert")).to_have_text(
        "Due date is not a real date. Check the day and the month, or clear the field."
    )
    expect(editor).to_be_visible()
    assert (
        str(scalar(live_app, "SELECT due_date FROM filing WHERE id = :f", f=filing_id))[:10]
        == "2026-02-28"
    )


# Likely duplicates.


def test_a_likely_duplicate_client_needs_a_confirmation(open_context, live_app):
    typed = "  maple leaf CAFE inc. "
    key = name_key(typed)
    before = count(live_app, "client", "name_key", key)
    assert before >= 1  # the demo's Maple Leaf Cafe Inc.
    sam = person(open_context, SAM, "/clients")
    sam.get_by_role("button", name="New client").click()
    form = sam.get_by_role("form", name="New client")
    form.get_by_label("Client name").fill(typed)
    form.get_by_role("button", name="Create client").click()
    expect(sam.get_by_role("alert")).to_contain_text(
        "This looks like a client you already have: Maple Leaf Cafe Inc."
    )
    expect(sam.get_by_role("alert")).to_contain_text("Nothing was saved.")
    expect(sam.get_by_role("alert")).not_to_contain_text("..")
    expect(form.get_by_label("Client name")).to_have_value(typed)
    assert count(live_app, "client", "name_key", key) == before

    form.get_by_role("checkbox", name="Save it anyway: it is a different client").click()
    form.get_by_role("button", name="Create client").click()
    expect(sam.get_by_role("heading", name="maple leaf CAFE inc.", level=1)).to_be_visible()
    assert count(live_app, "client", "name_key", key) == before + 1


# Documents deleted under someone's eyes.


def test_a_deleted_document_is_said_to_be_gone(open_context, live_app):
    work = make_work(live_app)
    filename = f"bank-{tag()}.csv"
    act(
        live_app,
        SAM,
        documents.upload_documents,
        client_id=work.client_id,
        files=[documents.IncomingFile(filename, io.BytesIO(b"date,amount\n2026-01-02,5\n"))],
    )
    alex = person(open_context, ALEX, f"/clients/{work.client_id}")
    link = alex.get_by_role("link", name=f"Download {filename}")
    expect(link).to_be_visible()

    # Deleted behind the app's back (a delete through the app would be pushed to Alex's
    # open page, and the link would go before he could click it).
    document_id = scalar(live_app, "SELECT id FROM document WHERE filename = :f", f=filename)
    act(live_app, SAM, documents.delete_document, document_id=document_id)

    downloads = []
    alex.on("download", lambda download: downloads.append(download))
    link.click()
    expect(alex.get_by_role("alert")).to_have_text(
        "That document is no longer available: it was deleted, or it is no longer yours to "
        "open. The list has been refreshed."
    )
    expect(link).to_have_count(0)
    assert downloads == []


# Text that would look blank or read differently on screen.


def test_hostile_client_names(open_context, live_app):
    sam = person(open_context, SAM, "/clients")
    sam.get_by_role("button", name="New client").click()
    form = sam.get_by_role("form", name="New client")
    name = form.get_by_label("Client name")

    name.fill("\u200b\u200b\u200b")
    form.get_by_role("button", name="Create client").click()
    expect(sam.get_by_role("alert")).to_have_text("Client name cannot be empty.")
    expect(name).to_have_value("\u200b\u200b\u200b")

    mark = tag()
    name.fill(f"Harbour \u202eFoods {mark}")
    form.get_by_role("button", name="Create client").click()
    expect(sam.get_by_role("heading", name=f"Harbour Foods {mark}", level=1)).to_be_visible()
    stored = scalar(live_app, "SELECT name FROM client WHERE name LIKE :p", p=f"%{mark}")
    assert stored == f"Harbour Foods {mark}"
    assert re.search("[\u202a-\u202e\u2066-\u2069]", stored) is None
