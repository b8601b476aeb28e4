"""Notifications: the assignment email caught by a real SMTP server and its link followed to
the task, the morning digest on a frozen clock in the firm's time zone, mail that is never
sent about work its reader lost, a mail server that fails without undoing anything, the
person's switches, two senders that never send one mail twice, and the header's list."""

from __future__ import annotations

import contextlib
import random
import re
import threading
import time
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from urllib.parse import urlsplit

import pytest
from reflex.istate.data import PageData
from sqlmodel import Session, select

from models import AuditEvent, Client, MailStatus, QueuedMail, Step, User, utcnow
from portal import access, auth, mail_sender, routes
from portal.db import engine_for
from portal.mail import MailResult
from portal.services import (
    filings,
    firm_time,
    mail_queue,
    notifications,
    runner,
    scope,
    steps,
    team,
)
from portal.services.errors import Invalid, Refused, ServiceError
from portal.settings import get_settings
from state.account import AccountState
from state.settings import SettingsState
from state.task import TaskState
from tests.factories import (
    actor_for,
    make_client,
    make_filing,
    make_firm,
    make_login,
    make_step,
    make_user,
)
from tests.support import smtp as smtp_server
from tests.support.handlers import page_state, run_handler
from tests.support.smtp import free_port, use_smtp

PUBLIC_URL = "https://portal.alpha.example"


@pytest.fixture
def smtp(db_url, monkeypatch):
    monkeypatch.setenv("PORTAL_PUBLIC_URL", PUBLIC_URL)
    controller, collector = smtp_server.start()
    use_smtp(monkeypatch, controller.port)
    yield collector
    controller.stop()


def actor(session: Session, user: User):
    return actor_for(user, make_login(session, user))


def act(session: Session, user: User, fn, **kwargs):
    """Run one service call as `user`, in its own unit of work, as a page would."""
    who = actor(session, user)
    session.commit()
    return runner.perform(fn, actor=who, **kwargs)


def to(messages: list[EmailMessage], user: User) -> list[EmailMessage]:
    return [m for m in messages if m["To"].addresses[0].addr_spec == user.email]


def body(message: EmailMessage) -> str:
    return message.get_body(("plain",)).get_content()


def mails(session: Session) -> list[QueuedMail]:
    session.expire_all()
    return list(session.exec(select(QueuedMail).order_by(QueuedMail.id)))


@pytest.fixture
def world(session):
    firm = make_firm(session, "Alpha Accounting", time_zone="America/Vancouver")
    admin = make_user(session, firm, "admin", email="ada@alpha.example", name="Ada Admin")
    staff = make_user(session, firm, "staff", email="sam@alpha.example", name="Sam Staff")
    bea = make_user(session, firm, "bookkeeper", email="bea@alpha.example", name="Bea Books")
    dev = make_user(session, firm, "bookkeeper", email="dev@alpha.example", name="Dev Books")
    maple = make_client(session, firm, "Maple Leaf Cafe Inc.")
    river = make_client(session, firm, "River Valley Dental")
    gst = make_filing(session, maple, kind="GST/HST", period="Q1 2026")
    payroll = make_filing(session, river, kind="Payroll", period="March 2026")
    step = make_step(session, gst, None, title="Enter Q1 bank transactions", due_in=None)
    # Far ahead, never overdue or due soon by the real clock: the sender's pass queues the
    # morning digest by the real clock (from 07:00 in Vancouver, 15:00 UTC), and an overdue
    # step here made every test that counts mails fail for the rest of that day.
    step.due_date = date(2099, 4, 22)
    session.commit()
    return type(
        "World",
        (),
        dict(
            firm=firm,
            admin=admin,
            staff=staff,
            bea=bea,
            dev=dev,
            maple=maple,
            river=river,
            gst=gst,
            payroll=payroll,
            step=step,
        ),
    )


# --- the assignment email, caught, and its link followed -----------------------------------


def follow(link: str, session: Session, user: User) -> TaskState:
    """Open the emailed link as `user` would: the route the path names, the allowlist's
    answer for their role, then the page's own loader with the id from the path."""
    parts = urlsplit(link)
    route = routes.match(parts.path)
    assert route == routes.TASK
    who = actor(session, user)
    session.commit()
    assert access.route_decision(access.role_for(who), route).allowed
    auth.set_acting(who)
    state = page_state(TaskState)
    state.rx_router_page = PageData(
        path=route, raw_path=parts.path, params={"step_id": parts.path.rsplit("/", 1)[1]}
    )
    run_handler(state.parent_state, "enter_page")
    run_handler(state, "load")
    return state


