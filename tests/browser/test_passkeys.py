"""Passkeys in a real browser, on Chromium's virtual authenticator (WebAuthn over CDP):
register one on the account page, sign out, sign in with it and no password; a passkey that
does not verify the person, or one that was removed, signs nobody in."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, select

from models import AuditEvent, LoginSession, Passkey, User
from portal.db import engine_for
from tests.browser.conftest import sign_in
from tests.factories import PASSWORD, make_firm, make_user

pytestmark = pytest.mark.browser


def make_person(live_app) -> tuple[str, int]:
    """A staff login of this test's own, in a firm of its own: the demo accounts keep no
    passkeys, and the demo firm's staff seats stay as other tests count them."""
    tag = uuid.uuid4().hex[:8]
    with Session(engine_for(live_app.database_url)) as session:
        firm = make_firm(session, f"Passkey Firm {tag}")
        user = make_user(
            session, firm, "staff", email=f"pk-{tag}@passkey.example", name="Pat Passkey"
        )
        session.commit()
        return user.email, user.id


def virtual_authenticator(context, page, **options) -> tuple[object, str]:
    """A platform authenticator that holds discoverable passkeys and verifies its user."""
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable", {"enableUI": False})
    made = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
                **options,
            }
        },
    )
    return cdp, made["authenticatorId"]


def rows(live_app, model, *where) -> list:
    with Session(engine_for(live_app.database_url)) as session:
        return list(session.exec(select(model).where(*where)))


def sign_out(page) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/login/?\?reason=signed_out"))


def passkey_sign_in(page):
    page.get_by_role("button", name="Sign in with a passkey").click()


def test_register_a_passkey_then_sign_in_with_it_and_no_password(live_app, open_context):
    email, user_id = make_person(live_app)
    context = open_context()
    page = context.new_page()
    cdp, authenticator = virtual_authenticator(context, page)

    sign_in(page, email, PASSWORD)
    expect(page.get_by_role("heading", name="Firm home", level=1)).to_be_visible()
    page.goto("/account/security")
    section = page.get_by_role("region", name="Passkeys")
    expect(section.get_by_text("You have no passkeys yet.")).to_be_visible()
    # A name is asked first; an empty one is refused before the browser is asked.
    section.get_by_role("button", name="Add a passkey").click()
    expect(section.get_by_role("alert")).to_have_text("Passkey name cannot be empty.")
    assert (
        cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})["credentials"] == []
    )

    section.get_by_label("Name for a new passkey").fill("Work laptop")
    section.get_by_role("button", name="Add a passkey").click()
    expect(section.get_by_role("status")).to_contain_text("Your passkey is added")
    expect(section.get_by_role("list", name="Your passkeys")).to_contain_text("Work laptop")
    expect(section.get_by_label("Name for a new passkey")).to_have_value("")
    held = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})["credentials"]
    assert len(held) == 1 and held[0]["isResidentCredential"] and held[0]["rpId"] == "localhost"
    stored = rows(live_app, Passkey, Passkey.user_id == user_id)
    assert [p.name for p in stored] == ["Work laptop"]
    assert stored[0].credential_id == held[0]["credentialId"].rstrip("=").replace("+", "-").replace(
        "/", "_"
    )

    # Signed out, the passkey alone signs the person in: no email, no password.
    sign_out(page)
    passkey_sign_in(page)
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("heading", name="Firm home", level=1)).to_be_visible()
    signed_in = rows(
        live_app,
        AuditEvent,
        AuditEvent.action == "sign_in",
        AuditEvent.actor_id == user_id,
        AuditEvent.outcome == "ok",
    )
    assert [e.detail for e in signed_in] == ["", f"passkey #{stored[0].id}"]
    assert len(rows(live_app, LoginSession, LoginSession.user_id == user_id)) == 2

    # Rename, then remove with a confirmation.
    page.goto("/account/security")
    section = page.get_by_role("region", name="Passkeys")
    section.get_by_role("button", name="Rename Work laptop").click()
    section.get_by_label("New name for Work laptop").fill("Old laptop")
    section.get_by_role("button", name="Save name").click()
    expect(section.get_by_role("status")).to_have_text("The passkey is renamed.")
    expect(section.get_by_role("list", name="Your passkeys")).to_contain_text("Old laptop")
    section.get_by_role("button", name="Remove Old laptop").click()
    section.get_by_role("button", name="Keep").click()
    assert len(rows(live_app, Passkey, Passkey.user_id == user_id)) == 1
    section.get_by_role("button", name="Remove Old laptop").click()
    section.get_by_role("button", name="Remove passkey Old laptop").click()
    expect(section.get_by_role("status")).to_contain_text("The passkey is removed.")
    expect(section.get_by_text("You have no passkeys yet.")).to_be_visible()
    assert rows(live_app, Passkey, Passkey.user_id == user_id) == []

    # The authenticator still holds it, but the portal no longer accepts it.
    sign_out(page)
    passkey_sign_in(page)
    expect(page.get_by_role("alert")).to_have_text(
        "That passkey could not sign you in. Try again, or sign in with your email and password."
    )
    expect(page).to_have_url(re.compile(r"/login"))
    assert len(rows(live_app, LoginSession, LoginSession.user_id == user_id)) == 2


