"""Onboarding from the command line: `portal create-firm` makes a firm with its plan and
invites its first admin through the normal invitation (the mail lands in the outbox without
a mail server); bad input writes nothing; `PORTAL_DEMO=0` keeps the demo out."""

from __future__ import annotations

import email
import re
from email import policy
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from models import AccountLink, AuditEvent, Firm, QueuedMail, User
from portal import cli, routes
from portal.services import links, sessions, signin
from portal.settings import get_settings

NEW_PASSWORD = "gravel orchid lantern seventy"
ARGS = [
    "create-firm",
    "--name",
    "Birch & Co. Accounting",
    "--admin-email",
    "Maria.Lopez@Birch.example",
    "--admin-name",
    "Maria Lopez",
]


def counts(session: Session) -> tuple[int, int, int, int, int]:
    session.expire_all()
    return tuple(
        session.exec(select(func.count()).select_from(model)).one()
        for model in (Firm, User, AccountLink, QueuedMail, AuditEvent)
    )


def outbox_files() -> list[Path]:
    outbox = get_settings().outbox_dir
    return sorted(outbox.glob("*.eml")) if outbox.exists() else []


def test_create_firm_makes_the_firm_and_invites_its_admin(session, capsys):
    assert cli.main([*ARGS, "--seats", "3", "--time-zone", "america/vancouver"]) == 0
    out = capsys.readouterr().out

    firm = session.exec(select(Firm).where(Firm.name == "Birch & Co. Accounting")).one()
    assert (firm.staff_seats, firm.filing_steps_enabled, firm.portal_enabled) == (3, True, True)
    assert firm.time_zone == "America/Vancouver"
    # As every new firm: a second factor for admins and staff.
    assert (firm.mfa_admins, firm.mfa_staff, firm.mfa_bookkeepers) == (True, True, False)
    admin = session.exec(select(User).where(User.firm_id == firm.id)).one()
    assert (admin.email, admin.name, admin.role) == (
        "maria.lopez@birch.example",
        "Maria Lopez",
        "admin",
    )
    assert admin.invited_at is not None and admin.activated_at is None

    [eml] = outbox_files()
    assert str(eml) in out and "outbox" in out
    message = email.message_from_bytes(eml.read_bytes(), policy=policy.default)
    assert message["To"].addresses[0].addr_spec == "maria.lopez@birch.example"
    body = message.get_body(("plain",)).get_content()
    assert "invited you to Birch & Co. Accounting" in body
    [token] = re.findall(
        rf"{re.escape(get_settings().public_url + routes.INVITATION)}\?token=([A-Za-z0-9_-]{{43}})",
        body,
    )
    # The token is in the mail only: never printed.
    assert token not in out

    result = links.use_link(
        session=session,
        kind="invite",
        token=token,
        password=NEW_PASSWORD,
        confirm=NEW_PASSWORD,
        ip="10.0.0.9",
    )
    session.commit()
    assert result.ok and result.role == "admin"
    assert sessions.redeem_handoff(session=session, code=result.handoff_code)
    session.commit()
    # Signing in with the chosen password works; the firm's policy then asks for a factor.
    again = signin.sign_in(
        session=session, email="maria.lopez@birch.example", password=NEW_PASSWORD, ip="::1"
    )
    assert again.ok and again.must_enrol

    actions = {
        e.action: e for e in session.exec(select(AuditEvent).where(AuditEvent.firm_id == firm.id))
    }
    assert {"firm_created", "login_created", "invitation_sent"} <= set(actions)
    assert actions["firm_created"].actor_label == "portal create-firm"
    assert "3 staff seats" in actions["firm_created"].detail


def test_modules_and_their_defaults(session, capsys):
    assert cli.main([*ARGS, "--no-bookkeeper-addon"]) == 0
    firm = session.exec(select(Firm)).one()
    assert (firm.staff_seats, firm.filing_steps_enabled, firm.portal_enabled) == (5, True, False)
    assert "Bookkeeper Portal add-on off" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"--admin-email": "maria at birch"}, "Admin email must be a valid email address"),
        ({"--admin-name": "   "}, "Admin name cannot be empty."),
        ({"--name": "\u200b"}, "Firm name cannot be empty."),
        ({"--seats": "0"}, "Seats must be between 1 and"),
        ({"--time-zone": "Mars/Olympus"}, "is not a time zone name"),
        ({"--filing-steps": None}, "needs Filing Steps"),
    ],
)
def test_bad_input_writes_nothing(session, capsys, change, message):
    before = counts(session)
    args = list(ARGS)
    for flag, value in change.items():
        if value is None:
            args.append("--no-filing-steps")
        elif flag in args:
            args[args.index(flag) + 1] = value
        else:
            args += [flag, value]
    assert cli.main(args) == 2
    err = capsys.readouterr().err
    assert message in err and "Nothing was created." in err
    assert counts(session) == before
    assert outbox_files() == []


def test_an_email_that_already_has_a_login_writes_nothing(session, world, capsys):
    session.commit()
    before = counts(session)
    args = list(ARGS)
    args[args.index("--admin-email") + 1] = world.admin.email.upper()
    assert cli.main(args) == 2
    assert "already has a login" in capsys.readouterr().err
    assert counts(session) == before
    assert outbox_files() == []


def test_portal_demo_0_keeps_the_demo_out_of_an_empty_database(session, monkeypatch, capsys):
    monkeypatch.setenv("PORTAL_DEMO", "0")
    assert cli.main(["demo", "--if-empty"]) == 0
    assert "create-firm" in capsys.readouterr().out
    assert counts(session)[0] == 0
    # The default still loads it.
    monkeypatch.delenv("PORTAL_DEMO")
    assert cli.main(["demo", "--if-empty"]) == 0
    assert counts(session)[0] == 1


def test_a_mail_server_that_is_down_leaves_the_invitation_queued(session, monkeypatch, capsys):
    # Port 1 on loopback: nothing listens, so the connection is refused at once.
    monkeypatch.setenv("PORTAL_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("PORTAL_SMTP_PORT", "1")
    get_settings.cache_clear()
    assert cli.main(ARGS) == 0
    captured = capsys.readouterr()
    assert "could not be sent yet" in captured.err and "127.0.0.1:1" in captured.err
    [mail] = session.exec(select(QueuedMail)).all()
    assert (
        mail.status == "pending"
        and mail.attempts == 1
        and "could not be reached" in (mail.last_error)
    )
    assert outbox_files() == []
    assert session.exec(select(Firm).where(Firm.name == "Birch & Co. Accounting")).one()
