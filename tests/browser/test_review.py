"""A filing goes through review and sign-off in the browser: sent by staff, returned by its
reviewer with a note (the bookkeeper's step opens again in her My Tasks), approved, signed
off by its approver and filed, each step on the filing's timeline."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session

from portal.db import engine_for
from tests.browser.conftest import sign_in
from tests.factories import PASSWORD, make_client, make_filing, make_firm, make_step, make_user
from tests.support.live import live_settings

pytestmark = pytest.mark.browser

PUSHED_MS = 5000


@dataclass
class Cast:
    sam: str
    ana: str
    otto: str
    bea: str
    ana_name: str
    otto_name: str
    filing_id: int
    bank: str
    ret: str


@pytest.fixture
def cast(live_app) -> Cast:
    """A firm of its own: Sam sends, Ana reviews, Otto approves, Bea did the bank step.
    Made before the browser contexts (listed first), so the payload audit's "before"
    snapshot knows Bea could open the client, as she could until the filing was filed."""
    tag = uuid.uuid4().hex[:6]
    with live_settings(live_app), Session(engine_for(live_app.database_url)) as session:
        firm = make_firm(session, f"Review Firm {tag}")

        def person(role: str, first: str):
            return make_user(
                session,
                firm,
                role,
                email=f"{first.lower()}-{tag}@review.example",
                name=f"{first} {tag}",
            )

        sam, ana, otto = person("staff", "Sam"), person("staff", "Ana"), person("staff", "Otto")
        bea = person("bookkeeper", "Bea")
        client = make_client(session, firm, f"Harbour Books {tag}")
        filing = make_filing(
            session,
            client,
            kind="GST/HST",
            period="Q2 2026",
            reviewer_id=ana.id,
            approver_id=otto.id,
        )
        # A checklist like every real step (and the forgery sweep, run after this test in
        # the same app, picks another firm's first step to try checklist ticks on).
        bank = make_step(
            session,
            filing,
            bea,
            title=f"Enter bank lines {tag}",
            status="done",
            checklist=("Statement matched",),
        )
        ret = make_step(session, filing, sam, title=f"Prepare the return {tag}", status="done")
        session.commit()
        return Cast(
            sam=sam.email,
            ana=ana.email,
            otto=otto.email,
            bea=bea.email,
            ana_name=ana.name,
            otto_name=otto.name,
            filing_id=filing.id,
            bank=bank.title,
            ret=ret.title,
        )


def person(open_context, email: str, path: str, landing: str) -> Page:
    page = open_context().new_page()
    sign_in(page, email, PASSWORD)
    expect(page.get_by_role("heading", name=landing, level=1)).to_be_visible()
    page.goto(path)
    return page


def status(page: Page, text: str) -> None:
    expect(page.get_by_role("status")).to_have_text(text)


def stage(page: Page, text: str, **kwargs) -> None:
    expect(page.locator("#review-stage")).to_have_text(text, **kwargs)


def test_sent_returned_approved_signed_off_filed(live_app, cast, open_context):
    path = f"/filings/{cast.filing_id}"
    sam = person(open_context, cast.sam, path, "Firm home")
    review = sam.get_by_role("region", name="Review and sign-off")
    expect(review.get_by_role("button", name="Send to review")).to_be_visible()
    bea = person(open_context, cast.bea, "/tasks", "My tasks")
    bea_task = bea.get_by_role("link", name=re.compile(re.escape(cast.bank)))
    expect(bea_task).to_contain_text("Done")

    sam.get_by_role("button", name="Send to review").click()
    status(sam, "Sent to review.")
    stage(sam, f"Waiting for {cast.ana_name}'s review.")
    # Sam is not the reviewer: the stage in words, no buttons.
    expect(review.get_by_role("button", name="Approve")).to_have_count(0)
    expect(review.get_by_role("button", name="Return with note")).to_have_count(0)

    # Ana returns it: first without a step, refused, her note kept; then reopening Bea's step.
    ana = person(open_context, cast.ana, path, "Firm home")
    form = ana.get_by_role("form", name="Return the filing")
    note = "The bank lines stop on June 12; enter the rest of June."
    form.get_by_label("Note for the return (required)").fill(note)
    form.get_by_role("button", name="Return with note").click()
    expect(ana.get_by_role("alert")).to_contain_text("Choose at least one step to reopen.")
    expect(form.get_by_label("Note for the return (required)")).to_have_value(note)
    form.get_by_label(cast.bank).check()
    form.get_by_role("button", name="Return with note").click()
    status(ana, "Filing returned; the steps you chose are open again.")
    stage(ana, "Not sent to review yet. Once every step is done, send it to review.")
    # Bea's My Tasks shows her step open again, and Sam's open page follows.
    expect(bea_task).to_contain_text("In progress", timeout=PUSHED_MS)
    expect(review.get_by_role("listitem").filter(has_text=note)).to_be_visible(timeout=PUSHED_MS)

    # Bea finishes it; Sam sends it again; Ana approves; Otto signs off; Sam files.
    bea_task.click()
    expect(bea.get_by_role("heading", name=cast.bank, level=1)).to_be_visible()
    bea.get_by_label(f"Status of {cast.bank}").select_option("done")
    expect(bea.get_by_label(f"Status of {cast.bank}")).to_have_value("done")
    expect(review.get_by_role("button", name="Send to review")).to_be_visible()
    sam.get_by_role("button", name="Send to review").click()
    status(sam, "Sent to review.")
    ana.reload()
    ana.get_by_role("button", name="Approve").click()
    status(ana, "Filing approved.")
    stage(sam, re.compile(f"waiting for {cast.otto_name}'s sign-off"), timeout=PUSHED_MS)
    otto = person(open_context, cast.otto, path, "Firm home")
    otto.get_by_role("button", name="Sign off").click()
    status(otto, "Filing signed off.")
    stage(sam, re.compile("ready to file"), timeout=PUSHED_MS)
    sam.get_by_role("button", name="Mark as filed").click()
    status(sam, "Filing marked as filed.")

    timeline = sam.get_by_role("list", name="Timeline")
    expect(timeline.get_by_role("listitem")).to_have_count(6)
    texts = [re.sub(r"\s+", " ", t) for t in timeline.get_by_role("listitem").all_inner_texts()]
    sam_name = "Sam " + cast.sam.split("-")[1].split("@")[0]
    for entry, begins in zip(
        texts,
        [
            f"Sent to review by {sam_name}",
            f"Returned by {cast.ana_name}",
            f"Sent to review by {sam_name}",
            f"Approved by {cast.ana_name}",
            f"Signed off by {cast.otto_name}",
            f"Filed by {sam_name}",
        ],
        strict=True,
    ):
        assert entry.startswith(begins), texts
    assert note in texts[1] and cast.bank in texts[1]
