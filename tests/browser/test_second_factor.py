"""The second factor in a real browser: enrolling an authenticator app, signing in with its
codes (computed here by pyotp, as the phone would), a replayed code, recovery codes, the
firm's policy sending a person to enrolment, and an admin's reset.

Every context's frames are audited (tests/browser/conftest.py): no authenticator secret may
reach any browser once its factor is on."""

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
from tests.factories import PASSWORD, make_firm, make_user
from tests.support.live import live_settings

pytestmark = pytest.mark.browser


def new_people(live_app, *roles: str, **policy: bool) -> list[tuple[str, str]]:
    """People of a firm of their own (so other tests' people are never disturbed): (email,
    name) for each role asked, with the firm's second-factor policy as given."""
    tag = uuid.uuid4().hex[:8]
    with live_settings(live_app), Session(engine_for(live_app.database_url)) as session:
        firm = make_firm(session, f"Factor Firm {tag}", **policy)
        people = []
        for n, role in enumerate(roles):
            user = make_user(
                session,
                firm,
                role,
                email=f"{role}{n}-{tag}@factor.example",
                name=f"Fay {role.title()} {tag}{n}",
            )
            people.append((user.email, user.name))
        session.commit()
    return people


def enrol(page: Page) -> tuple[str, list[str]]:
    """On the security page: set up the app, confirm with a code; the secret and the codes."""
    page.get_by_role("button", name="Set up an authenticator app").click()
    expect(
        page.get_by_role("img", name="QR code to scan with your authenticator app")
    ).to_be_visible()
    secret = page.locator("#manual-key").inner_text().replace(" ", "").strip()
    assert re.fullmatch(r"[A-Z2-7]{32}", secret), secret
    page.get_by_label("Code from the app").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Turn on").click()
    codes_list = page.get_by_role("list", name="Recovery codes")
    expect(codes_list.get_by_role("listitem")).to_have_count(10)
    codes = [c.strip() for c in codes_list.get_by_role("listitem").all_inner_texts()]
    # The secret is gone from the page for good.
    expect(page.locator("#manual-key")).to_have_count(0)
    expect(page.get_by_text("Recovery codes left: 10")).to_be_visible()
    return secret, codes


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/login"))


def code_step(page: Page, email: str) -> None:
    sign_in(page, email, PASSWORD)
    expect(page.get_by_role("heading", name="Two-step verification")).to_be_visible()


def test_enrol_then_sign_in_with_a_code_a_replay_is_refused_and_a_recovery_code_works_once(
    open_context, live_app
):
    ((email, _),) = new_people(live_app, "staff")
    page = open_context().new_page()
    sign_in(page, email, PASSWORD)
    expect(page.get_by_role("heading", name="Firm home")).to_be_visible()
    page.goto("/account")
    page.get_by_role("link", name="Authenticator app, recovery codes and passkeys").click()
    expect(page.get_by_role("heading", name="Sign-in security", level=1)).to_be_visible()
    secret, codes = enrol(page)
    page.get_by_role("button", name="I have saved them").click()
    expect(page.get_by_role("list", name="Recovery codes")).to_have_count(0)
    sign_out(page)

    # The password alone no longer opens anything: the code step follows.
    code_step(page, email)
    field = page.get_by_label("Authentication code")
    expect(field).to_have_attribute("autocomplete", "one-time-code")
    expect(field).to_have_attribute("inputmode", "numeric")
    # The next step's code: the one that confirmed enrolment was this step's.
    code = pyotp.TOTP(secret).at(time.time() + 30)
    field.fill(code)
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("heading", name="Firm home")).to_be_visible()
    sign_out(page)

    # The same code again: refused, and what was typed stays to be corrected.
    code_step(page, email)
    page.get_by_label("Authentication code").fill(code)
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("alert")).to_contain_text("already been used")
    expect(page.get_by_label("Authentication code")).to_have_value(code)

    # A recovery code instead: it works once.
    page.get_by_role("button", name="Use a recovery code").click()
    page.get_by_label("Recovery code").fill(codes[0])
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("heading", name="Firm home")).to_be_visible()
    sign_out(page)
    code_step(page, email)
    page.get_by_role("button", name="Use a recovery code").click()
    page.get_by_label("Recovery code").fill(codes[0])
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("alert")).to_contain_text("already been used")
    # Start again goes back to the password, with the email still there.
    page.get_by_role("button", name="Start again").click()
    expect(page.get_by_role("heading", name="Sign in", level=1)).to_be_visible()
    expect(page.get_by_label("Email")).to_have_value(email)


def test_a_person_under_the_policy_is_sent_to_enrolment_and_can_open_nothing_else(
    open_context, live_app
):
    (admin_email, _), (email, name) = new_people(
        live_app, "admin", "bookkeeper", mfa_bookkeepers=True
    )
    page = open_context().new_page()
    sign_in(page, email, PASSWORD)
    expect(page).to_have_url(re.compile(r"/account/security"))
    expect(page.get_by_text("Your firm requires a second factor")).to_be_visible()
    expect(page.get_by_role("navigation", name="Main").get_by_role("link")).to_have_count(0)
    for path in ("/tasks", "/account", "/account/password", "/clients/1"):
        page.goto(path)
        expect(page).to_have_url(re.compile(r"/account/security"))
        expect(page.get_by_role("heading", name="Sign-in security", level=1)).to_be_visible()

    secret, _ = enrol(page)
    page.get_by_role("link", name="Continue to the portal").click()
    expect(page.get_by_role("heading", name="My tasks")).to_be_visible()

    # The admin resets it (a lost phone): her open page is sent to sign-in at once.
    admin = open_context().new_page()
    sign_in(admin, admin_email, PASSWORD)
    expect(admin.get_by_role("heading", name="Firm home")).to_be_visible()
    admin.goto("/admin/bookkeepers")
    admin.get_by_role("button", name=f"Reset the second factor of {name}").click()
    dialog = admin.get_by_role("alertdialog")
    expect(dialog).to_contain_text("every session of theirs ends")
    dialog.get_by_role("button", name="Reset second factor").click()
    expect(admin.get_by_role("status").first).to_contain_text("Second factor reset")
    expect(page).to_have_url(re.compile(r"/login/?\?reason=ended"))

    # Her old app's codes mean nothing now: the password leads to enrolment again.
    sign_in(page, email, PASSWORD)
    expect(page).to_have_url(re.compile(r"/account/security"))
    expect(page.get_by_role("button", name="Set up an authenticator app")).to_be_visible()
    assert secret
