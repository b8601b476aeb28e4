"""The demo firm from the product sheet, with due dates relative to today so "due soon" and
"overdue" stay true whenever the demo is loaded."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, timedelta
from email.message import EmailMessage

from sqlmodel import Session, select

from models import (
    ChecklistItem,
    Client,
    Filing,
    FilingStatus,
    FilingTemplate,
    Firm,
    Step,
    StepStatus,
    TemplateStep,
    User,
    UserRole,
    utcnow,
)
from portal.auth import Actor, hash_password
from portal.services import access_changes, documents, emails

DEMO_FIRM = "Demo Practice"


@dataclass(frozen=True)
class DemoAccount:
    email: str
    name: str
    role: UserRole
    password: str


ADMIN_PASSWORD = "Ledger-demo-2026!"  # noqa: S105 (published demo credentials)
STAFF_PASSWORD = "Staff-demo-2026!"  # noqa: S105
BOOKKEEPER_PASSWORD = "Books-demo-2026!"  # noqa: S105

ACCOUNTS = (
    DemoAccount("admin@demo-practice.example", "Olivia Grant", UserRole.ADMIN, ADMIN_PASSWORD),
    DemoAccount("sam@demo-practice.example", "Sam Patel", UserRole.STAFF, STAFF_PASSWORD),
    DemoAccount("alex@demo-practice.example", "Alex Chen", UserRole.STAFF, STAFF_PASSWORD),
    DemoAccount(
        "bea@demo-practice.example", "Bea Martin", UserRole.BOOKKEEPER, BOOKKEEPER_PASSWORD
    ),
    DemoAccount("dev@demo-practice.example", "Dev Singh", UserRole.BOOKKEEPER, BOOKKEEPER_PASSWORD),
    DemoAccount("kim@demo-practice.example", "Kim Osei", UserRole.BOOKKEEPER, BOOKKEEPER_PASSWORD),
)


def demo_exists(session: Session) -> bool:
    return session.exec(select(Firm.id).where(Firm.name == DEMO_FIRM)).first() is not None


def any_firm(session: Session) -> bool:
    return session.exec(select(Firm.id)).first() is not None


def load_demo(session: Session, *, today: date | None = None) -> bool:
    """Create the demo firm unless it is already there. Returns True when it was created."""
    if demo_exists(session):
        return False
    today = today or date.today()
    firm = Firm(
        name=DEMO_FIRM,
        staff_seats=5,
        filing_steps_enabled=True,
        portal_enabled=True,
        time_zone="America/Toronto",
        # Off, so the demo can be tried with a password alone; Settings turns them on.
        mfa_admins=False,
        mfa_staff=False,
        mfa_bookkeepers=False,
    )
    session.add(firm)
    session.flush()
    # The demo's steps are written directly, not through the services: the ledger still
    # opens with the access they give, so that it agrees with the rule from the start.
    with access_changes.tracking(session, actor=None, cause="demo.loaded", firm_id=firm.id):
        _fill(session, firm, today)
    return True


def _fill(session: Session, firm: Firm, today: date) -> None:
    year = today.year
    hashes: dict[str, str] = {}
    people: dict[str, User] = {}
    for account in ACCOUNTS:
        if account.password not in hashes:
            hashes[account.password] = hash_password(account.password)
        user = User(
            firm_id=firm.id,
            email=account.email,
            name=account.name,
            role=account.role,
            password_hash=hashes[account.password],
        )
        session.add(user)
        people[account.email.split("@")[0]] = user
    session.flush()
    sam, alex = people["sam"], people["alex"]
    bea, dev = people["bea"], people["dev"]

    def client(name: str, **info: str) -> Client:
        row = Client(firm_id=firm.id, name=name, **info)
        session.add(row)
        session.flush()
        return row

    def filing(of: Client, kind: str, period: str, due: int, **extra) -> Filing:
        row = Filing(
            firm_id=firm.id,
            client_id=of.id,
            kind=kind,
            period=period,
            due_date=today + timedelta(days=due),
            status=extra.pop("status", FilingStatus.OPEN),
            reviewer_id=sam.id,
            approver_id=alex.id,
            **extra,
        )
        session.add(row)
        session.flush()
        return row

    def step(on: Filing, title: str, who: User | None, due: int, position: int, **extra) -> Step:
        checklist = extra.pop("checklist", ())
        row = Step(
            firm_id=firm.id,
            filing_id=on.id,
            title=title,
            assignee_id=who.id if who else None,
            due_date=today + timedelta(days=due),
            status=extra.pop("status", StepStatus.TODO),
            position=position,
            **extra,
        )
        session.add(row)
        session.flush()
        for index, (label, done) in enumerate(checklist):
            session.add(
                ChecklistItem(
                    firm_id=firm.id,
                    step_id=row.id,
                    label=label,
                    position=index,
                    is_done=done,
                    done_by_id=who.id if done and who else None,
                    done_at=utcnow() if done else None,
                )
            )
        return row

    maple = client(
        "Maple Leaf Cafe Inc.",
        business_number="812345678RT0001",
        contact_name="Claire Tremblay",
        contact_email="claire@mapleleafcafe.example",
        phone="416-555-0142",
        address="112 Queen St W, Toronto, ON M5H 2M9",
        notes="Quarterly GST/HST filer. Bank: RBC business chequing.",
    )
    gst = filing(maple, "GST/HST", f"Q1 {year}", due=9)
    step(
        gst,
        "Enter Q1 bank transactions",
        bea,
        due=3,
        position=0,
        status=StepStatus.IN_PROGRESS,
        description="Enter January to March transactions from the RBC statements.",
        checklist=(
            ("Download January to March statements", True),
            ("Enter deposits", False),
            ("Enter withdrawals", False),
            ("Reconcile the ending balance", False),
        ),
    )
    step(gst, "Review GST/HST return", sam, due=8, position=1)
    maple_payroll = filing(maple, "Payroll", f"March {year}", due=12)
    step(maple_payroll, "Run March payroll", alex, due=10, position=0)

    dental = client(
        "River Valley Dental",
        business_number="823456789RP0001",
        contact_name="Dr. Priya Nair",
        contact_email="office@rivervalleydental.example",
        phone="905-555-0187",
        address="45 River Rd, Guelph, ON N1H 3T2",
    )
    payroll = filing(dental, "Payroll", f"March {year}", due=10)
    step(
        payroll,
        "Reconcile payroll accounts",
        bea,
        due=6,
        position=0,
        checklist=(
            ("Match remittances to the payroll register", False),
            ("Check CPP and EI", False),
        ),
    )

    northside = client(
        "Northside Logistics Ltd.",
        business_number="834567890RC0001",
        contact_name="Marcus Lee",
        contact_email="marcus@northsidelogistics.example",
        phone="604-555-0119",
        address="2200 Commissioner St, Vancouver, BC V5L 1A3",
    )
    books = filing(northside, "Bookkeeping", f"{year}", due=20)
    step(
        books,
        "Categorize expense receipts",
        bea,
        due=-4,
        position=0,
        checklist=(("Fuel receipts", False), ("Maintenance invoices", False)),
    )

    bright = client(
        "Bright Ideas Marketing",
        business_number="845678901RC0001",
        contact_name="Hannah Ortiz",
        contact_email="hannah@brightideas.example",
        phone="403-555-0166",
        address="808 1 St SW, Calgary, AB T2P 1N1",
    )
    onboarding = filing(bright, "Bookkeeping", f"Opening balances {year}", due=25)
    step(
        onboarding,
        "Confirm opening balances with client",
        bea,
        due=12,
        position=0,
        status=StepStatus.WAITING_ON_CLIENT,
        waiting_reason="Asked Hannah for last year's closing trial balance.",
    )

    yoga = client(
        "Lakeshore Yoga Studio",
        business_number="856789012RT0001",
        contact_name="Ana Silva",
        contact_email="ana@lakeshoreyoga.example",
        phone="647-555-0133",
        address="3 Lakeshore Blvd, Toronto, ON M8V 1A1",
    )
    yoga_gst = filing(yoga, "GST/HST", f"Q1 {year}", due=14)
    step(yoga_gst, "Scan and upload receipts", dev, due=2, position=0)

    florist = client(
        "Harbourview Florists",
        business_number="867890123RC0001",
        contact_name="Grace Wong",
        contact_email="grace@harbourviewflorists.example",
        phone="902-555-0150",
        address="1 Lower Water St, Halifax, NS B3J 1R7",
    )
    t2 = filing(florist, "T2", f"{year - 1}", due=40)
    step(t2, "Prepare T2 schedules", sam, due=30, position=0)

    summit = client(
        "Summit Engineering Ltd.",
        business_number="878901234RC0001",
        contact_name="Owen Brooks",
        contact_email="owen@summiteng.example",
        phone="780-555-0171",
        address="10130 103 St NW, Edmonton, AB T5J 3N9",
    )
    filed = filing(
        summit,
        "GST/HST",
        f"Q4 {year - 1}",
        due=-20,
        status=FilingStatus.FILED,
        closed_at=utcnow() - timedelta(days=22),
    )
    step(filed, "Enter Q4 bank transactions", bea, due=-30, position=0, status=StepStatus.DONE)

    law = client(
        "Cedar & Pine Law LLP",
        business_number="889012345RP0001",
        contact_name="Robert Singh",
        contact_email="accounts@cedarpine.example",
        phone="613-555-0104",
        address="50 O'Connor St, Ottawa, ON K1P 6L2",
    )
    law_payroll = filing(law, "Payroll", f"March {year}", due=11)
    step(law_payroll, "Run March payroll", alex, due=9, position=0)

    templates = _templates(session, firm, people)
    for repeating, template, every in (
        (gst, "GST/HST", "quarterly"),
        (yoga_gst, "GST/HST", "quarterly"),
        (maple_payroll, "Payroll", "monthly"),
        (payroll, "Payroll", "monthly"),
        (law_payroll, "Payroll", "monthly"),
        (books, "Bookkeeping", None),
    ):
        repeating.template_id = templates[template].id
        repeating.recurrence = every or ""
        session.add(repeating)

    admin = people["admin"]
    _load_papers(session, firm, admin, maple, gst, northside, year)


# The demo's templates: (name, kind, steps), each step (title, who, days from the filing's due
# date, description, checklist).
DEMO_TEMPLATES = (
    (
        "GST/HST quarterly",
        "GST/HST",
        (
            (
                "Enter the quarter's bank transactions",
                "bea",
                -6,
                "Enter the quarter's transactions from the client's bank statements.",
                (
                    "Download the quarter's statements",
                    "Enter deposits",
                    "Enter withdrawals",
                    "Reconcile the ending balance",
                ),
            ),
            (
                "Prepare the GST/HST return",
                "sam",
                -2,
                "",
                ("Total GST/HST collected", "Total input tax credits", "Check the net tax"),
            ),
            ("File the return with CRA", "sam", 0, "File online and save the confirmation.", ()),
        ),
    ),
    (
        "Payroll monthly",
        "Payroll",
        (
            (
                "Collect hours and changes from the client",
                "dev",
                -8,
                "New hires, leavers, raises and time off.",
                ("Timesheets received", "Changes confirmed"),
            ),
            (
                "Run payroll",
                "alex",
                -3,
                "",
                ("Check CPP and EI", "Check income tax", "Send pay stubs"),
            ),
            ("Remit source deductions", "alex", 0, "", ("Remittance sent to CRA",)),
        ),
    ),
    (
        "Bookkeeping monthly",
        "Bookkeeping",
        (
            (
                "Categorize expense receipts",
                "bea",
                -10,
                "",
                ("Fuel receipts", "Maintenance invoices", "Office supplies"),
            ),
            (
                "Reconcile bank and credit card",
                "bea",
                -5,
                "",
                ("Bank account", "Credit card"),
            ),
            ("Review the month's books", "sam", 0, "", ()),
        ),
    ),
)


def _templates(session: Session, firm: Firm, people: dict[str, User]) -> dict[str, FilingTemplate]:
    made = {}
    for name, kind, steps in DEMO_TEMPLATES:
        template = FilingTemplate(firm_id=firm.id, name=name, kind=kind)
        session.add(template)
        session.flush()
        for position, (title, who, offset, description, checklist) in enumerate(steps):
            session.add(
                TemplateStep(
                    firm_id=firm.id,
                    template_id=template.id,
                    position=position,
                    title=title,
                    description=description,
                    checklist="\n".join(checklist),
                    assignee_id=people[who].id,
                    due_offset_days=offset,
                )
            )
        made[kind] = template
    session.flush()
    return made


def _pdf(text: str) -> bytes:
    """A one-page PDF saying `text`: enough to open in a browser's viewer."""
    stream = f"BT /F1 14 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(
        b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    )
    return out.getvalue()