def test_a_passkey_that_does_not_verify_its_user_signs_nobody_in(live_app, open_context):
    email, user_id = make_person(live_app)
    context = open_context()
    page = context.new_page()
    cdp, authenticator = virtual_authenticator(context, page)
    sign_in(page, email, PASSWORD)
    expect(page.get_by_role("heading", name="Firm home", level=1)).to_be_visible()
    page.goto("/account/security")
    section = page.get_by_role("region", name="Passkeys")
    section.get_by_label("Name for a new passkey").fill("Key")
    section.get_by_role("button", name="Add a passkey").click()
    expect(section.get_by_role("status")).to_contain_text("Your passkey is added")
    sign_out(page)

    # The authenticator now answers without checking the person's PIN or fingerprint.
    cdp.send(
        "WebAuthn.setResponseOverrideBits", {"authenticatorId": authenticator, "isBadUV": True}
    )
    passkey_sign_in(page)
    expect(page.get_by_role("alert")).to_contain_text("That passkey could not sign you in.")
    refused = rows(
        live_app,
        AuditEvent,
        AuditEvent.action == "sign_in",
        AuditEvent.actor_id == user_id,
        AuditEvent.outcome == "refused",
    )
    assert len(refused) == 1 and "verification is required" in refused[0].detail
    assert len(rows(live_app, LoginSession, LoginSession.user_id == user_id)) == 1
    assert rows(live_app, User, User.id == user_id)[0].is_active


def test_after_the_password_a_passkey_is_the_second_factor(live_app, open_context):
    email, user_id = make_person(live_app)
    context = open_context()
    page = context.new_page()
    virtual_authenticator(context, page)
    sign_in(page, email, PASSWORD)
    expect(page.get_by_role("heading", name="Firm home", level=1)).to_be_visible()
    page.goto("/account/security")
    section = page.get_by_role("region", name="Passkeys")
    section.get_by_label("Name for a new passkey").fill("Phone")
    section.get_by_role("button", name="Add a passkey").click()
    expect(section.get_by_role("status")).to_contain_text("Your passkey is added")
    sign_out(page)

    # The password alone now opens nothing: the passkey finishes the sign-in.
    sign_in(page, email, PASSWORD)
    expect(page.get_by_role("heading", name="Two-step verification", level=1)).to_be_visible()
    assert len(rows(live_app, LoginSession, LoginSession.user_id == user_id)) == 1
    page.get_by_role("button", name="Use a passkey").click()
    expect(page.get_by_role("heading", name="Firm home", level=1)).to_be_visible()
    details = [
        e.detail
        for e in rows(
            live_app,
            AuditEvent,
            AuditEvent.action == "sign_in",
            AuditEvent.actor_id == user_id,
            AuditEvent.outcome == "ok",
        )
    ]
    assert details == ["", "with a passkey"]


def test_a_refused_or_cancelled_request_says_so_and_adds_nothing(live_app, open_context):
    email, user_id = make_person(live_app)
    context = open_context()
    page = context.new_page()
    # The authenticator cannot verify its user: the browser refuses the ceremony
    # (NotAllowedError), exactly as when the person cancels the prompt.
    cdp, authenticator = virtual_authenticator(context, page, isUserVerified=False)
    sign_in(page, email, PASSWORD)
    expect(page.get_by_role("heading", name="Firm home", level=1)).to_be_visible()
    page.goto("/account/security")
    section = page.get_by_role("region", name="Passkeys")
    section.get_by_label("Name for a new passkey").fill("Tablet")
    section.get_by_role("button", name="Add a passkey").click()
    expect(section.get_by_role("alert")).to_have_text(
        "The passkey request was cancelled or timed out. Nothing was changed; try again when "
        "you are ready."
    )
    # What was typed stays, and the button works again.
    expect(section.get_by_label("Name for a new passkey")).to_have_value("Tablet")
    expect(section.get_by_role("button", name="Add a passkey")).to_be_enabled()
    assert rows(live_app, Passkey, Passkey.user_id == user_id) == []
    assert (
        cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})["credentials"] == []
    )
