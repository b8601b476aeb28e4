"""Launching Debian's chromium with Playwright from PyPI, and signing in through the form."""

from __future__ import annotations

from playwright.sync_api import BrowserContext, Page

from tests.support.live import CHROMIUM, CHROMIUM_ARGS


def launch(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def sign_in(page: Page, email: str, password: str) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()


# Hands each `securitypolicyviolation` of every document to the test as it happens, so a page
# that navigates away at once (the sign-in handoff) loses none.
LISTEN_FOR_CSP = """
document.addEventListener('securitypolicyviolation', (e) => {
  window.reportCspViolation({
    page: location.pathname,
    directive: e.violatedDirective,
    blocked: e.blockedURI,
    sample: e.sample,
    source: e.sourceFile + ':' + e.lineNumber,
  });
});
"""


def watch_csp(context: BrowserContext, seen: list[dict]) -> list[dict]:
    """Record every Content-Security-Policy violation of the context's pages in `seen`."""
    context.expose_function("reportCspViolation", lambda found: seen.append(found))
    context.add_init_script(LISTEN_FOR_CSP)
    return seen
