"""Every page a role may open, loaded straight from its URL, renders without a browser error
and without a serious or critical accessibility violation (axe-core).

A page opened by URL is first served as the prerendered HTML of the production build and then
hydrated by React. Anything that renders differently on the server and in the browser (a
hydration mismatch, React error #418 and friends) shows up as a console error here, and so does
any uncaught script error.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from playwright.sync_api import ConsoleMessage, Error, Page, expect
from sqlmodel import Session, select

from models.clients import Client
from models.documents import Document
from models.filings import ACTIVE_FILING_STATUSES, Filing
from models.steps import Step
from models.users import User
from portal import access, routes
from portal.access import Role
from portal.db import engine_for
from portal.demo import ADMIN_PASSWORD, BOOKKEEPER_PASSWORD, STAFF_PASSWORD
from portal.services import display
from tests.browser.conftest import sign_in
from tests.support.axe import blocking_violations

pytestmark = pytest.mark.browser


@dataclass(frozen=True)
class Account:
    role: Role
    email: str
    password: str
    name: str


BEA = Account(Role.BOOKKEEPER, "bea@demo-practice.example", BOOKKEEPER_PASSWORD, "Bea Martin")
ACCOUNTS = (
    Account(Role.ADMIN, "admin@demo-practice.example", ADMIN_PASSWORD, "Olivia Grant"),
    Account(Role.STAFF, "sam@demo-practice.example", STAFF_PASSWORD, "Sam Patel"),
    BEA,
)

# The heading each page with a fixed title shows; pages about a record show the record's name.
HEADINGS = {
    routes.HOME: "Firm home",
    routes.TASKS: "My tasks",
    routes.CLIENTS: "Clients",
    routes.CLIENT_IMPORT: "Import clients from CSV",
    routes.STAFF: "Staff",
    routes.TEMPLATES: "Filing templates",
    routes.SETTINGS: "Settings",
    routes.BOOKKEEPERS: "Bookkeepers",
    routes.AUDIT: "Audit log",
    routes.CHANGE_PASSWORD: "Choose a new password",
    routes.ACCOUNT: "Your account",
    routes.SECURITY: "Sign-in security",
    routes.ACCESS_REVIEW: "Access review",
    routes.WORKLOAD: "Workload",
}
# The 404 page is the not-found panel inside the shell, whose heading is a level 2 one.
NOT_FOUND_HEADING = "Not found"


def _record_pages(database_url: str) -> dict[str, tuple[str, str]]:
    """Route -> (URL, heading) for the routes with an id, on records every account here may
    open: one of Bea's own steps on an active filing, its filing and its client."""
    with Session(engine_for(database_url)) as session:
        step, filing, client = session.exec(
            select(Step, Filing, Client)
            .join(Filing, Filing.id == Step.filing_id)
            .join(Client, Client.id == Filing.client_id)
            .join(User, User.id == Step.assignee_id)
            .where(User.email == BEA.email, Filing.status.in_(ACTIVE_FILING_STATUSES))
            .order_by(Step.id)
        ).first()
        # A CSV or text document of a client Bea works for: its in-app preview.
        beas_clients = (
            select(Filing.client_id)
            .join(Step, Step.filing_id == Filing.id)
            .join(User, User.id == Step.assignee_id)
            .where(User.email == BEA.email, Filing.status.in_(ACTIVE_FILING_STATUSES))
        )
        preview = session.exec(
            select(Document)
            .where(
                Document.client_id.in_(beas_clients),
                Document.content_type.in_(("text/csv", "text/plain")),
                Document.deleted_at.is_(None),
            )
            .order_by(Document.id)
        ).first()
    return {
        routes.TASK: (routes.task(step.id), step.title),
        routes.CLIENT: (routes.client(client.id), client.name),
        routes.FILING: (
            routes.filing(filing.id),
            f"{client.name} · {display.filing_title(filing.kind, filing.period)}",
        ),
        routes.DOCUMENT: (routes.document(preview.id), preview.filename),
    }


def _pages_for(database_url: str, account: Account) -> list[tuple[str, str, int]]:
    """(URL, heading, heading level) of every page route this account's role may open by URL."""
    records = _record_pages(database_url)
    pages = []
    for route in sorted(access.ROUTES[account.role]):
        if route in records:
            pages.append((*records[route], 1))
        elif route == routes.NOT_FOUND:
            pages.append((route, NOT_FOUND_HEADING, 2))
        else:
            pages.append((route, HEADINGS[route], 1))
    return pages


def _record_errors(page: Page) -> list[tuple[str, str]]:
    """(what, where) of every console error and uncaught error the page logs from now on."""
    errors: list[tuple[str, str]] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append((f"console: {message.text}", message.location.get("url", "")))

    def on_page_error(error: Error) -> None:
        errors.append((f"page error: {error}", ""))

    page.on("console", on_console)
    page.on("pageerror", on_page_error)
    return errors


def _expected(url: str, page_url: str, error: tuple[str, str]) -> bool:
    """The 404 page is answered with status 404, which chromium logs against the document."""
    what, where = error
    return (
        url == routes.NOT_FOUND
        and where == page_url
        and what.startswith(
            "console: Failed to load resource: the server responded with a status of 404"
        )
    )


@pytest.mark.parametrize("account", ACCOUNTS, ids=[a.role.value for a in ACCOUNTS])
def test_every_page_loads_cleanly_by_url(page, live_app, account):
    sign_in(page, account.email, account.password)
    banner = page.get_by_role("banner")
    expect(banner).to_contain_text(account.name)
    errors = _record_errors(page)
    problems = []
    for url, heading, level in _pages_for(live_app.database_url, account):
        errors.clear()
        page.goto(url)
        expect(page.get_by_role("heading", name=heading, level=level)).to_be_visible()
        # The header's name arrives from the server only once the page has hydrated and its
        # state is loaded, so by then any hydration error (React #418 and kin) has been logged.
        expect(banner).to_contain_text(account.name)
        page.wait_for_load_state("networkidle")
        problems += [f"{url}: {e[0]}" for e in errors if not _expected(url, page.url, e)]
        problems += blocking_violations(page)
    assert problems == [], "\n".join(problems)


def test_every_signed_out_page_loads_cleanly_by_url(page, live_app):
    errors = _record_errors(page)
    problems = []
    for route in sorted(access.ROUTES[Role.SIGNED_OUT]):
        if "[" in route:
            continue
        errors.clear()
        page.goto(route)
        expect(page.get_by_role("heading").first).to_be_visible()
        page.wait_for_load_state("networkidle")
        problems += [f"{route}: {e[0]}" for e in errors if not _expected(route, page.url, e)]
        problems += blocking_violations(page)
    assert problems == [], "\n".join(problems)
