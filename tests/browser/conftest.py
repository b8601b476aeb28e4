"""Playwright from PyPI driving Debian's chromium against the production build.

Every browser context a test opens records the frames the server sends it, and after the
test those frames are audited: nothing outside a bookkeeper's scope may have reached them.
"""

from __future__ import annotations

import os

import pytest
from playwright.sync_api import Page, expect

from tests.support.browser import sign_in, watch_csp  # noqa: F401  (tests import sign_in)
from tests.support.oracle import Oracle
from tests.support.payload_audit import (
    FrameLog,
    enrolled_secrets,
    secret_violations,
    violations,
)

expect.set_options(timeout=15_000)


@pytest.fixture
def frame_logs(live_app):
    """The frames of every context opened in this test, audited when the test ends."""
    before = Oracle.load(live_app.database_url)
    logs: list[FrameLog] = []
    yield logs
    after = Oracle.load(live_app.database_url)
    problems = [v for log in logs for v in violations(log, before, after)]
    assert problems == [], "out-of-scope data reached a bookkeeper's browser:\n" + "\n".join(
        problems[:20]
    )
    secrets = enrolled_secrets(
        live_app.database_url, live_app.data_dir, os.environ.get("PORTAL_SECRET_KEY", "")
    )
    leaks = [v for log in logs for v in secret_violations(log, secrets)]
    assert leaks == [], "an authenticator secret reached a browser after enrolment:\n" + (
        "\n".join(leaks[:20])
    )


@pytest.fixture
def csp_violations():
    """Every Content-Security-Policy violation in any context of this test: none allowed."""
    seen: list[dict] = []
    yield seen
    assert seen == [], "the page broke its Content-Security-Policy:\n" + "\n".join(
        map(str, seen[:20])
    )


@pytest.fixture
def open_context(browser, live_app, frame_logs, csp_violations):
    """Open a browser context on the live app that records (and so audits) its frames and
    reports every Content-Security-Policy violation of its pages."""
    opened = []

    def make(**options):
        """`options` go to Playwright's new_context (a viewport, a locale)."""
        ctx = browser.new_context(base_url=live_app.base_url, **options)
        ctx.set_default_timeout(15_000)
        log = FrameLog()
        log.attach(ctx)
        frame_logs.append(log)
        watch_csp(ctx, csp_violations)
        opened.append(ctx)
        return ctx

    yield make
    for ctx in opened:
        ctx.close()


@pytest.fixture
def context(open_context):
    return open_context()


@pytest.fixture
def page(context) -> Page:
    return context.new_page()
