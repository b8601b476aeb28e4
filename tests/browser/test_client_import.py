"""A staff member imports a practice's clients from a CSV file in the browser: upload, the
preview (mapping guessed and changed, a row error, a duplicate), the import, and the clients
in the list."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, func, select

from models import Client
from portal.db import engine_for
from tests.browser.conftest import sign_in
from tests.factories import PASSWORD, make_client, make_firm, make_user
from tests.support.client_import import clients_csv, open_import, run_import, upload_for_preview

pytestmark = pytest.mark.browser

COUNT = 120


def test_staff_import_clients_from_csv(page, live_app, tmp_path):
    tag = uuid.uuid4().hex[:6]
    with Session(engine_for(live_app.database_url)) as session:
        firm = make_firm(session, f"Import Firm {tag}")
        staff = make_user(session, firm, "staff", email=f"imp-{tag}@import.example", name="Ivy")
        make_client(session, firm, "Existing Holdings Ltd.")
        session.commit()
        firm_id, email = firm.id, staff.email
    path = clients_csv(
        tmp_path / "clients.csv",
        COUNT,
        tag=tag,
        extra="EXISTING  holdings ltd.,,,,,,\nBroken Mail Co.,,,not-an-email,,,\n",
    )

    sign_in(page, email, PASSWORD)
    expect(page.get_by_role("heading", name="Firm home")).to_be_visible()
    open_import(page)
    upload_for_preview(page, path)

    # The mapping guessed from the headers, each one a labelled select.
    expect(page.get_by_label("What the column “Business No.” holds")).to_have_value(
        "business_number"
    )
    expect(page.get_by_label("What the column “E-mail” holds")).to_have_value("contact_email")
    page.get_by_label("What the column “Notes” holds").select_option(label="Leave out")
    expect(page.get_by_label("What the column “Notes” holds")).to_have_value("")
    counts = page.locator("#client-import-counts")
    expect(counts).to_contain_text(f"{COUNT + 2} rows in clients.csv")
    expect(counts).to_contain_text(f"{COUNT} new clients to create")
    expect(counts).to_contain_text("1 row matches a client you already have")
    expect(page.locator("#client-import-errors")).to_have_text(
        f"Row {COUNT + 3}: Contact email must be a valid email address, like name@example.com."
    )
    expect(page.get_by_role("table", name="Possible duplicates")).to_contain_text(
        "Existing Holdings Ltd. (same name)"
    )
    # Rows with errors: nothing until the person says to skip them.
    expect(page.get_by_role("button", name="Import", exact=True)).to_be_disabled()

    summary = run_import(page, skip_errors=True)
    assert summary == (
        f"{COUNT} clients created, 0 updated, 1 duplicate skipped, 1 row with errors not imported."
    )
    with Session(engine_for(live_app.database_url)) as session:
        made = session.exec(
            select(func.count()).select_from(Client).where(Client.firm_id == firm_id)
        ).one()
    assert made == COUNT + 1

    page.get_by_role("link", name="Go to the client list").click()
    page.get_by_label("Search clients").fill(f"Imported Client {tag} 0077")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("link", name=f"Imported Client {tag} 0077")).to_be_visible()
