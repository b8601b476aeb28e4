"""Two people on one filing at once, each in their own browser.

Saving compares only the fields a person changed with what their page showed: two people
changing different fields both keep their change, and the one who loses a real clash is
told who changed what, keeps what they typed, and sees the truth on the page.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import Page, expect

from portal.demo import ADMIN_PASSWORD, STAFF_PASSWORD
from portal.services import filings, steps
from tests.browser.conftest import sign_in
from tests.support.records import (
    ALEX,
    DEV,
    OLIVIA,
    SAM,
    act,
    make_work,
    name_of,
    scalar,
    tag,
)

pytestmark = pytest.mark.browser

PASSWORDS = {SAM: STAFF_PASSWORD, ALEX: STAFF_PASSWORD, OLIVIA: ADMIN_PASSWORD}
RELOAD = "Load the latest version, keeping my entries beside it"


def person(open_context, email: str, path: str) -> Page:
    """A browser of its own, signed in as `email`, on `path`."""
    page = open_context().new_page()
    sign_in(page, email, PASSWORDS[email])
    expect(page.get_by_role("heading", name="Firm home")).to_be_visible()
    page.goto(path)
    return page


def filing_page(open_context, email: str, work) -> Page:
    page = person(open_context, email, f"/filings/{work.filing_id}")
    expect(page.get_by_role("heading", name=re.compile(re.escape(work.period)))).to_be_visible()
    return page


def open_filing_editor(page: Page):
    page.get_by_role("button", name="Edit details").click()
    editor = page.get_by_role("form", name="Edit filing")
    expect(editor).to_be_visible()
    return editor


def open_step(page: Page, title: str) -> None:
    """Steps sit in a collapsed <details>: open it by its title."""
    page.get_by_text(title, exact=True).click()
    expect(page.get_by_label(f"Assignee for {title}")).to_be_visible()


def user_id(app, email: str) -> int:
    return scalar(app, "SELECT id FROM user_account WHERE email = :e", e=email)


def set_reviewer(app, email: str, work, person: str, role: str) -> None:
    """A reviewer or approver set behind the app: no open page hears of it."""
    act(
        app,
        email,
        filings.set_reviewer,
        filing_id=work.filing_id,
        user_id=user_id(app, person),
        role=role,
    )


def filing_row(app, filing_id: int) -> dict:
    return {
        "period": scalar(app, "SELECT period FROM filing WHERE id = :id", id=filing_id),
        "due_date": str(scalar(app, "SELECT due_date FROM filing WHERE id = :id", id=filing_id))[
            :10
        ],
        "reviewer": name_of(
            app, scalar(app, "SELECT reviewer_id FROM filing WHERE id = :id", id=filing_id)
        ),
        "approver": name_of(
            app, scalar(app, "SELECT approver_id FROM filing WHERE id = :id", id=filing_id)
        ),
    }


def step_row(app, step_id: int) -> tuple[str, str | None]:
    title = scalar(app, "SELECT title FROM step WHERE id = :id", id=step_id)
    assignee = scalar(app, "SELECT assignee_id FROM step WHERE id = :id", id=step_id)
    return title, name_of(app, assignee)


def selected(select) -> object:
    """The label of the option a native select shows as chosen."""
    return select.locator("option:checked")


def test_different_filing_fields_both_hold(open_context, live_app):
    work = make_work(live_app)
    sam = filing_page(open_context, SAM, work)
    alex = filing_page(open_context, ALEX, work)
    sam_editor = open_filing_editor(sam)
    alex_editor = open_filing_editor(alex)

    period = f"Q2 {tag()}"
    due = (date.today() + timedelta(days=40)).isoformat()
    sam_editor.get_by_label("Period").fill(period)
    sam_editor.get_by_role("button", name="Save filing").click()
    expect(sam.get_by_role("status")).to_have_text("Filing saved.")

    # Alex's editor still shows the old period; he changes only the due date.
    expect(alex_editor.get_by_label("Period")).to_have_value(work.period)
    alex_editor.get_by_label("Due date").fill(due)
    alex_editor.get_by_role("button", name="Save filing").click()
    expect(alex.get_by_role("status")).to_have_text("Filing saved.")
    expect(alex.get_by_role("alert")).to_have_count(0)

    row = filing_row(live_app, work.filing_id)
    assert (row["period"], row["due_date"]) == (period, due)
    for page in (sam, alex):
        page.reload()
        expect(page.get_by_role("heading", name=re.compile(re.escape(period)))).to_be_visible()
        editor = open_filing_editor(page)
        expect(editor.get_by_label("Period")).to_have_value(period)
        expect(editor.get_by_label("Due date")).to_have_value(due)


def test_the_same_filing_field_the_second_is_told_and_keeps_their_entry(open_context, live_app):
    work = make_work(live_app)
    sam = filing_page(open_context, SAM, work)
    alex = filing_page(open_context, ALEX, work)
    sam_editor = open_filing_editor(sam)
    alex_editor = open_filing_editor(alex)

    sams, alexs = f"Q3 {tag()}", f"Q4 {tag()}"
    sam_editor.get_by_label("Period").fill(sams)
    sam_editor.get_by_role("button", name="Save filing").click()
    expect(sam.get_by_role("status")).to_have_text("Filing saved.")

    # Alex changes the period too, and the due date, which nobody else touched.
    due_before = filing_row(live_app, work.filing_id)["due_date"]
    alexs_due = (date.today() + timedelta(days=55)).isoformat()
    alex_editor.get_by_label("Period").fill(alexs)
    alex_editor.get_by_label("Due date").fill(alexs_due)
    alex_editor.get_by_role("button", name="Save filing").click()
    alert = alex.get_by_role("alert")
    expect(alert).to_contain_text("Sam Patel changed this filing at")
    expect(alert).to_contain_text(f"Period is now “{sams}”")
    expect(alert).to_contain_text("Nothing of yours was saved; your entries are kept.")
    expect(alex.get_by_role("status")).to_have_count(0)
    # What Alex typed is still in the field, and nothing of his reached the database.
    expect(alex_editor.get_by_label("Period")).to_have_value(alexs)
    expect(alex_editor.get_by_label("Due date")).to_have_value(alexs_due)
    assert filing_row(live_app, work.filing_id) == {
        **filing_row(live_app, work.filing_id),
        "period": sams,
        "due_date": due_before,
    }

    alex_editor.get_by_role("button", name=RELOAD).click()
    expect(alex.get_by_role("status")).to_contain_text("The latest version is loaded.")
    expect(alex_editor.get_by_label("Period")).to_have_value(sams)
    expect(alex_editor.get_by_label("Due date")).to_have_value(due_before)
    # Each of his entries is beside its field: the one that clashed and the one that did not.
    entries = alex_editor.locator(".your-entry-box")
    expect(entries).to_have_count(2)
    expect(entries.nth(0)).to_have_text(f"Your entry (not saved):{alexs}")
    expect(entries.nth(1)).to_have_text(f"Your entry (not saved):{alexs_due}")
    expect(alex.get_by_role("alert")).to_have_count(0)

    # Saving again from the reloaded editor is over the fresh values: it holds.
    alex_editor.get_by_label("Period").fill(alexs)
    alex_editor.get_by_label("Due date").fill(alexs_due)
    alex_editor.get_by_role("button", name="Save filing").click()
    expect(alex.get_by_role("status")).to_have_text("Filing saved.")
    row = filing_row(live_app, work.filing_id)
    assert (row["period"], row["due_date"]) == (alexs, alexs_due)


def test_two_assignees_picked_at_once_the_first_wins(open_context, live_app):
    title = f"Reconcile bank {tag()}"
    work = make_work(live_app, steps={title: None})
    step_id = work.steps[title]
    alex = filing_page(open_context, ALEX, work)
    open_step(alex, title)

    # Sam's pick, made behind the app so that no push reaches Alex's open page: the two
    # picks meet as if made at the same moment, as two people in two browsers still may.
    act(live_app, SAM, steps.assign_step, step_id=step_id, assignee_id=user_id(live_app, DEV))

    alex_picker = alex.get_by_label(f"Assignee for {title}")
    expect(selected(alex_picker)).to_have_text("Unassigned")  # his page is stale
    alex_picker.select_option(label="Kim Osei (bookkeeper)")
    alert = alex.get_by_role("alert")
    expect(alert).to_contain_text("Sam Patel changed this step's assignee at")
    expect(alert).to_contain_text("It is now assigned to Dev Singh")
    expect(alex.get_by_role("status")).to_have_count(0)
    # The picker moves to what holds, and so does the step's summary.
    expect(selected(alex_picker)).to_have_text("Dev Singh (bookkeeper)")
    expect(alex.locator("summary", has_text=title)).to_contain_text("Dev Singh")
    assert step_row(live_app, step_id) == (title, "Dev Singh")


def test_two_reviewers_picked_at_once_the_first_wins(open_context, live_app):
    work = make_work(live_app)
    alex = filing_page(open_context, ALEX, work)
    # Sam's pick, unseen by Alex's page (see above).
    set_reviewer(live_app, SAM, work, OLIVIA, "reviewer")

    alex_picker = alex.get_by_label("Reviewer", exact=True)
    expect(selected(alex_picker)).to_have_text("Nobody")
    alex_picker.select_option(label="Alex Chen")
    alert = alex.get_by_role("alert")
    expect(alert).to_contain_text("Sam Patel changed this filing at")
    expect(alert).to_contain_text("Reviewer is now Olivia Grant")
    expect(selected(alex_picker)).to_have_text("Olivia Grant")
    assert filing_row(live_app, work.filing_id)["reviewer"] == "Olivia Grant"


def test_a_reviewer_and_an_approver_set_at_once_both_hold(open_context, live_app):
    work = make_work(live_app)
    sam = filing_page(open_context, SAM, work)
    alex = filing_page(open_context, ALEX, work)
    # Sam's pick, unseen by Alex's page (see above).
    set_reviewer(live_app, SAM, work, OLIVIA, "reviewer")

    # Alex's page still shows nobody as reviewer; he sets the approver.
    expect(selected(alex.get_by_label("Reviewer", exact=True))).to_have_text("Nobody")
    alex.get_by_label("Approver", exact=True).select_option(label="Alex Chen")
    expect(alex.get_by_role("status")).to_have_text("Approver set.")
    expect(alex.get_by_role("alert")).to_have_count(0)
    # His page now shows both, as they hold.
    expect(selected(alex.get_by_label("Reviewer", exact=True))).to_have_text("Olivia Grant")
    expect(selected(alex.get_by_label("Approver", exact=True))).to_have_text("Alex Chen")

    # Alex's change reached Sam's open page by itself; Sam changes the reviewer again.
    expect(selected(sam.get_by_label("Approver", exact=True))).to_have_text("Alex Chen")
    sam.get_by_label("Reviewer", exact=True).select_option(label="Sam Patel")
    expect(sam.get_by_role("status")).to_have_text("Reviewer set.")
    expect(sam.get_by_role("alert")).to_have_count(0)
    expect(selected(sam.get_by_label("Approver", exact=True))).to_have_text("Alex Chen")

    row = filing_row(live_app, work.filing_id)
    assert (row["reviewer"], row["approver"]) == ("Sam Patel", "Alex Chen")


def test_a_title_edit_after_a_reassignment_does_not_conflict(open_context, live_app):
    title = f"Enter receipts {tag()}"
    work = make_work(live_app, steps={title: SAM})
    step_id = work.steps[title]
    sam = filing_page(open_context, SAM, work)
    alex = filing_page(open_context, ALEX, work)

    open_step(sam, title)
    sam.get_by_role("button", name=f"Edit {title}").click()
    editor = sam.get_by_role("form", name=f"Edit {title}")
    expect(editor.get_by_label("Title", exact=True)).to_have_value(title)

    open_step(alex, title)
    alex.get_by_label(f"Assignee for {title}").select_option(label="Kim Osei (bookkeeper)")
    expect(alex.get_by_role("status")).to_have_text("Step assigned.")

    renamed = f"Enter all receipts {tag()}"
    editor.get_by_label("Title", exact=True).fill(renamed)
    editor.get_by_role("button", name="Save step").click()
    expect(sam.get_by_role("status")).to_have_text("Step saved.")
    expect(sam.get_by_role("alert")).to_have_count(0)
    assert step_row(live_app, step_id) == (renamed, "Kim Osei")
    # Sam's page shows both changes: his title, and Alex's assignee.
    expect(sam.locator("summary", has_text=renamed)).to_contain_text("Kim Osei")
    expect(selected(sam.get_by_label(f"Assignee for {renamed}"))).to_have_text(
        "Kim Osei (bookkeeper)"
    )
