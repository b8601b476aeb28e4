"""Every submit happens once, however often it is clicked: each submit button and action
button of every page, double-clicked by each role that has it.

What a person would notice is checked: one record made or one change done, the success
message and no error. The live app is shared by the whole run, so each test makes its own
records, with names that carry a fresh id, and counts only those.

Reflex runs one browser tab's events one after another. A duplicate sent by a second click
would therefore run right after the first one, possibly after its message is on screen, so
each test ends by waiting for a later event of the same tab (a client-side navigation or a
toggle) and then checks its totals once more, from the audit log and the tables.

Playwright's dblclick sends its two clicks back to back, yet the server, which answers in a
few milliseconds, can answer the first before the second arrives, as it usually does for a
person's double-click: the second click then meets a renewed token, a cleared form, or
another control under the pointer. The last test makes that happen on purpose.
"""

from __future__ import annotations

import re
import time
import uuid
from datetime import date, datetime

import pytest
from playwright.sync_api import Locator, Page, expect
from sqlmodel import Session, select

from models import (
    AccountLink,
    AuditEvent,
    ChecklistItem,
    Client,
    DiscussionPost,
    Document,
    Email,
    Filing,
    Firm,
    LoginSession,
    Step,
    StepComment,
    TimeEntry,
    User,
    utcnow,
)
from portal.auth import digest, verify_password
from portal.db import engine_for
from portal.demo import ADMIN_PASSWORD, STAFF_PASSWORD
from tests.factories import PASSWORD, make_client, make_filing, make_step, make_user

pytestmark = pytest.mark.browser

ADMIN = "admin@demo-practice.example"
SAM = "sam@demo-practice.example"
DEMO_FIRM = "Demo Practice"


CHOSEN = "my own quiet passphrase"  # what the newcomer chooses


def fresh() -> str:
    return uuid.uuid4().hex[:8]


# Reading the live app's data.


def db(live_app) -> Session:
    return Session(engine_for(live_app.database_url))


def rows(live_app, model, *where) -> list:
    with db(live_app) as session:
        return list(session.exec(select(model).where(*where)))


def audited(live_app, action: str, since: datetime, **match) -> int:
    """How many times the audit log recorded `action` since the test began."""
    conditions = [AuditEvent.action == action, AuditEvent.at >= since]
    conditions += [getattr(AuditEvent, name) == value for name, value in match.items()]
    return len(rows(live_app, AuditEvent, *conditions))


def user_by_email(live_app, email: str) -> User:
    (user,) = rows(live_app, User, User.email == email)
    return user


def steps_of(live_app, title: str) -> int:
    (step,) = rows(live_app, Step, Step.title == title)
    return step.id


def step_titles(live_app, filing_id: int) -> list[str]:
    ordered = rows(live_app, Step, Step.filing_id == filing_id)
    return [s.title for s in sorted(ordered, key=lambda s: (s.position, s.id))]


def sessions_since(live_app, email: str, since: datetime) -> list[LoginSession]:
    user = user_by_email(live_app, email)
    return rows(
        live_app, LoginSession, LoginSession.user_id == user.id, LoginSession.created_at >= since
    )


# What the person sees.


def no_error(page: Page) -> None:
    expect(page.get_by_role("alert")).to_have_count(0)
    expect(page.locator("[data-sonner-toast][data-type=error]")).to_have_count(0)


def succeeded(page: Page, message: str | re.Pattern) -> None:
    """The page says the action worked, and says nothing went wrong."""
    expect(page.get_by_role("status").first).to_have_text(message)
    no_error(page)


def double_click_slower_than_the_server(page: Page, control: Locator, answered) -> None:
    """A person's double-click: its second click comes a few hundred milliseconds after the
    first, often after the server has answered, renewed the page's token and maybe put
    another control under the pointer. The browser still counts it as a double-click
    (`detail` 2), as Playwright's dblclick does, so the page must take it as one."""
    control.scroll_into_view_if_needed()
    box = control.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down(click_count=1)
    page.mouse.up(click_count=1)
    answered()
    page.mouse.down(click_count=2)
    page.mouse.up(click_count=2)


def sign_in_by_double_click(
    page: Page, live_app, email: str, password: str, landing: str
) -> datetime:
    """Double-click "Sign in": one new session for the person, on their landing page
    (`landing`, a pattern for its path). Returns when the test began, for counting what
    it makes."""
    since = utcnow()
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in", exact=True).dblclick()
    expect(page).to_have_url(re.compile(f"^{re.escape(live_app.base_url)}{landing}$"))
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    no_error(page)
    made = sessions_since(live_app, email, since)
    assert len(made) == 1, f"double-clicking Sign in opened {len(made)} sessions"
    assert made[0].token_hash, "the one session was never redeemed by the browser"
    return since