def test_the_assignee_gets_an_email_whose_link_opens_the_task(session, world, smtp):
    act(session, world.staff, steps.assign_step, step_id=world.step.id, assignee_id=world.bea.id)
    assert smtp.messages() == []  # nothing is sent inside the action
    assert mail_sender.one_pass() == 1

    [message] = smtp.messages()
    assert message["To"].addresses[0].addr_spec == "bea@alpha.example"
    assert message["Subject"] == "Task assigned to you: Enter Q1 bank transactions"
    assert message["Message-ID"] and message["From"] == get_settings().mail_from
    text = body(message)
    for expected in (
        "Enter Q1 bank transactions",
        "Client:  Maple Leaf Cafe Inc.",
        "Filing:  GST/HST Q1 2026",
        "Due:     Apr 22, 2099",
    ):
        assert expected in text
    [link] = re.findall(rf"{re.escape(PUBLIC_URL)}/tasks/\d+", text)
    assert link == f"{PUBLIC_URL}/tasks/{world.step.id}"

    page = follow(link, session, world.bea)
    assert page.page_status == "ok"
    assert page.step.title == "Enter Q1 bank transactions"
    assert page.client.name == "Maple Leaf Cafe Inc."
    # The same link in anyone else's hands opens nothing.
    assert follow(link, session, world.dev).page_status == "not_found"

    [row] = mails(session)
    assert row.status == MailStatus.SENT and row.attempts == 1 and row.sent_at
    assert row.message_id == message["Message-ID"]


def test_a_mail_goes_out_within_seconds_of_the_commit(session, world, smtp):
    """The sender thread passes only every minute here: the commit's wake-up sends it."""
    sender = mail_sender.Sender(every=60)
    sender.start()
    try:
        time.sleep(0.3)  # the first pass, at start, finds nothing
        started = time.monotonic()
        act(
            session, world.staff, steps.assign_step, step_id=world.step.id, assignee_id=world.bea.id
        )
        while not smtp.messages() and time.monotonic() - started < 5:
            time.sleep(0.05)
        assert len(smtp.messages()) == 1
        assert time.monotonic() - started < 2
    finally:
        sender.stop()


def test_a_step_added_with_an_assignee_emails_them_and_self_assignment_does_not(
    session, world, smtp
):
    act(
        session,
        world.staff,
        steps.add_step,
        filing_id=world.payroll.id,
        title="Run payroll",
        assignee_id=world.dev.id,
    )
    act(
        session,
        world.staff,
        steps.add_step,
        filing_id=world.payroll.id,
        title="Mine",
        assignee_id=world.staff.id,
    )
    mail_sender.one_pass()
    [message] = smtp.messages()
    assert message["To"].addresses[0].addr_spec == world.dev.email
    assert "River Valley Dental" in body(message)


def test_odd_unicode_in_names_survives_the_trip(session, world, smtp):
    world.bea.name = "Zoë Ðarcy-Łukasz 山田 🙂"
    world.maple.name = "Café Ünïcødé 株式会社 — Ölçü"
    world.step.title = "Rapprocher les dépôts « mars » ✓"
    session.add_all([world.bea, world.maple, world.step])
    session.commit()
    act(session, world.staff, steps.assign_step, step_id=world.step.id, assignee_id=world.bea.id)
    mail_sender.one_pass()
    [message] = smtp.messages()
    assert message["To"].addresses[0].display_name == "Zoë Ðarcy-Łukasz 山田 🙂"
    assert message["Subject"] == "Task assigned to you: Rapprocher les dépôts « mars » ✓"
    text = body(message)
    assert "Café Ünïcødé 株式会社 — Ölçü" in text and "Hello Zoë Ðarcy-Łukasz 山田 🙂" in text


# --- never a name the reader can no longer see ----------------------------------------------


