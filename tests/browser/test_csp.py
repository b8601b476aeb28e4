"""The Content-Security-Policy holds on every page, for every role: not one violation.

Every browser context of the browser tests records each `securitypolicyviolation` event of
each document it loads (tests/browser/conftest.py: an init script hands them to the test as
they happen, so a page that navigates away right after, like the sign-in handoff, loses none),
and any violation fails the test. Each role visits every page route it may open,
with real ids from the demo data, and does what runs the app's scripts: signing in (the
handoff), submitting a form that clears itself after saving, signing out. The policy allows
no 'unsafe-eval': each of those is a named action of assets/portal.js, never code sent by the
server, so a violation here would be an action that still relies on eval().
"""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Page, expect

from portal import access, routes
from portal.access import Role
from tests.browser.conftest import sign_in
from tests.browser.test_page_loads import ACCOUNTS, BEA, _record_pages
from tests.factories import PASSWORD, make_firm, make_user
from tests.support.records import live_session

pytestmark = pytest.mark.browser


def _urls(database_url: str, role: Role) -> list[str]:
    """Every page route the role may open, ids filled in from the demo data."""
    records = {route: url for route, (url, _) in _record_pages(database_url).items()}
    urls = []
    for route in sorted(access.ROUTES[role]):
        if route in records:
            urls.append(records[route])
        elif "[" not in route:
            urls.append(route)
    return urls


def _settled(page: Page) -> None:
    page.wait_for_load_state("networkidle")


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


def test_signed_out_pages_break_no_policy(live_app, context, csp_violations):
    seen = csp_violations
    page = context.new_page()
    for url in _urls(live_app.database_url, Role.SIGNED_OUT):
        page.goto(url)
        _settled(page)
    # A page the visitor may not open sends them to sign-in.
    page.goto(routes.SETTINGS)
    expect(page).to_have_url(re.compile(r"/login"))
    _settled(page)
    assert seen == []


@pytest.mark.parametrize("account", ACCOUNTS, ids=[a.role.value for a in ACCOUNTS])
def test_every_page_of_every_role_breaks_no_policy(live_app, open_context, csp_violations, account):
    context = open_context()
    seen = csp_violations
    page = context.new_page()
    # Signing in runs the handoff (assets/portal.js) and loads the landing page.
    sign_in(page, account.email, account.password)
    banner = page.get_by_role("banner")
    try:
        expect(banner).to_contain_text(account.name)
    finally:
        # A blocked handoff leaves the person on the sign-in page: say which rule did it.
        assert seen == [], "signing in: " + "\n".join(map(str, seen))
    _settled(page)
    for url in _urls(live_app.database_url, account.role):
        page.goto(url)
        expect(banner).to_contain_text(account.name)
        _settled(page)
    if account is BEA:
        # A form that clears itself once saved (portal.js's reset_form): a task's comment.
        records = _record_pages(live_app.database_url)
        url, title = records[routes.TASK]
        page.goto(url)
        form = page.get_by_role("form", name=f"Comment on {title}")
        form.get_by_label("Add a comment").fill("Checked against the policy")
        form.get_by_role("button", name="Comment").click()
        expect(form.get_by_label("Add a comment")).to_have_value("")
    # Signing out is a portal.js action too.
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/login/?\?reason=signed_out"))
    _settled(page)
    assert seen == [], "\n".join(map(str, seen))


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
    _settled(page)
    assert csp_violations == []
