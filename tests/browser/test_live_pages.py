"""Open pages follow the work as it changes, with no action of the person looking at them.

Two people, each in a browser of their own: staff acts in one, and the bookkeeper's open page
in the other must show the result within 2 seconds, pushed by the server. In the cluster mode
(`make test-cluster`: 2 workers sharing Redis) the two tabs are put on different workers, so
every push here crosses from the worker that made the change to the worker holding the
bookkeeper's socket, and takes the tab's state from under the other worker's hold. In the
single-worker run the same pushes go through the one worker.

What must happen:
- a revocation (reassigned, filed, cancelled, deactivated, add-on switched off) clears the
  bookkeeper's open page and says the access ended, or sends them to sign in;
- a grant (assigned, reopened) puts the task into their open My Tasks with its counters;
- a bookkeeper's tick, time, status or comment shows on the staff member's open filing page;
- no push carries a name the receiver may not see (the frame audit of the browser fixture
  checks every frame each browser received against the person's scope).
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
import redis
from playwright.sync_api import BrowserContext, Page, expect

from portal.demo import ADMIN_PASSWORD, BOOKKEEPER_PASSWORD, STAFF_PASSWORD
from tests.browser.test_across_workers import signed_in_context, tab_on_worker
from tests.factories import PASSWORD
from tests.support.live import LiveApp
from tests.support.records import KIM, SAM, make_work, tag
from tests.support.workers import new_login

pytestmark = pytest.mark.browser

# The promise: a pushed change shows within 2 seconds.
PUSHED_MS = 2000


def open_tab(
    app: LiveApp,
    context: BrowserContext,
    path: str,
    ready: Callable[[Page], None],
    *,
    avoid: str | None = None,
) -> tuple[Page, str | None]:
    """A tab on `path`, ready; in the cluster mode on a worker other than `avoid`."""
    if app.workers > 1:
        return tab_on_worker(app, context, path, ready, avoid=avoid)
    tab = context.new_page()
    tab.goto(path)
    ready(tab)
    return tab, None


def held(app: LiveApp, tab: Page) -> bool:
    """Whether a worker holds the tab's state lock now (Reflex's lock key in Redis)."""
    token = tab.evaluate("() => window.sessionStorage.getItem('token')")
    with redis.Redis.from_url(app.redis_url) as client:
        return bool(client.exists(f"{token}_lock"))


def following(app: LiveApp, token: str) -> bool:
    """Whether the shared map of open tabs (state/live.py) lists this tab."""
    with redis.Redis.from_url(app.redis_url) as client:
        return bool(client.exists(f"portal:live:tab:{token}"))


def unread(tab: Page) -> int:
    """The header's unread count, as its label says it."""
    bell = tab.get_by_role("button", name=re.compile(r"^Notifications"))
    found = re.search(r"(\d+) unread", bell.get_attribute("aria-label") or "")
    return int(found.group(1)) if found else 0


def heading(title: str) -> Callable[[Page], None]:
    return lambda tab: expect(tab.get_by_role("heading", name=title, level=1)).to_be_visible()


def shows(text: str) -> Callable[[Page], None]:
    return lambda tab: expect(tab.get_by_text(text, exact=True).first).to_be_visible()


def access_ended(tab: Page, client_name: str) -> None:
    """Cleared by a push: the heading says so and nothing of the client is left."""
    expect(tab.get_by_role("heading", name="Your access has ended")).to_be_visible(
        timeout=PUSHED_MS
    )
    expect(tab.get_by_role("main")).not_to_contain_text(client_name)


def staff_filing(app, open_context, filing_id: int, title: str, avoid: str | None):
    context = signed_in_context(open_context, SAM, STAFF_PASSWORD)
    return open_tab(app, context, f"/filings/{filing_id}", shows(title), avoid=avoid)


def opened(filing: Page, title: str) -> None:
    """The step's card open (its summary toggles it). Its assignee picker shows on the row
    either way; its "Edit" button only inside the open step."""
    if not filing.get_by_role("button", name=f"Edit {title}").is_visible():
        filing.get_by_text(title, exact=True).click()