def test_a_step_reassigned_before_the_send_is_not_mailed_to_who_lost_it(session, world, smtp):
    act(session, world.staff, steps.assign_step, step_id=world.step.id, assignee_id=world.bea.id)
    act(session, world.staff, steps.assign_step, step_id=world.step.id, assignee_id=world.dev.id)
    mail_sender.one_pass()
    messages = smtp.messages()
    assert to(messages, world.bea) == []
    assert all("Maple Leaf" not in body(m) for m in to(messages, world.bea))
    assert len(to(messages, world.dev)) == 1
    first, second = mails(session)
    assert first.status == MailStatus.SKIPPED
    assert first.reason == "The task was reassigned to someone else."
    assert second.status == MailStatus.SENT


def test_a_step_handed_away_and_back_before_the_send_makes_one_mail(session, world, smtp):
    for person in (world.bea, world.dev, world.bea):
        act(session, world.staff, steps.assign_step, step_id=world.step.id, assignee_id=person.id)
    mail_sender.one_pass()
    assert len(to(smtp.messages(), world.bea)) == 1
    assert to(smtp.messages(), world.dev) == []
    assert act(session, world.bea, notifications.unread_count) == 2  # the list keeps both


@pytest.mark.parametrize("action", ["file", "cancel"])
def test_a_filing_closed_before_the_send_means_no_mail(session, world, smtp, action):
    act(session, world.staff, steps.assign_step, step_id=world.step.id, assignee_id=world.bea.id)
    act(session, world.staff, filings.change_status, filing_id=world.gst.id, action=action)
    mail_sender.one_pass()
    assert smtp.messages() == []
    [row] = mails(session)
    assert row.status == MailStatus.SKIPPED and "filing was" in row.reason


def test_access_ended_by_the_firm_means_no_mail(session, world, smtp):
    act(session, world.staff, steps.assign_step, step_id=world.step.id, assignee_id=world.bea.id)
    act(session, world.admin, team.set_modules, filing_steps=True, portal=False)
    mail_sender.one_pass()
    assert smtp.messages() == []
    assert mails(session)[0].status == MailStatus.SKIPPED


class CheckingMailer:
    """A mailer that, at the moment of each send, asks the rule what the recipient may open
    and records any client name in the message that they may not: what an attacker reading
    the mailbox would learn."""

    def __init__(self, client_names: dict[int, tuple[int, str]]):
        self.client_names = client_names  # client id -> (firm id, name)
        self.sent: list[EmailMessage] = []
        self.leaks: list[tuple[str, str]] = []

    def send(self, message: EmailMessage) -> MailResult:
        address = message["To"].addresses[0].addr_spec
        text = str(message["Subject"]) + "\n" + body(message)
        with Session(engine_for(get_settings().database_url)) as session:
            person = session.exec(select(User).where(User.email == address)).one()
            if scope.is_staff(actor_for(person)):
                allowed = {
                    c for c, (firm, _) in self.client_names.items() if firm == person.firm_id
                }
            else:
                paths = session.execute(scope.grants(firm_id=person.firm_id, user_ids=[person.id]))
                allowed = {row.client_id for row in paths}
        for client_id, (_, name) in self.client_names.items():
            if name in text and client_id not in allowed:
                self.leaks.append((address, name))
        self.sent.append(message)
        return MailResult("sent", str(message["Message-ID"]))


