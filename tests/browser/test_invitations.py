"""Invitations and password resets in the browser, through the served app's real mail server
(aiosmtpd): the admin invites a bookkeeper and never sees a password; the person follows the
emailed link in a fresh browser, chooses a strong password and lands on My Tasks; the same
link again says it was used. "Forgot your password?" from the sign-in page answers the same
for any email, emails a link, and using it ends the person's session in another browser."""

from __future__ import annotations

import json
import re
import time
import uuid
from email.message import EmailMessage

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session, select

from models import Firm, ResetRequest, User
from portal.auth import verify_password
from portal.db import engine_for
from portal.demo import ADMIN_PASSWORD, DEMO_FIRM
from portal.services import links
from tests.browser.conftest import sign_in
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.browser

ADMIN = "admin@demo-practice.example"
CHOSEN = "gravel orchid lantern seventy"


def mail_to(live_app, email: str, *, after: int = 0, timeout: float = 15.0) -> EmailMessage:
    """The first email to `email` beyond the `after` already seen, waiting for the sender."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [m for m in live_app.mail.messages() if m["To"].addresses[0].addr_spec == email]
        if len(found) > after:
            return found[after]
        time.sleep(0.1)
    raise AssertionError(f"no email to {email} within {timeout} s")


def link_in(live_app, message: EmailMessage, path: str) -> str:
    text = message.get_body(("plain",)).get_content()
    [link] = re.findall(rf"{re.escape(live_app.base_url)}{path}\?token=[A-Za-z0-9_-]{{43}}", text)
    return link


def choose_password(page: Page, button: str, password: str = CHOSEN) -> None:
    page.get_by_label("New password", exact=True).fill(password)
    page.get_by_label("Repeat the new password").fill(password)
    page.get_by_role("button", name=button).click()


def requests_for(live_app, email: str) -> int:
    with Session(engine_for(live_app.database_url)) as session:
        return len(session.exec(select(ResetRequest).where(ResetRequest.email == email)).all())


def wait_for(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def user_by_email(live_app, email: str) -> User:
    with Session(engine_for(live_app.database_url)) as session:
        return session.exec(select(User).where(User.email == email)).one()


def accept_invitation(open_context, live_app, email: str, inviter: str) -> tuple[Page, str]:
    """Follow the invitation in a fresh browser and choose a password: signed in to My Tasks.
    Returns the page and the link."""
    link = link_in(live_app, mail_to(live_app, email), "/invitation")
    page = open_context().new_page()
    page.goto(link)
    expect(page.get_by_role("heading", name="Accept your invitation", level=1)).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text(f"{inviter} invited you to {DEMO_FIRM}")
    # The token leaves the address bar at once (history, shoulder-surfing, Referer).
    expect(page).to_have_url(re.compile(r"/invitation/?$"))
    # A weak password is refused with what to do, and the form stays.
    choose_password(page, "Set password and sign in", password="password1234")
    expect(page.get_by_role("alert")).to_contain_text("too easy to guess")
    choose_password(page, "Set password and sign in")
    expect(page.get_by_role("heading", name="My tasks", level=1)).to_be_visible()
    return page, link


def test_an_invited_bookkeeper_accepts_from_the_email_and_the_link_works_once(
    open_context, live_app, frame_logs
):
    tag = uuid.uuid4().hex[:8]
    name, email = f"Nina Newcomer {tag}", f"nina-{tag}@demo-practice.example"
    admin = open_context().new_page()
    sign_in(admin, ADMIN, ADMIN_PASSWORD)
    expect(admin.get_by_role("heading", name="Firm home")).to_be_visible()
    admin.goto("/admin/bookkeepers")
    expect(admin.get_by_role("heading", name="Bookkeepers", level=1)).to_be_visible()
    # Nowhere to type a password for someone else.
    form = admin.get_by_role("form", name="Add a bookkeeper login")
    expect(form.locator("input[type=password]")).to_have_count(0)
    form.get_by_label("Name", exact=True).fill(name)
    form.get_by_label("Email", exact=True).fill(email)
    form.get_by_role("button", name="Add bookkeeper").click()
    expect(admin.get_by_role("status").first).to_contain_text(f"Invitation sent to {email}.")
    row = admin.get_by_role("row").filter(has_text=email)
    expect(row).to_contain_text("Invited · link valid until")
    expect(row.get_by_role("button", name=f"Resend the invitation of {name}")).to_be_visible()

    page, link = accept_invitation(open_context, live_app, email, "Olivia Grant")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    user = user_by_email(live_app, email)
    assert user.activated_at is not None and verify_password(CHOSEN, user.password_hash)

    # The same link again, in another fresh browser: it says it was used, and changes nothing.
    again = open_context().new_page()
    again.goto(link)
    expect(again.get_by_role("alert")).to_contain_text("This invitation has already been used.")
    expect(again.get_by_label("New password", exact=True)).to_have_count(0)

    admin.reload()
    expect(admin.get_by_role("row").filter(has_text=email)).to_contain_text("Active")
    # The password never came back from the server in any frame, and the token only ever as
    # Reflex's echo of the page's own address, to the browser that opened it.
    token = link.rsplit("=", 1)[1]
    for log in frame_logs:
        for frame in log.frames:
            assert CHOSEN not in frame
            assert all(place.startswith("rx_router_") for place in places_of(token, frame))


def places_of(needle: str, frame: str) -> list[str]:
    """The keys under which `needle` appears in a socket.io event frame ("42/_event,[...]")."""
    if needle not in frame:
        return []
    payload = json.loads(frame[frame.index("[") :])
    found: list[str] = []

    def walk(value, key: str) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, k if not key.startswith("rx_router_") else key)
        elif isinstance(value, list):
            for v in value:
                walk(v, key)
        elif isinstance(value, str) and needle in value:
            found.append(key)

    walk(payload, "")
    assert found, f"{needle!r} is in a frame outside any JSON string: {frame[:200]}"
    return found


def test_a_resent_invitation_replaces_the_first_link(open_context, live_app):
    tag = uuid.uuid4().hex[:8]
    name, email = f"Remy Resend {tag}", f"remy-{tag}@demo-practice.example"
    admin = open_context().new_page()
    sign_in(admin, ADMIN, ADMIN_PASSWORD)
    expect(admin.get_by_role("heading", name="Firm home")).to_be_visible()
    admin.goto("/admin/bookkeepers")
    form = admin.get_by_role("form", name="Add a bookkeeper login")
    form.get_by_label("Name", exact=True).fill(name)
    form.get_by_label("Email", exact=True).fill(email)
    form.get_by_role("button", name="Add bookkeeper").click()
    first = link_in(live_app, mail_to(live_app, email), "/invitation")
    admin.get_by_role("button", name=f"Resend the invitation of {name}").click()
    expect(admin.get_by_role("status").first).to_contain_text("earlier links no longer work")
    second = link_in(live_app, mail_to(live_app, email, after=1), "/invitation")
    assert first != second
    stale = open_context().new_page()
    stale.goto(first)
    expect(stale.get_by_role("alert")).to_contain_text("replaced by a newer one")
    admin.get_by_role("button", name=f"Revoke the invitation of {name}").click()
    expect(admin.get_by_role("row").filter(has_text=email)).to_contain_text("no valid link")
    stale.goto(second)
    expect(stale.get_by_role("alert")).to_contain_text("withdrawn or replaced")


def test_forgot_password_emails_a_link_that_ends_the_old_session(open_context, live_app):
    tag = uuid.uuid4().hex[:8]
    email = f"fay-{tag}@demo-practice.example"
    with Session(engine_for(live_app.database_url)) as session:
        firm = session.exec(select(Firm).where(Firm.name == DEMO_FIRM)).one()
        make_user(session, firm, "bookkeeper", email=email, name=f"Fay Forgetful {tag}")
        session.commit()

    old = open_context().new_page()
    sign_in(old, email, PASSWORD)
    expect(old.get_by_role("heading", name="My tasks", level=1)).to_be_visible()

    asker = open_context().new_page()
    asker.goto("/login")
    asker.get_by_role("link", name="Forgot your password?").click()
    expect(asker.get_by_role("heading", name="Forgot your password?", level=1)).to_be_visible()
    answers = []
    for who in (f"nobody-{tag}@demo-practice.example", email):
        asker.get_by_label("Email").fill(who)
        asker.get_by_role("button", name="Email me a link").click()
        expect(asker.get_by_role("status").first).to_have_text(links.REQUEST_ANSWER)
        # This request's answer, not the one before: its row is there.
        wait_for(lambda who=who: requests_for(live_app, who) == 1)
        answers.append(asker.get_by_role("status").first.inner_text())
    assert answers[0] == answers[1]

    link = link_in(live_app, mail_to(live_app, email), "/reset-password")
    page = open_context().new_page()
    page.goto(link)
    expect(page.get_by_role("heading", name="Choose a new password", level=1)).to_be_visible()
    choose_password(page, "Set new password")
    expect(page.get_by_role("heading", name="My tasks", level=1)).to_be_visible()
    assert verify_password(CHOSEN, user_by_email(live_app, email).password_hash)
    # The other browser's session ended with the reset: its open page goes to sign-in.
    expect(old).to_have_url(re.compile(r"/login/?\?reason=password"))
    # The link worked once.
    again = open_context().new_page()
    again.goto(link)
    expect(again.get_by_role("alert")).to_contain_text("already been used")