def open_step(page: Page, title: str) -> Locator:
    """The step's card on the filing page, unfolded as a person would."""
    step = page.locator("details.step").filter(has=page.get_by_text(title, exact=True))
    if step.get_attribute("open") is None:
        step.locator("summary").click()
    expect(step).to_have_attribute("open", "")
    return step


def quiet_round_trip(page: Page, title: str) -> None:
    """An event of this tab that changes no message: "waiting on client" opens the step's
    reason form, and "Cancel" closes it. Once it is back, every event sent before it ran."""
    step = open_step(page, title)
    step.get_by_label(f"Status of {title}").select_option("waiting_on_client")
    form = step.get_by_role("form", name="Waiting on client")
    expect(form).to_be_visible()
    form.get_by_role("button", name="Cancel", exact=True).click()
    expect(form).to_have_count(0)


def log_time_edit_and_delete(page: Page, live_app, step: Locator, title, step_id, note) -> None:
    """Log time on a step, change the entry, delete it: one entry, then none."""
    form = step.get_by_role("form", name=f"Log time on {title}")
    form.get_by_label("Time spent").fill("1:30")
    form.get_by_label("Date", exact=True).fill(date.today().isoformat())
    form.get_by_label("Note", exact=True).fill(note)
    form.get_by_role("button", name="Log time").dblclick()
    succeeded(page, "Time logged.")
    expect(step.get_by_text("Total 1:30")).to_be_visible()
    expect(form.get_by_label("Time spent")).to_have_value("")
    (entry,) = rows(live_app, TimeEntry, TimeEntry.step_id == step_id)
    assert entry.minutes == 90

    step.get_by_role("button", name=re.compile("^Edit time entry of ")).click()
    form = step.get_by_role("form", name="Edit time entry")
    form.get_by_label("Time spent").fill("2:00")
    form.get_by_role("button", name="Save time").dblclick()
    succeeded(page, "Time entry updated.")
    expect(step.get_by_text("Total 2:00")).to_be_visible()
    (entry,) = rows(live_app, TimeEntry, TimeEntry.step_id == step_id)
    assert entry.minutes == 120

    step.get_by_role("button", name=re.compile("^Delete time entry of ")).dblclick()
    succeeded(page, "Time entry deleted.")
    expect(step.get_by_text("Total 0:00")).to_be_visible()
    assert rows(live_app, TimeEntry, TimeEntry.step_id == step_id) == []


def mark_waiting(page: Page, live_app, step: Locator, title, step_id, reason) -> None:
    step.get_by_label(f"Status of {title}").select_option("waiting_on_client")
    form = step.get_by_role("form", name="Waiting on client")
    form.get_by_label("What are you waiting for from the client?").fill(reason)
    form.get_by_role("button", name="Mark waiting on client").dblclick()
    expect(step.get_by_text(f"Waiting on client: {reason}")).to_be_visible()
    no_error(page)
    (saved,) = rows(live_app, Step, Step.id == step_id)
    assert (saved.status, saved.waiting_reason) == ("waiting_on_client", reason)


def add_login(page: Page, live_app, name: str, email: str, button: str) -> None:
    """Add a login by invitation: one login, one invitation on its way, and no password on
    screen anywhere."""
    form = page.get_by_role("form", name=re.compile("^Add a (staff|bookkeeper) login$"))
    form.get_by_label("Name", exact=True).fill(name)
    form.get_by_label("Email", exact=True).fill(email)
    form.get_by_role("button", name=button).dblclick()
    succeeded(page, re.compile(f"^Invitation sent to {re.escape(email)}\\."))
    expect(form.get_by_label("Name", exact=True)).to_have_value("")
    expect(page.locator("code")).to_have_count(0)
    [user] = rows(live_app, User, User.email == email)
    assert len(links_of(live_app, user.id, "invite")) == 1


def links_of(live_app, user_id: int, kind: str) -> list[AccountLink]:
    return rows(live_app, AccountLink, AccountLink.user_id == user_id, AccountLink.kind == kind)


def resend_invitation(page: Page, live_app, name: str, email: str) -> None:
    user = user_by_email(live_app, email)
    before = len(links_of(live_app, user.id, "invite"))
    page.get_by_role("button", name=f"Resend the invitation of {name}").dblclick()
    succeeded(page, re.compile(f"^A new invitation was sent to {re.escape(email)}"))
    assert len(links_of(live_app, user.id, "invite")) == before + 1


def reset_password(page: Page, live_app, name: str, email: str) -> None:
    user = user_by_email(live_app, email)
    page.get_by_role("button", name=f"Email a password-reset link to {name}").dblclick()
    succeeded(page, re.compile(f"^Reset link sent to {re.escape(email)}"))
    assert len(links_of(live_app, user.id, "reset")) == 1