def attempt(session: Session, user: User, fn, **kwargs) -> None:
    """An action that may be refused as it would be on the page (a closed filing, a
    deactivated person): the refusal is part of the history too."""
    with contextlib.suppress(ServiceError):
        act(session, user, fn, **kwargs)


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_no_email_ever_names_a_client_out_of_the_readers_scope(session, seed):
    """Random assignments, reassignments, filings closed and reopened, logins switched off
    and on, the portal switched off, with the sender passing in between: every mail that goes
    out names only clients its reader may open at that moment."""
    rng = random.Random(seed)
    firm = make_firm(session, "Gamma", time_zone="UTC")
    other = make_firm(session, "Delta", time_zone="UTC")
    admin = make_user(session, firm, "admin")
    staff = make_user(session, firm, "staff")
    people = [make_user(session, firm, "bookkeeper") for _ in range(3)] + [staff]
    clients = [make_client(session, firm, f"Gamma Client {n} Ltd.") for n in range(4)]
    outsider = make_client(session, other, "Delta Secret Holdings")
    make_step(session, make_filing(session, outsider), make_user(session, other, "staff"))
    some_filings = [make_filing(session, c) for c in clients for _ in range(2)]
    some_steps = [make_step(session, f, None, due_in=rng.randint(-3, 5)) for f in some_filings]
    session.commit()
    mailer = CheckingMailer({c.id: (c.firm_id, c.name) for c in session.exec(select(Client)).all()})
    now = utcnow()
    for _ in range(90):
        move = rng.random()
        if move < 0.5:
            step = rng.choice(some_steps)
            person = rng.choice([*people, None])
            session.refresh(step)
            assignee = person.id if person else None
            attempt(session, staff, steps.assign_step, step_id=step.id, assignee_id=assignee)
        elif move < 0.7:
            filing = rng.choice(some_filings)
            action = rng.choice(["file", "cancel", "reopen"])
            attempt(session, staff, filings.change_status, filing_id=filing.id, action=action)
        elif move < 0.8:
            person = rng.choice(people[:3])
            active = rng.random() < 0.5
            attempt(session, admin, team.set_active, user_id=person.id, active=active)
        elif move < 0.85:
            portal = rng.random() < 0.7
            attempt(session, admin, team.set_modules, filing_steps=True, portal=portal)
        now += timedelta(hours=rng.choice([0, 1, 7]))
        mail_queue.queue_digests(now=now)
        mail_queue.deliver_due(now=now, mailer=mailer)
    assert mailer.sent, "the run sent nothing: it proves nothing"
    assert mailer.leaks == []
    gamma = {p.email for p in [*people, admin]}
    to_gamma = [m for m in mailer.sent if m["To"].addresses[0].addr_spec in gamma]
    assert to_gamma and all("Delta Secret" not in body(m) for m in to_gamma)


# --- the morning digest, on a frozen clock ---------------------------------------------------


def due(session: Session, filing, person, day: date, **fields) -> Step:
    step = make_step(session, filing, person, due_in=None, **fields)
    step.due_date = day
    session.add(step)
    return step


@pytest.fixture
def digest_world(session, world):
    """Bea's steps around Jan 15, 2026, the firm in Vancouver (UTC-8 in January)."""
    due(session, world.gst, world.bea, date(2026, 1, 14), title="Late one")
    due(session, world.gst, world.bea, date(2026, 1, 18), title="Due in three days")
    due(session, world.gst, world.bea, date(2026, 1, 19), title="Due in four days")
    due(session, world.gst, world.bea, date(2026, 1, 10), title="Done one", status="done")
    closed = make_filing(session, world.river, status="filed")
    due(session, closed, world.bea, date(2026, 1, 15), title="On a filed filing")
    due(session, world.payroll, world.staff, date(2026, 1, 16), title="Staff payroll check")
    session.commit()
    return world


def vancouver(day: int, hour: int, minute: int = 0) -> datetime:
    """A Vancouver wall-clock time in January 2026, as the UTC instant it is."""
    return datetime(2026, 1, day, hour, minute, tzinfo=UTC) + timedelta(hours=8)


def test_the_digest_lists_overdue_and_due_soon_steps_once_per_local_morning(
    session, digest_world, smtp
):
    w = digest_world
    assert mail_sender.one_pass(vancouver(15, 6, 59)) == 0  # not yet morning there
    assert mails(session) == []

    assert mail_sender.one_pass(vancouver(15, 7, 0)) == 2
    [bea] = to(smtp.messages(), w.bea)
    text = body(bea)
    assert bea["Subject"] == "Your tasks for Jan 15: 1 overdue, 1 due soon"
    assert "Your tasks on Jan 15, 2026" in text
    overdue, coming = text.split("Due in the next 3 days")
    assert "Late one" in overdue and "Overdue since Jan 14" in overdue
    assert "Due in three days" in coming and "Maple Leaf Cafe Inc. · GST/HST Q1 2026" in coming
    for absent in ("Due in four days", "Done one", "On a filed filing", "Staff payroll"):
        assert absent not in text
    assert f"{PUBLIC_URL}/tasks/" in text and f"All your tasks: {PUBLIC_URL}/tasks\r\n" in text
    [sam] = to(smtp.messages(), w.staff)
    assert "Staff payroll check" in body(sam) and "Late one" not in body(sam)
    assert to(smtp.messages(), w.dev) == []  # nothing due: no digest at all

    # Later that day, and at 23:30 there (already Jan 16 in UTC): still the same local date.
    assert mail_sender.one_pass(vancouver(15, 12)) == 0
    assert mail_sender.one_pass(vancouver(15, 23, 30)) == 0
    assert len(smtp.messages()) == 2
    # The next local morning brings the next digest, with the dates moved on.
    assert mail_sender.one_pass(vancouver(16, 7, 5)) == 2
    [_, newer] = to(smtp.messages(), w.bea)
    assert newer["Subject"] == "Your tasks for Jan 16: 1 overdue, 2 due soon"


