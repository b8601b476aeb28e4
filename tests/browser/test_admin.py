"""An admin brings a bookkeeper on, and takes them off again, in the browser."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, select

from models import Firm
from portal.db import engine_for
from portal.demo import ADMIN_PASSWORD, DEMO_FIRM
from tests.browser.conftest import sign_in
from tests.browser.test_invitations import accept_invitation

pytestmark = pytest.mark.browser


def test_bookkeeper_login_lifecycle(open_context, live_app):
    admin_ctx = open_context()
    newcomer_ctx = open_context()
    admin = admin_ctx.new_page()
    sign_in(admin, "admin@demo-practice.example", ADMIN_PASSWORD)
    expect(admin.get_by_role("heading", name="Firm home")).to_be_visible()
    admin.get_by_role("navigation", name="Main").get_by_role("link", name="Bookkeepers").click()
    expect(admin.get_by_role("heading", name="Bookkeepers", level=1)).to_be_visible()
    expect(admin.get_by_text("Bookkeeper logins: unlimited")).to_be_visible()
    admin.get_by_label("Name", exact=True).fill("Nora New")
    admin.get_by_label("Email", exact=True).fill("nora@demo-practice.example")
    admin.get_by_role("button", name="Add bookkeeper").click()
    # An invitation goes out; the admin never sees a password.
    expect(admin.get_by_role("status").first).to_contain_text(
        "Invitation sent to nora@demo-practice.example."
    )
    expect(admin.locator("code")).to_have_count(0)
    expect(admin.get_by_role("cell", name="nora@demo-practice.example")).to_be_visible()

    nora, _ = accept_invitation(
        lambda: newcomer_ctx, live_app, "nora@demo-practice.example", "Olivia Grant"
    )
    expect(nora.get_by_text("Nothing is assigned to you on an active filing")).to_be_visible()

    admin.reload()
    admin.get_by_role("button", name="Deactivate Nora New").click()
    expect(admin.get_by_role("status").first).to_contain_text("deactivated")
    # Her open page is sent to sign-in by the deactivation itself, with no click of hers.
    expect(nora).to_have_url(re.compile(r"/login/?\?reason=deactivated"))
    expect(nora.get_by_role("status")).to_contain_text(
        "Your login was deactivated by your firm's admin."
    )

    admin.get_by_role("navigation", name="Main").get_by_role("link", name="Audit log").click()
    expect(admin.get_by_role("heading", name="Audit log")).to_be_visible()
    admin.get_by_label("Person").select_option(label="Nora New (Bookkeeper)")
    expect(admin.get_by_role("cell", name="invitation accepted").first).to_be_visible()
    expect(admin.get_by_role("cell", name="Sam Staff")).to_have_count(0)


def test_with_the_add_on_off_bookkeepers_are_told_why(page, live_app, open_context):
    sign_in(page, "admin@demo-practice.example", ADMIN_PASSWORD)
    expect(page.get_by_role("heading", name="Firm home")).to_be_visible()
    page.goto("/settings")
    portal = page.get_by_role("checkbox", name=re.compile("Bookkeeper Portal add-on"))
    expect(portal).to_be_checked()
    try:
        portal.click()
        page.get_by_role("button", name="Save modules").click()
        expect(page.get_by_role("status").first).to_have_text("Modules saved.")
        page.goto("/admin/bookkeepers")
        expect(page.get_by_text("The Bookkeeper Portal add-on is off")).to_be_visible()
        expect(page.get_by_role("button", name="Add bookkeeper")).to_have_count(0)

        other = open_context()
        bea = other.new_page()
        sign_in(bea, "bea@demo-practice.example", "Books-demo-2026!")
        expect(bea.get_by_role("alert")).to_contain_text("Bookkeeper Portal add-on")
    finally:
        # Decided from the database, not the checkbox: before the page's load arrives the
        # checkbox shows the form's default, and a click then would save the wrong value.
        if not _portal_enabled(live_app):
            page.goto("/settings")
            portal = page.get_by_role("checkbox", name=re.compile("Bookkeeper Portal add-on"))
            expect(portal).not_to_be_checked()
            portal.click()
            page.get_by_role("button", name="Save modules").click()
            expect(page.get_by_role("status").first).to_have_text("Modules saved.")
        assert _portal_enabled(live_app)


def _portal_enabled(live_app) -> bool:
    with Session(engine_for(live_app.database_url)) as session:
        return session.exec(select(Firm).where(Firm.name == DEMO_FIRM)).one().portal_enabled