def assign(filing: Page, title: str, person: str) -> None:
    opened(filing, title)
    filing.get_by_label(f"Assignee for {title}").select_option(label=person)
    expect(filing.get_by_role("status")).to_have_text("Step assigned.")


def lifecycle(filing: Page, button: str, done: str) -> None:
    filing.get_by_role("button", name=button).click()
    expect(filing.get_by_role("status")).to_have_text(done)


def test_reassigned_away_the_task_clears_and_assigned_back_it_appears(live_app, open_context):
    title = f"Enter the April receipts {tag()}"
    work = make_work(live_app, steps={title: KIM})
    step_id = work.steps[title]
    kim = signed_in_context(open_context, KIM, BOOKKEEPER_PASSWORD)
    task, kims_worker = open_tab(live_app, kim, f"/tasks/{step_id}", heading(title))
    tasks, _ = open_tab(live_app, kim, "/tasks", heading("My tasks"), avoid=kims_worker)
    expect(tasks.get_by_text(title, exact=True)).to_be_visible()
    filing, staffs_worker = staff_filing(live_app, open_context, work.filing_id, title, kims_worker)
    if live_app.workers > 1:
        assert staffs_worker != kims_worker

    assign(filing, title, "Sam Patel")
    access_ended(task, work.client_name)
    expect(task.get_by_text("The task was reassigned to someone else.", exact=True)).to_be_visible()
    expect(tasks.get_by_text(title, exact=True)).to_have_count(0, timeout=PUSHED_MS)

    # An event of Kim's own just before: in the cluster mode her worker now holds her tab's
    # state for 5 s (Reflex's opportunistic lock), and the push from the other worker must
    # take it from that hold at once to arrive within the 2 s.
    tasks.get_by_label("Sort by").select_option("client")
    expect(tasks.get_by_label("Sort by")).to_have_value("client")
    if live_app.workers > 1:
        assert held(live_app, tasks), "Kim's worker does not hold her tab: nothing to break"
    unread_before = unread(tasks)
    assign(filing, title, "Kim Osei (bookkeeper)")
    expect(tasks.get_by_text(title, exact=True)).to_be_visible(timeout=PUSHED_MS)
    # The header's unread count follows too: the assignment is a notification.
    expect(
        tasks.get_by_role("button", name=f"Notifications, {unread_before + 1} unread")
    ).to_be_visible(timeout=PUSHED_MS)


def test_filed_cancelled_and_reopened_follow_on_the_bookkeepers_pages(live_app, open_context):
    title = f"Reconcile the May statement {tag()}"
    work = make_work(live_app, steps={title: KIM})
    kim = signed_in_context(open_context, KIM, BOOKKEEPER_PASSWORD)
    client, kims_worker = open_tab(
        live_app, kim, f"/clients/{work.client_id}", heading(work.client_name)
    )
    tasks, _ = open_tab(live_app, kim, "/tasks", heading("My tasks"), avoid=kims_worker)
    expect(tasks.get_by_text(title, exact=True)).to_be_visible()
    filing, _ = staff_filing(live_app, open_context, work.filing_id, title, kims_worker)

    lifecycle(filing, "Mark as filed", "Filing marked as filed.")
    access_ended(client, work.client_name)
    expect(tasks.get_by_text(title, exact=True)).to_have_count(0, timeout=PUSHED_MS)

    lifecycle(filing, "Reopen filing", "Filing reopened.")
    expect(tasks.get_by_text(title, exact=True)).to_be_visible(timeout=PUSHED_MS)

    task, _ = open_tab(live_app, kim, f"/tasks/{work.steps[title]}", heading(title))
    lifecycle(filing, "Cancel filing", "Filing cancelled.")
    access_ended(task, work.client_name)
    expect(tasks.get_by_text(title, exact=True)).to_have_count(0, timeout=PUSHED_MS)


@pytest.fixture
def newcomer(live_app):
    """A login of its own, made before the frame audit takes its first look (the audit
    compares what a browser received with the person's scope before and after the test)."""
    return new_login(live_app, "bookkeeper", "live-pages")