def _load_papers(session: Session, firm: Firm, admin: User, maple, gst, northside, year) -> None:
    """Documents and an email thread, stored through the same services staff use."""
    actor = Actor(
        user_id=admin.id,
        firm_id=firm.id,
        role=admin.role,
        name=admin.name,
        email=admin.email,
        session_id=0,
        must_change_password=False,
    )
    statement = "date,description,amount\n" + "".join(
        f"{year}-0{m}-{d:02d},{what},{amount}\n"
        for m, d, what, amount in (
            (1, 3, "Sysco food supply", "-1240.55"),
            (1, 15, "Square deposit", "3890.10"),
            (2, 2, "Toronto Hydro", "-310.42"),
            (3, 28, "Square deposit", "4120.75"),
        )
    )
    documents.upload_documents(
        session=session,
        actor=actor,
        client_id=maple.id,
        filing_id=gst.id,
        files=[
            documents.IncomingFile("Q1 bank transactions.csv", io.BytesIO(statement.encode())),
            documents.IncomingFile(
                "RBC statement March.pdf", io.BytesIO(_pdf("RBC business chequing - March"))
            ),
        ],
    )
    documents.upload_documents(
        session=session,
        actor=actor,
        client_id=northside.id,
        filing_id=None,
        files=[
            documents.IncomingFile(
                "Fuel receipts.csv",
                io.BytesIO(b"date,station,amount\n2026-03-02,Petro-Canada,182.40\n"),
            )
        ],
    )
    inbound = EmailMessage()
    inbound["From"] = f"Claire Tremblay <{maple.contact_email}>"
    inbound["To"] = "books@demo-practice.example"
    inbound["Subject"] = "Q1 statements"
    inbound["Message-ID"] = "<q1-statements@mapleleafcafe.example>"
    inbound.set_content(
        "Hi, the January to March statements are attached in the portal. "
        "The Square deposits are our card sales.\n\nClaire"
    )
    emails.import_eml(session=session, client_id=maple.id, raw=bytes(inbound))
