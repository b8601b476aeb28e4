"""Signing in and out in a real browser, for every role."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import text

from models import utcnow
from portal.db import engine_for
from portal.demo import ADMIN_PASSWORD, BOOKKEEPER_PASSWORD, STAFF_PASSWORD
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(
    ("email", "password", "landing", "heading", "nav"),
    [
        (
            "admin@demo-practice.example",
            ADMIN_PASSWORD,
            r"/$",
            "Firm home",
            [
                "Home",
                "Clients",
                "Staff",
                "Templates",
                "Workload",
                "Bookkeepers",
                "Settings",
                "Audit log",
            ],
        ),
        (
            "sam@demo-practice.example",
            STAFF_PASSWORD,
            r"/$",
            "Firm home",
            ["Home", "Clients", "Staff", "Templates", "Workload"],
        ),
        ("bea@demo-practice.example", BOOKKEEPER_PASSWORD, r"/tasks/?$", "My tasks", ["My tasks"]),
    ],
)
def test_each_role_signs_in_lands_on_its_page_and_signs_out(
    page, email, password, landing, heading, nav
):
    sign_in(page, email, password)
    expect(page).to_have_url(re.compile(landing))
    expect(page.get_by_role("heading", name=heading, level=1)).to_be_visible()
    links = page.get_by_role("navigation", name="Main").get_by_role("link")
    expect(links).to_have_text(nav)
    cookie = next(c for c in page.context.cookies() if c["name"] == "bp_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"

    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/login/?\?reason=signed_out"))
    expect(page.get_by_role("status")).to_have_text("You have signed out.")
    page.goto("/tasks")
    expect(page).to_have_url(re.compile(r"/login/?\?next=/tasks"))


def test_wrong_password_shows_a_clear_message_and_signs_nobody_in(page):
    sign_in(page, "bea@demo-practice.example", "not the password at all")
    expect(page.get_by_role("alert")).to_have_text("The email or password is incorrect.")
    expect(page.get_by_label("Password")).to_have_value("")
    assert not [c for c in page.context.cookies() if c["name"] == "bp_session"]

    page.get_by_label("Email").fill("not an email")
    page.get_by_label("Password").fill("whatever it is")
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("valid email address")

    page.get_by_label("Email").fill("bea@demo-practice.example")
    page.get_by_label("Password").fill("é" * 40)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("at most 72 bytes")


def test_sign_in_returns_to_the_page_that_was_asked_for(page):
    page.goto("/tasks")
    expect(page).to_have_url(re.compile(r"/login/?\?next=/tasks"))
    page.get_by_label("Email").fill("bea@demo-practice.example")
    page.get_by_label("Password").fill(BOOKKEEPER_PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page).to_have_url(re.compile(r"/tasks/?$"))


def test_a_tampered_cookie_is_refused_with_a_message(page, live_app):
    page.context.add_cookies([{"name": "bp_session", "value": "A" * 43, "url": live_app.base_url}])
    page.goto("/tasks")
    expect(page).to_have_url(re.compile(r"/login/?\?reason=invalid"))
    expect(page.get_by_role("status")).to_contain_text("could not be verified")


def test_an_expired_session_is_signed_out_at_the_next_event(page, live_app):
    sign_in(page, "bea@demo-practice.example", BOOKKEEPER_PASSWORD)
    expect(page.get_by_text("Bea Martin")).to_be_visible()
    page.wait_for_timeout(1000)  # let the page's own load events finish first
    with engine_for(live_app.database_url).begin() as conn:
        conn.execute(
            text("UPDATE login_session SET expires_at = :past WHERE revoked_at IS NULL"),
            {"past": utcnow() - timedelta(minutes=1)},
        )
    page.get_by_role("button", name="Sign out").click()  # any event will do
    expect(page).to_have_url(re.compile(r"/login"))
    expect(page.get_by_role("status")).to_contain_text(re.compile("expired|signed out"))
    page.goto("/tasks")
    expect(page).to_have_url(re.compile(r"/login/?\?reason=(expired|ended)"))


def test_a_bookkeeper_gets_not_found_for_staff_pages(page):
    sign_in(page, "bea@demo-practice.example", BOOKKEEPER_PASSWORD)
    expect(page.get_by_role("heading", name="My tasks")).to_be_visible()
    response = page.goto("/staff")
    assert response.status == 404
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/tasks/?$"))
