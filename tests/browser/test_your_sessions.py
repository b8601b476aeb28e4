"""Your sessions, in two browsers signed in as the same person: one ends the other, which is
sent to sign-in at once; and an admin ends every session of a bookkeeper from their list."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import BrowserContext, Page, expect
from sqlmodel import Session, select

from models import AuditEvent, LoginSession
from portal.db import engine_for
from portal.demo import ADMIN_PASSWORD
from tests.browser.conftest import sign_in
from tests.factories import PASSWORD
from tests.support.workers import new_login

pytestmark = pytest.mark.browser

ENDED_ELSEWHERE = re.compile(r"/login/?\?reason=elsewhere")
ENDED_BY_ADMIN = re.compile(r"/login/?\?reason=admin_ended")


def _signed_in(context: BrowserContext, email: str, password: str, path: str) -> Page:
    page = context.new_page()
    sign_in(page, email, password)
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    page.goto(path)
    return page


def _audited(live_app, action: str, target_id: int) -> int:
    with Session(engine_for(live_app.database_url)) as session:
        return len(
            session.exec(
                select(AuditEvent).where(
                    AuditEvent.action == action, AuditEvent.target_id == target_id
                )
            ).all()
        )


def _live_sessions(live_app, user_id: int) -> int:
    with Session(engine_for(live_app.database_url)) as session:
        return len(
            session.exec(
                select(LoginSession).where(
                    LoginSession.user_id == user_id,
                    LoginSession.revoked_at.is_(None),
                    LoginSession.token_hash.is_not(None),
                )
            ).all()
        )


def test_ending_your_other_session_sends_that_browser_to_sign_in(live_app, open_context):
    person = new_login(live_app, "staff", "your-sessions")
    here_context, there_context = open_context(), open_context()
    there = _signed_in(there_context, person.email, PASSWORD, "/clients")
    expect(there.get_by_role("heading", name="Clients", level=1)).to_be_visible()
    here = _signed_in(here_context, person.email, PASSWORD, "/account")

    rows = here.get_by_role("region", name="Your sessions").get_by_role("row")
    expect(rows).to_have_count(3)  # the header and two sessions
    this_one = rows.filter(has_text="This browser")
    expect(this_one).to_have_count(1)
    expect(this_one).to_contain_text("Chrome on Linux")
    expect(this_one.get_by_role("button")).to_have_count(0)
    other = rows.filter(has_not_text="This browser").filter(has=here.get_by_role("button"))
    expect(other).to_have_count(1)

    other.get_by_role("button", name=re.compile("^End the session of Chrome on Linux")).click()

    expect(here.get_by_role("status").first).to_have_text(
        "That session has ended: the browser must sign in again."
    )
    # The other browser's open page goes to sign-in by itself, with no click of its own.
    expect(there).to_have_url(ENDED_ELSEWHERE)
    expect(there.get_by_text("You were signed out from another browser or device")).to_be_visible()
    expect(rows).to_have_count(2)
    expect(here.get_by_role("button", name="End all other sessions")).to_have_count(0)
    # This browser goes on.
    here.goto("/staff")
    expect(here.get_by_role("heading", name="Staff", level=1)).to_be_visible()
    assert _live_sessions(live_app, person.id) == 1
    assert _audited(live_app, "session_ended", _session_of(live_app, person.id)) == 1


def _session_of(live_app, user_id: int) -> int:
    """The id of the person's one ended session."""
    with Session(engine_for(live_app.database_url)) as session:
        (sid,) = session.exec(
            select(LoginSession.id).where(
                LoginSession.user_id == user_id, LoginSession.revoked_at.is_not(None)
            )
        ).all()
        return sid


def test_an_admin_ends_every_session_of_a_bookkeeper_after_confirming(live_app, open_context):
    person = new_login(live_app, "bookkeeper", "ended-by-admin")
    admin_context, first_context, second_context = open_context(), open_context(), open_context()
    tabs = [
        _signed_in(ctx, person.email, PASSWORD, "/account")
        for ctx in (first_context, second_context)
    ]
    for tab in tabs:
        expect(tab.get_by_role("heading", name="Your account", level=1)).to_be_visible()
    admin = _signed_in(
        admin_context, "admin@demo-practice.example", ADMIN_PASSWORD, "/admin/bookkeepers"
    )

    ask = admin.get_by_role("button", name=f"End every session of {person.name}", exact=True)
    confirm = admin.get_by_role(
        "button", name=f"Yes, end all sessions of {person.name}", exact=True
    )
    # Nothing ends before the admin confirms; "Keep" steps back.
    ask.click()
    expect(confirm).to_be_visible()
    admin.get_by_role("button", name=f"Keep the sessions of {person.name}", exact=True).click()
    expect(confirm).to_have_count(0)
    assert _live_sessions(live_app, person.id) == 2
    ask.click()
    confirm.click()

    expect(admin.get_by_role("status").first).to_have_text(
        "2 sessions ended: they must sign in again."
    )
    for tab in tabs:
        expect(tab).to_have_url(ENDED_BY_ADMIN)
    assert _live_sessions(live_app, person.id) == 0
    assert _audited(live_app, "sessions_ended", person.id) == 1