def open_link(live_app, email: str, path: str, timeout: float = 15.0) -> str:
    """The emailed link of `email` that still works (older ones were replaced or revoked)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        user = user_by_email(live_app, email)
        live = {
            link.token_hash
            for link in links_of(live_app, user.id, "invite" if "invit" in path else "reset")
            if link.used_at is None and link.revoked_at is None
        }
        for message in live_app.mail.messages():
            text = message.get_body(("plain",)).get_content()
            for token in re.findall(rf"{re.escape(path)}\?token=([A-Za-z0-9_-]{{43}})", text):
                if digest(token) in live:
                    return f"{path}?token={token}"
        time.sleep(0.2)
    raise AssertionError(f"no working {path} link was emailed to {email}")


def toggle_active(page: Page, live_app, name: str, email: str) -> None:
    page.get_by_role("button", name=f"Deactivate {name}", exact=True).dblclick()
    succeeded(page, "Login deactivated; sessions ended.")
    expect(page.get_by_role("button", name=f"Reactivate {name}")).to_be_visible()
    assert user_by_email(live_app, email).is_active is False
    page.get_by_role("button", name=f"Reactivate {name}").dblclick()
    succeeded(page, "Login reactivated.")
    expect(page.get_by_role("button", name=f"Deactivate {name}", exact=True)).to_be_visible()
    assert user_by_email(live_app, email).is_active is True


# Records a test starts from, made straight in the live database.


def demo_firm(session: Session) -> Firm:
    return session.exec(select(Firm).where(Firm.name == DEMO_FIRM)).one()


def seed_filing(live_app, tag: str) -> int:
    with db(live_app) as session:
        client = make_client(session, demo_firm(session), f"Double Click Filing Co {tag}")
        filing = make_filing(session, client, kind="GST/HST", period=f"Q3 {tag}")
        session.commit()
        return filing.id


def seed_bookkeeper_step(live_app, tag: str) -> tuple[str, str, str]:
    """A bookkeeper of their own with one step: (email, step title, client name)."""
    email = f"dbl-bk-{tag}@demo-practice.example"
    title = f"Enter the receipts {tag}"
    client_name = f"Double Click Books Co {tag}"
    with db(live_app) as session:
        firm = demo_firm(session)
        bookkeeper = make_user(session, firm, "bookkeeper", email=email, name=f"Bookkeeper {tag}")
        client = make_client(session, firm, client_name)
        filing = make_filing(session, client, kind="Payroll", period=f"May {tag}")
        make_step(session, filing, bookkeeper, title=title)
        session.commit()
    return email, title, client_name


# The tests.


@pytest.mark.parametrize(
    ("login", "password"), [(SAM, STAFF_PASSWORD), (ADMIN, ADMIN_PASSWORD)], ids=["staff", "admin"]
)
def test_double_click_every_button_of_the_client_pages(page, live_app, tmp_path, login, password):
    """Sign in, create client, save client, create filing, upload, send email, delete
    document, delete email."""
    tag = fresh()
    name = f"Double Click Bakery {tag}"
    contact = f"owner-{tag}@example.com"
    since = sign_in_by_double_click(page, live_app, login, password, "/")

    # Clients: one client, and the page moves on to it.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Clients").click()
    page.get_by_role("button", name="New client").click()
    form = page.get_by_role("form", name="New client")
    form.get_by_label("Client name").fill(name)
    form.get_by_label("Contact email").fill(contact)
    form.get_by_role("button", name="Create client").dblclick()
    expect(page.get_by_role("heading", name=name, level=1)).to_be_visible()
    no_error(page)
    (client,) = rows(live_app, Client, Client.name == name)

    # Edit client.
    page.get_by_role("button", name="Edit client").click()
    form = page.get_by_role("form", name="Edit client")
    form.get_by_label("Phone").fill("555-0100")
    form.get_by_role("button", name="Save client").dblclick()
    succeeded(page, "Client saved.")
    (client,) = rows(live_app, Client, Client.name == name)
    assert client.phone == "555-0100"

    # New filing: one filing, and the page moves on to it.
    page.get_by_role("button", name="New filing").click()
    form = page.get_by_role("form", name="New filing")
    form.get_by_label("Kind").select_option("GST/HST")
    form.get_by_label("Period").fill(f"Q4 {tag}")
    form.get_by_label("Due date").fill("2026-12-31")
    form.get_by_role("button", name="Create filing").dblclick()
    expect(page.get_by_role("heading", name=f"{name} · GST/HST Q4 {tag}")).to_be_visible()
    no_error(page)
    assert len(rows(live_app, Filing, Filing.client_id == client.id)) == 1
    page.get_by_role("link", name=name, exact=True).click()
    expect(page.get_by_role("heading", name=name, level=1)).to_be_visible()

    # Upload: one document.
    ledger = tmp_path / f"ledger-{tag}.csv"
    ledger.write_text("account,amount\n1000,12.50\n")
    page.locator("input[type=file]").set_input_files([str(ledger)])
    page.get_by_role("button", name="Upload", exact=True).dblclick()
    succeeded(page, "1 document uploaded.")
    expect(page.get_by_role("link", name=f"Download {ledger.name}")).to_have_count(1)
    assert len(rows(live_app, Document, Document.client_id == client.id)) == 1

    # Send email: one email in the thread, one message at the mail server.
    subject = f"Your year-end papers {tag}"
    page.get_by_role("button", name="Compose email").click()
    form = page.get_by_role("form", name="New email")
    expect(form.get_by_label("To")).to_have_value(contact)
    form.get_by_label("Subject").fill(subject)
    form.get_by_label("Message").fill("Please send the bank statements.")
    form.get_by_role("button", name="Send email").dblclick()
    succeeded(page, "Email sent.")
    assert len(rows(live_app, Email, Email.client_id == client.id)) == 1
    assert len(live_app.mail.with_subject(subject)) == 1

    # Delete a document, then an email: each asks first, and the confirm is double-clicked.
    page.get_by_role("button", name=f"Delete {ledger.name}").click()
    page.get_by_role("button", name="Delete document", exact=True).dblclick()
    succeeded(page, "Document deleted.")
    expect(page.get_by_role("link", name=f"Download {ledger.name}")).to_have_count(0)
    page.get_by_role("button", name=f"Delete email {subject}").click()
    page.get_by_role("button", name="Delete email", exact=True).dblclick()
    succeeded(page, "Email deleted.")
    expect(page.get_by_text(subject)).to_have_count(0)

    # A later event of this tab has run, so a stray second submission would have too.
    page.get_by_role("button", name="Compose email").click()
    expect(page.get_by_role("form", name="New email")).to_be_visible()
    no_error(page)
    for action in (
        "client_created",
        "client_updated",
        "filing_created",
        "document_uploaded",
        "document_deleted",
        "email_sent",
        "email_deleted",
    ):
        assert audited(live_app, action, since, client_id=client.id) == 1, action
    assert len(rows(live_app, Client, Client.name == name)) == 1
    assert len(rows(live_app, Filing, Filing.client_id == client.id)) == 1
    (document,) = rows(live_app, Document, Document.client_id == client.id)
    assert document.deleted_at is not None
    (sent,) = rows(live_app, Email, Email.client_id == client.id)
    assert sent.deleted_at is not None and sent.status == "sent"
    assert len(live_app.mail.with_subject(subject)) == 1
    assert len(sessions_since(live_app, login, since)) == 1


@pytest.mark.parametrize(
    ("login", "password"), [(SAM, STAFF_PASSWORD), (ADMIN, ADMIN_PASSWORD)], ids=["staff", "admin"]
)
def test_double_click_every_button_of_the_filing_page(page, live_app, login, password):
    """Add step (and the busy state), move up and down, save step, add and remove a
    checklist item, log, save and delete time, comment, mark waiting on client, remove
    step, post to the discussion, save filing, mark as filed, reopen, cancel."""
    tag = fresh()
    filing_id = seed_filing(live_app, tag)
    first, second, third = (f"Gather statements {tag}", f"Reconcile {tag}", f"Draft {tag}")
    since = sign_in_by_double_click(page, live_app, login, password, "/")
    page.goto(f"/filings/{filing_id}")
    expect(page.get_by_role("heading", name=f"GST/HST Q3 {tag}")).to_be_visible()

    # Add step: one step each time, and the form is empty again.
    add = page.get_by_role("form", name="Add a step")
    for title in (first, second):
        add.get_by_label("Step title").fill(title)
        add.get_by_role("button", name="Add step").dblclick()
        succeeded(page, "Step added.")
        expect(add.get_by_label("Step title")).to_have_value("")
        assert len(rows(live_app, Step, Step.title == title)) == 1

    # While its event runs, the control says it is busy and takes no second click; it is
    # released when the server has handled the submission. Checked in the click's own tick.
    add.get_by_label("Step title").fill(third)
    button = add.get_by_role("button", name="Add step")
    during = button.evaluate(
        """(button) => {
            button.click();
            const busy = { aria: button.getAttribute("aria-busy"), disabled: button.disabled };
            button.click();
            return busy;
        }"""
    )
    assert during == {"aria": "true", "disabled": True}
    succeeded(page, "Step added.")
    expect(button).not_to_have_attribute("aria-busy", "true")
    expect(button).to_be_enabled()
    assert len(rows(live_app, Step, Step.title == third)) == 1
    assert step_titles(live_app, filing_id) == [first, second, third]

    # Move up, move down: one place each.
    open_step(page, third).get_by_role("button", name=f"Move {third} up").dblclick()
    expect(page.locator("details.step summary")).to_contain_text([first, third, second])
    no_error(page)
    assert step_titles(live_app, filing_id) == [first, third, second]
    open_step(page, first).get_by_role("button", name=f"Move {first} down").dblclick()
    expect(page.locator("details.step summary")).to_contain_text([third, first, second])
    no_error(page)
    assert step_titles(live_app, filing_id) == [third, first, second]

    # Edit step.
    renamed = f"Reconcile every account {tag}"
    open_step(page, second).get_by_role("button", name=f"Edit {second}").click()
    form = page.get_by_role("form", name=f"Edit {second}")
    form.get_by_label("Title").fill(renamed)
    form.get_by_role("button", name="Save step").dblclick()
    succeeded(page, "Step saved.")
    assert len(rows(live_app, Step, Step.title == renamed)) == 1

    # The checklist: add an item, remove it.
    step = open_step(page, first)
    item = f"Bank statement for March {tag}"
    form = step.get_by_role("form", name=f"Add a checklist item to {first}")
    form.get_by_label(f"New checklist item for {first}").fill(item)
    form.get_by_role("button", name="Add item").dblclick()
    expect(step.get_by_role("checkbox", name=item)).to_have_count(1)
    no_error(page)
    assert len(rows(live_app, ChecklistItem, ChecklistItem.label == item)) == 1
    step.get_by_role("button", name=f"Remove checklist item {item}").dblclick()
    expect(step.get_by_role("checkbox", name=item)).to_have_count(0)
    no_error(page)
    assert rows(live_app, ChecklistItem, ChecklistItem.label == item) == []

    # Time: log, edit, delete.
    first_id = steps_of(live_app, first)
    log_time_edit_and_delete(page, live_app, step, first, first_id, f"staff hours {tag}")

    # Comment, and waiting on client with a reason.
    comment = f"The March statement is missing {tag}"
    form = step.get_by_role("form", name=f"Comment on {first}")
    form.get_by_label("Add a comment").fill(comment)
    form.get_by_role("button", name="Comment").dblclick()
    expect(step.get_by_text(comment)).to_have_count(1)
    no_error(page)
    assert len(rows(live_app, StepComment, StepComment.body == comment)) == 1
    mark_waiting(page, live_app, step, first, first_id, f"March statement {tag}")

    # Remove step: gone, with no "no longer exists" from a second removal.
    open_step(page, third).get_by_role("button", name=f"Remove {third}").dblclick()
    succeeded(page, "Step removed.")
    expect(page.get_by_text(third, exact=True)).to_have_count(0)
    assert step_titles(live_app, filing_id) == [first, renamed]

    # The discussion.
    message = f"Client called about Q3 {tag}"
    form = page.get_by_role("form", name="Post to the discussion")
    form.get_by_label("Write a message").fill(message)
    form.get_by_role("button", name="Post message").dblclick()
    expect(page.get_by_role("list", name="Messages").get_by_text(message)).to_have_count(1)
    no_error(page)
    expect(form.get_by_label("Write a message")).to_have_value("")
    assert len(rows(live_app, DiscussionPost, DiscussionPost.body == message)) == 1

    # Edit details.
    page.get_by_role("button", name="Edit details").click()
    form = page.get_by_role("form", name="Edit filing")
    form.get_by_label("Period").fill(f"Q3 2026 {tag}")
    form.get_by_role("button", name="Save filing").dblclick()
    succeeded(page, "Filing saved.")
    expect(page.get_by_role("heading", name=f"GST/HST Q3 2026 {tag}")).to_be_visible()

    # The lifecycle: filed once, reopened once, cancelled once.
    page.get_by_role("button", name="Mark as filed").dblclick()
    succeeded(page, "Filing marked as filed.")
    expect(page.get_by_role("button", name="Reopen filing")).to_be_visible()
    assert audited(live_app, "filing_filed", since, target_id=filing_id) == 1
    page.get_by_role("button", name="Reopen filing").dblclick()
    succeeded(page, "Filing reopened.")
    page.get_by_role("button", name="Cancel filing").dblclick()
    succeeded(page, "Filing cancelled.")
    expect(page.get_by_role("button", name="Reopen filing")).to_be_visible()

    # A later event of this tab has run, so a stray second submission would have too.
    page.get_by_role("button", name="Edit details").click()
    expect(page.get_by_role("form", name="Edit filing")).to_be_visible()
    no_error(page)
    for action, target in (
        ("filing_filed", filing_id),
        ("filing_reopened", filing_id),
        ("filing_cancelled", filing_id),
        ("filing_updated", filing_id),
        ("discussion_post", filing_id),
    ):
        assert audited(live_app, action, since, target_id=target) == 1, action
    made = rows(live_app, AuditEvent, AuditEvent.action == "step_created", AuditEvent.at >= since)
    assert sorted(e.detail for e in made if tag in e.detail) == sorted([first, second, third])
    assert audited(live_app, "step_updated", since, target_id=steps_of(live_app, renamed)) == 1
    assert step_titles(live_app, filing_id) == [first, renamed]
    (filing,) = rows(live_app, Filing, Filing.id == filing_id)
    assert filing.status == "cancelled"
    assert len(rows(live_app, StepComment, StepComment.body == comment)) == 1
    assert len(rows(live_app, DiscussionPost, DiscussionPost.body == message)) == 1
    assert rows(live_app, TimeEntry, TimeEntry.step_id == first_id) == []
    assert len(sessions_since(live_app, login, since)) == 1


def test_admin_double_click_every_login_button(open_context, live_app):
    """Save modules; invite a staff login and a bookkeeper login, resend their invitations,
    deactivate and reactivate them; the new bookkeeper accepts from the email, and the admin
    sends them a reset link: each double-click is one action."""
    tag = fresh()
    admin = open_context().new_page()
    since = sign_in_by_double_click(admin, live_app, ADMIN, ADMIN_PASSWORD, "/")
    staff_name, staff_email = f"Staff {tag}", f"dbl-staff-{tag}@demo-practice.example"
    try:
        admin.get_by_role("navigation", name="Main").get_by_role("link", name="Settings").click()
        expect(admin.get_by_role("heading", name="Settings", level=1)).to_be_visible()
        # The firm's modules as they stand (both on), not the form's defaults before the
        # page's load has arrived: a click before that would save the defaults.
        for module in ("Filing Steps", "Bookkeeper Portal add-on"):
            checkbox = admin.get_by_role("checkbox", name=re.compile(f"^{re.escape(module)}:"))
            expect(checkbox).to_be_checked()

        # Save modules, unchanged: saved, and nothing changed.
        admin.get_by_role("button", name="Save modules").dblclick()
        succeeded(admin, "Modules saved.")

        # A staff login: one login, one invitation, then one more on resend.
        add_login(admin, live_app, staff_name, staff_email, "Add login")
        resend_invitation(admin, live_app, staff_name, staff_email)
        toggle_active(admin, live_app, staff_name, staff_email)
        # Deactivated again, so the staff seat it took is free for the tests that count them.
        admin.get_by_role("button", name=f"Deactivate {staff_name}", exact=True).dblclick()
        succeeded(admin, "Login deactivated; sessions ended.")

        # A bookkeeper login, the same way. Deactivation ended the first link: resend.
        bk_name, bk_email = f"Bookkeeper {tag}", f"dbl-new-bk-{tag}@demo-practice.example"
        admin.get_by_role("navigation", name="Main").get_by_role("link", name="Bookkeepers").click()
        expect(admin.get_by_role("heading", name="Bookkeepers", level=1)).to_be_visible()
        add_login(admin, live_app, bk_name, bk_email, "Add bookkeeper")
        toggle_active(admin, live_app, bk_name, bk_email)
        resend_invitation(admin, live_app, bk_name, bk_email)

        # The newcomer follows the emailed link and chooses a password, double-clicking.
        newcomer = open_context().new_page()
        newcomer.goto(open_link(live_app, bk_email, "/invitation"))
        form = newcomer.get_by_role("form", name="Set password and sign in")
        # Not the tag: it is in the login's email and name, which a password cannot contain.
        form.get_by_label("New password", exact=True).fill(CHOSEN)
        form.get_by_label("Repeat the new password").fill(CHOSEN)
        form.get_by_role("button", name="Set password and sign in").dblclick()
        expect(newcomer.get_by_role("heading", name="My tasks", level=1)).to_be_visible()
        no_error(newcomer)
        user = user_by_email(live_app, bk_email)
        assert verify_password(CHOSEN, user.password_hash)
        assert user.activated_at is not None

        # And the admin emails them a reset link: one link.
        admin.reload()
        reset_password(admin, live_app, bk_name, bk_email)

        # A later event of each tab has run, so a stray second submission would have too.
        newcomer.get_by_label("Sort by").select_option("client")
        expect(newcomer.get_by_role("heading", name="My tasks", level=1)).to_be_visible()
        no_error(newcomer)
        staff, bookkeeper = user_by_email(live_app, staff_email), user
        expected = {
            "modules_changed": (None, 0),
            "login_created": (staff.id, 1),
            "invitation_resent": (staff.id, 1),
            "login_deactivated": (staff.id, 2),
            "login_reactivated": (staff.id, 1),
        }
        for action, (target, times) in expected.items():
            match = {"target_id": target} if target else {}
            assert audited(live_app, action, since, **match) == times, action
        for action in (
            "login_created",
            "invitation_resent",
            "password_reset",
            "login_deactivated",
            "login_reactivated",
        ):
            assert audited(live_app, action, since, target_id=bookkeeper.id) == 1, action
        assert audited(live_app, "invitation_accepted", since, actor_id=bookkeeper.id) == 1
        assert len(sessions_since(live_app, ADMIN, since)) == 1
        assert len(sessions_since(live_app, bk_email, since)) == 1
    finally:
        # Whatever happened, the staff login takes no seat after this test.
        with db(live_app) as session:
            for user in session.exec(select(User).where(User.email == staff_email)):
                user.is_active = False
                session.add(user)
            session.commit()


def test_bookkeeper_double_click_every_button_of_their_pages(page, live_app):
    """On the task page: log, save and delete time, comment, mark waiting on client, post;
    on the client's page: post to the filing's discussion."""
    tag = fresh()
    email, title, client_name = seed_bookkeeper_step(live_app, tag)
    since = sign_in_by_double_click(page, live_app, email, PASSWORD, "/tasks/?")
    page.get_by_role("link", name=re.compile(re.escape(title))).click()
    expect(page.get_by_role("heading", name=title, level=1)).to_be_visible()
    step_id = steps_of(live_app, title)
    work = page.get_by_role("main")

    log_time_edit_and_delete(page, live_app, work, title, step_id, f"bookkeeper hours {tag}")

    comment = f"Receipts are in {tag}"
    form = page.get_by_role("form", name=f"Comment on {title}")
    form.get_by_label("Add a comment").fill(comment)
    form.get_by_role("button", name="Comment").dblclick()
    expect(page.get_by_text(comment)).to_have_count(1)
    no_error(page)
    assert len(rows(live_app, StepComment, StepComment.body == comment)) == 1

    mark_waiting(page, live_app, work, title, step_id, f"The April receipts {tag}")

    # The discussion, from the task page and from the client's page.
    (step,) = rows(live_app, Step, Step.id == step_id)
    on_task, on_client = f"Posted from the task {tag}", f"Posted from the client {tag}"
    form = page.get_by_role("form", name="Post to the discussion")
    form.get_by_label("Write a message").fill(on_task)
    form.get_by_role("button", name="Post message").dblclick()
    expect(page.get_by_role("list", name="Messages").get_by_text(on_task)).to_have_count(1)
    no_error(page)
    assert len(rows(live_app, DiscussionPost, DiscussionPost.body == on_task)) == 1

    page.get_by_role("link", name=client_name, exact=True).click()
    expect(page.get_by_role("heading", name=client_name, level=1)).to_be_visible()
    form = page.get_by_role("form", name="Post to the discussion")
    form.get_by_label("Write a message").fill(on_client)
    form.get_by_role("button", name="Post message").dblclick()
    expect(page.get_by_role("list", name="Messages").get_by_text(on_client)).to_have_count(1)
    no_error(page)
    expect(form.get_by_label("Write a message")).to_have_value("")
    assert len(rows(live_app, DiscussionPost, DiscussionPost.body == on_client)) == 1

    # A later event of this tab has run, so a stray second submission would have too.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="My tasks").click()
    expect(page.get_by_role("link", name=re.compile(re.escape(title)))).to_be_visible()
    no_error(page)
    posts = rows(live_app, DiscussionPost, DiscussionPost.filing_id == step.filing_id)
    assert sorted(p.body for p in posts) == sorted([on_task, on_client])
    assert len(rows(live_app, StepComment, StepComment.step_id == step_id)) == 1
    assert rows(live_app, TimeEntry, TimeEntry.step_id == step_id) == []
    assert len(sessions_since(live_app, email, since)) == 1


def test_a_double_click_slower_than_the_server_is_still_one_click(page, live_app, tmp_path):
    """The second click lands after the answer to the first, on whatever is under the
    pointer by then: it must do nothing."""
    tag = fresh()
    filing_id = seed_filing(live_app, tag)
    email, _, _ = seed_bookkeeper_step(live_app, tag)
    bookkeeper = user_by_email(live_app, email)
    since = sign_in_by_double_click(page, live_app, ADMIN, ADMIN_PASSWORD, "/")
    try:
        page.goto(f"/filings/{filing_id}")
        expect(page.get_by_role("heading", name=f"GST/HST Q3 {tag}")).to_be_visible()

        # Add step clears its form at once: the second click must send neither the empty
        # form (a false "Step title cannot be empty.") nor a second step.
        add = page.get_by_role("form", name="Add a step")
        titles = [f"First {tag}", f"Second {tag}", f"Third {tag}"]
        for title in titles:
            add.get_by_label("Step title").fill(title)
            double_click_slower_than_the_server(
                page,
                add.get_by_role("button", name="Add step"),
                lambda: expect(add.get_by_label("Step title")).to_have_value(""),
            )
            quiet_round_trip(page, title)
            succeeded(page, "Step added.")
        assert step_titles(live_app, filing_id) == titles

        # Move up: one place, not two.
        first, second, third = titles
        double_click_slower_than_the_server(
            page,
            open_step(page, third).get_by_role("button", name=f"Move {third} up"),
            lambda: expect(page.locator("details.step summary")).to_contain_text(
                [first, third, second]
            ),
        )
        # Remove step: the next step's "Remove" slides under the pointer, and stays put.
        double_click_slower_than_the_server(
            page,
            open_step(page, third).get_by_role("button", name=f"Remove {third}"),
            lambda: expect(page.get_by_text(third, exact=True)).to_have_count(0),
        )
        succeeded(page, "Step removed.")

        # Mark as filed: "Reopen filing" takes its place under the pointer, and stays put.
        double_click_slower_than_the_server(
            page,
            page.get_by_role("button", name="Mark as filed"),
            lambda: expect(page.get_by_role("button", name="Reopen filing")).to_be_visible(),
        )
        succeeded(page, "Filing marked as filed.")
        page.get_by_role("button", name="Reopen filing").click()
        succeeded(page, "Filing reopened.")
        # Cancel filing: "Edit details" slides under the pointer, and stays closed, so the
        # message that the filing was cancelled stays on screen.
        double_click_slower_than_the_server(
            page,
            page.get_by_role("button", name="Cancel filing"),
            lambda: expect(page.get_by_role("button", name="Reopen filing")).to_be_visible(),
        )
        quiet_round_trip(page, first)
        succeeded(page, "Filing cancelled.")
        expect(page.get_by_role("form", name="Edit filing")).to_have_count(0)
        assert step_titles(live_app, filing_id) == [first, second]
        (filing,) = rows(live_app, Filing, Filing.id == filing_id)
        assert filing.status == "cancelled"
        for action in ("filing_filed", "filing_reopened", "filing_cancelled"):
            assert audited(live_app, action, since, target_id=filing_id) == 1, action

        # Delete asks first: a double-click on "Delete" must not answer its own question.
        page.get_by_role("link", name=f"Double Click Filing Co {tag}").click()
        expect(page.get_by_role("heading", name=f"Double Click Filing Co {tag}")).to_be_visible()
        kept = tmp_path / f"kept-{tag}.csv"
        kept.write_text("account,amount\n1000,1\n")
        page.locator("input[type=file]").set_input_files([str(kept)])
        page.get_by_role("button", name="Upload", exact=True).click()
        succeeded(page, "1 document uploaded.")
        double_click_slower_than_the_server(
            page,
            page.get_by_role("button", name=f"Delete {kept.name}"),
            lambda: expect(page.get_by_role("button", name="Keep")).to_be_visible(),
        )
        page.get_by_role("button", name="Keep").click()  # a later event of this tab
        expect(page.get_by_role("link", name=f"Download {kept.name}")).to_be_visible()
        no_error(page)
        (document,) = rows(live_app, Document, Document.filename == kept.name)
        assert document.deleted_at is None

        # Deactivate: the list moves, and the next person's button comes under the pointer.
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Bookkeepers").click()
        name = bookkeeper.name
        double_click_slower_than_the_server(
            page,
            page.get_by_role("button", name=f"Deactivate {name}", exact=True),
            lambda: expect(page.get_by_role("button", name=f"Reactivate {name}")).to_be_visible(),
        )
        succeeded(page, "Login deactivated; sessions ended.")
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Settings").click()
        expect(page.get_by_role("heading", name="Settings", level=1)).to_be_visible()
        assert user_by_email(live_app, email).is_active is False
        assert audited(live_app, "login_deactivated", since) == 1
        assert audited(live_app, "login_reactivated", since) == 0
    finally:
        # Whoever a stray click deactivated is active again for the tests that follow.
        with db(live_app) as session:
            for event in session.exec(
                select(AuditEvent).where(
                    AuditEvent.action == "login_deactivated", AuditEvent.at >= since
                )
            ):
                user = session.get(User, event.target_id)
                if user is not None and user.id != bookkeeper.id:
                    user.is_active = True
                    session.add(user)
            session.commit()
