"""The bookkeeper's day without a mouse, and on a phone.

Keyboard: sign-in, a task's checklist and its time entry are reached with Tab alone, in the
order they read, and worked with Space and Enter. Each press is checked to land on the
control a sighted keyboard user would expect next, so a control that cannot take focus, or a
focus trap, fails the test.

Small screens: every page a bookkeeper has, at 390 CSS pixels wide (an iPhone 12 to 15), fits
without sideways scrolling, and axe finds nothing serious there either. A full-page
screenshot of each is saved with the test's reports; its width is the page's own, so a page
that spills over shows it in the picture too.
"""

from __future__ import annotations

import os
import re
import struct
import uuid
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from models import UserRole
from portal import routes
from tests.factories import PASSWORD, make_client, make_filing, make_firm, make_step, make_user
from tests.support.axe import blocking_violations
from tests.support.records import live_session, scalar

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
# More presses than any of these pages has controls before the one sought.
MAX_TABS = 60


def _work(live_app) -> dict:
    """A firm of its own, with a bookkeeper and one task with a checklist: the demo's tasks
    stay as the other browser tests expect them."""
    mark = uuid.uuid4().hex[:8]
    with live_session(live_app) as session:
        firm = make_firm(session, f"Keyboard Firm {mark}")
        bookkeeper = make_user(
            session,
            firm,
            UserRole.BOOKKEEPER,
            email=f"keys-{mark}@keyboard.example",
            name=f"Kim Keys {mark}",
        )
        client = make_client(session, firm, f"Keyboard Client {mark}")
        filing = make_filing(session, client, kind="GST/HST", period=f"Q3 {mark}", due_in=30)
        step = make_step(
            session,
            filing,
            bookkeeper,
            title=f"Reconcile the bank {mark}",
            due_in=20,
            checklist=("Match deposits", "Match cheques"),
        )
        session.commit()
        return {
            "email": bookkeeper.email,
            "name": bookkeeper.name,
            "step_id": step.id,
            "title": step.title,
            "client_id": client.id,
        }


def _focused(locator: Locator) -> bool:
    return locator.evaluate("el => el === document.activeElement")


def tab_to(page: Page, target: Locator, *, most: int = MAX_TABS) -> int:
    """Press Tab until `target` has the focus; how many presses it took."""
    for presses in range(1, most + 1):
        page.keyboard.press("Tab")
        if _focused(target):
            return presses
    raise AssertionError(f"{most} presses of Tab never reached {target}")


def test_sign_in_a_checklist_and_time_entry_by_keyboard_alone(live_app, open_context):
    work = _work(live_app)
    page = open_context(locale="en-US").new_page()
    page.goto(routes.LOGIN)
    expect(page.get_by_role("button", name="Sign in", exact=True)).to_be_enabled()

    # Sign-in: email, then password at the next press, then Enter.
    tab_to(page, page.get_by_label("Email"))
    page.keyboard.type(work["email"])
    page.keyboard.press("Tab")
    assert _focused(page.get_by_label("Password"))
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="My tasks")).to_be_visible()

    # From My Tasks to the task, by its link.
    task_link = page.get_by_role("link", name=re.compile(re.escape(work["title"])))
    tab_to(page, task_link)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=work["title"], level=1)).to_be_visible()

    # The checklist: Space ticks the box with the focus, the next Tab goes to the next one.
    first = page.get_by_role("checkbox", name="Match deposits")
    tab_to(page, first)
    page.keyboard.press("Space")
    expect(first).to_be_checked()
    second = page.get_by_role("checkbox", name="Match cheques")
    tab_to(page, second, most=3)
    expect(second).not_to_be_checked()

    # Time: spent, date, note, then Enter in the note submits the form.
    tab_to(page, page.get_by_label("Time spent"))
    page.keyboard.type("1:30")
    page.keyboard.press("Tab")
    date_input = page.get_by_label("Date", exact=True)
    assert _focused(date_input)
    today = date.today()
    page.keyboard.type(f"{today.month:02d}{today.day:02d}{today.year}")
    expect(date_input).to_have_value(today.isoformat())
    tab_to(page, page.get_by_label("Note", exact=True), most=4)
    page.keyboard.type("Bank reconciled by keyboard")
    page.keyboard.press("Enter")
    expect(page.get_by_text("Total 1:30")).to_be_visible()

    # What the keyboard did is what the firm's records hold.
    assert (
        scalar(
            live_app,
            "SELECT COUNT(*) FROM checklist_item WHERE step_id = :id AND done_at IS NOT NULL",
            id=work["step_id"],
        )
        == 1
    )
    assert (
        scalar(
            live_app,
            "SELECT minutes FROM time_entry WHERE step_id = :id AND note = :note",
            id=work["step_id"],
            note="Bank reconciled by keyboard",
        )
        == 90
    )


def _png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's header."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def _shots_dir(tmp_path: Path) -> Path:
    """Where the screenshots go: beside the JUnit reports when CI keeps them, else tmp."""
    reports = os.environ.get("PORTAL_TEST_SCREENSHOTS")
    directory = Path(reports) if reports else tmp_path
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def test_the_bookkeepers_pages_fit_a_390_pixel_screen(live_app, open_context, tmp_path):
    work = _work(live_app)
    page = open_context(viewport=PHONE, locale="en-US").new_page()
    page.goto(routes.LOGIN)
    page.get_by_label("Email").fill(work["email"])
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("heading", name="My tasks")).to_be_visible()

    shots = _shots_dir(tmp_path)
    pages = {
        "my-tasks": (routes.TASKS, "My tasks"),
        "task": (routes.task(work["step_id"]), work["title"]),
        "client": (routes.client(work["client_id"]), None),
        "account": (routes.ACCOUNT, "Your account"),
        "security": (routes.SECURITY, "Sign-in security"),
        "not-found": (routes.CLIENTS, None),
    }
    problems = []
    for name, (url, heading) in pages.items():
        page.goto(url)
        if heading:
            expect(page.get_by_role("heading", name=heading, level=1)).to_be_visible()
        else:
            expect(page.get_by_role("heading").first).to_be_visible()
        page.wait_for_load_state("networkidle")
        expect(page.get_by_role("banner")).to_contain_text(work["name"])
        width = page.evaluate("document.scrollingElement.scrollWidth")
        if width > PHONE["width"]:
            wide = page.evaluate(
                """(limit) => [...document.querySelectorAll('body *')]
                    .filter(el => el.getBoundingClientRect().right > limit + 1)
                    .slice(0, 5).map(el => el.outerHTML.slice(0, 120))""",
                PHONE["width"],
            )
            problems.append(f"{url}: the page is {width}px wide; too wide: {wide}")
        shot = page.screenshot(full_page=True, path=shots / f"bookkeeper-390-{name}.png")
        shot_width, _ = _png_size(shot)
        if shot_width != PHONE["width"]:
            problems.append(f"{url}: the screenshot is {shot_width}px wide")
        problems += blocking_violations(page)
    assert problems == [], "\n".join(problems)