def test_two_senders_at_the_same_morning_queue_one_digest_each(session, digest_world, smtp):
    at = vancouver(15, 7, 1)
    threads = [threading.Thread(target=mail_queue.queue_digests, kwargs={"now": at}) for _ in "ab"]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    mail_queue.queue_digests(now=at)
    queued = [(m.user_id, m.digest_date) for m in mails(session)]
    assert sorted(queued) == sorted(
        [(digest_world.bea.id, date(2026, 1, 15)), (digest_world.staff.id, date(2026, 1, 15))]
    )


def test_a_digest_sent_late_for_its_morning_is_dropped(session, digest_world, smtp):
    mail_queue.queue_digests(now=vancouver(15, 7))
    assert mail_queue.deliver_due(now=vancouver(16, 1)) == 0
    assert smtp.messages() == []
    assert {m.status for m in mails(session)} == {MailStatus.SKIPPED}


def test_a_digest_never_names_a_step_the_reader_lost_since_it_was_queued(
    session, digest_world, smtp
):
    mail_queue.queue_digests(now=vancouver(15, 7))
    late = session.exec(select(Step).where(Step.title == "Late one")).one()
    act(
        session,
        digest_world.staff,
        steps.assign_step,
        step_id=late.id,
        assignee_id=digest_world.dev.id,
    )
    mail_queue.deliver_due(now=vancouver(15, 7, 1))
    [bea] = to(smtp.messages(), digest_world.bea)
    assert "Late one" not in body(bea) and "Due in three days" in body(bea)


def test_the_firm_time_zone_is_checked_and_kept(session, world):
    assert act(session, world.admin, firm_time.set_time_zone, time_zone="europe/london") == (
        "Europe/London"
    )
    with pytest.raises(Invalid, match="is not a time zone name"):
        act(session, world.admin, firm_time.set_time_zone, time_zone="Mars/Olympus_Mons")
    with pytest.raises(Invalid, match="Time zone cannot be empty"):
        act(session, world.admin, firm_time.set_time_zone, time_zone="  ")
    assert act(session, world.admin, firm_time.time_zone) == "Europe/London"


# --- the switches -----------------------------------------------------------------------------


def test_switched_off_means_no_email_but_the_in_app_line_stays(session, digest_world, smtp):
    w = digest_world
    act(session, w.bea, notifications.set_email_choices, assignments=False, digest=False)
    act(session, w.staff, steps.assign_step, step_id=w.step.id, assignee_id=w.bea.id)
    mail_sender.one_pass(vancouver(15, 7))
    assert to(smtp.messages(), w.bea) == []
    assert to(smtp.messages(), w.staff)  # the others' digests still go
    assert act(session, w.bea, notifications.unread_count) == 1


def test_switching_off_after_the_mail_was_queued_still_stops_it(session, world, smtp):
    act(session, world.staff, steps.assign_step, step_id=world.step.id, assignee_id=world.bea.id)
    act(session, world.bea, notifications.set_email_choices, assignments=False, digest=True)
    mail_sender.one_pass()
    assert smtp.messages() == []
    assert mails(session)[0].reason == "They switched assignment emails off."


def test_the_account_page_saves_the_switches_once_however_often_clicked(session, world):
    auth.set_acting(actor(session, world.dev))
    session.commit()
    state = page_state(AccountState)
    run_handler(state, "load")
    assert (state.choices.assignments, state.choices.digest) == (True, True)
    form = {"_token": "t-1", "_form": "notifications", "digest": "on"}
    run_handler(state, "save_notifications", form=form)
    assert state.notice == "Your notification settings are saved." and state.error == ""
    run_handler(state, "save_notifications", form=form)
    assert (state.choices.assignments, state.choices.digest) == (False, True)
    changes = session.exec(
        select(AuditEvent).where(AuditEvent.action == "notification_settings_changed")
    ).all()
    assert len(changes) == 1 and changes[0].actor_id == world.dev.id


