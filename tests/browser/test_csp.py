"""The Content-Security-Policy holds on every page, for every role: not one violation.

Every browser context of the browser tests records each `securitypolicyviolation` event of
each document it loads (tests/browser/conftest.py: an init script hands them to the test as
they happen, so a page that navigates away right after, like the sign-in handoff, loses none),
and any violation fails the test. So every browser test is a CSP test: test_page_loads.py
opens every page route of every role, and the others sign in (the handoff), submit forms that
clear themselves and sign out, all named actions of assets/portal.js. The policy allows no
'unsafe-eval', so a violation would be an action that still relies on eval(). This module
holds the header itself, and a toast sent by the server.
"""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from portal import routes
from tests.browser.conftest import sign_in
from tests.factories import PASSWORD, make_firm, make_user
from tests.support.records import live_session

pytestmark = pytest.mark.browser


def _script_src(header: str) -> str:
    directives = {d.strip().split(" ", 1)[0]: d.strip() for d in header.split(";")}
    return directives["script-src"]


def test_the_csp_header_lists_script_hashes_and_never_unsafe_inline_nor_eval(live_app, context):
    page = context.new_page()
    response = page.goto(routes.LOGIN)
    header = response.headers["content-security-policy"]
    script_src = _script_src(header)
    assert "'unsafe-inline'" not in script_src
    assert "'unsafe-eval'" not in script_src
    assert re.search(r"'sha256-[A-Za-z0-9+/]{43}='", script_src)
    for directive in (
        "default-src 'self'",
        "frame-ancestors 'none'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
    ):
        assert directive in header
    host = live_app.base_url.split("://", 1)[1]
    assert f"connect-src 'self' ws://{host} wss://{host}" in header
    # Over plain HTTP (no Secure cookie) there is no HSTS.
    assert "strict-transport-security" not in response.headers


def test_a_toast_from_the_server_breaks_no_policy(live_app, open_context, csp_violations):
    """A toast the server sends (Reflex would run it with eval()) shows as portal.js's
    "toast" action: here, the one after a forced password change."""
    tag = uuid.uuid4().hex[:8]
    email = f"csp-toast-{tag}@toast.example"
    # A firm of its own: the demo firm's staff seats stay as other tests count them.
    with live_session(live_app) as session:
        firm = make_firm(session, f"Toast Firm {tag}")
        make_user(
            session, firm, "staff", email=email, name=f"Toast {tag}", must_change_password=True
        )
        session.commit()
    page = open_context().new_page()
    sign_in(page, email, PASSWORD)
    expect(page).to_have_url(re.compile(re.escape(routes.CHANGE_PASSWORD)))
    form = page.get_by_role("form", name="Change password")
    form.get_by_label("Current password").fill(PASSWORD)
    form.get_by_label("New password", exact=True).fill("Quartz lantern orbits 93 willow")
    form.get_by_label("Repeat the new password").fill("Quartz lantern orbits 93 willow")
    form.get_by_role("button", name="Change password").click()
    expect(page.locator("[data-sonner-toast][data-type=success]")).to_contain_text(
        "Your password has been changed."
    )
    page.wait_for_load_state("networkidle")
    assert csp_violations == []
