"""The `portal` command: migrate the database, load the demo data, create a firm and invite
its first admin, import emails, and generate a large firm for measuring."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from models import Client, MailStatus, QueuedMail
from portal import demo, migrations
from portal.db import unit_of_work
from portal.services import emails, firms
from portal.services.errors import Conflict, Invalid

# PORTAL_DEMO=0 (or false, no, off): `portal demo --if-empty`, which `make run` runs, loads
# nothing, so a practice starts on an empty database and creates its firm with create-firm.
_DEMO_OFF = frozenset({"0", "false", "no", "off"})


def demo_wanted() -> bool:
    return os.environ.get("PORTAL_DEMO", "").strip().lower() not in _DEMO_OFF


def _migrate(_args: argparse.Namespace) -> int:
    migrations.upgrade()
    print("Database is up to date.")
    return 0


def _demo(args: argparse.Namespace) -> int:
    if args.if_empty and not demo_wanted():
        print(
            "PORTAL_DEMO is off: the demo was not loaded. Create your firm with "
            "`portal create-firm --name ... --admin-email ... --admin-name ...`."
        )
        return 0
    with unit_of_work() as session:
        if args.if_empty and demo.any_firm(session):
            print("The database already has data; the demo was not loaded.")
            return 0
        created = demo.load_demo(session)
    print("Demo data loaded." if created else "The demo firm is already there.")
    return 0


class _Recorded:
    """The mailer the queue is handed, keeping its answer: where the invitation went."""

    def __init__(self):
        from portal.mail import get_mailer

        self.inner = get_mailer()
        self.result = None

    def send(self, message):
        self.result = self.inner.send(message)
        return self.result


def _mail_status(mail_id: int) -> str:
    with unit_of_work() as session:
        mail = session.get(QueuedMail, mail_id)
        return mail.status if mail else ""


def _create_firm(args: argparse.Namespace) -> int:
    """A new firm and its first admin's invitation; nothing is written when a value is wrong."""
    from portal.services import mail_queue, team

    try:
        with unit_of_work() as session:
            made = firms.create_firm(
                session=session,
                name=args.name,
                admin_email=args.admin_email,
                admin_name=args.admin_name,
                seats=args.seats,
                filing_steps=args.filing_steps,
                bookkeeper_addon=args.bookkeeper_addon,
                time_zone=args.time_zone,
            )
    except Invalid as exc:
        print(f"{exc.message} Nothing was created.", file=sys.stderr)
        return 2
    seats = f"{made.staff_seats} staff seat{'s' if made.staff_seats != 1 else ''}"
    print(f"Created the firm “{made.firm_name}” (firm {made.firm_id}).")
    print(
        f"  Plan: {seats}; Filing Steps {'on' if made.filing_steps else 'off'}; "
        f"Bookkeeper Portal add-on {'on' if made.bookkeeper_addon else 'off'}; "
        f"time zone {made.time_zone}."
    )
    print("  Second factor: required of admins and staff (Settings changes it).")
    print(f"  First admin: {made.admin_name} <{made.admin_email}>, invited by email.")
    # The app's mail sender would send it within half a minute; sent now, the operator learns
    # where it went. Its token is made while it is sent and exists only in the mail.
    mailer = _Recorded()
    sent = mail_queue.deliver(made.mail_id, mailer=mailer)
    result = mailer.result
    if sent and result is not None and result.status == "outbox":
        print(
            "  No mail server is set up (PORTAL_SMTP_HOST), so the invitation was written to "
            f"the outbox: {result.path}"
        )
        print("  Pass that email on to them (it holds their link).")
    elif sent:
        print(f"  The invitation was sent to {made.admin_email} through the mail server.")
    elif _mail_status(made.mail_id) == MailStatus.SENT.value:
        # A portal already running against this database took it first.
        print(f"  The running portal sent the invitation to {made.admin_email}.")
        print(f"  {team.mail_note()}")
    else:
        print(
            "  The invitation could not be sent yet; the portal tries again "
            "(after 1, 5 and 30 minutes and 2 hours) while it runs. Admin settings list it "
            "under Outgoing mail.",
            file=sys.stderr,
        )
        print(f"  {team.mail_note()}", file=sys.stderr)
    print(f"  The link works once, until {made.link_expires}.")
    return 0