# --- a mail server that fails -----------------------------------------------------------------


def test_a_refusing_mail_server_never_undoes_the_assignment_and_the_mail_is_retried(
    session, world, monkeypatch
):
    monkeypatch.setenv("PORTAL_PUBLIC_URL", PUBLIC_URL)
    use_smtp(monkeypatch, free_port())  # nobody listens there
    act(session, world.staff, steps.assign_step, step_id=world.step.id, assignee_id=world.bea.id)
    now = utcnow()
    assert mail_queue.deliver_due(now=now) == 0

    session.refresh(world.step)
    assert world.step.assignee_id == world.bea.id
    [row] = mails(session)
    assert row.status == MailStatus.PENDING and row.attempts == 1
    assert "could not be reached" in row.last_error
    assert row.next_attempt_at == now + timedelta(minutes=1)
    # An admin sees it waiting, with the reason and the next try.
    [shown] = act(session, world.admin, mail_queue.outgoing)
    assert (
        shown.recipient == "Bea Books <bea@alpha.example>" and shown.kind_label == "Task assigned"
    )
    assert shown.status_label == "Waiting" and "could not be reached" in shown.last_error
    assert "Maple Leaf" not in repr(shown)
    # Not before its time; then, with the server back, it goes.
    assert mail_queue.deliver_due(now=now + timedelta(seconds=30)) == 0
    controller, collector = smtp_server.start()
    try:
        use_smtp(monkeypatch, controller.port)
        assert mail_queue.deliver_due(now=now + timedelta(minutes=1)) == 1
        [message] = collector.messages()
        assert "Maple Leaf Cafe Inc." in body(message)
    finally:
        controller.stop()
    assert act(session, world.admin, mail_queue.outgoing) == []


def test_after_the_last_try_the_mail_is_failed_audited_and_an_admin_can_retry(
    session, world, monkeypatch
):
    use_smtp(monkeypatch, free_port())
    act(session, world.staff, steps.assign_step, step_id=world.step.id, assignee_id=world.bea.id)
    now = utcnow()
    for _ in range(mail_queue.MAX_ATTEMPTS):
        mail_queue.deliver_due(now=now)
        now += timedelta(hours=3)
    [row] = mails(session)
    assert row.status == MailStatus.FAILED and row.attempts == mail_queue.MAX_ATTEMPTS
    assert mail_queue.deliver_due(now=now + timedelta(days=1)) == 0  # given up
    failed = session.exec(select(AuditEvent).where(AuditEvent.action == "mail_failed")).one()
    assert failed.firm_id == world.firm.id and failed.outcome == "failed"

    auth.set_acting(actor(session, world.admin))
    session.commit()
    page = page_state(SettingsState)
    run_handler(page, "load")
    [shown] = page.outgoing
    assert shown.status_label == "Failed" and shown.attempts == mail_queue.MAX_ATTEMPTS
    with pytest.raises(Refused):
        act(session, world.staff, mail_queue.retry_now, mail_id=row.id)
    run_handler(page, "retry_mail", token="t-1", mail_id=row.id)
    assert page.notice.startswith("The email will be tried again")
    controller, collector = smtp_server.start()
    try:
        use_smtp(monkeypatch, controller.port)
        assert mail_queue.deliver_due() == 1
        assert len(collector.messages()) == 1
    finally:
        controller.stop()
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "mail_retried")).one()


def test_a_mail_that_cannot_be_composed_is_a_failed_try_not_a_stuck_claim(
    session, world, smtp, monkeypatch
):
    act(session, world.staff, steps.assign_step, step_id=world.step.id, assignee_id=world.bea.id)

    def broken(*_args, **_kwargs):
        raise RuntimeError("a bug while composing")

    composer = mail_queue.compose
    monkeypatch.setattr(mail_queue, "compose", broken)
    now = utcnow()
    assert mail_queue.deliver_due(now=now) == 0
    [row] = mails(session)
    assert row.status == MailStatus.PENDING and row.attempts == 1
    assert row.last_error == "Not sent: the message could not be put together."
    monkeypatch.setattr(mail_queue, "compose", composer)
    assert mail_queue.deliver_due(now=now + timedelta(minutes=1)) == 1
    assert len(smtp.messages()) == 1


