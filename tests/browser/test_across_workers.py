"""People in real browsers, with tabs on both workers of the cluster mode
(`make test-cluster`: 2 workers behind one port, sharing Redis and PostgreSQL).

Each tab's socket goes to whichever worker the kernel hands it to; Reflex's token manager
records which one in Redis, and a test opens fresh tabs until it has one on the worker it
needs. What one worker does, the other honours at once, pushed to the open tab (state/live.py)
with no event of the tab's own, or at the tab's very next event:

- a sign-in through one worker is the same session on the other, and a sign-out ends it there;
- a deactivation or a reassignment through one worker ends the access on the other;
- the sign-in throttle counts the tries made through both workers together.

The single-worker run (`make test`) has one worker to ask, and skips this file; `.ci/run`
fails when the cluster pass skips it.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from portal.demo import ADMIN_PASSWORD, BOOKKEEPER_PASSWORD, STAFF_PASSWORD
from portal.services import signin
from tests.browser.conftest import sign_in
from tests.factories import PASSWORD
from tests.support.live import LiveApp
from tests.support.records import KIM, SAM, make_work, scalar, tag
from tests.support.workers import new_login, worker_of

pytestmark = pytest.mark.browser


def tab_worker(app: LiveApp, page: Page) -> str:
    """The worker holding this tab's socket. Only for a tab that has not navigated since it
    opened: after a full page load the record of the socket it closed may linger a moment."""
    deadline = time.monotonic() + 15
    while True:
        token = page.evaluate("() => window.sessionStorage.getItem('token')")
        if token and (worker := worker_of(app, token)) is not None:
            return worker
        assert time.monotonic() < deadline, "the tab's socket never reached a worker"
        time.sleep(0.1)


def tab_on_worker(
    app: LiveApp,
    context: BrowserContext,
    path: str,
    ready: Callable[[Page], None],
    *,
    avoid: str | None = None,
) -> tuple[Page, str]:
    """A fresh tab of `context` on `path`, once `ready` holds, whose socket is on a worker
    other than `avoid` (any worker without it). Returns the tab and its worker."""
    for _ in range(30):
        tab = context.new_page()
        tab.goto(path)
        ready(tab)
        worker = tab_worker(app, tab)
        if worker != avoid:
            return tab, worker
        tab.close()
    raise AssertionError("30 tabs all reached the same worker")


def signed_in_as(name: str) -> Callable[[Page], None]:
    """Ready once the page shows the person's name: the tab's state arrived over its socket."""
    return lambda tab: expect(tab.get_by_text(name, exact=True).first).to_be_visible()


def signed_in_context(open_context, email: str, password: str) -> BrowserContext:
    """A browser of its own, signed in (the session cookie set), its first tab closed."""
    context = open_context()
    page = context.new_page()
    sign_in(page, email, password)
    # The landing page loads only once the sign-in handoff has set the cookie.
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    page.close()
    return context


def sign_in_form(tab: Page) -> None:
    expect(tab.get_by_role("button", name="Sign in", exact=True)).to_be_enabled()


def test_signed_in_on_one_worker_signed_in_on_both_and_signed_out_of_both(
    cluster_app, open_context
):
    person = new_login(cluster_app, "bookkeeper", "browser-workers")
    context = open_context()
    first = context.new_page()
    sign_in(first, person.email, PASSWORD)
    expect(first).to_have_url(re.compile(r"/tasks/?$"))

    # The same cookie, one fresh tab on each worker: the same person, signed in on both.
    here, here_worker = tab_on_worker(cluster_app, context, "/tasks", signed_in_as(person.name))
    there, there_worker = tab_on_worker(
        cluster_app, context, "/tasks", signed_in_as(person.name), avoid=here_worker
    )
    assert here_worker != there_worker
    first.close()

    # Signing out on one worker ends the session for the other worker's tab too: it is sent
    # to sign-in by the push that signing out publishes, with no event of its own.
    here.get_by_role("button", name="Sign out").click()
    expect(here).to_have_url(re.compile(r"/login/?\?reason=signed_out"))
    expect(there).to_have_url(re.compile(r"/login/?\?reason=signed_out"))
    expect(there.get_by_text("You have signed out.")).to_be_visible()


def test_deactivated_through_one_worker_refused_on_the_other(cluster_app, open_context):
    person = new_login(cluster_app, "bookkeeper", "browser-workers")
    admin_context = signed_in_context(open_context, "admin@demo-practice.example", ADMIN_PASSWORD)
    admin, admins_worker = tab_on_worker(
        cluster_app,
        admin_context,
        "/admin/bookkeepers",
        lambda tab: expect(
            tab.get_by_role("button", name=f"Deactivate {person.name}", exact=True)
        ).to_be_visible(),
    )

    context = signed_in_context(open_context, person.email, PASSWORD)
    tab, tabs_worker = tab_on_worker(
        cluster_app, context, "/tasks", signed_in_as(person.name), avoid=admins_worker
    )
    assert tabs_worker != admins_worker

    admin.get_by_role("button", name=f"Deactivate {person.name}", exact=True).click()
    expect(admin.get_by_role("status").first).to_contain_text("deactivated")
    expect(tab).to_have_url(re.compile(r"/login/?\?reason=deactivated"))


def test_a_step_reassigned_through_one_worker_ends_the_task_on_the_other(cluster_app, open_context):
    # Kim, who exists before the test: the frame audit compares what her browser received
    # with her scope before and after the test, and a login made now has no "before".
    title = f"Enter the March receipts {tag()}"
    work = make_work(cluster_app, steps={title: KIM})
    step_id = work.steps[title]

    context = signed_in_context(open_context, KIM, BOOKKEEPER_PASSWORD)
    task, tasks_worker = tab_on_worker(
        cluster_app,
        context,
        f"/tasks/{step_id}",
        lambda tab: expect(tab.get_by_role("heading", name=title, level=1)).to_be_visible(),
    )

    staff_context = signed_in_context(open_context, SAM, STAFF_PASSWORD)
    filing, filings_worker = tab_on_worker(
        cluster_app,
        staff_context,
        f"/filings/{work.filing_id}",
        lambda tab: expect(tab.get_by_text(title, exact=True)).to_be_visible(),
        avoid=tasks_worker,
    )
    assert filings_worker != tasks_worker

    filing.get_by_text(title, exact=True).click()
    filing.get_by_label(f"Assignee for {title}").select_option(label="Sam Patel")
    expect(filing.get_by_role("status")).to_have_text("Step assigned.")

    # The bookkeeper's page, on the other worker, clears by itself.
    expect(task.get_by_role("heading", name="Your access has ended")).to_be_visible()
    expect(task.get_by_text("The task was reassigned to someone else.", exact=True)).to_be_visible()
    expect(task.get_by_role("main")).not_to_contain_text(work.client_name)
    assert (
        scalar(cluster_app, "SELECT COUNT(*) FROM step_comment WHERE step_id = :s", s=step_id) == 0
    )


def test_the_sign_in_throttle_counts_the_tries_on_both_workers(cluster_app, open_context):
    # A bookkeeper: a new staff login would take a seat that other tests count.
    target = new_login(cluster_app, "bookkeeper", "browser-throttle")
    context = open_context()
    one, ones_worker = tab_on_worker(cluster_app, context, "/login", sign_in_form)
    two, twos_worker = tab_on_worker(
        cluster_app, context, "/login", sign_in_form, avoid=ones_worker
    )
    assert ones_worker != twos_worker

    def try_password(tab: Page, password: str) -> None:
        tab.get_by_label("Email").fill(target.email)
        tab.get_by_label("Password").fill(password)
        tab.get_by_role("button", name="Sign in", exact=True).click()

    def failed_tries() -> int:
        return scalar(
            cluster_app,
            "SELECT COUNT(*) FROM sign_in_attempt WHERE email = :e AND outcome = 'failed'",
            e=target.email,
        )

    # The tries alternate between the workers: each worker sees only half of them.
    for i in range(signin.PER_ADDRESS_LIMIT):
        tab = (one, two)[i % 2]
        try_password(tab, "wrong password!")
        deadline = time.monotonic() + 15
        while failed_tries() < i + 1:
            assert time.monotonic() < deadline, f"try {i + 1} was never recorded"
            time.sleep(0.05)
        expect(tab.get_by_role("alert")).to_have_text(signin.WRONG_CREDENTIALS)
        sign_in_form(tab)

    too_many = re.compile("Too many failed sign-in attempts for this account")
    try_password(one, "wrong password!")
    expect(one.get_by_role("alert")).to_have_text(too_many)
    # Even the right password, through the other worker.
    try_password(two, PASSWORD)
    expect(two.get_by_role("alert")).to_have_text(too_many)
    expect(two).to_have_url(re.compile(r"/login/?$"))