def _import_eml(args: argparse.Namespace) -> int:
    """Every file is read before anything is imported, so a typo in one path imports nothing."""
    with unit_of_work() as session:
        client = session.get(Client, args.client_id)
        client_name = client.name if client else None
    if client_name is None:
        print(
            f"There is no client with id {args.client_id}; nothing was imported.", file=sys.stderr
        )
        return 2

    raws: list[tuple[str, bytes]] = []
    unreadable = []
    for name in args.files:
        try:
            raws.append((name, Path(name).read_bytes()))
        except OSError as exc:
            unreadable.append(f"{name}: {exc.strerror or exc}")
    if unreadable:
        for line in unreadable:
            print(f"Cannot read {line}", file=sys.stderr)
        print("Nothing was imported.", file=sys.stderr)
        return 1

    imported = skipped = 0
    for name, raw in raws:
        try:
            with unit_of_work() as session:
                email = emails.import_eml(session=session, client_id=args.client_id, raw=raw)
        except Conflict as exc:
            skipped += 1
            print(f"Skipped {name}: {exc.message}")
            continue
        imported += 1
        subject = email.subject or "(no subject)"
        print(f"Imported {name}: “{subject}” from {email.from_addr or 'unknown sender'}")
    print(f"{imported} imported, {skipped} skipped, into {client_name} (client {args.client_id}).")
    return 0


def _generate(args: argparse.Namespace) -> int:
    """A generated firm beside whatever the database holds (see portal/generate.py)."""
    from portal import generate
    from portal.db import engine_for
    from portal.settings import get_settings

    url = args.database_url or get_settings().database_url
    migrations.upgrade(url)
    result = generate.generate(
        engine_for(url), args.scale, seed=args.seed, progress=not args.no_progress
    )
    for line in generate.report(result):
        print(line)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="portal", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="apply every database migration").set_defaults(run=_migrate)
    demo_cmd = commands.add_parser("demo", help="load the demo firm (idempotent)")
    demo_cmd.add_argument(
        "--if-empty", action="store_true", help="only when the database holds no firm at all"
    )
    demo_cmd.set_defaults(run=_demo)
    firm_cmd = commands.add_parser(
        "create-firm",
        help="create a firm with its plan and invite its first admin by email",
        description="Create a firm and invite its first admin: the invitation is emailed "
        "(through PORTAL_SMTP_HOST, or written to the outbox folder) with a link that works "
        "once, for 72 hours. New firms require a second factor of admins and staff.",
    )
    firm_cmd.add_argument("--name", required=True, help="the firm's name")
    firm_cmd.add_argument("--admin-email", required=True, help="the first admin's email")
    firm_cmd.add_argument("--admin-name", required=True, help="the first admin's name")
    firm_cmd.add_argument(
        "--seats",
        type=int,
        default=firms.DEFAULT_SEATS,
        help=f"paid staff seats, admins included (default {firms.DEFAULT_SEATS})",
    )
    firm_cmd.add_argument(
        "--filing-steps",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="the Filing Steps module (default on)",
    )
    firm_cmd.add_argument(
        "--bookkeeper-addon",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="the Bookkeeper Portal add-on, which needs Filing Steps (default on)",
    )
    firm_cmd.add_argument(
        "--time-zone",
        default=firms.DEFAULT_TIME_ZONE,
        help="the firm's IANA time zone, e.g. America/Toronto (default UTC)",
    )
    firm_cmd.set_defaults(run=_create_firm)
    eml_cmd = commands.add_parser(
        "import-eml", help="add received emails (.eml files) to a client's thread"
    )
    eml_cmd.add_argument("--client-id", type=int, required=True, help="the client's id")
    eml_cmd.add_argument("files", nargs="+", metavar="FILE", help=".eml files to import")
    eml_cmd.set_defaults(run=_import_eml)
    gen_cmd = commands.add_parser(
        "generate",
        help="add a generated firm of the given size (for benchmarks)",
        description="Add one generated firm (staff, bookkeepers, clients, filings, steps, "
        "checklists, time, comments, documents, emails) to the database, migrating it first. "
        "Document files go to PORTAL_DOCUMENT_DIR. Prints the firm id and sign-in accounts.",
    )
    gen_cmd.add_argument(
        "--scale",
        choices=("small", "medium", "large"),
        required=True,
        help="small: 1k steps; medium: 100k steps; large: 1M steps, 20k clients, "
        "200k filings, 500 bookkeepers, 200 staff",
    )
    gen_cmd.add_argument(
        "--database-url", default="", help="a SQLAlchemy URL (default: PORTAL_DATABASE_URL)"
    )
    gen_cmd.add_argument("--seed", type=int, default=1, help="the same seed makes the same firm")
    gen_cmd.add_argument("--no-progress", action="store_true", help="no progress bar")
    gen_cmd.set_defaults(run=_generate)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
