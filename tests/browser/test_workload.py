"""A manager reads the Workload page in the browser: the three charts' tables hold the firm's
numbers, a chart's CSV downloads as a spreadsheet would receive it, and a bookkeeper who types
/workload finds nothing there."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from models import FilingStatus, StepStatus, TimeEntry
from portal import routes
from portal.services import workload
from tests.browser.conftest import sign_in
from tests.factories import PASSWORD, make_client, make_filing, make_firm, make_step, make_user
from tests.support.records import live_session, tag

pytestmark = pytest.mark.browser


def test_staff_read_the_workload_and_a_bookkeeper_finds_none_of_it(
    live_app, open_context, frame_logs
):
    mark = tag()
    # The firm's clock is UTC (a new firm's default), and so is the served app's machine.
    today = date.today()
    with live_session(live_app) as session:
        firm = make_firm(session, f"Charts Firm {mark}")
        sam = make_user(session, firm, "staff", email=f"sam-{mark}@charts.example", name="Sam Lead")
        bea = make_user(
            session, firm, "bookkeeper", email=f"bea-{mark}@charts.example", name="Bea Ledger"
        )
        maple = make_client(session, firm, '=HYPERLINK("http://x","Maple")')
        filing = make_filing(session, maple, due_in=0)
        # With a checklist, like the demo's: the forgery suite picks another firm's first
        # step (this one, when it runs first) and its checklist item as out-of-scope targets.
        make_step(session, filing, sam, title="Overdue return", due_in=-3, checklist=("Bank",))
        make_step(session, filing, sam, title="Year end", due_in=40)
        entered = make_step(session, filing, bea, title="Enter receipts", due_in=2)
        filed = make_filing(session, maple, status=FilingStatus.FILED, due_in=0)
        make_step(session, filed, sam, title="Filed long ago", status=StepStatus.TODO)
        session.add(
            TimeEntry(
                firm_id=firm.id, step_id=entered.id, user_id=bea.id, minutes=90, work_date=today
            )
        )
        session.commit()
        sam_email, bea_email = sam.email, bea.email

    page = open_context().new_page()
    sign_in(page, sam_email, PASSWORD)
    expect(page.get_by_role("heading", name="Firm home")).to_be_visible()
    # The home shows the first chart, with its table.
    home_steps = page.get_by_role("region", name="Open steps per person")
    home_steps.get_by_text("Show as table").click()
    expect(home_steps.get_by_role("row", name="Sam Lead").get_by_role("cell")).to_have_text(
        ["Staff", "1", "0", "1", "2"]
    )

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Workload").click()
    expect(page.get_by_role("heading", name="Workload", level=1)).to_be_visible()

    steps = page.get_by_role("region", name="Open steps per person")
    expect(steps.get_by_role("img", name="held by 2 people.")).to_be_visible()
    steps.get_by_text("Show as table").click()
    table = steps.get_by_role("table", name="Open steps per person")
    rows = [
        ["Sam Lead", "Staff", "1", "0", "1", "2"],
        ["Bea Ledger", "Bookkeeper", "0", "1", "0", "1"],
    ]
    for row in rows:
        cells = table.get_by_role("row", name=row[0]).get_by_role("cell")
        expect(cells).to_have_text(row[1:])

    this_week = workload.week_label(today - timedelta(days=today.weekday()))
    for title, name in (
        ("Time logged per person", "Bea Ledger"),
        ("Time logged per client", '=HYPERLINK("http://x","Maple")'),
    ):
        region = page.get_by_role("region", name=title)
        region.get_by_text("Show as table").click()
        table = region.get_by_role("table", name=title)
        expect(table.get_by_role("columnheader", name=name)).to_be_visible()
        week_row = table.get_by_role("row", name=re.compile(rf"^{re.escape(this_week)}\s"))
        expect(week_row.get_by_role("cell")).to_have_text(["1:30", "1:30"])

    months = page.get_by_role("region", name="Filings due per month")
    months.get_by_text("Show as table").click()
    this_month = workload.month_label(today.replace(day=1))
    expect(months.get_by_role("row", name=this_month).get_by_role("cell")).to_have_text(
        ["1", "0", "1", "0", "2"]
    )

    with page.expect_download() as download:
        page.get_by_role("link", name="Download time logged per client as CSV").click()
    got = download.value
    assert got.suggested_filename == f"workload-time-by-client-{today.isoformat()}.csv"
    text = Path(got.path()).read_bytes().decode("utf-8-sig")
    monday = (today - timedelta(days=today.weekday())).isoformat()
    assert list(csv.reader(io.StringIO(text, newline=""))) == [
        ["Week starting", "Client", "Minutes", "Hours"],
        [monday, '\'=HYPERLINK("http://x","Maple")', "90", "1.5"],
    ]

    # A bookkeeper: no link, no page, no file.
    book = open_context().new_page()
    sign_in(book, bea_email, PASSWORD)
    expect(book.get_by_role("heading", name="My tasks")).to_be_visible()
    expect(
        book.get_by_role("navigation", name="Main").get_by_role("link", name="Workload")
    ).to_have_count(0)
    response = book.goto(routes.WORKLOAD)
    assert response.status == 404
    expect(book.get_by_role("heading", name="Not found")).to_be_visible()
    refused = book.request.get(routes.workload_export("open-steps"))
    assert refused.status == 404 and refused.text() == "Not found.\n"
    # Nothing of the charts reached the bookkeeper's browser: not a name, not a summary.
    received = "".join(frame_logs[-1].frames)
    assert received and "Sam Lead" not in received and "held by" not in received
