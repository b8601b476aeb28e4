"""Issue 12's rough edges, walked once in a firm of its own: a bookkeeper who types /clients
keeps the header and a way back; a CSV document previews as a table (its markup shown as
text); each step row on the filing page has its assignee picker without opening the step;
a deactivated bookkeeper's open tab goes to sign-in saying why; the admin archives the login
(gone from the list) and restores it (back, deactivated)."""

from __future__ import annotations

import io
import re
import uuid
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from portal.services import documents, steps
from portal.services.documents import IncomingFile
from tests.browser.conftest import sign_in
from tests.factories import (
    PASSWORD,
    actor_for,
    make_client,
    make_filing,
    make_firm,
    make_user,
)
from tests.support.records import live_session

pytestmark = pytest.mark.browser

CSV = b'date,memo,amount\n2026-04-01,"<script>alert(1)</script>",12.50\n2026-04-02,Rent\n'


@pytest.fixture
def edges(live_app):
    """A firm of its own, made before the test's frame audit takes its first look (so the
    bookkeeper's own client counts as hers), with a CSV document on her client."""
    tag = uuid.uuid4().hex[:8]
    with live_session(live_app) as session:
        firm = make_firm(session, f"Edges {tag}")
        admin = make_user(
            session, firm, "admin", email=f"admin-{tag}@edges.example", name=f"Ada {tag}"
        )
        bookkeeper = make_user(
            session, firm, "bookkeeper", email=f"bea-{tag}@edges.example", name=f"Bea {tag}"
        )
        client = make_client(session, firm, f"Edge Bakery {tag}")
        filing = make_filing(session, client, due_in=90)
        session.commit()
        steps.add_step(
            session=session,
            actor=actor_for(admin),
            filing_id=filing.id,
            title=f"Reconcile April {tag}",
            assignee_id=bookkeeper.id,
            due_date=(date.today() + timedelta(days=60)).isoformat(),
        )
        session.commit()
        (document,) = documents.upload_documents(
            session=session,
            actor=actor_for(admin),
            client_id=client.id,
            files=[IncomingFile("bank.csv", io.BytesIO(CSV))],
        )
        session.commit()
        return {
            "tag": tag,
            "admin_email": admin.email,
            "bk_email": bookkeeper.email,
            "bea": bookkeeper.name,
            "client_id": client.id,
            "filing_id": filing.id,
            "step_title": f"Reconcile April {tag}",
            "csv_id": document.id,
        }


def test_rough_edges(edges, open_context):
    tag, bea, step_title = edges["tag"], edges["bea"], edges["step_title"]
    admin_email, bk_email = edges["admin_email"], edges["bk_email"]
    client_id, filing_id = edges["client_id"], edges["filing_id"]
    csv_id = edges["csv_id"]

    # (a) A bookkeeper typing /clients: not found, in the full header, with the way back.
    bk = open_context().new_page()
    sign_in(bk, bk_email, PASSWORD)
    expect(bk.get_by_role("heading", name="My tasks", level=1)).to_be_visible()
    bk.goto("/clients")
    expect(bk.get_by_role("heading", name="Not found")).to_be_visible()
    nav = bk.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="My tasks")).to_be_visible()
    expect(nav.get_by_role("link", name="Clients")).to_have_count(0)
    expect(bk.get_by_text("Bookkeeper", exact=True)).to_be_visible()
    expect(bk.get_by_role("link", name=f"Your account: {bea}")).to_be_visible()
    bk.get_by_role("link", name="Back to My Tasks").click()
    expect(bk.get_by_role("heading", name="My tasks", level=1)).to_be_visible()

    # (c) The CSV opens as a table inside the app, its markup only text, download beside it.
    bk.goto(f"/clients/{client_id}")
    bk.get_by_role("link", name="View bank.csv").click()
    expect(bk).to_have_url(re.compile(rf"/documents/{csv_id}/?$"))
    table = bk.get_by_role("table", name="Contents of bank.csv")
    expect(table.get_by_role("columnheader", name="memo")).to_be_visible()
    expect(table.get_by_role("cell", name="<script>alert(1)</script>")).to_be_visible()
    expect(table.get_by_role("row")).to_have_count(3)
    expect(bk.get_by_role("link", name="Download bank.csv")).to_have_attribute(
        "href", f"/documents/{csv_id}/download"
    )

    # (d) The staff filing page: the step row's picker shows without opening the step.
    admin_page = open_context().new_page()
    sign_in(admin_page, admin_email, PASSWORD)
    expect(admin_page.get_by_role("heading", name="Firm home")).to_be_visible()
    admin_page.goto(f"/filings/{filing_id}")
    picker = admin_page.get_by_label(f"Assignee for {step_title}")
    expect(picker).to_be_visible()
    expect(admin_page.get_by_role("button", name=f"Edit {step_title}")).not_to_be_visible()
    picker.select_option(label=f"Ada {tag}")
    expect(admin_page.get_by_role("status").first).to_have_text("Step assigned.")
    picker.select_option(label=f"{bea} (bookkeeper)")
    expect(admin_page.get_by_role("status").first).to_have_text("Step assigned.")

    # (b) Deactivated: the bookkeeper's open tab goes to sign-in, told why in words.
    bk.goto("/tasks")
    expect(bk.get_by_role("heading", name="My tasks", level=1)).to_be_visible()
    admin_page.goto("/admin/bookkeepers")
    admin_page.get_by_role("button", name=f"Deactivate {bea}", exact=True).click()
    expect(admin_page.get_by_role("status").first).to_contain_text("deactivated")
    expect(bk).to_have_url(re.compile(r"/login/?\?reason=deactivated"))
    expect(bk.get_by_role("status")).to_have_text(
        "Your login was deactivated by your firm's admin. Ask them if you need access again."
    )

    # (e) Archived: gone from the list; Show archived -> Restore brings it back, deactivated.
    admin_page.get_by_role("button", name=f"Archive {bea}", exact=True).click()
    expect(admin_page.get_by_role("status").first).to_contain_text("Login archived")
    expect(admin_page.get_by_role("cell", name=bk_email)).to_have_count(0)
    # The switch is the server's: it shows checked once the archived list has loaded.
    admin_page.get_by_label("Show archived").click()
    expect(admin_page.get_by_label("Show archived")).to_be_checked()
    admin_page.get_by_role("button", name=f"Restore {bea}", exact=True).click()
    expect(admin_page.get_by_role("status").first).to_contain_text("Login restored")
    expect(admin_page.get_by_role("button", name=f"Reactivate {bea}", exact=True)).to_be_visible()
