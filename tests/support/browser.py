"""Launching Debian's chromium with Playwright from PyPI, and signing in through the form."""

from __future__ import annotations

import time
from collections import deque

from playwright.sync_api import Page

from tests.support.live import CHROMIUM, CHROMIUM_ARGS


def launch(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def sign_in(page: Page, email: str, password: str) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


class PageLoadPace:
    """Keeps a walk through many pages at a pace the session's event limit allows.

    A page load spends about five Reflex events on the server (the hydration, and the
    on_load_internal, enter_page, load and set_is_hydrated it chains), and a session may
    spend 120 in any 10 seconds (the default PORTAL_RATE_LIMIT_EVENTS_SESSION). A walk that
    loads pages back to back on one session is, on a fast enough server, told "You are going
    too fast" and shown an empty page. The limit is tested in tests/security/test_flood.py; a
    walk that is about something else loads at most `loads` pages in any `seconds`, which
    leaves room for a few clicks as well.
    """

    def __init__(self, loads: int = 15, seconds: float = 10.5):
        self.loads, self.seconds = loads, seconds
        self._times: deque[float] = deque()

    def __call__(self) -> None:
        """Call before each page load: waits until one more fits in the window."""
        if len(self._times) >= self.loads:
            wait = self._times[0] + self.seconds - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            self._times.popleft()
        self._times.append(time.monotonic())
