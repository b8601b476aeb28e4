"""Whatever text arrives, a service either does its job or says what to fix.

Every service that reads typed text is fed arbitrary Unicode, plus text built from the
characters that broke things before: direction overrides, zero-width and other invisible
characters, NUL and other controls, lone surrogates (they arrive through hand-made JSON),
superscript and circled digits, 10,000-digit numbers and Windows line endings. The calls are
the real services against a real migrated database (SQLite, or PostgreSQL in `make
test-cluster`), and each one must end in success or a ServiceError: any other exception is a
crash the person would see as a broken page.

After a call that succeeds, every text column in the database is checked: no NUL, no
direction control, no lone surrogate, all of it NFC, and the fields a person must fill in
show at least one visible character.

CASES is the one table of what is called and with which arguments. Arguments are passed by
keyword, so a service that gains a keyword argument needs only its row changed. Each example
runs inside a transaction that is rolled back afterwards (services that commit, like sign-in,
only release a savepoint), so every example starts from the same small world.

bcrypt at cost 12 takes about 0.3 s per hash, so the rows that set or check passwords run
few examples; the whole file takes well under a minute on two cores.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, event
from sqlmodel import Session, SQLModel

from models import StepStatus, TimeEntry
from portal.auth import Actor
from portal.mail import MailResult
from portal.services import (
    accounts,
    clients,
    discussion,
    emails,
    filings,
    signin,
    steps,
    tasks,
    team,
)
from portal.services.errors import ServiceError
from tests.factories import PASSWORD
from tests.world import World, build_world

# --- What people type -------------------------------------------------------------------

NASTY = (
    "\u202e",  # right-to-left override: "fdp.exe" shows as "exe.pdf"
    "\u202d",
    "\u202a",
    "\u2066",
    "\u2067",
    "\u2068",
    "\u2069",
    "\u200e",
    "\u200f",
    "\u061c",
    "\u200b",  # zero-width space
    "\u200c",
    "\u200d",  # zero-width joiner
    "\u2060",
    "\ufeff",
    "\u00ad",
    "\U000e0041",  # tag letter
    "\x00",
    "\x1b",
    "\x7f",
    "\x85",
    "\x9b",
    "\ud800",  # lone surrogates
    "\udc00",
    "\udfff",
    "²",
    "①",
    "٣",
    "\uff11",
    "\r\n",
    "\r",
    "\n",
    "\t",
    "\v",
    "\u2028",
    "\u2029",
    "\u3164",  # blank-looking letters
    "\u115f",
    "\u2800",
    "\u0301",  # combining marks on their own
    "\u20dd",
    "\ufe0f",
    "\u00a0",
    "\u3000",
    "👩\u200d💻",
    "İ",
    "Å",
    "e\u0301",
    "+",
    "_",
    ":",
    "-",
    "@",
    ",",
    " ",
)
LONG_DIGITS = st.integers(min_value=11, max_value=10_000).map(lambda n: "9" * n)
_pieces = st.one_of(st.sampled_from(NASTY), st.text(max_size=6), LONG_DIGITS)
nasty_text = st.lists(_pieces, max_size=6).map("".join)
_decoration = st.lists(st.sampled_from(NASTY), max_size=2).map("".join)


def typed(*plausible: str, weight: int = 1) -> st.SearchStrategy[str]:
    """Arbitrary text, nasty text, and plausible values with nasty characters around them,
    so that the rest of a form is often valid and calls get as far as storing. A higher
    weight makes the plausible values more common (for pick lists and several-field forms)."""
    options = [st.text(), nasty_text]
    if plausible:
        values = st.sampled_from(plausible)
        options += [values] * 2 * weight
        options += [st.tuples(_decoration, values, _decoration).map("".join)] * weight
    return st.sampled_from(options).flatmap(lambda strategy: strategy)


def typed_date(first: date, last: date) -> st.SearchStrategy[str]:
    valid = st.dates(first, last).map(date.isoformat)
    nasty = typed("0001-01-01", "9999-12-31", "2026-02-30", "20260430")
    return st.sampled_from([valid, valid, nasty]).flatmap(lambda strategy: strategy)


TODAY = date.today()
NAMES = ("Maple Leaf Cafe Inc.", "Zoë\u2019s Bakery 👩\u200d🍳", "مكتب المحاسبة", "नमस्ते")
EMAILS = ("owner@maple.example", "a.b+c@x.example", "Bea@Alpha.Example")
PASSWORDS = ("a brand new password", "Zoë\u2019s long passphrase!", PASSWORD)
TIMES = ("90", "1:30", "24:00", "0:00")
KINDS = filings.FILING_KINDS
DUE = typed_date(date(1990, 1, 1), date(2100, 12, 31))
WORKED = typed_date(date(2000, 1, 1), TODAY)
CLIENT_FORM = st.fixed_dictionaries(
    {
        "name": typed(*NAMES),
        "business_number": typed("123456789RC0001"),
        "contact_name": typed("Hannah Ortiz"),
        "contact_email": typed(*EMAILS, "", weight=2),
        "phone": typed("+1 604 555 0100"),
        "address": typed("1 Main St\nVancouver BC"),
        "notes": typed("Prefers email.\r\nYear end: March."),
    }
)


class FakeMailer:
    """Takes every message after turning it into bytes, as a real mailer would."""

    def __init__(self) -> None:
        self.failures: list[Exception] = []

    def send(self, message) -> MailResult:
        try:
            message.as_bytes()
        except Exception as exc:  # kept for the test to fail on; send_email would hide it
            self.failures.append(exc)
            raise
        return MailResult(status="sent", message_id=str(message["Message-ID"]))


# --- The world the calls run in ---------------------------------------------------------


@dataclass
class Lab:
    engine: Any
    world: World
    staff: Actor
    admin: Actor
    bookkeeper: Actor
    entry_id: int
    # What each editor showed when it was opened: the "seen" side of a save.
    client_seen: dict[str, str]
    filing_seen: dict[str, str]
    step_seen: dict[str, str]
    mailer: FakeMailer


def _savepoint_engine(url: str):
    """pysqlite starts transactions on its own and so cannot nest SAVEPOINTs; with that
    turned off and BEGIN issued by SQLAlchemy, a commit inside a service only releases a
    savepoint, and the test rolls everything back. PostgreSQL nests them as it is."""
    if not url.startswith("sqlite"):
        return create_engine(url)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None
        dbapi_conn.execute("PRAGMA foreign_keys=ON")

    @event.listens_for(engine, "begin")
    def _begin(conn):
        conn.exec_driver_sql("BEGIN")

    return engine


@pytest.fixture
def lab(db_url):
    engine = _savepoint_engine(db_url)
    with Session(engine, expire_on_commit=False) as s:
        world = build_world(s)
        staff = world.actor(s, world.staff)
        admin = world.actor(s, world.admin)
        bookkeeper = world.actor(s, world.bk1)
        entry = TimeEntry(
            firm_id=world.firm.id,
            step_id=world.step.id,
            user_id=world.bk1.id,
            minutes=30,
            work_date=TODAY,
            note="Bank feed",
        )
        s.add(entry)
        s.commit()
        yield Lab(
            engine=engine,
            world=world,
            staff=staff,
            admin=admin,
            bookkeeper=bookkeeper,
            entry_id=entry.id,
            client_seen=clients.edit_values(clients.info(world.client)),
            filing_seen=filings.edit_values(filings.header(s, world.filing, staff)),
            step_seen=steps.edit_values(steps.views(s, staff, [world.step])[0]),
            mailer=FakeMailer(),
        )
    engine.dispose()


# --- The table: every service that reads typed text -------------------------------------


@dataclass(frozen=True)
class Case:
    name: str
    service: Callable[..., Any]
    # Keyword arguments for one call: fixed ones from the world, typed ones as strategies.
    arguments: Callable[[Lab], st.SearchStrategy[dict[str, Any]]]
    actor: str | None = "staff"
    examples: int = 40


def kwargs(**fields: Any) -> st.SearchStrategy[dict[str, Any]]:
    """Strategies stay strategies; anything else is passed as it is."""
    return st.fixed_dictionaries(
        {k: v if isinstance(v, st.SearchStrategy) else st.just(v) for k, v in fields.items()}
    )


def _password_change(lab: Lab) -> st.SearchStrategy[dict[str, Any]]:
    def around(new: str) -> st.SearchStrategy[dict[str, Any]]:
        return kwargs(
            current=st.one_of(st.just(PASSWORD), typed(PASSWORD)),
            new=new,
            confirm=st.one_of(st.just(new), typed(new)),
        )

    return typed(*PASSWORDS).flatmap(around)


CASES = [
    Case(
        "clients.create_client",
        clients.create_client,
        lambda lab: kwargs(form=CLIENT_FORM, allow_duplicate=st.booleans()),
    ),
    Case(
        "clients.update_client",
        clients.update_client,
        lambda lab: kwargs(
            client_id=lab.world.client.id,
            form=CLIENT_FORM,
            seen=lab.client_seen,
            allow_duplicate=st.booleans(),
        ),
    ),
    Case(
        "clients.list_clients",
        clients.list_clients,
        lambda lab: kwargs(search=typed("maple", "%", "_")),
    ),
    Case(
        "filings.create_filing",
        filings.create_filing,
        lambda lab: kwargs(
            client_id=lab.world.client.id,
            kind=typed(*KINDS, weight=3),
            period=typed("Q1 2026", "2025"),
            due_date=DUE,
        ),
    ),
    Case(
        "filings.update_filing",
        filings.update_filing,
        lambda lab: kwargs(
            filing_id=lab.world.filing.id,
            kind=typed(*KINDS, weight=3),
            period=typed("Q2 2026"),
            due_date=DUE,
            seen=lab.filing_seen,
        ),
    ),
    Case(
        "steps.add_step",
        steps.add_step,
        lambda lab: kwargs(
            filing_id=lab.world.filing.id,
            title=typed("Reconcile payroll"),
            description=typed("Match each deposit\r\nto a statement line."),
            due_date=DUE,
        ),
    ),
    Case(
        "steps.edit_step",
        steps.edit_step,
        lambda lab: kwargs(
            step_id=lab.world.step.id,
            title=typed("Enter Q1 bank transactions"),
            description=typed("Three accounts.\n\tChequing first."),
            due_date=DUE,
            seen=lab.step_seen,
        ),
    ),
    Case(
        "steps.set_status",
        steps.set_status,
        lambda lab: kwargs(
            step_id=lab.world.step.id,
            status=st.one_of(st.just(StepStatus.WAITING_ON_CLIENT.value), typed("todo")),
            reason=typed("March bank statement"),
        ),
        actor="bookkeeper",
    ),
    Case(
        "steps.add_checklist_item",
        steps.add_checklist_item,
        lambda lab: kwargs(step_id=lab.world.step.id, label=typed("Deposits")),
    ),
    Case(
        "steps.log_time",
        steps.log_time,
        lambda lab: kwargs(
            step_id=lab.world.step.id,
            minutes=typed(*TIMES, weight=3),
            work_date=WORKED,
            note=typed("Bank feed"),
        ),
        actor="bookkeeper",
    ),
    Case(
        "steps.update_time_entry",
        steps.update_time_entry,
        lambda lab: kwargs(
            entry_id=lab.entry_id,
            minutes=typed(*TIMES, weight=3),
            work_date=WORKED,
            note=typed("Bank feed, part 2"),
        ),
        actor="bookkeeper",
    ),
    Case(
        "steps.add_comment",
        steps.add_comment,
        lambda lab: kwargs(step_id=lab.world.step.id, body=typed("Done.\r\nSee the notes.")),
        actor="bookkeeper",
    ),
    Case(
        "discussion.add_post",
        discussion.add_post,
        lambda lab: kwargs(filing_id=lab.world.filing.id, body=typed("Question about Q1")),
        actor="bookkeeper",
    ),
    Case(
        "emails.send_email",
        emails.send_email,
        lambda lab: kwargs(
            client_id=lab.world.client.id,
            to=typed(*EMAILS, "a@x.example, b@y.example", weight=2),
            subject=typed("April statements"),
            body=typed("Hello,\r\n\r\nThe statements are attached."),
            mailer=lab.mailer,
        ),
    ),
    Case(
        "tasks.my_tasks",
        tasks.my_tasks,
        lambda lab: kwargs(
            status=typed(*(s.value for s in StepStatus), "", weight=3),
            sort=typed(*tasks.SORTS, weight=3),
            client_id=st.sampled_from(
                [None, lab.world.client.id, lab.world.other_client.id, lab.world.outsider_client.id]
            ),
        ),
        actor="bookkeeper",
    ),
    Case(
        "team.create_login",
        team.create_login,
        lambda lab: kwargs(
            name=typed("Kim Osei", weight=2),
            email=typed("kim@alpha.example", "new.person@alpha.example", weight=2),
            role=typed("staff", "bookkeeper", "admin", weight=3),
        ),
        actor="admin",
        examples=15,
    ),
    Case(
        "team.reset_password",
        team.reset_password,
        lambda lab: kwargs(user_id=lab.world.bk2.id),
        actor="admin",
        examples=10,
    ),
    Case(
        "accounts.change_own_password",
        accounts.change_own_password,
        _password_change,
        examples=10,
    ),
    Case(
        "signin.sign_in",
        signin.sign_in,
        lambda lab: kwargs(
            email=typed(lab.world.staff.email, lab.world.bk1.email),
            password=typed(PASSWORD),
            ip="127.0.0.1",
        ),
        actor=None,
        examples=15,
    ),
]


# --- What must hold after every call ----------------------------------------------------

BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
# Columns a person must fill in: stored, they must show something.
MUST_SHOW = {
    "client": ("name",),
    "filing": ("kind", "period"),
    "step": ("title",),
    "checklist_item": ("label",),
    "step_comment": ("body",),
    "discussion_post": ("body",),
    "email": ("subject",),
    "user_account": ("name",),
}
_BLANK = frozenset("\u115f\u1160\u3164\uffa0\u2800")


def _shows_something(value: str) -> bool:
    return any(
        not ch.isspace()
        and ch not in _BLANK
        and unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Mn", "Me")
        for ch in value
    )


def _problem(value: str) -> str | None:
    if "\x00" in value:
        return "NUL"
    for ch in value:
        if ch in BIDI_CONTROLS:
            return f"direction control U+{ord(ch):04X}"
        if "\ud800" <= ch <= "\udfff":
            return "lone surrogate"
    if not unicodedata.is_normalized("NFC", value):
        return "not NFC"
    return None


def assert_stored_text_is_clean(session: Session) -> None:
    """Every row of every table: the rows a call touched are among them, and the world's
    own rows are plain ASCII, so anything found here came in through the call."""
    for table in SQLModel.metadata.sorted_tables:
        for row in session.execute(table.select()):
            for column, value in row._mapping.items():
                if not isinstance(value, str):
                    continue
                problem = _problem(value)
                assert problem is None, f"{table.name}.{column} stored with {problem}: {value!r}"
                if column in MUST_SHOW.get(table.name, ()):
                    assert _shows_something(value), f"{table.name}.{column} looks blank: {value!r}"


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_typed_text_ends_in_success_or_a_clear_refusal(lab, case):
    actor = getattr(lab, case.actor) if case.actor else None

    @settings(
        max_examples=case.examples,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        print_blob=True,
    )
    @given(arguments=case.arguments(lab))
    def one_call(arguments):
        with lab.engine.connect() as conn:
            outer = conn.begin()
            try:
                with Session(
                    bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False
                ) as session:
                    call = {"session": session, **arguments}
                    if actor is not None:
                        call["actor"] = actor
                    try:
                        case.service(**call)
                        session.flush()
                    except ServiceError:
                        pass
                    else:
                        assert_stored_text_is_clean(session)
            finally:
                outer.rollback()
        assert not lab.mailer.failures, f"a message could not be serialised: {lab.mailer.failures}"

    one_call()
