"""A person in a real browser, with tabs on both workers of the cluster mode
(`make test-cluster`: 2 workers behind one port, sharing Redis and PostgreSQL).

Each tab's socket goes to whichever worker the kernel hands it to; Reflex's token manager
records which one in Redis, and the test opens tabs until one is on the other worker. The
single-worker run (`make test`) skips this file.
"""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import Page, expect

from portal.demo import ADMIN_PASSWORD
from tests.browser.conftest import sign_in
from tests.factories import PASSWORD
from tests.support.live import LiveApp
from tests.support.workers import new_login, worker_of

pytestmark = pytest.mark.browser


def tab_worker(app: LiveApp, page: Page) -> str:
    """The worker holding this tab's socket. The page is served as HTML before its script
    connects, so the tab's token and its socket record may both still be on their way."""
    deadline = time.monotonic() + 15
    while True:
        token = page.evaluate("() => window.sessionStorage.getItem('token')")
        if token and (worker := worker_of(app, token)) is not None:
            return worker
        assert time.monotonic() < deadline, "the tab's socket never reached a worker"
        time.sleep(0.1)


def open_tasks_on_another_worker(app: LiveApp, context, worker: str) -> Page:
    for _ in range(30):
        tab = context.new_page()
        tab.goto("/tasks")
        expect(tab.get_by_role("heading", name="My tasks", level=1)).to_be_visible()
        if tab_worker(app, tab) != worker:
            return tab
        tab.close()
    raise AssertionError("30 tabs all reached the same worker")


def test_signed_in_on_one_worker_signed_in_on_both_and_signed_out_of_both(
    cluster_app, open_context
):
    person = new_login(cluster_app, "bookkeeper", "browser-workers")
    context = open_context()
    first = context.new_page()
    sign_in(first, person.email, PASSWORD)
    expect(first).to_have_url(re.compile(r"/tasks/?$"))
    expect(first.get_by_role("heading", name="My tasks", level=1)).to_be_visible()
    here = tab_worker(cluster_app, first)

    # The same cookie, a tab on the other worker: the same person, signed in.
    other = open_tasks_on_another_worker(cluster_app, context, here)
    expect(other.get_by_text(person.name).first).to_be_visible()

    # Signing out in the first tab ends the session for the other worker's tab too: its
    # next event, sent over its open socket, is refused as an ended session.
    first.get_by_role("button", name="Sign out").click()
    expect(first).to_have_url(re.compile(r"/login/?\?reason=signed_out"))
    other.get_by_label("Sort by").select_option("client")  # any event
    expect(other).to_have_url(re.compile(r"/login/?\?reason=ended"))


def test_deactivated_through_one_worker_refused_on_the_other(cluster_app, open_context):
    person = new_login(cluster_app, "bookkeeper", "browser-workers")
    admin = open_context().new_page()
    sign_in(admin, "admin@demo-practice.example", ADMIN_PASSWORD)
    expect(admin.get_by_role("heading", name="Firm home")).to_be_visible()
    admin.goto("/admin/bookkeepers")
    deactivate = admin.get_by_role("button", name=f"Deactivate {person.name}")
    expect(deactivate).to_be_visible()
    admins_worker = tab_worker(cluster_app, admin)

    context = open_context()
    first = context.new_page()
    sign_in(first, person.email, PASSWORD)
    expect(first.get_by_role("heading", name="My tasks", level=1)).to_be_visible()
    tab = (
        first
        if tab_worker(cluster_app, first) != admins_worker
        else open_tasks_on_another_worker(cluster_app, context, admins_worker)
    )

    deactivate.click()
    expect(admin.get_by_role("status").first).to_contain_text("deactivated")
    tab.get_by_label("Sort by").select_option("client")  # any event
    expect(tab).to_have_url(re.compile(r"/login/?\?reason=ended"))
