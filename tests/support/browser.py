"""Launching Debian's chromium with Playwright from PyPI, and signing in through the form."""

from __future__ import annotations

from playwright.sync_api import Page

from tests.support.live import CHROMIUM, CHROMIUM_ARGS


def launch(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def sign_in(page: Page, email: str, password: str) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()
