"""Issue 12's "done when", end to end in real browsers.

A new practice is created from the command line (`portal create-firm`), and its admin
accepts the emailed invitation, enrols the second factor the new firm's policy asks of
admins, invites a bookkeeper and imports 500 clients from a CSV. The admin builds a quarterly
GST/HST template whose first step goes to the bookkeeper, and creates filings from it. The
bookkeeper finds the task in My Tasks and works it. The filing goes through review and
sign-off and is filed, and the next quarter's filing appears, its first step on the
bookkeeper's list again. axe runs on every page the flow shows, in the states it shows them.
"""

from __future__ import annotations

import re
import subprocess
import uuid
from datetime import date, timedelta

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_invitations import choose_password, link_in, mail_to
from tests.browser.test_second_factor import enrol
from tests.support.axe import blocking_violations
from tests.support.client_import import clients_csv, import_clients_through_page
from tests.support.live import ROOT, VENV_BIN, live_env
from tests.support.records import scalar

pytestmark = pytest.mark.browser

BOOKKEEPER_PASSWORD = "velvet harbour copper ninety"
FIRST_STEP = "Enter the quarter's transactions"
SECOND_STEP = "Prepare and check the return"


def create_firm(live_app, name: str, email: str, admin: str) -> str:
    """`portal create-firm`, as a person types it, against the served app's database and
    mail server; what it printed."""
    port = int(live_app.base_url.rsplit(":", 1)[1])
    env = live_env(
        live_app.data_dir,
        port,
        live_app.mail_server.port,
        database_url=live_app.database_url,
    )
    done = subprocess.run(
        [
            str(VENV_BIN / "portal"),
            "create-firm",
            "--name",
            name,
            "--admin-email",
            email,
            "--admin-name",
            admin,
            "--seats",
            "3",
        ],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def settled(page: Page, problems: list[str]) -> None:
    """Wait for the page to be still, then let axe look at it as it is."""
    page.wait_for_load_state("networkidle")
    problems += blocking_violations(page)


def test_a_new_practice_starts_and_runs_a_quarter(open_context, live_app, tmp_path):
    tag = uuid.uuid4().hex[:6]
    firm_name = f"Birch Practice {tag}"
    admin_email, admin_name = f"maria-{tag}@birch.example", f"Maria Lopez {tag}"
    bea_email, bea_name = f"bea-{tag}@birch.example", f"Bea Birch {tag}"
    problems: list[str] = []

    # 1. The practice is created from the command line; its admin is invited by email.
    printed = create_firm(live_app, firm_name, admin_email, admin_name)
    assert admin_email in printed and "token" not in printed.lower()
    admin = open_context().new_page()
    admin.goto(link_in(live_app, mail_to(live_app, admin_email), "/invitation"))
    expect(admin.get_by_role("main")).to_contain_text(firm_name)
    settled(admin, problems)
    choose_password(admin, "Set password and sign in")
    # A new firm asks a second factor of its admins: nothing opens until one is on.
    expect(admin).to_have_url(re.compile(r"/account/security"))
    enrol(admin)
    settled(admin, problems)
    admin.goto("/")
    expect(admin.get_by_role("heading", name="Firm home", level=1)).to_be_visible()

    # 2. A bookkeeper is invited, and sets her own password.
    admin.goto("/admin/bookkeepers")
    form = admin.get_by_role("form", name="Add a bookkeeper login")
    form.get_by_label("Name", exact=True).fill(bea_name)
    form.get_by_label("Email", exact=True).fill(bea_email)
    form.get_by_role("button", name="Add bookkeeper").click()
    expect(admin.get_by_role("status").first).to_contain_text(f"Invitation sent to {bea_email}.")
    bea = open_context().new_page()
    bea.goto(link_in(live_app, mail_to(live_app, bea_email), "/invitation"))
    choose_password(bea, "Set password and sign in", BOOKKEEPER_PASSWORD)
    expect(bea.get_by_role("heading", name="My tasks", level=1)).to_be_visible()
    expect(bea.get_by_text("No tasks")).to_be_visible()
    settled(bea, problems)

    # 3. 500 clients from a spreadsheet.
    spreadsheet = clients_csv(tmp_path / "clients.csv", 500, tag=tag)
    summary = import_clients_through_page(admin, spreadsheet)
    assert summary.startswith("500 clients created"), summary
    settled(admin, problems)
    firm_id = scalar(live_app, "SELECT id FROM firm WHERE name = :name", name=firm_name)
    assert scalar(live_app, "SELECT COUNT(*) FROM client WHERE firm_id = :f", f=firm_id) == 500

    # 4. A quarterly GST/HST template: the bookkeeper enters, the admin prepares.
    admin.get_by_role("navigation", name="Main").get_by_role("link", name="Templates").click()
    expect(admin.get_by_role("heading", name="Filing templates", level=1)).to_be_visible()
    admin.get_by_role("button", name="New template").click()
    admin.get_by_label("Template name").fill("GST/HST quarterly")
    admin.get_by_label("Filing kind").select_option("GST/HST")
    admin.get_by_label("Step 1 title").fill(FIRST_STEP)
    admin.get_by_label("Step 1 default assignee").select_option(label=f"{bea_name} (bookkeeper)")
    admin.get_by_label("Step 1 due, in days").fill("-14")
    admin.get_by_label("Step 1 checklist").fill("Bank deposits\nBank withdrawals")
    admin.get_by_role("button", name="Add step").click()
    admin.get_by_label("Step 2 title").fill(SECOND_STEP)
    admin.get_by_label("Step 2 default assignee").select_option(label=admin_name)
    admin.get_by_label("Step 2 due, in days").fill("-3")
    settled(admin, problems)
    admin.get_by_role("button", name="Save template").click()
    expect(admin.get_by_role("status")).to_have_text("Template saved.")

    # 5. Filings from it, for two of the imported clients.
    due = date.today() + timedelta(days=45)
    filings = {}
    for n in (1, 2):
        client_name = f"Imported Client {tag} {n:04d}"
        client_id = scalar(
            live_app,
            "SELECT id FROM client WHERE firm_id = :f AND name = :n",
            f=firm_id,
            n=client_name,
        )
        admin.goto(f"/clients/{client_id}")
        admin.get_by_role("button", name="New filing").click()
        admin.get_by_label("Template").select_option(label="GST/HST quarterly (GST/HST)")
        admin.get_by_label("Period").fill("2026 Q3")
        admin.get_by_label("Due date").fill(due.isoformat())
        admin.get_by_label("Repeats").select_option(label="Quarterly")
        if n == 1:
            settled(admin, problems)
        admin.get_by_role("button", name="Create filing").click()
        expect(
            admin.get_by_role("heading", name=f"{client_name} · GST/HST 2026 Q3", level=1)
        ).to_be_visible()
        filings[n] = admin.url

    # 6. The bookkeeper finds both tasks in My Tasks, and works the first one.
    bea.reload()
    tasks = bea.get_by_role("link", name=re.compile(re.escape(FIRST_STEP)))
    expect(tasks).to_have_count(2)
    settled(bea, problems)
    bea.get_by_role("link", name=re.compile(re.escape(FIRST_STEP))).filter(
        has_text=f"Imported Client {tag} 0001"
    ).click()
    expect(bea.get_by_role("heading", name=FIRST_STEP, level=1)).to_be_visible()
    bea.get_by_role("checkbox", name="Bank deposits").click()
    expect(bea.get_by_role("checkbox", name="Bank deposits")).to_be_checked()
    bea.get_by_role("checkbox", name="Bank withdrawals").click()
    expect(bea.get_by_role("checkbox", name="Bank withdrawals")).to_be_checked()
    bea.get_by_label("Time spent").fill("1:15")
    bea.get_by_label("Date", exact=True).fill(date.today().isoformat())
    bea.get_by_role("button", name="Log time").click()
    expect(bea.get_by_text("Total 1:15")).to_be_visible()
    bea.get_by_label(f"Status of {FIRST_STEP}").select_option("done")
    expect(bea.get_by_label(f"Status of {FIRST_STEP}")).to_have_value("done")
    settled(bea, problems)

    # 7. The admin prepares the return, names the reviewer and approver, and the filing goes
    # through review and sign-off (an admin may take each transition).
    admin.goto(filings[1])
    step = admin.locator("details.step").filter(has_text=SECOND_STEP)
    step.locator("summary").click()
    step.get_by_label(f"Status of {SECOND_STEP}").select_option("done")
    expect(step.get_by_label(f"Status of {SECOND_STEP}")).to_have_value("done")
    admin.get_by_label("Reviewer", exact=True).select_option(label=admin_name)
    expect(admin.get_by_label("Reviewer", exact=True)).to_have_value(re.compile(r"\d+"))
    admin.get_by_label("Approver", exact=True).select_option(label=admin_name)
    review = admin.get_by_role("region", name="Review and sign-off")
    expect(review.get_by_role("button", name="Send to review")).to_be_visible()
    settled(admin, problems)
    review.get_by_role("button", name="Send to review").click()
    expect(review.get_by_role("button", name="Approve")).to_be_visible()
    settled(admin, problems)
    review.get_by_role("button", name="Approve").click()
    expect(review.get_by_role("button", name="Sign off")).to_be_visible()
    review.get_by_role("button", name="Sign off").click()
    expect(admin.get_by_role("button", name="Mark as filed")).to_be_enabled()
    admin.get_by_role("button", name="Mark as filed").click()
    expect(admin.get_by_role("status")).to_have_text("Filing marked as filed.")
    timeline = admin.get_by_role("list", name="Timeline")
    for said in ("sent", "approved", "signed off", "filed"):
        expect(timeline).to_contain_text(re.compile(said, re.IGNORECASE))
    settled(admin, problems)

    # 8. The next quarter's filing appears, its first step the bookkeeper's again.
    admin.get_by_role("link", name="GST/HST 2026 Q4").click()
    expect(
        admin.get_by_role("heading", name=f"Imported Client {tag} 0001 · GST/HST 2026 Q4", level=1)
    ).to_be_visible()
    bea_id = scalar(live_app, "SELECT id FROM user_account WHERE email = :e", e=bea_email)
    expect(admin.get_by_label(f"Assignee for {FIRST_STEP}")).to_have_value(str(bea_id))
    settled(admin, problems)
    bea.goto("/tasks")
    expect(bea.get_by_role("heading", name="My tasks", level=1)).to_be_visible()
    # Q3 of the first client is filed (gone); its Q4 and the second client's Q3 are there.
    expect(bea.get_by_role("link", name=re.compile(re.escape(FIRST_STEP)))).to_have_count(2)
    expect(bea.get_by_text(re.compile(r"GST/HST 2026 Q4"))).to_have_count(1)

    assert problems == [], "\n".join(problems)