# --- two senders -------------------------------------------------------------------------------


class SlowMailer:
    """Counts what it is handed, slowly enough that two senders overlap."""

    def __init__(self):
        self.sent: list[str] = []
        self._lock = threading.Lock()

    def send(self, message: EmailMessage) -> MailResult:
        time.sleep(0.01)
        with self._lock:
            self.sent.append(str(message["Subject"]) + "|" + message["To"].addresses[0].addr_spec)
        return MailResult("sent", str(message["Message-ID"]))


def test_two_senders_never_send_one_mail_twice(session, world):
    staff = actor(session, world.staff)
    session.commit()
    titles = []
    for n in range(24):
        person = (world.bea, world.dev, world.admin)[n % 3]
        titles.append(f"Task {n}")
        runner.perform(
            steps.add_step,
            actor=staff,
            filing_id=world.gst.id,
            title=f"Task {n}",
            assignee_id=person.id,
        )
    mailer = SlowMailer()
    barrier = threading.Barrier(3)

    def sender():
        barrier.wait()
        for _ in range(3):
            mail_queue.deliver_due(mailer=mailer)

    threads = [threading.Thread(target=sender) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(mailer.sent) == 24 and len(set(mailer.sent)) == 24
    assert {m.status for m in mails(session)} == {MailStatus.SENT}
    assert {m.attempts for m in mails(session)} == {1}


def test_a_sender_that_died_mid_send_leaves_its_mail_to_the_next(session, world, smtp):
    act(session, world.staff, steps.assign_step, step_id=world.step.id, assignee_id=world.bea.id)
    now = utcnow()
    assert mail_queue.claim(mails(session)[0].id, now=now)  # and then the worker died
    assert mail_queue.deliver_due(now=now + timedelta(minutes=1)) == 0
    assert mail_queue.deliver_due(now=now + mail_queue.LEASE + timedelta(seconds=1)) == 1
    assert len(smtp.messages()) == 1


# --- the header's list -------------------------------------------------------------------------


def test_the_header_counts_unread_and_lists_them_without_what_was_lost(session, world):
    from state.notifications import NotificationsState

    act(session, world.staff, steps.assign_step, step_id=world.step.id, assignee_id=world.bea.id)
    other = make_step(session, world.payroll, None, title="Run March payroll")
    session.commit()
    act(session, world.staff, steps.assign_step, step_id=other.id, assignee_id=world.bea.id)

    auth.set_acting(actor(session, world.bea))
    session.commit()
    bell = page_state(NotificationsState)
    header = bell.parent_state
    run_handler(header, "enter_page")
    assert header.unread == 2 and header.notifications_label == "Notifications, 2 unread"
    assert header.account_href == routes.ACCOUNT
    run_handler(bell, "open_list")
    newest, _ = bell.lines
    assert newest.text == "Assigned to you: Run March payroll" and newest.unread
    assert "River Valley Dental" in newest.detail and newest.url == routes.task(other.id)

    # River Valley's step goes to Dev: Bea's list keeps the line, but names nothing of it.
    act(session, world.staff, steps.assign_step, step_id=other.id, assignee_id=world.dev.id)
    run_handler(bell, "open_list")
    newest, _ = bell.lines
    assert newest.text == notifications.GONE and newest.url == "" and newest.detail == ""
    assert "River Valley" not in repr(bell.lines)

    run_handler(bell, "mark_all_read")
    assert header.unread == 0 and header.notifications_label == "Notifications"
    assert not any(line.unread for line in bell.lines) and bell.error == ""
    # Another person's list is their own.
    assert act(session, world.dev, notifications.unread_count) == 1


def test_the_unread_count_is_read_from_its_index(db_url):
    engine = engine_for(db_url)
    statement = notifications._UNREAD.params(me=1)
    compiled = statement.compile(engine, compile_kwargs={"literal_binds": True})
    if engine.dialect.name != "sqlite":
        pytest.skip("the plan is read on SQLite; PostgreSQL picks by its statistics")
    with engine.connect() as conn:
        plan = [r[-1] for r in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}")]
    assert any("ix_notification_user_read_at" in line for line in plan), plan
    assert not any(line.startswith("SCAN") for line in plan), plan
