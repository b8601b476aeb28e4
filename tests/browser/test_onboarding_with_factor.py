"""Issue 11's "done when", end to end in real browsers: a new firm's admin (who signs in with
a password and an authenticator code) invites a bookkeeper and never sees a password; the
bookkeeper accepts from the email caught by the app's mail server, sets a strong password, is
held on enrolment by the firm's policy until an authenticator app is on, and then signs in
with a password and a code."""

from __future__ import annotations

import re
import time
import uuid

import pyotp
import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session

from portal.db import engine_for
from tests.browser.conftest import sign_in
from tests.browser.test_invitations import CHOSEN, choose_password, link_in, mail_to
from tests.browser.test_second_factor import enrol, sign_out
from tests.factories import PASSWORD, enrol_totp, make_firm, make_user
from tests.support.live import live_settings

pytestmark = pytest.mark.browser


def later_code(secret: str) -> str:
    """The code of the next time step: the current one may already have been used (each step
    is accepted once), and one step ahead is inside the window."""
    return pyotp.TOTP(secret).at(time.time() + 30)


def code_sign_in(page: Page, email: str, password: str, secret: str) -> None:
    sign_in(page, email, password)
    expect(page.get_by_role("heading", name="Two-step verification")).to_be_visible()
    page.get_by_label("Authentication code").fill(later_code(secret))
    page.get_by_role("button", name="Verify").click()


def test_a_new_firm_invites_a_bookkeeper_who_enrols_and_signs_in_with_a_code(
    open_context, live_app
):
    tag = uuid.uuid4().hex[:8]
    with live_settings(live_app), Session(engine_for(live_app.database_url)) as session:
        # A new firm as created today: admins and staff need a factor; this one asks it of
        # its bookkeepers too.
        firm = make_firm(
            session, f"Onboard Firm {tag}", mfa_admins=True, mfa_staff=True, mfa_bookkeepers=True
        )
        admin = make_user(
            session, firm, "admin", email=f"owner-{tag}@onboard.example", name=f"Olga {tag}"
        )
        session.commit()
        admin_secret, _ = enrol_totp(session, admin)
        admin_email, admin_name = admin.email, admin.name

    page = open_context().new_page()
    code_sign_in(page, admin_email, PASSWORD, admin_secret)
    expect(page.get_by_role("heading", name="Firm home")).to_be_visible()
    page.goto("/admin/bookkeepers")
    form = page.get_by_role("form", name="Add a bookkeeper login")
    # The admin never types or sees a password.
    expect(form.locator("input[type=password]")).to_have_count(0)
    email = f"bea-{tag}@onboard.example"
    form.get_by_label("Name", exact=True).fill(f"Bea Onboard {tag}")
    form.get_by_label("Email", exact=True).fill(email)
    form.get_by_role("button", name="Add bookkeeper").click()
    expect(page.get_by_role("status").first).to_contain_text(f"Invitation sent to {email}.")

    # The bookkeeper, in a browser of her own, from the email.
    bea = open_context().new_page()
    bea.goto(link_in(live_app, mail_to(live_app, email), "/invitation"))
    expect(bea.get_by_role("main")).to_contain_text(f"{admin_name} invited you to Onboard Firm")
    choose_password(bea, "Set password and sign in")
    # The policy holds her on enrolment: nothing else opens until a factor is on.
    expect(bea).to_have_url(re.compile(r"/account/security"))
    bea.goto("/tasks")
    expect(bea).to_have_url(re.compile(r"/account/security"))
    secret, codes = enrol(bea)
    assert len(codes) == 10
    bea.goto("/tasks")
    expect(bea.get_by_role("heading", name="My tasks", level=1)).to_be_visible()

    # Next time: her own password, then a code from her app.
    sign_out(bea)
    code_sign_in(bea, email, CHOSEN, secret)
    expect(bea.get_by_role("heading", name="My tasks", level=1)).to_be_visible()
