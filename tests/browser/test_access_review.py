"""An admin reviews access in the browser: now, a bookkeeper's history, who could open a
client today, and the CSV of it, as a spreadsheet would receive it."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import expect

from portal.demo import ADMIN_PASSWORD
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser


def test_an_admin_reviews_who_can_and_could_open_a_client(page, live_app):
    today = datetime.now(UTC).date().isoformat()
    sign_in(page, "admin@demo-practice.example", ADMIN_PASSWORD)
    expect(page.get_by_role("heading", name="Firm home")).to_be_visible()
    page.goto("/audit")
    page.get_by_role("link", name=re.compile("^Access review")).click()
    expect(page.get_by_role("heading", name="Access review", level=1)).to_be_visible()
    table = page.get_by_role("table")
    expect(table.get_by_role("columnheader", name="How it began")).to_be_visible()
    expect(table.get_by_role("rowheader", name="Bea Martin").first).to_be_visible()

    page.get_by_role("radio", name="History").click()
    expect(page.get_by_role("alert")).to_contain_text("Choose a person or a client")
    page.get_by_label("Person", exact=True).select_option(label="Bea Martin")
    expect(
        page.get_by_role("heading", name="Every period of access for Bea Martin")
    ).to_be_visible()
    expect(page.get_by_role("cell", name=re.compile("in the demo data")).first).to_be_visible()

    page.get_by_role("radio", name="Between two days").click()
    page.get_by_label("Person", exact=True).select_option(label="Every bookkeeper")
    page.get_by_label("Client", exact=True).select_option(label="Maple Leaf Cafe Inc.")
    page.get_by_label("From", exact=True).fill(today)
    page.get_by_label("To", exact=True).fill(today)
    page.get_by_role("button", name="Show who could open it").click()
    expect(
        page.get_by_role("heading", name=re.compile("^Who could open Maple Leaf Cafe Inc. between"))
    ).to_be_visible()
    expect(table.get_by_role("rowheader", name="Bea Martin").first).to_be_visible()

    with page.expect_download() as download:
        page.get_by_role("link", name="Download this view as CSV").click()
    got = download.value
    assert got.suggested_filename == f"access-between-maple-leaf-cafe-inc-{today}-{today}.csv"
    content = Path(got.path()).read_bytes()
    assert content.startswith(b"\xef\xbb\xbfPerson,Client,Step,Filing,From (UTC)")
    assert "Bea Martin,Maple Leaf Cafe Inc." in content.decode("utf-8-sig")
