"""State payload audit: every frame the server sends a bookkeeper's browser.

The browser tests audit every context they open (tests/browser/conftest.py). This module
proves the audit catches leaks, and walks a bookkeeper through everything she can reach,
and some things she cannot, auditing every frame she receives.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from portal.demo import BOOKKEEPER_PASSWORD
from tests.security.conftest import SECURITY_FIRMS
from tests.support.browser import sign_in
from tests.support.oracle import Oracle
from tests.support.payload_audit import FrameLog, violations

pytestmark = pytest.mark.browser

BEA = "bea@demo-practice.example"


def test_the_audit_catches_each_kind_of_leak(live_app, second_firm):
    oracle = Oracle.load(live_app.database_url)
    bea = oracle.user_by_email(BEA)
    signed_in_as_bea = f'{{"user_name_rx_state_":"{bea["name"]}"}}'
    visible = next(iter(oracle.visible_clients(bea["id"])))
    invisible = next(c for c in oracle.clients if c not in oracle.visible_clients(bea["id"]))
    staff_email = next(u["email"] for u in oracle.users.values() if u["role"] == "staff")
    cases = {
        "out of scope": oracle.clients[invisible]["name"],
        "password hash": bea["password_hash"],
        "staff email": staff_email,
        "other firm": second_firm,
    }
    for label, leaked in cases.items():
        log = FrameLog(frames=[signed_in_as_bea, f'{{"delta": {{"x": "{leaked}"}}}}'])
        assert violations(log, oracle, oracle), label
    clean = FrameLog(frames=[signed_in_as_bea, oracle.clients[visible]["name"]])
    assert violations(clean, oracle, oracle) == []


# A page load is up to ten events; a fresh sign-in every this many pages keeps each session
# inside its rate limits (120 events in 10 seconds), which a walk at machine speed would
# otherwise meet long before a person could.
PAGES_PER_SESSION = 10


def test_a_bookkeeper_walking_everywhere_receives_nothing_out_of_scope(
    browser, live_app, second_firm
):
    before = Oracle.load(live_app.database_url)
    # Where she walks: the demo firm and the second firm. What must not reach her: anything.
    walk = before.of_firms(SECURITY_FIRMS)
    bea = before.user_by_email(BEA)["id"]
    log = FrameLog()
    contexts = []

    def signed_in():
        context = browser.new_context(base_url=live_app.base_url)
        contexts.append(context)
        log.attach(context)
        page = context.new_page()
        sign_in(page, BEA, BOOKKEEPER_PASSWORD)
        # Signed in once My Tasks shows; going elsewhere sooner would race its redirect.
        expect(page.get_by_role("heading", name="My tasks")).to_be_visible()
        return page

    pages = 0

    def visit(path: str):
        nonlocal page, pages
        pages += 1
        if pages % PAGES_PER_SESSION == 0:
            page = signed_in()
        page.goto(path)
        return page

    try:
        page = signed_in()
        for option in page.get_by_label("Client").locator("option").all_inner_texts():
            page.get_by_label("Client").select_option(label=option)
        for sort in ("due_desc", "client", "due"):
            page.get_by_label("Sort by").select_option(sort)
        for step_id in sorted(walk.own_steps(bea)):
            visit(f"/tasks/{step_id}")
            expect(page.get_by_role("heading", level=1)).not_to_have_text("Not found")
        for client_id in sorted(walk.visible_clients(bea)):
            visit(f"/clients/{client_id}")
            expect(
                page.get_by_role("heading", name=walk.clients[client_id]["name"])
            ).to_be_visible()
        foreign = [c for c in walk.clients if c not in walk.visible_clients(bea)]
        for client_id in foreign:
            visit(f"/clients/{client_id}")
            expect(page.get_by_role("heading", name="Not found")).to_be_visible()
        for step_id in [s for s in walk.steps if s not in walk.own_steps(bea)][:8]:
            visit(f"/tasks/{step_id}")
            expect(page.get_by_role("heading", name="Not found")).to_be_visible()
        visit("/tasks")
        expect(page.get_by_role("heading", name="My tasks")).to_be_visible()
    finally:
        for context in contexts:
            context.close()
    after = Oracle.load(live_app.database_url)
    assert any(re.search(r"Bea Martin", f) for f in log.frames), "no frames were captured"
    assert bea in log.bookkeepers(after)
    assert violations(log, before, after) == []