def test_a_deactivated_bookkeepers_open_page_goes_to_sign_in(newcomer, live_app, open_context):
    person = newcomer
    title = f"Scan the receipts {tag()}"
    work = make_work(live_app, steps={title: person.email})
    context = signed_in_context(open_context, person.email, PASSWORD)
    task, persons_worker = open_tab(
        live_app, context, f"/tasks/{work.steps[title]}", heading(title)
    )
    admin_context = signed_in_context(open_context, "admin@demo-practice.example", ADMIN_PASSWORD)
    admin, _ = open_tab(
        live_app,
        admin_context,
        "/admin/bookkeepers",
        lambda tab: expect(
            tab.get_by_role("button", name=f"Deactivate {person.name}", exact=True)
        ).to_be_visible(),
        avoid=persons_worker,
    )

    token = task.evaluate("() => window.sessionStorage.getItem('token')")
    if live_app.workers > 1:
        assert following(live_app, token)
    admin.get_by_role("button", name=f"Deactivate {person.name}", exact=True).click()
    expect(admin.get_by_role("status").first).to_contain_text("deactivated")
    expect(task).to_have_url(re.compile(r"/login/?\?reason="), timeout=PUSHED_MS)
    expect(task.get_by_text(work.client_name)).to_have_count(0)
    if live_app.workers > 1:
        # The ended session's tab is dropped from the map of open tabs.
        assert not following(live_app, token)


def test_switching_the_add_on_off_sends_every_bookkeeper_out(live_app, open_context):
    title = f"Match the deposits {tag()}"
    work = make_work(live_app, steps={title: KIM})
    kim = signed_in_context(open_context, KIM, BOOKKEEPER_PASSWORD)
    task, kims_worker = open_tab(live_app, kim, f"/tasks/{work.steps[title]}", heading(title))
    admin_context = signed_in_context(open_context, "admin@demo-practice.example", ADMIN_PASSWORD)
    settings, _ = open_tab(
        live_app,
        admin_context,
        "/settings",
        lambda tab: expect(tab.get_by_role("button", name="Save modules")).to_be_visible(),
        avoid=kims_worker,
    )
    portal = settings.get_by_role("checkbox", name=re.compile("Bookkeeper Portal add-on"))
    expect(portal).to_be_checked()
    try:
        portal.click()
        settings.get_by_role("button", name="Save modules").click()
        expect(settings.get_by_role("status").first).to_have_text("Modules saved.")
        expect(task).to_have_url(re.compile(r"/login/?\?reason="), timeout=PUSHED_MS)
        expect(task.get_by_text(work.client_name)).to_have_count(0)
    finally:
        portal = settings.get_by_role("checkbox", name=re.compile("Bookkeeper Portal add-on"))
        if not portal.is_checked():
            portal.click()
            settings.get_by_role("button", name="Save modules").click()
            expect(settings.get_by_role("status").first).to_have_text("Modules saved.")


def test_staff_see_the_bookkeepers_work_on_the_open_filing(live_app, open_context):
    title = f"Enter the June invoices {tag()}"
    work = make_work(live_app, steps={title: KIM}, checklist={title: ("Invoices 1-40",)})
    kim = signed_in_context(open_context, KIM, BOOKKEEPER_PASSWORD)
    task, kims_worker = open_tab(live_app, kim, f"/tasks/{work.steps[title]}", heading(title))
    filing, _ = staff_filing(live_app, open_context, work.filing_id, title, kims_worker)
    opened(filing, title)
    item = filing.get_by_role("checkbox", name="Invoices 1-40")
    expect(item).not_to_be_checked()

    task.get_by_role("checkbox", name="Invoices 1-40").click()
    expect(item).to_be_checked(timeout=PUSHED_MS)

    comment = f"Invoice 17 is missing its PDF {tag()}"
    task.get_by_label("Add a comment").fill(comment)
    task.get_by_role("button", name="Comment").click()
    expect(filing.get_by_text(comment)).to_be_visible(timeout=PUSHED_MS)
